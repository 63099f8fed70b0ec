"""Rate models: Poisson and negative binomial GLMs of children per head, linear or damped trend.

``log E[y_t] = log(population_t) + a + b·(t − T)`` is fitted on the history (T its last
year). The projection uses the population projection and continues the trend, either
linearly (``a + b·h`` after h years) or damped (``a + b·(φ + φ² + … + φ^h)``).
Series averaging fewer than ``pool_below`` children a year borrow the slope ``b`` of their
parent series (e.g. all needs at that age) and fit only their own level ``a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, partial

import numpy as np

from ..base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .ratefit import FIT_FAILURES, Key, Problem, fit_many, glm_fit, key_of, remember, remembered
from .spec import MethodSpec

#: Smallest method-of-moments NB2 dispersion refitted as negative binomial (below: Poisson).
NB_MIN_ALPHA = 1e-6


def trend_steps(horizon: int, damping: float | None) -> np.ndarray:
    """Cumulative trend multipliers 1…h: ``h`` (linear) or ``φ + … + φ^h`` (damped)."""
    h = np.arange(1, horizon + 1, dtype=float)
    if damping is None or damping >= 1.0:
        return h
    return np.cumsum(damping**h)


def _nb_alpha(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """Method-of-moments NB2 dispersion: Var = μ + α μ² (0 when not overdispersed)."""
    df = max(len(y) - n_params, 1)
    return float(max(np.sum((y - mu) ** 2 - mu) / max(np.sum(mu**2), 1e-12) * len(y) / df, 0.0))


def _parent_inputs(data: SeriesData) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Counts, years before the last and population of the parent series (None: no
    slope to borrow)."""
    if data.parent_y is None or data.parent_exposure is None:
        return None
    py = np.asarray(data.parent_y, dtype=float)
    if py.sum() <= 0 or len(py) < 3:
        return None
    tt = np.asarray(data.t - data.t[-1], dtype=float)
    return py, tt, np.asarray(data.parent_exposure, dtype=float)


def parent_slope(data: SeriesData) -> tuple[float, float] | None:
    """Rate slope (and its variance) of the parent series, for small series to borrow.

    Many small series share one parent at each backtest origin, so the fit is remembered
    by the parent's data (the same numbers always give the same slope).
    """
    found = _parent_inputs(data)
    if found is None:
        return None
    return _parent_slope(*(a.tobytes() for a in found))


@lru_cache(maxsize=4096)
def _parent_slope(y: bytes, t: bytes, exposure: bytes) -> tuple[float, float] | None:
    """:func:`parent_slope` on the arrays' bytes (float64), memoised."""
    py, tt, ex = (np.frombuffer(b, dtype=float) for b in (y, t, exposure))
    try:
        params, cov, _, _ = glm_fit(py, tt, np.log(ex), None, None)
    except FIT_FAILURES:
        return None
    return float(params[1]), float(cov[1, 1])


def _inputs(
    data: SeriesData,
) -> Problem:
    """Counts, years before the last, log population and borrowed slope (if small) of a
    series' rate GLM."""
    if data.exposure is None:
        raise MethodUnavailableError("a rate GLM needs population")
    tt = data.t - data.t[-1]
    pooled = parent_slope(data) if data.small else None
    return np.asarray(data.y, dtype=float), tt, np.log(data.exposure), pooled


def _negbin_alpha(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    params: np.ndarray,
    pooled: tuple[float, float] | None,
) -> float:
    """NB2 dispersion from the Poisson fit's means."""
    mu = np.exp(offset + params[0] + params[1] * tt)
    return _nb_alpha(y, mu, 1 if pooled else 2)


def _usable(data: SeriesData, minimum: int) -> bool:
    """Whether a rate GLM can be fitted (population, enough points, a non-zero count)."""
    return (
        data.exposure is not None
        and data.future_exposure is not None
        and len(data.y) >= minimum
        and data.y.sum() > 0
    )


def prefit(datas: Sequence[SeriesData], *, negbin: bool) -> None:
    """Fit together, and remember, the GLMs :func:`rate_glm` will need for these series.

    Three batches (:func:`.glm.fit_batch`): the parents of small series (whose slopes
    they borrow), every series' Poisson fit, and with ``negbin`` the negative binomial
    refits. :func:`rate_glm` then finds its fits remembered; it fits any other itself.
    """
    with np.errstate(all="ignore"):
        usable = [d for d in datas if _usable(d, 3)]
        parents = [p for d in usable if d.small and (p := _parent_inputs(d)) is not None]
        _prefit([(py, tt, np.log(ex), None) for py, tt, ex in parents], None)
        problems = [q for d in usable if (q := _remembered_inputs(d)) is not None]
        _prefit(problems, None)
        if negbin:
            _prefit(*_negbin_refits(problems))


