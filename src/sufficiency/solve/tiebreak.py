"""One answer among equally cheap ones: a second, lexicographic stage over the optimal face.

Where groups compete for the same places at the same price (the market's price is the same
for several levels; two schools charge the same), the cheapest allocation is not unique:
its cost and total sufficiency gap are, but the split between groups is whichever optimal
vertex an engine's path reaches, so HiGHS and Clp (or one engine on shuffled rows) could
report different gaps by need. This module makes the answer unique and explainable:

1. The model is solved as before (stage one): its optimal cost ``z*`` and a dual solution.
2. The *optimal face* — every allocation that costs ``z*`` — is, by complementary slackness,
   the feasible allocations that keep every column with a positive reduced cost at its
   bound and every row with a non-zero dual at its limit (whichever optimal dual solution
   an engine returns, the face is the same). No tolerance on the cost is needed, so the
   second stage can never trade money for the tie-break.
3. Over that face the engine minimises the *tie-break score*
   ``Σ children × r(group) × q(setting)`` (stage two), where ``r`` and ``q`` are fixed
   numbers in [1, 2) computed from the group's canonical key (year, provision, need, age
   band, age segment, level) and the setting's id (``market`` for the market of last
   resort) by a BLAKE2b hash: :func:`key_weights`. They never depend on row positions, the
   machine or the engine. The product form breaks every exchange of places between two
   groups and two settings (its value changes by ``(r₁ − r₂)(q₁ − q₂) ≠ 0`` per child), and
   weights drawn this way leave no two optimal allocations with the same score, so the
   minimum is one allocation: the same for every engine, every row order and every draw.
   Displaced children and children over an out-of-area cap weigh 1 each.

The second stage's solution is checked to cost what the first did (relative tolerance
:data:`COST_RTOL`); if it did not (a dual solution too inexact to find the face), the first
stage's answer is kept and a warning logged.

Where HiGHS solves the model by the simplex (a council's starter; each draw's part), the two
stages are found in one solve and two short runs from its basis
(:func:`~sufficiency.solve.lp.nudged_tie_break`, :mod:`.draws`): the costs nudged toward
the score (:data:`TIE_NUDGE`), so the optimum is usually the least score among the cheapest
already; the model's own costs, whose duals give the face; the score over the face. The
least score over the face is one allocation, so the answer is the two stages'.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..model.arrays import AllocationArrays
from ..model.market import MARKET
from .matrix import LpMatrix

#: Columns of a demand group that name it (the canonical key of the tie-break).
GROUP_KEYS: tuple[str, ...] = ("year", "provision", "need", "age_band", "age_segment", "level")

#: Reduced costs and duals smaller than this, relative to the largest cost of a free
#: column (at least £1), count as zero: the column or row does not bind the optimal face.
FACE_RTOL = 1e-9

#: Largest relative rise of the cost the second stage may give before it is refused.
COST_RTOL = 1e-7

#: How far a first run is nudged toward the tie-break score, so that its optimum is usually
#: the least score among the cheapest already (the plan's HiGHS solve in
#: :func:`~sufficiency.solve.lp.solve_model`, each draw in :mod:`.draws`): pounds of
#: objective (not money) per unit of score (a placement's score is in [1, 4)). Cost gaps between
#: placements are hundreds of pounds on the bundled borough (the least is £791), so the
#: nudge trades no money there; where it would, the second run corrects it.
TIE_NUDGE = 0.01

#: HiGHS options of a tie-break run from the basis of an optimum (a point of the face):
#: primal simplex with Dantzig pricing.
TIE_BREAK_OPTIONS: dict[str, int | float] = {
    "simplex_strategy": 4,
    "simplex_primal_edge_weight_strategy": 0,
}


#: Key weights worked out in this process (a sweep's councils share most group keys: 3 ms
#: of digests a council, against 0.3 ms of lookups), at most :data:`_KNOWN_MOST` of them.
_known: dict[str, float] = {}
_KNOWN_MOST = 200_000


def key_weights(keys: Iterable[str]) -> np.ndarray:
    """A fixed number in [1, 2) for each key text, from its BLAKE2b digest.

    The same key gives the same number on every machine and in every process (unlike
    Python's ``hash``), whatever the other keys.
    """
    if len(_known) > _KNOWN_MOST:
        _known.clear()
    out = []
    for k in keys:
        w = _known.get(k)
        if w is None:
            digest = hashlib.blake2b(k.encode(), digest_size=8).digest()
            w = _known[k] = 1.0 + int.from_bytes(digest, "big") / 2.0**64
        out.append(w)
    return np.asarray(out, dtype=float)


def group_key_text(groups: pd.DataFrame) -> list[str]:
    """The canonical key of each demand group as text (``2030|ehc_plan|ASD|5-10|…``)."""
    cols = [c for c in GROUP_KEYS if c in groups.columns]
    parts = [groups[c].astype(str).tolist() for c in cols]
    return ["|".join(row) for row in zip(*parts, strict=True)] if parts else []


def setting_key_text(arrays: AllocationArrays) -> list[str]:
    """The key of each setting: its id, ``market`` for the market of last resort."""
    keys = arrays.settings["setting"].astype(str).tolist()
    if arrays.market is not None:
        keys[int(arrays.market)] = MARKET
    return keys


def tie_weights(arrays: AllocationArrays, matrix: LpMatrix) -> np.ndarray:
    """The tie-break score of one unit of every column of ``matrix`` (see the module doc).

    Placements ``r(group) × q(setting)``; displaced children and children over an
    out-of-area cap 1; anything else (children with no place, build decisions) 0.
    """
    w = np.zeros(matrix.n_cols)
    r = key_weights(group_key_text(arrays.groups))
    q = key_weights("setting|" + k for k in setting_key_text(arrays))
    x = matrix.columns["x"]
    w[x] = r[arrays.pair_group] * q[arrays.pair_setting]
    for name in ("d", "m"):
        if name in matrix.columns:
            w[matrix.columns[name]] = 1.0
    return w


def _scale(m: LpMatrix) -> float:
    free = m.lower < m.upper
    cost = np.abs(m.cost[free]) if free.any() else np.zeros(0)
    return max(1.0, float(cost.max()) if len(cost) else 1.0)


def face_bounds(
    m: LpMatrix, row_dual: np.ndarray, col_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column and row bounds of the optimal face of ``m``, given an optimal dual solution.

    A column with a positive (negative) reduced cost ``c − Aᵀy`` is held at its lower
    (upper) bound; a row with a positive (negative) dual at its lower (upper) limit, where
    the first stage's value sits on that bound (elsewhere the sign is an engine's
    rounding).

    Args:
        m: The model.
        row_dual: Optimal dual value of each row (minimisation: ≥ 0 on a lower limit).
        col_value: The first stage's optimal values.

    Returns:
        ``(col_lower, col_upper, row_lower, row_upper)`` of the face.
    """
    a, lower, upper = m.stacked()
    tol = FACE_RTOL * _scale(m)
    reduced = m.cost - a.T @ row_dual
    activity = a @ col_value
    # a sign is read only where the first stage's value sits on the bound it points to:
    # elsewhere a non-zero reduced cost or dual is an engine's rounding, not a binding limit
    col_lo, col_up = _hold(m.lower, m.upper, col_value, reduced, tol)
    row_lo, row_up = _hold(lower, upper, activity, row_dual, tol)
    return col_lo, col_up, row_lo, row_up


def _hold(
    lower: np.ndarray, upper: np.ndarray, value: np.ndarray, sign: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds with each entry whose ``sign`` is positive (negative) held where the first
    stage left it, at (within rounding of) its lower (upper) bound.

    An entry is held at its first-stage value, not snapped to the bound itself: the two
    differ by an engine's rounding (up to 1e-7 relative, 1e-4 on a row of a thousand
    children), and a face snapped to the bounds can be one no point satisfies within an
    engine's absolute tolerance. Held at the values, the first stage's answer lies on the
    face, so the second stage always has a feasible point, and it cannot trade money:
    what it may move costs nothing at the optimum.
    """
    lo, up = lower.copy(), upper.copy()
    near = 1e-7 * (1.0 + np.abs(value))
    at_lo = (lo < up) & (sign > tol) & np.isfinite(lo) & (np.abs(value - lo) <= near)
    at_up = (lo < up) & (sign < -tol) & np.isfinite(up) & (np.abs(value - up) <= near)
    held = at_lo | at_up
    where = np.clip(value[held], lower[held], upper[held])
    lo[held], up[held] = where, where
    return lo, up


def face_model(
    m: LpMatrix, weights: np.ndarray, row_dual: np.ndarray, col_value: np.ndarray
) -> LpMatrix:
    """The second stage: minimise the tie-break score ``weights`` over the optimal face.

    Integer columns (build decisions) are fixed at their values.
    """
    col_lo, col_up, row_lo, row_up = face_bounds(m, row_dual, col_value)
    if m.integer.any():
        fixed = np.round(col_value[m.integer])
        col_lo[m.integer], col_up[m.integer] = fixed, fixed
    blocks, start = [], 0
    for b in m.blocks:
        n = b.matrix.shape[0]
        blocks.append(
            type(b)(b.name, b.matrix, row_lo[start : start + n], row_up[start : start + n], b.keys)
        )
        start += n
    return LpMatrix(
        cost=np.asarray(weights, dtype=float),
        lower=col_lo,
        upper=col_up,
        integer=np.zeros(m.n_cols, dtype=bool),
        columns=dict(m.columns),
        blocks=blocks,
    )


def same_cost(m: LpMatrix, first: np.ndarray, second: np.ndarray) -> bool:
    """Whether ``second`` costs what ``first`` does (within :data:`COST_RTOL`)."""
    a, b = float(m.cost @ first), float(m.cost @ second)
    return b <= a + COST_RTOL * max(1.0, abs(a))
