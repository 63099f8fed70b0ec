"""The allocation model's solve and its PuLP face: the only module that imports PuLP.

The model is built once as sparse matrices (:mod:`.matrix`) and solved by a bulk engine
(:mod:`.engines`): HiGHS given the whole matrix in one call, or CBC/Clp given an MPS file
written by compiled code. PuLP stays the modelling interface: ``AllocationModel.problem``
is the same model as a PuLP problem (variables ``x<k>``, ``u<g>``, ``d<r>``, ``m<y>``,
``o<i>``, ``b<j>``; constraints named after their family and row), carrying the solution's
values, reduced costs and duals, for users to inspect, export or re-solve. PuLP's own
solver classes (``pulp-highs``, ``pulp-cbc``) remain as engines of last resort.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pulp
import scipy.sparse as sp

from ..errors import SolveError
from ..model.arrays import AllocationArrays, gap_child_years
from . import engines
from .checks import allocation_violations, matrix_violations
from .matrix import POLICY_COLUMNS, Block, LpMatrix, build_matrix, fix_integers
from .mip import solve_capital
from .split import largest_part_rows, split_and_largest
from .tiebreak import TIE_BREAK_OPTIONS, TIE_NUDGE, face_model, same_cost, tie_weights

log = logging.getLogger(__name__)

#: Engines by name. ``auto`` picks by problem type (see :func:`choose_engine`).
ENGINES: tuple[str, ...] = ("auto", "highs", "cbc", "pulp-highs", "pulp-cbc")


class SolveStatus(enum.Enum):
    """Outcome of a solve. Only ``OPTIMAL`` results are read."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    NOT_SOLVED = "not_solved"
    ERROR = "error"

    @property
    def ok(self) -> bool:
        """Whether values may be read from the solve."""
        return self is SolveStatus.OPTIMAL


def cbc_path() -> str:
    """Path of the CBC executable that PuLP ships."""
    return str(pulp.PULP_CBC_CMD.pulp_cbc_path)


#: Rows of a linear programme's largest independent part from which HiGHS's presolve
#: decides the engine (:func:`choose_engine`): HiGHS's simplex where presolve cuts the part
#: to under half its rows, Clp's barrier otherwise. Below it Clp's dual simplex (or barrier
#: from :data:`~sufficiency.solve.engines.BARRIER_ROWS`) is the faster either way. Measured
#: on the 9 councils' starters (of 152) whose largest part is under 10,000 rows, CPU of
#: the plan's solve with its tie-break, twice each: parts of 9,524-9,872 rows 0.59-0.82 s by
#: Clp against 0.21-0.41 s by HiGHS's nudged simplex (4 councils); parts of 5,952 rows
#: 0.38-0.57 s against 0.46-0.61 s; smaller parts about even. So 9,000: the bundled
#: borough's largest part (7,952 rows, which presolve barely cuts) is still not presolved
#: for a verdict that would send it to Clp anyway.
HIGHS_PART_ROWS = 9_000

#: A linear programme with fewer nonzeros than this, whose largest independent part has
#: fewer than :data:`SMALL_PART_ROWS` rows, is *small*: HiGHS solves it in this process,
#: whole, faster than Clp processes started for its parts. By benchmark (CPU seconds of the
#: process and its solver processes, ``benchmarks/results/sweep.md``): the money-only
#: re-solve of a national LA (67k nonzeros, parts of 715 rows) 0.07 s against 0.16 s, of
#: the bundled borough (76k, 826 rows) 0.08 s against 0.16 s; Clp stays the faster on the
#: region without continuity (412k nonzeros, parts of 803 rows: 0.71 s against 1.0 s) and
#: on parts of 7-8k rows (0.25-0.36 s against 0.32-0.46 s for HiGHS's interior point).
SMALL_NONZEROS = 100_000
#: Rows of the largest independent part below which a linear programme may be small.
SMALL_PART_ROWS = 2_000


def is_small(matrix: LpMatrix) -> bool:
    """Whether ``matrix`` is a small linear programme (see :data:`SMALL_NONZEROS`)."""
    if matrix.integer.any():
        return False
    if sum(b.matrix.nnz for b in matrix.blocks) >= SMALL_NONZEROS:
        return False
    if matrix.n_rows < SMALL_PART_ROWS:  # no part can be as large: skip the graph
        return True
    return largest_part_rows(matrix) < SMALL_PART_ROWS


def largest_part(matrix: LpMatrix) -> tuple[int, LpMatrix]:
    """Rows of the largest component of ``matrix`` and the part :func:`solve_bulk` gives
    HiGHS with it (the whole model where it does not split)."""
    parts, rows = split_and_largest(matrix, max_parts=MAX_PARTS)
    if parts is None:
        return rows, matrix
    biggest = max(parts.parts, key=lambda p: p.component_rows)
    return biggest.component_rows, biggest.matrix


