"""Exact numpy IRLS for many small log-link Poisson and negative binomial GLMs at once.

The rate models (:mod:`.rate`) fit thousands of tiny GLMs in a forecast's backtests: one or
two parameters, a dozen points each. Statsmodels spends ≈1 ms on each in set-up and checks;
this module runs the same algorithm as ``statsmodels.genmod.GLM.fit()`` (IRLS, its
defaults) on a whole batch of problems at once, each stopping at its own iteration:

- start from ``μ₀ = (y + ȳ)/2``, ``η₀ = log μ₀`` (the family's ``starting_mu``);
- each iteration: weights ``w = μ² / V(μ)`` and working response
  ``z = η + (y − μ)/μ − offset``, then weighted least squares of ``z`` on ``X``,
  ``η = Xβ + offset``, ``μ = exp η``;
- stop when the deviance changed by at most ``1e-8`` (statsmodels' ``tol``, absolute);
  at most 100 iterations;
- the covariance is ``(XᵀWX)⁻¹`` at the last iteration's weights (scale 1: both families
  have a fixed dispersion), as statsmodels reports it.

``V(μ) = μ`` (Poisson) or ``μ + αμ²`` (NB2 with a fixed α); ``μ`` is clipped below at
machine epsilon where statsmodels clips it. With one or two parameters the weighted least
squares is solved in closed form. Where the fast path does not apply — the iteration did
not converge, it met a perfect fit (statsmodels then warns), a value is not finite, or the
normal equations are too ill-conditioned to match statsmodels' SVD solve — the problem is
marked not ``ok`` and the caller fits it with statsmodels instead (the reference).

Sums over a problem's points run in order along the points (``cumsum``), so a problem's
result does not depend on which other problems share its batch or how it is padded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Statsmodels' IRLS defaults: deviance tolerance (absolute) and most iterations.
TOL = 1e-8
MAX_ITER = 100
#: Largest condition number of ``XᵀWX`` solved in closed form (beyond: statsmodels).
MAX_CONDITION = 1e6
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class BatchFit:
    """IRLS fits of a batch of ``B`` problems with ``k`` parameters over up to ``W`` points.

    Attributes:
        params: ``(B, k)`` coefficients.
        cov: ``(B, k, k)`` covariance of the coefficients (scale 1).
        mu: ``(B, W)`` fitted means (0 where padded).
        deviance: ``(B,)`` deviance at ``mu``.
        pearson_chi2: ``(B,)`` sum of squared Pearson residuals at ``mu``.
        iterations: ``(B,)`` IRLS iterations used.
        ok: ``(B,)`` whether the fit is exact and usable (else fit with statsmodels).
    """

    params: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    deviance: np.ndarray
    pearson_chi2: np.ndarray
    iterations: np.ndarray
    ok: np.ndarray


def _rowsum(a: np.ndarray) -> np.ndarray:
    """Sum along the points of each row, in order (independent of padding and batch)."""
    if a.shape[1] == 0:
        return np.zeros(a.shape[0])
    return np.cumsum(a, axis=1)[:, -1]


def _variance(mu: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """The family's variance function, as statsmodels evaluates it."""
    if alpha is None:
        return np.fabs(mu)
    p = np.clip(mu, _EPS, np.inf)
    return p + alpha[:, None] * p**2


def _deviance(
    y: np.ndarray, mu: np.ndarray, alpha: np.ndarray | None, mask: np.ndarray
) -> np.ndarray:
    """Deviance of each row (statsmodels' ``_resid_dev`` summed over the row's points)."""
    ratio = np.clip(y / np.where(mask, mu, 1.0), _EPS, np.inf)
    if alpha is None:
        dev = 2.0 * (y * np.log(ratio) - (y - mu))
    else:
        inv = (1.0 / alpha)[:, None]
        dev = 2.0 * (y * np.log(ratio) - (y + inv) * np.log((y + inv) / (mu + inv)))
    return _rowsum(np.where(mask, dev, 0.0))


