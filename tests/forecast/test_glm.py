"""The numpy IRLS of the rate models against statsmodels (the reference), to 1e-8."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.forecast.base import SeriesData, Settings, captured
from sufficiency.forecast.methods import rate, ratefit
from sufficiency.forecast.methods.glm import fit_batch
from sufficiency.forecast.scenario import project
from sufficiency.model.canonical import canonical

ROOT = Path(__file__).resolve().parents[2]
RTOL = 1e-8


def _problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """A rate series like the forecast's: 3-12 years, counts from 0 to hundreds, some with
    leading zeros (a band that starts late), and whether it borrows its slope."""
    n = int(rng.integers(3, 13))
    tt = np.arange(n, dtype=float) - (n - 1)
    exposure = rng.uniform(500, 20_000, n)
    level = float(rng.choice([0.3, 2.0, 20.0, 300.0]))
    mean = level * exposure / exposure.mean() * np.exp(rng.normal(0, 0.1) * tt)
    y = rng.poisson(mean * rng.gamma(5, 0.2, n)).astype(float)
    if rng.random() < 0.2:
        y[: int(rng.integers(1, n))] = 0.0
    if y.sum() == 0:
        y[-1] = 1.0
    return y, tt, np.log(exposure), bool(rng.random() < 0.3)


def _statsmodels(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray, alpha: float | None
) -> tuple[object, list[str]]:
    family = families.Poisson() if alpha is None else families.NegativeBinomial(alpha=alpha)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = GLM(y, x, family=family, offset=offset).fit()
    return res, [type(w.message).__name__ for w in caught]


def _batch(
    seed: int, n: int, k: int, negbin: bool
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, float | None]]:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        y, tt, offset, _pooled = _problem(rng)
        x = np.column_stack([np.ones_like(tt), tt]) if k == 2 else np.ones((len(y), 1))
        off = offset if k == 2 else offset + rng.normal(0, 0.1) * tt
        alpha = float(rng.choice([1e-5, 0.01, 0.3, 2.0])) if negbin else None
        yield y, x, off, alpha


def _stack(
    problems: list[tuple[np.ndarray, np.ndarray, np.ndarray, float | None]], k: int, pad: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Problems as one padded batch (``pad`` more points than the longest)."""
    width = max(len(p[0]) for p in problems) + pad
    y = np.zeros((len(problems), width))
    x = np.zeros((len(problems), width, k))
    off = np.zeros_like(y)
    mask = np.zeros_like(y, dtype=bool)
    for r, (py, px, po, _) in enumerate(problems):
        y[r, : len(py)], x[r, : len(py)], off[r, : len(py)], mask[r, : len(py)] = py, px, po, True
    return y, x, off, mask


