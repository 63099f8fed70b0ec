"""Borrowing strength from the parent series: a share of the parent's projection.

A cell (say ASD at ages 11-15) is noisier than its parent (all needs at 11-15), and a
small one (MSI, VI, PMLD in most councils) too noisy to carry a trend of its own.
``share`` projects a series as its share of the parent in the latest ``share_years``
years (default: the last year) times the parent's projection: a linear trend over the
parent's latest ``trend_window`` years — in the rate per head times the projected
population when population is given, in the count otherwise. The trend is estimated
where the counts are largest and the recent window follows a change of regime (such as
the 2014 reforms). The rate models borrow the parent's slope instead (see :mod:`.rate`).
"""

from __future__ import annotations

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .spec import MethodSpec

#: Fewest history years (a share and a trend of at least two changes).
MIN_POINTS_SHARE = 3


def share(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """The series' recent share of its parent times the parent's recent linear trend.

    Raises:
        MethodUnavailableError: If the series has no parent, is too short, or the parent has no
            children in the latest years.
    """
    if data.parent_y is None:
        raise MethodUnavailableError("share needs a parent series")
    y, py = data.y, data.parent_y
    if len(y) < MIN_POINTS_SHARE:
        raise MethodUnavailableError(f"share needs at least {MIN_POINTS_SHARE} points")
    k = min(settings.share_years, len(y))
    denominator = float(py[-k:].sum())
    if denominator <= 0:
        raise MethodUnavailableError("parent series has no children in the latest years")
    s = float(y[-k:].sum()) / denominator
    w = min(settings.trend_window, len(py))
    h = np.arange(1, horizon + 1, dtype=float)
    with_pop = data.parent_exposure is not None and data.parent_future_exposure is not None
    if with_pop:
        assert data.parent_exposure is not None and data.parent_future_exposure is not None
        rate = py / data.parent_exposure
        slope = float(rate[-1] - rate[-w]) / (w - 1)
        parent = np.maximum(rate[-1] + slope * h, 0.0) * data.parent_future_exposure
        growth = slope / rate[-1] if rate[-1] > 0 else 0.0
    else:
        slope = float(py[-1] - py[-w]) / (w - 1)
        parent = np.maximum(py[-1] + slope * h, 0.0)
        growth = slope / py[-1] if py[-1] > 0 else 0.0
    return Fit(
        "share",
        finite_forecast(s * parent, "share"),
        {"share_of_parent": s, "parent_trend_per_year": float(growth)},
    )


#: Last year's share of the parent series times the parent's recent trend.
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("share", "share", MIN_POINTS_SHARE, False, False, "drift", share, auto_rank=9),
)
