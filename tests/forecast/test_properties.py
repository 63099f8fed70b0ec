"""Invariants of every forecast (property tests): ordered, non-negative, widening, coherent."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    f = forecast_demand(
        history, pop, horizon=6, method=method, reconcile=reconcile_method, n_draws=300
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