@pytest.mark.parametrize(("k", "negbin"), [(2, False), (2, True), (1, False), (1, True)])
def test_batch_matches_statsmodels_to_1e8(k: int, negbin: bool) -> None:
    """300 random series in one batch: coefficients, fitted values, covariance, deviance
    and Pearson chi² equal statsmodels' to 1e-8 relative wherever the fast path applies;
    where it does not, statsmodels warned, did not converge, or was ill-conditioned."""
    problems = list(_batch(7 + k + 10 * negbin, 300, k, negbin))
    y, x, off, mask = _stack(problems, k, 0)
    alpha = np.array([p[3] for p in problems]) if negbin else None
    fits = fit_batch(y, x, off, mask, alpha)
    assert fits.ok.mean() > 0.8  # a fifth of the series start with zeros (perfect fits)
    for r, (py, px, po, a) in enumerate(problems):
        res, caught = _statsmodels(py, px, po, a)
        n = len(py)
        if not fits.ok[r]:
            cond = np.linalg.cond(res.model.wexog) ** 2 if hasattr(res.model, "wexog") else np.inf
            assert "PerfectSeparationWarning" in caught or not res.converged or cond > 1e5
            continue
        assert not caught
        np.testing.assert_allclose(fits.params[r], res.params, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(fits.mu[r, :n], res.mu, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(fits.cov[r], res.cov_params(), rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(fits.deviance[r], res.deviance, rtol=RTOL, atol=1e-10)
        np.testing.assert_allclose(fits.pearson_chi2[r], res.pearson_chi2, rtol=RTOL, atol=1e-10)
        assert fits.mu[r, n:].sum() == 0.0


def test_a_fit_does_not_depend_on_its_batch() -> None:
    """The same problem alone, or padded among others, gives the same bits."""
    problems = list(_batch(3, 40, 2, False))
    y, x, off, mask = _stack(problems, 2, 2)
    together = fit_batch(y, x, off, mask)
    for r, (py, px, po, _) in enumerate(problems):
        alone = fit_batch(py[None], px[None], po[None], np.ones((1, len(py)), dtype=bool))
        assert alone.ok[0] == together.ok[r]
        assert np.array_equal(alone.params[0], together.params[r])
        assert np.array_equal(alone.cov[0], together.cov[r])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(0, 400), min_size=3, max_size=12).filter(lambda c: sum(c) > 0),
    family=st.sampled_from(["poisson", "negbin"]),
    small=st.booleans(),
)
def test_rate_glm_equals_the_statsmodels_fit(counts: list[int], family: str, small: bool) -> None:
    """The rate model's forecast and the parameters its intervals use (slope, its
    variance, the dispersion, NB α) equal those of statsmodels alone, zeros and short
    series included; where statsmodels is used instead, the diagnostics say so."""
    n = len(counts)
    if family == "negbin" and n < 4:
        return
    y = np.array(counts, dtype=float)
    exposure = 3000.0 + 50.0 * np.arange(n)
    data = SeriesData(
        y=y,
        t=np.arange(2025 - n + 1, 2026, dtype=float),
        exposure=exposure,
        future_exposure=np.full(5, 3300.0),
        parent_y=y * 3 + 40 if small else None,
        parent_exposure=exposure * 2 if small else None,
        small=small,
    )
    ratefit.clear()
    rate._parent_slope.cache_clear()
    with captured() as fast_warnings:
        fast = rate.rate_glm(data, 5, Settings(), family=family)
    ratefit.clear()
    rate._parent_slope.cache_clear()
    with pytest.MonkeyPatch.context() as mp, captured() as reference_warnings:
        mp.setattr(ratefit, "fit_many", lambda problems, alpha: [None] * len(problems))
        reference = rate.rate_glm(data, 5, Settings(), family=family)
    rate._parent_slope.cache_clear()
    assert reference.params["glm_by_statsmodels"] == 1.0
    assert fast_warnings == reference_warnings
    np.testing.assert_allclose(fast.mean, reference.mean, rtol=RTOL, atol=1e-9)
    for key in ("slope", "slope_var", "dispersion", "nb_alpha", "pooled_trend"):
        np.testing.assert_allclose(fast.params[key], reference.params[key], rtol=RTOL, atol=1e-12)


def test_a_perfect_fit_falls_back_to_statsmodels_and_says_so() -> None:
    """Zeros then a count: the fitted rate of the zeros falls to nothing and statsmodels
    warns of a perfect fit, so statsmodels fits it (its warning is kept) and the
    diagnostics say so."""
    exposure = np.array([1000.0, 1000.0, 1000.0])
    data = SeriesData(
        y=np.array([0.0, 0.0, 1.0]),
        t=np.arange(2023, 2026, dtype=float),
        exposure=exposure,
        future_exposure=np.full(3, 1000.0),
    )
    ratefit.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = rate.rate_glm(data, 3, Settings())
    assert fit.params["glm_by_statsmodels"] == 1.0
    assert any(type(w.message).__name__ == "PerfectSeparationWarning" for w in caught)


def _forecasts(path: Path) -> dict[str, object]:
    sc = load_scenario(path, set_values=["forecast.method=auto"])
    ehcp, sen = project(sc, canonical(load_inputs(sc)))
    assert sen is not None
    return {"ehcp": ehcp, "sen": sen}


def _equal_forecasts(a: dict[str, object], b: dict[str, object]) -> None:
    for key in a:
        fa, fb = a[key].frame, b[key].frame  # type: ignore[attr-defined]
        assert (fa["method"].astype(str) == fb["method"].astype(str)).all()
        for col in ("mean", "lower", "upper"):
            np.testing.assert_allclose(fa[col], fb[col], rtol=RTOL, atol=1e-9)
        np.testing.assert_allclose(a[key]._paths, b[key]._paths, rtol=RTOL, atol=1e-9)  # type: ignore[attr-defined]


def test_bundled_forecast_equals_the_statsmodels_one() -> None:
    """The bundled borough's EHC plan and SEN support forecasts (``auto``: every rate model
    backtested) choose the same method for every series and give the same means,
    intervals and sample paths to 1e-8 as with every GLM fitted by statsmodels."""
    path = ROOT / "scenarios" / "baseline.yaml"
    ratefit.clear()
    rate._parent_slope.cache_clear()
    fast = _forecasts(path)
    ratefit.clear()
    rate._parent_slope.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ratefit, "fit_many", lambda problems, alpha: [None] * len(problems))
        reference = _forecasts(path)
    rate._parent_slope.cache_clear()
    _equal_forecasts(fast, reference)
    diag = fast["ehcp"].diagnostics  # type: ignore[attr-defined]
    rated = diag[diag["method"].astype(str).str.contains("glm")]
    assert (rated["glm_by_statsmodels"] == 0.0).mean() > 0.9
