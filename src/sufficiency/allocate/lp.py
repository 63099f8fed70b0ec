"""The allocation linear programme: the only module that imports PuLP."""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from ..errors import SolveError
from .arrays import AllocationArrays

log = logging.getLogger(__name__)


class SolveStatus(enum.Enum):
    """Outcome of a solve. Only ``OPTIMAL`` results are read."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"
    ERROR = "error"

    @property
    def ok(self) -> bool:
        """Whether values may be read from the solve."""
        return self is SolveStatus.OPTIMAL


_PULP_STATUS = {
    pulp.LpStatusOptimal: SolveStatus.OPTIMAL,
    pulp.LpStatusInfeasible: SolveStatus.INFEASIBLE,
    pulp.LpStatusUnbounded: SolveStatus.UNBOUNDED,
    pulp.LpStatusNotSolved: SolveStatus.NOT_SOLVED,
    pulp.LpStatusUndefined: SolveStatus.ERROR,
}


@dataclass
class AllocationModel:
    """A built PuLP problem and the map from its names back to array positions.

    Attributes:
        problem: The PuLP problem; users may inspect, export (``writeMPS``) or re-solve it.
        place: Placement variable per eligible pair (named ``x<k>``).
        unmet: Unmet-demand variable per group (named ``u<g>``).
        conservation: Constraint per group (named ``demand<g>``).
        capacity: Constraint per limited (year, setting), keyed by (year index, setting
            index) (named ``cap<y>_<s>``).
        displaced: Slack per continuity row (named ``d<r>``; rows named ``stay<r>``).
        over_cap: Children over the out-of-area cap per plan year (``m<y>``; ``ooa<y>``).
        overrun: £ over budget per plan year for a soft budget (``o<y>``; ``budget<y>``).
        budget: Budget constraint per plan year index.
    """

    problem: pulp.LpProblem
    place: list[pulp.LpVariable]
    unmet: list[pulp.LpVariable]
    conservation: list[pulp.LpConstraint]
    capacity: dict[tuple[int, int], pulp.LpConstraint] = field(default_factory=dict)
    displaced: list[pulp.LpVariable] = field(default_factory=list)
    over_cap: dict[int, pulp.LpVariable] = field(default_factory=dict)
    overrun: dict[int, pulp.LpVariable] = field(default_factory=dict)
    budget: dict[int, pulp.LpConstraint] = field(default_factory=dict)


@dataclass
class Solution:
    """Values read from an optimal solve.

    Attributes:
        status: Solve status (always ok here).
        solver: Engine that produced it.
        objective: Objective value, £.
        placed: Children per eligible pair, shape (K,).
        unmet: Children without a place per group, shape (G,).
        capacity_dual: Shadow price per limited (year index, setting index), £ per place
            (≤ 0 for a minimisation: the objective change from one more place).
        seconds: Solver wall time.
        displaced: Children displaced per continuity row, shape (R,).
        over_cap: Children over the out-of-area cap per plan year index.
        overrun: £ over a soft budget per plan year index.
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
    overrun: dict[int, float] = field(default_factory=dict)


def _split(keys: np.ndarray, n: int) -> np.ndarray:
    """Boundaries of runs of equal sorted ``keys`` for each value 0..n-1."""
    return np.searchsorted(keys, np.arange(n + 1))


def add_conservation(model: AllocationModel, arrays: AllocationArrays) -> None:
    """Placed + unmet = demand, one row per group."""
    bounds = _split(arrays.pair_group, len(arrays.groups))
    demand = arrays.groups["children"].to_numpy(dtype=float)
    rows = []
    for g in range(len(arrays.groups)):
        terms = [(model.place[k], 1.0) for k in range(bounds[g], bounds[g + 1])]
        terms.append((model.unmet[g], 1.0))
        con = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, f"demand{g}", float(demand[g])
        )
        rows.append((f"demand{g}", con))
        model.conservation.append(con)
    model.problem.extend(rows)


