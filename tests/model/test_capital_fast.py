"""The capital plan from the relaxation (:mod:`sufficiency.solve.mip`) against the full
branch and bound: the same objective within the gap it states, on random boroughs."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_capital import option, run_capital

from sufficiency.errors import SolveError
from sufficiency.solve import engines, lp, mip
from sufficiency.solve.lp import AllocationModel
from sufficiency.solve.matrix import fix_integers


def _exact(model: AllocationModel) -> float:
    """The mixed-integer programme solved by HiGHS's branch and bound to a 1e-9 gap."""
    result = engines.solve_highs(model.matrix, mip_gap=1e-9)
    assert result.status == "optimal"
    return float(result.objective)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    costs=st.lists(st.floats(2e5, 3e7), min_size=1, max_size=4),
    places=st.lists(st.integers(2, 12), min_size=4, max_size=4),
    out_places=st.integers(0, 10),
    tolerance=st.sampled_from([1e-9, 1e-3, 0.05]),
)
def test_same_objective_as_branch_and_bound_within_the_stated_gap(
    costs: list[float], places: list[int], out_places: int, tolerance: float
) -> None:
    options = [
        option(f"O{i}", c, places=p, lead_time_years=i % 2)
        for i, (c, p) in enumerate(zip(costs, places, strict=False))
    ]
    r = run_capital(options, horizon=3, out_places=out_places, mip_gap=tolerance)
    model = r.extras["model"]
    fast = r.summary["objective"]
    gap = r.summary["capital"]["mip_gap"]
    assert gap is not None and gap <= tolerance + 1e-12
    exact = _exact(model)
    assert fast >= exact - 1e-6 * max(1.0, abs(exact))  # never better than the optimum
    assert fast - exact <= gap * abs(fast) + 1e-6 * max(1.0, abs(exact))  # as close as it says


def test_rounded_plan_respects_exclusive_groups_and_budgets() -> None:
    r = run_capital(
        [option("A", 1e6), option("A2", 1.1e6), option("B", 2e6)],
        exclusive=[["A", "A2"]],
        budget_gbp=2.5e6,
    )
    model = r.extras["model"]
    cap = r.extras["arrays"].capital
    m = model.matrix
    b = m.columns["b"]
    # a relaxation that half-builds everything in every year
    values = np.zeros(m.n_cols)
    values[b] = 0.5
    plan = mip.round_choice(m, cap, values)
    built = {cap.options[o].name for o in cap.col_option[plan > 0.5]}
    assert not {"A", "A2"} <= built
    spend = cap.capital_cost[cap.col_option[plan > 0.5]].sum()
    assert spend <= 2.5e6
    # one opening year per option, the earliest the relaxation opens
    per_option = np.bincount(cap.col_option[plan > 0.5], minlength=len(cap.options))
    assert per_option.max() <= 1


def test_an_option_no_child_could_use_is_fixed_out() -> None:
    # only children aged 15 in the borough: a base for ages 4-10 can never be filled
    young = option("YOUNG", 1e3, creates={"tier": "special_school", "age_min": 4, "age_max": 10})
    r = run_capital([young, option("A", 1e6)])
    model = r.extras["model"]
    cap = r.extras["arrays"].capital
    _, fixed = mip.fix_out(model.matrix, cap)
    assert [cap.options[o].name for o in fixed] == ["YOUNG"]
    assert not bool(r.builds.set_index("option").loc["YOUNG", "built"])


def _result(m, objective: float, values: np.ndarray) -> engines.EngineResult:
    zeros = np.zeros(m.n_rows)
    return engines.EngineResult(
        "optimal", objective, values, np.zeros(m.n_cols), zeros, zeros, None, 0.1
    )


def test_branch_and_bound_runs_only_when_the_rounding_is_not_certified() -> None:
    r = run_capital([option("A", 1e6), option("B", 4e6)])
    m = r.extras["model"].matrix
    cap = r.extras["arrays"].capital
    b = m.columns["b"]
    relaxation = np.zeros(m.n_cols)
    relaxation[b] = 0.6
    calls: list[str] = []

    def solve_lp(matrix, what):
        calls.append(what)
        if not matrix.integer.any() and (matrix.lower[b] == matrix.upper[b]).all():
            return _result(matrix, lp_objective, matrix.lower.copy())  # a fixed plan
        return _result(matrix, 100.0, relaxation)  # the relaxation's bound

    def solve_mip(matrix, start):
        calls.append("mip")
        assert start is not None and set(np.unique(start[b])) <= {0.0, 1.0}
        return _result(matrix, 101.0, start)

    lp_objective = 100.05  # within 0.1% of the bound: certified, no branching
    outcome = mip.solve_capital(m, cap, solve_lp, solve_mip)
    assert outcome.certified and "mip" not in calls
    assert outcome.result.mip_gap == pytest.approx(0.05 / 100.05)
    calls.clear()
    lp_objective = 101.0  # 1% above the bound: branch and bound, started from the plan
    outcome = mip.solve_capital(m, cap, solve_lp, solve_mip)
    assert not outcome.certified and "mip" in calls
    assert outcome.result.mip_gap == pytest.approx(1.0 / 101.0)


