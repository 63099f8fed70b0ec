"""The workbook, charts and HTML report show the run's own figures, and fail cleanly."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sufficiency.cli import main
from sufficiency.errors import SufficiencyError
from sufficiency.report import CHARTS, charts, tables
from sufficiency.report import html as report_html
from sufficiency.results import Result

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def test_tables_add_up_to_the_result(baseline: Result) -> None:
    by_year = baseline.totals().set_index("year")
    p = baseline.placements
    for provision, table in (
        ("ehc_plan", tables.by_tier(baseline)),
        ("sen_support", tables.sen_support_by_tier(baseline)),
    ):
        placed = p[p["provision"] == provision].groupby("year")["children"].sum()
        tier = table.set_index("year")
        np.testing.assert_allclose(tier["total"], placed.reindex(tier.index), rtol=1e-9)
    cost = tables.by_tier(baseline, value="cost", provision=None).set_index("year")["total"]
    np.testing.assert_allclose(cost, by_year["cost"].reindex(cost.index), rtol=1e-6)
    gap = tables.gap_by_need(baseline).set_index("year")["total"]
    s = baseline.shortfall
    short = s[s["provision"] == "ehc_plan"].groupby("year")["children"].sum()
    short = short.reindex(gap.index, fill_value=0)
    np.testing.assert_allclose(gap, short, atol=1e-9)
    assert gap.iloc[-1] > 100  # the baseline runs out of places
    plans = tables.ehc_plans_by_need(baseline).set_index("year")["total"]
    np.testing.assert_allclose(
        plans, by_year["ehc_plans_projected"].reindex(plans.index), rtol=1e-6
    )
    cap = tables.capacity_by_tier(baseline)
    limited = baseline.capacity[baseline.capacity["places"].notna()]
    assert cap["used"].sum() == pytest.approx(limited["used"].sum())
    assert cap["places"].sum() == pytest.approx(limited["places"].sum())
    assert len(tables.valuable_places(baseline)) == len(baseline.summary["most_valuable_places"])
    detail = tables.gap_detail(baseline)
    assert (detail["children"] >= 0.5).all()
    assert detail["children"].sum() <= short.sum() + 1e-9


def test_gap_by_need_and_phase_totals_every_need(baseline: Result) -> None:
    """Needs with a tiny gap are left out as rows but not from the total row: the City of
    London's starter showed 0.2 there against 0.3 in its headline figures."""
    s = baseline.shortfall
    plans = s["provision"] == "ehc_plan"
    # one need's gap cut to two hundredths of a child a year: its row goes, its gap stays
    asd = plans & (s["need"].astype(str) == "ASD")
    children = s["children"].where(~asd, 0.0)
    children[s[asd].drop_duplicates("year").index] = 0.02  # one ASD row a year
    small = s.assign(children=children)
    result = replace(baseline, shortfall=small)
    table = tables.gap_by_need_and_phase(result).set_index("need")
    assert "ASD" not in table.index
    assert small.loc[asd & small["year"].isin(tables.summary_years(result)), "children"].sum() > 0
    for year in tables.summary_years(result):
        in_year = small[plans & (small["year"] == year)]["children"].sum()
        columns = [c for c in table.columns if c.endswith(f" {year}")]
        assert table.loc["Total", columns].sum() == pytest.approx(in_year, rel=1e-9)


