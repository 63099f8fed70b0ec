"""Board-ready outputs: the workbook's formats, headers, totals and print set-up, and the
HTML page rendered in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import FLAGS  # tests/report/browser.py
from openpyxl import load_workbook

from sufficiency.report import CHARTS, labels
from sufficiency.report import html as report_html
from sufficiency.results import Result

MONEY = labels.EXCEL_FORMATS["money"]


def _columns(ws) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Header (row 3) → column number."""
    return {c.value: c.column for c in ws[3] if c.value is not None}


def test_workbook_formats_by_column_kind(baseline_out: Path) -> None:
    book = load_workbook(baseline_out / "workbook.xlsx")
    summary = book["Summary"]
    head = _columns(summary)
    # headers come from the one label table, the interval named by its coverage
    assert "Year" in head and labels.label("total_cost") in head and "Cost (£)" not in head
    assert labels.label("ehc_plans_lower", interval=0.8) in head
    assert "80% interval" in labels.label("ehc_plans_lower", interval=0.8)
    first = 4
    assert summary.cell(first, head["Year"]).number_format == "0"  # 2026, not £2,026
    assert summary.cell(first, head[labels.label("total_cost")]).number_format == MONEY
    assert summary.cell(first, head["Children with an EHC plan"]).number_format == "#,##0"
    assert summary.cell(first, head[labels.label("shortfall")]).number_format == "#,##0.0"
    assert summary.cell(first, head[labels.label("not_placed")]).value is not None
    # a totals row: cost summed over the plan years, stocks left blank
    last = summary.max_row
    assert summary.cell(last, 1).value == "Total"
    years = [summary.cell(r, 1).value for r in range(first, last)]
    costs = [summary.cell(r, head[labels.label("total_cost")]).value for r in range(first, last)]
    assert years == list(range(2026, 2036))
    assert summary.cell(last, head[labels.label("total_cost")]).value == pytest.approx(sum(costs))
    assert summary.cell(last, head["Children with an EHC plan"]).value is None
    # every tier column of the cost sheet is money (the SEN support tier included)
    cost = book["Cost by tier"]
    for name, j in _columns(cost).items():
        fmt = cost.cell(first, j).number_format
        assert fmt == ("0" if name == "Year" else MONEY), name
    assert cost.cell(cost.max_row, 1).value == "Total"
    # the valuable places: money, years as years, area in words, text left-aligned
    valuable = book["Most valuable places"]
    head = _columns(valuable)
    assert valuable.cell(first, head[labels.label("value_per_place")]).number_format == MONEY
    assert valuable.cell(first, head["Year of highest value"]).number_format == "0"
    assert valuable.cell(first, head["Area"]).value in ("In area", "Out of area")
    assert valuable.cell(first, head["Name"]).alignment.horizontal == "left"
    detail = book["Gap detail"]
    assert set(_columns(detail)) == {"Year", "Need", "Age band", "Level", "Children"}
    assert detail.cell(first, 4).value in labels.TIER_LABELS.values()
    for ws in book.worksheets:  # print set-up
        assert ws.page_setup.orientation == "landscape", ws.title
        # one page wide (an absent fitToWidth is 1, the file format's default), any tall
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$3:$3", ws.title
        assert not any("_" in str(c.value) for c in ws[3]), ws.title  # no code headers


def test_labels_are_one_table() -> None:
    assert labels.label("placed_sen_support") == "Placed: SEN support tier (mainstream with top-up)"
    assert labels.label("served_2029") == "Children served 2029"
    assert labels.label("a_new_column") == "A new column"
    assert labels.kind("hnb_cost") == "money" and labels.kind("open_year") == "year"
    assert labels.kind("sen_support", "money") == "money"  # a tier column of a pivot
    assert labels.format_value(2027, "year") == "2027"
    assert labels.format_value(14_000_000.0, "money") == "£14,000,000"
    assert labels.format_value(False, "area") == "Out of area"
    assert labels.format_value(80.0, "whole") == "80"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_PROBE = """<script>
window.addEventListener("load", () => {
  const p = document.createElement("pre");
  p.id = "probe";
  p.textContent = "scrollWidth=" + document.documentElement.scrollWidth +
    " clientWidth=" + document.documentElement.clientWidth +
    " errors=" + (window.__errors || []).length;
  document.body.appendChild(p);
});
</script>"""
_CATCH = (
    "<script>window.__errors = []; window.addEventListener('error', e => "
    "window.__errors.push(e.message)); const _e = console.error; console.error = "
    "(...a) => { window.__errors.push(a.join(' ')); _e(...a); };</script>"
)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_report_page_fits_1280_px_in_chromium(
    baseline: Result, baseline_out: Path, tmp_path: Path
) -> None:
    # the widest table: capital options with children served in every plan year
    years = baseline.summary["plan_years"]
    builds = pd.DataFrame(
        {
            "option": ["semh_north", "asd_base"],
            "description": ["An 80-place SEMH free school, north site", "Autism resource base"],
            "decision": ["optimise", "build"],
            "built": [True, False],
            "open_year": [2028.0, np.nan],
            "places": [80.0, 20.0],
            "capital_cost": [14_000_000.0, 3_000_000.0],
            "annualised_cost": [655_000.0, 140_000.0],
            **{f"served_{y}": [40.0, 0.0] for y in years},
            "running_cost_saving": [1_500_000.0, 0.0],
            "net_saving": [845_000.0, 0.0],
            "shortfall_avoided": [12.5, 0.0],
            "out_of_area_avoided": [30.2, 0.0],
            "payback_years": [9.4, np.nan],
        }
    )
    wide = replace(baseline, builds=builds)
    images = {n: (baseline_out / "charts" / f"{n}.png").read_bytes() for n in CHARTS}
    page = report_html.render(wide, images)
    assert "Capital options" in page and "£14,000,000" in page and "2028.0" not in page
    probed = tmp_path / "report.html"
    probed.write_text(
        page.replace("<head>", f"<head>{_CATCH}", 1).replace("</body>", f"{_PROBE}</body>"),
        encoding="utf-8",
    )
    shot = tmp_path / "report.png"
    flags = [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", probed.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    print(f"screenshot of report.html at 1,280 px: {shot}")
    probe = dom[dom.index('id="probe">') :].split("<", 1)[0]
    values = dict(item.split("=") for item in probe.split(">", 1)[1].split())
    assert int(values["scrollWidth"]) <= int(values["clientWidth"]) <= 1280, probe
    assert values["errors"] == "0", probe
    assert shot.read_bytes().startswith(b"\x89PNG")
