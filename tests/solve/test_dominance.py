"""Dominated chains fixed empty: the same optimum as the whole model, on random instances."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from benchmarks import drivers
from benchmarks.sizes import Borough
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.data.inputs import MAINSTREAM
from sufficiency.model.arrays import AllocationArrays
from sufficiency.model.levers import OutOfAreaCap
from sufficiency.solve.dominance import chains, dominated_pairs
from sufficiency.solve.lp import build_model, solve_bulk, solve_model
from sufficiency.solve.matrix import LpMatrix, build_matrix


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> AllocationArrays:
    """A synthetic borough of 12 settings with placement continuity, market on."""
    case = drivers.prepare(Borough(12, seed=5), tmp_path_factory.mktemp("dominance"))
    arrays = case.arrays
    assert arrays.continuity is not None and len(arrays.continuity.target)
    assert arrays.market is not None
    return arrays


def _perturbed(arrays: AllocationArrays, seed: int, ooa: str) -> AllocationArrays:
    """The arrays with random prices (ties likely; a setting's price times a group's
    factor, with some settings' pairs priced at random), place limits, carry rates (a
    factor per setting) and base-year stock."""
    rng = np.random.default_rng(seed)
    n_years, n_settings = arrays.capacity.shape
    price = rng.choice([5_000.0, 8_000.0, 12_000.0, 20_000.0], size=n_settings)
    factor = rng.choice([1.0, 1.5, 2.0], size=len(arrays.groups))
    cost = price[arrays.pair_setting] * factor[arrays.pair_group]
    noisy = (rng.random(n_settings) < 0.2)[arrays.pair_setting]
    cost[noisy] *= rng.choice([0.8, 1.0, 1.25], size=int(noisy.sum()))
    limited = rng.random(n_settings) < 0.5
    places = rng.integers(0, 60, size=(n_years, n_settings)).astype(float)
    capacity = np.where(limited[None, :], places, np.inf)
    if arrays.market is not None:
        capacity[:, arrays.market] = np.inf
    # the catch-all keeping children on SEN support in mainstream school has no place limit
    capacity[:, arrays.settings["setting"].to_numpy() == MAINSTREAM] = np.inf
    cont = arrays.continuity
    assert cont is not None
    src_setting = arrays.pair_setting[cont.source]
    rate = np.clip(cont.rate * rng.choice([0.8, 1.0, 1.0, 1.2], size=n_settings)[src_setting], 0, 1)
    const = np.where(rng.random(len(cont.const)) < 0.5, 0.0, cont.const)
    out_of_area = None
    if ooa != "none":
        counted_settings = rng.random(n_settings) < 0.4
        out_of_area = OutOfAreaCap(
            settings=counted_settings,
            pairs=counted_settings[arrays.pair_setting],
            cap=np.full(n_years, float(rng.integers(0, 80))),
            base_count=0.0,
            new_only=ooa == "new_only",
            penalty=250_000.0,
        )
    return replace(
        arrays,
        unit_cost=cost,
        capacity=capacity,
        continuity=replace(cont, rate=rate, const=const),
        out_of_area=out_of_area,
    )


def _objective(m: LpMatrix, engine: str, *, split: bool) -> float:
    result = solve_bulk(m, engine, split=split)
    assert result.status == "optimal", result.message
    return result.objective


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    ooa=st.sampled_from(["none", "all", "new_only"]),
    market=st.booleans(),
)
def test_reduced_model_has_the_same_optimum(
    small: AllocationArrays, seed: int, ooa: str, market: bool
) -> None:
    arrays = _perturbed(small, seed, ooa)
    if not market:
        arrays = replace(arrays, market=None)
    whole = build_matrix(arrays, reduce=False)
    reduced = build_matrix(arrays)
    fixed = np.flatnonzero(reduced.upper[reduced.columns["x"]] == 0)
    objective = arrays.unit_cost + arrays.pair_weight  # the catch-all's weight included
    assert np.array_equal(fixed, np.flatnonzero(dominated_pairs(arrays, objective)))
    before = _objective(whole, "highs", split=False)
    after = _objective(reduced, "highs", split=True)
    assert after == pytest.approx(before, rel=1e-9, abs=1e-6)
    # the Clp path (parts side by side) agrees too
    assert _objective(reduced, "cbc", split=True) == pytest.approx(before, rel=1e-9, abs=1e-6)


def test_chains_stay_in_one_setting(small: AllocationArrays) -> None:
    n, chain = chains(small)
    first = np.full(n, -1)
    first[chain] = small.pair_setting
    assert (first[chain] == small.pair_setting).all()


def test_stocked_chains_and_limited_dominators_are_kept(small: AllocationArrays) -> None:
    dominated = dominated_pairs(small)
    assert dominated.any() and not dominated.all()
    cont = small.continuity
    assert cont is not None
    _, chain = chains(small)
    stocked = np.isin(chain, chain[cont.target[cont.const != 0]])
    assert not (dominated & stocked).any()
    # without an unlimited setting nothing can take a chain's children
    limited = replace(small, capacity=np.where(np.isinf(small.capacity), 1e6, small.capacity))
    assert not dominated_pairs(limited).any()


@pytest.mark.slow
def test_money_duals_are_unchanged_on_the_borough(tmp_path: Path) -> None:
    """Shadow prices of places (the money-only re-solve) agree with the whole model's."""
    case = drivers.prepare(Borough(), tmp_path)
    arrays = case.arrays
    reduced = build_model(arrays)
    whole = build_model(arrays)
    whole.matrix = build_matrix(arrays, reduce=False)
    assert (reduced.matrix.upper[reduced.matrix.columns["x"]] == 0).any()
    a = solve_model(reduced, solver="highs", fallback=False)
    b = solve_model(whole, solver="highs", fallback=False)
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    assert a.capacity_dual.keys() == b.capacity_dual.keys()
    da = np.array([a.capacity_dual[k] for k in sorted(a.capacity_dual)])
    db = np.array([b.capacity_dual[k] for k in sorted(b.capacity_dual)])
    np.testing.assert_allclose(da, db, rtol=1e-6, atol=1e-3)
