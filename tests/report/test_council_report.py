"""The paper a council tables: the report's summary and assumptions, the DSG management
plan's template tabs, SCAP as places, and the page in a headless browser (it fits 1,280
pixels; printed, every table's text is in an A4-landscape PDF)."""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import replace
from pathlib import Path

import browser  # tests/report/browser.py
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sufficiency.report import returns, tables
from sufficiency.report.html import render

from conftest import SHARED_DATA

#: A4 landscape in points (pdfinfo's unit), with a point of slack for rounding.
A4_LANDSCAPE = (841.89, 595.28)

ASSUMPTIONS = [
    {
        "what": "Market price of an independent place",
        "value": "£64,000 a year",
        "why": "The council's fees were not given",
        "how_to_replace": "Set allocation.market.prices",
    },
    {
        "what": "Population",
        "value": "flat at the base year",
        "why": "No ONS file given",
        "how_to_replace": "Give data.population",
    },
]


def _cells(page: str) -> list[str]:
    """Every table cell's text on the page (unescaped)."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", page, re.S)
    ]


def test_summary_puts_the_base_year_beside_five_and_ten_years(baseline) -> None:  # type: ignore[no-untyped-def]
    figures = tables.summary_figures(baseline)
    base = str(baseline.summary["base_year"])
    assert list(figures.columns) == ["figure", "kind", base, "2030", "2035"]
    plans = figures.set_index("figure").loc["Children and young people with an EHC plan"]
    caseload = baseline.extras["inputs"].caseload
    assert plans[base] == pytest.approx(caseload.loc[caseload["year"] == 2025, "children"].sum())
    by_year = {r["year"]: r for r in baseline.summary["by_year"]}
    assert plans["2035"] == pytest.approx(by_year[2035]["ehc_plans"])
    page = render(baseline, {})
    first = page[: page.index("<h2>Headline figures by year")]
    for heading in (
        "Headline figures",
        "Sufficiency gap by need and phase",
        "Cost to the council against the High Needs Block",
        "The three most valuable places to add",
        "Capital options chosen",
    ):
        assert heading in first, heading
    # provenance closes the page: hashes only in the appendix
    assert page.index("Appendix: how this run was made") > page.index("<h2>Assumptions")
    assert "sha256" not in page[: page.index("Appendix: how this run was made")]


def test_base_year_high_needs_cost_is_the_modelled_figure_beside_the_councils(baseline) -> None:  # type: ignore[no-untyped-def]
    # the base year's recorded placements at the model's prices, as the command prints it
    s = baseline.summary
    figures = tables.summary_figures(baseline).set_index("figure")
    base = str(s["base_year"])
    hnb = figures.loc["High Needs Block cost, £ a year", base]
    assert hnb == pytest.approx(s["base_year_hnb_cost"]) and hnb > 0
    assert figures.loc["Transport (general fund), £ a year", base] is None  # not costed
    page = html.unescape(re.sub(r"\s+", " ", render(baseline, {})))
    assert "its recorded placements at the model's prices" in page
    assert "no council figure to check it against" in page
    assert "the model does not cost it" not in page
    council = 0.9 * s["base_year_hnb_cost"]
    given = {
        **s,
        "council_base_year_hnb_cost": council,
        "base_year_hnb_cost_difference": (s["base_year_hnb_cost"] - council) / council,
    }
    page = html.unescape(re.sub(r"\s+", " ", render(replace(baseline, summary=given), {})))
    assert f"the council's own figure is £{council / 1e6:,.1f}m, the model 11.1% above it" in page
    unpriced = {k: v for k, v in s.items() if k != "base_year_hnb_cost"}
    page = html.unescape(re.sub(r"\s+", " ", render(replace(baseline, summary=unpriced), {})))
    assert "The base year is recorded; the model does not cost it." in page


def test_assumptions_are_listed_or_said_to_be_none(baseline) -> None:  # type: ignore[no-untyped-def]
    # the bundled borough's run lists its own assumptions (the market price, inflation…)
    assert baseline.summary["assumptions"]
    none = {k: v for k, v in baseline.summary.items() if k != "assumptions"}
    page = render(replace(baseline, summary=none), {})
    assert "None listed" in page
    listed = replace(baseline, summary={**baseline.summary, "assumptions": ASSUMPTIONS})
    page = render(listed, {})
    cells = _cells(page)
    for item in ASSUMPTIONS:
        for value in item.values():
            assert value in cells, value


def test_assumptions_on_the_workbooks_about_sheet(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.report.workbook import write_workbook

    listed = replace(baseline, summary={**baseline.summary, "assumptions": ASSUMPTIONS})
    path = write_workbook(listed, tmp_path / "book.xlsx")
    book = load_workbook(path, read_only=True)  # read-only keeps the file open: closed here
    rows = list(book["About"].iter_rows(values_only=True))
    book.close()
    assert rows[2][:4] == ("What", "Value used", "Why", "How to replace it")
    assert rows[3][0] == ASSUMPTIONS[0]["what"] and rows[4][3] == ASSUMPTIONS[1]["how_to_replace"]
    flat = [str(c) for row in rows for c in row if c is not None]
    assert any("sha256" in c for c in flat)  # provenance below the assumptions


def test_dsg_template_tabs_rows_whole_counts_and_balance(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.report.workbook import write_workbook

    allocation = {"2026-27": 70e6, "2027-28": 72e6, "2028-29": 74e6}
    scenario = baseline.extras["scenario"]
    options = scenario.returns.model_copy(
        update={"hnb_allocation_gbp_by_financial_year": allocation, "opening_balance_gbp": -4e6}
    )
    from sufficiency.postprocess.returns import dsg_plan

    plans = baseline.placements[(baseline.placements["provision"] == "ehc_plan").to_numpy()]
    plan = dsg_plan(plans, baseline.not_in_school, None, options)
    result = replace(baseline, dsg_plan=plan)
    path = write_workbook(result, tmp_path / "book.xlsx")
    book = load_workbook(path, read_only=True)
    names = book.sheetnames
    book.close()
    assert returns.CYP_TAB in names and returns.FINANCIAL_TAB in names
    assert names.index(returns.CYP_TAB) < names.index(returns.FINANCIAL_TAB)

    cyp = pd.read_excel(path, sheet_name=returns.CYP_TAB, skiprows=2)
    assert list(cyp.columns[:3]) == ["Placement category", "Age group", "2025"]
    categories = list(dict.fromkeys(cyp["Placement category"]))
    assert categories[:7] == [
        "Mainstream schools and academies",
        "Resourced provision and SEN units",
        "Maintained special schools and special academies",
        "Independent and non-maintained special schools",
        "Hospital schools and alternative provision",
        "Post-16 and further education",
        "Other (not in a school or college, other settings)",
    ]
    first = cyp[cyp["Placement category"] == categories[0]]["Age group"].tolist()
    assert first == ["Under 5", "5–10", "11–15", "16–19", "20–25", "Total"]
    counts = cyp.iloc[:, 2:].to_numpy(dtype=float)
    assert np.all(counts == np.round(counts))  # whole children
    grand = cyp.iloc[-1]
    assert grand["2025"] == pytest.approx(baseline.summary["base_year_ehc_plans"], abs=40)
    totals = cyp[(cyp["Age group"] == "Total") & (cyp["Placement category"] != grand.iloc[0])]
    assert grand.iloc[2:].to_numpy(float) == pytest.approx(
        totals.iloc[:, 2:].to_numpy(float).sum(0)
    )

    fin = pd.read_excel(path, sheet_name=returns.FINANCIAL_TAB, skiprows=2).set_index("Line")
    lines = list(fin.index)
    expected = [returns.EXPENDITURE_LABELS[k] for k in returns.EXPENDITURE_LABELS]
    assert lines == expected
    assert fin.loc[returns.EXPENDITURE_LABELS["sen_support_services"]].isna().all()
    for period in allocation:
        for run in ("Unmitigated", "Mitigated"):
            column = f"{period} {run.lower()}"
            income = fin.loc["Income: High Needs Block allocation", column]
            spend = fin.loc["Total high-needs expenditure modelled", column]
            in_year = fin.loc["In-year surplus (+) or deficit (−)", column]
            assert income == pytest.approx(allocation[period])
            assert in_year == pytest.approx(income - spend)
    carried = [fin.loc["Cumulative balance carried forward", f"{p} mitigated"] for p in allocation]
    spent = [fin.loc["Total high-needs expenditure modelled", f"{p} mitigated"] for p in allocation]
    assert carried == pytest.approx(
        list(-4e6 + np.cumsum(np.array(list(allocation.values())) - np.array(spent)))
    )
    # the modelled lines add up to the High Needs Block cost of children with plans by FY
    by_fy = {
        r["financial_year"]: r["ehc_plan_hnb_cost"] for r in baseline.summary["by_financial_year"]
    }
    for period in allocation:
        assert fin.loc["Total high-needs expenditure modelled", f"{period} mitigated"] == (
            pytest.approx(by_fy[period], rel=1e-9)
        )


def test_scap_counts_places_and_their_changes(baseline) -> None:  # type: ignore[no-untyped-def]
    scap = baseline.scap_places
    inputs = baseline.extras["inputs"]
    base = baseline.summary["base_year"]
    settings = inputs.settings.assign(places=inputs.places_array([base])[0])
    register = settings[(settings["scap_type"].astype(str) != "none") & settings["places"].notna()]
    every = scap[(scap["planning_area"] == "all") & (scap["year"] == base)]
    for (kind, phase), group in register.groupby(["scap_type", "phase"], observed=True):
        row = every[(every["line"] == "places") & (every["phase"] == phase)]
        assert row[kind].iloc[0] == pytest.approx(group["places"].sum()), (kind, phase)
    years = [base, *baseline.summary["plan_years"]]
    grid = inputs.places_array(years)
    specialist = (inputs.settings["scap_type"].astype(str) != "none").to_numpy()
    register_total = np.nansum(np.where(specialist, grid, 0.0), axis=1)
    whole = scap[scap["planning_area"] == "all"].set_index(["year", "line"])
    builds = baseline.builds
    for i, year in enumerate(years[1:], start=1):
        assert whole.loc[(year, "change_settings"), "total"] == pytest.approx(
            register_total[i] - register_total[i - 1]
        )
        opened = 0.0
        if not builds.empty:  # the baseline builds nothing
            opened = float(builds.loc[builds["open_year"] == year, "places"].sum())
        assert whole.loc[(year, "change_capital"), "total"] == pytest.approx(opened)
        gap = baseline.summary["by_year"][i - 1]
        assert whole.loc[(year, "gap"), "total"] == pytest.approx(gap["shortfall"], abs=1e-3)


#: The bundled borough and a published-data starter, rendered once each.
@pytest.fixture(scope="module")
def pages(baseline_out: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {"bundled": baseline_out / "report.html"}
    dfe = SHARED_DATA / "dfe_release_2025_to_2023"
    if dfe.is_dir():
        import sufficiency
        from sufficiency.sources.starter import write_starter

        folder = tmp_path_factory.mktemp("starter")
        scenario = write_starter("Dudley", dfe, folder / "dudley")
        result = sufficiency.run(scenario)
        assert result.summary["council"] == "Dudley"
        out["starter"] = result.write(folder / "out") / "report.html"
    return out


needs_browser = pytest.mark.skipif(
    browser.browser() is None or not shutil.which("pdftotext"),
    reason="Chromium and poppler-utils are not installed",
)


@needs_browser
@pytest.mark.parametrize("which", ["bundled", "starter"])
def test_page_fits_1280_pixels(pages: dict[str, Path], which: str) -> None:
    if which not in pages:
        pytest.skip("the DfE published files are not at hand")
    measured = browser.layout(pages[which], width=1280)
    assert measured["scroll_width"] <= measured["viewport"], "the page scrolls sideways"
    assert measured["tables"]
    for table in measured["tables"]:
        assert table["right"] <= measured["viewport"] + 0.5, table
        assert table["right"] <= table["parent_right"] + 0.5, table  # not wider than its box
        assert table["scroll"] <= table["client"] + 1, table  # nothing clipped inside
    # a narrow column wraps between words, never inside one ("Enhance / d resource")
    assert not measured["broken_words"], measured["broken_words"][:10]


@needs_browser
@pytest.mark.parametrize("which", ["bundled", "starter"])
def test_printed_pdf_holds_every_table_on_a4_landscape(
    pages: dict[str, Path], which: str, tmp_path: Path
) -> None:
    if which not in pages:
        pytest.skip("the DfE published files are not at hand")
    page = pages[which]
    pdf = browser.print_pdf(page, tmp_path / "report.pdf")
    sizes = browser.pdf_page_sizes(pdf)
    assert sizes
    for width, height in sizes:
        assert width <= A4_LANDSCAPE[0] + 1 and height <= A4_LANDSCAPE[1] + 1, (width, height)
        assert width > height  # landscape
    # compared without spaces and hyphens: pdftotext joins a word broken at a line's end
    text = re.sub(r"[\s\-‐]+", "", browser.pdf_text(pdf))
    cells = _cells(page.read_text(encoding="utf-8"))
    missing = [c for c in cells if re.sub(r"[\s\-‐]+", "", c) not in text]
    assert not missing, missing[:20]


def test_tier_words_and_capacity(baseline) -> None:  # type: ignore[no-untyped-def]
    """Plans in mainstream schools are named as the SEN support tier in words; a tier
    empty by construction is said once, not a column of zeros; settings without places
    are not counted full."""
    from sufficiency.report import labels

    page = render(baseline, {})
    assert "SEN support tier: EHC plans in mainstream schools" in page
    assert "SEN support tier: on SEN support in mainstream (no plan)" in page
    empty = replace(
        baseline,
        placements=baseline.placements[baseline.placements["tier"].astype(str) != "mainstream"],
    )
    page = render(empty, {})
    assert page.count(html.escape(labels.EMPTY_MAINSTREAM_NOTE)) == 1
    plans = page[page.index("Children with an EHC plan placed by tier") :]
    plans = plans[: plans.index("</table>")]
    assert "Mainstream (no top-up)" not in plans
    # an out-of-area line with no commissioned places is not a full setting
    capacity = baseline.capacity
    row = capacity[capacity["places"].fillna(0.0) > 0].iloc[[0]].assign(places=0.0, used=0.0)
    row["spare"] = 0.0
    before = tables.capacity_by_tier(baseline)
    after = tables.capacity_by_tier(
        replace(baseline, capacity=pd.concat([capacity, row], ignore_index=True))
    )
    assert after["settings"].sum() == before["settings"].sum()
    assert after["full"].sum() == before["full"].sum()


def test_an_allocation_without_an_opening_balance_is_said(baseline) -> None:  # type: ignore[no-untyped-def]
    """The board paper says the cumulative balance is unknown where no opening balance is
    given (it read from £0), and shows the in-year surplus or deficit."""
    from sufficiency.postprocess.returns import dsg_plan

    options = baseline.extras["scenario"].returns.model_copy(
        update={"hnb_allocation_gbp_by_financial_year": {"2026-27": 70e6}}
    )
    plans = baseline.placements[(baseline.placements["provision"] == "ehc_plan").to_numpy()]
    result = replace(baseline, dsg_plan=dsg_plan(plans, baseline.not_in_school, None, options))
    block = tables.hnb_against_cost(result).set_index("financial_year")
    assert block.loc["2026-27", "in_year_surplus_or_deficit"] == pytest.approx(
        70e6 - block.loc["2026-27", "hnb_cost"]
    )
    assert block["balance_carried_forward"].isna().all()
    page = html.unescape(re.sub(r"\s+", " ", render(result, {})))
    assert "No opening balance given (returns.opening_balance_gbp" in page
