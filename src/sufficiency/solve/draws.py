"""Re-solving one built model for many demands: one HiGHS instance, new demand bounds, warm.

The allocation over forecast sample paths changes nothing in the model but the demand:
the right-hand sides of the conservation rows (``demand`` block). Continuity rows keep
their constants, which come from the base-year stock and carry rates, not from the
forecast; capacity, out-of-area and capital rows do not involve demand at all. So the
model is built and passed to HiGHS once per process, and each demand is a change of row
bounds and a run. Build decisions of a mixed-integer model are fixed at the plan's values:
the futures are played against the capital programme the plan chose.

Each run starts from scratch (with presolve) by default. On the bundled borough's model
with continuity (14k rows, 28k columns) a warm start from the previous draw's basis took
more time than a fresh presolved solve (dual simplex from a basis 2–5k iterations away,
without presolve: 1.2–6 s against 0.6–2 s on a loaded 2-core machine), and a fresh solve
makes each draw's answer independent of the order draws are solved in, so draws can be
shared among processes and give the same table. ``warm=True`` keeps the basis instead.
HiGHS runs with :data:`~sufficiency.solve.engines.HIGHS_RESOLVE_OPTIONS` (devex pricing,
row-wise PRICE), about a third less CPU a draw on that model than its defaults.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from ..errors import SolveError
from ..model.arrays import AllocationArrays
from . import engines
from .checks import allocation_violations, matrix_violations
from .matrix import LpMatrix, fix_integers

log = logging.getLogger(__name__)


class DemandResolver:
    """One model, solved again for each new demand vector.

    Args:
        arrays: The arrays the model was built from (their groups fix the demand rows).
        matrix: The built model.
        values: Column values of the plan's solve: integer columns are fixed at them and
            they seed the first warm start.
        time_limit: Seconds per solve.
        warm: Start each run from the previous optimal basis instead of from scratch.
        options: HiGHS options for the re-solves (they change how the optimum is found,
            not the model): :data:`~sufficiency.solve.engines.HIGHS_RESOLVE_OPTIONS` by
            default.
    """

    def __init__(
        self,
        arrays: AllocationArrays,
        matrix: LpMatrix,
        values: np.ndarray | None = None,
        *,
        time_limit: float = 60.0,
        warm: bool = False,
        options: dict[str, int] | None = None,
    ) -> None:
        if matrix.integer.any():
            if values is None:
                raise ValueError("a mixed-integer model needs the plan's values to fix builds")
            matrix = fix_integers(matrix, values)
        self.arrays = arrays
        self.matrix = matrix
        self.time_limit = float(time_limit)
        self.warm = warm
        self._rows = matrix.row_slices()["demand"]
        self._index = np.arange(self._rows.start, self._rows.stop, dtype=np.int32)
        self._highs = engines._highs_model(matrix)
        engines.set_highs_options(
            self._highs, engines.HIGHS_RESOLVE_OPTIONS if options is None else options
        )
        self.solves = 0

    @property
    def n_groups(self) -> int:
        """Number of demand groups (length of a demand vector)."""
        return len(self._index)

    def solve(self, demand: np.ndarray) -> np.ndarray:
        """Column values of the optimal allocation of ``demand`` (children per group).

        From scratch, or (``warm``) from the previous basis, then from scratch if that
        does not reach optimality.

        Raises:
            SolveError: If no optimal solution that holds every row is found.
        """
        demand = np.asarray(demand, dtype=float)
        if demand.shape != (self.n_groups,):
            raise ValueError(f"demand has shape {demand.shape}; expected ({self.n_groups},)")
        h = self._highs
        if not self.warm:
            h.clearSolver()
        # in highspy's bindings, not its type stubs
        h.changeRowsBounds(len(self._index), self._index, demand, demand)  # type: ignore[attr-defined]
        status = self._run()
        if status != "optimal" and self.warm:
            log.warning("warm re-solve ended with %s; solving from scratch", status)
            h.clearSolver()
            status = self._run()
        if status != "optimal":
            raise SolveError(f"the allocation of a demand draw could not be solved: {status}")
        values = np.asarray(h.getSolution().col_value, dtype=float)
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

    def _run(self) -> str:
        # HiGHS's clock runs on across calls: the limit is set from where it stands now
        self._highs.setOptionValue("time_limit", self._highs.getRunTime() + self.time_limit)
        with engines.quiet_native_output():
            self._highs.run()
        return engines.highs_status(self._highs.getModelStatus())


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