def choose_engine(matrix: LpMatrix) -> str:
    """The default engine, chosen by benchmark (``benchmarks/results``).

    Linear programmes go to Clp (CBC binary): on the placement LP it was 2× faster than
    HiGHS on the bundled borough and more than 3× faster at region size without
    continuity, whole or in independent parts (Clp processes run side by side), and its
    barrier beats HiGHS's interior point on large parts — unless HiGHS's presolve cuts
    the largest part (of :data:`HIGHS_PART_ROWS` rows or more) to less than half its rows
    (:func:`~sufficiency.solve.engines.presolve_halves`: a council's starter from the DfE
    release), where HiGHS's simplex is the faster, or they are small (:func:`is_small`: the
    money-only re-solves of an LA), where HiGHS in this process costs less than starting
    Clp. Mixed-integer programmes (capital decisions) go to HiGHS, whose branch and bound
    is the stronger.

    Measured side by side (``python -m benchmarks.engine_choice --slow``, both stages of
    the tie-break and the money-only re-solve, seconds of wall time,
    ``benchmarks/results/engine_choice.md``): Clp's barrier where HiGHS's interior point ran
    before took 1.9 s against 3.2 s on ``reduce_out_of_area`` (its out-of-area cap links
    every year), 1.1-1.2 s against 1.3-1.6 s on three councils' starters with such a cap,
    2.9, 6.9 and 21.4 s against 3.6, 8.6 and 24.6 s on synthetic boroughs of 150, 300 and
    600 settings with continuity; the objectives agree to 1e-13.
    """
    if matrix.integer.any() or is_small(matrix):
        return "highs"
    if matrix.n_rows < HIGHS_PART_ROWS:  # no part can be as large: skip the graph
        return "cbc"
    # the part solve_bulk will give HiGHS: its presolve verdict is remembered for that solve
    rows, part = largest_part(matrix)
    if rows < HIGHS_PART_ROWS:
        return "cbc"
    return "highs" if engines.presolve_halves(part) else "cbc"


@dataclass
class Solution:
    """Values read from an optimal solve, by column group.

    Attributes:
        status: Solve status (always ok here).
        solver: Engine that produced it.
        objective: Objective value, £.
        placed: Children per eligible pair, shape (K,).
        unmet: Children without a place per group, shape (G,).
        capacity_dual: Dual of each limited (year index, setting index) capacity row:
            the objective change per extra place (≤ 0; zero where places are spare).
        seconds: Engine wall time.
        displaced: Children displaced per continuity row, shape (R,).
        over_cap: Children over the out-of-area cap per plan year index.
        columns: Value of every column, in matrix order.
        mip_gap: Relative optimality gap of a mixed-integer solve.
    """

    status: SolveStatus
    solver: str
    objective: float
    placed: np.ndarray
    unmet: np.ndarray
    capacity_dual: dict[tuple[int, int], float]
    seconds: float
    displaced: np.ndarray = field(default_factory=lambda: np.zeros(0))
    over_cap: dict[int, float] = field(default_factory=dict)
    columns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mip_gap: float | None = None


@dataclass
class AllocationModel:
    """The model: its matrix, the arrays it came from and, on demand, its PuLP problem.

    Attributes:
        arrays: The indexed arrays the model was built from.
        matrix: The model as sparse matrices (what the engines solve).
        result: The last engine result, if solved.
    """

    arrays: AllocationArrays
    matrix: LpMatrix
    result: engines.EngineResult | None = None
    _problem: pulp.LpProblem | None = None

    @property
    def problem(self) -> pulp.LpProblem:
        """The model as a PuLP problem, with the last solution's values written back."""
        if self._problem is None:
            self._problem = to_pulp(self.matrix)
            if self.result is not None:
                _write_back(self._problem, self.matrix, self.result)
        return self._problem

    @property
    def capacity_rows(self) -> int:
        """Number of capacity constraints."""
        return _block_size(self.matrix, "cap")

    @property
    def continuity_rows(self) -> int:
        """Number of continuity constraints."""
        return _block_size(self.matrix, "stay")

    def write_mps(self, path: str | Path) -> Path:
        """Write the exact model the engines solve as an MPS file (HiGHS's writer)."""
        return engines.write_mps(self.matrix, path)


def _block_size(matrix: LpMatrix, name: str) -> int:
    return next((b.matrix.shape[0] for b in matrix.blocks if b.name == name), 0)


def build_model(arrays: AllocationArrays) -> AllocationModel:
    """Build the allocation model from the arrays (see :mod:`.matrix` for the families)."""
    return AllocationModel(arrays, build_matrix(arrays))


def _column_names(matrix: LpMatrix) -> list[str]:
    names = [""] * matrix.n_cols
    for group, cols in matrix.columns.items():
        for i, j in enumerate(range(cols.start, cols.stop)):
            names[j] = f"{group}{i}"
    return names