def _solve(
    x: np.ndarray, w: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of ``z`` on ``x`` per row: coefficients, ``(XᵀWX)⁻¹`` and
    whether the normal equations are well enough conditioned."""
    if x.shape[2] == 1:
        a = _rowsum(w * x[:, :, 0] ** 2)
        r = _rowsum(w * x[:, :, 0] * z)
        good = a > 0
        a_safe = np.where(good, a, 1.0)
        return (r / a_safe)[:, None], (1.0 / a_safe)[:, None, None], good
    x0, x1 = x[:, :, 0], x[:, :, 1]
    a = _rowsum(w * x0 * x0)
    b = _rowsum(w * x0 * x1)
    c = _rowsum(w * x1 * x1)
    r0 = _rowsum(w * x0 * z)
    r1 = _rowsum(w * x1 * z)
    det = a * c - b * b
    # condition number of the symmetric 2×2 matrix from its trace and determinant
    half = (a + c) / 2.0
    root = np.sqrt(np.maximum(half * half - det, 0.0))
    small, large = half - root, half + root
    good = (det > 0) & (small > 0) & (large <= MAX_CONDITION * np.where(small > 0, small, 1.0))
    det_safe = np.where(good, det, 1.0)
    params = np.stack([(c * r0 - b * r1) / det_safe, (a * r1 - b * r0) / det_safe], axis=1)
    inv = np.empty((len(a), 2, 2))
    inv[:, 0, 0] = c / det_safe
    inv[:, 1, 1] = a / det_safe
    inv[:, 0, 1] = inv[:, 1, 0] = -b / det_safe
    return params, inv, good


def fit_batch(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray,
    alpha: np.ndarray | None = None,
) -> BatchFit:
    """Fit ``B`` log-link GLMs by IRLS as statsmodels does, each to its own convergence.

    Args:
        y: ``(B, W)`` counts (padding: any finite value, e.g. 0).
        x: ``(B, W, k)`` design, ``k`` 1 or 2 (padding: 0).
        offset: ``(B, W)`` offsets (padding: 0).
        mask: ``(B, W)`` True on each problem's points (padding last).
        alpha: ``(B,)`` NB2 dispersions (all > 0) for negative binomial fits; None: Poisson.

    Returns:
        The fits; rows not ``ok`` must be fitted another way.

    Raises:
        ValueError: If ``k`` is not 1 or 2 or the shapes disagree.
    """
    n_rows, width, k = x.shape
    if k not in (1, 2) or y.shape != (n_rows, width) or offset.shape != y.shape:
        raise ValueError("fit_batch needs y, offset (B, W) and x (B, W, 1 or 2)")
    mask = np.asarray(mask, dtype=bool)
    y = np.where(mask, y, 0.0)
    offset = np.where(mask, offset, 0.0)
    x = np.where(mask[:, :, None], x, 0.0)
    n_points = mask.sum(axis=1)
    finite = (
        np.all(np.isfinite(y), axis=1)
        & np.all(np.isfinite(offset), axis=1)
        & np.all(np.isfinite(x), axis=(1, 2))
        & (n_points > 0)
    )
    if alpha is not None:
        alpha = np.asarray(alpha, dtype=float)
        finite &= np.isfinite(alpha) & (alpha > 0)
        alpha = np.where(finite, alpha, 1.0)
    with np.errstate(all="ignore"):
        mean = _rowsum(y) / np.maximum(n_points, 1)
        mu = np.where(mask, (y + mean[:, None]) / 2.0, 1.0)
        eta = np.log(np.clip(mu, _EPS, np.inf))
        dev = _deviance(y, mu, alpha, mask)
        params = np.zeros((n_rows, k))
        cov = np.zeros((n_rows, k, k))
        iterations = np.zeros(n_rows, dtype=int)
        ok = finite & np.isfinite(dev)
        active = ok.copy()
        for it in range(1, MAX_ITER + 1):
            if not active.any():
                break
            rows = np.flatnonzero(active)
            m, e, ym, xm, om, mk = mu[rows], eta[rows], y[rows], x[rows], offset[rows], mask[rows]
            am = alpha[rows] if alpha is not None else None
            deriv = 1.0 / np.clip(m, _EPS, np.inf)
            w = np.where(mk, 1.0 / (deriv**2 * _variance(m, am)), 0.0)
            z = np.where(mk, e + deriv * (ym - m) - om, 0.0)
            p, inv, good = _solve(xm, w, z)
            new_eta = (xm * p[:, None, :]).sum(axis=2) + om
            new_mu = np.where(mk, np.exp(new_eta), 1.0)
            new_dev = _deviance(ym, new_mu, am, mk)
            good &= (
                np.all(np.isfinite(w), axis=1)
                & np.all(np.isfinite(z), axis=1)
                & np.all(np.isfinite(new_mu), axis=1)
            )
            perfect = np.all(~mk | (np.fabs(new_mu - ym) <= TOL), axis=1)
            bad = ~good | perfect
            converged = np.fabs(new_dev - dev[rows]) <= TOL
            mu[rows], eta[rows], dev[rows] = new_mu, new_eta, new_dev
            params[rows], cov[rows], iterations[rows] = p, inv, it
            ok[rows[bad]] = False
            active[rows[bad | converged]] = False
        ok &= ~active  # still iterating after MAX_ITER: not converged
        mu = np.where(mask, mu, 0.0)
        resid = np.where(mask, (y - mu) ** 2 / _variance(np.where(mask, mu, 1.0), alpha), 0.0)
        chi2 = _rowsum(resid)
    return BatchFit(params, cov, mu, dev, chi2, iterations, ok)
