"""The Excel workbook of a run: one sheet per board-level table, formatted for reading.

Sheets: Summary (headline figures by year), Placements by tier (children), Cost by tier
(£), EHC plans by need, Sufficiency gap (by need, then the detail), Capacity, Most valuable
places, Top-up by band (when the council gives funding bands), Capital options (when the
scenario has any), About (what was run, on which files).
The full tables stay in the CSV files beside it. Written with XlsxWriter (:class:`_Book`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter

from . import labels, returns, tables
from .html import title as html_title

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from ..results import Result

_HEADER_FILL = "#DDEBF7"
_TOTAL_FILL = "#F2F2F2"
_HEADER_ROW = 3
_A4 = 9  # Excel's paper size code for A4


class _Book:
    """A workbook being written: its sheets by name, each column's width so far, and one
    cell format per look (formats are made once and shared, as Excel stores them).

    Written with XlsxWriter, which writes a formatted cell several times faster than
    openpyxl; openpyxl still reads the workbooks (tests, a council's input sheets)."""

    def __init__(self, path: Path) -> None:
        # text is written as text, never read as a number, a formula or a link
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "in_memory": True,  # no temporary files: nothing left behind if stopped
            },
        )
        self.sheets: dict[str, Worksheet] = {}
        self.widths: dict[tuple[str, int], float] = {}
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}

    def sheet(self, name: str) -> tuple[Worksheet, bool]:
        """The sheet called ``name``, and whether it is new."""
        if name in self.sheets:
            return self.sheets[name], False
        self.sheets[name] = self.book.add_worksheet(name)
        return self.sheets[name], True

    def look(self, **properties: Any) -> Format:
        """The one cell format with these XlsxWriter properties."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def cell(self, number_format: str | None, **properties: Any) -> Format:
        """A table cell's format: numbers in ``number_format``, text (no format) left."""
        if number_format is None:
            return self.look(align="left", **properties)
        return self.look(num_format=number_format, **properties)

    def close(self) -> None:
        self.book.close()


def _put(ws: Worksheet, row: int, col: int, value: Any, look: Format) -> None:
    """One cell: numbers as numbers, text always as text (a name starting with "=" stays a
    name, never a formula), a missing value as a formatted blank, infinity as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        ws.write_blank(row, col, None, look)
    elif isinstance(value, bool | np.bool_):
        ws.write_boolean(row, col, bool(value), look)
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            ws.write_blank(row, col, None, look)
        elif math.isinf(number):
            ws.write_string(row, col, "inf" if number > 0 else "-inf", look)
        else:
            ws.write_number(row, col, value, look)
    else:
        ws.write_string(row, col, str(value), look)


def _shown(frame: pd.DataFrame, default: str) -> tuple[pd.DataFrame, list[str]]:
    """The frame as written (area and yes/no columns as words) and each column's kind."""
    kinds = [labels.kind(c, default) for c in frame.columns]
    shown = frame.copy()
    for column, how in zip(frame.columns, kinds, strict=True):
        if how in ("area", "flag"):
            shown[column] = frame[column].map(lambda v, h=how: labels.format_value(v, h))
    return shown, kinds


