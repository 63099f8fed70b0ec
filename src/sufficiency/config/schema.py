"""The scenario schema: strict, frozen pydantic models with a unit for every number."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .capital import Capital
from .forecast_options import ForecastOptions
from .levers import Levers, TierName
from .returns import ReportOptions, ReturnsOptions
from .strict import Strict as _Strict
from .strict import refuse_removed

#: The input tables a scenario names, in the order they are read.
TABLES = (
    "caseload",
    "population",
    "settings",
    "cost_assumptions",
    "sen_support",
    "setting_places",
    "flows",
    "funding_bands",
    "band_mix",
    "continuity",
)


class NumberFormat(_Strict):
    """How numbers are written in one table's text cells (CSV, or text in a workbook)."""

    decimal: Literal[".", ","] = Field(
        default=".", description="Decimal separator: '.' (1.5) or ',' (1,5)."
    )
    thousands: Literal[",", ".", " ", "'", ""] | None = Field(
        default=None,
        description=(
            "Thousands separator: ',' (1,234), '.' (1.234), ' ', \"'\" or '' for none; by "
            "default ',' when the decimal separator is '.', and '.' when it is ','."
        ),
    )

    @model_validator(mode="after")
    def _distinct(self) -> NumberFormat:
        if self.thousands == self.decimal:
            raise ValueError("decimal and thousands separators must differ")
        return self

    @property
    def grouping(self) -> str:
        """The thousands separator in use ('' for none)."""
        if self.thousands is not None:
            return self.thousands
        return "," if self.decimal == "." else "."


class NumberFormats(_Strict):
    """Number formats by table; a table not named here uses 1,234.5 (English)."""

    caseload: NumberFormat | None = None
    population: NumberFormat | None = None
    settings: NumberFormat | None = None
    cost_assumptions: NumberFormat | None = None
    sen_support: NumberFormat | None = None
    setting_places: NumberFormat | None = None
    flows: NumberFormat | None = None
    funding_bands: NumberFormat | None = None
    band_mix: NumberFormat | None = None
    continuity: NumberFormat | None = None

    def of(self, table: str) -> NumberFormat:
        """The format of ``table`` (English if not given)."""
        given = getattr(self, table, None)
        return given if given is not None else NumberFormat()


class DataSources(_Strict):
    """Where the input tables live. Relative paths are relative to the YAML file."""

    caseload: Path = Field(
        description="EHC plans by year, need, age (or age band) and setting: the history."
    )
    population: Path = Field(
        description="Residents by year and single year of age, estimates and projections."
    )
    settings: Path = Field(description="The settings register.")
    cost_assumptions: Path = Field(description="Inflation of place and transport costs by year.")
    sen_support: Path | None = Field(
        default=None, description="Children on SEN support by year, need and age (optional)."
    )
    setting_places: Path | None = Field(
        default=None, description="Dated changes to settings' places (optional)."
    )
    flows: Path | None = Field(
        default=None,
        description=(
            "Requests for assessment, assessments, new plans and ceased plans by calendar "
            "year (and age), for the 'flows' forecast method and the flow levers (optional)."
        ),
    )
    funding_bands: Path | None = Field(
        default=None,
        description=(
            "Top-up by funding band (£ per child per year) for the tiers or settings a band "
            "scale covers (optional; needs band_mix)."
        ),
    )
    band_mix: Path | None = Field(
        default=None,
        description=(
            "Each group's base-year mix of funding bands, as children or shares by need, age "
            "band and level (optional; needs funding_bands)."
        ),
    )
    continuity: Path | None = Field(
        default=None,
        description=(
            "Continuation and stay rates by age measured between SEN2 returns (init --sen2 "
            "writes it); the allocation's continuity uses them in place of its defaults "
            "(optional)."
        ),
    )
    number_formats: NumberFormats = Field(
        default_factory=NumberFormats,
        description=(
            "Number formats of tables written with a decimal comma, by table, e.g. "
            "{settings: {decimal: ',', thousands: '.'}}; see docs/data-formats.md."
        ),
    )

    def paths(self) -> dict[str, Path | None]:
        """The table paths by name (None for an optional table not given)."""
        return {name: getattr(self, name) for name in TABLES}


