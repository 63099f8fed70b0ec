"""Rate models: Poisson and negative binomial GLMs of children per head, linear or damped trend.

``log E[y_t] = log(population_t) + a + b·(t − T)`` is fitted on the history (T its last
year). The projection uses the population projection and continues the trend, either
linearly (``a + b·h`` after h years) or damped (``a + b·(φ + φ² + … + φ^h)``).
Series averaging fewer than ``pool_below`` children a year borrow the slope ``b`` of their
parent series (e.g. all needs at that age) and fit only their own level ``a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast
from .glm import fit_batch

#: One rate GLM's coefficients (a, b), covariance, Pearson dispersion, and whether
#: statsmodels fitted it.
_Done = tuple[np.ndarray, np.ndarray, float, bool]
#: One rate GLM to fit: counts, years before the last, log population, borrowed slope.
_Problem = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float] | None]
#: What a fit is remembered by: the inputs' bytes, the NB2 dispersion, the borrowed slope.
_Key = tuple[bytes, bytes, bytes, float | None, tuple[float, float] | None]


def trend_steps(horizon: int, damping: float | None) -> np.ndarray:
    """Cumulative trend multipliers 1…h: ``h`` (linear) or ``φ + … + φ^h`` (damped)."""
    h = np.arange(1, horizon + 1, dtype=float)
    if damping is None or damping >= 1.0:
        return h
    return np.cumsum(damping**h)


#: Fits remembered by their inputs' bytes (the same numbers always give the same fit).
_MEMO: dict[_Key, _Done] = {}
_MEMO_SIZE = 50_000
#: Smallest method-of-moments NB2 dispersion refitted as negative binomial (below: Poisson).
NB_MIN_ALPHA = 1e-6
FIT_FAILURES = (ValueError, FloatingPointError, np.linalg.LinAlgError)


def _design(
    y: np.ndarray, tt: np.ndarray, offset: np.ndarray, pooled: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix and offset of the rate GLM: level and slope, or the level alone
    with the parent's slope in the offset."""
    if pooled is None:
        return np.column_stack([np.ones_like(tt), tt]), offset
    return np.ones((len(y), 1)), offset + pooled[0] * tt


def _finish(
    params: np.ndarray,
    cov: np.ndarray,
    chi2: float,
    n_points: int,
    pooled: tuple[float, float] | None,
    by_statsmodels: bool,
) -> _Done:
    """Coefficients (a, b), their covariance scaled by the Pearson dispersion, the
    dispersion, and whether statsmodels fitted it, from one GLM fit.

    Raises:
        FloatingPointError: If a coefficient or variance is not finite.
    """
    df = n_points - len(params)
    phi = float(max(chi2 / df, 1.0)) if df > 0 else 1.0
    params = np.asarray(params, dtype=float)
    cov = np.asarray(cov, dtype=float) * phi
    if pooled is not None:
        params = np.array([params[0], pooled[0]])
        cov = np.diag([cov[0, 0], pooled[1]])
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov))):
        raise FloatingPointError("GLM did not converge to finite parameters")
    return params, cov, phi, by_statsmodels


