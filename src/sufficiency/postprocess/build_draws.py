"""Each capital option played against every draw: the draws solved again without (or with) it.

The plan's build decisions are kept but for the option's own build columns, fixed the other
way; what each draw's gap and cost are with and without the option is kept in a
:class:`~sufficiency.postprocess.draws.BuildDraws`.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse as sp

from ..model.arrays import AllocationArrays
from ..solve.pool import DrawModel, submit
from .draws import BuildDraws

__all__ = ["group_gap_and_cost", "play_builds"]


def play_builds(
    model: DrawModel,
    vectors: np.ndarray,
    solved: np.ndarray,
    time_limit: float,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> BuildDraws | None:
    """Each capital option against every draw (see
    :class:`~sufficiency.postprocess.draws.BuildDraws`): the draws solved again with the
    option's build columns fixed the other way, every other decision as the plan took it.
    None without capital options."""
    arrays = model.arrays
    cap = arrays.capital
    m = model.matrix
    if cap is None or "b" not in m.columns or not len(cap.options):
        return None
    b = m.columns["b"]
    base = model.values
    chosen = np.round(base[b]) > 0.5
    a, _, upper = m.stacked()
    build_rows = m.row_slices().get("build", slice(0, 0))
    n, n_years, n_options = len(vectors), len(arrays.years), len(cap.options)
    out = BuildDraws(
        options=np.array([o.name for o in cap.options], dtype=object),
        built=np.zeros(n_options, dtype=bool),
        compared=np.full(n_options, "not possible", dtype=object),
        open_year=np.full(n_options, -1),
        gap_with=np.full((n_options, n, n_years), np.nan),
        gap_without=np.full((n_options, n, n_years), np.nan),
        cost_with=np.full((n_options, n, n_years), np.nan),
        cost_without=np.full((n_options, n, n_years), np.nan),
    )
    pending = {}
    for i in range(n_options):
        cols = np.flatnonzero(cap.col_option == i)
        if not len(cols):
            continue
        values = base.copy()
        if chosen[cols].any():
            out.built[i] = True
            out.open_year[i] = cap.col_year[cols[chosen[cols]][0]]
            values[b.start + cols] = 0.0
            out.compared[i] = "without"
        else:
            values[b.start + cols[0]] = 1.0  # opening in its earliest year
            rows = a[build_rows] @ values
            if (rows > upper[build_rows] + 1e-9).any():
                continue  # an exclusive group or a capital budget rules it out
            out.open_year[i] = cap.col_year[cols[0]]
            out.compared[i] = "with"
        pending[i] = submit(model, vectors, time_limit, pool, workers, values)
    for i, result in pending.items():
        other = result()
        setting = int(cap.setting[i])
        plan_gap, plan_cost = group_gap_and_cost(arrays, solved, setting)
        gap, cost = group_gap_and_cost(arrays, other, setting)
        if out.built[i]:
            out.gap_with[i], out.cost_with[i] = plan_gap, plan_cost
            out.gap_without[i], out.cost_without[i] = gap, cost
        else:
            out.gap_with[i], out.cost_with[i] = gap, cost
            out.gap_without[i], out.cost_without[i] = plan_gap, plan_cost
    return out


def group_gap_and_cost(
    arrays: AllocationArrays, solved: np.ndarray, setting: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each draw (rows of ``solved``: ``x`` then ``u``) and year: the gap of the
    children who may be placed in ``setting`` and the placement cost of every child (£)."""
    k, n_years = arrays.n_pairs, len(arrays.years)
    x, u = np.maximum(solved[:, :k], 0.0), np.maximum(solved[:, k:], 0.0)
    group = np.zeros(len(arrays.groups), dtype=bool)
    group[arrays.pair_group[arrays.pair_setting == setting]] = True
    market = (
        arrays.pair_setting == arrays.market
        if arrays.market is not None
        else np.zeros(k, dtype=bool)
    )
    gap_pairs = market & group[arrays.pair_group]
    by_year = sp.csr_matrix((np.ones(k), (np.arange(k), arrays.pair_year)), (k, n_years))
    groups_by_year = sp.csr_matrix(
        (group.astype(float), (np.arange(len(group)), arrays.group_year)), (len(group), n_years)
    )
    gap = np.asarray(by_year.T @ (x * gap_pairs).T).T + np.asarray(groups_by_year.T @ u.T).T
    cost = np.asarray(by_year.T @ (x * arrays.unit_cost).T).T
    return gap, cost
