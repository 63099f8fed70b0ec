"""Ratio to England and the region: an area's series moves with the published series of its ages.

Every area's caseload by age band rides the same national wave: flat until the 2014
reforms, then ≈10% a year, with the 16–19 and 20–25 bands surging and then slowing. An
area's own few censuses cannot tell a lasting trend from noise; the published series of
its region and of England (the shipped reference panel, :mod:`.reference`) can, and an
area's share of them changes slowly. ``national`` therefore projects

    ``y_{T+h} = y_T · R_{T+h} / R_T``

averaged over the reference series ``R`` (the region's, if given, and England's for the
series' ages): the area keeps its latest share while the reference follows its own recent
linear trend — the mean of its least-squares slopes over its latest
:data:`TREND_WINDOWS` published years after any structural start (a band created by
the reforms) — damped like every damped trend here (the ``h``-th step is ``φ^h`` of the
slope, ``φ`` = ``damping``, 0.9 by default). Only years up to the forecast origin are
used: the reference is cut with the series' history. Where the reference stops before the
series' last year (the panel's age bands end in 2022), its trend is carried over the gap.

Evidence (every LA's published series by age band, origins 2017–2021, horizons 1–4, see
``docs/forecasting.md``): a weighted absolute percentage error 19% below drift's, better
at every origin; longer trend windows (4–5 years), log-linear (compound) national trends,
damping estimated from the reference's later-to-earlier growth and trending the area's
share all did worse.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from ..panel import ramp_start
from .spec import MethodSpec

#: Fewest history years: the latest value is the anchor.
MIN_POINTS_NATIONAL = 1
#: Latest published years of the reference whose linear slopes are averaged.
TREND_WINDOWS: tuple[int, ...] = (2, 3)
#: Ratio of a year-on-year rise that marks a reference's structural start.
REFERENCE_RAMP = 2.0
#: Most years a reference may end before the series' last year.
MAX_GAP = 3
#: Dampings ``national`` chooses among by backtesting them on the reference's own history.
DAMPING_GRID: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9, 1.0)
#: Latest origins (and longest horizon) of that backtest: the forecast is used 2–3 years out.
DAMPING_ORIGINS = 4
DAMPING_HORIZON = 3
#: Years of compound growth the national-growth rule reads (after any structural start).
GROWTH_YEARS = 3


def _slope(v: np.ndarray) -> float:
    t = np.arange(len(v), dtype=float) - (len(v) - 1) / 2.0
    return float(t @ (v - v.mean()) / (t @ t))


def reference_path(
    row: np.ndarray, horizon: int, damping: float
) -> tuple[float, np.ndarray] | None:
    """A reference series' level in the series' last year and its projection after it.

    Args:
        row: The reference over the series' history years (NaN where not published).
        horizon: Years projected.
        damping: Per-year damping of the trend.

    Returns:
        ``(level, future)``, or ``None`` where the reference has fewer than two published
        years after its structural start or ends more than :data:`MAX_GAP` years early.
    """
    got = _usable(row)
    if got is None:
        return None
    vals, gap = got
    path = _damped(vals, gap + horizon, damping)
    level = float(vals[-1]) if gap == 0 else float(path[gap - 1])
    return level, np.maximum(path[gap:], 0.0)


def _damped(vals: np.ndarray, steps: int, damping: float) -> np.ndarray:
    """``vals`` projected ``steps`` years on its recent linear trend, damped."""
    slope = float(np.mean([_slope(vals[-w:]) for w in TREND_WINDOWS if w <= len(vals)]))
    return vals[-1] + slope * np.cumsum(damping ** np.arange(1, steps + 1, dtype=float))


def _usable(row: np.ndarray) -> tuple[np.ndarray, int] | None:
    """A reference's published years after its structural start, and the years it ends
    before the series' last year (``None``: too short, or ends too early)."""
    ok = np.flatnonzero(np.isfinite(row) & (row > 0))
    if len(ok) < 2:
        return None
    vals = np.asarray(row[ok], dtype=float)
    vals = vals[ramp_start(vals, REFERENCE_RAMP) :]
    gap = len(row) - 1 - int(ok[-1])
    if len(vals) < 2 or gap > MAX_GAP:
        return None
    return vals, gap


def backtested_damping(rows: np.ndarray, default: float) -> float:
    """The damping whose forecasts of the reference series themselves were best.

    Each reference (the region's, England's) is projected from its latest
    :data:`DAMPING_ORIGINS` origins (with at least three published years before) up to
    :data:`DAMPING_HORIZON` years with each damping of :data:`DAMPING_GRID`; the one with
    the lowest mean absolute log error wins. Only years up to the forecast origin are used
    (the rows are cut with the series' history); ``default`` where nothing can be scored.
    """
    rows = np.asarray(rows, dtype=float)
    rows = np.where(np.isfinite(rows), rows, -1.0)  # unpublished (NaN keys never match)
    return _backtested_damping(tuple(map(tuple, rows.tolist())), float(default))


