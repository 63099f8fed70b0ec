"""The `levers` section of a scenario: policy and what-if changes to demand, costs and places."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .. import taxonomy
from .strict import Strict, refuse_removed

TierName = Literal[
    "mainstream", "sen_support", "partnership", "enhanced_resource", "special_school", "independent"
]


def _needs(values: list[str]) -> list[str]:
    out = []
    for v in values:
        code = taxonomy.lookup("need", v)
        if code is None:
            raise ValueError(f"unknown need {v!r}; accepted: {', '.join(taxonomy.NEEDS)}")
        out.append(code)
    return out


def _bands(values: list[str]) -> list[str]:
    out = []
    for v in values:
        code = taxonomy.lookup("age_band", v)
        if code is None:
            raise ValueError(
                f"unknown age band {v!r}; accepted: {', '.join(taxonomy.AGE_BAND_LABELS)}"
            )
        out.append(code)
    return out


class _Filter(Strict):
    """Which demand a lever touches: needs and age bands (empty = all)."""

    needs: list[str] = Field(default_factory=list, description="Need codes or labels; [] = all.")
    age_bands: list[str] = Field(
        default_factory=list, description="SEN2 age bands, e.g. '11-15'; [] = all."
    )

    @field_validator("needs")
    @classmethod
    def _check_needs(cls, v: list[str]) -> list[str]:
        return _needs(v)

    @field_validator("age_bands")
    @classmethod
    def _check_bands(cls, v: list[str]) -> list[str]:
        return _bands(v)


class OutOfAreaLever(Strict):
    """Cap children in out-of-area settings relative to the base year, with a glide path."""

    reduce_by: float = Field(
        gt=0.0, le=1.0, description="Reduction from the base-year count, as a fraction (0.3 = 30%)."
    )
    by_year: int = Field(
        ge=1990, le=2100, description="Census year (calendar year) the full reduction applies."
    )
    independent_only: bool = Field(
        default=False, description="Count only out-of-area settings in the independent tier."
    )
    applies_to: Literal["all", "new"] = Field(
        default="all",
        description=(
            "'all': the cap is on every child out of area; 'new': on new out-of-area "
            "placements each year, relative to the base year's implied new placements."
        ),
    )
    miss_penalty_gbp: float = Field(
        default=200_000.0,
        gt=0.0,
        description=(
            "Policy weight in £ of objective (not money) per child per year over the cap. "
            "Below the displacement and "
            "unmet-demand penalties: the model misses the target rather than move a "
            "continuing child or leave one without a place."
        ),
    )


class InclusionLever(_Filter):
    """Meet a share of level-k demand at a lower level from a year (new placements first)."""

    from_level: TierName = Field(description="Level whose demand moves.")
    to_level: TierName = Field(description="Lower level that will meet it.")
    share: float = Field(gt=0.0, le=1.0, description="Share of new placements moved (fraction).")
    from_year: int = Field(ge=1990, le=2100, description="First census year it applies.")
    provision: Literal["ehc_plan", "sen_support"] = Field(
        default="ehc_plan",
        description=("Whose demand moves: children with an EHC plan (default) or on SEN support."),
    )

    @model_validator(mode="after")
    def _lower(self) -> InclusionLever:
        if taxonomy.TIER_NUMBER[self.to_level] >= taxonomy.TIER_NUMBER[self.from_level]:
            raise ValueError("to_level must be less specialist than from_level")
        return self


PlanLevel = Literal["mainstream", "sen_support", "partnership"]
_MAINSTREAM_LEVELS: tuple[PlanLevel, ...] = ("mainstream", "sen_support")


class FewerPlansLever(_Filter):
    """Meet a share of new EHC plans at SEN support instead, from a year.

    The children stay in the cohort (the SEND total is unchanged) and keep their level:
    they move from the plan's funding (High Needs Block top-up) to SEN support (the
    school's notional SEN budget), as the caseload turns over.
    """

    share: float = Field(
        gt=0.0, le=1.0, description="Share of new plans met at SEN support instead (fraction)."
    )
    from_year: int = Field(ge=1990, le=2100, description="First census year it applies.")
    levels: list[PlanLevel] = Field(
        default_factory=lambda: list(_MAINSTREAM_LEVELS),
        min_length=1,
        description=(
            "Levels whose plans it applies to: needs met in mainstream (default) or "
            "partnership; more specialist needs keep their plans."
        ),
    )


class DemandShock(_Filter):
    """Multiply projected demand for some needs and ages from a year."""

    multiplier: float = Field(ge=0.0, le=10.0, description="Factor on demand (1.2 = +20%).")
    from_year: int = Field(ge=1990, le=2100, description="First census year it applies.")


class CostChange(Strict):
    """Change unit costs from a year: extra annual inflation, or a one-off factor."""

    tiers: list[TierName] = Field(default_factory=list, description="Tiers affected; [] = all.")
    in_area: bool | None = Field(
        default=None, description="Only in-area (true) or out-of-area (false) settings."
    )
    from_year: int = Field(ge=1990, le=2100, description="First census year it applies.")
    extra_inflation: float = Field(
        default=0.0,
        ge=-0.5,
        le=1.0,
        description="Extra place-cost inflation per year from from_year, as a fraction.",
    )
    place_cost_factor: float = Field(
        default=1.0, gt=0.0, le=10.0, description="One-off factor on place costs (a ratio)."
    )
    transport_factor: float = Field(
        default=1.0, ge=0.0, le=10.0, description="One-off factor on transport costs (a ratio)."
    )


class SettingChange(Strict):
    """A setting closing, opening or changing its places from a year."""

    setting: str = Field(min_length=1, description="Setting id from the register.")
    places: int = Field(ge=0, description="Places from from_year on (0 closes it); places.")
    from_year: int = Field(ge=1990, le=2100, description="First census year it applies.")


class BudgetLever(Strict):
    """A High Needs Block budget for placements, per year, compared with High Needs Block
    spending (transport, paid from the general fund, is not counted)."""

    gbp_by_year: dict[int, Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description=(
            "Budget in £ (cash) by census year, each above 0; years not listed follow the "
            "growth rule."
        ),
    )
    base_gbp: float | None = Field(
        default=None,
        gt=0.0,
        allow_inf_nan=False,
        description="Budget in £ for the first plan year (cash).",
    )
    growth: float = Field(
        default=0.0, ge=-0.5, le=1.0, description="Annual growth of base_gbp, as a fraction."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_mode(cls, data: Any) -> Any:
        return refuse_removed(
            data,
            "mode",
            "a budget never leaves a child without a place; the run compares High Needs Block "
            "spending with the budget and reports the overrun (the saving needed) each year",
        )

    @model_validator(mode="after")
    def _some_budget(self) -> BudgetLever:
        if not self.gbp_by_year and self.base_gbp is None:
            raise ValueError("give gbp_by_year or base_gbp")
        return self

    def for_year(self, year: int, first_year: int) -> float | None:
        """Budget in £ for ``year``, or None if none applies."""
        if year in self.gbp_by_year:
            return float(self.gbp_by_year[year])
        if self.base_gbp is None:
            return None
        return float(self.base_gbp * (1.0 + self.growth) ** (year - first_year))


class RequestsLever(Strict):
    """Requests for assessment rise (or fall) by a fraction a year: a lever on the flow model.

    New plans follow requests at the fitted conversion, so requests 10% a year above the
    last published year's add that to new plans (forecasts by the ``flows`` method only).
    """

    requests_growth_per_year: float = Field(
        ge=-0.5,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "Yearly growth of requests for assessment from the last published year's, as a "
            "fraction a year (0.1 = requests rise 10% a year)."
        ),
    )
    from_year: int | None = Field(
        default=None,
        ge=1990,
        le=2100,
        description=(
            "First calendar year whose requests rise (flows of a calendar year reach the next "
            "January's plans); default the base year, the first projected year of flows. "
            "Before it requests follow the fitted rate."
        ),
    )


class ConversionLever(Strict):
    """The share of requests for assessment that become a plan moves to a target: a lever
    on the flow model (new plans scale with it; forecasts by the ``flows`` method only)."""

    conversion_share: float = Field(
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "New plans per request for assessment, as a fraction (0.6 = conversion to a plan "
            "falls to 60%)."
        ),
    )
    by_year: int | None = Field(
        default=None,
        ge=1990,
        le=2100,
        description=(
            "Calendar year of flows from which the share holds in full, reached linearly from "
            "the fitted share over the projected years before; default the base year (at "
            "once)."
        ),
    )


class Levers(Strict):
    """Policy levers and what-if changes. All optional; none means the unmitigated baseline."""

    out_of_area: OutOfAreaLever | None = Field(
        default=None, description="Reduce children in out-of-area settings by a target year."
    )
    inclusion: list[InclusionLever] = Field(
        default_factory=list, description="Move a share of demand to a less specialist level."
    )
    fewer_plans: list[FewerPlansLever] = Field(
        default_factory=list,
        description="Meet a share of new EHC plans at SEN support instead (no plan).",
    )
    demand: list[DemandShock] = Field(
        default_factory=list, description="Demand multipliers (shocks) by need and age band."
    )
    costs: list[CostChange] = Field(
        default_factory=list, description="Changes to place and transport costs."
    )
    settings: list[SettingChange] = Field(
        default_factory=list, description="Settings closing, opening or changing places."
    )
    budget: BudgetLever | None = Field(default=None, description="High Needs Block budget.")
    requests: RequestsLever | None = Field(
        default=None,
        description=(
            "Requests for assessment rise by a fraction a year (the flow model: needs "
            "data.flows with requests, and forecast.method 'flows' or 'auto')."
        ),
    )
    conversion: ConversionLever | None = Field(
        default=None,
        description=(
            "Share of requests for assessment that become a plan (the flow model: needs "
            "data.flows with requests, and forecast.method 'flows' or 'auto')."
        ),
    )

    @field_validator("settings")
    @classmethod
    def _one_change_per_setting_and_year(cls, v: list[SettingChange]) -> list[SettingChange]:
        """Two changes of one setting from one year: which was meant cannot be known."""
        first: dict[tuple[str, int], int] = {}
        clashes = []
        for i, change in enumerate(v):
            key = (change.setting, change.from_year)
            if key in first:
                j = first[key]
                clashes.append(
                    f"entry {i} repeats entry {j} (setting {change.setting!r} from "
                    f"{change.from_year}: {v[j].places} then {change.places} places)"
                )
            else:
                first[key] = i
        if clashes:
            raise ValueError(
                "; ".join(clashes) + ": give each setting one change per year (a later "
                "change needs a later from_year)"
            )
        return v

    @property
    def flow_levers(self) -> dict[str, RequestsLever | ConversionLever]:
        """The levers on the flow model that are set, by name (``requests``, ``conversion``)."""
        return {
            name: lever
            for name, lever in (("requests", self.requests), ("conversion", self.conversion))
            if lever is not None
        }

    @property
    def active(self) -> bool:
        """Whether any lever on placements, costs or places is set (the flow levers change
        the forecast itself, which the run with and without levers shares)."""
        return bool(
            self.out_of_area
            or self.inclusion
            or self.fewer_plans
            or self.demand
            or self.costs
            or self.settings
            or self.budget
        )