def to_pulp(matrix: LpMatrix, name: str = "allocation") -> pulp.LpProblem:
    """The model as a PuLP problem, built row by row from the CSR matrix.

    Names come from integer positions only (``x12``, ``demand3``), never from user
    strings, so PuLP's renaming of special characters cannot make two names collide.
    """
    prob = pulp.LpProblem(name, pulp.LpMinimize)
    cat = np.where(matrix.integer, pulp.LpInteger, pulp.LpContinuous)
    variables = [
        prob.add_variable(
            n,
            lowBound=float(lo) if np.isfinite(lo) else None,
            upBound=float(up) if np.isfinite(up) else None,
            cat=str(c),
        )
        for n, lo, up, c in zip(_column_names(matrix), matrix.lower, matrix.upper, cat, strict=True)
    ]
    nz = np.flatnonzero(matrix.cost)
    prob.setObjective(
        pulp.LpAffineExpression(
            zip([variables[j] for j in nz], matrix.cost[nz].tolist(), strict=True)
        )
    )
    rows = []
    for block in matrix.blocks:
        a = block.matrix
        indptr, indices, data = a.indptr, a.indices, a.data.tolist()
        for i in range(a.shape[0]):
            lo, up = block.lower[i], block.upper[i]
            start, stop = indptr[i], indptr[i + 1]
            expr = pulp.LpAffineExpression(
                zip([variables[j] for j in indices[start:stop]], data[start:stop], strict=True)
            )
            rname = f"{block.name}{i}"
            if np.isfinite(lo) and np.isfinite(up) and lo == up:
                rows.append((rname, pulp.LpConstraint(expr, pulp.LpConstraintEQ, rname, lo)))
            elif np.isfinite(lo) and np.isfinite(up):
                rows.append(
                    (f"{rname}_lo", pulp.LpConstraint(expr, pulp.LpConstraintGE, f"{rname}_lo", lo))
                )
                rows.append(
                    (f"{rname}_up", pulp.LpConstraint(expr, pulp.LpConstraintLE, f"{rname}_up", up))
                )
            elif np.isfinite(lo):
                rows.append((rname, pulp.LpConstraint(expr, pulp.LpConstraintGE, rname, lo)))
            elif np.isfinite(up):
                rows.append((rname, pulp.LpConstraint(expr, pulp.LpConstraintLE, rname, up)))
    prob.extend(rows)
    return prob


def _write_back(prob: pulp.LpProblem, matrix: LpMatrix, result: engines.EngineResult) -> None:
    """Put an engine's values, reduced costs and duals on the PuLP objects."""
    variables = {v.name: v for v in prob.variables()}
    for j, n in enumerate(_column_names(matrix)):
        v = variables.get(n)
        if v is not None:
            v.varValue = float(result.col_value[j])
            v.dj = float(result.col_dual[j])
    constraints = prob.constraints()
    by_name = {c.name: c for c in constraints}
    start = 0
    for block in matrix.blocks:
        for i in range(block.matrix.shape[0]):
            c = by_name.get(f"{block.name}{i}")
            if c is not None:
                c.pi = float(result.row_dual[start + i])
        start += block.matrix.shape[0]
    prob.status = pulp.LpStatusOptimal if result.status == "optimal" else pulp.LpStatusNotSolved


def _solve_pulp(model: AllocationModel, engine: str, time_limit: float) -> engines.EngineResult:
    """Solve the PuLP problem with PuLP's own solver classes (engine of last resort)."""
    prob = model.problem
    solver = (
        pulp.HiGHS(msg=False, timeLimit=time_limit)
        if engine == "pulp-highs"
        else pulp.COIN_CMD(path=cbc_path(), msg=False, timeLimit=time_limit)
    )
    start = time.perf_counter()
    with engines.quiet_native_output():
        code = prob.solve(solver)
    matrix = model.matrix
    names = _column_names(matrix)
    variables = {v.name: v for v in prob.variables()}
    value = np.array([variables[n].varValue or 0.0 for n in names], dtype=float)
    dj = np.array([getattr(variables[n], "dj", None) or 0.0 for n in names], dtype=float)
    by_name = {c.name: c for c in prob.constraints()}
    duals, acts = [], []
    for block in matrix.blocks:
        for i in range(block.matrix.shape[0]):
            c = by_name.get(f"{block.name}{i}") or by_name.get(f"{block.name}{i}_up")
            duals.append(float(c.pi or 0.0) if c is not None else 0.0)
            acts.append(0.0)
    status = {
        pulp.LpStatusOptimal: "optimal",
        pulp.LpStatusInfeasible: "infeasible",
        pulp.LpStatusUnbounded: "unbounded",
    }.get(code, "error")
    if status == "optimal" and prob.sol_status != pulp.LpSolutionOptimal:
        status = "time_limit"  # PuLP says "optimal" for a run stopped by a limit
    highs = getattr(prob, "solverModel", None) if engine == "pulp-highs" else None
    if highs is not None:
        status = engines.highs_status(highs.getModelStatus())  # the engine's own word
    return engines.EngineResult(
        status,
        float(pulp.value(prob.objective) or 0.0),
        value,
        dj,
        np.array(acts),
        np.array(duals),
        None,
        time.perf_counter() - start,
    )


#: Most parts an LP is cut into (see :func:`solve_bulk`).
MAX_PARTS = 10


