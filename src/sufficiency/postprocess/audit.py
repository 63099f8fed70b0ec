"""An attacker's audit of the tables published together, and the suppression it calls for.

``published/scap.csv``, ``commissioning.csv`` and ``dsg_plan.csv`` (and the workbook's and
HTML page's copies of them) are released together, so a suppressed count must stay hidden
given *all* of them. For every suppressed cell this module finds, by linear programming, the
smallest and largest value consistent with everything published (:func:`audit`):

- each table's totals are the sums of its rounded counts (exactly);
- each count is its unrounded value rounded to a whole child (within ½);
- unrounded values are tied across blocks and tables as the tables are made: the ``all``
  block of the SCAP and commissioning tables is the sum of the planning areas, cell by
  cell; a SCAP row (phase) total and the commissioning column of that phase count the same
  children; a cell of one table equal, unrounded, to a cell of another (the DSG plan's
  resourced provision aged 5-10 and the SCAP's primary UR) is the same figure;
- nothing is negative.

Counts rounded to whole children are integers, so the bounds are rounded inward. A
suppressed count of 1-4 is protected when its interval covers 0-4; any other suppressed
cell when its interval is at least :data:`PROTECTED_WIDTH` wide. :func:`protect_together`
hides more cells, one for each weak cell per round, until every suppressed cell is
protected (years are independent: every relation above stays within a year).

Not yet part of :func:`~sufficiency.postprocess.disclosure.publish`: on the bundled borough
the per-table rule leaves 287 of 769 suppressed cells (all years) unprotected by this
test, and :func:`protect_together` protects them all but hides 3,532 of 5,370 count cells
and takes minutes (two linear programmes per weak cell per round). A cheaper choice of
the cells to hide (e.g. from the binding rows of each weak cell's programme) is needed
before it can run on every publication.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..solve.engines import quiet_native_output
from .disclosure import SMALLEST_SHOWN, SUPPRESSED

log = logging.getLogger(__name__)

#: Width of the interval a suppressed cell must keep (the range 0-4 a "c" stands for).
PROTECTED_WIDTH = float(SMALLEST_SHOWN - 1)

#: Most cells hidden by :func:`protect_together` in one year before it gives up hiding
#: one at a time and hides every count of that year's tables.
MOST_ROUNDS = 2_000

TOTAL = "total"

#: Wide tables: count columns, row key and block keys (as :mod:`.returns` makes them).
WIDE = {
    "scap": ("phase", ("UR", "IN", "SS", "AP")),
    "commissioning": ("need_group", ("early_years", "primary", "secondary", "post16")),
}


@dataclass
class Cells:
    """Every count cell published, one row each (``frame``), with its relations.

    Attributes:
        frame: ``table, year, block, row, col, raw, value, hidden, inner`` per cell, where
            ``value`` is the published (rounded) figure, also for hidden cells, and
            ``inner`` marks a count that is not a total.
    """

    frame: pd.DataFrame


def _wide_cells(name: str, raw: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    row_key, cols = WIDE[name]
    out = []
    for col in [*cols, TOTAL]:
        out.append(
            pd.DataFrame(
                {
                    "table": name,
                    "year": raw["year"].astype(int).to_numpy(),
                    "block": raw["planning_area"].astype(str).to_numpy(),
                    "row": raw[row_key].astype(str).to_numpy(),
                    "col": col,
                    "raw": raw[col].to_numpy(dtype=float),
                    "hidden": (shown[col].astype(str) == SUPPRESSED).to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _long_cells(raw: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    counts = (raw["unit"] == "children").to_numpy()
    r, s = raw[counts], shown[counts]
    year = pd.to_numeric(r["period"].astype(str).str[:4], errors="coerce")
    return pd.DataFrame(
        {
            "table": "dsg_plan",
            "year": year.fillna(-1).astype(int).to_numpy(),
            "block": r["section"].astype(str).to_numpy(),
            "row": r["line"].astype(str).to_numpy(),
            "col": r["column"].astype(str).to_numpy(),
            "raw": r["value"].to_numpy(dtype=float),
            "hidden": (s["value"].astype(str) == SUPPRESSED).to_numpy(),
        }
    )


def collect(raw: dict[str, pd.DataFrame], shown: dict[str, pd.DataFrame]) -> Cells:
    """The count cells of the tables published together (``scap``, ``commissioning``,
    ``dsg_plan``): their unrounded values (``raw``) and what is hidden (``shown``)."""
    parts = []
    for name in WIDE:
        if name in shown and len(shown[name]):
            parts.append(_wide_cells(name, raw[name], shown[name]))
    if "dsg_plan" in shown and len(shown["dsg_plan"]):
        parts.append(_long_cells(raw["dsg_plan"], shown["dsg_plan"]))
    if not parts:
        empty = pd.DataFrame(columns=["table", "year", "block", "row", "col", "raw", "hidden"])
        return Cells(empty.assign(value=[], inner=[]))
    frame = pd.concat(parts, ignore_index=True)
    frame["inner"] = (frame["row"] != TOTAL) & (frame["col"] != TOTAL)
    rounded = np.rint(frame["raw"].to_numpy(dtype=float))
    value = np.where(frame["inner"], rounded, 0.0)
    frame["value"] = value
    # totals are the sums of the rounded counts
    inner = frame[frame["inner"]]
    keys = ["table", "year", "block"]
    by_row = inner.groupby([*keys, "row"], sort=False)["value"].sum()
    by_col = inner.groupby([*keys, "col"], sort=False)["value"].sum()
    whole = inner.groupby(keys, sort=False)["value"].sum()
    tot = ~frame["inner"]
    value_at = int(frame.columns.get_loc("value"))  # type: ignore[arg-type]
    for i in np.flatnonzero(tot.to_numpy()):
        c = frame.iloc[i]
        key = (c["table"], c["year"], c["block"])
        if c["row"] == TOTAL and c["col"] == TOTAL:
            frame.iat[int(i), value_at] = whole.get(key, 0.0)
        elif c["col"] == TOTAL:
            frame.iat[int(i), value_at] = by_row.get((*key, c["row"]), 0.0)
        else:
            frame.iat[int(i), value_at] = by_col.get((*key, c["col"]), 0.0)
    return Cells(frame.reset_index(drop=True))


@dataclass
class _YearModel:
    """One year's attacker model: variables ``r`` (rounded) and ``v`` (unrounded) per
    inner cell, and each published cell as a sum of ``r``."""

    cells: pd.DataFrame  # the year's cells, positions 0..n-1
    inner: np.ndarray  # positions of inner cells; variable k is inner[k]
    sums: sp.csr_matrix  # (cells × inner): each cell as a sum of rounded inner counts
    relations: sp.csr_matrix  # rows over v: unrounded relations (= 0)


def _year_model(cells: pd.DataFrame) -> _YearModel:
    cells = cells.reset_index(drop=True)
    is_inner = cells["inner"].to_numpy()
    inner = np.flatnonzero(is_inner)
    pos = {int(i): k for k, i in enumerate(inner)}
    n_in = len(inner)
    table_block = (cells["table"] + "\x1f" + cells["block"]).to_numpy(dtype=object)
    row, col = cells["row"].to_numpy(dtype=object), cells["col"].to_numpy(dtype=object)
    members: dict[tuple[object, ...], list[int]] = {}
    for k, i in enumerate(inner):
        for key in (
            (table_block[i],),
            (table_block[i], "r", row[i]),
            (table_block[i], "c", col[i]),
        ):
            members.setdefault(key, []).append(k)
    rows: list[int] = [int(i) for i in inner]
    cols: list[int] = list(range(n_in))
    for i in np.flatnonzero(~is_inner):
        if row[i] == TOTAL and col[i] == TOTAL:
            line: tuple[object, ...] = (table_block[i],)
        elif col[i] == TOTAL:
            line = (table_block[i], "r", row[i])
        else:
            line = (table_block[i], "c", col[i])
        found = members.get(line, [])
        rows += [int(i)] * len(found)
        cols += found
    sums = sp.csr_matrix(
        (np.ones(len(rows)), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(cells), n_in),
    )
    ins = cells.iloc[inner]
    rel: list[dict[int, float]] = []
    # the ``all`` block of a wide table is the sum of its areas, cell by cell
    for name in WIDE:
        mine = ins[(ins["table"] == name).to_numpy()]
        for (_row, _col), grp in mine.groupby(["row", "col"], sort=False):
            every = grp.index[grp["block"] == "all"]
            areas = grp.index[grp["block"] != "all"]
            if len(every) == 1 and len(areas):
                eq = {pos[int(every[0])]: 1.0}
                for a in areas:
                    eq[pos[int(a)]] = eq.get(pos[int(a)], 0.0) - 1.0
                rel.append(eq)
    # a SCAP phase row and the commissioning phase column count the same children
    scap = ins[(ins["table"] == "scap").to_numpy()]
    comm = ins[(ins["table"] == "commissioning").to_numpy()]
    if len(scap) and len(comm):
        for (block, phase), grp in scap.groupby(["block", "row"], sort=False):
            other = comm[((comm["block"] == block) & (comm["col"] == phase)).to_numpy()]
            if len(other):
                eq = {pos[int(i)]: 1.0 for i in grp.index}
                for i in other.index:
                    eq[pos[int(i)]] = eq.get(pos[int(i)], 0.0) - 1.0
                rel.append(eq)
    # cells of different tables with the same unrounded value are the same figure
    raw = ins["raw"].to_numpy(dtype=float)
    nonzero = np.abs(raw) > 1e-9
    order = np.argsort(raw, kind="stable")
    order = order[nonzero[order]]
    tables = ins["table"].to_numpy()
    for a, b in itertools.pairwise(order):
        if tables[a] != tables[b] and abs(raw[a] - raw[b]) <= 1e-9 * max(1.0, abs(raw[a])):
            rel.append({int(a): 1.0, int(b): -1.0})
    r_i, c_i, vals = [], [], []
    for n, eq in enumerate(rel):
        for k, v in eq.items():
            r_i.append(n)
            c_i.append(k)
            vals.append(v)
    relations = sp.csr_matrix((vals, (r_i, c_i)), shape=(len(rel), n_in))
    return _YearModel(cells, inner, sums, relations)


def _intervals(
    model: _YearModel, *, exact: bool = True, skip: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of every hidden cell of one year given the rest.

    With ``exact=False`` a cell is given the range its values take over the solutions
    already found as soon as that range shows it protected (:func:`_protected`), without
    its own two linear programmes: the bounds are then inner bounds of the true interval,
    enough to tell protected from not (a cell not shown protected always gets both).
    Cells marked in ``skip`` get no programme of their own (NaN bounds).
    """
    cells = model.cells
    n_in = len(model.inner)
    hidden = cells["hidden"].to_numpy()
    value = cells["value"].to_numpy(dtype=float)
    lo = np.full(len(cells), np.nan)
    hi = np.full(len(cells), np.nan)
    todo = np.flatnonzero(hidden)
    mine = np.ones(len(todo), dtype=bool) if skip is None else ~skip[todo]
    if not mine.any():
        return lo, hi
    shown_rows = np.flatnonzero(~hidden)
    # columns: r (n_in) then v (n_in); rows: shown cells = value; r − v in [−½, ½];
    # unrounded relations = 0
    eye = sp.identity(n_in, format="csr")
    n_rel = model.relations.shape[0]
    a = sp.vstack(
        [
            sp.hstack([model.sums[shown_rows], sp.csr_matrix((len(shown_rows), n_in))]),
            sp.hstack([eye, -eye]),
            sp.hstack([sp.csr_matrix((n_rel, n_in)), model.relations]),
        ],
        format="csr",
    )
    lower = np.concatenate([value[shown_rows], np.full(n_in, -0.5), np.zeros(n_rel)])
    upper = np.concatenate([value[shown_rows], np.full(n_in, 0.5), np.zeros(n_rel)])
    with quiet_native_output():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.passModel(
        int(2 * n_in),
        int(a.shape[0]),
        int(a.nnz),
        int(highspy.MatrixFormat.kRowwise.value),
        int(highspy.ObjSense.kMinimize.value),
        0.0,
        np.zeros(2 * n_in),
        np.zeros(2 * n_in),
        np.full(2 * n_in, inf),
        lower,
        upper,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        np.zeros(2 * n_in, dtype=np.int32),
    )
    hidden_sums = model.sums[todo]
    seen_lo = np.full(len(todo), np.inf)
    seen_hi = np.full(len(todo), -np.inf)
    cols = np.arange(2 * n_in, dtype=np.int32)
    for n, i in enumerate(todo):
        if not mine[n]:
            continue
        row = model.sums[i]
        for sense, out in ((1.0, lo), (-1.0, hi)):
            if (
                not exact
                and _protected(value[todo[n : n + 1]], seen_lo[n : n + 1], seen_hi[n : n + 1])[0]
            ):
                break
            cost = np.zeros(2 * n_in)
            cost[row.indices] = sense * row.data
            h.changeColsCost(len(cols), cols, cost)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                out[i] = sense * h.getInfo().objective_function_value
                found = hidden_sums @ np.asarray(h.getSolution().col_value, float)[:n_in]
                np.minimum(seen_lo, found, out=seen_lo)
                np.maximum(seen_hi, found, out=seen_hi)
            else:  # unbounded (or, never for figures that were published, infeasible)
                out[i] = -sense * np.inf
        if np.isnan(lo[i]):
            lo[i] = seen_lo[n]
        if np.isnan(hi[i]):
            hi[i] = seen_hi[n]
    return lo, hi


