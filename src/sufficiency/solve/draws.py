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
for several levels), the optimum is not unique: the total sufficiency gap and the cost are,
but its split between those levels and needs is one of several equally cheap answers, the
one the solver's path reaches. It is the same for the same draws and model.
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
    basis: highspy.HighsBasis | None = None
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
        self._parts, self._settled, self._settled_shift = self._cut(matrix, rows)
        self.solves = 0
        # the plan's demand from scratch: each part's optimal basis starts every draw
        self._solve(arrays.groups["children"].to_numpy(dtype=float), "scratch")
        for part in self._parts:
            part.basis = part.highs.getBasis()

    def _cut(self, m: LpMatrix, rows: slice) -> tuple[list[_Part], np.ndarray, np.ndarray]:
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
            parts.append(_Part(cols, highs, np.flatnonzero(on).astype(np.int32), groups, shift))
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

    def _solve(self, demand: np.ndarray, start: str) -> np.ndarray:
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