def solve_bulk(
    matrix: LpMatrix,
    engine: str,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    split: bool = True,
    initial: np.ndarray | None = None,
    basis: engines.Basis | None = None,
    keep_basis: bool = False,
    perturbed_costs: bool = False,
) -> engines.EngineResult:
    """Solve with a bulk engine (``highs`` or ``cbc``), part by part where the LP allows.

    An LP that falls into independent parts (:mod:`.split`; e.g. plan years without
    continuity, or with it the levels whose chains :mod:`.dominance` leaves in unlimited
    settings only) is solved part by part and the results joined, which is exact. Each
    part's method (simplex or interior point) follows the rows of its largest component. HiGHS
    solves the parts in threads of this process (:func:`~.engines.side_by_side`: it holds
    no interpreter lock); CBC runs one process per part, each started as soon as its file
    is written. Either way the parts are solved side by side.

    Args:
        matrix: The model.
        engine: ``highs`` or ``cbc``.
        time_limit: Seconds, per part.
        mip_gap: Relative gap for a mixed-integer model.
        split: Whether to look for independent parts at all.
        initial: A feasible point to start a mixed-integer solve from (HiGHS only; CBC
            starts from its own).
        basis: An optimal basis of a model of the same shape and costs to start a linear
            programme solved whole from (HiGHS only: :func:`~.engines.solve_highs`); a
            model solved in parts starts from scratch.
        keep_basis: Join the parts' HiGHS bases into the whole model's (``result.basis``)
            where it was solved in parts (a model HiGHS solves whole carries its own).
        perturbed_costs: The costs are nudged toward the tie-break score: HiGHS's simplex
            runs without its own cost perturbation (:func:`~.engines.solve_highs`).
    """
    # from a basis the model is solved whole: the basis is the whole model's
    warm = basis is not None and engine == "highs" and not matrix.integer.any()
    parts, largest = (
        split_and_largest(matrix, max_parts=MAX_PARTS) if split and not warm else (None, None)
    )
    if parts is None:
        if matrix.integer.any():
            rows = None
        else:  # found with the split where it was looked for
            rows = largest if largest is not None else largest_part_rows(matrix)
        if engine == "highs":
            return engines.solve_highs(
                matrix,
                time_limit=time_limit,
                mip_gap=mip_gap,
                part_rows=rows,
                initial=initial,
                basis=basis,
                perturbed_costs=perturbed_costs,
            )
        return engines.solve_cbc(
            matrix, cbc_path(), time_limit=time_limit, mip_gap=mip_gap, part_rows=rows
        )
    start = time.perf_counter()
    if engine == "highs":
        results = engines.side_by_side(
            lambda p: engines.solve_highs(
                p.matrix,
                time_limit=time_limit,
                part_rows=p.component_rows,
                perturbed_costs=perturbed_costs,
            ),
            parts.parts,
        )
    else:
        runs = [
            engines.CbcRun(p.matrix, cbc_path(), time_limit=time_limit, part_rows=p.component_rows)
            for p in parts.parts
        ]
        results = [run.result() for run in runs]
    log.debug("solved %d independent parts with %s", len(parts.parts), engine)
    return parts.join(results, time.perf_counter() - start, keep_basis=keep_basis)


def run_engine(
    model: AllocationModel,
    engine: str,
    time_limit: float,
    start: np.ndarray | None = None,
    basis: engines.Basis | None = None,
    keep_basis: bool = False,
) -> engines.EngineResult:
    """Solve ``model`` with one engine (no fallback, no checks of the values); ``start``
    is a feasible point a mixed-integer solve may start from, ``basis`` an optimal basis
    a linear programme solved whole by HiGHS may start from, ``keep_basis`` asks for
    HiGHS's basis of the whole model back (:func:`solve_bulk`)."""
    if engine == "auto":
        engine = choose_engine(model.matrix)
    gap = model.arrays.capital.mip_gap if model.arrays.capital is not None else 1e-4
    if engine in ("highs", "cbc"):
        # HiGHS solves a small model whole: its parts would only add their overheads
        split = not (engine == "highs" and is_small(model.matrix))
        return solve_bulk(
            model.matrix,
            engine,
            time_limit=time_limit,
            mip_gap=gap,
            split=split,
            initial=start,
            basis=basis,
            keep_basis=keep_basis,
        )
    if engine in ("pulp-highs", "pulp-cbc"):
        return _solve_pulp(model, engine, time_limit)
    raise SolveError(f"unknown solver {engine!r}; use one of {', '.join(ENGINES)}")


#: Engines tried after the first one fails, in order (when fallback is on).
FALLBACK: tuple[str, ...] = ("highs", "cbc", "pulp-highs")


def warm_order(first: str, matrix: LpMatrix, warm: bool, *, fallback: bool = True) -> list[str]:
    """:func:`engine_order`, with HiGHS first when the engine is ours to choose and the
    solve is ``warm``: one of a chain of linear programmes of the same shape and costs,
    each started from the last one's basis (only HiGHS gives and takes one; a re-solve from
    a basis beats any engine from scratch)."""
    order = engine_order(first, matrix, fallback=fallback)
    if not warm or first != "auto" or order[0] == "highs":
        return order
    return ["highs", *(e for e in order if e != "highs")]


def engine_order(first: str, matrix: LpMatrix, *, fallback: bool = True) -> list[str]:
    """The engines to try for ``matrix``: ``first`` (``auto`` chosen by
    :func:`choose_engine`), then, with ``fallback``, the others of :data:`FALLBACK`."""
    order = [choose_engine(matrix) if first == "auto" else first]
    if fallback:
        order += [e for e in FALLBACK if e not in order]
    return order


