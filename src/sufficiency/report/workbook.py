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

from ..cells import text_starts_formula
from . import labels, returns, tables
from .html import title as html_title

if TYPE_CHECKING:
    from ..results import Result

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_ROW = 3
_LEFT = Alignment(horizontal="left")


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
    headers: dict[str, str] | None = None,
    startrow: int = _HEADER_ROW,
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
        headers: Headers to use instead of the label table's, by column.
        startrow: Row of the table's header (a second table goes below the first).
    """
    if total:
        frame = tables.with_total(frame, default)
    shown, kinds = _shown(frame, default)
    headers = headers or {}
    shown.columns = [
        headers.get(str(c)) or labels.label(c, interval=interval) for c in frame.columns
    ]
    shown.to_excel(writer, sheet_name=name, index=False, startrow=startrow - 1)
    ws: Worksheet = writer.sheets[name]
    texts = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c].dtype)]
    if any(str(c).startswith("=") for c in shown.columns) or any(
        text_starts_formula(shown[c]) for c in texts
    ):
        for row in ws.iter_rows(min_row=startrow):
            for cell in row:
                if cell.data_type == "f":  # text starting with "=": keep it text, not a formula
                    cell.data_type = "s"
    ws.cell(row=startrow - 2, column=1, value=note).font = Font(italic=True)
    last = startrow + len(frame)
    for j, (column, how) in enumerate(zip(shown.columns, kinds, strict=True), start=1):
        fmt = labels.EXCEL_FORMATS.get(how)
        horizontal = "right" if fmt is not None else "left"
        cell = ws.cell(row=startrow, column=j)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=horizontal)
        for row in range(startrow + 1, last + 1):
            body = ws.cell(row=row, column=j)
            if fmt is not None:
                body.number_format = fmt
            else:
                body.alignment = _LEFT
        values = shown[column].map(lambda v, h=how: labels.format_value(v, h)).str.len()
        width = max(len(str(column)) * 0.8, float(values.max()) if len(values) else 0.0)
        letter = get_column_letter(j)
        width = min(max(width + 2, 10), 60)
        if startrow != _HEADER_ROW:  # a table below another: never narrow the columns
            width = max(width, ws.column_dimensions[letter].width or 0)
        ws.column_dimensions[letter].width = width
    if total and len(frame):
        for j in range(1, len(shown.columns) + 1):
            ws.cell(row=last, column=j).font = Font(bold=True)
            ws.cell(row=last, column=j).fill = _TOTAL_FILL
    if startrow != _HEADER_ROW:
        return  # the first table set the sheet up
    ws.freeze_panes = ws.cell(row=_HEADER_ROW + 1, column=2)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"


#: A sheet to write: name, table (or the name of its function in .tables), note, kind of
#: unlabelled columns, totals row, headers.
_Working = tuple[str, pd.DataFrame | str, str, str, bool, dict[str, str] | None]


def write_workbook(result: Result, path: str | Path) -> Path:
    """Write the run's workbook (``.xlsx``).

    Args:
        result: The run.
        path: File to write.

    Returns:
        The path written.
    """
    path = Path(path)
    s = result.summary
    title = html_title(s)
    interval = tables.interval_level(result)
    disclosure = "disclosure" in s
    # (sheet, table or the name of its function in .tables, note, kind of unlabelled
    # columns, totals row, headers); working count tables go through disclosure control
    working: list[_Working] = [
        (
            "Summary",
            "headline",
            f"{title}: headline figures by plan year (scenario {s.get('scenario', '')}). "
            "Children whole, the sufficiency gap and children moved to one decimal; £ a year. "
            "Totals: £ and child-years.",
            "children",
            True,
            None,
        ),
        (
            "Placements by tier",
            "by_tier",
            "Children with an EHC plan placed by tier of provision and plan year (whole children).",
            "children",
            False,
            labels.PLAN_TIER_LABELS,
        ),
        (
            "SEN support by tier",
            "sen_support_by_tier",
            "Children on SEN support (no plan) placed by tier of their setting and plan year "
            "(whole children); those kept in mainstream for want of a place at their level "
            "are in the SEN support tier and in the Summary.",
            "children",
            False,
            labels.SUPPORT_TIER_LABELS,
        ),
        (
            "Cost by tier",
            tables.by_tier(result, value="cost", provision=None),
            "Cost of placements (£ a year, each year's prices) by tier and plan year, children "
            "with an EHC plan and on SEN support: High Needs Block, transport and schools' "
            "notional SEN budgets (the Summary splits them by payer).",
            "money",
            True,
            None,
        ),
        (
            "EHC plans by need",
            "ehc_plans_by_need",
            "Projected children with an EHC plan by primary need (mean of the projection).",
            "children",
            False,
            None,
        ),
        (
            "Sufficiency gap",
            "gap_by_need",
            "Children the register's commissioned places cannot take (placed by the market "
            "of last resort), by primary need and plan year (one decimal); the totals row "
            "is child-years.",
            "children_1dp",
            True,
            None,
        ),
        (
            "Gap detail",
            "gap_detail",
            "Groups with at least half a child in the gap, largest first each year.",
            "text",
            True,
            None,
        ),
        (
            "Capacity",
            "capacity_by_tier",
            "Settings with a limited number of places: places, places used and settings full, "
            "by tier (unlimited mainstream and out-of-area lines with no places left out).",
            "text",
            False,
            None,
        ),
        (
            "Most valuable places",
            tables.valuable_places(result),
            "£ a year one more place would save: the market price and transport avoided less "
            "the local cost (real money; policy weights are never included).",
            "text",
            False,
            None,
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
                None,
            )
        )
    sheets: list[tuple[str, pd.DataFrame, str, str, bool, dict[str, str] | None]] = []
    for sheet, table, what, default, total, headers in working:
        if isinstance(table, str):
            frame, totals_allowed = tables.published(result, table, getattr(tables, table)(result))
            total = total and totals_allowed
        else:
            frame = table
        kind = table if isinstance(table, str) else ""
        empty = tables.empty_tiers(frame) if kind in ("by_tier", "sen_support_by_tier") else []
        if kind == "by_tier" and "mainstream" in empty:  # empty by construction: said once
            frame = frame.drop(columns="mainstream")
            what = f"{what} {labels.EMPTY_MAINSTREAM_NOTE}"
        elif kind == "sen_support_by_tier" and tables.is_not_modelled(frame["total"]):
            what = f"Children on SEN support (no plan): {labels.NOT_MODELLED} (see About)."
        elif kind == "sen_support_by_tier":
            frame = frame.drop(columns=[t for t in empty if t != "sen_support"])
            what = f"{what} Tiers with no child on SEN support are left out."
        sheets.append((sheet, frame, what, default, total, headers))
    rule = returns.note(result)
    template: list[tuple[str, pd.DataFrame, str, str]] = []
    if not disclosure:  # the template's whole numbers are working figures
        template.append(
            (
                returns.CYP_TAB,
                returns.cyp_summary(result),
                "DSG management plan template, Children and young people summary: children "
                "and young people with EHC plans (January census) by placement category and "
                f"age group, whole numbers; {s['base_year']} recorded (the council's caseload "
                "and register), later years projected (this scenario, mitigated). Children "
                "not in a school or college are 'Other'. Totals are sums of the whole numbers.",
                "children",
            )
        )
    template += [
        (
            returns.FINANCIAL_TAB,
            returns.financial_summary(result),
            "DSG management plan template, Financial summary (High Needs Block): expenditure "
            "by provider type as the s251 high-needs lines (place funding, top-up, fees), "
            "unmitigated beside mitigated, by April–March financial year (5/12 of one census "
            "year and 7/12 of the next); lines marked 'not modelled' are left blank for the "
            "council's own figures and are not in the total. Income is the High Needs Block "
            "allocation (returns.hnb_allocation_gbp_by_financial_year); in-year surplus = "
            "income less the modelled expenditure; the cumulative balance carries it forward "
            "from returns.opening_balance_gbp. Transport is the general fund, not HNB.",
            "money",
        ),
    ]
    for sheet, frame, what, default in [
        *template,
        (
            "DSG plan children",
            returns.dsg(result, "children"),
            "DSG management plan detail: children with an EHC plan (January census) by "
            "category and age group, and by primary need; children not in a school or "
            "college are 'Other'.",
            "children",
        ),
        (
            "DSG plan cost",
            returns.dsg(result, "gbp"),
            "DSG management plan detail: High Needs Block cost by category and by "
            "expenditure line, unmitigated beside mitigated, and the allocation and balance, "
            "by April–March financial year. Transport is not HNB.",
            "money",
        ),
        (
            "SCAP",
            _scap_places_sheet(result, disclosure),
            returns.SCAP_NOTE,
            "whole",
        ),
        (
            "SCAP children",
            returns.wide(result, "scap", "phase"),
            "Resident children with an EHC plan in specialist places by provision type and "
            "phase of the child, by planning area of the place (the demand beside the SCAP "
            "places).",
            "children",
        ),
        (
            "Commissioning",
            returns.wide(result, "commissioning", "need_group"),
            "Specialist places needed by need group and phase, by planning area.",
            "children",
        ),
    ]:
        if not frame.empty:
            sheets.append((sheet, frame, f"{what} {rule}", default, False, None))
    capital = tables.builds_summary(result)
    if not capital.empty:
        sheets.append(
            (
                "Capital options",
                capital,
                "Capital options: built or not, costs and savings (£ over the plan years), the "
                "gap avoided (child-years the market of last resort would place without the "
                "option, or with no place where the market is off), payback; children served "
                "each year are in builds.csv.",
                "text",
                False,
                None,
            )
        )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame, note, default, total, headers in sheets:
            _sheet(
                writer,
                sheet,
                frame,
                note,
                default=default,
                total=total,
                interval=interval,
                headers=headers,
            )
        about = tables.assumptions(result)
        if about.empty:
            about = pd.DataFrame(
                [{"what": "none listed", "value": "", "why": "", "how_to_replace": ""}]
            )
        _sheet(
            writer,
            "About",
            about,
            f"{title}: assumptions, values the model used that the council's data did not "
            "give, and how to replace each.",
            headers={
                "what": "What",
                "value": "Value used",
                "why": "Why",
                "how_to_replace": "How to replace it",
            },
        )
        below = _HEADER_ROW + len(about) + 4
        missing = tables.not_modelled(result)
        if not missing.empty:
            _sheet(
                writer,
                "About",
                missing,
                f"Not modelled: quantities no input covers (every sheet reads them as "
                f"'{labels.NOT_MODELLED}', never 0).",
                headers={"what": "What", "why": "Why", "how_to_model": "How to model it"},
                startrow=below,
            )
            below += len(missing) + 4
        _sheet(
            writer,
            "About",
            tables.about(result),
            "Appendix: how this run was made (scenario, solver, model size, timings, input "
            "files and their hashes).",
            startrow=below,
        )
    return path


def _scap_places_sheet(result: Result, disclosure: bool) -> pd.DataFrame:
    """The SCAP places table for the workbook; under disclosure control the gap line (a
    count of children) is left out."""
    frame = returns.scap_places(result)
    if disclosure and not frame.empty:
        frame = frame[frame["line"] != returns.SCAP_LINE_LABELS["gap"]]
    return frame.reset_index(drop=True)


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
    # a figure not modelled is NaN in the table: "not modelled" here, its total too (never 0)
    totals = table.groupby("scenario", sort=False)[additive].sum(min_count=1).reset_index()

    def shown(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.astype(object)
        for column in figures:
            if column in out.columns:
                out[column] = out[column].where(frame[column].notna(), labels.NOT_MODELLED)
        return out

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _sheet(
            writer,
            "Totals",
            shown(totals),
            "Scenarios over the plan years (£; child-years); differences against the first.",
            default="children",
        )
        _sheet(
            writer,
            "By year",
            shown(table),
            "Every figure by scenario and year; differences against the first scenario.",
            default="children",
        )
    return path
