"""Re-solving one built model for many demands: its parts in HiGHS, new demand bounds, warm.

The allocation over forecast sample paths changes nothing in the model but the demand:
the right-hand sides of the conservation rows (``demand`` block). Continuity rows keep
their constants, which come from the base-year stock and carry rates, not from the
forecast; capacity, out-of-area and capital rows do not involve demand at all. So the
model is built and passed to HiGHS once per process, and each demand is a change of row
bounds and a run. Build decisions of a mixed-integer model are fixed at the plan's values:
the futures are played against the capital programme the plan chose.

The model falls into independent parts (:mod:`.split`): on the bundled borough one part of
about 8,000 rows holds the settings with place limits and continuity, and some hundred small
parts the groups whose settings have none. Each part is held by its own HiGHS instance and
solved alone. The first solve is at the plan's demand, from scratch; every draw then starts
each part from that optimal basis: the costs are the plan's and only right-hand sides move,
so the basis stays dual feasible, and dual simplex without cost perturbation
(:data:`~sufficiency.solve.engines.HIGHS_WARM_OPTIONS`) needs about 2,300 iterations where
a presolved solve from scratch needs 11,000: 0.3 s of CPU a draw against 0.7 s on that
model (a warm start from the previous draw, or from the nearest of a few solved draws, did
no better). Starting every draw from the same basis (the solver cleared between draws)
makes each draw's answer independent of the order draws are solved in, so draws can be
shared among processes and give the same table; a part that does not reach optimality
from the basis is solved again from scratch. A part whose demand is unchanged (children on
SEN support, at their mean in every draw) keeps its last values. Solves from scratch use
:data:`~sufficiency.solve.engines.HIGHS_RESOLVE_OPTIONS` (devex pricing, row-wise PRICE),
with HiGHS's cost perturbation even on the nudged costs: without it the solve at the plan's
demand is faster (the plan's own nudged run is solved so,
:func:`~sufficiency.solve.engines.solve_highs`), but the basis it leaves is a worse start
for the draws (the bundled borough, one process: 60 draws took as long either way, 19.3-21.7
s against 21.1-21.4 s; 200 on two workers longer, 86-97 s of CPU against 70-77 s).

Where groups compete for the same places at the same price (the market's price is the same
for several levels), the cheapest allocation is not unique. Each part's optimum is then
made unique as for the plan (:mod:`.tiebreak`): the one allocation of least tie-break score
among the cheapest. A draw finds it in three runs of the same HiGHS instance, each from
the basis the last one left:

1. The part with its costs *nudged* toward the tie-break score (:data:`TIE_NUDGE`: a
   hundredth of the score per unit, against cost gaps of hundreds of pounds), warm from
   the nudged optimum at the plan's demand. Among equally cheap allocations the nudge
   picks the one of least score, so its optimum is usually the answer already.
2. The part's own costs, from that basis: an optimum of the model itself (no pivot where
   the nudge traded no money; where it did, dual simplex goes on to the true optimum),
   whose duals give the optimal face exactly as the plan's first stage does.
3. The tie-break score over that face, by primal simplex from the same basis: usually no
   pivot or a few.

The answer is the one the plan's two separate stages would give (the least score over the
optimal face, whatever basis the runs start from), so a draw's split between groups
competing for the same places does not depend on the order draws are solved in or the
process that solves them, and a draw at the plan's demand gives the plan's allocation. On
the bundled borough's large part (30 draws) the three runs take about 2,400 pivots a draw
in all (the second and third 0-3), where a first stage of the same size was followed by a
second stage of 2,000-4,000 pivots started from the plan's face: 0.35 s a draw against
0.83 s, with the same values to 4e-12.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

import highspy
import numpy as np

from ..errors import SolveError
from ..model.arrays import AllocationArrays
from . import engines
from .checks import allocation_violations, matrix_violations
from .matrix import Block, LpMatrix, fix_integers
from .split import split_model
from .tiebreak import TIE_BREAK_OPTIONS, TIE_NUDGE, face_bounds, same_cost, tie_weights

log = logging.getLogger(__name__)


@dataclass
class _Part:
    """One independent part of the model, held by its own HiGHS instance.

    Attributes:
        cols: The part's columns in the whole model.
        highs: HiGHS holding the part.
        demand_rows: Rows of the part that are demand rows (part-local positions).
        demand_groups: The group of each of them.
        shift: What fixed columns contribute to each of them (moved to the bounds).
        matrix: The part as a model (its demand rows' bounds are the plan's).
        weights: The tie-break score of each of its columns.
        nudged: The costs of its first run: its own, nudged toward the tie-break score
            (its own alone without the tie-break).
        basis: The optimal basis of the first run at the plan's demand (the warm start of
            every draw).
        last: The last demand bounds solved and their column values (a part whose demand
            is the same in the next draw, e.g. children on SEN support only, is not solved
            again).
    """

    cols: np.ndarray
    highs: highspy.Highs
    demand_rows: np.ndarray
    demand_groups: np.ndarray
    shift: np.ndarray
    matrix: LpMatrix
    weights: np.ndarray
    nudged: np.ndarray
    basis: highspy.HighsBasis | None = None
    last: tuple[np.ndarray, np.ndarray] | None = None


def _one_block(m: LpMatrix) -> LpMatrix:
    """``m`` with its rows in one block, as a part of a split model has them: a model that
    does not split is held whole, and a draw's tie-break reads and resets its rows as one
    block (a model of several blocks gave a face of its first block only)."""
    a, lower, upper = m.stacked()
    return replace(
        m,
        integer=np.zeros(m.n_cols, dtype=bool),  # builds are fixed at the plan's values
        blocks=[Block("r", a, lower, upper, np.arange(a.shape[0]))],
    )


class DemandResolver:
    """One model, solved again for each new demand vector.

    The model (build decisions fixed) is cut into its independent parts
    (:func:`~sufficiency.solve.split.split_model`: rows and free columns that share no
    nonzero), each held by its own HiGHS instance. The first solve is at the plan's demand;
    its optimal basis is kept, and every later demand starts each part from that basis
    (``start="plan"``: dual simplex, since the costs are the plan's and only right-hand
    sides move) or from scratch with presolve (``start="scratch"``). Either way a draw's
    answer does not depend on which draws were solved before it, so draws can be shared
    among processes and give the same table. A part whose demand rows are unchanged since
    its last solve keeps its values.

    Args:
        arrays: The arrays the model was built from (their groups fix the demand rows).
        matrix: The built model.
        values: Column values of the plan's solve: integer columns are fixed at them.
        time_limit: Seconds per solve.
        start: ``plan`` (warm from the plan's optimal basis) or ``scratch``.
        options: HiGHS options for the solves from scratch (they change how the optimum
            is found, not the model):
            :data:`~sufficiency.solve.engines.HIGHS_RESOLVE_OPTIONS` by default.
        warm_options: HiGHS options for the solves from the plan's basis:
            :data:`~sufficiency.solve.engines.HIGHS_WARM_OPTIONS` by default.
        tie_break: Make each part's optimum unique (:mod:`.tiebreak`).
    """

    def __init__(
        self,
        arrays: AllocationArrays,
        matrix: LpMatrix,
        values: np.ndarray | None = None,
        *,
        time_limit: float = 60.0,
        start: str = "plan",
        options: Mapping[str, int | float] | None = None,
        warm_options: Mapping[str, int | float] | None = None,
        tie_break: bool = True,
    ) -> None:
        if start not in ("plan", "scratch"):
            raise ValueError(f"start must be 'plan' or 'scratch', not {start!r}")
        if matrix.integer.any():
            if values is None:
                raise ValueError("a mixed-integer model needs the plan's values to fix builds")
            matrix = fix_integers(matrix, values)
        self.arrays = arrays
        self.matrix = matrix
        self.time_limit = float(time_limit)
        self.start = start
        self._options = engines.HIGHS_RESOLVE_OPTIONS if options is None else options
        self._warm_options = engines.HIGHS_WARM_OPTIONS if warm_options is None else warm_options
        rows = matrix.row_slices()["demand"]
        self._n_groups = rows.stop - rows.start
        self._base = np.where(np.isfinite(matrix.lower), matrix.lower, 0.0)
        self.tie_break = tie_break
        weights = tie_weights(arrays, matrix)
        self._parts, self._settled, self._settled_shift = self._cut(matrix, rows, weights)
        self.solves = 0
        # the plan's demand from scratch: each part's optimal basis starts every draw
        self._solve(arrays.groups["children"].to_numpy(dtype=float), "scratch", keep_basis=True)

    def _cut(
        self, m: LpMatrix, rows: slice, weights: np.ndarray
    ) -> tuple[list[_Part], np.ndarray, np.ndarray]:
        """The parts, the groups whose demand rows have no free column (in no part: their
        demand must be what the fixed columns give) and what those columns give."""
        a, _, _ = m.stacked()
        fixed = m.lower == m.upper
        shift_all = a[:, fixed] @ m.lower[fixed] if fixed.any() else np.zeros(a.shape[0])
        split = split_model(m)
        pieces = (
            [(p.cols, p.rows, p.matrix) for p in split.parts]
            if split is not None
            else [(np.arange(m.n_cols), np.arange(a.shape[0]), _one_block(m))]
        )
        parts, covered = [], np.zeros(self._n_groups, dtype=bool)
        for cols, part_rows, part_matrix in pieces:
            on = (part_rows >= rows.start) & (part_rows < rows.stop)
            groups = part_rows[on] - rows.start
            covered[groups] = True
            nudge = TIE_NUDGE * weights[cols] if self.tie_break else 0.0
            nudged = part_matrix.cost + nudge
            highs = engines._highs_model(replace(part_matrix, cost=nudged))
            shift = shift_all[part_rows[on]] if split is not None else np.zeros(int(on.sum()))
            demand_rows = np.flatnonzero(on).astype(np.int32)
            part = _Part(
                cols, highs, demand_rows, groups, shift, part_matrix, weights[cols], nudged
            )
            parts.append(part)
        settled = np.flatnonzero(~covered)
        return parts, settled, shift_all[rows.start + settled]

    @property
    def n_groups(self) -> int:
        """Number of demand groups (length of a demand vector)."""
        return self._n_groups

    def solve(self, demand: np.ndarray) -> np.ndarray:
        """Column values of the optimal allocation of ``demand`` (children per group).

        Each part from the plan's basis (or from scratch), then from scratch if that does
        not reach optimality.

        Raises:
            SolveError: If no optimal solution that holds every row is found.
        """
        demand = np.asarray(demand, dtype=float)
        if demand.shape != (self.n_groups,):
            raise ValueError(f"demand has shape {demand.shape}; expected ({self.n_groups},)")
        return self._solve(demand, self.start)

    def _solve(self, demand: np.ndarray, start: str, *, keep_basis: bool = False) -> np.ndarray:
        left = demand[self._settled] - self._settled_shift
        if len(left) and np.abs(left).max() > 1e-9 * (1.0 + np.abs(demand).max()):
            raise SolveError("the allocation of a demand draw could not be solved: infeasible")
        values = self._base.copy()
        for part in self._parts:
            bounds = demand[part.demand_groups] - part.shift
            if part.last is not None and np.array_equal(part.last[0], bounds):
                values[part.cols] = part.last[1]
                continue
            h = part.highs
            # in highspy's bindings, not its type stubs
            h.changeRowsBounds(len(part.demand_rows), part.demand_rows, bounds, bounds)  # type: ignore[attr-defined]
            status = self._run(part, start)
            if start == "plan":
                self._or_from_scratch(h, status, "warm re-solve of a part")
            elif status != "optimal":
                raise SolveError(f"the allocation of a demand draw could not be solved: {status}")
            if keep_basis:
                part.basis = h.getBasis()
            if self.tie_break:
                solved = self._break_ties(part, bounds)
            else:
                solved = np.asarray(h.getSolution().col_value, dtype=float)
            values[part.cols] = solved
            part.last = (bounds, solved)
        problems = self.violations(demand, values)
        if problems:
            raise SolveError(
                "the allocation of a demand draw breaks the model: " + "; ".join(problems)
            )
        self.solves += 1
        return values

    def _break_ties(self, part: _Part, bounds: np.ndarray) -> np.ndarray:
        """The part's allocation of least tie-break score among its cheapest, from the
        nudged optimum HiGHS holds (runs 2 and 3 of the module doc); the part's nudged
        costs and its bounds are put back after.

        Raises:
            SolveError: If no optimum of the part's own costs is found.

        Falls back to the optimum of its own costs (with a warning) if the tie-break does
        not reach optimality or costs more.
        """
        h, pm = part.highs, part.matrix
        n_cols = pm.n_cols
        cols = np.arange(n_cols, dtype=np.int32)
        h.changeColsCost(n_cols, cols, pm.cost)
        try:
            first, row_dual = self._own_optimum(h)
            block = pm.blocks[0]
            lower, upper = block.lower.copy(), block.upper.copy()
            lower[part.demand_rows], upper[part.demand_rows] = bounds, bounds
            now = replace(pm, blocks=[replace(block, lower=lower, upper=upper)])
            second, status = self._least_score(part, now, row_dual, first)
        finally:
            h.changeColsCost(n_cols, cols, part.nudged)
        if status != "optimal" or not same_cost(now, first, second):
            log.warning(
                "the tie-break of a draw's part ended with %s or cost more than its optimum; "
                "the first solve's allocation is kept",
                status,
            )
            return first
        return second

    def _or_from_scratch(self, h: highspy.Highs, status: str, what: str) -> None:
        """Solve ``h`` again from scratch unless ``status`` (of its last run) is optimal.

        Raises:
            SolveError: If that does not reach optimality either.
        """
        if status != "optimal":
            log.debug("%s ended with %s; solving from scratch", what, status)
            h.clearSolver()
            engines.set_highs_options(h, self._options)
            status = self._run_once(h)
        if status != "optimal":
            raise SolveError(f"the allocation of a demand draw could not be solved: {status}")

    def _own_optimum(self, h: highspy.Highs) -> tuple[np.ndarray, np.ndarray]:
        """Column values and row duals of an optimum of the costs ``h`` holds, from the
        basis it holds (from scratch if that does not reach one)."""
        status = self._run_once(h)  # the options of the run that left the basis
        self._or_from_scratch(h, status, "a part's own costs from the nudged basis")
        solution = h.getSolution()
        return (
            np.asarray(solution.col_value, dtype=float),
            np.asarray(solution.row_dual, dtype=float),
        )

    def _least_score(
        self, part: _Part, now: LpMatrix, row_dual: np.ndarray, first: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """The least tie-break score over the optimal face of ``now`` (the part with this
        draw's bounds) found from ``row_dual``, by primal simplex from the basis held;
        the part's bounds are put back after."""
        h = part.highs
        col_lo, col_up, row_lo, row_up = face_bounds(now, row_dual, first)
        n_cols, n_rows = now.n_cols, len(row_lo)
        cols, rows = np.arange(n_cols, dtype=np.int32), np.arange(n_rows, dtype=np.int32)
        block = now.blocks[0]
        bounds = engines.highs_bounds
        h.changeColsBounds(n_cols, cols, bounds(col_lo), bounds(col_up))
        # in highspy's bindings, not its type stubs
        h.changeRowsBounds(n_rows, rows, bounds(row_lo), bounds(row_up))  # type: ignore[attr-defined]
        h.changeColsCost(n_cols, cols, part.weights)
        try:
            status = self._run_with(h, TIE_BREAK_OPTIONS)
            if status != "optimal":
                log.debug("warm tie-break of a part ended with %s; solving from scratch", status)
                h.clearSolver()
                status = self._run_with(h, self._options)
            return np.asarray(h.getSolution().col_value, dtype=float), status
        finally:
            h.changeColsBounds(n_cols, cols, bounds(now.lower), bounds(now.upper))
            h.changeRowsBounds(n_rows, rows, bounds(block.lower), bounds(block.upper))  # type: ignore[attr-defined]

    def violations(self, demand: np.ndarray, values: np.ndarray) -> list[str]:
        """How ``values`` break the model with ``demand`` in the conservation rows."""
        blocks = [
            replace(b, lower=demand, upper=demand) if b.name == "demand" else b
            for b in self.matrix.blocks
        ]
        m = replace(self.matrix, blocks=blocks)
        groups = self.arrays.groups.assign(children=demand)
        return matrix_violations(m, values) + allocation_violations(
            replace(self.arrays, groups=groups), m, values
        )

    def _run(self, part: _Part, start: str) -> str:
        h = part.highs
        h.clearSolver()  # nothing from the previous draw's run is kept
        if start == "plan" and part.basis is not None:
            engines.set_highs_options(h, self._warm_options)
            h.setBasis(part.basis)
        else:
            engines.set_highs_options(h, self._options)
        return self._run_once(h)

    def _run_with(self, h: highspy.Highs, options: Mapping[str, int | float]) -> str:
        """Run with ``options`` set, then put the options as they were."""
        before = {name: engines.option_value(h, name) for name in options}
        engines.set_highs_options(h, options)
        try:
            return self._run_once(h)
        finally:
            engines.set_highs_options(h, before)

    def _run_once(self, h: highspy.Highs) -> str:
        # HiGHS's clock runs on across calls: the limit is set from where it stands now
        h.setOptionValue("time_limit", h.getRunTime() + self.time_limit)
        with engines.quiet_native_output():
            h.run()
        return engines.highs_status(h.getModelStatus())


#: The last resolver made in this process, by the key it was asked for with: a worker
#: given several shares of the same draws builds the model once.
_last: tuple[str, DemandResolver] | None = None


def solve_demands(
    arrays: AllocationArrays,
    matrix: LpMatrix,
    values: np.ndarray | None,
    demands: np.ndarray,
    time_limit: float = 60.0,
    key: str | None = None,
) -> np.ndarray:
    """Placements and unmet children for each row of ``demands`` (one process's share).

    Args:
        arrays: The arrays the model was built from.
        matrix: The built model.
        values: The plan's column values (fix the builds of a mixed-integer model).
        demands: Children per group, one row per draw, shape (N, G).
        time_limit: Seconds per solve.
        key: Names this model: a later call with the same key in the same process reuses
            its resolver (each solve starts from scratch, so answers do not change).

    Returns:
        Shape (N, K + G): each draw's ``x`` then ``u`` column values.

    Raises:
        SolveError: If a draw cannot be solved.
    """
    global _last
    if key is not None and _last is not None and _last[0] == key:
        resolver = _last[1]
    else:
        resolver = DemandResolver(arrays, matrix, values, time_limit=time_limit)
        _last = (key, resolver) if key is not None else None
    x, u = matrix.columns["x"], matrix.columns["u"]
    out = np.empty((len(demands), (x.stop - x.start) + (u.stop - u.start)))
    for i, demand in enumerate(demands):
        solved = resolver.solve(demand)
        out[i] = np.concatenate([solved[x], solved[u]])
    return out
