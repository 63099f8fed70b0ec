"""Placement chains that a cheaper, unlimited setting dominates: left empty, exactly.

Continuity rows tie the placements of one setting together from year to year: children
placed in a setting this year must (mostly) be there next year. The pairs of one setting
linked by continuity rows form a *chain* (in practice one need and level in one setting,
over the plan years and the age bands children carry between). Such a chain ``C`` in
setting ``s`` is *dominated* by another setting ``t`` when moving all of ``C``'s children
to ``t`` — same groups, same years — keeps every row of the model and costs no more,
whatever the rest of the solution:

- ``t`` has no place limit in any year (so no capacity row can break), and an eligible
  pair for every group of ``C`` costing no more per child (strictly less when either is
  the market of last resort, so the market's share, the sufficiency gap, is the same in
  every optimum);
- no base-year children are carried into ``C`` (its rows have no constant to keep);
- every continuity row of ``t`` that counts a moved group as a source also exists in
  ``s``, for the same groups, with a carry rate at least as large and a displacement
  weight no smaller: the moved children's carried-over obligations in ``t`` are then
  at most those they had in ``s``, which ``s``'s rows held;
- with an out-of-area cap, neither ``C`` nor ``t`` counts against it.

The argument takes one continuity row per target pair, as
:func:`sufficiency.model.stock.continuity_arrays` builds them; with several rows for one
target nothing is fixed.

Then in any feasible solution, moving ``C``'s placements (and displaced children) to
``t`` gives a feasible solution of no greater cost, so some optimal solution leaves every
dominated chain empty, and fixing their placements at zero keeps the optimal objective
exactly. Moves run from limited settings to unlimited ones, and between unlimited
settings only to a lower register position, so a chain's children are never moved back
into a chain already emptied. On the regional model with continuity over half of the
eligible pairs are dominated (independent schools dearer than the market, special
schools for children whose level a mainstream or SEN-support setting meets), and the
rest falls into independent parts (:mod:`.split`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..data.inputs import MAINSTREAM
from ..model.arrays import AllocationArrays


def _ranges(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All integers of the ranges ``[start[i], stop[i])``, with the range index of each."""
    length = stop - start
    owner = np.repeat(np.arange(len(start)), length)
    offset = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    return start[owner] + offset, owner


def chains(arrays: AllocationArrays) -> tuple[int, np.ndarray]:
    """Chain of every pair: connected components of the continuity rows (targets with
    their sources). Returns the number of chains and the chain of each pair (K,)."""
    cont = arrays.continuity
    k = arrays.n_pairs
    if cont is None or not len(cont.target):
        return k, np.arange(k)
    src_row = np.repeat(np.arange(len(cont.target)), np.diff(cont.indptr))
    edges = sp.coo_matrix(
        (np.ones(len(cont.source), dtype=np.int8), (cont.target[src_row], cont.source)),
        shape=(k, k),
    )
    n, label = connected_components(edges, directed=False)
    return int(n), label


def dominated_pairs(arrays: AllocationArrays, unit_cost: np.ndarray | None = None) -> np.ndarray:
    """Pairs whose whole chain another setting dominates (see the module doc).

    Args:
        arrays: The model's arrays (with continuity rows; without them nothing is
            dominated here: the solvers' own presolve handles single pairs).
        unit_cost: Objective coefficient of each pair (default ``arrays.unit_cost``).

    Returns:
        Boolean mask over pairs, shape (K,): True where the placement can be fixed at 0.
    """
    k = arrays.n_pairs
    cont = arrays.continuity
    out = np.zeros(k, dtype=bool)
    if cont is None or not len(cont.target) or k == 0:
        return out
    if len(np.unique(cont.target)) < len(cont.target):
        # the argument pairs each row with the one row of the same target elsewhere
        return out
    cost = arrays.unit_cost if unit_cost is None else unit_cost
    n_groups = len(arrays.groups)
    n_settings = arrays.capacity.shape[1]
    group, setting = arrays.pair_group, arrays.pair_setting
    n_chains, chain = chains(arrays)
    size = np.bincount(chain, minlength=n_chains)

    stays = np.zeros(n_chains, dtype=bool)  # chains that must stay as they are
    stays[chain[cont.target[cont.const != 0]]] = True
    # children on SEN support are left to the solver: their pairs carry policy weights and
    # share places with plans, and the catch-all keeping them in mainstream is a reported
    # gap (like the market, it may not take a tie)
    stays[chain[~arrays.group_ehc[group]]] = True
    limited = np.isfinite(arrays.capacity).any(axis=0)
    may_dominate = ~limited
    may_dominate[arrays.settings["setting"].to_numpy() == MAINSTREAM] = False
    ooa = arrays.out_of_area
    if ooa is not None:
        counted = np.asarray(ooa.pairs, dtype=bool)
        stays[chain[counted]] = True
        may_dominate[np.unique(setting[counted])] = False
    market = -1 if arrays.market is None else int(arrays.market)

    # continuity entries: (row, source pair) with the row's target group, rate and weight
    src_row = np.repeat(np.arange(len(cont.target)), np.diff(cont.indptr))
    entry_target = cont.target[src_row]
    weight = cont.row_penalties(arrays.pair_year, len(arrays.years))[src_row]
    key = cont.source.astype(np.int64) * n_groups + group[entry_target]
    order = np.argsort(key, kind="stable")
    key_sorted, rate_sorted, weight_sorted = key[order], cont.rate[order], weight[order]
    entry_setting = setting[entry_target]
    entries_of = np.argsort(entry_setting, kind="stable")
    entry_bounds = np.searchsorted(entry_setting[entries_of], np.arange(n_settings + 1))

    pair_bounds = np.searchsorted(group, np.arange(n_groups + 1))  # pairs are sorted by group
    pairs_of = np.argsort(setting, kind="stable")
    setting_bounds = np.searchsorted(setting[pairs_of], np.arange(n_settings + 1))
    removable = np.zeros(n_chains, dtype=bool)
    bad = np.zeros(k, dtype=bool)
    for t in np.flatnonzero(may_dominate):
        mine = pairs_of[setting_bounds[t] : setting_bounds[t + 1]]
        if not len(mine):
            continue
        # every pair of t's groups elsewhere, with t's pair of the same group
        cand, which = _ranges(pair_bounds[group[mine]], pair_bounds[group[mine] + 1])
        image = mine[which]
        other = setting[cand]
        cheaper = np.where(
            (other == market) | (t == market), cost[image] < cost[cand], cost[image] <= cost[cand]
        )
        ok = (other != t) & cheaper & (limited[other] | (t < other))
        # t's rows counting a group as a source must exist, as strongly, wherever it moves from
        e = entries_of[entry_bounds[t] : entry_bounds[t + 1]]
        if len(e):
            moved, which_e = _ranges(
                pair_bounds[group[cont.source[e]]], pair_bounds[group[cont.source[e]] + 1]
            )
            need_key = moved.astype(np.int64) * n_groups + group[entry_target[e]][which_e]
            pos = np.minimum(np.searchsorted(key_sorted, need_key), len(key_sorted) - 1)
            held = (
                (key_sorted[pos] == need_key)
                & (rate_sorted[pos] >= cont.rate[e][which_e])
                & (weight_sorted[pos] >= weight[e][which_e])
            )
            bad[moved[~held]] = True
            ok &= ~bad[cand]
            bad[moved] = False
        touched, covered = np.unique(chain[cand[ok]], return_counts=True)
        removable[touched[covered == size[touched]]] = True
    removable &= ~stays
    out[:] = removable[chain]
    return out