def _failure(engine: str, result: engines.EngineResult, time_limit: float) -> str:
    """What went wrong with one engine, in words for the user."""
    if result.status == "time_limit":
        return (
            f"{engine}: stopped at the time limit of {time_limit:g} s "
            "(allocation.time_limit_seconds) before reaching an optimal solution"
        )
    return f"{engine}: {result.status} {result.message}".strip()


def solve_checked(
    model: AllocationModel,
    order: list[str],
    time_limit: float,
    *,
    what: str,
    start: np.ndarray | None = None,
    basis: engines.Basis | None = None,
    keep_basis: bool = False,
) -> tuple[str, engines.EngineResult]:
    """The first engine of ``order`` whose result is optimal and passes the checks.

    A result counts only if the engine reports optimality *and* its values hold every
    row and bound of the model and the allocation's conservation and capacity
    (:mod:`.checks`); an engine that cannot run (missing or failing binary) is skipped.

    Args:
        model: The model to solve.
        order: Engines to try (see :func:`engine_order`).
        time_limit: Seconds per engine.
        what: What is being solved, for the error message.
        start: A feasible point a mixed-integer solve may start from.
        basis: An optimal basis of a model of the same shape and costs (other bounds) a
            linear programme may start from (HiGHS only).
        keep_basis: Ask for HiGHS's optimal basis of the whole model back.

    Returns:
        The engine's name and its result.

    Raises:
        SolveError: If no engine gives a checked optimal solution; each engine's failure
            is named.
    """
    failures = []
    for engine in order:
        try:
            result = run_engine(model, engine, time_limit, start, basis, keep_basis)
        except (pulp.PulpSolverError, OSError, RuntimeError, ValueError, IndexError) as exc:
            failures.append(f"{engine}: could not run ({type(exc).__name__}: {exc})")
            log.warning("solver %s could not run: %s", engine, exc)
            continue
        if result.status != "optimal":
            failures.append(_failure(engine, result, time_limit))
            log.warning("solver %s ended with status %s", engine, result.status)
            continue
        problems = matrix_violations(model.matrix, result.col_value)
        problems += allocation_violations(model.arrays, model.matrix, result.col_value)
        if problems:
            failures.append(
                f"{engine}: reported optimal, but its solution breaks the model: "
                + "; ".join(problems)
            )
            log.warning("solver %s returned a solution that breaks the model", engine)
            continue
        log.info("solved %s with %s in %.2fs", what, engine, result.seconds)
        return engine, result
    raise SolveError(f"{what} could not be solved: " + "; ".join(failures))


def solve_model(
    model: AllocationModel,
    *,
    solver: str = "auto",
    time_limit: float = 60.0,
    fallback: bool = True,
    tie_break: bool = True,
    basis: engines.Basis | None = None,
    place_values: bool = True,
) -> Solution:
    """Solve the model, trying the other bulk engine, then PuLP's, if one fails.

    With ``tie_break`` the optimum is made unique by a second stage over the optimal face
    (:func:`break_ties`), so every engine gives the same allocation. A capital model's
    steps start from ``basis`` where given (:func:`_solve_capital`). With
    ``place_values`` the value of one more place in pounds is found by a second,
    money-only solve (:func:`_money_duals`); without, :attr:`Solution.capacity_dual`
    holds NaN (never the objective's duals, which mix money with policy weights).

    Raises:
        SolveError: If no engine reaches a checked optimal solution (see
            :func:`solve_checked`); no values are read then.
    """
    nudged = None
    if model.matrix.integer.any():
        engine, result = _solve_capital(model, solver, time_limit, fallback=fallback, basis=basis)
    else:
        m = model.matrix
        weights = tie_weights(model.arrays, m) if tie_break else None
        # the engine is chosen for the model the first run solves (HiGHS's presolve of it,
        # done for the choice, is kept for that run)
        first = m if weights is None else replace(m, cost=m.cost + TIE_NUDGE * weights)
        order = engine_order(solver, first, fallback=fallback)
        # HiGHS chosen (auto) is HiGHS by the simplex: a small model, or one presolve halves
        if weights is not None and order[0] == "highs" and (solver == "auto" or by_simplex(first)):
            nudged = nudged_tie_break(model, first, weights, time_limit)
        if nudged is not None:
            engine, result = "highs", nudged
        else:
            engine, result = solve_checked(model, order, time_limit, what="the allocation model")
    if tie_break and nudged is None:
        result = break_ties(model, result, time_limit, solver, fallback=fallback)
    if place_values:
        result = _money_duals(model, result, time_limit, solver, fallback=fallback)
    model.result = result
    model._problem = None
    return _solution(model, engine, result, money=place_values)


def by_simplex(matrix: LpMatrix) -> bool:
    """Whether HiGHS solves every part of the linear programme ``matrix`` by the simplex
    (:func:`~.engines.solve_highs`): its largest independent part has fewer than
    :data:`~.engines.HIGHS_IPM_ROWS` rows, or presolve halves it (the verdict is
    remembered for the solve)."""
    rows, part = largest_part(matrix)
    return rows < engines.HIGHS_IPM_ROWS or engines.presolve_halves(part)