def _statsmodels_fit(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> _Done:
    """One GLM fitted by statsmodels (the reference the numpy fit matches)."""
    # imported here, not with the package: statsmodels takes ≈1 s to import in full
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    family = (
        families.Poisson() if alpha is None else families.NegativeBinomial(alpha=max(alpha, 1e-8))
    )
    x, off = _design(y, tt, offset, pooled)
    res = GLM(y, x, family=family, offset=off).fit()
    chi2 = float(np.sum(res.resid_pearson**2))
    return _finish(res.params, res.cov_params(), chi2, len(y), pooled, True)


def _key(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> _Key:
    return (y.tobytes(), tt.tobytes(), offset.tobytes(), alpha, pooled)


def _remember(key: _Key, done: _Done) -> None:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = done


def _glm_fit(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> _Done:
    """Coefficients (a, b), their covariance, the Pearson dispersion of one GLM, and
    whether statsmodels fitted it (where the exact numpy IRLS of :mod:`.glm` did not
    apply); remembered by the inputs."""
    y, tt, offset = (np.asarray(v, dtype=float) for v in (y, tt, offset))
    key = _key(y, tt, offset, alpha, pooled)
    done = _MEMO.get(key)
    if done is None:
        done = _fit_batch([(y, tt, offset, pooled)], alpha)[0]
        if done is None:  # not remembered: its warnings are raised again at each fit
            return _statsmodels_fit(y, tt, offset, alpha, pooled)
        _remember(key, done)
    return done


def _fit_batch(
    problems: Sequence[_Problem],
    alpha: float | Sequence[float] | None,
) -> list[_Done | None]:
    """Rate GLMs fitted together by :func:`.glm.fit_batch` (None where it did not apply
    or the fit is not finite)."""
    out: list[_Done | None] = [None] * len(problems)
    alphas = (
        None if alpha is None else np.broadcast_to(np.asarray(alpha, dtype=float), len(problems))
    )
    for k in (1, 2):
        rows = [r for r, p in enumerate(problems) if (p[3] is None) == (k == 2)]
        if not rows:
            continue
        width = max(len(problems[r][0]) for r in rows)
        y = np.zeros((len(rows), width))
        x = np.zeros((len(rows), width, k))
        off = np.zeros((len(rows), width))
        mask = np.zeros((len(rows), width), dtype=bool)
        for j, r in enumerate(rows):
            py, tt, offset, pooled = problems[r]
            n = len(py)
            y[j, :n] = py
            x[j, :n], off[j, :n] = _design(py, tt, offset, pooled)
            mask[j, :n] = True
        fits = fit_batch(
            y, x, off, mask, None if alphas is None else np.maximum(alphas[rows], 1e-8)
        )
        for j, r in enumerate(rows):
            if not fits.ok[j]:
                continue
            try:
                out[r] = _finish(
                    fits.params[j],
                    fits.cov[j],
                    float(fits.pearson_chi2[j]),
                    len(problems[r][0]),
                    problems[r][3],
                    False,
                )
            except FloatingPointError:
                continue
    return out


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
        params, cov, _, _ = _glm_fit(py, tt, np.log(ex), None, None)
    except FIT_FAILURES:
        return None
    return float(params[1]), float(cov[1, 1])


def _inputs(
    data: SeriesData,
) -> _Problem:
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
) -> _Problem | None:
    """:func:`_inputs`, or None for a small series whose parent's fit is not remembered
    (statsmodels fits it when the series is fitted, with its warnings captured there)."""
    parent = _parent_inputs(data) if data.small else None
    if (
        parent is not None
        and _key(parent[0], parent[1], np.log(parent[2]), None, None) not in _MEMO
    ):
        return None
    return _inputs(data)


def _negbin_refits(
    problems: Sequence[_Problem],
) -> tuple[list[_Problem], list[float]]:
    """The negative binomial refits of remembered Poisson fits, and their dispersions."""
    refits, alphas = [], []
    for y, tt, offset, pooled in problems:
        done = _MEMO.get(_key(y, tt, offset, None, pooled))
        if len(y) < 4 or done is None:
            continue
        alpha = _negbin_alpha(y, tt, offset, done[0], pooled)
        if alpha > NB_MIN_ALPHA:
            refits.append((y, tt, offset, pooled))
            alphas.append(alpha)
    return refits, alphas


def _prefit(
    problems: Sequence[_Problem],
    alphas: Sequence[float] | None,
) -> None:
    """Fit the problems not yet remembered in one batch and remember them."""
    todo: dict[_Key, int] = {}
    for r, (y, tt, offset, pooled) in enumerate(problems):
        key = _key(y, tt, offset, None if alphas is None else alphas[r], pooled)
        if key not in _MEMO:
            todo.setdefault(key, r)
    if not todo:
        return
    rows = list(todo.values())
    done = _fit_batch(
        [problems[r] for r in rows], None if alphas is None else [alphas[r] for r in rows]
    )
    for key, fit in zip(todo, done, strict=True):
        if fit is not None:
            _remember(key, fit)


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
    params, cov, phi, by_statsmodels = _glm_fit(y, tt, offset, None, pooled)
    alpha = 0.0
    if family == "negbin":
        alpha = _negbin_alpha(y, tt, offset, params, pooled)
        if alpha > NB_MIN_ALPHA:
            params, cov, phi, by_statsmodels = _glm_fit(y, tt, offset, alpha, pooled)
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
