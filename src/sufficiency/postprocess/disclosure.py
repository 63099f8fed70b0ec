"""Disclosure control of published outputs: counts of children rounded and small ones hidden.

The rule (:data:`RULE`): every count of children is rounded to a whole child; totals are
the sums of the rounded counts, so a published table adds up. Counts from 1 to 4 are
suppressed (primary suppression) and shown as ``c``. Zeros are shown. Money is not
suppressed.

The returns tables published together (``published/*.csv``, the workbook's returns sheets)
get their secondary suppression jointly, against an attacker who uses all of them
(:mod:`.publication`). The report's own small tables of counts (placements by tier, plans
by need, the gap by need) each get it alone here (:func:`protect_grid`): further counts
suppressed, smallest first, until no suppressed count can be worked out exactly from the
table's row and column totals (every row and column, totals included, holds none or at
least two suppressed cells, and none is a "bridge" fixed by the totals).
:func:`protect_summary` rounds and suppresses the counts of ``summary.json`` for a folder
meant for publication.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Shown in place of a suppressed count (the DfE's symbol for confidential).
SUPPRESSED = "c"
#: Counts from 1 up to this are suppressed.
SMALLEST_SHOWN = 5

RULE = (
    "Disclosure control: counts of children are rounded to whole children and totals are "
    "the sums of the rounded counts; counts from 1 to 4 are suppressed and shown as 'c', "
    "and further counts are suppressed so that none of them can be narrowed to less than "
    "0 to 4: in the DSG plan, SCAP and commissioning tables from everything those tables "
    "publish together (totals, planning areas and each other), in the report's other "
    "tables from their own row and column totals. The working CSV files hold the figures "
    "in full precision."
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
    ``c`` (no totals to recover them from, so no secondary suppression is needed); a blank
    (no figure, such as an option not built) stays blank."""
    out = frame.copy()
    for c in columns:
        values = np.rint(out[c].to_numpy(dtype=float))
        blank = np.isnan(values)
        small = (values >= 1) & (values < SMALLEST_SHOWN)
        whole = np.where(blank, 0.0, values).astype(int).astype(object)
        out[c] = np.where(blank, np.nan, np.where(small, SUPPRESSED, whole))
    return out


#: Parts of ``summary.json`` that hold no counts of children: money by financial year,
#: times, the model's size, the scenario's levers, settings listed by value, assumptions.
SUMMARY_NOT_COUNTS = frozenset(
    {
        "provenance",
        "timings",
        "model_size",
        "levers",
        "assumptions",
        "not_modelled",
        "by_financial_year",
        "most_valuable_places",
        "capital",
        "forecast_warnings",
    }
)

#: Words that mark a figure of ``summary.json`` as money or a rate, not a count.
SUMMARY_NOT_COUNT_WORDS = (
    "cost",
    "gbp",
    "budget",
    "price",
    "value",
    "saving",
    "difference",
    "share",
    "rate",
    "inflation",
    "objective",
)


def _is_count(key: str) -> bool:
    """Whether a figure of ``summary.json`` named ``key`` counts children: anything but
    years, money and rates (a new figure is treated as a count until named otherwise)."""
    k = key.lower()
    if k in ("year", "base_year", "plan_years") or k.endswith(("_year", "_years")):
        return False
    return not any(word in k for word in SUMMARY_NOT_COUNT_WORDS)


def protect_count(value: float) -> int | float | str:
    """A count as published: a whole child, ``c`` for 1 to 4 (non-finite left alone)."""
    if not np.isfinite(value):
        return value
    whole = round(value)
    return SUPPRESSED if 1 <= whole < SMALLEST_SHOWN else whole


def protect_summary(summary: Any, key: str = "") -> Any:
    """``summary.json`` as a folder meant for publication holds it: every count of
    children rounded to a whole child and counts from 1 to 4 shown as ``c`` (money,
    years, times and the parts in :data:`SUMMARY_NOT_COUNTS` as they are).

    Args:
        summary: The summary (or a part of it, under ``key``).
        key: The name the part is found under.

    Returns:
        A copy with the counts protected.
    """
    if isinstance(summary, dict):
        return {
            k: v if k in SUMMARY_NOT_COUNTS else protect_summary(v, str(k))
            for k, v in summary.items()
        }
    if isinstance(summary, list):
        return [protect_summary(v, key) for v in summary]
    if isinstance(summary, bool) or not isinstance(summary, int | float):
        return summary
    return protect_count(float(summary)) if _is_count(key) else summary
