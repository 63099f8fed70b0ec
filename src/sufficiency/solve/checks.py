"""Checks of a solution before anything is read from it: finite, within bounds, every row
held, and the allocation's own promises (conservation, capacity, no negative placements).

An engine can report ``optimal`` for values that are not an answer (PuLP maps a HiGHS
time limit to "optimal", a crashed process leaves zeros). These checks look at the values
themselves, so a broken result is refused whatever the engine said.
"""

from __future__ import annotations

import numpy as np

from ..model.arrays import AllocationArrays
from .matrix import LpMatrix

#: Absolute tolerance of a check (children or £), on top of :data:`RTOL`.
ATOL = 1e-5

#: Tolerance relative to the size of the bound being checked.
RTOL = 1e-6

#: Children below this in a checked solution are the engine's noise, not a placement: the
#: tables of a solution (placements, shortfall, displaced, top-up by band) leave them out.
NOISE = 1e-9


def _tol(bound: np.ndarray) -> np.ndarray:
    return ATOL + RTOL * np.where(np.isfinite(bound), np.abs(bound), 0.0)


def _describe(what: str, count: int, worst: float) -> str:
    return f"{count} {what} broken (worst by {worst:.6g})"


def matrix_violations(m: LpMatrix, values: np.ndarray) -> list[str]:
    """How ``values`` break the model: non-finite values, column bounds, row limits.

    Returns:
        One line per kind of violation (empty when the values are a feasible point).
    """
    if values.shape != (m.n_cols,):
        return [f"{values.shape[0] if values.ndim else 0} values for {m.n_cols} columns"]
    if not np.isfinite(values).all():
        return [f"{int((~np.isfinite(values)).sum())} values are not finite"]
    problems = []
    below = m.lower - values
    above = values - m.upper
    bad = (below > _tol(m.lower)) | (above > _tol(m.upper))
    if bad.any():
        worst = float(np.max(np.maximum(below, above)[bad]))
        problems.append(_describe("column bounds", int(bad.sum()), worst))
    for block in m.blocks:
        activity = block.matrix @ values
        short = block.lower - activity
        over = activity - block.upper
        bad = (short > _tol(block.lower)) | (over > _tol(block.upper))
        if bad.any():
            worst = float(np.max(np.maximum(short, over)[bad]))
            problems.append(_describe(f"'{block.name}' rows", int(bad.sum()), worst))
    return problems


def allocation_violations(arrays: AllocationArrays, m: LpMatrix, values: np.ndarray) -> list[str]:
    """How ``values`` break the allocation's promises, computed from the arrays alone.

    Conservation: children placed plus children without a place equal demand in every
    group. Capacity: children placed in a setting in a year are at most its places (plus
    the places of builds taken). Non-negativity of placements and of the unmet count.
    """
    if values.shape != (m.n_cols,) or not np.isfinite(values).all():
        return ["the solution has missing or non-finite values"]
    x = values[m.columns["x"]]
    u = values[m.columns["u"]]
    problems = []
    negative = np.concatenate([x, u]) < -ATOL
    if negative.any():
        problems.append(f"{int(negative.sum())} negative placements or unmet counts")
    demand = arrays.groups["children"].to_numpy(dtype=float)
    placed = np.bincount(arrays.pair_group, weights=x, minlength=len(demand))
    gap = np.abs(placed + u - demand)
    bad = gap > _tol(demand)
    if bad.any():
        problems.append(
            _describe("conservation rows (placed + unmet = demand)", int(bad.sum()), gap[bad].max())
        )
    n_years, n_settings = arrays.capacity.shape
    places = arrays.capacity.copy()
    cap = arrays.capital
    if cap is not None and "b" in m.columns and len(cap.col_option):
        built = values[m.columns["b"]]
        if m.integer.any():  # a mixed-integer solve's decisions, not a relaxation's fractions
            built = np.round(built)
        extra = np.zeros_like(places)
        np.add.at(extra.T, cap.setting[cap.col_option], (cap.places * built[:, None]))
        places = places + extra
    used = np.bincount(
        arrays.pair_year * n_settings + arrays.pair_setting,
        weights=x,
        minlength=n_years * n_settings,
    ).reshape(n_years, n_settings)
    over = used - places
    bad = over > _tol(places)
    if bad.any():
        worst = float(over[bad].max())
        problems.append(_describe("capacity limits (placed ≤ places)", int(bad.sum()), worst))
    return problems
