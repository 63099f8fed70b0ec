"""Projection methods for one annual count series: Poisson rate GLM, naive and drift."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm

#: Smallest number of history points each method needs.
MIN_POINTS: dict[str, int] = {"poisson_glm": 3, "drift": 2, "naive": 1}


@dataclass
class SeriesFit:
    """A fitted projection of one series, able to draw joint sample paths.

    Attributes:
        method: Method that produced it.
        mean: Point forecast per future year.
        paths: Draws of the future counts, shape ``(n_draws, horizon)``.
        warnings: Text of warnings raised while fitting.
        fallback: Why a simpler method was used instead of the requested one, if it was.
        params: Fitted parameters worth reporting (e.g. annual growth of the rate).
    """

    method: str
    mean: np.ndarray
    paths: np.ndarray
    warnings: list[str] = field(default_factory=list)
    fallback: str = ""
    params: dict[str, float] = field(default_factory=dict)


def _overdispersed_counts(mu: np.ndarray, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Counts with mean ``mu`` and variance ``phi * mu`` (Poisson when phi <= 1)."""
    mu = np.maximum(mu, 0.0)
    if phi <= 1.0 + 1e-9:
        return rng.poisson(mu).astype(float)
    # gamma-Poisson mixture: var = mu + mu^2/k with k = mu/(phi-1) gives var = phi*mu
    shape = mu / (phi - 1.0)
    lam = rng.gamma(np.maximum(shape, 1e-12), (phi - 1.0), size=mu.shape)
    return rng.poisson(np.where(mu > 0, lam, 0.0)).astype(float)


def fit_poisson_glm(
    y: np.ndarray,
    t: np.ndarray,
    exposure: np.ndarray,
    future_t: np.ndarray,
    future_exposure: np.ndarray,
    rng: np.random.Generator,
    n_draws: int,
    pooled_slope: tuple[float, float] | None = None,
) -> SeriesFit:
    """Poisson GLM of counts per head with a log-linear trend, quasi-Poisson uncertainty.

    ``log E[y] = log(exposure) + a + b·t``; the dispersion is the Pearson χ²/df (at least 1).
    Sample paths draw the coefficients from their (dispersion-scaled) sampling distribution
    and then counts around each mean, so intervals include both parameter and count noise.

    Args:
        pooled_slope: ``(b, variance of b)`` borrowed from a parent series: only the level
            ``a`` is fitted (small series borrow their parent's trend).
    """
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        tt = t - t[-1]
        if pooled_slope is None:
            x = sm.add_constant(tt, has_constant="add")
            offset = np.log(exposure)
        else:
            x = np.ones((len(y), 1))
            offset = np.log(exposure) + pooled_slope[0] * tt
        res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
        n_params = x.shape[1]
        df = max(len(y) - n_params, 1)
        phi = float(max(np.sum(res.resid_pearson**2) / df, 1.0)) if len(y) > n_params else 1.0
        params = np.asarray(res.params, dtype=float)
        cov = np.asarray(res.cov_params(), dtype=float) * phi
        if pooled_slope is not None:
            params = np.array([params[0], pooled_slope[0]])
            cov = np.diag([cov[0, 0], pooled_slope[1]])
    caught = [f"{w.category.__name__}: {w.message}" for w in record]
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(cov)):
        raise FloatingPointError("GLM did not converge to finite parameters")
    xf = np.column_stack([np.ones_like(future_t, dtype=float), future_t - t[-1]])
    mean = future_exposure * np.exp(xf @ params)
    cov = (cov + cov.T) / 2.0
    draws = rng.multivariate_normal(params, cov, size=n_draws, method="eigh")
    mu = future_exposure[None, :] * np.exp(np.clip(draws @ xf.T, -50, 50))
    paths = _overdispersed_counts(mu, phi, rng)
    return SeriesFit(
        "poisson_glm",
        mean,
        paths,
        caught,
        params={
            "growth_per_year": float(np.expm1(params[1])),
            "slope": float(params[1]),
            "slope_var": float(cov[1, 1]),
            "dispersion": phi,
            "pooled_trend": float(pooled_slope is not None),
        },
    )


def fit_drift(y: np.ndarray, horizon: int, rng: np.random.Generator, n_draws: int) -> SeriesFit:
    """Random walk with drift: last value plus the mean annual change, floored at zero."""
    diffs = np.diff(y)
    drift = float(diffs.mean())
    sigma = float(diffs.std(ddof=1)) if len(diffs) > 1 else max(np.sqrt(max(y[-1], 1.0)), 1.0)
    sigma = max(sigma, np.sqrt(max(y[-1], 1.0)) * 0.5)
    h = np.arange(1, horizon + 1)
    mean = np.maximum(y[-1] + drift * h, 0.0)
    n = len(y)
    steps = rng.normal(0.0, sigma, size=(n_draws, horizon))
    drift_draws = rng.normal(drift, sigma / np.sqrt(max(n - 1, 1)), size=(n_draws, 1))
    paths = np.maximum(y[-1] + drift_draws * h[None, :] + np.cumsum(steps, axis=1), 0.0)
    return SeriesFit("drift", mean, paths, params={"change_per_year": drift})


def fit_naive(y: np.ndarray, horizon: int, rng: np.random.Generator, n_draws: int) -> SeriesFit:
    """Last value carried forward, with random-walk uncertainty."""
    diffs = np.diff(y)
    sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else np.sqrt(max(y[-1], 1.0))
    sigma = max(sigma, np.sqrt(max(y[-1], 1.0)) * 0.5)
    mean = np.full(horizon, float(y[-1]))
    paths = np.maximum(y[-1] + np.cumsum(rng.normal(0, sigma, (n_draws, horizon)), axis=1), 0.0)
    return SeriesFit("naive", mean, paths)


def fit_method(
    method: str,
    y: np.ndarray,
    t: np.ndarray,
    exposure: np.ndarray | None,
    future_t: np.ndarray,
    future_exposure: np.ndarray | None,
    rng: np.random.Generator,
    n_draws: int,
    pooled_slope: tuple[float, float] | None = None,
) -> SeriesFit:
    """Fit ``method`` to one series (``pooled_slope``: see :func:`fit_poisson_glm`).

    Raises:
        ValueError: If the method cannot be used on this series (too short, no population).
        FloatingPointError: If the fit fails numerically.
    """
    horizon = len(future_t)
    if len(y) < MIN_POINTS[method]:
        raise ValueError(f"{method} needs at least {MIN_POINTS[method]} points, has {len(y)}")
    if method == "poisson_glm":
        if exposure is None or future_exposure is None:
            raise ValueError("poisson_glm needs population")
        if y.sum() <= 0:
            raise ValueError("poisson_glm needs at least one non-zero count")
        return fit_poisson_glm(
            y, t, exposure, future_t, future_exposure, rng, n_draws, pooled_slope
        )
    if method == "drift":
        return fit_drift(y, horizon, rng, n_draws)
    if method == "naive":
        return fit_naive(y, horizon, rng, n_draws)
    raise ValueError(f"unknown method {method!r}")


def interval(paths: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of sample paths (draws on the second-to-last axis)."""
    alpha = (1.0 - level) / 2.0
    lower = np.quantile(paths, alpha, axis=-2)
    upper = np.quantile(paths, 1.0 - alpha, axis=-2)
    return lower, upper
