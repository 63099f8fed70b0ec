"""The allocation LP as sparse matrices: columns, and one builder per constraint family.

Every family is built from the indexed arrays with numpy (no loop over rows) as a block of
rows in compressed sparse row form. The PuLP problem, the HiGHS model and the MPS file are
all made from the same :class:`LpMatrix`, so every engine solves exactly the same model.

Columns, in order: ``x`` placements (one per eligible pair, the market of last resort
included), ``u`` children with no place at all (one per group; priced by the policy weight
``unmet_penalty``; fixed at 0 when the market of last resort is on), ``d`` displaced
children (one per continuity row), ``m`` children over the out-of-area cap (one per plan
year), then any
extra columns a caller adds (capital decisions). Objective coefficients of ``x`` are money
(£) plus, for children on SEN support kept in mainstream (the ``MAINSTREAM`` catch-all),
a policy weight (``arrays.pair_weight``); those of ``u``, ``d`` and ``m`` are policy
weights. A High Needs Block budget is not a
constraint: no child may go without a place to meet it, so it is compared with spending
after the solve.

Placements of chains another setting dominates (:mod:`.dominance`), and the displaced
children of their continuity rows, are fixed at zero by their bounds: an exact reduction
(the optimal objective is unchanged) that the engines' presolve and :mod:`.split` remove
before solving. ``build_matrix(arrays, reduce=False)`` leaves them free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..model.arrays import AllocationArrays
from .dominance import dominated_pairs

#: Column groups whose objective coefficients are policy weights, not money.
POLICY_COLUMNS: tuple[str, ...] = ("u", "d", "m")


@dataclass
class Block:
    """One constraint family: rows ``lower ≤ A x ≤ upper``.

    Attributes:
        name: Family name; its rows are named ``<name><i>``.
        matrix: The rows, CSR, over all columns.
        lower: Row lower bounds (``-inf`` for none).
        upper: Row upper bounds (``inf`` for none).
        keys: A domain key per row (e.g. group index, or year index × settings + setting).
    """

    name: str
    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    keys: np.ndarray


@dataclass
class LpMatrix:
    """The whole model: column data, column groups and constraint blocks.

    Attributes:
        cost: Objective coefficient per column.
        lower: Column lower bounds.
        upper: Column upper bounds.
        integer: Whether each column is integer (binary with bounds 0–1).
        columns: Column group name -> slice of column positions.
        blocks: The constraint families, in row order.
    """

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    columns: dict[str, slice]
    blocks: list[Block] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return sum(b.matrix.shape[0] for b in self.blocks)

    def row_slices(self) -> dict[str, slice]:
        """Family name -> slice of row positions."""
        out, start = {}, 0
        for b in self.blocks:
            out[b.name] = slice(start, start + b.matrix.shape[0])
            start += b.matrix.shape[0]
        return out

    def stacked(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """All rows as one CSR matrix with their bounds."""
        if not self.blocks:
            return sp.csr_matrix((0, self.n_cols)), np.zeros(0), np.zeros(0)
        a = sp.vstack([b.matrix for b in self.blocks], format="csr")
        lower = np.concatenate([b.lower for b in self.blocks])
        upper = np.concatenate([b.upper for b in self.blocks])
        return a, lower, upper

    def add_columns(
        self,
        name: str,
        cost: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        integer: bool = False,
    ) -> slice:
        """Append a group of columns (before any block uses them); returns their slice."""
        start = self.n_cols
        self.cost = np.concatenate([self.cost, cost])
        self.lower = np.concatenate([self.lower, lower])
        self.upper = np.concatenate([self.upper, upper])
        self.integer = np.concatenate([self.integer, np.full(len(cost), integer)])
        for b in self.blocks:
            b.matrix = sp.csr_matrix(
                (b.matrix.data, b.matrix.indices, b.matrix.indptr),
                shape=(b.matrix.shape[0], self.n_cols),
            )
        self.columns[name] = slice(start, self.n_cols)
        return self.columns[name]

    def add_block(
        self,
        name: str,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        keys: np.ndarray | None = None,
    ) -> Block:
        """Append a family from triplets (duplicates are summed)."""
        n = len(lower)
        matrix = sp.csr_matrix(
            (np.asarray(vals, float), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(n, self.n_cols),
        )
        matrix.sum_duplicates()
        block = Block(
            name,
            matrix,
            np.asarray(lower, float),
            np.asarray(upper, float),
            np.arange(n) if keys is None else np.asarray(keys),
        )
        self.blocks.append(block)
        return block


def _columns(arrays: AllocationArrays) -> LpMatrix:
    k, g = arrays.n_pairs, len(arrays.groups)
    cost = [arrays.unit_cost + arrays.pair_weight, np.full(g, arrays.unmet_penalty)]
    names = {"x": slice(0, k), "u": slice(k, k + g)}
    start = k + g
    cont = arrays.continuity
    if cont is not None and len(cont.target):
        r = len(cont.target)
        cost.append(cont.row_penalties(arrays.pair_year, len(arrays.years)))
        names["d"] = slice(start, start + r)
        start += r
    if arrays.out_of_area is not None:
        y = len(arrays.years)
        cost.append(np.full(y, arrays.out_of_area.penalty))
        names["m"] = slice(start, start + y)
        start += y
    c = np.concatenate(cost)
    upper = np.full(len(c), np.inf)
    if arrays.market is not None:
        # the market takes every child the register cannot: no one is left with no place,
        # whatever the policy weights (a displacement later never outweighs a placement)
        upper[names["u"]] = 0.0
    m = LpMatrix(
        cost=c,
        lower=np.zeros(len(c)),
        upper=upper,
        integer=np.zeros(len(c), dtype=bool),
        columns=names,
    )
    cap = arrays.capital
    if cap is not None and len(cap.col_option):
        upper = np.where(cap.excluded[cap.col_option], 0.0, 1.0)
        m.add_columns("b", cap.objective, cap.forced.astype(float), upper, integer=True)
    return m


def conservation(m: LpMatrix, arrays: AllocationArrays) -> None:
    """Placed + unmet = demand, one row per group."""
    g = len(arrays.groups)
    u = m.columns["u"]
    rows = np.concatenate([arrays.pair_group, np.arange(g)])
    cols = np.concatenate([np.arange(arrays.n_pairs), np.arange(u.start, u.stop)])
    demand = arrays.groups["children"].to_numpy(dtype=float)
    m.add_block("demand", rows, cols, np.ones(len(rows)), demand, demand)


def capacity(m: LpMatrix, arrays: AllocationArrays) -> None:
    """Children placed in a setting in a year ≤ its places, for each limited setting-year."""
    n_settings = arrays.capacity.shape[1]
    cell = arrays.pair_year * n_settings + arrays.pair_setting
    limited = np.isfinite(arrays.capacity.reshape(-1))
    used_cells = np.unique(cell[limited[cell]])
    rows = np.searchsorted(used_cells, cell)
    keep = limited[cell]
    upper = arrays.capacity.reshape(-1)[used_cells]
    r, c, v = [rows[keep]], [np.flatnonzero(keep)], [np.ones(int(keep.sum()))]
    cap = arrays.capital
    if cap is not None and "b" in m.columns:
        # places a build adds: Σ x − Σ places(open year, y) · b ≤ places already there
        b = m.columns["b"]
        jj, yy = np.nonzero(cap.places)
        cells = yy * n_settings + cap.setting[cap.col_option[jj]]
        pos = np.searchsorted(used_cells, cells)
        pos = np.minimum(pos, max(len(used_cells) - 1, 0))
        found = (used_cells[pos] == cells) if len(used_cells) else np.zeros(len(cells), bool)
        r.append(pos[found])
        c.append(b.start + jj[found])
        v.append(-cap.places[jj[found], yy[found]])
    m.add_block(
        "cap",
        np.concatenate(r),
        np.concatenate(c),
        np.concatenate(v),
        np.full(len(used_cells), -np.inf),
        upper,
        keys=used_cells,
    )


def continuity(m: LpMatrix, arrays: AllocationArrays) -> None:
    """x[target] + displaced − Σ rate · x[source] ≥ carried from the base year."""
    cont = arrays.continuity
    if cont is None or not len(cont.target):
        return
    r = len(cont.target)
    d = m.columns["d"]
    src_row = np.repeat(np.arange(r), np.diff(cont.indptr))
    rows = np.concatenate([np.arange(r), np.arange(r), src_row])
    cols = np.concatenate([cont.target, np.arange(d.start, d.stop), cont.source])
    vals = np.concatenate([np.ones(r), np.ones(r), -cont.rate])
    m.add_block("stay", rows, cols, vals, cont.const, np.full(r, np.inf))


def out_of_area(m: LpMatrix, arrays: AllocationArrays) -> None:
    """Children counted out of area (new ones only, if so) − over-cap slack ≤ cap, per year.

    New ones are those placed less those who continue: at a continuity target,
    ``x − (carried − displaced)`` (the stay row makes ``x ≥ carried − displaced``), so a
    child displaced from a counted setting and placed out of area again counts as new there,
    as the policy table counts it (:func:`sufficiency.postprocess.allocation.tables`).
    """
    ooa = arrays.out_of_area
    if ooa is None:
        return
    n_years = len(arrays.years)
    counted = np.flatnonzero(ooa.pairs)
    rows = [arrays.pair_year[counted]]
    cols = [counted]
    vals = [np.ones(len(counted))]
    carried_const = np.zeros(n_years)
    cont = arrays.continuity
    if ooa.new_only and cont is not None and len(cont.target):
        hit = ooa.pairs[cont.target]
        row_year = arrays.pair_year[cont.target]
        np.add.at(carried_const, row_year[hit], cont.const[hit])
        src_row = np.repeat(np.arange(len(cont.target)), np.diff(cont.indptr))
        take = hit[src_row]
        rows.append(row_year[src_row[take]])
        cols.append(cont.source[take])
        vals.append(-cont.rate[take])
        if "d" in m.columns:  # displaced children do not continue: not netted off as carried
            rows.append(row_year[hit])
            cols.append(m.columns["d"].start + np.flatnonzero(hit))
            vals.append(np.ones(int(hit.sum())))
    slack = m.columns["m"]
    rows.append(np.arange(n_years))
    cols.append(np.arange(slack.start, slack.stop))
    vals.append(-np.ones(n_years))
    m.add_block(
        "ooa",
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        np.full(n_years, -np.inf),
        ooa.cap + carried_const,
    )


def capital(m: LpMatrix, arrays: AllocationArrays) -> None:
    """Build decisions: one opening year per option, exclusive groups, capital budgets."""
    cap = arrays.capital
    if cap is None or "b" not in m.columns:
        return
    b = m.columns["b"].start
    j_all = np.arange(len(cap.col_option))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    upper: list[float] = []

    def row(js: np.ndarray, coef: np.ndarray, limit: float) -> None:
        n = len(upper)
        rows.append(np.full(len(js), n))
        cols.append(b + js)
        vals.append(coef)
        upper.append(limit)

    for i in range(len(cap.options)):
        js = j_all[cap.col_option == i]
        if len(js) > 1:
            row(js, np.ones(len(js)), 1.0)
    for group in cap.exclusive:
        js = j_all[np.isin(cap.col_option, group)]
        if len(js):
            row(js, np.ones(len(js)), 1.0)
    spend = cap.capital_cost[cap.col_option]
    for year, limit in sorted(cap.budget_by_year.items()):
        js = j_all[cap.col_year == year]
        if len(js):
            row(js, spend[js], limit)
    if cap.budget_total is not None and len(j_all):
        row(j_all, spend, cap.budget_total)
    if not upper:
        return
    m.add_block(
        "build",
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        np.full(len(upper), -np.inf),
        np.array(upper),
    )


#: The constraint families, in row order.
FAMILIES: tuple[Callable[[LpMatrix, AllocationArrays], None], ...] = (
    conservation,
    capacity,
    continuity,
    out_of_area,
    capital,
)


#: Families whose rows :mod:`.dominance` accounts for; a model with another family over the
#: placements is not reduced.
DOMINANCE_FAMILIES: frozenset[str] = frozenset({"demand", "cap", "stay", "ooa", "build"})


def fix_dominated(m: LpMatrix, arrays: AllocationArrays) -> int:
    """Fix the placements of dominated chains, and their rows' displaced children, at 0.

    Returns:
        The number of placement columns fixed.
    """
    x = m.columns["x"]
    for block in m.blocks:
        touches = block.matrix[:, x.start : x.stop].nnz > 0
        if touches and block.name not in DOMINANCE_FAMILIES:
            return 0
    dominated = dominated_pairs(arrays, m.cost[x])
    if not dominated.any():
        return 0
    m.upper[x.start + np.flatnonzero(dominated)] = 0.0
    cont = arrays.continuity
    if cont is not None and "d" in m.columns:
        m.upper[m.columns["d"].start + np.flatnonzero(dominated[cont.target])] = 0.0
    return int(dominated.sum())


def build_matrix(arrays: AllocationArrays, *, reduce: bool = True) -> LpMatrix:
    """The allocation model in matrix form (see the module doc).

    Args:
        arrays: The indexed arrays.
        reduce: Fix the placements of dominated chains at zero (:func:`fix_dominated`).
    """
    m = _columns(arrays)
    for family in FAMILIES:
        family(m, arrays)
    if reduce:
        fix_dominated(m, arrays)
    return m


def fix_integers(m: LpMatrix, values: np.ndarray) -> LpMatrix:
    """A copy of ``m`` with every integer column fixed at its rounded value, as an LP.

    Solving it gives the duals of the linear programme around a mixed-integer solution
    (shadow prices of places with the build decisions taken).
    """
    fixed = np.round(values[m.integer])
    lower, upper = m.lower.copy(), m.upper.copy()
    lower[m.integer] = fixed
    upper[m.integer] = fixed
    return LpMatrix(
        cost=m.cost,
        lower=lower,
        upper=upper,
        integer=np.zeros(m.n_cols, dtype=bool),
        columns=dict(m.columns),
        blocks=list(m.blocks),
    )
