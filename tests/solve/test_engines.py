"""Methods chosen by size: Clp's barrier and HiGHS's interior point give the simplex's answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from benchmarks import drivers
from benchmarks.sizes import BASELINE

from sufficiency.solve import engines
from sufficiency.solve.lp import AllocationModel, build_model, cbc_path
from sufficiency.solve.matrix import LpMatrix

from conftest import SHARED_DATA


@pytest.fixture(scope="module")
def bundled() -> LpMatrix:
    """The bundled borough's model (with continuity: 13,034 rows)."""
    scenario, inputs = drivers.load(BASELINE)
    arrays = drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs))
    return build_model(arrays).matrix


def test_clp_method_chosen_by_size(bundled: LpMatrix, monkeypatch: pytest.MonkeyPatch) -> None:
    m = bundled
    assert engines.lp_method(m, part_rows=engines.BARRIER_ROWS - 1) == "dual"
    assert engines.lp_method(m, part_rows=engines.BARRIER_ROWS) == "barrier"
    with pytest.raises(ValueError, match="unknown LP method"):
        engines.lp_method(m, "simplex")
    monkeypatch.setattr(engines, "BARRIER_ROWS", 10**9)
    assert engines.lp_method(m) == "dual"
    dual = engines.solve_cbc(m, cbc_path())
    monkeypatch.setattr(engines, "BARRIER_ROWS", 1000)
    assert engines.lp_method(m) == "barrier"
    barrier = engines.solve_cbc(m, cbc_path())
    assert dual.status == barrier.status == "optimal"
    assert barrier.objective == pytest.approx(dual.objective, rel=1e-9)
    # crossover leaves a basic solution: activities, reduced costs and duals consistent
    a, lower, upper = m.stacked()
    np.testing.assert_allclose(barrier.row_value, a @ barrier.col_value, atol=1e-6)
    np.testing.assert_allclose(barrier.col_dual, m.cost - a.T @ barrier.row_dual, atol=1e-4)
    assert (barrier.row_value >= lower - 1e-6).all() and (barrier.row_value <= upper + 1e-6).all()
    assert (barrier.col_value >= -1e-7).all()


