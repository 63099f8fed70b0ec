"""One rate GLM fitted and remembered: the exact numpy IRLS where it applies, else statsmodels.

The rate models (:mod:`.rate`) fit ``log E[y] = log(population) + a + b·t`` (or ``a``
alone with a borrowed slope in the offset), Poisson or NB2 with a fixed dispersion.
:func:`glm_fit` fits one by :func:`.glm.fit_batch` and falls back to statsmodels (the
reference) where that does not apply, so its warnings are raised as before;
:func:`fit_many` fits many in one batch. Fits made by the numpy path are remembered by
their inputs (:func:`remember`, :func:`remembered`): the same numbers always give the
same fit, so a damped and an undamped model, or a negative binomial's first Poisson fit,
are fitted once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .glm import fit_batch

#: One rate GLM's coefficients (a, b), covariance, Pearson dispersion, and whether
#: statsmodels fitted it.
Done = tuple[np.ndarray, np.ndarray, float, bool]
#: One rate GLM to fit: counts, years before the last, log population, borrowed slope.
Problem = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float] | None]
#: What a fit is remembered by: the inputs' bytes, the NB2 dispersion, the borrowed slope.
Key = tuple[bytes, bytes, bytes, float | None, tuple[float, float] | None]

#: Errors of a fit that failed (the caller treats the model as unavailable).
FIT_FAILURES = (ValueError, FloatingPointError, np.linalg.LinAlgError)
#: Fits remembered by their inputs' bytes (the same numbers always give the same fit).
_MEMO: dict[Key, Done] = {}
_MEMO_SIZE = 50_000


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
) -> Done:
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
) -> Done:
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


def key_of(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> Key:
    """What a fit is remembered by."""
    return (y.tobytes(), tt.tobytes(), offset.tobytes(), alpha, pooled)


def remembered(key: Key) -> Done | None:
    """The fit remembered for these inputs, if any."""
    return _MEMO.get(key)


def clear() -> None:
    """Forget every fit (tests)."""
    _MEMO.clear()


def remember(key: Key, done: Done) -> None:
    """Remember a fit made by the numpy path."""
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = done


def glm_fit(
    y: np.ndarray,
    tt: np.ndarray,
    offset: np.ndarray,
    alpha: float | None,
    pooled: tuple[float, float] | None,
) -> Done:
    """Coefficients (a, b), their covariance, the Pearson dispersion of one GLM, and
    whether statsmodels fitted it (where the exact numpy IRLS of :mod:`.glm` did not
    apply); remembered by the inputs."""
    y, tt, offset = (np.asarray(v, dtype=float) for v in (y, tt, offset))
    key = key_of(y, tt, offset, alpha, pooled)
    done = _MEMO.get(key)
    if done is None:
        done = fit_many([(y, tt, offset, pooled)], alpha)[0]
        if done is None:  # not remembered: its warnings are raised again at each fit
            return _statsmodels_fit(y, tt, offset, alpha, pooled)
        remember(key, done)
    return done


def fit_many(
    problems: Sequence[Problem],
    alpha: float | Sequence[float] | None,
) -> list[Done | None]:
    """Rate GLMs fitted together by :func:`.glm.fit_batch` (None where it did not apply
    or the fit is not finite)."""
    out: list[Done | None] = [None] * len(problems)
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
