"""ARIMA with drift (statsmodels), small orders, on counts.

The counts ``y`` are modelled as ARIMA(0,1,0) or ARIMA(1,1,0) with a drift, the order
chosen by AICc; the drift is the long-run change per year. An ARIMA(p,1,0) with drift on
``y`` is an ARIMA(p,0,0) with a constant on ``Δy``; the latter is what is fitted, by
Burg's method (``fit(method="burg")``): on 8–12 points it is as good as maximum
likelihood and ten times faster. The forecast adds the forecast changes to the last
value. Counts rather than logs: on log counts the drift compounds, and a band ramping up
from a handful (the 20-25 band after 2015) is projected to explode. Moving-average
orders are left out: on short trending series their estimate sits at the non-invertible
boundary, where the likelihood optimiser fails to converge and is slow.
"""

from __future__ import annotations

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .spec import MethodSpec

#: Fewest points an ARIMA with drift is tried on.
MIN_POINTS_ARIMA = 8
#: Orders compared by AICc.
ORDERS: tuple[tuple[int, int, int], ...] = ((0, 1, 0), (1, 1, 0))


def arima_drift(data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """ARIMA(p,1,0) with drift on the counts, p of :data:`ORDERS` by AICc.

    Raises:
        MethodUnavailableError: If the series is too short.
        FloatingPointError: If no order gives a finite forecast.
    """
    y = np.asarray(data.y, dtype=float)
    if len(y) < MIN_POINTS_ARIMA:
        raise MethodUnavailableError(
            f"arima needs at least {MIN_POINTS_ARIMA} points, has {len(y)}"
        )
    from statsmodels.tsa.arima.model import ARIMA  # imported when used (slow to import)

    z = y
    dz = np.diff(z)
    best: tuple[float, np.ndarray, tuple[int, int, int], float] | None = None
    for order in ORDERS:
        try:
            res = ARIMA(dz, order=(order[0], 0, order[2]), trend="c").fit(method="burg")
        except (ValueError, np.linalg.LinAlgError):
            continue
        aicc = float(res.aicc)
        fc = z[-1] + np.cumsum(np.asarray(res.forecast(horizon), dtype=float))
        if not np.all(np.isfinite(fc)):
            continue
        if best is None or (np.isfinite(aicc) and aicc < best[0]):
            drift = float(np.asarray(res.params, dtype=float)[0])  # mean change: the drift
            best = (aicc if np.isfinite(aicc) else np.inf, fc, order, drift)
    if best is None:
        raise FloatingPointError("no ARIMA order could be fitted")
    _, fc, order, drift = best
    return Fit(
        "arima",
        finite_forecast(fc, "arima"),
        {"arima_p": float(order[0]), "change_per_year": drift},
    )


#: ARIMA with drift (not among ``auto``'s defaults, as exponential smoothing).
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("arima", "arima", MIN_POINTS_ARIMA, False, False, "drift", arima_drift),
)