NeedGroup = Literal[
    "communication_and_interaction",
    "cognition_and_learning",
    "social_emotional_and_mental_health",
    "sensory_and_physical",
    "other",
]
Phase = Literal["early_years", "primary", "secondary", "post16", "post19"]


class MarketPrice(_Strict):
    """One row of the market's price table: a fee and transport for the groups it matches.

    A demand group takes the most specific row matching its level, need group and phase
    (phase of the age band's first age); blank fields match everything.
    """

    level: TierName | None = Field(
        default=None, description="Level (least specialist tier that meets the need); blank = all."
    )
    need_group: NeedGroup | None = Field(
        default=None, description="Broad area of need of the SEND Code of Practice; blank = all."
    )
    phase: Phase | None = Field(
        default=None, description="Phase of the age band's first age; blank = all."
    )
    fee_per_place_gbp: float = Field(
        gt=0.0,
        le=1e7,
        description="Fee, £ per child per year (base-year prices; High Needs Block).",
    )
    transport_per_place_gbp: float = Field(
        ge=0.0,
        le=1e6,
        description="Home-to-school transport, £ per child per year (base-year prices; "
        "the council's general fund).",
    )


#: Default market prices, base-year (2024/25) prices. Specialist levels: £70,000, the top of
#: councils' mean fees for independent and non-maintained special schools (£58k-70k; the
#: national mean is £64k, DOMAIN.md) because a spot purchase beyond the commissioned places
#: is bought at the dear end of the market; transport £18,000, about twice the ≈£8,100 SEND
#: average, for out-of-area and often single-occupancy journeys (a judgement). Lower levels:
#: a mainstream top-up (£9k, the top of the £6k-9k range) or alternative provision bought
#: in (£18k, a judgement), with average transport.
DEFAULT_MARKET_PRICES: tuple[dict[str, Any], ...] = (
    {"fee_per_place_gbp": 70_000.0, "transport_per_place_gbp": 18_000.0},
    {"level": "mainstream", "fee_per_place_gbp": 9_000.0, "transport_per_place_gbp": 8_100.0},
    {"level": "sen_support", "fee_per_place_gbp": 9_000.0, "transport_per_place_gbp": 8_100.0},
    {"level": "partnership", "fee_per_place_gbp": 18_000.0, "transport_per_place_gbp": 8_100.0},
)


class Market(_Strict):
    """The market of last resort: spot purchase beyond the register's commissioned places.

    A council must place every child with an EHC plan, so children whom no commissioned
    place can take are placed by the market (an unlimited, out-of-area setting ``MARKET``)
    at its price, inflated at the market tier's rates of the cost assumptions.
    """

    enabled: bool = Field(
        default=True,
        description=(
            "Place children the register cannot take with the market (the lawful default). "
            "false leaves them with no place at all, which the run reports as unlawful."
        ),
    )
    tier: Literal["special_school", "independent"] = Field(
        default="independent",
        description="Tier of market placements (and whose inflation rates apply).",
    )
    prices: list[MarketPrice] = Field(
        default_factory=lambda: [MarketPrice(**p) for p in DEFAULT_MARKET_PRICES],
        min_length=1,
        description=(
            "Price table (replaces the defaults when given): the most specific row matching "
            "a group's level, need group and phase applies. Defaults: £70,000 fee + "
            "£18,000 transport for enhanced resource, special and independent levels; "
            "£9,000 + £8,100 for mainstream and SEN support; £18,000 + £8,100 for "
            "partnership (base-year prices)."
        ),
    )

    @model_validator(mode="after")
    def _one_row_per_match(self) -> Market:
        keys = [(p.level, p.need_group, p.phase) for p in self.prices]
        dupes = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"two price rows match the same groups: {', '.join(dupes)}")
        if (None, None, None) not in keys:
            raise ValueError(
                "give a catch-all row (no level, need_group or phase) so every group has a price"
            )
        return self