# ------------------------------------------------------------ re-solves from the plan's basis


def test_parts_give_a_whole_basis_that_restarts_a_changed_model(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The relaxation solved by HiGHS in independent parts carries the whole model's
    basis; a plan with the build decisions fixed, started there, reaches optimality from
    it (no fall back to a solve from scratch) and the optimum a solve from scratch does."""
    r = run_capital([option("A", 1e6), option("B", 4e6), option("C", 2e6)], horizon=3)
    m, _ = mip.fix_out(r.extras["model"].matrix, r.extras["arrays"].capital)
    relaxed = mip.relaxed(m)
    first = lp.solve_bulk(relaxed, "highs", keep_basis=True)
    assert first.status == "optimal" and first.basis is not None
    assert len(first.basis.col_status) == m.n_cols and len(first.basis.row_status) == m.n_rows
    b = m.columns["b"]
    col_option = r.extras["arrays"].capital.col_option
    every = np.zeros(b.stop - b.start)
    every[np.unique(col_option, return_index=True)[1]] = 1.0  # each option, earliest year
    for built in (every, np.zeros(b.stop - b.start)):
        values = np.zeros(m.n_cols)
        values[b] = built
        fixed = fix_integers(m, values)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="sufficiency.solve.engines"):
            warm = engines.solve_highs(fixed, basis=first.basis)
        assert "from the given basis:" in caplog.text
        assert "solving from scratch" not in caplog.text
        cold = engines.solve_highs(fixed)
        assert warm.status == cold.status == "optimal"
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
        assert warm.basis is not None


def test_a_basis_of_another_shape_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    r = run_capital([option("A", 1e6)])
    m = mip.relaxed(r.extras["model"].matrix)
    basis = engines.solve_highs(m).basis
    assert basis is not None
    smaller = engines.solve_highs(r.extras["model"].matrix)  # the MIP: no basis is kept
    assert smaller.basis is None
    other = run_capital([option("A", 1e6), option("B", 2e6)], horizon=3)
    m2 = mip.relaxed(other.extras["model"].matrix)
    assert (len(basis.col_status), len(basis.row_status)) != (m2.n_cols, m2.n_rows)
    cold = engines.solve_highs(m2)
    with caplog.at_level(logging.DEBUG, logger="sufficiency.solve.engines"):
        warm = engines.solve_highs(m2, basis=basis)
    assert "not this model's shape" in caplog.text  # refused, then solved from scratch
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_option_values_are_the_same_from_the_plan_basis_as_from_scratch() -> None:
    """cost_without from the plan's basis (the library's way) against a cold solve of the
    same programme: the same cost, gap and objective for every built option."""
    r = run_capital([option("A", 1e6), option("B", 3e6)], horizon=3, out_places=2)
    model = r.extras["model"]
    assert model.result is not None and model.result.basis is not None
    built = [
        i
        for i, o in enumerate(r.extras["arrays"].capital.options)
        if r.builds.set_index("option").loc[o.name, "built"]
    ]
    assert built
    cols = r.extras["plan"].allocation.solution.columns
    for o in built:
        warm = lp.cost_without(model, cols, o, basis=model.result.basis)
        cold = lp.cost_without(model, cols, o, solver="cbc")
        assert warm[3] == pytest.approx(cold[3], rel=1e-9)  # the objective
        assert warm[0] == pytest.approx(cold[0], rel=1e-6, abs=1e-3)  # placement cost


def _a_opened_early():  # type: ignore[no-untyped-def]
    """Options A and B over three years, A's columns in opening order, and a relaxation
    that opens A in its earliest year."""
    r = run_capital([option("A", 1e6), option("B", 4e6)], horizon=3)
    m = r.extras["model"].matrix
    cap = r.extras["arrays"].capital
    a_cols = np.flatnonzero(cap.col_option == 0)
    a_cols = a_cols[np.argsort(cap.col_year[a_cols])]
    assert len(a_cols) >= 2
    relaxation = np.zeros(m.n_cols)
    relaxation[m.columns["b"].start + a_cols[0]] = 0.7
    return m, cap, a_cols, relaxation


def test_a_plan_one_move_away_is_certified_before_any_branching() -> None:
    """The rounded plan opens A in its earliest year and is 1% above the bound; opening A a
    year later is within the tolerance: the local search finds it, no branch and bound."""
    m, cap, a_cols, relaxation = _a_opened_early()
    b = m.columns["b"]
    calls: list[str] = []

    def solve_lp(matrix, what):
        calls.append(what)
        if not matrix.integer.any() and (matrix.lower[b] == matrix.upper[b]).all():
            plan = matrix.lower[b]
            late = plan[a_cols[1]] > 0.5 and plan.sum() == 1
            return _result(matrix, 100.05 if late else 101.0, matrix.lower.copy())
        return _result(matrix, 100.0, relaxation)

    def solve_mip(matrix, start):
        calls.append("mip")
        return _result(matrix, 100.05, start)

    outcome = mip.solve_capital(m, cap, solve_lp, solve_mip)
    assert outcome.certified and "mip" not in calls
    assert "a capital plan one move away" in calls
    assert outcome.result.col_value[b][a_cols[1]] == 1.0
    assert outcome.result.mip_gap == pytest.approx(0.05 / 100.05)


def test_neighbours_keep_exclusive_groups_and_budgets() -> None:
    r = run_capital(
        [option("A", 1e6), option("A2", 1.1e6), option("B", 2e6)],
        exclusive=[["A", "A2"]],
        budget_gbp=2.5e6,
    )
    m = r.extras["model"].matrix
    cap = r.extras["arrays"].capital
    b = m.columns["b"]
    names = [o.name for o in cap.options]
    plan = np.zeros(b.stop - b.start)
    first = {o: int(np.flatnonzero(cap.col_option == o)[0]) for o in range(len(names))}
    plan[first[names.index("A")]] = 1.0
    frac = np.full(b.stop - b.start, 0.4)  # the relaxation opened some of everything
    moves = mip.neighbours(m, cap, plan, frac)
    assert moves
    for move in moves:
        built = {names[cap.col_option[j]] for j in np.flatnonzero(move > 0.5)}
        assert not {"A", "A2"} <= built
        assert cap.capital_cost[cap.col_option[move > 0.5]].sum() <= 2.5e6
    # the swap within the group is among the moves: A2 instead of A
    assert any(
        {names[cap.col_option[j]] for j in np.flatnonzero(move > 0.5)} == {"A2"} for move in moves
    )


def test_the_local_search_side_by_side_finds_the_plan_found_one_by_one() -> None:
    """A round's neighbours handed over together (``solve_lps``, which the library solves
    side by side) lead to the same plan as solving them one by one, and a neighbour no
    engine solves is passed over in both."""
    m, cap, a_cols, relaxation = _a_opened_early()
    b = m.columns["b"]

    def solve_lp(matrix, what):
        if not matrix.integer.any() and (matrix.lower[b] == matrix.upper[b]).all():
            plan = matrix.lower[b]
            if plan.sum() == 0:  # a neighbour no engine solves
                raise SolveError("no engine solved it")
            late = plan[a_cols[1]] > 0.5 and plan.sum() == 1
            return _result(matrix, 100.05 if late else 101.0 - 0.1 * plan.sum(), matrix.lower)
        return _result(matrix, 100.0, relaxation)

    def solve_mip(matrix, start):
        raise AssertionError("no branch and bound: a neighbour is certified")

    batches: list[int] = []

    def solve_lps(matrices, what):
        batches.append(len(matrices))
        return mip.one_by_one(solve_lp, matrices, what)

    one_by_one = mip.solve_capital(m, cap, solve_lp, solve_mip)
    together = mip.solve_capital(m, cap, solve_lp, solve_mip, solve_lps)
    assert batches and max(batches) > 1  # a round's neighbours went together
    assert together.certified and one_by_one.certified
    np.testing.assert_array_equal(together.result.col_value[b], one_by_one.result.col_value[b])
    assert together.result.col_value[b][a_cols[1]] == 1.0
    assert together.result.objective == one_by_one.result.objective
