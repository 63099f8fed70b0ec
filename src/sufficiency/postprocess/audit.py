"""An attacker's audit of the count tables published together: how far each suppressed count can be narrowed.

``published/scap.csv``, ``commissioning.csv`` and ``dsg_plan.csv`` (and the workbook's
copies of them) are released together, so a suppressed count must stay hidden given *all*
of them. For every suppressed cell this module finds, by linear programming, the smallest
and largest value consistent with everything published and with how the tables are made
(:func:`audit`). The attacker knows:

- each table's totals are the sums of its rounded counts (exactly);
- each count is its unrounded figure rounded to a whole child (within ½), and no unrounded
  figure is negative. The figures are fractional expected values (an LP's placements, a
  forecast's means), and the published count is ``round(figure)``, so ``|count − figure|
  ≤ ½`` holds for them as for whole children; a total is the sum of its rounded cells,
  not the rounding of its figure, so it gets no rounding constraint of its own;
- the definitions that tie the unrounded figures together, within a year: the ``all``
  block of the SCAP and commissioning tables is the sum of the planning areas, cell by
  cell; a SCAP phase row and the commissioning column of that phase count the same
  children, block by block; the DSG plan's two sections count the same children by
  category (each category's total by age = its total by need); and the whole council's
  DSG sections, SCAP and commissioning blocks are all margins of one table of children by
  DSG category, SCAP type, need and DSG age group (:data:`DEFAULT_PAIRS`, or the pairs
  of category and type the run's settings have), with need groups and phases as the
  taxonomy defines them.

Earlier versions tied cells whose unrounded values happened to be equal. That was wrong
both ways: a coincidence (two different figures both exactly 10 places' worth) is no
relation, so the attacker was credited with knowledge he lacks and cells were hidden for
nothing; and relations that do hold (the DSG sections' shared category totals, the
independent places split between two DSG categories) were missed. Each relation is now
one of the definitions above, and a relation that does not hold on the unrounded figures
(a setting given a category and type the taxonomy would not pair) is left out rather than
trusted.

A suppressed count of 1-4 is protected when its interval covers 0-4; any other
suppressed cell when its interval is at least :data:`PROTECTED_WIDTH` wide. Bounds are
those of the linear relaxation (the attacker does not use that counts are whole),
rounded inward. Years are independent: every relation above stays within a year.

:class:`Attacker` holds one year's programme in two HiGHS models built once: the attacker's
(published cells fixed, an objective per hidden cell, warm-started) and the defender's
(published cells free to move at a price, for :mod:`.secondary`). Every solution found is
a point the attacker cannot rule out, so the range of each cell over them is an inner
bound of its interval: a cell already shown protected needs no programme of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import taxonomy
from ..solve.engines import quiet_native_output
from .disclosure import SMALLEST_SHOWN, SUPPRESSED

log = logging.getLogger(__name__)

#: Width of the interval a suppressed cell must keep (the range 0-4 a "c" stands for).
PROTECTED_WIDTH = float(SMALLEST_SHOWN - 1)

#: Slack allowed on a programme's bounds before they are rounded inward.
TOLERANCE = 1e-6

TOTAL = "total"

#: HiGHS's ``simplex_strategy`` for the primal simplex.
PRIMAL_SIMPLEX = 4

#: Wide tables: row key and count columns (as :mod:`.returns` makes them).
WIDE = {
    "scap": ("phase", ("UR", "IN", "SS", "AP")),
    "commissioning": ("need_group", ("early_years", "primary", "secondary", "post16")),
}

#: The DSG plan's sections of children: category × age group, and need × category.
BY_AGE = "children_by_category_and_age"
BY_NEED = "children_by_need"

#: Phase of the returns of each DSG plan age group.
AGE_PHASE: dict[str, str] = {
    taxonomy.DSG_AGE_GROUPS[band]: phase for band, phase in taxonomy.BAND_PHASE.items()
}

#: Pairs of DSG category and SCAP type a setting can have when the run does not say:
#: the establishment types' (the market of last resort is an independent special place),
#: and children not in a school or college (``other``, not specialist).
DEFAULT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {*taxonomy.ESTABLISHMENT_TYPES.values(), (taxonomy.NOT_IN_SCHOOL_DSG_CATEGORY, "none")}
)

#: Columns of one row per published count cell (:func:`cells_of`).
CELL_COLUMNS = [
    "table", "year", "block", "row", "col", "raw", "inner", "value", "source", "field",
]  # fmt: skip


@dataclass
class Cells:
    """Every count cell published, one row each (``frame``).

    Attributes:
        frame: ``table, year, block, row, col, raw, inner, value, source, field, hidden``
            per cell: ``value`` is the published (rounded) figure, also for hidden cells,
            ``inner`` marks a count that is not a total, ``source`` and ``field`` are the
            cell's row label and column in its table.
    """

    frame: pd.DataFrame


def _wide_cells(name: str, raw: pd.DataFrame) -> pd.DataFrame:
    row_key, cols = WIDE[name]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "table": name,
                    "year": raw["year"].astype(int).to_numpy(),
                    "block": raw["planning_area"].astype(str).to_numpy(),
                    "row": raw[row_key].astype(str).to_numpy(),
                    "col": col,
                    "raw": raw[col].to_numpy(dtype=float),
                    "source": raw.index.to_numpy(),
                    "field": col,
                }
            )
            for col in [*cols, TOTAL]
        ],
        ignore_index=True,
    )


def _long_cells(raw: pd.DataFrame) -> pd.DataFrame:
    r = raw[(raw["unit"] == "children").to_numpy()]
    year = pd.to_numeric(r["period"].astype(str).str[:4], errors="coerce")
    return pd.DataFrame(
        {
            "table": "dsg_plan",
            "year": year.fillna(-1).astype(int).to_numpy(),
            "block": r["section"].astype(str).to_numpy(),
            "row": r["line"].astype(str).to_numpy(),
            "col": r["column"].astype(str).to_numpy(),
            "raw": r["value"].to_numpy(dtype=float),
            "source": r.index.to_numpy(),
            "field": "value",
        }
    )


def cells_of(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The count cells of the working ``scap``, ``commissioning`` and ``dsg_plan`` tables
    as they are published: inner counts rounded to whole children, totals the sums of the
    rounded counts (columns :data:`CELL_COLUMNS`)."""
    parts = [_wide_cells(name, raw[name]) for name in WIDE if name in raw and len(raw[name])]
    if "dsg_plan" in raw and len(raw["dsg_plan"]):
        parts.append(_long_cells(raw["dsg_plan"]))
    if not parts:
        return pd.DataFrame(columns=CELL_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    frame["inner"] = (frame["row"] != TOTAL) & (frame["col"] != TOTAL)
    rounded = np.rint(frame["raw"].to_numpy(dtype=float)) + 0.0  # no negative zeros
    frame["value"] = np.where(frame["inner"], rounded, 0.0)
    keys = ["table", "year", "block"]
    inner = frame[frame["inner"]]
    by_row = inner.groupby([*keys, "row"], sort=False)["value"].sum()
    by_col = inner.groupby([*keys, "col"], sort=False)["value"].sum()
    whole = inner.groupby(keys, sort=False)["value"].sum()
    row_total = frame["col"] == TOTAL
    col_total = frame["row"] == TOTAL
    for mask, sums, on in (
        (row_total & ~col_total, by_row, [*keys, "row"]),
        (col_total & ~row_total, by_col, [*keys, "col"]),
        (row_total & col_total, whole, keys),
    ):
        at = frame.loc[mask, on]
        found = sums.reindex(pd.MultiIndex.from_frame(at)).to_numpy()
        frame.loc[mask, "value"] = np.nan_to_num(found.astype(float))
    return frame[CELL_COLUMNS]


def collect(raw: dict[str, pd.DataFrame], shown: dict[str, pd.DataFrame]) -> Cells:
    """The count cells of the tables published together (:func:`cells_of`), each marked
    ``hidden`` where its published copy (``shown``) has ``c``."""
    frame = cells_of(raw)
    hidden = np.zeros(len(frame), dtype=bool)
    for (name, field), part in frame.groupby(["table", "field"], sort=False):
        copy = shown.get(str(name))
        if copy is None or not len(copy):
            continue
        values = copy.loc[part["source"].to_numpy(), str(field)].astype(str).to_numpy()
        hidden[part.index.to_numpy()] = values == SUPPRESSED
    return Cells(frame.assign(hidden=hidden))


def suppress(shown: dict[str, pd.DataFrame], cells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Copies of the published tables with every hidden cell of ``cells`` shown as ``c``."""
    out = {name: frame.copy() for name, frame in shown.items()}
    hidden = cells[cells["hidden"].to_numpy(dtype=bool)]
    for (name, field), part in hidden.groupby(["table", "field"], sort=False):
        frame = out[str(name)]
        if frame[field].dtype != object:
            frame[field] = frame[field].astype(object)
        frame.loc[part["source"].to_numpy(), str(field)] = SUPPRESSED
    return out


# --- the relations an attacker knows, one family each, as rows over the unrounded figures -

class _Rows:
    """Sparse rows ``coefficients · (v, x) = 0``, added family by family."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.n = 0

    def add(self, plus: list[int], minus: list[int]) -> None:
        """One row: the sum of columns ``plus`` less the sum of columns ``minus``."""
        self.rows += [self.n] * (len(plus) + len(minus))
        self.cols += plus + minus
        self.vals += [1.0] * len(plus) + [-1.0] * len(minus)
        self.n += 1

    def ties(self, plus: dict[object, list[int]], minus: dict[object, list[int]]) -> None:
        """One row per key on both sides: its ``plus`` columns less its ``minus`` ones."""
        for key, cols in plus.items():
            if key in minus:
                self.add(cols, minus[key])

    def matrix(self, width: int) -> sp.csr_matrix:
        return sp.csr_matrix((self.vals, (self.rows, self.cols)), shape=(self.n, width))


def _group(keys: Iterable[object], cols: Iterable[int]) -> dict[object, list[int]]:
    """Columns by key."""
    out: dict[object, list[int]] = {}
    for key, col in zip(keys, cols, strict=True):
        out.setdefault(key, []).append(col)
    return out


class _Inner:
    """The inner cells of one year as plain lists (column ``k`` of ``v`` each)."""

    def __init__(self, ins: pd.DataFrame) -> None:
        self.table = ins["table"].tolist()
        self.block = ins["block"].tolist()
        self.row = ins["row"].tolist()
        self.col = ins["col"].tolist()
        self.k = list(range(len(ins)))

    def where(self, table: str, block: str | None = None, areas: bool = False) -> list[int]:
        """The cells of ``table`` (of ``block``, or of every block but ``all``)."""
        return [
            k
            for k in self.k
            if self.table[k] == table
            and (block is None or self.block[k] == block)
            and not (areas and self.block[k] == "all")
        ]


def _areas(ins: _Inner, rows: _Rows) -> None:
    """The ``all`` block of a wide table is the sum of its planning areas, cell by cell."""
    for name in WIDE:
        every, areas = ins.where(name, "all"), ins.where(name, areas=True)
        rows.ties(
            _group(((ins.row[k], ins.col[k]) for k in every), every),
            _group(((ins.row[k], ins.col[k]) for k in areas), areas),
        )


def _phases(ins: _Inner, rows: _Rows) -> None:
    """A SCAP phase row and the commissioning column of that phase, block by block."""
    scap, comm = ins.where("scap"), ins.where("commissioning")
    rows.ties(
        _group(((ins.block[k], ins.row[k]) for k in scap), scap),
        _group(((ins.block[k], ins.col[k]) for k in comm), comm),
    )


def _categories(ins: _Inner, rows: _Rows) -> None:
    """The DSG plan's two sections count the same children in each category."""
    by_age, by_need = ins.where("dsg_plan", BY_AGE), ins.where("dsg_plan", BY_NEED)
    rows.ties(
        _group((ins.row[k] for k in by_age), by_age),
        _group((ins.col[k] for k in by_need), by_need),
    )


def _latent(
    ins: _Inner, rows: _Rows, pairs: frozenset[tuple[str, str]], first: int
) -> int:
    """The whole council's DSG sections, SCAP and commissioning blocks as margins of one
    table of children by (category, type) pair, need and age group, whose cells are
    columns from ``first`` on. Returns how many latent cells."""
    by_age, by_need = ins.where("dsg_plan", BY_AGE), ins.where("dsg_plan", BY_NEED)
    if not by_age or not by_need or not pairs:
        return 0
    needs = list(dict.fromkeys(ins.row[k] for k in by_need))
    ages = list(dict.fromkeys(ins.col[k] for k in by_age))
    cells = [(c, t, n, a) for c, t in sorted(pairs) for n in needs for a in ages]
    cols = list(range(first, first + len(cells)))
    specialist = [(x, col) for x, col in zip(cells, cols, strict=True) if x[1] != "none"]
    margins = (
        (by_age, _group(((c, a) for c, _, _, a in cells), cols)),
        (by_need, _group(((n, c) for c, _, n, _ in cells), cols)),
        (
            ins.where("scap", "all"),
            _group(((AGE_PHASE[a], t) for (_, t, _, a), _ in specialist), (k for _, k in specialist)),
        ),
        (
            ins.where("commissioning", "all"),
            _group(
                ((taxonomy.BROAD_AREA.get(n), AGE_PHASE[a]) for (_, _, n, a), _ in specialist),
                (k for _, k in specialist),
            ),
        ),
    )
    for members, sums in margins:
        for k in members:
            rows.add([k], sums.get((ins.row[k], ins.col[k]), []))
    return len(cells)


def _holds(a: sp.csr_matrix, v: np.ndarray, n_x: int) -> np.ndarray:
    """Which rows of ``a`` (over ``v`` then ``n_x`` latent columns) hold at the unrounded
    figures; rows with latent columns are checked together by one programme."""
    has_x = np.asarray(a[:, len(v) :].getnnz(axis=1) > 0) if n_x else np.zeros(a.shape[0], bool)
    residual = a[:, : len(v)] @ v
    scale = np.maximum(1.0, abs(a[:, : len(v)]) @ np.abs(v))
    ok = np.abs(residual) <= 1e-7 * scale
    ok[has_x] = True
    if has_x.any():
        sub = a[np.flatnonzero(has_x)][:, len(v) :].tocsr()
        target = -residual[has_x]
        if not _solvable(sub, target):
            log.warning(
                "disclosure audit: the settings' DSG categories and SCAP types do not tie the "
                "DSG plan to the SCAP return as given; that tie is left out of the audit"
            )
            ok[has_x] = False
    return ok


def _highs(
    a: sp.csr_matrix,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
) -> highspy.Highs:
    """A quiet HiGHS model of ``row_lower ≤ a·x ≤ row_upper``, bounds on ``x``, min cost."""
    with quiet_native_output():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(
        int(a.shape[1]),
        int(a.shape[0]),
        int(a.nnz),
        int(highspy.MatrixFormat.kRowwise.value),
        int(highspy.ObjSense.kMinimize.value),
        0.0,
        np.ascontiguousarray(cost, dtype=float),
        np.ascontiguousarray(col_lower, dtype=float),
        np.ascontiguousarray(col_upper, dtype=float),
        np.ascontiguousarray(row_lower, dtype=float),
        np.ascontiguousarray(row_upper, dtype=float),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        np.zeros(a.shape[1], dtype=np.int32),
    )
    return h


def _solvable(a: sp.csr_matrix, rhs: np.ndarray) -> bool:
    """Whether ``a·x = rhs`` has a solution with ``x ≥ 0``."""
    n = a.shape[1]
    h = _highs(a, np.zeros(n), np.zeros(n), np.full(n, highspy.kHighsInf), rhs, rhs)
    h.run()
    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)


def _relations(cells: pd.DataFrame, pairs: frozenset[tuple[str, str]]) -> tuple[sp.csr_matrix, int]:
    """Rows ``R · (v, x) = 0`` over the inner cells' unrounded figures ``v`` (in the order
    of ``cells``' inner cells) and latent cells ``x``, each checked on the figures."""
    frame = cells[cells["inner"].to_numpy()]
    ins = _Inner(frame)
    rows = _Rows()
    _areas(ins, rows)
    _phases(ins, rows)
    _categories(ins, rows)
    n_x = _latent(ins, rows, pairs, len(ins.k))
    a = rows.matrix(len(ins.k) + n_x)
    ok = _holds(a, frame["raw"].to_numpy(dtype=float), n_x)
    if not ok.all():
        log.debug("disclosure audit: %d relations that do not hold left out", int((~ok).sum()))
    a = a[np.flatnonzero(ok)]
    if n_x and not a[:, len(ins.k) :].nnz:
        a, n_x = a[:, : len(ins.k)], 0
    return a.tocsr(), n_x


def _lines(cells: pd.DataFrame) -> sp.csr_matrix:
    """(cells × cells): each total cell's row holds the inner cells of its line."""
    table, block = cells["table"].tolist(), cells["block"].tolist()
    row, col = cells["row"].tolist(), cells["col"].tolist()
    members: dict[tuple[object, ...], list[int]] = {}
    for i, inner in enumerate(cells["inner"].tolist()):
        if inner:
            for key in ((table[i], block[i]), (table[i], block[i], "r", row[i])):
                members.setdefault(key, []).append(i)
            members.setdefault((table[i], block[i], "c", col[i]), []).append(i)
    r_i: list[int] = []
    c_i: list[int] = []
    for t in range(len(cells)):
        if row[t] == TOTAL and col[t] == TOTAL:
            line: tuple[object, ...] = (table[t], block[t])
        elif col[t] == TOTAL:
            line = (table[t], block[t], "r", row[t])
        elif row[t] == TOTAL:
            line = (table[t], block[t], "c", col[t])
        else:
            continue
        found = members.get(line, [])
        r_i += [t] * len(found)
        c_i += found
    n = len(cells)
    return sp.csr_matrix((np.ones(len(r_i)), (r_i, c_i)), shape=(n, n))


def required(value: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether each hidden cell's interval (bounds rounded inward) is wide enough: 0-4
    covered for a count of 1-4, at least :data:`PROTECTED_WIDTH` wide otherwise."""
    low = np.ceil(lo - TOLERANCE)
    high = np.floor(hi + TOLERANCE)
    small = (value >= 1) & (value < SMALLEST_SHOWN)
    covers = (low <= 0) & (high >= PROTECTED_WIDTH)
    return np.where(small, covers, high - low >= PROTECTED_WIDTH)


def hiding_price(cells: pd.DataFrame) -> np.ndarray:
    """The defender's price of hiding each cell: one a cell, three for a zero (a hidden
    zero must then be shown able to reach 4, which usually hides more), half more for a
    total, and a trace of its size so that of two equal choices the smaller count goes.
    Chosen by trial on the bundled borough and smaller ones (see the README)."""
    value = cells["value"].to_numpy(dtype=float)
    inner = cells["inner"].to_numpy(dtype=bool)
    return np.where(value == 0, 3.0, 1.0) + np.where(inner, 0.0, 0.5) + 1e-4 * value


class Attacker:
    """One year's published cells as linear programmes over what the attacker knows.

    Columns: for every cell (inner or total) ``up`` and ``down``, so that its value is
    ``value + up − down`` (both fixed at 0 for a published cell; ``down ≤ value`` keeps
    it non-negative); every inner cell's unrounded figure ``v ≥ 0``; the latent cells of
    the relations. Rows: each total is the sum of its line; each inner count is within
    ½ of its figure; the relations (:func:`_relations`).

    Attributes:
        cells: The year's cells, positions 0..n-1.
        hidden: Which cells are suppressed (grows with :meth:`hide`).
        seen_lo: Smallest value of each cell at the points found so far (inner bounds).
        seen_hi: Largest value of each cell at the points found so far.
    """

    def __init__(
        self,
        cells: pd.DataFrame,
        pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
        weights: np.ndarray | None = None,
    ) -> None:
        """Build the attacker's and defender's programmes.

        Args:
            cells: One year's cells (:func:`collect`), with ``hidden``.
            pairs: The (DSG category, SCAP type) pairs of the run's settings; None leaves
                the tie between the DSG plan and the SCAP return out.
            weights: The defender's price of hiding each cell (:meth:`widen`); by default
                :func:`hiding_price`.
        """
        self.cells = cells.reset_index(drop=True)
        n = len(self.cells)
        self.value = self.cells["value"].to_numpy(dtype=float)
        self.hidden = self.cells["hidden"].to_numpy(dtype=bool).copy()
        self.seen_lo = self.value.copy()  # the figures published are one possible answer
        self.seen_hi = self.value.copy()
        inner = np.flatnonzero(self.cells["inner"].to_numpy(dtype=bool))
        n_in = len(inner)
        relations, n_x = _relations(self.cells, pairs or frozenset())
        lines = _lines(self.cells)
        totals = np.flatnonzero(~self.cells["inner"].to_numpy(dtype=bool))
        net = lines[totals] - sp.csr_matrix(
            (np.ones(len(totals)), (np.arange(len(totals)), totals)), shape=(len(totals), n)
        )
        pick = sp.csr_matrix((np.ones(n_in), (np.arange(n_in), inner)), shape=(n_in, n))
        eye = sp.identity(n_in, format="csr")
        n_rel = relations.shape[0]
        a = sp.vstack(
            [
                sp.hstack([net, -net, sp.csr_matrix((len(totals), n_in + n_x))]),
                sp.hstack([pick, -pick, -eye, sp.csr_matrix((n_in, n_x))]),
                sp.hstack([sp.csr_matrix((n_rel, 2 * n)), relations]),
            ],
            format="csr",
        )
        self.width = 2 * n + n_in + n_x
        v_in = self.value[inner]
        row_lower = np.concatenate([np.zeros(len(totals)), -0.5 - v_in, np.zeros(n_rel)])
        row_upper = np.concatenate([np.zeros(len(totals)), 0.5 - v_in, np.zeros(n_rel)])
        inf = highspy.kHighsInf
        self._inf = inf
        self.lower = np.zeros(self.width)
        self.upper = np.concatenate([np.full(n, inf), self.value, np.full(n_in + n_x, inf)])
        if weights is None:
            weights = hiding_price(self.cells)
        self.weights = np.asarray(weights, dtype=float)
        closed = self.upper.copy()
        shut = np.flatnonzero(~self.hidden)
        closed[shut] = 0.0
        closed[n + shut] = 0.0
        self._attacker = _highs(a, np.zeros(self.width), self.lower, closed, row_lower, row_upper)
        # only the objective changes between its solves: the last basis stays primal
        # feasible, so the primal simplex goes on from it (about 3× faster than the dual)
        self._attacker.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        price = np.zeros(self.width)
        price[shut] = self.weights[shut]
        price[n + shut] = self.weights[shut]
        self._defender = _highs(a, price, self.lower, self.upper, row_lower, row_upper)
        self.n = n
        self.solves = 0

    def hide(self, positions: np.ndarray) -> None:
        """Suppress more cells: the attacker may move them, the defender at no price."""
        positions = np.asarray(positions, dtype=np.int32)
        if not len(positions):
            return
        self.hidden[positions] = True
        both = np.concatenate([positions, positions + self.n]).astype(np.int32)
        self._attacker.changeColsBounds(len(both), both, self.lower[both], self.upper[both])
        self._defender.changeColsCost(len(both), both, np.zeros(len(both)))

    def _see(self, h: highspy.Highs) -> None:
        self._see_at(np.asarray(h.getSolution().col_value, dtype=float))

    def _see_at(self, x: np.ndarray) -> None:
        """Widen the ranges seen by the point ``x`` (columns of the programmes)."""
        at = self.value + x[: self.n] - x[self.n : 2 * self.n]
        np.minimum(self.seen_lo, at, out=self.seen_lo)
        np.maximum(self.seen_hi, at, out=self.seen_hi)

    def bound(self, i: int, sense: float) -> float:
        """The smallest (``sense`` 1) or largest (``sense`` −1) value of cell ``i`` the
        attacker cannot rule out (infinite when unbounded)."""
        h = self._attacker
        both = np.array([i, self.n + i], dtype=np.int32)
        h.changeColsCost(2, both, np.array([sense, -sense]))
        h.run()
        self.solves += 1
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if ok:  # read before the cost is reset (a change clears the solution)
            self._see(h)
            found = float(self.value[i] + sense * h.getInfo().objective_function_value)
        h.changeColsCost(2, both, np.zeros(2))
        return found if ok else -sense * np.inf

    def widen(self, i: int, target: float) -> np.ndarray | None:
        """Published cells to hide so that cell ``i`` can take the value ``target``: the
        cheapest move of published cells (by :attr:`weights`; hidden cells move for free)
        that lets it, found by the defender's programme. None when no move can.

        The point found is one the attacker cannot rule out once those cells are hidden,
        so it widens :attr:`seen_lo` and :attr:`seen_hi` as soon as they are.
        """
        h = self._defender
        up = target >= self.value[i]
        # the cell's move one way by the distance to the target, none the other way
        cols = np.array([i, self.n + i] if up else [self.n + i, i], dtype=np.int32)
        need = abs(target - self.value[i])
        h.changeColsBounds(2, cols, np.array([need, 0.0]), np.array([self.upper[cols[0]], 0.0]))
        h.run()
        self.solves += 1
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value, dtype=float) if ok else None
        h.changeColsBounds(2, cols, np.zeros(2), self.upper[cols])
        if x is None:
            return None
        moved = np.flatnonzero((x[: self.n] + x[self.n : 2 * self.n] > 1e-7) & ~self.hidden)
        self.hide(moved)
        self._see_at(x)
        return moved

    def interval(self, i: int) -> tuple[float, float]:
        """The exact interval of cell ``i`` (two programmes)."""
        return self.bound(i, 1.0), self.bound(i, -1.0)

    def screen(self, low: np.ndarray, high: np.ndarray, reach: np.ndarray) -> None:
        """Two programmes that test many hidden cells at once, each widening what has
        been seen: every cell of ``low`` as small as it can be together (the least sum),
        then every cell of ``high`` raised by up to ``reach`` (per cell) together (the
        largest sum of the rises, none of them lowered). A cell the points show protected
        needs no programme of its own."""
        h = self._attacker
        if low.any():
            cols = np.flatnonzero(low).astype(np.int32)
            both = np.concatenate([cols, cols + self.n]).astype(np.int32)
            price = np.concatenate([np.ones(len(cols)), -np.ones(len(cols))])
            h.changeColsCost(len(both), both, price)
            self._run_and_see(h)
            h.changeColsCost(len(both), both, np.zeros(len(both)))
        if high.any():
            cols = np.flatnonzero(high).astype(np.int32)
            down = (cols + self.n).astype(np.int32)
            h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), reach[cols])
            h.changeColsBounds(len(down), down, np.zeros(len(down)), np.zeros(len(down)))
            h.changeColsCost(len(cols), cols, -np.ones(len(cols)))
            self._run_and_see(h)
            h.changeColsCost(len(cols), cols, np.zeros(len(cols)))
            h.changeColsBounds(len(cols), cols, self.lower[cols], self.upper[cols])
            h.changeColsBounds(len(down), down, self.lower[down], self.upper[down])

    def _run_and_see(self, h: highspy.Highs) -> None:
        h.run()
        self.solves += 1
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            self._see(h)

    def shown_protected(self) -> np.ndarray:
        """Which hidden cells the points found so far already show protected."""
        return self.hidden & required(self.value, self.seen_lo, self.seen_hi)


def audit(
    raw: dict[str, pd.DataFrame],
    shown: dict[str, pd.DataFrame],
    *,
    pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
    exact: bool = True,
) -> pd.DataFrame:
    """Every suppressed count of the tables published together, with the interval an
    attacker can narrow it to from everything published (see the module doc).

    Args:
        raw: The working (unrounded) ``scap``, ``commissioning`` and ``dsg_plan`` tables.
        shown: Their published copies (``c`` where suppressed).
        pairs: The (DSG category, SCAP type) pairs of the run's settings.
        exact: Each cell's exact interval (two programmes a cell); with False, a cell the
            points already found show protected gets the range over them instead (an
            inner bound of its interval, enough to show it protected; a cell not shown
            so gets its exact interval).

    Returns:
        ``table, year, block, row, col, value, low, high, protected`` per suppressed cell
        (``value`` the rounded figure hidden; ``low``/``high`` rounded inward).
    """
    cells = collect(raw, shown).frame
    out = []
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        attacker = Attacker(part, pairs)
        lo, hi = attacker.seen_lo.copy(), attacker.seen_hi.copy()
        for i in np.flatnonzero(attacker.hidden):
            if not exact and attacker.shown_protected()[i]:
                lo[i], hi[i] = attacker.seen_lo[i], attacker.seen_hi[i]
            else:
                lo[i], hi[i] = attacker.interval(int(i))
        frame = attacker.cells.assign(low=np.ceil(lo - TOLERANCE), high=np.floor(hi + TOLERANCE))
        keep = attacker.hidden
        frame = frame[keep].assign(protected=required(attacker.value, lo, hi)[keep])
        out.append(frame)
    columns = ["table", "year", "block", "row", "col", "value", "low", "high", "protected"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]
