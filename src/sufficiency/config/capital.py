"""The `capital` section of a scenario: places the council could create, and when.

Capital cost becomes an equivalent annual cost over the asset's life at the discount rate
(the annuity formula): ``annual = capital × r / (1 − (1 + r)^−n)`` for rate ``r > 0`` and
life ``n`` years (``capital / n`` when ``r = 0``). The model charges it in every plan year
the option is open, beside the running cost of its places.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .levers import TierName, _needs
from .strict import Strict


class NewSetting(Strict):
    """The setting an option creates."""

    tier: TierName = Field(description="Tier of the new places.")
    in_area: bool = Field(default=True, description="Whether the places are in the LA's area.")
    needs: list[str] = Field(
        default_factory=list, description="Needs the places meet (codes or labels); [] = all."
    )
    age_min: int = Field(ge=0, le=25, description="Youngest age served (years).")
    age_max: int = Field(ge=0, le=25, description="Oldest age served (years).")
    transport_per_place: float = Field(
        default=0.0, ge=0.0, description="Home-to-school transport, £ per child per year."
    )

    @field_validator("needs")
    @classmethod
    def _check_needs(cls, v: list[str]) -> list[str]:
        return _needs(v)

    @model_validator(mode="after")
    def _ages(self) -> NewSetting:
        if self.age_min > self.age_max:
            raise ValueError("age_min is greater than age_max")
        return self


class CapitalOption(Strict):
    """One way to create places: a new setting, or an expansion of an existing one."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Short id.")
    description: str = Field(default="", description="What and where.")
    creates: NewSetting | None = Field(
        default=None, description="The new setting (give this or `expands`)."
    )
    expands: str | None = Field(
        default=None,
        description="Id of a register setting to expand: the new places share its tier, "
        "area, needs and ages (give this or `creates`).",
    )
    places: int = Field(gt=0, description="Places once full (places per year).")
    fill: list[float] = Field(
        default_factory=list,
        description="Share of `places` available in each year from opening, e.g. "
        "[0.25, 0.5, 0.75] then full; [] = all places at opening (fractions).",
    )
    earliest_year: int = Field(ge=1990, le=2100, description="Earliest opening year (census).")
    lead_time_years: int = Field(
        default=0, ge=0, le=20, description="Years from decision to opening (years)."
    )
    capital_cost_gbp: float = Field(
        ge=0.0, le=1e10, description="Capital cost, £ (base-year prices)."
    )
    cost_per_place_gbp: float = Field(
        gt=0.0,
        le=5e6,
        description="Running cost, £ per place per year once open (base-year prices).",
    )
    decision: Literal["optimise", "build", "never"] = Field(
        default="optimise",
        description="'optimise': the model decides whether and when; 'build': open at the "
        "earliest possible year; 'never': leave out.",
    )

    @field_validator("fill")
    @classmethod
    def _fill(cls, v: list[float]) -> list[float]:
        if any(not 0.0 <= f <= 1.0 for f in v):
            raise ValueError("fill shares must be between 0 and 1")
        return v

    @model_validator(mode="after")
    def _one_target(self) -> CapitalOption:
        if (self.creates is None) == (self.expands is None):
            raise ValueError("give exactly one of `creates` and `expands`")
        return self


class Capital(Strict):
    """Capital options and how to value them."""

    discount_rate: float = Field(
        default=0.035,
        ge=0.0,
        le=0.5,
        description="Real discount rate per year, as a fraction (Green Book: 0.035).",
    )
    asset_life_years: int = Field(
        default=40, ge=1, le=100, description="Years over which capital cost is annualised."
    )
    budget_gbp: float | None = Field(
        default=None, ge=0.0, description="Total capital budget over the plan, £."
    )
    budget_by_year_gbp: dict[int, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=dict,
        description="Capital budget by opening year, £ (capital is spent in the year it opens).",
    )
    exclusive: list[list[str]] = Field(
        default_factory=list,
        description="Groups of option names of which at most one may be built.",
    )
    mip_gap: float = Field(
        default=1e-3,
        gt=0.0,
        lt=1.0,
        description=(
            "Relative optimality gap to stop at (fraction): the plan's objective is within "
            "this fraction of the best any plan could reach; the gap reached is reported."
        ),
    )
    options: list[CapitalOption] = Field(default_factory=list, description="The options.")

    @model_validator(mode="after")
    def _names(self) -> Capital:
        names = [o.name for o in self.options]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"option names must be unique: {', '.join(dupes)}")
        for group in self.exclusive:
            unknown = [n for n in group if n not in names]
            if unknown:
                raise ValueError(f"exclusive names unknown options: {', '.join(unknown)}")
        return self

    def annual_cost(self, capital: float) -> float:
        """Equivalent annual cost of ``capital`` (see the module doc), £ per year."""
        r, n = self.discount_rate, self.asset_life_years
        if r == 0:
            return capital / n
        return capital * r / (1.0 - (1.0 + r) ** (-n))
