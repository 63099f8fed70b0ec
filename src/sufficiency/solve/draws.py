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
:data:`~sufficiency.solve.engines.HIGHS_RESOLVE_OPTIONS` (devex pricing, row-wise PRICE).

Where groups compete for the same places at the same price (the market's price is the same
for several levels), the cheapest allocation is not unique. Each part's optimum is then
made unique as for the plan (:mod:`.tiebreak`): after a draw's solve, the part's columns and
rows are held on its optimal face (read from that solve's duals), its costs replaced by the
tie-break score, and the same HiGHS instance runs primal simplex from the optimal basis it
holds; then the part's costs and bounds are put back. So a draw's split between groups
competing for the same places is the one allocation of least tie-break score among the
cheapest, whatever the order draws are solved in or the process that solves them, and a
draw at the plan's demand gives the plan's allocation.
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
from .matrix import LpMatrix, fix_integers
from .split import split_model
from .tiebreak import face_bounds, same_cost, tie_weights

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
        basis: The optimal basis at the plan's demand (the warm start of every draw).
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
    basis: highspy.HighsBasis | None = None
    face_basis: highspy.HighsBasis | None = None
    last: tuple[np.ndarray, np.ndarray] | None = None


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
            else [(np.arange(m.n_cols), np.arange(a.shape[0]), m)]
        )
        parts, covered = [], np.zeros(self._n_groups, dtype=bool)
        for cols, part_rows, part_matrix in pieces:
            on = (part_rows >= rows.start) & (part_rows < rows.stop)
            groups = part_rows[on] - rows.start
            covered[groups] = True
            highs = engines._highs_model(part_matrix)
            shift = shift_all[part_rows[on]] if split is not None else np.zeros(int(on.sum()))
            demand_rows = np.flatnonzero(on).astype(np.int32)
            parts.append(_Part(cols, highs, demand_rows, groups, shift, part_matrix, weights[cols]))
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
            if status != "optimal" and start == "plan":
                log.debug("warm re-solve of a part ended with %s; solving from scratch", status)
                h.clearSolver()
                engines.set_highs_options(h, self._options)
                status = self._run_once(h)
            if status != "optimal":
                raise SolveError(f"the allocation of a demand draw could not be solved: {status}")
            if keep_basis:
                part.basis = h.getBasis()
            solved = np.asarray(h.getSolution().col_value, dtype=float)
            if self.tie_break:
                solved = self._break_ties(part, bounds, solved, keep_basis=keep_basis)
            values[part.cols] = solved
            part.last = (bounds, solved)
        problems = self.violations(demand, values)
        if problems:
            raise SolveError(
                "the allocation of a demand draw breaks the model: " + "; ".join(problems)
            )
        self.solves += 1
        return values

    def _break_ties(
        self, part: _Part, bounds: np.ndarray, first: np.ndarray, *, keep_basis: bool = False
    ) -> np.ndarray:
        """The part's allocation of least tie-break score on its optimal face, from the
        optimal basis HiGHS holds; the part's costs and bounds are put back after.

        Falls back to ``first`` (with a warning) if the second stage does not reach
        optimality or costs more than ``first``.
        """
        h, pm = part.highs, part.matrix
        block = pm.blocks[0]
        lower, upper = block.lower.copy(), block.upper.copy()
        lower[part.demand_rows], upper[part.demand_rows] = bounds, bounds
        now = replace(pm, blocks=[replace(block, lower=lower, upper=upper)])
        row_dual = np.asarray(h.getSolution().row_dual, dtype=float)
        col_lo, col_up, row_lo, row_up = face_bounds(now, row_dual, first)
        n_cols, n_rows = pm.n_cols, len(lower)
        cols, rows = np.arange(n_cols, dtype=np.int32), np.arange(n_rows, dtype=np.int32)
        inf = highspy.kHighsInf

        def finite(v: np.ndarray) -> np.ndarray:
            return np.clip(v, -inf, inf)

        h.changeColsBounds(n_cols, cols, finite(col_lo), finite(col_up))
        # in highspy's bindings, not its type stubs
        h.changeRowsBounds(n_rows, rows, finite(row_lo), finite(row_up))  # type: ignore[attr-defined]
        h.changeColsCost(n_cols, cols, part.weights)
        try:
            if part.face_basis is not None and not keep_basis:
                # the plan's optimal basis of its face: dual feasible for the tie-break
                # score, and near, so dual simplex moves only where the draw's face differs
                h.clearSolver()
                h.setBasis(part.face_basis)
                status = self._run_with(h, FACE_WARM_OPTIONS)
            else:  # primal simplex from the first stage's optimal basis, a point of the face
                status = self._run_with(h, TIE_BREAK_OPTIONS)
            if status != "optimal":
                log.debug("warm tie-break of a part ended with %s; solving from scratch", status)
                h.clearSolver()
                status = self._run_with(h, self._options)
            if keep_basis and status == "optimal":
                part.face_basis = h.getBasis()
            second = np.asarray(h.getSolution().col_value, dtype=float)
        finally:
            h.changeColsBounds(n_cols, cols, finite(pm.lower), finite(pm.upper))
            h.changeRowsBounds(n_rows, rows, finite(lower), finite(upper))  # type: ignore[attr-defined]
            h.changeColsCost(n_cols, cols, pm.cost)
        if status != "optimal" or not same_cost(now, first, second):
            log.warning(
                "the tie-break of a draw's part ended with %s or cost more than its optimum; "
                "the first solve's allocation is kept",
                status,
            )
            return first
        return second

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


#: HiGHS options for the second stage of a part at the plan's demand
#: (:meth:`DemandResolver._break_ties`): primal simplex with Dantzig pricing, from the
#: first stage's optimal basis (a point of the optimal face).
TIE_BREAK_OPTIONS: dict[str, int | float] = {
    "simplex_strategy": 4,
    "simplex_primal_edge_weight_strategy": 0,
}

#: HiGHS options for the second stage of a part at a draw's demand: dual simplex from the
#: plan's optimal basis of its face, as :data:`~sufficiency.solve.engines.HIGHS_WARM_OPTIONS`
#: for the first stage. On the bundled borough: about 900 iterations a draw, against
#: 2,000-2,400 of primal simplex from the draw's first-stage basis, with the same answer.
FACE_WARM_OPTIONS: dict[str, int | float] = {
    "simplex_strategy": 1,
    "simplex_dual_edge_weight_strategy": 0,
    "dual_simplex_cost_perturbation_multiplier": 0.0,
    "simplex_price_strategy": 1,
}


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