@lru_cache(maxsize=4096)
def _backtested_damping(rows: tuple[tuple[float, ...], ...], default: float) -> float:
    grid = np.asarray(DAMPING_GRID)
    steps = np.cumsum(grid[:, None] ** np.arange(1, DAMPING_HORIZON + 1)[None, :], axis=1)
    errors = np.zeros(len(grid))
    scored = 0
    for row in rows:
        got = _usable(np.asarray(row, dtype=float))
        if got is None:
            continue
        vals = got[0]
        for o in range(max(3, len(vals) - DAMPING_ORIGINS), len(vals)):
            h = min(DAMPING_HORIZON, len(vals) - o)
            past = vals[:o]
            slope = float(np.mean([_slope(past[-w:]) for w in TREND_WINDOWS if w <= len(past)]))
            f = np.maximum(past[-1] + slope * steps[:, :h], 1.0)  # (G, h)
            errors += np.abs(np.log(f) - np.log(vals[o : o + h])[None, :]).sum(axis=1)
            scored += h
    if scored == 0:
        return default
    return float(grid[int(np.argmin(errors))])


def national(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The latest value moved with the region's and England's projected series.

    Raises:
        MethodUnavailableError: Without children in the last year or a usable reference.
    """
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_NATIONAL or y[-1] <= 0:
        raise MethodUnavailableError("national needs children in the last history year")
    rows = data.reference if data.reference is not None else np.zeros((0, len(y)))
    damping = backtested_damping(rows, settings.damping)
    ratios = []
    for row in rows:
        got = reference_path(np.asarray(row, dtype=float), horizon, damping)
        if got is not None and got[0] > 0:
            ratios.append(got[1] / got[0])
    if not ratios:
        raise MethodUnavailableError("national needs a published reference series")
    ratio = np.mean(ratios, axis=0)
    return Fit(
        "national",
        finite_forecast(float(y[-1]) * ratio, "national"),
        {"reference_growth_first_year": float(ratio[0] - 1.0), "damping": damping},
    )


def compound_growth(row: np.ndarray) -> float | None:
    """A reference's compound yearly growth over its latest :data:`GROWTH_YEARS` published
    years after any structural start (``None``: unusable)."""
    got = _usable(np.asarray(row, dtype=float))
    if got is None:
        return None
    vals = got[0][-(GROWTH_YEARS + 1) :]
    return float((vals[-1] / vals[0]) ** (1.0 / (len(vals) - 1)) - 1.0)


def national_growth(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The latest value grown at the region's and England's recent compound growth.

    The one-line rule a planner would write: the area keeps its share of the published
    series for its ages, which grow as they did over their latest three years (after any
    structural start), compounded, undamped; the region's and England's growth averaged.

    Raises:
        MethodUnavailableError: Without children in the last year or a usable reference.
    """
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_NATIONAL or y[-1] <= 0:
        raise MethodUnavailableError("national_growth needs children in the last history year")
    rows = data.reference if data.reference is not None else ()
    growth = [g for row in rows if (g := compound_growth(row)) is not None]
    if not growth:
        raise MethodUnavailableError("national_growth needs a published reference series")
    g = float(np.mean(growth))
    h = np.arange(1, horizon + 1, dtype=float)
    return Fit(
        "national_growth",
        finite_forecast(float(y[-1]) * (1.0 + g) ** h, "national_growth"),
        {"reference_growth_per_year": g},
    )


def national_mean(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The mean of ``national`` (damped linear reference trend) and ``national_growth``
    (compound, undamped): two readings of the same wave, neither clearly better.

    Raises:
        MethodUnavailableError: Where either cannot be used.
    """
    a = national(data, horizon, settings)
    b = national_growth(data, horizon, settings)
    return Fit("national_mean", (a.mean + b.mean) / 2.0, {**a.params, **b.params})


#: The latest value moved with the region's and England's published series for its ages.
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec(
        "national",
        "pooled",
        MIN_POINTS_NATIONAL,
        False,
        False,
        "pooled",
        national,
        auto_rank=7,
        needs_reference=True,
    ),
    MethodSpec(
        "national_growth",
        "pooled",
        MIN_POINTS_NATIONAL,
        False,
        False,
        "national",
        national_growth,
        auto_rank=None,
        needs_reference=True,
    ),
    MethodSpec(
        "national_mean",
        "pooled",
        MIN_POINTS_NATIONAL,
        False,
        False,
        "national",
        national_mean,
        auto_rank=None,
        needs_reference=True,
    ),
)