class NotInSchool(_Strict):
    """Costs of children with plans not in a school or college (caseload setting codes).

    ``OTHER_ARRANGEMENTS`` (other arrangements made by the council, education otherwise
    than at school) are High Needs Block spend; ``EHE`` (elective home education), ``NEET``
    and ``NOT_PLACED`` (not recorded) are counted but cost nothing unless given here.
    """

    other_arrangements_gbp: float = Field(
        default=20_000.0,
        ge=0.0,
        description=(
            "£ per child per year (base-year prices, High Needs Block) of other arrangements "
            "made by the council. Default £20,000: a judgement for an education-otherwise "
            "package, between alternative provision and a special school place; replace it "
            "with your own average."
        ),
    )
    elective_home_education_gbp: float = Field(
        default=0.0, ge=0.0, description="£ per child per year (EHE)."
    )
    neet_gbp: float = Field(default=0.0, ge=0.0, description="£ per young person per year (NEET).")
    not_recorded_gbp: float = Field(
        default=0.0,
        ge=0.0,
        description="£ per child per year with no recorded arrangement (NOT_PLACED).",
    )


class SenSupport(_Strict):
    """Children on SEN support (no EHC plan) in the allocation: their levels, costs and payers.

    Children on SEN support are placed with children with EHC plans, in the register's
    settings that take them (``takes_sen_support``; by default mainstream, SEN support and
    partnership settings), sharing their places. Their levels default to ``sen_support``
    with a share at ``partnership`` (alternative provision) at school age. The market of
    last resort does not take them: a child on SEN support whom the register's places at
    their level cannot take stays in mainstream school (the in-area setting ``MAINSTREAM``,
    no place limit), paid by the school, and is counted as the SEN-support gap.
    """

    enabled: bool = Field(
        default=True,
        description=(
            "Allocate children on SEN support when the scenario has a sen_support table; "
            "false allocates children with EHC plans only."
        ),
    )
    school_cost_per_child_gbp: float = Field(
        default=6_000.0,
        ge=0.0,
        le=100_000.0,
        description=(
            "£ per child per year (base-year prices) a school pays from its notional SEN "
            "budget for a child on SEN support in a mainstream setting. Default £6,000: the "
            "national threshold schools meet before High Needs top-up (an upper figure; "
            "replace it with your schools' average)."
        ),
    )
    partnership_share: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description=(
            "Share (fraction) of school-age children on SEN support (bands 5-10 and 11-15) "
            "whose level is partnership (alternative provision); the rest are at level "
            "sen_support. A judgement to replace; used where the sen_support table gives no "
            "base-year settings to take the mix from."
        ),
    )
    kept_in_mainstream_weight_gbp: float = Field(
        default=10_000.0,
        ge=0.0,
        le=1e9,
        description=(
            "Policy weight in £ of objective (not money) per child on SEN support per year "
            "kept in mainstream school because no place at their level is free. Above the "
            "extra cost of an alternative provision place over a school's own support, so "
            "free places are used; below the market's extra cost for a child with an EHC "
            "plan, so children with plans come first."
        ),
    )


