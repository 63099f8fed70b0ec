"""Independent parts of a linear programme, solved separately and joined exactly.

Without placement continuity, a capital decision or another constraint linking the years,
the allocation LP falls apart into one problem per plan year (and sometimes smaller ones):
no row touches columns of two parts. Solving the parts separately gives exactly the
optimum of the whole — the objective is a sum over parts, and every part's values,
reduced costs, row activities and duals are those of the whole — while each simplex run is
much smaller, and parts can be solved side by side.

Columns fixed by their bounds (``lower == upper``, e.g. build decisions fixed after a
mixed-integer solve) are moved to the row bounds first, so they do not tie parts together;
their values are the bound and their reduced costs are computed from the duals. Rows left
with no free column (e.g. continuity rows of chains fixed empty by :mod:`.dominance`) are
in no part when the fixed values hold them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .engines import EngineResult, joined_basis
from .matrix import Block, LpMatrix

#: Share of the model (rows + columns) in one component above which splitting gains too
#: little to pay for the extra engine calls.
DOMINANT = 0.8

#: Tolerance within which a row of fixed columns alone counts as held by them.
SETTLED_TOL = 1e-9

#: Engine statuses, worst first: the joined result takes the worst status of its parts.
_STATUS_ORDER = ("error", "infeasible", "unbounded", "time_limit", "optimal")


@dataclass
class Part:
    """One independent part.

    Attributes:
        cols: Its columns' positions in the whole model.
        rows: Its rows' positions in the whole model (stacked order).
        matrix: The part as a model of its own (one block of rows).
        component_rows: Rows of the largest independent component packed into it.
    """

    cols: np.ndarray
    rows: np.ndarray
    matrix: LpMatrix
    component_rows: int = 0


@dataclass
class Split:
    """A model cut into independent parts.

    Attributes:
        whole: The model.
        parts: The parts; every free column and every row with a free column is in
            exactly one (a row of fixed columns alone, held by their values, is in none:
            its activity comes from them and its dual is zero).
        fixed: Columns fixed by their bounds (in no part).
        a: The whole model's rows as one CSR matrix.
    """

    whole: LpMatrix
    parts: list[Part]
    fixed: np.ndarray
    a: sp.csr_matrix

    def join(
        self, results: list[EngineResult], seconds: float, *, keep_basis: bool = False
    ) -> EngineResult:
        """The whole model's result from its parts' results (in ``parts`` order).

        Args:
            results: One engine result per part.
            seconds: Wall time of solving all the parts.
            keep_basis: Join the parts' HiGHS bases into the whole model's (about 0.6 s on
                a region's 400,000 columns: only where a re-solve will start from it).
        """
        m = self.whole
        n_rows = self.a.shape[0]
        col_value = m.lower.copy()
        col_value[~np.isfinite(col_value)] = 0.0
        col_dual = np.zeros(m.n_cols)
        row_value = np.zeros(n_rows)
        row_dual = np.zeros(n_rows)
        objective = 0.0
        for part, r in zip(self.parts, results, strict=True):
            col_value[part.cols] = r.col_value
            col_dual[part.cols] = r.col_dual
            row_value[part.rows] = r.row_value
            row_dual[part.rows] = r.row_dual
            objective += r.objective
        fixed = self.fixed
        if len(fixed):
            a_fixed = self.a[:, fixed]
            row_value += a_fixed @ col_value[fixed]
            col_dual[fixed] = m.cost[fixed] - a_fixed.T @ row_dual
            objective += float(m.cost[fixed] @ col_value[fixed])
        status = min((r.status for r in results), key=_rank, default="optimal")
        bases = [(p.cols, p.rows, r.basis) for p, r in zip(self.parts, results, strict=True)]
        basis = (
            joined_basis(m.n_cols, n_rows, [(c, r, b) for c, r, b in bases if b is not None])
            if keep_basis and status == "optimal" and all(b is not None for _, _, b in bases)
            else None
        )
        messages = [
            f"part {i}: {r.message}" for i, r in enumerate(results) if r.status != "optimal"
        ]
        return EngineResult(
            status=status,
            objective=objective if status == "optimal" else float("nan"),
            col_value=col_value,
            col_dual=col_dual,
            row_value=row_value,
            row_dual=row_dual,
            mip_gap=None,
            seconds=seconds,
            message="; ".join(messages),
            basis=basis,
        )


def _rank(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else 0


def _pack(size: np.ndarray, most: int) -> np.ndarray:
    """Bin of each component: first fit, largest first, bins no bigger than the largest
    component or an even share of the whole, at most ``most`` bins.

    Small components join others rather than cost an engine call each.
    """
    limit = max(int(size.max()), -(-int(size.sum()) // max(most, 1)))
    bin_of = np.zeros(len(size), dtype=np.int64)
    load: list[int] = []
    for comp in np.argsort(-size, kind="stable"):
        n = int(size[comp])
        fits = [b for b, used in enumerate(load) if used + n <= limit]
        if fits:
            b = fits[0]
        elif len(load) < most:
            b = len(load)
            load.append(0)
        else:
            b = int(np.argmin(load))
        bin_of[comp] = b
        load[b] += n
    return bin_of


@dataclass
class _Graph:
    """The model's rows (with a free column) and free columns, labelled by component."""

    a: sp.csr_matrix
    a_free: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    free: np.ndarray
    fixed: np.ndarray
    kept: np.ndarray
    n_comp: int
    label: np.ndarray


def _graph(m: LpMatrix) -> _Graph | None:
    """Connected components of rows and free columns (None: mixed-integer or no rows)."""
    fixed_mask = m.lower == m.upper
    if (m.integer & ~fixed_mask).any():
        return None
    a, lower, upper = m.stacked()
    if a.shape[0] == 0:
        return None
    free = np.flatnonzero(~fixed_mask)
    fixed = np.flatnonzero(fixed_mask)
    a_free = a[:, free] if len(fixed) else a
    # bounds of the rows with the fixed columns' contribution moved across
    if len(fixed):
        shift = a[:, fixed] @ m.lower[fixed]
        lower, upper = lower - shift, upper - shift
    # a row of fixed columns alone that those columns already hold is in no part
    slack = SETTLED_TOL * (1.0 + np.abs(np.where(np.isfinite(lower), lower, 0.0)))
    settled = (np.diff(a_free.indptr) == 0) & (lower <= slack)
    settled &= upper >= -SETTLED_TOL * (1.0 + np.abs(np.where(np.isfinite(upper), upper, 0.0)))
    kept = np.flatnonzero(~settled)
    if len(kept) == 0:
        return None
    coo = a_free[kept].tocoo()
    n_kept = len(kept)
    n = n_kept + len(free)
    graph = sp.csr_matrix(
        (np.ones(len(coo.data), dtype=np.int8), (coo.row, coo.col + n_kept)), shape=(n, n)
    )
    n_comp, label = connected_components(graph, directed=False)
    return _Graph(a, a_free, lower, upper, free, fixed, kept, int(n_comp), label)


def largest_part_rows(m: LpMatrix) -> int:
    """Rows of the model's largest independent part (rows held by fixed columns alone are
    in none); all rows of a mixed-integer model."""
    return _largest_rows(m, _graph(m))


def _largest_rows(m: LpMatrix, g: _Graph | None) -> int:
    """:func:`largest_part_rows` of ``m`` from its graph ``g``."""
    if g is None:
        return m.n_rows if m.integer.any() else 0
    rows = np.bincount(g.label[: len(g.kept)], minlength=g.n_comp)
    return int(rows.max())


def split_and_largest(m: LpMatrix, *, max_parts: int | None = None) -> tuple[Split | None, int]:
    """:func:`split_model` and :func:`largest_part_rows` of ``m``, its graph found once
    (a council's model: about 2.5 ms a graph)."""
    g = _graph(m)
    return _split(m, g, max_parts), _largest_rows(m, g)


def split_model(m: LpMatrix, *, max_parts: int | None = None) -> Split | None:
    """Cut a linear programme into its independent parts.

    Parts are the connected components of the graph whose nodes are rows and free columns
    and whose edges are the matrix's nonzeros. Components are packed into parts no bigger
    than the largest component (or an even share of the model, if more), at most
    ``max_parts`` of them, so an engine with a fixed cost per call is not called for every
    stray component; a model whose largest component holds more than ``DOMINANT`` of it
    is not split at all.

    Args:
        m: The model.
        max_parts: Most parts to return (None: no limit).

    Returns:
        The split, or None if the model is mixed-integer (integer columns that are not
        fixed) or does not fall into at least two parts.
    """
    return _split(m, _graph(m), max_parts)


def _split(m: LpMatrix, g: _Graph | None, max_parts: int | None) -> Split | None:
    """:func:`split_model` of ``m`` from its graph ``g``."""
    if g is None or g.n_comp < 2:
        return None
    a, a_free, lower, upper = g.a, g.a_free, g.lower, g.upper
    free, fixed, kept, n_comp, label = g.free, g.fixed, g.kept, g.n_comp, g.label
    n_kept = len(kept)
    row_label, col_label = label[:n_kept], label[n_kept:]
    # a component of rows alone or columns alone joins the largest, so every part is a
    # proper model (some engines reject a model without rows or without columns)
    has_rows = np.bincount(row_label, minlength=n_comp) > 0
    has_cols = np.bincount(col_label, minlength=n_comp) > 0
    lone = ~(has_rows & has_cols)
    if lone.all():
        return None
    if lone.any():
        size = np.where(lone, -1, np.bincount(label, minlength=n_comp))
        largest = int(np.argmax(size))
        relabel = np.where(lone, largest, np.arange(n_comp))
        _, relabel = np.unique(relabel, return_inverse=True)
        row_label, col_label = relabel[row_label], relabel[col_label]
        n_comp = int(relabel.max()) + 1
        if n_comp < 2:
            return None
    comp_rows = np.bincount(row_label, minlength=n_comp)
    size = comp_rows + np.bincount(col_label, minlength=n_comp)
    if size.max() > DOMINANT * size.sum():
        return None
    bin_of = _pack(size, n_comp if max_parts is None else max_parts)
    part_rows = np.zeros(int(bin_of.max()) + 1, dtype=np.int64)
    np.maximum.at(part_rows, bin_of, comp_rows)
    n_comp = int(bin_of.max()) + 1
    if n_comp < 2:
        return None
    row_label, col_label = bin_of[row_label], bin_of[col_label]
    local = np.empty(len(free), dtype=np.int64)
    parts = []
    col_order = np.argsort(col_label, kind="stable")
    col_bounds = np.searchsorted(col_label[col_order], np.arange(n_comp + 1))
    row_order = np.argsort(row_label, kind="stable")
    row_bounds = np.searchsorted(row_label[row_order], np.arange(n_comp + 1))
    for k in range(n_comp):
        cols_local = col_order[col_bounds[k] : col_bounds[k + 1]]
        rows = kept[row_order[row_bounds[k] : row_bounds[k + 1]]]
        local[cols_local] = np.arange(len(cols_local))
        sub = a_free[rows]
        block = sp.csr_matrix(
            (sub.data, local[sub.indices], sub.indptr), shape=(len(rows), len(cols_local))
        )
        cols = free[cols_local]
        part_matrix = LpMatrix(
            cost=m.cost[cols],
            lower=m.lower[cols],
            upper=m.upper[cols],
            integer=np.zeros(len(cols), dtype=bool),
            columns={"all": slice(0, len(cols))},
            blocks=[Block("r", block, lower[rows], upper[rows], rows)],
        )
        parts.append(Part(cols, rows, part_matrix, int(part_rows[k])))
    return Split(m, parts, fixed, a)
