"""Exponential smoothing (statsmodels ETSModel) with damped trends, on log counts or counts.

Three variants, each with a damped additive trend: ``ets_add`` — additive errors on the
counts; ``ets_mul`` — multiplicative errors on the counts (needs every count positive);
``ets_log`` — additive errors on ``log(y + 1)``, so the trend is growth in proportion.
``ets_log`` is not among ``auto``'s default candidates: compounding a trend estimated on
a few noisy points (or on a band ramping up from a handful) projects explosive growth.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .spec import MethodSpec

#: Fewest points an ETS fit with a damped trend (5 parameters) is tried on.
MIN_POINTS_ETS = 8


def _params(res: Any) -> dict[str, float]:
    names = ("smoothing_level", "smoothing_trend", "damping_trend")
    params = [float(v) for v in np.asarray(res.params).ravel()]
    values = dict(zip(res.param_names, params, strict=False))
    return {f"ets_{n}": float(values[n]) for n in names if n in values}


def ets(data: SeriesData, horizon: int, settings: Settings, *, variant: str = "add") -> Fit:
    """ETS with a damped additive trend: ``variant`` ``add``, ``mul`` or ``log`` (above).

    Raises:
        MethodUnavailableError: If the series is too short, or (``ets_mul``) has a zero count.
        FloatingPointError: If the forecast is not finite.
    """
    name = f"ets_{variant}"
    log = variant == "log"
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_ETS:
        raise MethodUnavailableError(f"{name} needs at least {MIN_POINTS_ETS} points, has {len(y)}")
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # slow to import

    if log:
        model = ETSModel(np.log1p(y), error="add", trend="add", damped_trend=True)
    elif variant == "mul":
        if np.any(y <= 0):
            raise MethodUnavailableError("ets_mul needs every count positive")
        model = ETSModel(y, error="mul", trend="add", damped_trend=True)
    else:
        model = ETSModel(y, error="add", trend="add", damped_trend=True)
    res = model.fit(disp=False)
    fc = np.asarray(res.forecast(horizon), dtype=float)
    mean = np.expm1(np.clip(fc, -50, 50)) if log else fc
    return Fit(name, finite_forecast(mean, name), _params(res))


#: Exponential smoothing with a damped trend (not among ``auto``'s defaults: chosen for
#: 0.1% of points on every LA's published series, 90% of a forecast's time).
SPECS: tuple[MethodSpec, ...] = tuple(
    MethodSpec(
        f"ets_{v}", "smoothing", MIN_POINTS_ETS, False, False, "drift", partial(ets, variant=v)
    )
    for v in ("add", "mul", "log")
)
