"""Naive and drift baselines: always computed, always reported, the end of every fallback chain."""

from __future__ import annotations

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings
from .spec import MethodSpec


def naive(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """Last value carried forward."""
    if len(data.y) < 1:
        raise MethodUnavailableError("naive needs at least 1 point")
    return Fit("naive", np.full(horizon, float(data.y[-1])))


def drift(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """Random walk with drift: last value plus the mean annual change, floored at zero."""
    y = data.y
    if len(y) < 2:
        raise MethodUnavailableError("drift needs at least 2 points")
    change = float(y[-1] - y[0]) / (len(y) - 1)
    h = np.arange(1, horizon + 1)
    return Fit("drift", np.maximum(y[-1] + change * h, 0.0), {"change_per_year": change})


#: The baselines, always backtested and reported beside the method chosen.
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("naive", "baseline", 1, False, False, None, naive, auto_rank=10),
    MethodSpec("drift", "baseline", 2, False, False, "naive", drift, auto_rank=11),
)