class AllocationOptions(_Strict):
    """How the allocation linear programme is built and solved."""

    @model_validator(mode="before")
    @classmethod
    def _spot_purchase_replaced(cls, data: Any) -> Any:
        return refuse_removed(
            data,
            "spot_purchase",
            "replaced by 'market' (on by default): give the price as "
            "market: {prices: [{fee_per_place_gbp: ..., transport_per_place_gbp: ...}]}",
        )

    solver: Literal["auto", "highs", "cbc", "pulp-highs", "pulp-cbc"] = Field(
        default="auto",
        description=(
            "Engine: 'auto' (chosen by benchmark: Clp for linear programmes, HiGHS in this "
            "process for small ones (under 100k nonzeros, independent parts under 2,000 "
            "rows), for parts of 9,000 rows or more that its presolve cuts to under half "
            "their rows (a council's starter) and when there are build decisions), "
            "'highs' (HiGHS given the whole matrix), 'cbc' (the "
            "CBC/Clp binary PuLP ships, on an MPS file), or PuLP's own solver classes "
            "'pulp-highs' / 'pulp-cbc' (slower; a last resort)."
        ),
    )
    fallback_solver: bool = Field(
        default=True, description="Retry with the other engine if the first one fails."
    )
    unmet_penalty_gbp: float = Field(
        default=1_000_000.0,
        gt=0.0,
        le=1e9,
        description=(
            "Policy weight in £ of objective (not money) per child per year left with no "
            "place at all; used only when the market is switched off. Must exceed any unit "
            "cost so that the model places every child it can."
        ),
    )
    time_limit_seconds: float = Field(
        default=60.0, gt=0.0, le=86_400.0, description="Solver time limit, in seconds."
    )
    continuity: bool = Field(
        default=True,
        description=(
            "Children stay in their setting from year to year between phase transfers "
            "(reception, Year 7, Year 12, age 19); false re-places everyone every year."
        ),
    )
    market: Market = Field(
        default_factory=Market,
        description="The market of last resort for children the register cannot take.",
    )
    not_in_school: NotInSchool = Field(
        default_factory=lambda: NotInSchool(),
        description="Costs of children with plans who are not in a school or college.",
    )
    sen_support: SenSupport = Field(
        default_factory=lambda: SenSupport(),
        description="Children on SEN support in the allocation: levels, costs and payers.",
    )
    displacement_penalty_gbp: float = Field(
        default=400_000.0,
        gt=0.0,
        le=1e9,
        description=(
            "Policy weight in £ of objective (not money) per child moved out of their setting "
            "between transfer points in the last plan year; each earlier year adds one more "
            "multiple, so children move only when and as far as a closure or falling demand "
            "forces it. Below the unmet penalty."
        ),
    )


class UncertaintyOptions(_Strict):
    """The allocation over forecast sample paths: how likely places are to suffice."""

    draws: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description=(
            "Number of forecast sample paths to allocate (0: none). Each is allocated with "
            "the plan's model; outputs: uncertainty.csv, uncertainty_groups.csv, "
            "uncertainty_settings.csv, uncertainty_draws.csv, uncertainty_builds.csv (with capital "
            "options) and fan charts (a count)."
        ),
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        description="Seed of the draws; the scenario's seed when not given (a count).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Processes solving draws side by side; same answer for any number.",
    )


class Assumption(_Strict):
    """A value the scenario uses that the council's data did not give (a starter lists them).

    Reported with the results (``summary.json`` ``assumptions``), with those the run finds
    itself (defaults in force).
    """

    what: str = Field(min_length=1, description="What is assumed, in a few words.")
    value: str = Field(default="", description="The value used.")
    why: str = Field(default="", description="Why it is assumed (what the inputs lacked).")
    how_to_replace: str = Field(default="", description="How to give the real value.")


class Reference(_Strict):
    """Figures of the council's own to hold the model against (none changes the model)."""

    base_year_hnb_cost_gbp: float | None = Field(
        default=None,
        ge=0.0,
        le=1e11,
        description=(
            "The council's own High Needs Block spend on its children with plans in the base "
            "year (£; init --sen2 --costs writes it): reported beside the modelled base-year "
            "cost (summary.json base_year_hnb_cost)."
        ),
    )


