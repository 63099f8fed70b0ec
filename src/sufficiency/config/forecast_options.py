"""The `forecast` section of a scenario: how demand is projected."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .strict import Strict

ForecastMethod = Literal["poisson_glm", "naive", "drift", "auto"]


class ForecastOptions(Strict):
    """How demand is projected."""

    method: ForecastMethod = Field(
        default="poisson_glm",
        description=(
            "Projection method: 'poisson_glm' (rate per head of population with a trend), "
            "'naive' (last value), 'drift' (last value plus average change), or 'auto' "
            "(per series, the method with the lowest rolling-origin backtest error)."
        ),
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