def test_highs_interior_point_for_large_models(
    bundled: LpMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = bundled
    monkeypatch.setattr(engines, "HIGHS_IPM_ROWS", 10**9)
    simplex = engines.solve_highs(m)
    monkeypatch.setattr(engines, "HIGHS_IPM_ROWS", 1000)
    ipm = engines.solve_highs(m)
    assert simplex.status == ipm.status == "optimal"
    assert ipm.objective == pytest.approx(simplex.objective, rel=1e-9)
    a = m.stacked()[0]
    np.testing.assert_allclose(ipm.col_dual, m.cost - a.T @ ipm.row_dual, atol=1e-4)


def test_dual_simplex_when_the_barrier_gives_no_answer(
    bundled: LpMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "BARRIER_ROWS", 1000)
    methods: list[str] = []
    real_popen, real_read = engines.subprocess.Popen, engines._read_cbc_solution

    def popen(args: list[str], **kwargs: object) -> object:
        methods.append(next(a for a in args if a in ("-barrier", "-dualSimplex")))
        return real_popen(args, **kwargs)

    def read(*args: object) -> engines.EngineResult:
        result = real_read(*args)
        if len(methods) == 1:  # the barrier's answer is lost, as if it had stopped
            result.status = "time_limit"
        return result

    monkeypatch.setattr(engines.subprocess, "Popen", popen)
    monkeypatch.setattr(engines, "_read_cbc_solution", read)
    result = engines.solve_cbc(bundled, cbc_path())
    assert methods == ["-barrier", "-dualSimplex"]
    assert result.status == "optimal"


def test_an_empty_model_is_solved_not_failed() -> None:
    """A model with no column and no row (a borough with no child to place) is optimal at
    nothing, by HiGHS as by Clp: no engine failure is reported, no other engine tried."""
    empty = LpMatrix(
        cost=np.zeros(0),
        lower=np.zeros(0),
        upper=np.zeros(0),
        integer=np.zeros(0, dtype=bool),
        columns={"x": slice(0, 0)},
    )
    for got in (engines.solve_highs(empty), engines.solve_cbc(empty, cbc_path())):
        assert got.status == "optimal"
        assert got.objective == 0.0
        assert len(got.col_value) == len(got.row_dual) == 0


def _chain(n: int) -> LpMatrix:
    """``n`` columns, each with a row of its own that fixes it (presolve removes them all)
    and one row that adds them up."""
    import scipy.sparse as sp

    from sufficiency.solve.matrix import Block

    own = Block("own", sp.identity(n, format="csr"), np.ones(n), np.ones(n), np.arange(n))
    total = Block("total", sp.csr_matrix(np.ones((1, n))), np.zeros(1), np.full(1, 2.0 * n), [0])
    return LpMatrix(
        cost=np.arange(n, dtype=float),
        lower=np.zeros(n),
        upper=np.full(n, 5.0),
        integer=np.zeros(n, dtype=bool),
        columns={"x": slice(0, n)},
        blocks=[own, total],
    )


def test_simplex_where_presolve_leaves_less_than_half(
    bundled: LpMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large model that presolve cuts to under half its rows is solved by the simplex (a
    council's starter); the bundled borough, which presolve barely reduces, by the
    interior point; a small model is not presolved first."""
    asked: list[bool] = []
    real = engines._presolve_halves
    monkeypatch.setattr(engines, "_verdicts", {})  # no verdict remembered from other tests

    def halves(h):  # type: ignore[no-untyped-def]
        asked.append(real(h))
        return asked[-1]

    monkeypatch.setattr(engines, "_presolve_halves", halves)
    chain = engines.solve_highs(_chain(6000))
    assert chain.status == "optimal" and chain.objective == pytest.approx(6000 * 5999 / 2)
    assert asked == [True]
    monkeypatch.setattr(engines, "HIGHS_IPM_ROWS", 1000)
    assert engines.solve_highs(bundled).status == "optimal"
    assert asked == [True, False]
    engines.solve_highs(_chain(10))
    assert asked == [True, False]


@pytest.mark.skipif(
    not (SHARED_DATA / "dfe_release_2025_to_2023" / "caseload.csv").is_file(),
    reason="the DfE release is not in the shared data",
)
def test_a_starters_simplex_with_the_resolve_options_reaches_the_defaults_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A council's starter, which presolve cuts to a third of its rows, is solved by the
    simplex with devex pricing and row-wise PRICE (faster there): the optimum HiGHS's
    defaults reach."""
    import highspy

    from sufficiency.sources.starter import write_starter

    path = write_starter("Dudley", SHARED_DATA / "dfe_release_2025_to_2023", tmp_path / "dudley")
    scenario, inputs = drivers.load(path)
    arrays = drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs))
    m = build_model(arrays).matrix
    used: list[dict[str, float]] = []
    real = engines.set_highs_options

    def recorded(h, options):  # type: ignore[no-untyped-def]
        used.append(dict(options))
        real(h, options)

    monkeypatch.setattr(engines, "set_highs_options", recorded)
    ours = engines.solve_highs(m)
    assert used == [engines.HIGHS_RESOLVE_OPTIONS]
    h = engines._highs_model(m)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(h.getInfo().objective_function_value, rel=1e-9)


@pytest.fixture(scope="module")
def dudley_model(tmp_path_factory: pytest.TempPathFactory) -> AllocationModel:
    """Dudley's starter's model (presolve cuts it to a third of its rows)."""
    from sufficiency.sources.starter import write_starter

    release = SHARED_DATA / "dfe_release_2025_to_2023"
    if not (release / "caseload.csv").is_file():
        pytest.skip("the DfE release is not in the shared data")
    path = write_starter("Dudley", release, tmp_path_factory.mktemp("dudley") / "dudley")
    scenario, inputs = drivers.load(path)
    return build_model(drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs)))


@pytest.fixture(scope="module")
def dudley(dudley_model: AllocationModel) -> LpMatrix:
    """Dudley's starter's matrix."""
    return dudley_model.matrix


