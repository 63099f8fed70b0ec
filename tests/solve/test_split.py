"""Independent parts of the LP: solved separately, joined exactly."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks import drivers
from benchmarks.sizes import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.solve import engines
from sufficiency.solve.lp import AllocationModel, build_model, solve_bulk
from sufficiency.solve.matrix import LpMatrix, build_matrix, fix_integers
from sufficiency.solve.split import Split, largest_part_rows, split_and_largest, split_model


@st.composite
def block_models(draw: st.DrawFn) -> LpMatrix:
    """Placement-like LPs of independent blocks of one shape, tied only by fixed columns.

    Each block has groups (demand rows, equality, with an expensive unmet column each) and
    settings (capacity rows); pairs join them at random costs. A few fixed columns (like
    build decisions fixed after a MIP) add places to capacity rows in several blocks.
    """
    n_blocks = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows, cols, vals, lower, upper, cost = [], [], [], [], [], []
    cap_rows: list[int] = []
    n_rows = n_cols = 0
    # blocks of one shape (random costs and bounds), so no block is packed with another
    n_groups, n_settings = rng.integers(1, 5), rng.integers(1, 4)
    eligible = rng.random((n_groups, n_settings)) < 0.7
    for _ in range(n_blocks):
        group_row = n_rows + np.arange(n_groups)
        setting_row = n_rows + n_groups + np.arange(n_settings)
        cap_rows += setting_row.tolist()
        demand = rng.integers(0, 30, n_groups).astype(float)
        lower += demand.tolist() + [-np.inf] * n_settings
        upper += demand.tolist() + rng.integers(0, 25, n_settings).astype(float).tolist()
        n_rows += n_groups + n_settings
        for g in range(n_groups):
            for s in range(n_settings):
                if eligible[g, s]:
                    rows += [group_row[g], setting_row[s]]
                    cols += [n_cols, n_cols]
                    vals += [1.0, 1.0]
                    cost.append(float(rng.integers(1, 100)))
                    n_cols += 1
            rows.append(group_row[g])
            cols.append(n_cols)
            vals.append(1.0)
            cost.append(1000.0)
            n_cols += 1
    n_fixed = draw(st.integers(0, 3))
    for _ in range(n_fixed):
        for r in rng.choice(cap_rows, size=min(2, len(cap_rows)), replace=False):
            rows.append(int(r))
            cols.append(n_cols)
            vals.append(-float(rng.integers(1, 10)))
        cost.append(float(rng.integers(0, 500)))
        n_cols += 1
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, np.inf)
    fixed_at = rng.integers(0, 2, n_fixed).astype(float)
    col_lower[n_cols - n_fixed :] = fixed_at
    col_upper[n_cols - n_fixed :] = fixed_at
    m = LpMatrix(
        cost=np.array(cost),
        lower=col_lower,
        upper=col_upper,
        integer=np.zeros(n_cols, dtype=bool),
        columns={"x": slice(0, n_cols)},
    )
    m.add_block("r", np.array(rows), np.array(cols), np.array(vals), lower, upper)
    return m


def _rows_inside_parts(m: LpMatrix, split: Split) -> None:
    """Every free column and every row with a free column is in exactly one part, and no
    row reaches another part; a row of fixed columns alone is in none."""
    part_of_col = np.full(m.n_cols, -1)
    part_of_row = np.full(m.n_rows, -1)
    for i, p in enumerate(split.parts):
        assert (part_of_col[p.cols] == -1).all() and (part_of_row[p.rows] == -1).all()
        part_of_col[p.cols] = i
        part_of_row[p.rows] = i
    assert sorted(np.flatnonzero(part_of_col < 0).tolist()) == sorted(split.fixed.tolist())
    a = m.stacked()[0]
    with_free = np.diff(a[:, part_of_col >= 0].indptr) > 0
    assert (part_of_row[with_free] >= 0).all()
    assert (part_of_row[~with_free] == -1).all() or (part_of_row >= 0).all()
    coo = a.tocoo()
    free = part_of_col[coo.col] >= 0
    assert (part_of_col[coo.col[free]] == part_of_row[coo.row[free]]).all()


def _consistent(m: LpMatrix, r: engines.EngineResult) -> None:
    """Activities, objective and reduced costs agree with the values and duals given."""
    a, lower, upper = m.stacked()
    assert r.status == "optimal"
    np.testing.assert_allclose(r.row_value, a @ r.col_value, atol=1e-6)
    assert r.objective == pytest.approx(float(m.cost @ r.col_value), rel=1e-9)
    np.testing.assert_allclose(r.col_dual, m.cost - a.T @ r.row_dual, atol=1e-6)
    assert (r.col_value >= m.lower - 1e-7).all() and (r.col_value <= m.upper + 1e-7).all()
    assert (r.row_value >= lower - 1e-6).all() and (r.row_value <= upper + 1e-6).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=block_models(), engine=st.sampled_from(["highs", "cbc"]))
def test_parts_joined_equal_the_whole(m: LpMatrix, engine: str) -> None:
    split = split_model(m)
    assert split is not None
    assert len(split.parts) >= 2
    _rows_inside_parts(m, split)
    joined = solve_bulk(m, engine)
    whole = solve_bulk(m, engine, split=False)
    assert whole.status == "optimal"
    assert joined.objective == pytest.approx(whole.objective, rel=1e-9, abs=1e-6)
    _consistent(m, joined)


@given(m=block_models(), most=st.integers(1, 3))
@settings(max_examples=15, deadline=None)
def test_parts_can_be_packed(m: LpMatrix, most: int) -> None:
    split = split_model(m, max_parts=most)
    if most == 1:
        assert split is None
        return
    assert split is not None and 2 <= len(split.parts) <= most
    whole = engines.solve_highs(m)
    joined = split.join([engines.solve_highs(p.matrix) for p in split.parts], 0.0)
    assert joined.objective == pytest.approx(whole.objective, rel=1e-9, abs=1e-6)


@given(m=block_models(), most=st.sampled_from([None, 1, 2, 3]))
@settings(max_examples=15, deadline=None)
def test_split_and_largest_from_one_graph(m: LpMatrix, most: int | None) -> None:
    """The split and the largest part's rows found together are those found apart."""
    split, rows = split_and_largest(m, max_parts=most)
    apart = split_model(m, max_parts=most)
    assert rows == largest_part_rows(m) > 0
    assert (split is None) == (apart is None)
    if split is not None and apart is not None:
        assert len(split.parts) == len(apart.parts)
        for p, q in zip(split.parts, apart.parts, strict=True):
            assert (p.cols == q.cols).all() and (p.rows == q.rows).all()
            assert p.component_rows == q.component_rows
        assert rows == max(p.component_rows for p in split.parts)


