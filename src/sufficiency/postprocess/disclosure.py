"""Disclosure control of published tables: counts of children rounded and small ones hidden.

The rule (:data:`RULE`): every count of children is rounded to a whole child; totals are the
sums of the rounded counts, so a published table adds up. Counts from 1 to 4 are suppressed
(primary suppression) and shown as ``c``; further counts are suppressed (secondary
suppression, smallest first) until no suppressed count can be worked out exactly from the
row and column totals: every row and column (totals included) holds none or at least two
suppressed cells, and no suppressed cell is fixed by the table's linear totals (a cell that
is a "bridge" of the pattern). Zeros are shown. Money is not suppressed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .returns import NEED_PHASES, SCAP_COLUMNS

#: Shown in place of a suppressed count (the DfE's symbol for confidential).
SUPPRESSED = "c"
#: Counts from 1 up to this are suppressed.
SMALLEST_SHOWN = 5

RULE = (
    "Disclosure control: counts of children are rounded to whole children and totals are "
    "the sums of the rounded counts; counts from 1 to 4 are suppressed and shown as 'c', "
    "and further counts are suppressed so that none can be worked out from the row and "
    "column totals. The working CSV files hold the figures in full precision."
)


def _equations(rows: int, cols: int) -> np.ndarray:
    """The totals' linear equations over a (rows+1) × (cols+1) grid with margins last."""
    n = (rows + 1) * (cols + 1)
    eqs = []
    for i in range(rows + 1):  # each row: its cells less its total
        e = np.zeros(n)
        e[i * (cols + 1) : i * (cols + 1) + cols] = 1.0
        e[i * (cols + 1) + cols] = -1.0
        eqs.append(e)
    for j in range(cols + 1):  # each column: its cells less its total
        e = np.zeros(n)
        e[[i * (cols + 1) + j for i in range(rows)]] = 1.0
        e[rows * (cols + 1) + j] = -1.0
        eqs.append(e)
    return np.array(eqs)


def recoverable(hidden: np.ndarray) -> np.ndarray:
    """Which suppressed cells of a grid (margins last) the visible totals determine exactly.

    A hidden cell is determined when its unit vector lies in the row space of the totals'
    equations restricted to the hidden cells.
    """
    rows, cols = hidden.shape[0] - 1, hidden.shape[1] - 1
    flat = hidden.reshape(-1)
    idx = np.flatnonzero(flat)
    out = np.zeros_like(flat)
    if len(idx) == 0:
        return out.reshape(hidden.shape)
    a = _equations(rows, cols)[:, idx]
    rank = np.linalg.matrix_rank(a)
    for k, cell in enumerate(idx):
        unit = np.zeros((1, len(idx)))
        unit[0, k] = 1.0
        out[cell] = np.linalg.matrix_rank(np.vstack([a, unit])) == rank
    return out.reshape(hidden.shape)


