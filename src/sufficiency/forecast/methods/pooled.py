"""Borrowing strength from England and the region: an area's trend shrunk toward theirs.

An area's own recent trend is noisy: a few hundred children, five or six censuses, and a
band that only settled after the 2014 reforms. The region's and England's series for the
same ages (the shipped reference panel, :mod:`.reference`) move the same way, with far
less noise. ``pooled`` combines them by partial pooling (empirical Bayes, normal–normal):

* the area's growth ``g_a`` is the least-squares slope of ``log(y + 1)`` over its latest
  ``trend_window`` years (after any structural start), with sampling variance
  ``v_a = s² / Σ(t − t̄)²`` (``s²`` the residual variance; with two points ``v_a`` is
  taken as one, with one point the area has no trend of its own);
* the reference growth ``g_r`` is the mean of the region's and England's slopes over the
  same number of their latest published years up to the origin (the parent series'
  slope when no reference covers the series);
* areas' true growth scatters around the reference with spread ``τ`` (``pool_prior_sd``,
  0.05 a year by default), so the posterior mean is
  ``g = w·g_a + (1 − w)·g_r`` with ``w = τ² / (τ² + v_a)``: the noisier the area's own
  history, the more it follows England and its region.

The projection continues the last value (for a small series, averaging fewer than
``pool_below`` children, the end of the fitted line: its last count is mostly noise) with
that relative growth, damped like the
damped trends (``y_T · (1 + g·(φ + … + φ^h))``): a straight line rather than compound
growth, because post-reform surges slow down (the backtest shows compounding overshoots).
"""

from __future__ import annotations

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .spec import MethodSpec

#: Fewest history years: one is enough (its trend is then borrowed whole).
MIN_POINTS_POOLED = 1


def _slope(y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``log(y + 1)`` on time and its sampling variance."""
    z = np.log1p(np.asarray(y, dtype=float))
    n = len(z)
    if n < 2:
        return 0.0, np.inf
    if n == 2:
        return float(z[1] - z[0]), 1.0
    t = np.arange(n, dtype=float) - (n - 1) / 2.0
    sxx = float(t @ t)
    b = float(t @ (z - z.mean())) / sxx
    resid = z - z.mean() - b * t
    return b, float(resid @ resid) / (n - 2) / sxx


def reference_growth(data: SeriesData, window: int) -> float | None:
    """Mean slope of the reference series over their latest ``window`` published years."""
    slopes = []
    for row in data.reference if data.reference is not None else ():
        ok = np.flatnonzero(np.isfinite(row) & (row > 0))
        if len(ok) < 2:
            continue
        tail = row[ok[max(len(ok) - window, 0) :]]
        slopes.append(_slope(tail)[0])
    if slopes:
        return float(np.mean(slopes))
    if data.parent_y is not None and np.sum(data.parent_y) > 0:
        return _slope(data.parent_y[-window:])[0]
    return None


def pooled(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The area's recent growth shrunk toward its region's and England's, damped.

    Raises:
        MethodUnavailableError: Without a reference or parent series, or without children.
    """
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_POOLED or y[-1] <= 0:
        raise MethodUnavailableError("pooled needs children in the last history year")
    window = settings.trend_window
    target = reference_growth(data, window)
    if target is None:
        raise MethodUnavailableError("pooled needs a reference or parent series")
    own, var = _slope(y[-window:])
    tau2 = settings.pool_prior_sd**2
    weight = tau2 / (tau2 + var) if np.isfinite(var) else 0.0
    g = weight * own + (1.0 - weight) * target
    h = np.arange(1, horizon + 1, dtype=float)
    steps = np.cumsum(settings.damping**h) if settings.damping < 1 else h
    level = float(y[-1])
    if data.small:  # a handful of children: the last count is mostly noise
        z = np.log1p(y[-window:])
        level = float(np.expm1(z.mean() + g * (len(z) - 1) / 2.0))
    mean = level * np.maximum(1.0 + g * steps, 0.0)
    return Fit(
        "pooled",
        finite_forecast(mean, "pooled"),
        {
            "growth_per_year": float(g),
            "own_growth": float(own),
            "reference_growth": float(target),
            "own_weight": float(weight),
        },
    )


#: The area's recent growth shrunk toward its region's and England's.
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec(
        "pooled",
        "pooled",
        MIN_POINTS_POOLED,
        False,
        False,
        "naive",
        pooled,
        auto_rank=8,
        needs_reference=True,
    ),
)
