"""Rate models: Poisson and negative binomial GLMs of children per head, linear or damped trend.

``log E[y_t] = log(population_t) + a + b·(t − T)`` is fitted on the history (T its last
year). The projection uses the population projection and continues the trend, either
linearly (``a + b·h`` after h years) or damped (``a + b·(φ + φ² + … + φ^h)``).
Series averaging fewer than ``pool_below`` children a year borrow the slope ``b`` of their
parent series (e.g. all needs at that age) and fit only their own level ``a``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .base import Fit, MethodUnavailableError, SeriesData, Settings, finite_forecast


def trend_steps(horizon: int, damping: float | None) -> np.ndarray:
    """Cumulative trend multipliers 1…h: ``h`` (linear) or ``φ + … + φ^h`` (damped)."""
    h = np.arange(1, horizon + 1, dtype=float)
    if damping is None or damping >= 1.0:
        return h
    return np.cumsum(damping**h)


def _glm_fit(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients (a, b), their covariance and the Pearson dispersion of one GLM."""
    # imported here, not with the package: statsmodels takes ≈1 s to import in full
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    family = (
        families.Poisson() if alpha is None else families.NegativeBinomial(alpha=max(alpha, 1e-8))
    )
    if pooled is None:
        x = np.column_stack([np.ones_like(tt), tt])
        off = offset
    else:
        x = np.ones((len(y), 1))
        off = offset + pooled[0] * tt
    res = GLM(y, x, family=family, offset=off).fit()
    n_params = x.shape[1]
    df = len(y) - n_params
    phi = float(max(np.sum(res.resid_pearson**2) / df, 1.0)) if df > 0 else 1.0
    params = np.asarray(res.params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float) * phi
    if pooled is not None:
        params = np.array([params[0], pooled[0]])
        cov = np.diag([cov[0, 0], pooled[1]])
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov))):
        raise FloatingPointError("GLM did not converge to finite parameters")
    return params, cov, phi


def _nb_alpha(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """Method-of-moments NB2 dispersion: Var = μ + α μ² (0 when not overdispersed)."""
    df = max(len(y) - n_params, 1)
    return float(max(np.sum((y - mu) ** 2 - mu) / max(np.sum(mu**2), 1e-12) * len(y) / df, 0.0))


def parent_slope(data: SeriesData) -> tuple[float, float] | None:
    """Rate slope (and its variance) of the parent series, for small series to borrow.

    Many small series share one parent at each backtest origin, so the fit is remembered
    by the parent's data (the same numbers always give the same slope).
    """
    if data.parent_y is None or data.parent_exposure is None:
        return None
    py = np.asarray(data.parent_y, dtype=float)
    if py.sum() <= 0 or len(py) < 3:
        return None
    tt = np.asarray(data.t - data.t[-1], dtype=float)
    exposure = np.asarray(data.parent_exposure, dtype=float)
    return _parent_slope(py.tobytes(), tt.tobytes(), exposure.tobytes())


@lru_cache(maxsize=4096)
def _parent_slope(y: bytes, t: bytes, exposure: bytes) -> tuple[float, float] | None:
    """:func:`parent_slope` on the arrays' bytes (float64), memoised."""
    py, tt, ex = (np.frombuffer(b, dtype=float) for b in (y, t, exposure))
    try:
        params, cov, _ = _glm_fit(py, tt, np.log(ex), None, None)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    return float(params[1]), float(cov[1, 1])


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
    y = data.y
    minimum = 3 + (family == "negbin")
    if len(y) < minimum:
        raise MethodUnavailableError(f"{name} needs at least {minimum} points, has {len(y)}")
    if y.sum() <= 0:
        raise MethodUnavailableError(f"{name} needs at least one non-zero count")
    tt = data.t - data.t[-1]
    offset = np.log(data.exposure)
    pooled = parent_slope(data) if data.small else None
    params, cov, phi = _glm_fit(y, tt, offset, None, pooled)
    alpha = 0.0
    if family == "negbin":
        mu = np.exp(offset + params[0] + params[1] * tt)
        alpha = _nb_alpha(y, mu, 1 if pooled else 2)
        if alpha > 1e-6:
            params, cov, phi = _glm_fit(y, tt, offset, alpha, pooled)
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
        },
    )
