"""Invariants of every forecast (property tests): ordered, non-negative, widening, coherent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.errors import ForecastError
from sufficiency.forecast import forecast_demand
from sufficiency.forecast.reconcile import hierarchy, reconcile, reconciliation_matrix

NEEDS = ("ASD", "SEMH", "MSI")
BANDS = ("5-10", "11-15")


@st.composite
def histories(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Need × age band histories of 4–10 years: growing, shrinking, flat, tiny or zero."""
    n_years = draw(st.integers(4, 10))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    years = range(2025 - n_years + 1, 2026)
    rows = []
    for need in NEEDS:
        for band in BANDS:
            level = draw(st.sampled_from([0.0, 0.5, 3.0, 40.0, 400.0]))
            growth = draw(st.floats(-0.15, 0.25))
            for t, y in enumerate(years):
                rows.append(
                    {
                        "year": y,
                        "need": need,
                        "age_band": band,
                        "children": float(rng.poisson(level * (1 + growth) ** t)),
                    }
                )
    pop = None
    if draw(st.booleans()):
        pop = pd.DataFrame(
            [
                {"year": y, "age": a, "population": 3000.0 + 40 * ((y + a) % 7)}
                for y in range(years[0], 2036)
                for a in range(26)
            ]
        )
    return pd.DataFrame(rows), pop


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    data=histories(),
    method=st.sampled_from(["auto", "drift", "poisson_glm", "share"]),
    reconcile_method=st.sampled_from(["bottom_up", "ols", "wls_struct", "mint_shrink"]),
)
def test_forecast_invariants(
    data: tuple[pd.DataFrame, pd.DataFrame | None], method: str, reconcile_method: str
) -> None:
    history, pop = data
    if method == "poisson_glm" and pop is None:
        # a method asked for that cannot run says so: it is never swapped silently
        with pytest.raises(ForecastError, match="poisson_glm"):
            forecast_demand(history, pop, horizon=6, method=method, reconcile=reconcile_method)
        return
    f = forecast_demand(
        history, pop, horizon=6, method=method, reconcile=reconcile_method, sample_paths=300
    )
    fr = f.frame
    tol = 1e-9
    assert np.isfinite(fr[["mean", "lower", "upper"]].to_numpy()).all()
    # lower ≤ mean ≤ upper, all non-negative
    assert (fr["lower"] >= 0).all()
    assert (fr["lower"] <= fr["mean"] + tol).all() and (fr["mean"] <= fr["upper"] + tol).all()
    # intervals never narrow with the horizon
    for _, g in fr.groupby(["need", "age_band"], observed=True):
        width = (g.sort_values("year")["upper"] - g.sort_values("year")["lower"]).to_numpy()
        assert (np.diff(width) >= -1e-6).all()
    # cells add up to every total: the aggregates' means are the sums of the cells'
    for by in [(), ("age_band",), ("need",)]:
        agg = f.aggregate(by)
        sums = fr.groupby([*by, "year"], observed=True)["mean"].sum().reset_index()
        merged = agg.merge(sums, on=[*by, "year"], suffixes=("", "_cells"))
        assert len(merged) == len(agg)
        assert np.allclose(merged["mean"], merged["mean_cells"])
        assert (merged["lower"] <= merged["mean"] + tol).all()
        assert (merged["mean"] <= merged["upper"] + tol).all()
    # sample paths are non-negative and as many as asked
    s = f.samples(3, np.random.default_rng(0))
    assert len(s) == len(fr) * 3 and (s["children"] >= 0).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n_needs=st.integers(1, 4),
    n_bands=st.integers(1, 3),
    method=st.sampled_from(["bottom_up", "ols", "wls_struct", "mint_shrink"]),
    seed=st.integers(0, 10_000),
)
def test_reconciliation_is_coherent_and_unbiased(
    n_needs: int, n_bands: int, method: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = pd.DataFrame(
        [(f"N{i}", f"B{j}") for i in range(n_needs) for j in range(n_bands)],
        columns=["need", "age_band"],
    )
    s, nodes = hierarchy(keys, ("need", "age_band"))
    assert s.shape == (len(nodes), len(keys))
    errors = rng.normal(size=(6, len(nodes))) * rng.uniform(1, 5, size=len(nodes))
    g, _ = reconciliation_matrix(s, method, errors)
    # coherent forecasts are left unchanged: G S = I
    assert np.allclose(g @ s, np.eye(len(keys)), atol=1e-8)
    # whatever the base forecasts, the reconciled ones add up at every node
    base = rng.uniform(0, 100, size=len(nodes))
    cells = reconcile(g, base)
    assert (cells >= 0).all()
    totals = s @ cells
    assert np.isclose(totals[0], cells.sum())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n_years=st.integers(3, 10),
    level=st.floats(5.0, 5000.0),
    growth=st.floats(-0.1, 0.3),
    seed=st.integers(0, 2**31 - 1),
    method=st.sampled_from(["auto", "drift", "pooled", "naive"]),
)
def test_intervals_ordered_and_not_degenerate(
    n_years: int, level: float, growth: float, seed: int, method: str
) -> None:
    """Random positive histories: lower < mean < upper in every year, never "0 to mean"."""
    rng = np.random.default_rng(seed)
    years = range(2025 - n_years + 1, 2026)
    rows = [
        {
            "year": y,
            "age_band": band,
            "children": float(max(rng.poisson(level * share * (1 + growth) ** t), 1)),
        }
        for band, share in (("5-10", 1.0), ("11-15", 0.7))
        for t, y in enumerate(years)
    ]
    f = forecast_demand(
        pd.DataFrame(rows), None, horizon=8, method=method, by=("age_band",), sample_paths=400
    )
    fr = f.frame
    live = fr["mean"] > 0.5
    assert (fr.loc[live, "lower"] < fr.loc[live, "mean"]).all()
    assert (fr["mean"] < fr["upper"]).all()
    for _, g in fr.groupby("age_band", observed=True):
        g = g.sort_values("year")
        width = (g["upper"] - g["lower"]).to_numpy()
        assert (np.diff(width) >= -1e-6).all()
        mean = g["mean"].to_numpy()
        # widening with the horizon (in children, or relative to a falling forecast)
        if mean[-1] > 0.5:
            relative = width[-1] / mean[-1] > width[0] / max(mean[0], 1.0)
            assert width[-1] > width[0] or relative
    total = f.aggregate(())
    live = total["mean"] > 0.5
    assert (total.loc[live, "lower"] < total.loc[live, "mean"]).all()
    assert (total["mean"] < total["upper"]).all()
