"""The registry of projection methods: what each needs, its fallback, and how to call it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import bounds
from .arima import MIN_POINTS_ARIMA, arima_drift
from .base import Fit, MethodUnavailableError, SeriesData, Settings, captured
from .baselines import drift, naive
from .borrow import MIN_POINTS_SHARE, share
from .cohort import MIN_POINTS_COHORT
from .flows import MIN_POINTS_FLOWS
from .national import MIN_POINTS_NATIONAL, national
from .pooled import MIN_POINTS_POOLED, pooled
from .rate import rate_glm
from .smoothing import MIN_POINTS_ETS, ets

SeriesMethod = Callable[[SeriesData, int, Settings], Fit]


@dataclass(frozen=True)
class MethodSpec:
    """One projection method.

    Attributes:
        name: Name used in options, frames and diagnostics.
        family: ``rate``, ``smoothing``, ``arima``, ``cohort``, ``flows``, ``share``,
            ``pooled`` or ``baseline``.
        min_points: Fewest history years it is tried on.
        needs_population: Skipped when no population is given.
        needs_ages: Needs single-year-of-age history and population (cohort).
        fallback: Method used instead where this one cannot be (too short, failed).
        fit: The per-series function (``None`` for the cohort and the flow model, fitted
            per group of series).
        needs_flows: Skipped when no flows table is given (the flow model).
    """

    name: str
    family: str
    min_points: int
    needs_population: bool
    needs_ages: bool
    fallback: str | None
    fit: SeriesMethod | None
    needs_flows: bool = False


METHODS: dict[str, MethodSpec] = {
    s.name: s
    for s in (
        MethodSpec("naive", "baseline", 1, False, False, None, naive),
        MethodSpec("drift", "baseline", 2, False, False, "naive", drift),
        MethodSpec("poisson_glm", "rate", 3, True, False, "drift", rate_glm),
        MethodSpec(
            "poisson_glm_damped",
            "rate",
            3,
            True,
            False,
            "poisson_glm",
            partial(rate_glm, damped=True),
        ),
        MethodSpec(
            "negbin_glm", "rate", 4, True, False, "poisson_glm", partial(rate_glm, family="negbin")
        ),
        MethodSpec(
            "negbin_glm_damped",
            "rate",
            4,
            True,
            False,
            "poisson_glm_damped",
            partial(rate_glm, family="negbin", damped=True),
        ),
        MethodSpec(
            "ets_add",
            "smoothing",
            MIN_POINTS_ETS,
            False,
            False,
            "drift",
            partial(ets, variant="add"),
        ),
        MethodSpec(
            "ets_mul",
            "smoothing",
            MIN_POINTS_ETS,
            False,
            False,
            "drift",
            partial(ets, variant="mul"),
        ),
        MethodSpec(
            "ets_log",
            "smoothing",
            MIN_POINTS_ETS,
            False,
            False,
            "drift",
            partial(ets, variant="log"),
        ),
        MethodSpec("arima", "arima", MIN_POINTS_ARIMA, False, False, "drift", arima_drift),
        MethodSpec("cohort", "cohort", MIN_POINTS_COHORT, True, True, "poisson_glm", None),
        MethodSpec("flows", "flows", MIN_POINTS_FLOWS, False, False, "drift", None, True),
        MethodSpec("share", "share", MIN_POINTS_SHARE, False, False, "drift", share),
        MethodSpec("pooled", "pooled", MIN_POINTS_POOLED, False, False, "naive", pooled),
        MethodSpec("national", "pooled", MIN_POINTS_NATIONAL, False, False, "pooled", national),
    )
}

#: Methods a caller may ask for by name (``auto`` chooses among them per series).
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)
#: Backwards-compatible alias: smallest number of history points each method needs.
MIN_POINTS: dict[str, int] = {name: spec.min_points for name, spec in METHODS.items()}
#: Methods always backtested and reported, whatever was asked for.
BASELINES: tuple[str, ...] = ("naive", "drift")


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


def interval(paths: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of sample paths (draws on the second-to-last axis)."""
    alpha = (1.0 - level) / 2.0
    lower = np.quantile(paths, alpha, axis=-2)
    upper = np.quantile(paths, 1.0 - alpha, axis=-2)
    return lower, upper
