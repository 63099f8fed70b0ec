"""The count cells of the tables published together, one row each, and the tables made from them.

``published/scap.csv``, ``commissioning.csv`` and ``dsg_plan.csv`` (their ``children``
rows) are released together; the audit (:mod:`.audit`) and the suppression
(:mod:`.secondary`) see them as one long list of cells, each with its table, year, block
(planning area or DSG section), row, column, unrounded figure and published value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .disclosure import SUPPRESSED

TOTAL = "total"

#: Wide tables: row key and count columns (as :mod:`.returns` makes them).
WIDE = {
    "scap": ("phase", ("UR", "IN", "SS", "AP")),
    "commissioning": ("need_group", ("early_years", "primary", "secondary", "post16")),
}

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


def write_back(tables: dict[str, pd.DataFrame], cells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Copies of ``tables`` with each cell of ``cells`` written back in place: its
    ``value`` as a whole number, or ``c`` where it is ``hidden``. Other columns and rows
    (money) are left as they are."""
    out = {name: frame.copy() for name, frame in tables.items()}
    hidden = cells["hidden"].to_numpy(dtype=bool)
    shown = np.where(
        hidden, SUPPRESSED, cells["value"].to_numpy(dtype=float).astype(int).astype(object)
    )
    for (name, field), part in cells.groupby(["table", "field"], sort=False):
        frame = out[str(name)]
        frame[field] = frame[field].astype(object)
        frame.loc[part["source"].to_numpy(), str(field)] = shown[part.index.to_numpy()]
    return out


# --- the relations an attacker knows, one family each, as rows over the unrounded figures -