def _remembered_inputs(
    data: SeriesData,
) -> Problem | None:
    """:func:`_inputs`, or None for a small series whose parent's fit is not remembered
    (statsmodels fits it when the series is fitted, with its warnings captured there)."""
    parent = _parent_inputs(data) if data.small else None
    if (
        parent is not None
        and remembered(key_of(parent[0], parent[1], np.log(parent[2]), None, None)) is None
    ):
        return None
    return _inputs(data)


def _negbin_refits(
    problems: Sequence[Problem],
) -> tuple[list[Problem], list[float]]:
    """The negative binomial refits of remembered Poisson fits, and their dispersions."""
    refits, alphas = [], []
    for y, tt, offset, pooled in problems:
        done = remembered(key_of(y, tt, offset, None, pooled))
        if len(y) < 4 or done is None:
            continue
        alpha = _negbin_alpha(y, tt, offset, done[0], pooled)
        if alpha > NB_MIN_ALPHA:
            refits.append((y, tt, offset, pooled))
            alphas.append(alpha)
    return refits, alphas


def _prefit(
    problems: Sequence[Problem],
    alphas: Sequence[float] | None,
) -> None:
    """Fit the problems not yet remembered in one batch and remember them."""
    todo: dict[Key, int] = {}
    for r, (y, tt, offset, pooled) in enumerate(problems):
        key = key_of(y, tt, offset, None if alphas is None else alphas[r], pooled)
        if remembered(key) is None:
            todo.setdefault(key, r)
    if not todo:
        return
    rows = list(todo.values())
    done = fit_many(
        [problems[r] for r in rows], None if alphas is None else [alphas[r] for r in rows]
    )
    for key, fit in zip(todo, done, strict=True):
        if fit is not None:
            remember(key, fit)


def rate_glm(
    data: SeriesData,
    horizon: int,
    settings: Settings,
    *,
    family: str = "poisson",
    damped: bool = False,
) -> Fit:
    """Poisson or negative binomial GLM of the rate per head with a linear or damped trend.

    Args:
        data: The series; needs population (history and forecast years).
        horizon: Years to project.
        settings: ``damping`` and ``pool_below``.
        family: ``poisson`` or ``negbin`` (NB2 with a method-of-moments dispersion from the
            Poisson fit).
        damped: Damp the trend by ``settings.damping`` a year.

    Raises:
        MethodUnavailableError: Without population or non-zero counts.
        FloatingPointError: If the fit fails numerically.
    """
    name = ("poisson_glm" if family == "poisson" else "negbin_glm") + ("_damped" if damped else "")
    if data.exposure is None or data.future_exposure is None:
        raise MethodUnavailableError(f"{name} needs population")
    minimum = 3 + (family == "negbin")
    if len(data.y) < minimum:
        raise MethodUnavailableError(f"{name} needs at least {minimum} points, has {len(data.y)}")
    if data.y.sum() <= 0:
        raise MethodUnavailableError(f"{name} needs at least one non-zero count")
    y, tt, offset, pooled = _inputs(data)
    params, cov, phi, by_statsmodels = glm_fit(y, tt, offset, None, pooled)
    alpha = 0.0
    if family == "negbin":
        alpha = _negbin_alpha(y, tt, offset, params, pooled)
        if alpha > NB_MIN_ALPHA:
            params, cov, phi, by_statsmodels = glm_fit(y, tt, offset, alpha, pooled)
    steps = trend_steps(horizon, settings.damping if damped else None)
    mean = data.future_exposure * np.exp(np.clip(params[0] + params[1] * steps, -50, 50))
    return Fit(
        name,
        finite_forecast(mean, name),
        {
            "growth_per_year": float(np.expm1(params[1])),
            "slope": float(params[1]),
            "slope_var": float(cov[1, 1]),
            "dispersion": phi,
            "nb_alpha": alpha,
            "pooled_trend": float(pooled is not None),
            "glm_by_statsmodels": float(by_statsmodels),
        },
    )


#: Rate per head of population (Poisson or negative binomial GLM, linear or damped trend).
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("poisson_glm", "rate", 3, True, False, "drift", rate_glm, auto_rank=1),
    MethodSpec(
        "poisson_glm_damped",
        "rate",
        3,
        True,
        False,
        "poisson_glm",
        partial(rate_glm, damped=True),
        auto_rank=2,
    ),
    MethodSpec(
        "negbin_glm",
        "rate",
        4,
        True,
        False,
        "poisson_glm",
        partial(rate_glm, family="negbin"),
        auto_rank=3,
    ),
    MethodSpec(
        "negbin_glm_damped",
        "rate",
        4,
        True,
        False,
        "poisson_glm_damped",
        partial(rate_glm, family="negbin", damped=True),
        auto_rank=4,
    ),
)