def nudged_tie_break(
    model: AllocationModel, nudged: LpMatrix, weights: np.ndarray, time_limit: float
) -> engines.EngineResult | None:
    """The answer of :func:`break_ties` in three HiGHS runs, each from the last one's basis.

    As each draw's part is solved (:mod:`.draws`): the model with its costs nudged toward
    the tie-break score (:data:`~.tiebreak.TIE_NUDGE`), whose optimum is usually the
    allocation of least score among the cheapest already; then the model's own costs from
    that basis (dual simplex: no pivot where the nudge traded no money, and on to the true
    optimum where it did), whose duals give the optimal face; then the score over that
    face from the same basis (primal simplex: usually no pivot or a few). The least score
    over the optimal face is one allocation whichever optimum the face is found from, so
    the answer is the two stages' (a council's starter: the first run about as long as
    the model's own, the second stage's solve saved). Only where HiGHS solves the model by
    the simplex (:func:`by_simplex`): its interior point takes many times longer on the
    nudged costs than on the model's own (a 600-setting region: 258 s against 14 s).

    Args:
        model: The model (a linear programme).
        nudged: Its matrix with the costs nudged: ``cost + TIE_NUDGE × weights``.
        weights: Its columns' tie-break scores (:func:`~.tiebreak.tie_weights`).
        time_limit: Seconds, per run.

    Returns:
        The result as :func:`break_ties` gives it (the face's values, the own costs'
        duals, objective and basis), or None where a run does not reach a checked
        optimum or a basis to go on from: the two stages are then solved as before.
    """
    m = model.matrix
    try:
        first = solve_bulk(
            nudged, "highs", time_limit=time_limit, keep_basis=True, perturbed_costs=True
        )
        if first.status != "optimal" or first.basis is None:
            return None
        own = engines.solve_highs(m, time_limit=time_limit, basis=first.basis)
        if own.status != "optimal" or own.basis is None:
            return None
        if matrix_violations(m, own.col_value) or allocation_violations(
            model.arrays, m, own.col_value
        ):
            return None
        face = face_model(m, weights, own.row_dual, own.col_value)
        second = engines.solve_highs(
            face, time_limit=time_limit, basis=own.basis, warm_options=TIE_BREAK_OPTIONS
        )
    except (OSError, RuntimeError, ValueError, IndexError) as exc:
        log.debug("the nudged solve could not run (%s); solving in two stages", exc)
        return None
    if (
        second.status != "optimal"
        or matrix_violations(m, second.col_value)
        or allocation_violations(model.arrays, m, second.col_value)
        or not same_cost(m, own.col_value, second.col_value)
    ):
        log.debug("the nudged solve's tie-break did not hold; solving in two stages")
        return None
    seconds = first.seconds + own.seconds + second.seconds
    log.info("solved the allocation model with highs (nudged, tie-break) in %.2fs", seconds)
    return replace(own, col_value=second.col_value, row_value=second.row_value, seconds=seconds)


def break_ties(
    model: AllocationModel,
    solved: engines.EngineResult,
    time_limit: float,
    solver: str = "auto",
    *,
    fallback: bool = True,
) -> engines.EngineResult:
    """The one allocation of least tie-break score among the cheapest (:mod:`.tiebreak`).

    Solves the second stage — the tie-break score minimised over the optimal face found
    from ``solved``'s duals — with the same engines and fallback. The result carries the
    second stage's values and the first stage's duals and objective (still optimal for
    the model: the values lie on its optimal face). If the second stage's values cost
    more than the first's (beyond :data:`~sufficiency.solve.tiebreak.COST_RTOL`), the
    first stage's answer is kept and a warning logged; so it is if no engine solves the
    second stage (the first is optimal and checked: only its split between equally cheap
    groups may then depend on the engine).
    """
    m = model.matrix
    face = face_model(m, tie_weights(model.arrays, m), solved.row_dual, solved.col_value)
    try:
        engine, second = solve_checked(
            AllocationModel(model.arrays, face),
            engine_order(solver, face, fallback=fallback),
            time_limit,
            what="the tie-break among equally cheap allocations",
        )
    except SolveError as exc:  # the first stage stands: optimal and checked
        log.warning(
            "%s; the first solve's allocation is kept (its split between equally cheap "
            "groups may depend on the engine)",
            exc,
        )
        return solved
    problems = matrix_violations(m, second.col_value)
    if problems or not same_cost(m, solved.col_value, second.col_value):
        log.warning(
            "the tie-break's allocation costs more than the optimum or breaks the model; "
            "the first solve's allocation is kept (its split between equally cheap groups "
            "may depend on the engine)"
        )
        return solved
    log.debug("tie-break solved with %s in %.2fs", engine, second.seconds)
    return replace(
        solved,
        col_value=second.col_value,
        row_value=second.row_value,
        seconds=solved.seconds + second.seconds,
    )