def test_output_folder_holds_the_report(baseline: Result, tmp_path: Path) -> None:
    out = baseline.write(tmp_path / "out")
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask  # not left private like a temp folder
    for name in CHARTS:
        assert (out / "charts" / f"{name}.png").read_bytes().startswith(PNG)
        assert (out / "charts" / f"{name}.svg").read_text(encoding="utf-8").find("<svg") >= 0
    book = load_workbook(out / "workbook.xlsx", read_only=True)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "About"
    assert {"Placements by tier", "Sufficiency gap", "Most valuable places"} <= set(book.sheetnames)
    assert "Capital options" not in book.sheetnames  # the baseline offers no capital options
    book.close()
    summary = pd.read_excel(out / "workbook.xlsx", sheet_name="Summary", skiprows=2)
    summary = summary[summary["Year"] != "Total"]
    np.testing.assert_allclose(
        summary["Total cost to the council"], baseline.totals()["total_cost"], rtol=1e-12
    )
    assert summary["Year"].tolist() == baseline.summary["plan_years"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == len(CHARTS)
    # the council's name is the title (the scenario names it), the scenario's name beside it
    assert "<h1>Metropolitan Borough of Ashworth (fictional): SEND sufficiency" in page
    assert "Scenario <b>baseline</b>" in page
    last = baseline.totals().iloc[-1]
    assert f"{last['ehc_plans']:,.0f}" in page
    assert baseline.summary["most_valuable_places"][0]["setting"] in page
    assert "write" in baseline.summary["timings"]


def test_text_from_the_scenario_is_escaped(baseline: Result) -> None:
    summary = dict(baseline.summary, scenario="<script>alert(1)</script>", description="a & b")
    result = replace(baseline, summary=summary)
    page = report_html.render(result, images={})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page


def test_a_gap_under_half_a_child_everywhere_still_writes(baseline: Result, tmp_path: Path) -> None:
    """The gap detail lists groups of at least half a child: a council whose gap is smaller
    everywhere (the City of London's and the Isles of Scilly's starters) left an empty
    table of integer years, and writing its workbook failed ("Can only use .str accessor")."""
    from sufficiency.report import write_workbook

    small = baseline.shortfall.assign(children=baseline.shortfall["children"].clip(upper=0.4))
    result = replace(baseline, shortfall=small)
    assert tables.gap_detail(result).empty and small["children"].sum() > 0
    path = write_workbook(result, tmp_path / "workbook.xlsx")
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book["Gap detail"].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[-1][:2] == ("Year", "Need")  # the table's header, and no row under it


def test_charts_are_figures_for_notebooks(baseline: Result) -> None:
    figures = charts(baseline)
    assert list(figures) == list(CHARTS)
    for name, fig in figures.items():
        ax = fig.axes[0]
        assert ax.get_title(loc="left") == CHARTS[name]
        assert ax.has_data() or name == "sufficiency_gap"


def test_the_recorded_years_are_drawn_above_the_projection(baseline: Result) -> None:
    """A council with one return has one recorded January, the point the projection starts
    from: drawn under the projection's marker it could not be seen."""
    ax = charts(baseline)["ehc_plans"].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["Recorded"].get_zorder() > lines["Projected"].get_zorder()


def _tick_labels(fig) -> list[str]:  # type: ignore[no-untyped-def]
    fig.canvas.draw()
    return [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]


def test_a_small_councils_charts_read(baseline: Result) -> None:
    """The City of London's starter (£0.4-0.5m a year, a gap of 0.1-0.3 children a year)
    drew a cost axis reading 0, 0, 0 in £ million and a gap chart whose axis read 0, 0, 1,
    1 under "Every child has a place", with every year at one spot."""
    by_year = [
        {k: (v / 1000 if k.endswith("_cost") and isinstance(v, float) else v) for k, v in y.items()}
        for y in baseline.summary["by_year"]
    ]
    s = baseline.shortfall
    most = s[s["provision"] == "ehc_plan"].groupby("year")["children"].sum().max()
    small = s.assign(children=s["children"] * 0.3 / most)  # 0.3 children in the worst year
    result = replace(baseline, summary=dict(baseline.summary, by_year=by_year), shortfall=small)
    figures = charts(result)
    cost = figures["cost"]
    assert cost.axes[0].get_ylabel() == "£ thousand a year"
    ticks = _tick_labels(cost)
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks)  # no "0, 0, 0"
    assert _tick_labels(figures["cost"]) == ticks
    assert charts(baseline)["cost"].axes[0].get_ylabel() == "£ million a year"
    gap = figures["sufficiency_gap"].axes[0]
    assert [t.get_text() for t in gap.texts] == [
        f"Under half a child a year placed by the market "
        f"({tables.gap_by_need(result)['total'].sum():,.1f} child-years)"
    ]
    assert not _tick_labels(figures["sufficiency_gap"])  # no scale for nothing drawn
    low, high = gap.get_xlim()
    years = result.summary["plan_years"]
    assert low < years[0] and high > years[-1] and high - low < len(years) + 2


def test_tick_labels_carry_the_decimals_their_step_needs(baseline: Result) -> None:
    from sufficiency.report.plots import _Numbers

    fmt = _Numbers()
    fmt.set_locs([0.0, 0.2, 0.4, 0.6])
    assert [fmt(x) for x in (0.0, 0.2, 0.4)] == ["0.0", "0.2", "0.4"]
    fmt.set_locs([0.0, 2000.0, 4000.0])
    assert [fmt(x) for x in (0.0, 2000.0, 4000.0)] == ["0", "2,000", "4,000"]
    fmt.set_locs([0.0, 0.05, 0.1])
    assert fmt(0.05) == "0.05"


def test_no_report_flag(write_tiny, tmp_path: Path) -> None:
    path = write_tiny()
    out = tmp_path / "plain"
    assert main(["--quiet", "run", str(path), "--out", str(out), "--no-report"]) == 0
    assert (out / "placements.csv").is_file()
    assert not (out / "workbook.xlsx").exists() and not (out / "report.html").exists()
    full = tmp_path / "full"
    assert main(["--quiet", "run", str(path), "--out", str(full)]) == 0
    assert (full / "workbook.xlsx").is_file() and (full / "report.html").is_file()
    # a run with no sufficiency gap says so in its gap chart and has an empty detail sheet
    detail = pd.read_excel(full / "workbook.xlsx", sheet_name="Gap detail", skiprows=2)
    detail = detail[detail["Year"] != "Total"]
    assert detail.empty or (detail["Children"] >= 0.5).all()


def test_a_failing_report_leaves_no_folder(
    baseline: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("disk full")

    monkeypatch.setattr("sufficiency.report.write_workbook", broken)
    out = tmp_path / "out"
    with pytest.raises(SufficiencyError, match="disk full"):
        baseline.write(out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
