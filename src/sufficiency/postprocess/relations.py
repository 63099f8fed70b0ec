"""What an attacker knows of the tables published together: the definitions tying their figures.

Within a year (every relation stays within one):

- the ``all`` block of the SCAP and commissioning tables is the sum of the planning
  areas, cell by cell (:func:`_areas`);
- a SCAP phase row and the commissioning column of that phase count the same children,
  block by block (:func:`_phases`);
- the DSG plan's two sections count the same children in each category: a category's
  total by age equals its total by need (:func:`_categories`);
- the whole council's DSG sections, SCAP and commissioning ``all`` blocks are margins of
  one table of children by (DSG category, SCAP type) pair, need and DSG age group, with
  need groups (:data:`~sufficiency.taxonomy.BROAD_AREA`) and phases
  (:data:`AGE_PHASE`) as the taxonomy defines them (:func:`_latent`). The pairs are the
  run's settings' (:func:`pairs_of`) or, when not given, every pair the establishment
  types allow (:data:`DEFAULT_PAIRS`); only pairs with ``none`` as type are not
  specialist places (not in the SCAP and commissioning tables).

Each relation is checked on the unrounded figures and left out if it does not hold (a
setting given a category and type the pairs do not list, a need without a need group),
so the attacker is never credited with a tie that is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from .. import taxonomy
from .published_cells import TOTAL, WIDE

log = logging.getLogger(__name__)

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


def pairs_of(placements: pd.DataFrame, not_in_school: pd.DataFrame) -> frozenset[tuple[str, str]]:
    """The (DSG category, SCAP type) pairs of a run's children with EHC plans: their
    placements' settings, and ``other``/``none`` for children not in a school or college.

    Only the pairs that hold children: an attacker who knows the register knows these
    and perhaps more, and fewer pairs tie the tables tighter, so the audit errs on the
    safe side."""
    p = placements
    if "provision" in p:
        p = p[(p["provision"].astype(str) == "ehc_plan").to_numpy()]
    p = p[(p["children"].to_numpy(dtype=float) > 0)]
    pairs = set(zip(p["dsg_category"].astype(str), p["scap_type"].astype(str), strict=True))
    if len(not_in_school) and float(not_in_school["children"].sum()) > 0:
        pairs.add((taxonomy.NOT_IN_SCHOOL_DSG_CATEGORY, "none"))
    return frozenset(pairs)


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


def _latent(ins: _Inner, rows: _Rows, pairs: frozenset[tuple[str, str]], first: int) -> int:
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
            _group(
                ((AGE_PHASE[a], t) for (_, t, _, a), _ in specialist), (k for _, k in specialist)
            ),
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


def _solvable(a: sp.csr_matrix, rhs: np.ndarray) -> bool:
    """Whether ``a·x = rhs`` has a solution with ``x ≥ 0``."""
    found = linprog(np.zeros(a.shape[1]), A_eq=a, b_eq=rhs, bounds=(0, None), method="highs")
    return bool(found.status == 0)


def relations(cells: pd.DataFrame, pairs: frozenset[tuple[str, str]]) -> tuple[sp.csr_matrix, int]:
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


def line_sums(cells: pd.DataFrame) -> sp.csr_matrix:
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