def protect_grid(interior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round and suppress one table.

    Args:
        interior: Counts, shape (rows, cols), without totals.

    Returns:
        The published grid with totals (row totals last column, column totals last row),
        whole numbers, and the mask of suppressed cells, both of shape (rows+1, cols+1).
    """
    counts = np.rint(np.asarray(interior, dtype=float))
    counts[counts == 0] = 0.0  # no negative zeros
    grid = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1))
    grid[:-1, :-1] = counts
    grid[:-1, -1] = counts.sum(axis=1)
    grid[-1, :-1] = counts.sum(axis=0)
    grid[-1, -1] = counts.sum()
    hidden = (grid >= 1) & (grid < SMALLEST_SHOWN)
    # secondary cells: inner before totals, then small before large (zeros included: a
    # hidden zero tells little); below, cells whose crossing line already holds exactly one
    # hidden cell come first, as hiding them mends two lines at once
    rank_of = grid.copy()
    rank_of[-1, :] += 1e9
    rank_of[:, -1] += 1e9
    while True:
        lines = [hidden[i, :] for i in range(hidden.shape[0])] + [
            hidden[:, j] for j in range(hidden.shape[1])
        ]
        single = [k for k, line in enumerate(lines) if line.sum() == 1]
        exposed = recoverable(hidden) if not single else np.zeros_like(hidden)
        if not single and not exposed.any():
            return grid, hidden
        if single:
            k = single[0]
            cells = (
                [(k, j) for j in range(hidden.shape[1])]
                if k < hidden.shape[0]
                else [(i, k - hidden.shape[0]) for i in range(hidden.shape[0])]
            )
        else:  # a bridge: hide one more cell in its row (or column, if the row is hidden)
            i, j = (int(v) for v in np.argwhere(exposed)[0])
            cells = [(i, c) for c in range(hidden.shape[1])]
            if all(hidden[c] for c in cells):
                cells = [(r, j) for r in range(hidden.shape[0])]
        free = [c for c in cells if not hidden[c]]
        if not free:  # a whole line hidden but one cell: cannot happen; stop safely
            raise AssertionError("secondary suppression found no cell to hide")
        along_row = k < hidden.shape[0] if single else True
        crossing = [
            int(hidden[:, c[1]].sum()) if along_row else int(hidden[c[0], :].sum()) for c in free
        ]
        best = min(
            range(len(free)),
            key=lambda n: ({1: 0, 0: 2}.get(crossing[n], 1), rank_of[free[n]]),
        )
        hidden[free[best]] = True


def protect_frame(
    frame: pd.DataFrame, row_key: str, count_columns: list[str], blocks: list[str]
) -> pd.DataFrame:
    """Apply :func:`protect_grid` to each block of a wide table with a ``total`` row and a
    ``total`` column (as :func:`sufficiency.postprocess.returns.scap` writes).

    Args:
        frame: The table: ``blocks`` keys, ``row_key`` (its last row per block ``total``),
            ``count_columns`` and ``total``.
        row_key: The column naming each row.
        count_columns: The inner count columns, in order.
        blocks: Columns identifying one table (e.g. ``year, planning_area``).

    Returns:
        The table with counts as whole numbers (object columns) and ``c`` where suppressed.
    """
    out = frame.copy()
    columns = [*count_columns, "total"]
    out[columns] = out[columns].astype(object)
    for _, index in frame.groupby(blocks, sort=False).groups.items():
        part = frame.loc[index]
        inner = part[part[row_key] != "total"]
        order = [*inner.index, *part.index[part[row_key] == "total"]]
        grid, hidden = protect_grid(inner[count_columns].to_numpy(dtype=float))
        shown = np.where(hidden, SUPPRESSED, grid.astype(int).astype(object))
        out.loc[order, columns] = shown
    return out


def protect_long(frame: pd.DataFrame, blocks: list[str]) -> pd.DataFrame:
    """Apply :func:`protect_grid` to the ``children`` grids of a long table (``line`` ×
    ``column`` with ``total`` last in both, ``value``), as ``dsg_plan.csv`` holds; money
    rows are left as they are."""
    out = frame.copy()
    out["value"] = out["value"].astype(object)
    counts = frame[frame["unit"] == "children"]
    for _, index in counts.groupby(blocks, sort=False).groups.items():
        part = counts.loc[index]
        lines = list(dict.fromkeys(part["line"]))
        cols = list(dict.fromkeys(part["column"]))
        inner_lines = [x for x in lines if x != "total"]
        inner_cols = [x for x in cols if x != "total"]
        table = part.pivot(index="line", columns="column", values="value")
        grid, hidden = protect_grid(table.loc[inner_lines, inner_cols].to_numpy(dtype=float))
        shown = pd.DataFrame(
            np.where(hidden, SUPPRESSED, grid.astype(int).astype(object)),
            index=[*inner_lines, "total"],
            columns=[*inner_cols, "total"],
        )
        out.loc[index, "value"] = [
            shown.loc[ln, c] for ln, c in zip(part["line"], part["column"], strict=True)
        ]
    return out


def publish(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The published copies of a run's returns tables (``dsg_plan``, ``scap``,
    ``commissioning``), each under the rule (:data:`RULE`)."""
    out: dict[str, pd.DataFrame] = {}
    if "dsg_plan" in tables and len(tables["dsg_plan"]):
        out["dsg_plan"] = protect_long(tables["dsg_plan"], ["section", "period"])
    blocks = ["year", "planning_area"]
    if "scap" in tables and len(tables["scap"]):
        out["scap"] = protect_frame(tables["scap"], "phase", list(SCAP_COLUMNS), blocks)
    if "commissioning" in tables and len(tables["commissioning"]):
        out["commissioning"] = protect_frame(
            tables["commissioning"], "need_group", list(NEED_PHASES), blocks
        )
    return out


def protect_wide(frame: pd.DataFrame, key: str, columns: list[str]) -> pd.DataFrame:
    """A wide table of counts (``key`` rows × ``columns``, any ``total`` column dropped)
    under the rule: whole children, 1–4 and what would reveal them shown as ``c``, with a
    ``total`` column and a ``total`` row that are the sums of the rounded counts."""
    grid, hidden = protect_grid(frame[columns].to_numpy(dtype=float))
    shown = np.where(hidden, SUPPRESSED, grid.astype(int).astype(object))
    out = pd.DataFrame(shown, columns=[*columns, "total"])
    out.insert(0, key, [*frame[key].tolist(), "total"])
    return out


def protect_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of a table with no totals rounded to whole children and 1–4 shown as
    ``c`` (no totals to recover them from, so no secondary suppression is needed)."""
    out = frame.copy()
    for c in columns:
        values = np.rint(out[c].to_numpy(dtype=float))
        small = (values >= 1) & (values < SMALLEST_SHOWN)
        out[c] = np.where(small, SUPPRESSED, values.astype(int).astype(object))
    return out
