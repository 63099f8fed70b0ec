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
    ok = np.flatnonzero(np.isfinite(row) & (row > 0))
    if len(ok) < 2:
        return None
    vals = np.asarray(row[ok], dtype=float)
    vals = vals[ramp_start(vals, REFERENCE_RAMP) :]
    gap = len(row) - 1 - int(ok[-1])
    if len(vals) < 2 or gap > MAX_GAP:
        return None
    slope = float(np.mean([_slope(vals[-w:]) for w in TREND_WINDOWS if w <= len(vals)]))
    steps = np.cumsum(damping ** np.arange(1, gap + horizon + 1, dtype=float))
    path = vals[-1] + slope * steps
    level = float(vals[-1]) if gap == 0 else float(path[gap - 1])
    return level, np.maximum(path[gap:], 0.0)


def national(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The latest value moved with the region's and England's projected series.

    Raises:
        MethodUnavailableError: Without children in the last year or a usable reference.
    """
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_NATIONAL or y[-1] <= 0:
        raise MethodUnavailableError("national needs children in the last history year")
    ratios = []
    for row in data.reference if data.reference is not None else ():
        got = reference_path(np.asarray(row, dtype=float), horizon, settings.damping)
        if got is not None and got[0] > 0:
            ratios.append(got[1] / got[0])
    if not ratios:
        raise MethodUnavailableError("national needs a published reference series")
    ratio = np.mean(ratios, axis=0)
    return Fit(
        "national",
        finite_forecast(float(y[-1]) * ratio, "national"),
        {"reference_growth_first_year": float(ratio[0] - 1.0)},
    )


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
)