@pytest.mark.parametrize("route", ["presolved for the verdict", "run whole"])
def test_costs_nudged_toward_the_tie_break_run_without_highs_perturbation(
    dudley_model: AllocationModel, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    """Costs nudged toward the tie-break score are perturbed already: HiGHS's simplex runs
    without its own cost perturbation on them (either way the simplex runs), and reaches
    the optimum it reaches with it; a model's own costs keep HiGHS's perturbation."""
    from dataclasses import replace

    from sufficiency.solve.tiebreak import TIE_NUDGE, tie_weights

    m = dudley_model.matrix
    nudged = replace(m, cost=m.cost + TIE_NUDGE * tie_weights(dudley_model.arrays, m))
    used: list[dict[str, float]] = []
    real_options, real_presolved = engines.set_highs_options, engines._solve_presolved

    def options(h, given):  # type: ignore[no-untyped-def]
        used.append(dict(given))
        real_options(h, given)

    def presolved(held, time_limit, given):  # type: ignore[no-untyped-def]
        used.append(dict(given))
        return real_presolved(held, time_limit, given)

    monkeypatch.setattr(engines, "set_highs_options", options)
    monkeypatch.setattr(engines, "_solve_presolved", presolved)
    if route == "run whole":
        monkeypatch.setattr(engines, "_solve_presolved", lambda held, time_limit, given: False)
    solved = {}
    for perturbed in (True, False):
        used.clear()
        monkeypatch.setattr(engines, "_verdicts", {})
        monkeypatch.setattr(engines, "_presolved", {})
        solved[perturbed] = engines.solve_highs(nudged, perturbed_costs=perturbed)
        assert solved[perturbed].status == "optimal"
        off = [o.get("dual_simplex_cost_perturbation_multiplier") == 0.0 for o in used]
        assert used and all(off) if perturbed else not any(off)
    assert solved[True].objective == pytest.approx(solved[False].objective, rel=1e-10)


@pytest.mark.parametrize("verdict_by", ["engine choice", "the solve itself"])
def test_a_model_presolved_for_its_verdict_is_not_presolved_again(
    dudley: LpMatrix, monkeypatch: pytest.MonkeyPatch, verdict_by: str
) -> None:
    """The simplex after the verdict solves the presolved form the verdict left and
    postsolves it (HiGHS's run would presolve again): the values, duals and basis of
    HiGHS's own run with the same options."""
    from sufficiency.solve.lp import choose_engine

    monkeypatch.setattr(engines, "_verdicts", {})
    monkeypatch.setattr(engines, "_presolved", {})
    used: list[bool] = []
    real = engines._solve_presolved

    def recorded(held, time_limit, options):  # type: ignore[no-untyped-def]
        used.append(real(held, time_limit, options))
        return used[-1]

    monkeypatch.setattr(engines, "_solve_presolved", recorded)
    if verdict_by == "engine choice":
        assert choose_engine(dudley) == "highs"
        assert len(engines._presolved) == 1
    ours = engines.solve_highs(dudley)
    assert used == [True] and not engines._presolved
    h = engines._highs_model(dudley)
    engines.set_highs_options(h, engines.HIGHS_RESOLVE_OPTIONS)
    h.run()
    theirs, basis = h.getSolution(), h.getBasis()
    assert ours.status == "optimal"
    np.testing.assert_allclose(ours.col_value, theirs.col_value, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours.row_dual, theirs.row_dual, rtol=1e-12, atol=1e-9)
    assert ours.basis is not None and list(ours.basis.col_status) == list(basis.col_status)
    assert ours.objective == pytest.approx(h.getInfo().objective_function_value, rel=1e-12)


def test_a_failed_solve_of_the_presolved_form_is_run_again_whole(
    dudley: LpMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "_verdicts", {})
    monkeypatch.setattr(engines, "_presolved", {})
    monkeypatch.setattr(engines, "_solve_presolved", lambda held, time_limit, options: False)
    got = engines.solve_highs(dudley)
    h = engines._highs_model(dudley)
    h.run()
    assert got.status == "optimal"
    assert got.objective == pytest.approx(h.getInfo().objective_function_value, rel=1e-9)
