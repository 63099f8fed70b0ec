"""The cohort component method: a large primary cohort moving into secondary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sufficiency.forecast import forecast_demand
from sufficiency.forecast.cohort import fit_cohort, project_cohort

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
