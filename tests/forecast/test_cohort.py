"""The cohort component method: a large primary cohort moving into secondary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sufficiency.forecast import forecast_demand
from sufficiency.forecast.methods.cohort import fit_cohort, project_cohort

AGES = np.arange(26)
CONTINUATION = np.where(AGES >= 16, 0.8, 0.97)
INCIDENCE = np.where((AGES >= 3) & (AGES <= 11), 0.002, 0.0005)


def _population(years: np.ndarray) -> np.ndarray:
    """(26, years): a large county; a birth bulge (born 2011–2014, +60%) ageing through."""
    born = years[None, :] - AGES[:, None]
    return 20000.0 * np.where((born >= 2011) & (born <= 2014), 1.6, 1.0)


def _simulate(
    years: np.ndarray, rng: np.random.Generator | None, start: np.ndarray | None = None
) -> np.ndarray:
    """Children by age and year; Poisson draws (``rng``) or expectations (``None``)."""
    pop = _population(years)
    n = np.zeros((26, len(years)))
    n[:, 0] = INCIDENCE * pop[:, 0] * 6 if start is None else start
    for t in range(1, len(years)):
        mean = INCIDENCE * pop[:, t]
        mean[1:] += CONTINUATION[1:] * n[:-1, t - 1]
        n[:, t] = rng.poisson(mean) if rng is not None else mean
    return n


def test_fit_recovers_continuation_and_incidence() -> None:
    years = np.arange(2010, 2026)
    counts = _simulate(years, None)
    fit = fit_cohort(counts, _population(years))
    c = np.asarray(fit["continuation"])
    assert c[5:15] == pytest.approx(CONTINUATION[5:15], abs=0.02)
    assert float(fit["growth"]) == pytest.approx(0.0, abs=0.01)  # type: ignore[arg-type]
    proj = project_cohort(fit, counts[:, -1], _population(np.arange(2026, 2031)))
    truth = _simulate(np.arange(2010, 2031), None)[:, -5:]
    assert proj.sum(0) == pytest.approx(truth.sum(0), rel=0.02)


def test_bulge_moving_into_secondary_is_projected() -> None:
    rng = np.random.default_rng(4)
    years = np.arange(2016, 2026)
    all_years = np.arange(2016, 2036)
    counts = _simulate(years, rng)
    history = pd.DataFrame(
        [
            {"year": int(y), "age": int(a), "need": "ASD", "children": counts[a, j]}
            for j, y in enumerate(years)
            for a in AGES
        ]
    )
    pop = _population(all_years)
    population = pd.DataFrame(
        [
            {"year": int(y), "age": int(a), "population": pop[a, j]}
            for j, y in enumerate(all_years)
            for a in AGES
        ]
    )
    f = forecast_demand(history, population, horizon=5, method="cohort", by=("age_band",))
    # what the true process expects from the children there were in 2025
    truth = _simulate(np.arange(2025, 2031), None, start=counts[:, -1])[:, 1:]
    got = f.frame.set_index([f.frame["age_band"].astype(str), "year"])["mean"]
    # the bulge (born 2011-2014) leaves secondary from 2026 on: the projection falls
    # back with it, year by year, within 6% (16-19, which the bulge fills, within 10%)
    for j, year in enumerate(range(2026, 2031)):
        assert got[("11-15", year)] == pytest.approx(truth[11:16, j].sum(), rel=0.06)
        assert got[("16-19", year)] == pytest.approx(truth[16:20, j].sum(), rel=0.10)
    secondary = [got[("11-15", y)] for y in range(2026, 2031)]
    assert secondary[-1] < max(secondary)
    assert set(f.frame["method"]) == {"cohort"}
    d = f.diagnostics
    assert (d["mean_continuation"] > 0.5).all()
    # auto considers the cohort model and keeps it where it backtests best
    auto = forecast_demand(history, population, horizon=5, by=("age_band",))
    assert "mase_cohort" in auto.diagnostics.columns
    assert "cohort" in set(auto.diagnostics["method"])


def _fit_by_loop(
    counts: np.ndarray, population: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """The fit as first written, one growth and phase at a time (the reference the
    vectorised :func:`fit_cohort` must equal): growth, continuation, incidence."""
    from sufficiency.forecast.methods.cohort import _CONTINUATION_GRID, _GROWTH_GRID, _phase_of_age

    n_ages, n = counts.shape
    y = counts[:, 1:]
    x1 = np.zeros_like(y)
    x1[1:] = counts[:-1, :-1]
    w = 1.0 / (y + 1.0)
    dt = np.arange(1, n, dtype=float) - (n - 1)
    pop = population[:, 1:]
    phase = _phase_of_age(n_ages)
    cg = _CONTINUATION_GRID[:, None, None]
    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    for g in _GROWTH_GRID:
        x2 = pop * np.exp(g * dt)[None, :]
        rest = y[None] - cg * x1[None]
        s22 = (w * x2 * x2).sum(1)
        inc = np.maximum((w * x2 * rest).sum(2) / np.maximum(s22, 1e-12), 0.0)
        sse_age = (w * (rest - inc[:, :, None] * x2[None]) ** 2).sum(2)
        c, i, total = np.zeros(n_ages), np.zeros(n_ages), 0.0
        for ph in np.unique(phase):
            ages = (phase == ph) & (AGES[:n_ages] > 0)
            if not ages.any():
                continue
            k = int(np.argmin(sse_age[:, ages].sum(1)))
            c[ages], i[ages] = _CONTINUATION_GRID[k], inc[k, ages]
            total += float(sse_age[k, ages].sum())
        i[0] = inc[0, 0]
        total += float(sse_age[0, 0])
        if best is None or total < best[3]:
            best = (float(g), c, i, total)
    assert best is not None
    return best[0], best[1], best[2]


def test_vectorised_fit_equals_the_loop() -> None:
    """Over 80 random histories (4-12 years, sparse and empty ages among them, and
    phases whose continuation makes no difference) the
    vectorised fit picks the same growth and continuation on the grids as the loop over
    growths and phases, and the same incidences to 1e-10."""
    rng = np.random.default_rng(5)
    for _ in range(80):
        n = int(rng.integers(4, 13))
        counts = rng.poisson(rng.uniform(0, 40, (26, 1)), (26, n)).astype(float)
        if rng.random() < 0.3:
            counts[rng.random(26) < 0.5] = 0.0
        if rng.random() < 0.3:  # a phase with no children a year before: every rate ties
            counts[:4, :-1] = 0.0
        if counts.sum() == 0:
            continue
        population = rng.uniform(2000, 4000, (26, n))
        growth, continuation, incidence = _fit_by_loop(counts, population)
        fit = fit_cohort(counts, population)
        assert fit["growth"] == growth
        assert np.array_equal(fit["continuation"], continuation)
        np.testing.assert_allclose(fit["incidence"], incidence, rtol=1e-10, atol=1e-15)
