"""Shared types of the projection methods: one series' data, a fit, settings, warning capture."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np


class MethodUnavailableError(ValueError):
    """A method cannot be used on this series (too short, no population, no parent…)."""


@dataclass(frozen=True)
class Settings:
    """Tuning shared by the methods.

    Attributes:
        damping: Per-year damping factor of damped trends (0 < φ ≤ 1): the trend added in
            the h-th future year is φ^h times the fitted one.
        pool_below: Series averaging fewer children a year than this borrow the rate trend
            of their parent series in the rate models.
        share_years: Number of latest years whose share of the parent a ``share`` forecast
            keeps.
        trend_window: Number of latest years a ``share`` forecast's parent trend (and a
            ``pooled`` forecast's own trend, and the recorded growth of the growth bound)
            is estimated over.
        max_rate_per_head: Most children per resident of a series' ages (a fraction).
        max_growth_multiple: Largest yearly growth of a projection, as a multiple of the
            series' recorded yearly growth (see :mod:`.bounds`).
        growth_floor_per_year: Recorded growth assumed at least (a fraction a year), so a
            flat or falling series may still grow a little.
        pool_prior_sd: Spread of areas' true yearly growth around their region's and
            England's (log growth a year): the prior of the ``pooled`` method.
    """

    damping: float = 0.9
    pool_below: float = 20.0
    share_years: int = 1
    trend_window: int = 5
    max_rate_per_head: float = 0.25
    max_growth_multiple: float = 3.0
    growth_floor_per_year: float = 0.05
    pool_prior_sd: float = 0.05


@dataclass
class SeriesData:
    """History of one series up to a forecast origin, and what a method may borrow.

    Attributes:
        y: Children per history year.
        t: History years.
        exposure: Population for the history years (``None``: no population).
        future_exposure: Population for the forecast years.
        parent_y: The parent series' history (e.g. all needs at this age), if any.
        parent_exposure: Parent population for the history years.
        parent_future_exposure: Parent population for the forecast years.
        small: Whether the series is small enough to borrow strength from its parent.
        reference: Reference series (the region's, England's) for the same ages over the
            history years ``(R, len(y))``, NaN where not published; or ``None``.
        ceilings: Growth ceilings of this history already computed, by horizon and
            settings (:func:`~sufficiency.forecast.bounds.growth_ceiling`: every method
            fitted to the series at an origin is held to the same one).
    """

    y: np.ndarray
    t: np.ndarray
    exposure: np.ndarray | None = None
    future_exposure: np.ndarray | None = None
    parent_y: np.ndarray | None = None
    parent_exposure: np.ndarray | None = None
    parent_future_exposure: np.ndarray | None = None
    small: bool = False
    reference: np.ndarray | None = None
    ceilings: dict[tuple[int, Settings], np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )


@dataclass
class Fit:
    """Point forecast of one series from one method.

    Attributes:
        method: Method name.
        mean: Point forecast per future year (children, non-negative).
        params: Fitted parameters worth reporting (e.g. ``growth_per_year``).
        warnings: Text of warnings raised while fitting.
    """

    method: str
    mean: np.ndarray
    params: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@contextmanager
def captured() -> Iterator[list[str]]:
    """Record every warning raised inside (statsmodels, numpy) instead of showing it.

    Yields:
        A list that receives ``"Category: message"`` for each warning.
    """
    out: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="ignore"):
                yield out
        finally:
            out.extend(f"{w.category.__name__}: {w.message}" for w in record)


def finite_forecast(mean: np.ndarray, method: str) -> np.ndarray:
    """Check a point forecast is finite and floor it at zero.

    Raises:
        FloatingPointError: If any value is not finite.
    """
    mean = np.asarray(mean, dtype=float)
    if not np.all(np.isfinite(mean)):
        raise FloatingPointError(f"{method} produced a non-finite forecast")
    return np.maximum(mean, 0.0)


def interval(paths: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of sample paths (draws on the second-to-last axis).

    Both ends in one call: numpy then orders each cell's draws once for the two (a
    council's 60 series × 1,000 draws × 10 years: 10.6 ms against 15.2 ms, the same
    values to the bit)."""
    alpha = (1.0 - level) / 2.0
    lower, upper = np.quantile(paths, [alpha, 1.0 - alpha], axis=-2)
    return lower, upper
