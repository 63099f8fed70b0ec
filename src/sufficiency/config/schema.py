"""The scenario schema: strict, frozen pydantic models with a unit for every number."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .capital import Capital
from .forecast_options import ForecastOptions
from .levers import Levers
from .strict import Strict as _Strict

#: The input tables a scenario names, in the order they are read.
TABLES = (
    "caseload",
    "population",
    "settings",
    "cost_assumptions",
    "sen_support",
    "setting_places",
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


class SpotPurchase(_Strict):
    """An unlimited, out-of-area fallback at a high price: the independent market."""

    tier: Literal["special_school", "independent"] = Field(
        default="independent", description="Tier of spot-purchased places."
    )
    cost_per_place_gbp: float = Field(
        gt=0.0, le=1e7, description="Fee, £ per place per year (base-year prices)."
    )
    transport_per_place_gbp: float = Field(
        default=0.0,
        ge=0.0,
        le=1e6,
        description="Transport, £ per child per year (base-year prices).",
    )


class AllocationOptions(_Strict):
    """How the allocation linear programme is built and solved."""

    solver: Literal["auto", "highs", "cbc", "pulp-highs", "pulp-cbc"] = Field(
        default="auto",
        description=(
            "Engine: 'auto' (chosen by benchmark: Clp for linear programmes, HiGHS when "
            "there are build decisions), 'highs' (HiGHS given the whole matrix), 'cbc' (the "
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
            "Penalty in £ per child per year left without a place (the sufficiency gap). "
            "Must exceed any unit cost so that the model places every child it can."
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
    spot_purchase: SpotPurchase | None = Field(
        default=None,
        description=(
            "If set, children who find no place in the register are placed out of area at "
            "this price (setting id SPOT, every need and age) instead of being left "
            "without a place; they then show as SPOT placements, not as shortfall."
        ),
    )
    displacement_penalty_gbp: float = Field(
        default=400_000.0,
        gt=0.0,
        le=1e9,
        description=(
            "Penalty in £ per child moved out of their setting between transfer points in the "
            "last plan year; each earlier year adds one more multiple, so children move only "
            "when and as far as a closure or falling demand forces it. Below the unmet penalty."
        ),
    )


class Scenario(_Strict):
    """A fully resolved scenario: what to run, on which data, with which options."""

    name: Annotated[str, Field(min_length=1, description="Short name, used in outputs.")]
    description: str = Field(default="", description="What question the scenario answers.")
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