def _year_by_year(m: LpMatrix, values: np.ndarray) -> list[Block]:
    """The blocks with every link to another year's placements held at its solved value.

    Continuity rows (and an out-of-area cap on new placements) refer to last year's
    placements with negative coefficients; those terms are moved into the row bounds at
    their values, so each plan year stands alone.
    """
    x = m.columns["x"]
    out = []
    for block in m.blocks:
        if block.name not in ("stay", "ooa"):
            out.append(block)
            continue
        a = block.matrix.tocsr(copy=True)
        cols = a.indices
        link = (cols >= x.start) & (cols < x.stop) & (a.data < 0)
        linked = sp.csr_matrix((np.where(link, a.data, 0.0), a.indices, a.indptr), shape=a.shape)
        held = linked @ values
        a.data = np.where(link, 0.0, a.data)
        a.eliminate_zeros()
        out.append(Block(block.name, a, block.lower - held, block.upper - held, block.keys))
    return out


def _money_duals(
    model: AllocationModel,
    solved: engines.EngineResult,
    time_limit: float,
    solver: str = "auto",
    *,
    fallback: bool = True,
) -> engines.EngineResult:
    """Row duals in pounds: the value of one more place, money only, year by year.

    The objective of the model mixes money with policy weights (children with no place,
    displaced, over an out-of-area cap), and plan years are linked by continuity, so its
    duals are not pounds. This solves the model again with the policy columns (and any
    build decisions, and placements that carry a policy weight) fixed at their values and
    priced at zero (weighted placements at their money cost), and with last year's
    placements held as they are (:func:`_year_by_year`): the dual of a capacity row is
    then the pounds one more place in that setting saves in that year. Values and the
    objective stay those of the first solve (still optimal for this model).

    Raises:
        SolveError: If no engine solves the money-only model (:func:`solve_checked`).
    """
    m = model.matrix
    values = solved.col_value
    linked = any(b.name in ("stay", "ooa") for b in m.blocks)
    x = m.columns["x"]
    weighted = x.start + np.flatnonzero(model.arrays.pair_weight > 0)
    used = any(np.any(values[m.columns[n]] > 1e-9) for n in POLICY_COLUMNS if n in m.columns)
    used = used or bool(np.any(values[weighted] > 1e-9))
    if not linked and not used and not m.integer.any():
        # no policy column is in the solution and no row links two years: the row duals
        # are already money (a column at zero does not set them)
        return solved
    lower, upper, cost = m.lower.copy(), m.upper.copy(), m.cost.copy()
    for name in POLICY_COLUMNS:
        if name in m.columns:
            c = m.columns[name]
            fixed = np.maximum(values[c], 0.0)
            lower[c], upper[c], cost[c] = fixed, fixed, 0.0
    # placements that carry a policy weight (children on SEN support kept in mainstream)
    # are policy outcomes too: held at their values, priced as money only
    held = np.maximum(values[weighted], 0.0)
    lower[weighted], upper[weighted] = held, held
    cost[weighted] = model.arrays.unit_cost[weighted - x.start]
    if m.integer.any():
        fixed_b = np.round(values[m.integer])
        lower[m.integer], upper[m.integer] = fixed_b, fixed_b
        cost[m.integer] = 0.0
    money = LpMatrix(
        cost=cost,
        lower=lower,
        upper=upper,
        integer=np.zeros(m.n_cols, dtype=bool),
        columns=dict(m.columns),
        blocks=_year_by_year(m, values),
    )
    _, lp = solve_checked(
        AllocationModel(model.arrays, money),
        engine_order(solver, money, fallback=fallback),
        time_limit,
        what="the value of places in pounds (the allocation with policy outcomes held)",
    )
    lp.col_value = values
    lp.row_value = solved.row_value
    lp.objective = solved.objective
    lp.mip_gap = solved.mip_gap
    lp.seconds += solved.seconds
    lp.basis = solved.basis  # the model's own basis (this one's rows link no years)
    return lp


def _solve_capital(
    model: AllocationModel,
    solver: str,
    time_limit: float,
    *,
    fallback: bool = True,
    basis: engines.Basis | None = None,
) -> tuple[str, engines.EngineResult]:
    """Solve a model with build decisions (:func:`~sufficiency.solve.mip.solve_capital`).

    Every linear programme and the mixed-integer one (when the relaxation's plan is not
    certified) go through :func:`solve_checked` with the plan's engines and fallback.

    Returns:
        The engine of the last solve and the linear programme with the builds fixed
        (values, duals, the gap reached).

    Raises:
        SolveError: If a step fails on every engine.
    """
    arrays = model.arrays
    assert arrays.capital is not None
    engines_used: list[str] = []
    # every linear programme of the steps has the model's shape and costs, other bounds:
    # each starts from the last one's optimal basis (HiGHS), a few hundred pivots away
    last = basis

    def checked(
        matrix: LpMatrix, what: str, basis: engines.Basis | None, start: np.ndarray | None = None
    ) -> tuple[str, engines.EngineResult]:
        lp = not matrix.integer.any()
        return solve_checked(
            AllocationModel(arrays, matrix),
            warm_order(solver, matrix, lp, fallback=fallback),
            time_limit,
            what=what,
            start=start,
            basis=basis if lp else None,
            keep_basis=lp,
        )

    def solve(matrix: LpMatrix, what: str, start: np.ndarray | None = None) -> engines.EngineResult:
        nonlocal last
        engine, result = checked(matrix, what, last, start)
        engines_used.append(engine)
        if result.basis is not None:
            last = result.basis
        return result

    def solve_mip(matrix: LpMatrix, start: np.ndarray | None) -> engines.EngineResult:
        return solve(matrix, "the allocation model with its build decisions", start)

    def solve_lps(matrices: list[LpMatrix], what: str) -> list[engines.EngineResult | None]:
        """Linear programmes side by side, each from the same basis (so each answer is
        the one it gives alone); the cheapest's basis starts the next step."""
        nonlocal last
        start = last

        def one(matrix: LpMatrix) -> tuple[str, engines.EngineResult] | None:
            try:
                return checked(matrix, what, start)
            except SolveError:
                return None

        answers = engines.side_by_side(one, matrices)
        solved = [a for a in answers if a is not None]
        engines_used.extend(engine for engine, _ in solved)  # in order, not as they end
        cheapest = min((r for _, r in solved), key=lambda r: float(r.objective), default=None)
        if cheapest is not None and cheapest.basis is not None:
            last = cheapest.basis
        return [a[1] if a is not None else None for a in answers]

    outcome = solve_capital(model.matrix, arrays.capital, solve, solve_mip, solve_lps)
    return engines_used[-1], outcome.result


