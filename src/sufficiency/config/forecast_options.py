"""The `forecast` section of a scenario: how demand is projected."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .strict import Strict

Region = Literal[
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]
Reconciliation = Literal["bottom_up", "ols", "wls_struct", "mint_shrink"]


def method_names() -> tuple[str, ...]:
    """The projection methods a scenario may name: the forecast's one registry.

    Read when a scenario is validated (a late import: the registry lives with the methods,
    :data:`sufficiency.forecast.methods.METHOD_NAMES`, and this module keeps no list).
    """
    from ..forecast.methods import METHOD_NAMES

    return METHOD_NAMES


def choices(marker: str) -> tuple[str, ...]:
    """The values a field marked ``x-choices`` may take (for the schema and its reference)."""
    names = method_names()
    return ("auto", *names) if marker == "forecast-methods+auto" else names


class ForecastOptions(Strict):
    """How demand is projected."""

    method: str = Field(
        default="auto",
        description=(
            "Projection method: 'auto' (per series, by rolling-origin backtest error, the "
            "latest origins weighing most: the first candidate in order of preference "
            "within one standard error of the best, averaged with the best other where "
            "that is within one standard error too), or one of 'poisson_glm' / "
            "'negbin_glm' (rate per head of population with a linear trend; '_damped' "
            "variants damp the trend), "
            "'ets_add' / 'ets_mul' / 'ets_log' (exponential smoothing with a damped trend: "
            "additive or multiplicative errors on counts, or on log counts), 'arima' (ARIMA "
            "with drift on counts), 'cohort' (cohort component by single year of age), "
            "'flows' (the flow model on data.flows: next January's plans are this January's, "
            "aged, less ceased plus new, split over the series by their recent shares), "
            "'share' (last year's share of the parent series times the parent's recent "
            "linear trend), 'pooled' (the area's recent growth shrunk toward its region's "
            "and England's, from the shipped DfE reference panel), 'national' (the latest "
            "value moved with the region's and England's published series for its ages, "
            "projected by their recent linear trend, damped as backtested on them), "
            "'national_growth' (the latest value grown at their compound growth over "
            "their last three years), 'national_mean' (the mean of the two), 'drift' "
            "(last value plus average change) or 'naive' (last value). A method asked for "
            "that cannot run on "
            "the data is an error; where it cannot run on some series, the fallback used is "
            "listed in the run's warnings."
        ),
        json_schema_extra={"x-choices": "forecast-methods+auto"},
    )
    interval_level: float = Field(
        default=0.8,
        gt=0.0,
        lt=1.0,
        description="Coverage of prediction intervals, as a fraction (0.8 = 80% intervals).",
    )
    history_start: int | None = Field(
        default=None,
        ge=1990,
        le=2100,
        description="First census year (calendar year) of history used to fit; default all.",
    )
    breaks: tuple[int, ...] = Field(
        default=(),
        description=(
            "Census years (calendar years) at which a known structural break starts; "
            "fits use only history from the latest break on."
        ),
    )
    trend_years: int | None = Field(
        default=None,
        ge=2,
        le=50,
        description="Fit trends on only the last N history years (years); default all.",
    )
    series_start: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "First census year (calendar year) of history for some series, keyed by an age "
            "band or need ('20-25', 'ASD') or 'column=value'; e.g. {'20-25': 2020} keeps the "
            "2015-2020 ramp of plans for ages 20-25 out of that band's trend."
        ),
    )
    candidates: tuple[str, ...] | None = Field(
        default=None,
        description=(
            "Methods 'auto' chooses among (names as for 'method'); default every method the "
            "data supports ('flows' where data.flows covers every backtest origin). Naive "
            "and drift are always backtested and reported."
        ),
        json_schema_extra={"x-choices": "forecast-methods"},
    )
    reconcile: Reconciliation = Field(
        default="bottom_up",
        description=(
            "How forecasts by need and age band are made to add up to the total: "
            "'bottom_up' (cells as forecast, totals their sums), or optimal combination of "
            "forecasts of every level: 'ols', 'wls_struct' (weighted by the number of cells "
            "a series sums) or 'mint_shrink' (weighted by the shrunk covariance of backtest "
            "errors)."
        ),
    )
    backtest_origins: int = Field(
        default=8,
        ge=1,
        le=50,
        description=(
            "Most rolling origins of the backtest (years): the latest census years each "
            "method is refitted from and scored on."
        ),
    )
    backtest_horizon: int = Field(
        default=4,
        ge=1,
        le=15,
        description="Longest horizon scored in the backtest (years after the origin).",
    )
    damping: float = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description=(
            "Damping of damped trends, a factor per year: the trend added in the h-th "
            "projected year is damping^h times the fitted yearly trend (1 = no damping)."
        ),
    )
    pool_below: float = Field(
        default=20.0,
        ge=0.0,
        description=(
            "Series averaging fewer children a year than this (children per year) borrow "
            "strength from their parent series: the parent's rate trend, or a share of it."
        ),
    )
    max_rate_per_head: float = Field(
        default=0.25,
        gt=0.0,
        le=1.0,
        description=(
            "Most children a projection may hold per resident of the series' ages (a "
            "fraction of the population; applies when a population is given). A method "
            "projecting more is rejected for that series."
        ),
    )
    max_growth_multiple: float = Field(
        default=3.0,
        ge=1.0,
        description=(
            "Largest yearly growth of a projection, as a multiple of the series' own "
            "recorded yearly growth (of the rate per head when a population is given); a "
            "method projecting faster growth is rejected for that series."
        ),
    )
    growth_floor_per_year: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description=(
            "Recorded growth assumed at least (a fraction a year) by the growth bound, so a "
            "flat or falling series may still grow by max_growth_multiple times this."
        ),
    )
    ramp_ratio: float | None = Field(
        default=2.0,
        gt=1.0,
        description=(
            "A year-on-year rise of more than this ratio from a year at most a quarter of "
            "the series' later peak marks a structural start (a band created or "
            "redefined, e.g. 20-25 after 2014: 1, 6, 40): the series is fitted from after "
            "it and the run warns. null: no detection."
        ),
    )
    reference_region: Region | None = Field(
        default=None,
        description=(
            "Region whose published series (with England's) the 'pooled' method shrinks "
            "the area's trend toward; default England only. Reference data: Department "
            "for Education, OGL v3.0."
        ),
    )
    sample_paths: int = Field(
        default=1000,
        ge=100,
        le=100_000,
        description="Sample paths drawn per series for intervals and uncertainty (a count).",
    )

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        names = method_names()
        if value != "auto" and value not in names:
            raise ValueError(f"unknown method {value!r}; use one of: auto, {', '.join(names)}")
        return value

    @field_validator("candidates")
    @classmethod
    def _candidates(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        names = method_names()
        bad = [m for m in value or () if m not in names]
        if bad:
            raise ValueError(f"unknown method(s) {bad}; use one of: {', '.join(names)}")
        return value

    @field_validator("series_start")
    @classmethod
    def _years(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if not 1990 <= v <= 2100}
        if bad:
            raise ValueError(f"years must be between 1990 and 2100, got {bad}")
        return value
