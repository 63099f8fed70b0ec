"""The Excel workbook of a run: one sheet per board-level table, formatted for reading.

Sheets: Summary (headline figures by year), Placements by tier (children), Cost by tier
(£), EHC plans by need, Sufficiency gap (by need, then the detail), Capacity, Most valuable
places, Capital options (when the scenario has any), About (what was run, on which files).
The full tables stay in the CSV files beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import tables

if TYPE_CHECKING:
    from ..results import Result

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WHOLE = "#,##0"
_ONE_DP = "#,##0.0"
_POUNDS = "£#,##0"


def _number_format(column: str) -> str | None:
    """Excel number format for a column, from its label."""
    label = column.lower()
    if "£" in label or "cost" in label or "saving" in label or "value" in label:
        return _POUNDS
    if label in ("year", "year of highest value", "first year valuable", "open_year"):
        return "0"
    if "payback" in label:
        return "0.0"
    return _ONE_DP if label in ("sufficiency gap", "no place at all", "moved mid-phase") else _WHOLE


def _sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, note: str) -> None:
    """One sheet: a note in the first row, the table below it, formatted."""
    frame.to_excel(writer, sheet_name=name, index=False, startrow=2)
    ws: Worksheet = writer.sheets[name]
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if cell.data_type == "f":  # text starting with "=": keep it text, never a formula
                cell.data_type = "s"
    ws["A1"] = note
    ws["A1"].font = Font(italic=True)
    for j, column in enumerate(frame.columns, start=1):
        cell = ws.cell(row=3, column=j)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        fmt = _number_format(str(column)) if numeric else None
        if fmt is not None:
            for row in range(4, 4 + len(frame)):
                ws.cell(row=row, column=j).number_format = fmt
        values = frame[column].astype(str).str.len()
        width = max(len(str(column)) * 0.8, float(values.max()) if len(values) else 0.0)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 10), 80)
    ws.freeze_panes = "B4"


def write_workbook(result: Result, path: str | Path) -> Path:
    """Write the run's workbook (``.xlsx``).

    Args:
        result: The run.
        path: File to write.

    Returns:
        The path written.
    """
    path = Path(path)
    name = result.summary.get("scenario", "")
    sheets: list[tuple[str, pd.DataFrame, str]] = [
        (
            "Summary",
            tables.headline(result),
            f"Scenario {name}: headline figures by plan year (children; £ a year).",
        ),
        (
            "Placements by tier",
            tables.by_tier(result),
            "Children placed by tier of provision and plan year.",
        ),
        (
            "Cost by tier",
            tables.by_tier(result, value="cost"),
            "Cost of placements (£ a year, each year's prices) by tier and plan year.",
        ),
        (
            "EHC plans by need",
            tables.ehc_plans_by_need(result),
            "Projected children with an EHC plan by primary need (mean of the projection).",
        ),
        (
            "Sufficiency gap",
            tables.gap_by_need(result),
            "Children the register's commissioned places cannot take (placed by the market "
            "of last resort), by primary need and plan year.",
        ),
        (
            "Gap detail",
            tables.gap_detail(result),
            "Groups with at least half a child in the gap, largest first each year.",
        ),
        (
            "Capacity",
            tables.capacity_by_tier(result),
            "Settings with limited places: places, places used and settings full, by tier.",
        ),
        (
            "Most valuable places",
            tables.valuable_places(result),
            "£ a year one more place would save: the market price and transport avoided less "
            "the local cost (real money; policy weights are never included).",
        ),
    ]
    capital = tables.builds(result)
    if not capital.empty:
        sheets.append(
            ("Capital options", capital, "Capital options: built or not, costs and savings.")
        )
    sheets.append(("About", tables.about(result), "What was run, with which files and solver."))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame, note in sheets:
            _sheet(writer, sheet, frame, note)
    return path


def write_comparison_workbook(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a comparison of scenarios (``comparison.xlsx``): totals, then year by year.

    Args:
        table: The comparison table (:func:`sufficiency.postprocess.comparison.comparison_table`).
        path: File to write.
    """
    path = Path(path)
    figures = ["cost", "cost_diff", "shortfall", "shortfall_diff", "out_of_area"]
    totals = table.groupby("scenario", sort=False)[figures].sum().reset_index()
    totals = totals.rename(
        columns={
            "scenario": "Scenario",
            "cost": "Cost over the plan years (£)",
            "cost_diff": "Cost against the first (£)",
            "shortfall": "Sufficiency gap (child-years)",
            "shortfall_diff": "Sufficiency gap against the first (child-years)",
            "out_of_area": "Placed out of area (child-years)",
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _sheet(
            writer,
            "Totals",
            totals,
            "Scenarios over the plan years; differences against the first.",
        )
        _sheet(
            writer, "By year", table, "Every figure by scenario and year; *_diff against the first."
        )
    return path
