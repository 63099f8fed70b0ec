"""The Excel workbook of a run: one sheet per board-level table, formatted for reading.

Sheets: Summary (headline figures by year), Placements by tier (children), Cost by tier
(£), EHC plans by need, Sufficiency gap (by need, then the detail), Capacity, Most valuable
places, Top-up by band (when the council gives funding bands), Capital options (when the
scenario has any), About (what was run, on which files).
The full tables stay in the CSV files beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import labels, returns, tables

if TYPE_CHECKING:
    from ..results import Result

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_ROW = 3


def _shown(frame: pd.DataFrame, default: str) -> tuple[pd.DataFrame, list[str]]:
    """The frame as written (area and yes/no columns as words) and each column's kind."""
    kinds = [labels.kind(c, default) for c in frame.columns]
    shown = frame.copy()
    for column, how in zip(frame.columns, kinds, strict=True):
        if how in ("area", "flag"):
            shown[column] = frame[column].map(lambda v, h=how: labels.format_value(v, h))
    return shown, kinds


def _sheet(
    writer: pd.ExcelWriter,
    name: str,
    frame: pd.DataFrame,
    note: str,
    *,
    default: str = "text",
    total: bool = False,
    interval: float | None = None,
) -> None:
    """One sheet: a note in the first row, the table below it with plain-English headers
    (:func:`.labels.label`), number formats by kind, an optional totals row, and set up to
    print landscape, one page wide, with the header row repeated.

    Args:
        writer: The open workbook.
        name: Sheet name.
        frame: The table, with code-named columns.
        note: What the table shows, written above it.
        default: Kind of the columns the label table does not know (pivot values).
        total: Whether to add a totals row (:func:`.tables.with_total`).
        interval: Coverage of the forecast interval, named in interval headers.
    """
    if total:
        frame = tables.with_total(frame, default)
    shown, kinds = _shown(frame, default)
    shown.columns = [labels.label(c, interval=interval) for c in frame.columns]
    shown.to_excel(writer, sheet_name=name, index=False, startrow=_HEADER_ROW - 1)
    ws: Worksheet = writer.sheets[name]
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if cell.data_type == "f":  # text starting with "=": keep it text, never a formula
                cell.data_type = "s"
    ws["A1"] = note
    ws["A1"].font = Font(italic=True)
    last = _HEADER_ROW + len(frame)
    for j, (column, how) in enumerate(zip(shown.columns, kinds, strict=True), start=1):
        fmt = labels.EXCEL_FORMATS.get(how)
        horizontal = "right" if fmt is not None else "left"
        cell = ws.cell(row=_HEADER_ROW, column=j)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=horizontal)
        for row in range(_HEADER_ROW + 1, last + 1):
            body = ws.cell(row=row, column=j)
            if fmt is not None:
                body.number_format = fmt
            else:
                body.alignment = Alignment(horizontal="left")
        values = shown[column].map(lambda v, h=how: labels.format_value(v, h)).str.len()
        width = max(len(str(column)) * 0.8, float(values.max()) if len(values) else 0.0)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 10), 60)
    if total and len(frame):
        for j in range(1, len(shown.columns) + 1):
            ws.cell(row=last, column=j).font = Font(bold=True)
            ws.cell(row=last, column=j).fill = _TOTAL_FILL
    ws.freeze_panes = ws.cell(row=_HEADER_ROW + 1, column=2)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"


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
    interval = tables.interval_level(result)
    # (sheet, table or the name of its function in .tables, note, kind of unlabelled
    # columns, totals row); working count tables go through disclosure control when asked
    working: list[tuple[str, pd.DataFrame | str, str, str, bool]] = [
        (
            "Summary",
            "headline",
            f"Scenario {name}: headline figures by plan year. Children whole, the sufficiency "
            "gap and children moved to one decimal; £ a year. Totals: £ and child-years.",
            "children",
            True,
        ),
        (
            "Placements by tier",
            "by_tier",
            "Children with an EHC plan placed by tier of provision and plan year (whole children).",
            "children",
            False,
        ),
        (
            "SEN support by tier",
            "sen_support_by_tier",
            "Children on SEN support (no plan) placed by tier of their setting and plan year "
            "(whole children); those kept in mainstream for want of a place at their level "
            "are in the SEN support tier and in the Summary.",
            "children",
            False,
        ),
        (
            "Cost by tier",
            tables.by_tier(result, value="cost", provision=None),
            "Cost of placements (£ a year, each year's prices) by tier and plan year, children "
            "with an EHC plan and on SEN support: High Needs Block, transport and schools' "
            "notional SEN budgets (the Summary splits them by payer).",
            "money",
            True,
        ),
        (
            "EHC plans by need",
            "ehc_plans_by_need",
            "Projected children with an EHC plan by primary need (mean of the projection).",
            "children",
            False,
        ),
        (
            "Sufficiency gap",
            "gap_by_need",
            "Children the register's commissioned places cannot take (placed by the market "
            "of last resort), by primary need and plan year (one decimal); the totals row "
            "is child-years.",
            "children_1dp",
            True,
        ),
        (
            "Gap detail",
            "gap_detail",
            "Groups with at least half a child in the gap, largest first each year.",
            "text",
            True,
        ),
        (
            "Capacity",
            "capacity_by_tier",
            "Settings with limited places: places, places used and settings full, by tier.",
            "text",
            False,
        ),
        (
            "Most valuable places",
            tables.valuable_places(result),
            "£ a year one more place would save: the market price and transport avoided less "
            "the local cost (real money; policy weights are never included).",
            "text",
            False,
        ),
    ]
    if result.top_up_by_band is not None:  # only where the council pays top-up by band
        working.append(
            (
                "Top-up by band",
                "top_up_by_band",
                "Top-up (£ a year, each year's prices) by funding band and tier: children are "
                "the band-mix shares of children placed (one decimal); 'unbanded' is the flat "
                "top-up of settings no band scale covers. Fees are not top-up.",
                "text",
                True,
            )
        )
    sheets: list[tuple[str, pd.DataFrame, str, str, bool]] = []
    for sheet, table, what, default, total in working:
        if isinstance(table, str):
            frame, totals_allowed = tables.published(result, table, getattr(tables, table)(result))
            total = total and totals_allowed
        else:
            frame = table
        sheets.append((sheet, frame, what, default, total))
    rule = returns.note(result)
    for sheet, frame, what, default in (
        (
            "DSG plan children",
            returns.dsg(result, "children"),
            "DSG management plan: children with an EHC plan (January census) by category and "
            "age group, and by primary need; children not in a school or college are 'Other'.",
            "children",
        ),
        (
            "DSG plan cost",
            returns.dsg(result, "gbp"),
            "DSG management plan: High Needs Block cost by category, unmitigated beside "
            "mitigated, and the allocation and balance, by April–March financial year "
            "(5/12 of one census year and 7/12 of the next). Transport is not HNB.",
            "money",
        ),
        (
            "SCAP",
            returns.wide(result, "scap", "phase"),
            "SCAP SEND return: resident children with an EHC plan in specialist places by "
            "provision type and phase, by planning area of the place.",
            "children",
        ),
        (
            "Commissioning",
            returns.wide(result, "commissioning", "need_group"),
            "Specialist places needed by need group and phase, by planning area.",
            "children",
        ),
    ):
        if not frame.empty:
            sheets.append((sheet, frame, f"{what} {rule}", default, False))
    capital = tables.builds(result)
    if not capital.empty:
        sheets.append(
            (
                "Capital options",
                capital,
                "Capital options: built or not, costs and savings (£), children served.",
                "text",
                False,
            )
        )
    sheets.append(
        (
            "About",
            tables.about(result),
            "What was run, with which files and solver.",
            "text",
            False,
        )
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame, note, default, total in sheets:
            _sheet(writer, sheet, frame, note, default=default, total=total, interval=interval)
    return path


def write_comparison_workbook(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a comparison of scenarios (``comparison.xlsx``): totals, then year by year.

    Args:
        table: The comparison table (:func:`sufficiency.postprocess.comparison.comparison_table`).
        path: File to write.
    """
    path = Path(path)
    figures = [c for c in table.columns if c not in ("scenario", "year")]
    additive = [
        c
        for c in figures
        if labels.kind(c, "children") in labels.ADDITIVE or c in ("out_of_area", "displaced")
    ]
    totals = table.groupby("scenario", sort=False)[additive].sum().reset_index()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _sheet(
            writer,
            "Totals",
            totals,
            "Scenarios over the plan years (£; child-years); differences against the first.",
            default="children",
        )
        _sheet(
            writer,
            "By year",
            table,
            "Every figure by scenario and year; differences against the first scenario.",
            default="children",
        )
    return path
