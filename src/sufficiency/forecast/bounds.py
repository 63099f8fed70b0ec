"""Physical bounds on a projection: a ceiling per head of population and a growth ceiling.

A projection is only believable if it could happen. Two ceilings, per series and future
year ``h``:

* **population**: at most ``max_rate_per_head`` children per resident of the series'
  ages (when a population is given); with the default 0.25 no English LA comes near it
  (the highest published rates are under 10% of an age band), and a cell above it is a
  method extrapolating a ramp, not a forecast.
* **growth**: at most ``base · (1 + max_growth_multiple · g)^h``, where ``g`` is the
  series' own recorded growth per year (the yearly log growth over its latest
  ``trend_window`` history years, see :func:`recorded_growth` after any structural start, at least
  ``growth_floor_per_year``; its parent's when it has fewer than two years) and
  ``base`` the largest of its last three values (at least 1). With a population, growth
  is of the rate per head (the count's growth less the population's) and the ceiling
  moves with the projected population: a birth bulge ageing into a band is not growth.

A method whose projection breaks a ceiling is rejected for that series (:class:`BoundError`):
in the backtest its fallback stands in, ``auto`` excludes it, and the final fit goes down
the ranking. ``naive`` (the last value) never breaks the growth ceiling, so every chain
ends in a projection within bounds (clipped to the population ceiling in the last resort).
"""

from __future__ import annotations

import numpy as np

from .base import SeriesData, Settings


class BoundError(ValueError):
    """A projection breaks a physical bound (the message says which and where)."""


def recorded_growth(y: np.ndarray, window: int) -> float | None:
    """Yearly log growth of ``y`` over its latest ``window`` years (``None``: too short).

    The least-squares slope of ``log(y + 1)`` (robust to one noisy end point), or the
    growth between the end points when that is larger (a series still accelerating).
    """
    y = np.log1p(np.asarray(y, dtype=float)[-window:])
    w = len(y)
    if w < 2:
        return None
    t = np.arange(w, dtype=float) - (w - 1) / 2.0
    slope = float(t @ (y - y.mean()) / (t @ t))
    return max(slope, float(y[-1] - y[0]) / (w - 1))


def _population_growth(exposure: np.ndarray | None, window: int) -> float:
    if exposure is None or len(exposure) < 2:
        return 0.0
    w = min(window, len(exposure))
    return float(np.log(exposure[-1] / exposure[-w]) / (w - 1))


def growth_ceiling(data: SeriesData, horizon: int, settings: Settings) -> np.ndarray:
    """``(horizon,)`` largest projection the growth bound allows (remembered by ``data``;
    do not modify it)."""
    cap = data.ceilings.get((horizon, settings))
    if cap is None:
        cap = data.ceilings[(horizon, settings)] = _growth_ceiling(data, horizon, settings)
    return cap


def _growth_ceiling(data: SeriesData, horizon: int, settings: Settings) -> np.ndarray:
    window = settings.trend_window
    g = recorded_growth(data.y, window)
    if g is not None:
        g -= _population_growth(data.exposure, window)
    elif data.parent_y is not None:
        g = recorded_growth(data.parent_y, window)
        if g is not None:
            g -= _population_growth(data.parent_exposure, window)
    rate = max(float(np.expm1(g)) if g is not None else 0.0, settings.growth_floor_per_year)
    base = max(float(np.max(data.y[-3:])) if len(data.y) else 0.0, 1.0)
    h = np.arange(1, horizon + 1, dtype=float)
    cap = base * (1.0 + settings.max_growth_multiple * rate) ** h
    if data.exposure is not None and data.future_exposure is not None and len(data.exposure):
        cap = cap * np.asarray(data.future_exposure[:horizon], dtype=float) / data.exposure[-1]
    return cap


def population_ceiling(data: SeriesData, horizon: int, settings: Settings) -> np.ndarray | None:
    """``(horizon,)`` children the population bound allows (``None``: no population)."""
    if data.future_exposure is None:
        return None
    return settings.max_rate_per_head * np.asarray(data.future_exposure[:horizon], dtype=float)


def check(
    mean: np.ndarray,
    data: SeriesData,
    settings: Settings,
    years: np.ndarray,
    growth: bool = True,
) -> None:
    """Raise :class:`BoundError` if ``mean`` breaks a bound.

    Args:
        mean: Projection ``(H,)``.
        data: The series' history (and population).
        settings: The bounds (``max_rate_per_head``, ``max_growth_multiple`` …).
        years: The projected years ``(H,)`` (for the message).
        growth: Check the growth bound too. The cohort method is held to the population
            bound only: it moves children between bands as they age (a bulge leaving
            16-19 fills 20-25), which a band's own recorded growth cannot foresee.
    """
    horizon = len(mean)
    pop = population_ceiling(data, horizon, settings)
    if pop is not None:
        over = np.flatnonzero(mean > pop * (1 + 1e-9))
        if len(over):
            j = int(over[0])
            raise BoundError(
                f"projects {mean[j]:,.0f} in {int(years[j])}, above {settings.max_rate_per_head:g} "
                f"per head of a population of {float(data.future_exposure[j]):,.0f}"  # type: ignore[index]
            )
    if not growth:
        return
    cap = growth_ceiling(data, horizon, settings)
    over = np.flatnonzero(mean > cap * (1 + 1e-9))
    if len(over):
        j = int(over[0])
        raise BoundError(
            f"projects {mean[j]:,.0f} in {int(years[j])}, beyond the growth bound of "
            f"{cap[j]:,.0f} ({settings.max_growth_multiple:g}x the series' recorded growth)"
        )


def clip(mean: np.ndarray, data: SeriesData, settings: Settings) -> np.ndarray:
    """``mean`` held within both ceilings (the last resort when nothing else fits)."""
    horizon = len(mean)
    out = np.minimum(mean, growth_ceiling(data, horizon, settings))
    pop = population_ceiling(data, horizon, settings)
    return out if pop is None else np.minimum(out, pop)