def _sheet(
    book: _Book,
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
        book: The open workbook.
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
    ws, new = book.sheet(name)
    top = startrow - 1  # XlsxWriter counts rows and columns from 0
    ws.write_string(top - 2, 0, note, book.look(italic=True))
    formats = [labels.EXCEL_FORMATS.get(how) for how in kinds]
    body = [book.cell(fmt) for fmt in formats]
    last_body = body
    if total and len(frame):  # the totals row: bold on grey, each column's format kept
        last_body = [book.cell(fmt, bold=True, bg_color=_TOTAL_FILL, pattern=1) for fmt in formats]
    for j, (column, fmt) in enumerate(zip(shown.columns, formats, strict=True)):
        head = book.look(
            bold=True,
            bg_color=_HEADER_FILL,
            pattern=1,
            border=1,
            text_wrap=True,
            valign="top",
            align="right" if fmt is not None else "left",
        )
        ws.write_string(top, j, str(column), head)
    rows = list(shown.itertuples(index=False, name=None))
    for i, cells in enumerate(rows, start=1):
        looks = last_body if i == len(rows) else body
        for j, value in enumerate(cells):
            _put(ws, top + i, j, value, looks[j])
    for j, (column, how) in enumerate(zip(shown.columns, kinds, strict=True)):
        # by cell: an empty table's column keeps its dtype under map (no .str on integers)
        longest = max((len(labels.format_value(v, how)) for v in shown[column]), default=0)
        width = max(len(str(column)) * 0.8, float(longest))
        width = min(max(width + 2, 10), 60)
        if not new:  # a table below another: never narrow the columns
            width = max(width, book.widths.get((name, j), 0.0))
        book.widths[(name, j)] = width
        ws.set_column(j, j, width)
    if not new:
        return  # the first table set the sheet up
    ws.freeze_panes(_HEADER_ROW, 1)
    ws.set_landscape()
    ws.set_paper(_A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(_HEADER_ROW - 1)


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
            "from returns.opening_balance_gbp (blank where that is not given). Transport is "
            "the general fund, not HNB.",
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
    writer = _Book(path)
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
    writer.close()
    return path


def _scap_places_sheet(result: Result, disclosure: bool) -> pd.DataFrame:
    """The SCAP places table for the workbook; under disclosure control the gap line (a
    count of children) is left out."""
    frame = returns.scap_places(result)
    if disclosure and not frame.empty:
        frame = frame[frame["line"] != returns.SCAP_LINE_LABELS["gap"]]
    return frame.reset_index(drop=True)


def write_comparison_workbook(
    table: pd.DataFrame, path: str | Path, *, published: pd.DataFrame | None = None
) -> Path:
    """Write a comparison of scenarios (``comparison.xlsx``): totals, then year by year.

    Args:
        table: The comparison table (:func:`sufficiency.postprocess.comparison.comparison_table`).
        path: File to write.
        published: The comparison under disclosure control
            (:func:`~sufficiency.postprocess.comparison.published_comparison`), written
            instead of ``table`` where the scenarios are under it; each sheet then says so.
    """
    path = Path(path)
    if published is not None:
        from ..postprocess.comparison import CHILD_YEARS, MONEY, PUBLISHED_NOTE, TOTAL

        note = f" {PUBLISHED_NOTE}"
        over_years = published["year"].astype(str) == TOTAL
        table = published[~over_years].reset_index(drop=True)
        summed = [*CHILD_YEARS, *MONEY]  # EHC plans are a January count: no total
        kept = ["scenario", *summed, *(f"{c}_diff" for c in summed)]
        totals = published.loc[over_years, kept].reset_index(drop=True)
        figures = [c for c in table.columns if c not in ("scenario", "year")]
    else:
        note = ""
        figures = [c for c in table.columns if c not in ("scenario", "year")]
        additive = [
            c
            for c in figures
            if labels.kind(c, "children") in labels.ADDITIVE or c in ("out_of_area", "displaced")
        ]
        # a figure not modelled is NaN in the table: "not modelled" here, its total too
        totals = table.groupby("scenario", sort=False)[additive].sum(min_count=1).reset_index()

    def shown(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.astype(object)
        for column in figures:
            if column in out.columns:
                out[column] = out[column].where(frame[column].notna(), labels.NOT_MODELLED)
        return out

    writer = _Book(path)
    _sheet(
        writer,
        "Totals",
        shown(totals),
        "Scenarios over the plan years (£; child-years); differences against the first." + note,
        default="children",
    )
    _sheet(
        writer,
        "By year",
        shown(table),
        "Every figure by scenario and year; differences against the first scenario." + note,
        default="children",
    )
    writer.close()
    return path