def _protected(value: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether each hidden cell's interval (bounds rounded inward) is wide enough."""
    low = np.ceil(lo - 1e-6)
    high = np.floor(hi + 1e-6)
    small = (value >= 1) & (value < SMALLEST_SHOWN)
    covers = (low <= 0) & (high >= PROTECTED_WIDTH)
    return np.where(small, covers, True)


def audit(raw: dict[str, pd.DataFrame], shown: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every suppressed count of the tables published together, with the interval an
    attacker can narrow it to from everything published (see the module doc).

    Args:
        raw: The working (unrounded) ``scap``, ``commissioning`` and ``dsg_plan`` tables.
        shown: Their published copies (``c`` where suppressed).

    Returns:
        ``table, year, block, row, col, value, low, high, protected`` per suppressed cell
        (``value`` the rounded figure hidden; ``low``/``high`` rounded inward).
    """
    cells = collect(raw, shown).frame
    out = []
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        model = _year_model(part)
        lo, hi = _intervals(model)
        frame = model.cells.assign(low=np.ceil(lo - 1e-6), high=np.floor(hi + 1e-6))
        frame = frame[frame["hidden"]]
        frame["protected"] = _protected(
            frame["value"].to_numpy(dtype=float), lo[frame.index], hi[frame.index]
        )
        out.append(frame)
    columns = ["table", "year", "block", "row", "col", "value", "low", "high", "protected"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def _next_cell(cells: pd.DataFrame, weak: int, model: _YearModel) -> int | None:
    """A visible cell to hide so that hidden cell ``weak`` (a position in ``cells``) gains
    room: a visible cell of another table with the same unrounded value first (it pins
    ``weak`` exactly), then the smallest visible count of 5 or more in its row or column
    (inner before totals), then any visible cell of its block."""
    c = cells.iloc[weak]
    visible = ~cells["hidden"].to_numpy()
    raw = cells["raw"].to_numpy(dtype=float)
    twin = (
        visible
        & (cells["table"] != c["table"]).to_numpy()
        & (np.abs(raw - c["raw"]) <= 1e-9 * max(1.0, abs(c["raw"])))
        & (abs(c["raw"]) > 1e-9)
    )
    if twin.any():
        return int(np.flatnonzero(twin)[0])
    block = ((cells["table"] == c["table"]) & (cells["block"] == c["block"])).to_numpy()
    line = block & (
        (cells["row"] == c["row"]).to_numpy()
        | (cells["col"] == c["col"]).to_numpy()
        | ((c["row"] == TOTAL) & (cells["row"] != TOTAL)).to_numpy()
        | ((c["col"] == TOTAL) & (cells["col"] != TOTAL)).to_numpy()
    )
    value = cells["value"].to_numpy(dtype=float)
    inner = cells["inner"].to_numpy()
    for pool in (line & visible & inner, line & visible, block & visible):
        if not pool.any():
            continue
        idx = np.flatnonzero(pool)
        enough = value[idx] >= SMALLEST_SHOWN
        rank = np.lexsort((value[idx], ~enough))  # counts of 5+ first, smallest first
        return int(idx[rank[0]])
    # the block is hidden whole: hide what ties it to other blocks and tables
    rest = np.flatnonzero(visible & (cells["table"] != c["table"]).to_numpy())
    if len(rest):
        return int(rest[np.argmin(value[rest])])
    rest = np.flatnonzero(visible)
    return int(rest[np.argmin(value[rest])]) if len(rest) else None


def protect_together(
    raw: dict[str, pd.DataFrame], shown: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Hide more cells of the tables published together until :func:`audit` finds every
    suppressed cell protected.

    Args:
        raw: The working tables.
        shown: Their published copies under the rule of :mod:`.disclosure` (each table
            protected alone).

    Returns:
        The published copies, with every further cell hidden shown as ``c``.
    """
    cells = collect(raw, shown).frame
    added = 0
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        model = _year_model(part)
        hidden_at = int(model.cells.columns.get_loc("hidden"))  # type: ignore[arg-type]
        # hiding more cells only widens intervals: a cell once protected stays so
        done = np.zeros(len(model.cells), dtype=bool)
        for _ in range(MOST_ROUNDS):
            lo, hi = _intervals(model, exact=False, skip=done)
            hidden = model.cells["hidden"].to_numpy()
            value = model.cells["value"].to_numpy(dtype=float)
            ok = done | (hidden & _protected(value, lo, hi))
            done |= ok
            weak = np.flatnonzero(hidden & ~ok)
            if not len(weak):
                break
            # one more cell for each weak one, the smallest counts first (they need the
            # most room), then the audit again
            chosen = 0
            for first in weak[np.argsort(value[weak], kind="stable")]:
                cell = _next_cell(model.cells, int(first), model)
                if cell is not None:
                    model.cells.iat[cell, hidden_at] = True
                    chosen += 1
            added += chosen
            if not chosen:
                break
        else:
            log.warning("disclosure audit: year hides every count after %d rounds", MOST_ROUNDS)
            model.cells["hidden"] = True
        cells.loc[part.index, "hidden"] = model.cells["hidden"].to_numpy()
    if added:
        log.info("disclosure audit: %d more cells suppressed across the published tables", added)
    return _apply(shown, cells)


def _apply(shown: dict[str, pd.DataFrame], cells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The published tables with every hidden cell of ``cells`` shown as ``c``."""
    out = {name: frame.copy() for name, frame in shown.items()}
    start = 0
    for name in WIDE:
        if name not in out or not len(out[name]):
            continue
        frame = out[name]
        cols = [*WIDE[name][1], TOTAL]
        n = len(frame)
        for k, col in enumerate(cols):
            mask = cells["hidden"].to_numpy()[start + k * n : start + (k + 1) * n]
            frame.loc[mask, col] = SUPPRESSED
        start += n * len(cols)
    if "dsg_plan" in out and len(out["dsg_plan"]):
        frame = out["dsg_plan"]
        counts = np.flatnonzero((frame["unit"] == "children").to_numpy())
        mask = cells["hidden"].to_numpy()[start : start + len(counts)]
        frame.loc[frame.index[counts[mask]], "value"] = SUPPRESSED
    return out