class Scenario(_Strict):
    """A fully resolved scenario: what to run, on which data, with which options."""

    name: Annotated[str, Field(min_length=1, description="Short name, used in outputs.")]
    description: str = Field(default="", description="What question the scenario answers.")
    council: str = Field(
        default="",
        description="The council's name, the title of the report and workbook "
        "(the starter writes it); the scenario's name when blank.",
    )
    data: DataSources
    base_year: int = Field(
        ge=1990, le=2100, description="Last census year of history (calendar year)."
    )
    horizon_years: int = Field(
        default=10, ge=1, le=30, description="Number of plan years after the base year (years)."
    )
    seed: int = Field(
        default=0, ge=0, description="Seed of the random generator (sample paths); a count."
    )
    forecast: ForecastOptions = Field(default_factory=ForecastOptions)
    allocation: AllocationOptions = Field(default_factory=AllocationOptions)
    levers: Levers = Field(default_factory=Levers)
    capital: Capital = Field(default_factory=Capital)
    returns: ReturnsOptions = Field(
        default_factory=ReturnsOptions,
        description="Inputs of the DSG management plan (High Needs Block allocation).",
    )
    report: ReportOptions = Field(
        default_factory=ReportOptions, description="How tables meant for publication are written."
    )
    uncertainty: UncertaintyOptions = Field(default_factory=UncertaintyOptions)
    reference: Reference = Field(
        default_factory=Reference, description="The council's own figures to compare with."
    )
    assumptions: list[Assumption] = Field(
        default_factory=list,
        description=(
            "Values the inputs did not give, as the starter that wrote the scenario lists "
            "them; reported in summary.json with the defaults the run finds in force."
        ),
    )

    _sources: tuple[Path, ...] = PrivateAttr(default=())
    _applied: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, v: str) -> str:
        if any(ch in v for ch in "/\\\n"):
            raise ValueError("must not contain slashes or line breaks")
        return v

    @model_validator(mode="after")
    def _penalties_ordered(self) -> Scenario:
        unmet = self.allocation.unmet_penalty_gbp
        displaced = self.allocation.displacement_penalty_gbp
        if displaced >= unmet:
            raise ValueError(
                f"allocation.displacement_penalty_gbp ({displaced:g}) must be below "
                f"allocation.unmet_penalty_gbp ({unmet:g})"
            )
        ooa = self.levers.out_of_area
        if ooa is not None and ooa.miss_penalty_gbp >= displaced:
            raise ValueError(
                f"levers.out_of_area.miss_penalty_gbp ({ooa.miss_penalty_gbp:g}) must be below "
                f"allocation.displacement_penalty_gbp ({displaced:g})"
            )
        if ooa is not None and ooa.by_year <= self.base_year:
            raise ValueError("levers.out_of_area.by_year must be after base_year")
        return self

    @model_validator(mode="after")
    def _history_before_base(self) -> Scenario:
        start = self.forecast.history_start
        if start is not None and start >= self.base_year:
            raise ValueError(
                f"forecast.history_start ({start}) must be before base_year ({self.base_year})"
            )
        return self

    @model_validator(mode="after")
    def _flow_levers_have_flows(self) -> Scenario:
        for name, lever in self.levers.flow_levers.items():
            where = f"levers.{name}"
            if self.data.flows is None:
                raise ValueError(f"{where} acts on the flow model: give data.flows (a flows table)")
            if self.forecast.method not in ("flows", "auto"):
                raise ValueError(
                    f"{where} acts on the flow model: forecast.method must be 'flows' or 'auto', "
                    f"not {self.forecast.method!r}"
                )
            year = getattr(lever, "from_year", None) or getattr(lever, "by_year", None)
            if year is not None and year < self.base_year:
                raise ValueError(
                    f"{where}: {year} is before the base year {self.base_year}, the first "
                    "projected calendar year of flows"
                )
        return self

    @property
    def plan_years(self) -> list[int]:
        """The plan years: base year + 1 … base year + horizon."""
        return list(range(self.base_year + 1, self.base_year + self.horizon_years + 1))


class ScenarioFile(Scenario):
    """What a scenario YAML file may contain: a scenario plus composition keys.

    Precedence, lowest first: the file named by ``extends``; this file; the overrides
    of the chosen scenario (applied together — two overrides in one scenario may not set
    the same key); ``--set`` values given on the command line.
    """

    extends: Path | None = Field(
        default=None, description="Another scenario file this one starts from (relative path)."
    )
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "Named partial scenarios, as nested mappings or dotted keys "
            "(e.g. {'forecast.method': 'drift'})."
        ),
    )
    scenarios: dict[str, list[str]] = Field(
        default_factory=dict, description="Named scenarios: lists of override names to combine."
    )
