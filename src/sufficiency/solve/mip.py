"""Capital plans fast: the relaxation's choice, certified within the gap, before branching.

A capital model (:mod:`.matrix`'s ``b`` columns, one binary per option and opening year)
is a mixed-integer programme whose linear relaxation is tight: on the bundled borough the
relaxation's bound is within 0.03% of the optimum, and HiGHS's branch and bound spends its
time at the root (the relaxation by dual simplex, then a sub-MIP heuristic) rather than in
branching. This module solves it in three steps that each engine can take:

1. options whose places no year could fill (no child eligible for the setting in any
   year it could be open) are fixed out before anything is solved;
2. the *relaxation* (integrality dropped) gives a lower bound ``L`` on the optimum and a
   fractional choice, rounded to a plan (:func:`round_choice`: an option is built when
   at least half of it is, in the earliest year the relaxation opens any of it; exclusive
   groups and capital budgets respected);
3. that plan, with the build decisions fixed, is a linear programme whose optimum ``U``
   is a feasible plan's cost. When ``(U - L) / |U|`` is within the scenario's
   ``capital.mip_gap``, the plan is *certified*: no plan is cheaper by more than that
   fraction, and the gap reported is the certified one. Otherwise the full
   mixed-integer programme is solved (HiGHS, started from the rounded plan) and its own
   gap reported.

The result of step 3 (or of the mixed-integer solve followed by the same fixed LP) has the
linear programme's values and duals, so the shadow prices of places read as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from ..errors import SolveError
from ..model.capital import CapitalArrays
from .engines import EngineResult
from .matrix import LpMatrix, fix_integers

log = logging.getLogger(__name__)

#: A relaxation's fraction of an option at or above which the option is built.
BUILD_FRACTION = 0.5
#: A fraction below this counts as not opened in that year.
OPENED = 1e-6
#: Most rounds of local search (:func:`improve`) before branch and bound.
IMPROVE_ROUNDS = 3

#: Solves one linear programme with the plan's engines and checks: ``(matrix, what) ->
#: result`` (see :func:`~sufficiency.solve.lp.solve_checked`).
SolveLp = Callable[[LpMatrix, str], EngineResult]
#: Solves several linear programmes (side by side), None for one no engine solves.
SolveLps = Callable[[list[LpMatrix], str], list[EngineResult | None]]


@dataclass
class MipOutcome:
    """How a capital model was solved.

    Attributes:
        result: The linear programme with the build decisions fixed: values, duals, its
            objective; ``mip_gap`` the certified or engine-reported relative gap.
        certified: Whether the relaxation's rounded plan was certified within the gap
            (no branch and bound run).
        bound: The relaxation's objective (a lower bound on every plan's), or None.
        fixed_out: Options fixed out before solving because no year could fill them.
    """

    result: EngineResult
    certified: bool
    bound: float | None
    fixed_out: list[int]


def relaxed(m: LpMatrix) -> LpMatrix:
    """``m`` with integrality dropped (the linear relaxation)."""
    return replace(m, integer=np.zeros(m.n_cols, dtype=bool))


def unfillable(m: LpMatrix) -> np.ndarray:
    """Build columns whose places no child could use: no capacity row holds them.

    A build column adds places to its setting's capacity rows only where some eligible
    placement uses that setting in that year (:func:`~sufficiency.solve.matrix.capacity`);
    a column in none of them buys nothing in any year.

    Returns:
        Boolean mask over the ``b`` columns.
    """
    b = m.columns["b"]
    cap = next((blk for blk in m.blocks if blk.name == "cap"), None)
    if cap is None:
        return np.ones(b.stop - b.start, dtype=bool)
    used = np.zeros(m.n_cols, dtype=bool)
    csc = cap.matrix.tocsc()
    used[np.flatnonzero(np.diff(csc.indptr))] = True
    return ~used[b]


def fix_out(m: LpMatrix, cap: CapitalArrays) -> tuple[LpMatrix, list[int]]:
    """``m`` with every unfillable optional option's columns fixed at zero.

    Returns:
        The model (``m`` itself when nothing is fixed) and the options fixed out.
    """
    b = m.columns["b"]
    dead = unfillable(m) & ~cap.forced
    options = sorted(
        {int(o) for o in np.unique(cap.col_option[dead]) if dead[cap.col_option == o].all()}
    )
    if not options:
        return m, []
    upper = m.upper.copy()
    upper[b.start + np.flatnonzero(np.isin(cap.col_option, options))] = 0.0
    log.info(
        "capital options no year could fill, fixed out before solving: %s",
        ", ".join(cap.options[o].name for o in options),
    )
    return replace(m, upper=upper), options


def round_choice(m: LpMatrix, cap: CapitalArrays, values: np.ndarray) -> np.ndarray:
    """A plan (0/1 per build column) rounded from the relaxation's fractional choice.

    An option is built when its fractions over opening years add to at least
    :data:`BUILD_FRACTION` (or it is forced), in the earliest year any of it opens: the
    places the relaxation uses from that year on are then all there. Within an exclusive
    group only the option with the largest fraction is kept; an option whose spend would
    break a capital budget (by year or in total) is dropped, the smallest fraction first.

    Args:
        m: The model (its ``b`` columns and bounds).
        cap: The capital arrays.
        values: The relaxation's column values.

    Returns:
        Values for the ``b`` columns.
    """
    b = m.columns["b"]
    frac = np.clip(values[b], 0.0, 1.0)
    upper = m.upper[b]
    n = len(cap.options)
    total = np.bincount(cap.col_option, weights=frac, minlength=n)
    forced = np.bincount(cap.col_option, weights=cap.forced, minlength=n) > 0
    chosen = np.full(n, -1)
    for o in range(n):
        js = np.flatnonzero((cap.col_option == o) & (upper > 0.5))
        if not len(js):
            continue
        js = js[np.argsort(cap.col_year[js], kind="stable")]
        if not forced[o] and total[o] < BUILD_FRACTION:
            continue
        opened = js[frac[js] > OPENED]
        chosen[o] = int(opened[0] if len(opened) else js[np.argmax(frac[js])])
    for group in cap.exclusive:
        built = [o for o in group if chosen[o] >= 0]
        if len(built) > 1:
            keep = max(built, key=lambda o: (bool(forced[o]), total[o]))
            for o in built:
                if o != keep:
                    chosen[o] = -1
    while _over_budget(cap, chosen):
        optional = [o for o in np.flatnonzero(chosen >= 0) if not forced[o]]
        if not optional:
            break
        chosen[min(optional, key=lambda o: total[o])] = -1
    return _plan(m, chosen)


def _plan(m: LpMatrix, chosen: np.ndarray) -> np.ndarray:
    """Values for the ``b`` columns from the column chosen for each option (-1: none)."""
    b = m.columns["b"]
    out = np.zeros(b.stop - b.start)
    out[chosen[chosen >= 0]] = 1.0
    return out


def _over_budget(cap: CapitalArrays, chosen: np.ndarray) -> bool:
    """Whether the options built (``chosen``: a column per option, -1 none) spend more
    than a capital budget allows, in total or in an opening year."""
    spend = cap.capital_cost
    built = np.flatnonzero(chosen >= 0)
    if cap.budget_total is not None and spend[built].sum() > cap.budget_total + 1e-6:
        return True
    years = cap.col_year[chosen[built]]
    return any(
        spend[built][years == year].sum() > limit + 1e-6
        for year, limit in cap.budget_by_year.items()
    )


def _chosen(cap: CapitalArrays, plan: np.ndarray) -> np.ndarray:
    """The column chosen for each option in ``plan`` (values of the ``b`` columns), -1
    where the option is not built."""
    chosen = np.full(len(cap.options), -1)
    for j in np.flatnonzero(plan > 0.5):
        chosen[cap.col_option[j]] = j
    return chosen


def neighbours(
    m: LpMatrix, cap: CapitalArrays, plan: np.ndarray, frac: np.ndarray
) -> list[np.ndarray]:
    """Plans one move from ``plan``, each within the exclusive groups and budgets.

    A move drops a built option (unless forced), opens a built option one opening year
    earlier or later, builds an option the relaxation (``frac``: its fraction of each build
    column) opened any of, in the earliest year it did, or, within an exclusive group,
    builds another member instead of the one built.

    Returns:
        Values for the ``b`` columns of each neighbouring plan.
    """
    upper = m.upper[m.columns["b"]]
    chosen = _chosen(cap, plan)
    n = len(cap.options)
    forced = np.bincount(cap.col_option, weights=cap.forced, minlength=n) > 0
    group_of = {o: g for g in cap.exclusive for o in g}
    moves: list[np.ndarray] = []

    def open_columns(o: int) -> np.ndarray:
        js = np.flatnonzero((cap.col_option == o) & (upper > 0.5))
        return js[np.argsort(cap.col_year[js], kind="stable")]

    def earliest_opened(o: int) -> int | None:
        js = open_columns(o)
        opened = js[frac[js] > OPENED]
        return int(opened[0]) if len(opened) else None

    def add(change: dict[int, int]) -> None:
        c = chosen.copy()
        for o, j in change.items():
            c[o] = j
        if all(sum(c[o] >= 0 for o in g) <= 1 for g in cap.exclusive) and not _over_budget(cap, c):
            moves.append(_plan(m, c))

    for o in range(n):
        js = open_columns(o)
        if chosen[o] >= 0:
            if not forced[o]:
                add({o: -1})
            at = int(np.flatnonzero(js == chosen[o])[0])
            for k in (at - 1, at + 1):
                if 0 <= k < len(js):
                    add({o: int(js[k])})
        else:
            j = earliest_opened(o)
            if j is None:
                continue
            rivals = [r for r in group_of.get(o, []) if r != o and chosen[r] >= 0]
            if any(forced[r] for r in rivals):
                continue
            add({o: j, **{r: -1 for r in rivals}})
    return moves


def gap_between(bound: float, value: float) -> float:
    """Relative gap between a lower bound and a feasible objective value."""
    return max(value - bound, 0.0) / max(abs(value), 1e-9)


def one_by_one(solve_lp: SolveLp, matrices: list[LpMatrix], what: str) -> list[EngineResult | None]:
    """Each of ``matrices`` solved with ``solve_lp`` in turn (a :data:`SolveLps`), None for
    one no engine solves."""
    out: list[EngineResult | None] = []
    for matrix in matrices:
        try:
            out.append(solve_lp(matrix, what))
        except SolveError:
            out.append(None)
    return out


def improve(
    m: LpMatrix,
    cap: CapitalArrays,
    solve_lp: SolveLp,
    plan: EngineResult,
    frac: np.ndarray,
    bound: float,
    solve_lps: SolveLps | None = None,
) -> tuple[EngineResult, float]:
    """Local search from a plan not yet certified: the best of its :func:`neighbours`,
    each solved as a linear programme with the build decisions fixed, while it is cheaper,
    until a plan is within ``cap.mip_gap`` of ``bound`` or :data:`IMPROVE_ROUNDS` rounds.

    A round's neighbours are independent linear programmes: ``solve_lps`` solves them
    side by side, each from the same basis (a few hundred pivots), so a round costs far
    less than branch and bound's heuristics, which it often makes unnecessary. Without
    it they are solved one by one with ``solve_lp``.

    Returns:
        The best plan's linear programme and its gap to ``bound``.
    """
    b = m.columns["b"]
    what = "a capital plan one move away"
    solve_all = solve_lps or partial(one_by_one, solve_lp)
    best, gap = plan, gap_between(bound, float(plan.objective))
    for _ in range(IMPROVE_ROUNDS):
        if gap <= cap.mip_gap:
            break
        matrices = []
        for option in neighbours(m, cap, best.col_value[b], frac):
            values = best.col_value.copy()
            values[b] = option
            matrices.append(fix_integers(m, values))
        found = None
        for tried in solve_all(matrices, what):
            if tried is None:
                continue
            better = found if found is not None else best
            if float(tried.objective) < float(better.objective) - 1e-9 * abs(
                float(better.objective)
            ):
                found = tried
        if found is None:
            break
        best, gap = found, gap_between(bound, float(found.objective))
        log.info("a plan one move away is within %.4f%% of optimal", 100 * gap)
    return best, gap


def solve_capital(
    m: LpMatrix,
    cap: CapitalArrays,
    solve_lp: SolveLp,
    solve_mip: Callable[[LpMatrix, np.ndarray | None], EngineResult],
    solve_lps: SolveLps | None = None,
) -> MipOutcome:
    """Solve a capital model: relaxation, rounded plan, certificate; branch only if needed.

    Args:
        m: The mixed-integer model.
        cap: Its capital arrays (options, opening years, budgets, the gap to reach).
        solve_lp: Solves a linear programme with the plan's engines (raises
            :class:`~sufficiency.errors.SolveError` when none can).
        solve_mip: Solves the mixed-integer model from an optional starting point (full
            column values), with the plan's engines.
        solve_lps: Solves the local search's linear programmes side by side (see
            :func:`improve`); None solves them one by one with ``solve_lp``.

    Returns:
        How it was solved, with the fixed-decision linear programme's result.

    Raises:
        SolveError: If an engine-level solve fails on every engine.
    """
    m, fixed_out = fix_out(m, cap)
    b = m.columns["b"]
    relaxation = solve_lp(relaxed(m), "the capital plan's relaxation (integrality dropped)")
    bound = float(relaxation.objective)
    start = relaxation.col_value.copy()
    start[b] = round_choice(m, cap, relaxation.col_value)
    rounded = solve_lp(fix_integers(m, start), "the capital plan rounded from the relaxation")
    gap = gap_between(bound, float(rounded.objective))
    if gap <= cap.mip_gap:
        log.info(
            "capital plan from the relaxation certified within %.4f%% of optimal "
            "(tolerance %.4f%%)",
            100 * gap,
            100 * cap.mip_gap,
        )
        rounded.mip_gap = gap
        rounded.seconds += relaxation.seconds
        return MipOutcome(rounded, True, bound, fixed_out)
    rounded, gap = improve(m, cap, solve_lp, rounded, relaxation.col_value[b], bound, solve_lps)
    if gap <= cap.mip_gap:
        rounded.mip_gap = gap
        rounded.seconds += relaxation.seconds
        return MipOutcome(rounded, True, bound, fixed_out)
    log.info(
        "the best plan near the relaxation's is within %.4f%% of optimal, above the "
        "tolerance %.4f%%: solving the mixed-integer programme",
        100 * gap,
        100 * cap.mip_gap,
    )
    start = rounded.col_value.copy()
    mip = solve_mip(m, start)
    lp = solve_lp(
        fix_integers(m, mip.col_value), "the allocation with the builds fixed (for shadow prices)"
    )
    if float(lp.objective) > float(rounded.objective):
        lp = rounded  # the engine stopped at a worse plan than the one it was given
    lp.mip_gap = min(
        mip.mip_gap if mip.mip_gap is not None else gap, gap_between(bound, float(lp.objective))
    )
    lp.seconds += relaxation.seconds + rounded.seconds + mip.seconds
    return MipOutcome(lp, False, bound, fixed_out)