def _bundled_model(continuity: bool) -> AllocationModel:
    scenario, inputs = drivers.load(BASELINE, [f"allocation.continuity={str(continuity).lower()}"])
    return build_model(drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs)))


@pytest.mark.slow
def test_linked_years_stay_whole() -> None:
    """With continuity the years are one problem; without it, one part per year at least.

    With continuity and dominated chains fixed empty, the levels left in unlimited
    settings fall away from the rest, and the largest part still spans every year.
    """
    linked = _bundled_model(continuity=True)
    assert split_model(build_matrix(linked.arrays, reduce=False)) is None
    split = split_model(linked.matrix)
    assert split is not None
    _rows_inside_parts(linked.matrix, split)
    biggest = max(split.parts, key=lambda p: p.component_rows)
    demand = linked.matrix.row_slices()["demand"]
    demand_rows = biggest.rows[(biggest.rows >= demand.start) & (biggest.rows < demand.stop)]
    years = linked.arrays.group_year[demand_rows - demand.start]
    assert set(years.tolist()) == set(range(len(linked.arrays.years)))
    joined = solve_bulk(linked.matrix, "cbc")
    whole = solve_bulk(build_matrix(linked.arrays, reduce=False), "highs", split=False)
    assert joined.objective == pytest.approx(whole.objective, rel=1e-9)
    _consistent(linked.matrix, joined)
    free = _bundled_model(continuity=False)
    arrays = free.arrays
    split = split_model(free.matrix)
    assert split is not None
    _rows_inside_parts(free.matrix, split)
    assert len(split.parts) >= len(arrays.years)  # at least a year each
    joined = solve_bulk(free.matrix, "cbc")
    whole = solve_bulk(free.matrix, "highs", split=False)
    assert joined.objective == pytest.approx(whole.objective, rel=1e-9)
    _consistent(free.matrix, joined)


def test_mixed_integer_model_is_not_split_until_its_builds_are_fixed() -> None:
    m = LpMatrix(
        cost=np.array([1.0, 2.0, 5.0]),
        lower=np.zeros(3),
        upper=np.array([np.inf, np.inf, 1.0]),
        integer=np.array([False, False, True]),
        columns={"x": slice(0, 3)},
    )
    # x0 ≥ 1 − 3b, x1 ≥ 2 − 3b: the build column b links two otherwise separate rows
    m.add_block(
        "r",
        np.array([0, 0, 1, 1]),
        np.array([0, 2, 1, 2]),
        np.array([1, 3, 1, 3]),
        np.array([1.0, 2.0]),
        np.full(2, np.inf),
    )
    assert split_model(m) is None
    fixed = fix_integers(m, np.array([0.0, 0.0, 1.0]))
    split = split_model(fixed)
    assert split is not None and len(split.parts) == 2
    r = solve_bulk(fixed, "cbc")
    _consistent(fixed, r)
    assert r.objective == pytest.approx(5.0)
    assert r.col_dual[2] == pytest.approx(5.0 - 0.0)  # rows slack: duals zero


def test_engine_error_in_one_part_is_reported() -> None:
    """A part that cannot be solved makes the whole result fail, naming the part."""
    m = LpMatrix(
        cost=np.ones(2),
        lower=np.zeros(2),
        upper=np.full(2, np.inf),
        integer=np.zeros(2, dtype=bool),
        columns={"x": slice(0, 2)},
    )
    # part 0 feasible; part 1 infeasible (x1 ≤ −1 with x1 ≥ 0)
    m.add_block(
        "r",
        np.array([0, 1]),
        np.array([0, 1]),
        np.ones(2),
        np.array([1.0, -np.inf]),
        np.array([np.inf, -1.0]),
    )
    for engine in ("highs", "cbc"):
        r = solve_bulk(m, engine)
        assert r.status == "infeasible"
        assert "part 1" in r.message