def _solution(
    model: AllocationModel, engine: str, result: engines.EngineResult, *, money: bool = True
) -> Solution:
    """The solution's values by column group; capacity duals are NaN unless ``money``
    (the result's row duals are then the money-only re-solve's, in pounds)."""
    m, arrays = model.matrix, model.arrays
    value = result.col_value

    def group(name: str) -> np.ndarray:
        """Values of one column group (non-negative)."""
        cols = m.columns.get(name)
        return np.maximum(value[cols], 0.0) if cols is not None else np.zeros(0)

    rows = m.row_slices()
    n_settings = arrays.capacity.shape[1]
    duals: dict[tuple[int, int], float] = {}
    cap = next((b for b in m.blocks if b.name == "cap"), None)
    if cap is not None:
        dual = result.row_dual[rows["cap"]]
        for key, d in zip(cap.keys.tolist(), dual.tolist(), strict=True):
            duals[divmod(int(key), n_settings)] = float(d) if money else float("nan")
    over = group("m")
    return Solution(
        status=SolveStatus.OPTIMAL,
        solver=engine,
        objective=float(result.objective),
        placed=group("x"),
        unmet=group("u"),
        capacity_dual=duals,
        seconds=result.seconds,
        displaced=group("d"),
        over_cap={y: float(v) for y, v in enumerate(over)},
        columns=value,
        mip_gap=result.mip_gap,
    )


def cost_without(
    model: AllocationModel,
    columns: np.ndarray,
    option: int,
    time_limit: float = 60.0,
    *,
    solver: str = "auto",
    fallback: bool = True,
    basis: engines.Basis | None = None,
) -> tuple[float, float, float, float]:
    """Placement cost, sufficiency gap, out-of-area child-years and objective without one
    build. The gap is the child-years the register's commissioned places cannot take: placed
    by the market of last resort, or with no place at all where the market is off.

    The other build decisions stay as taken in ``columns`` (the solved column values);
    the option's columns are fixed at zero and the linear programme is solved again, with
    the same engines and fallback as the main solve (:func:`solve_checked`), from the
    plan's optimal ``basis`` where given (only the option's bounds differ).

    Raises:
        SolveError: If no engine solves the programme without the build.
    """
    arrays = model.arrays
    cap = arrays.capital
    assert cap is not None
    values = columns.copy()
    b = model.matrix.columns["b"]
    values[b.start + np.flatnonzero(cap.col_option == option)] = 0.0
    fixed = AllocationModel(arrays, fix_integers(model.matrix, values))
    _, result = solve_checked(
        fixed,
        warm_order(solver, fixed.matrix, basis is not None, fallback=fallback),
        time_limit,
        what=f"the allocation without capital option {cap.options[option].name!r}",
        basis=basis,
    )
    x = result.col_value[model.matrix.columns["x"]]
    u = result.col_value[model.matrix.columns["u"]]
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    return (
        float(x @ arrays.unit_cost),
        gap_child_years(arrays, x, u),
        float(x[~in_area].sum()),
        float(result.objective),
    )


def costs_without(
    model: AllocationModel,
    columns: np.ndarray,
    options: list[int],
    time_limit: float = 60.0,
    *,
    solver: str = "auto",
    fallback: bool = True,
    basis: engines.Basis | None = None,
) -> dict[int, tuple[float, float, float, float]]:
    """:func:`cost_without` for each of ``options``, the re-solves side by side.

    They are independent linear programmes, so they run in threads, as many as the
    process may use cores: Clp in its own processes, HiGHS without the interpreter's lock.
    Each answer is the one it gives alone.

    Raises:
        SolveError: If a re-solve fails on every engine.
    """

    def one(option: int) -> tuple[float, float, float, float]:
        return cost_without(
            model, columns, option, time_limit, solver=solver, fallback=fallback, basis=basis
        )

    return dict(zip(options, engines.side_by_side(one, options), strict=True))