def add_capacity(model: AllocationModel, arrays: AllocationArrays) -> None:
    """Children placed in a setting in a year ≤ its places, for every limited setting-year."""
    n_settings = len(arrays.settings)
    cell = arrays.group_year[arrays.pair_group] * n_settings + arrays.pair_setting
    order = np.argsort(cell, kind="stable")
    sorted_cell = cell[order]
    limited = np.flatnonzero(np.isfinite(arrays.capacity.reshape(-1)))
    starts = np.searchsorted(sorted_cell, limited, side="left")
    ends = np.searchsorted(sorted_cell, limited, side="right")
    rows = []
    for c, a, b in zip(limited, starts, ends, strict=True):
        if a == b:
            continue  # nothing can be placed there; no row needed
        y, s = divmod(int(c), n_settings)
        expr = pulp.LpAffineExpression([(model.place[k], 1.0) for k in order[a:b]])
        name = f"cap{y}_{s}"
        con = pulp.LpConstraint(expr, pulp.LpConstraintLE, name, float(arrays.capacity[y, s]))
        rows.append((name, con))
        model.capacity[(y, s)] = con
    model.problem.extend(rows)


def add_continuity(model: AllocationModel, arrays: AllocationArrays) -> None:
    """Continuing children stay put: x[target] + displaced ≥ carried, one row per target."""
    cont = arrays.continuity
    if cont is None or len(cont.target) == 0:
        return
    prob = model.problem
    model.displaced = [prob.add_variable(f"d{r}", lowBound=0) for r in range(len(cont.target))]
    rows = []
    for r, k in enumerate(cont.target):
        a, b = cont.indptr[r], cont.indptr[r + 1]
        terms = [(model.place[int(k)], 1.0), (model.displaced[r], 1.0)]
        terms += [
            (model.place[int(s)], -float(w))
            for s, w in zip(cont.source[a:b], cont.rate[a:b], strict=True)
        ]
        name = f"stay{r}"
        rows.append(
            (
                name,
                pulp.LpConstraint(
                    pulp.LpAffineExpression(terms), pulp.LpConstraintGE, name, float(cont.const[r])
                ),
            )
        )
    prob.extend(rows)


def add_out_of_area(model: AllocationModel, arrays: AllocationArrays) -> None:
    """Children counted out of area (new ones only, if so) ≤ cap + over-cap slack, per year."""
    ooa = arrays.out_of_area
    if ooa is None:
        return
    prob = model.problem
    pair_year = arrays.pair_year
    carried_terms: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    carried_const = np.zeros(len(arrays.years))
    cont = arrays.continuity
    if ooa.new_only and cont is not None:
        for r, k in enumerate(cont.target):
            if not ooa.pairs[k]:
                continue
            y = int(pair_year[k])
            carried_const[y] += cont.const[r]
            a, b = cont.indptr[r], cont.indptr[r + 1]
            carried_terms.setdefault(y, []).extend(
                (model.place[int(s)], -float(w))
                for s, w in zip(cont.source[a:b], cont.rate[a:b], strict=True)
            )
    rows = []
    for y in range(len(arrays.years)):
        counted = np.flatnonzero(ooa.pairs & (pair_year == y))
        miss = prob.add_variable(f"m{y}", lowBound=0)
        model.over_cap[y] = miss
        terms = [(model.place[int(k)], 1.0) for k in counted]
        terms += carried_terms.get(y, [])
        terms.append((miss, -1.0))
        name = f"ooa{y}"
        rhs = float(ooa.cap[y] + carried_const[y])
        rows.append(
            (
                name,
                pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, name, rhs),
            )
        )
    prob.extend(rows)


def add_budget(model: AllocationModel, arrays: AllocationArrays) -> None:
    """Spending per year ≤ budget (+ overrun slack when the budget is soft)."""
    budget = arrays.budget
    if budget is None:
        return
    prob = model.problem
    pair_year = arrays.pair_year
    rows = []
    for y in range(len(arrays.years)):
        if np.isnan(budget.limit[y]):
            continue
        ks = np.flatnonzero(pair_year == y)
        terms = [(model.place[int(k)], float(arrays.unit_cost[k])) for k in ks]
        if not budget.hard:
            over = prob.add_variable(f"o{y}", lowBound=0)
            model.overrun[y] = over
            terms.append((over, -1.0))
        name = f"budget{y}"
        con = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintLE, name, float(budget.limit[y])
        )
        model.budget[y] = con
        rows.append((name, con))
    prob.extend(rows)


