"""The registry of projection methods: what each needs, its fallback, and how to call it.

One module per family of methods (:mod:`.baselines`, :mod:`.rate` with its batched GLM
fits :mod:`.ratefit` and :mod:`.glm`, :mod:`.smoothing`, :mod:`.arima`, :mod:`.cohort`,
:mod:`.flows` with the forecast's face of the flow model :mod:`.flowmethod`,
:mod:`.borrow`, :mod:`.pooled`, :mod:`.national`) declares its methods once, as ``SPECS``
(:class:`~.spec.MethodSpec`: names, needs, fallback, fit); :data:`METHODS` below is the
only list of names, read by ``forecast_demand``, ``auto``, the backtest and the scenario
schema.
"""

from __future__ import annotations

import numpy as np

from .. import bounds
from ..base import Fit, MethodUnavailableError, SeriesData, Settings, captured
from . import arima, baselines, borrow, cohort, flows, national, pooled, rate, smoothing
from .spec import MethodSpec, SeriesMethod

__all__ = [
    "BASELINES",
    "DEFAULT_CANDIDATES",
    "METHODS",
    "METHOD_NAMES",
    "MethodSpec",
    "SeriesMethod",
    "fallback_chain",
    "fit_series",
    "future_years",
]

#: Every family's module, in the order its methods are listed (the registry reads each
#: module's ``SPECS``; a new family is one module here and nowhere else).
FAMILIES = (baselines, rate, smoothing, arima, cohort, flows, borrow, pooled, national)

#: The one registry of projection methods: ``forecast_demand``, ``auto``, the backtest and
#: the scenario schema all read it.
METHODS: dict[str, MethodSpec] = {s.name: s for family in FAMILIES for s in family.SPECS}

#: Methods a caller may ask for by name (``auto`` chooses among them per series).
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)
#: Backwards-compatible alias: smallest number of history points each method needs.
MIN_POINTS: dict[str, int] = {name: spec.min_points for name, spec in METHODS.items()}
#: Methods always backtested and reported, whatever was asked for.
BASELINES: tuple[str, ...] = tuple(s.name for s in baselines.SPECS)
#: ``auto``'s default candidates in order of preference (each spec's ``auto_rank``): the one-
#: standard-error rule keeps the first whose backtest error is within one standard error of the
#: best (and, before any backtest, the first that applies). Structural models come first (rates per
#: head of population, the cohort model, the flow model where a flows table covers every backtest
#: origin), then borrowing from England and the region (``national``: the area's share of the
#: published series times their damped trend, 19% below drift's weighted error on every LA's
#: published series; ``pooled``), then from the parent (``share``), then the baselines. Exponential
#: smoothing and ARIMA are left out (they may still be asked for, or listed in ``candidates``): on
#: every LA's published series `auto` chose them for 0.1% of points, and their statsmodels fits
#: were 90% of the time of a forecast. ``ets_log`` (compounding trends of a few noisy points
#: explode) likewise.
DEFAULT_CANDIDATES: tuple[str, ...] = tuple(
    s.name
    for s in sorted(
        (s for s in METHODS.values() if s.auto_rank is not None), key=lambda s: s.auto_rank or 0
    )
)


def fallback_chain(method: str) -> list[str]:
    """``method`` followed by its fallbacks, ending with ``naive``."""
    chain = [method]
    while (nxt := METHODS[chain[-1]].fallback) is not None:
        chain.append(nxt)
    return chain


def fit_series(method: str, data: SeriesData, horizon: int, settings: Settings) -> Fit:
    """Fit one per-series method, capturing its warnings into the returned fit.

    Raises:
        MethodUnavailableError: If the method cannot be used on this series.
        bounds.BoundError: If its projection breaks a physical bound (see :mod:`.bounds`).
        FloatingPointError, ValueError, numpy.linalg.LinAlgError: If the fit fails.
    """
    spec = METHODS[method]
    if spec.fit is None:
        raise MethodUnavailableError(f"{method} is fitted per group of series, not per series")
    if len(data.y) < spec.min_points:
        raise MethodUnavailableError(f"{method} needs at least {spec.min_points} points")
    with captured() as caught:
        fit = spec.fit(data, horizon, settings)
    fit.warnings = caught + fit.warnings
    bounds.check(fit.mean, data, settings, future_years(data, horizon))
    return fit


def future_years(data: SeriesData, horizon: int) -> np.ndarray:
    """The years a fit of ``data`` projects."""
    last = int(data.t[-1]) if len(data.t) else 0
    return np.arange(last + 1, last + horizon + 1)