#: £ of objective per £ of soft-budget overrun: small, so the overrun is only reported
#: (spending is already minimised) and never traded against placing a child.
OVERRUN_PENALTY = 0.01


def build_model(arrays: AllocationArrays, name: str = "allocation") -> AllocationModel:
    """Build the allocation LP from the arrays: least cost, everyone placed or counted unmet.

    Args:
        arrays: Output of :func:`~sufficiency.allocate.arrays.build_arrays`.
        name: Problem name (not a user string; used for exports).

    Returns:
        The model with variables named by integer position.
    """
    prob = pulp.LpProblem(name, pulp.LpMinimize)
    place = [prob.add_variable(f"x{k}", lowBound=0) for k in range(arrays.n_pairs)]
    unmet = [prob.add_variable(f"u{g}", lowBound=0) for g in range(len(arrays.groups))]
    objective = pulp.LpAffineExpression(
        list(zip(place, arrays.unit_cost.tolist(), strict=True))
        + [(u, arrays.unmet_penalty) for u in unmet]
    )
    prob.setObjective(objective)
    model = AllocationModel(prob, place, unmet, [])
    add_conservation(model, arrays)
    add_capacity(model, arrays)
    add_continuity(model, arrays)
    add_out_of_area(model, arrays)
    add_budget(model, arrays)
    extra: list[tuple[pulp.LpVariable, float]] = []
    if arrays.continuity is not None and model.displaced:
        weights = arrays.continuity.row_penalties(arrays.pair_year, len(arrays.years))
        extra += list(zip(model.displaced, weights.tolist(), strict=True))
    if arrays.out_of_area is not None:
        extra += [(m, arrays.out_of_area.penalty) for m in model.over_cap.values()]
    extra += [(o, OVERRUN_PENALTY) for o in model.overrun.values()]
    if extra:
        prob.setObjective(objective + pulp.LpAffineExpression(extra))
    return model


def _engine(name: str, time_limit: float) -> pulp.LpSolver:
    if name == "highs":
        return pulp.HiGHS(msg=False, timeLimit=time_limit)
    if name == "cbc":
        return pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False, timeLimit=time_limit)
    raise SolveError(f"unknown solver {name!r}; use highs or cbc")


def solve_model(
    model: AllocationModel,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    fallback: bool = True,
) -> Solution:
    """Solve the model, falling back to the other engine if the first fails.

    Raises:
        SolveError: If no engine reaches an optimal solution; no values are read then.
    """
    engines = [solver] + ([e for e in ("highs", "cbc") if e != solver] if fallback else [])
    failures = []
    for engine in engines:
        start = time.perf_counter()
        try:
            code = model.problem.solve(_engine(engine, time_limit))
            status = _PULP_STATUS.get(code, SolveStatus.ERROR)
        except pulp.PulpSolverError as exc:
            status = SolveStatus.ERROR
            failures.append(f"{engine}: {exc}")
            continue
        seconds = time.perf_counter() - start
        if status.ok:
            placed = np.array([v.varValue or 0.0 for v in model.place], dtype=float)
            unmet = np.array([v.varValue or 0.0 for v in model.unmet], dtype=float)
            duals = {key: float(con.pi or 0.0) for key, con in model.capacity.items()}
            displaced = np.array([v.varValue or 0.0 for v in model.displaced], dtype=float)
            over_cap = {y: max(v.varValue or 0.0, 0.0) for y, v in model.over_cap.items()}
            overrun = {y: max(v.varValue or 0.0, 0.0) for y, v in model.overrun.items()}
            log.info("solved with %s in %.2fs", engine, seconds)
            return Solution(
                status,
                engine,
                float(pulp.value(model.problem.objective) or 0.0),
                np.maximum(placed, 0.0),
                np.maximum(unmet, 0.0),
                duals,
                seconds,
                np.maximum(displaced, 0.0),
                over_cap,
                overrun,
            )
        failures.append(f"{engine}: {status.value}")
        log.warning("solver %s ended with status %s", engine, status.value)
    raise SolveError("the allocation model could not be solved: " + "; ".join(failures))
