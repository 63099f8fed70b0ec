"""The statutory returns: reporting categories, financial years, the DSG plan, SCAP,
commissioning views and disclosure control."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sufficiency import taxonomy
from sufficiency.config.returns import ReturnsOptions
from sufficiency.example.bundled import EXAMPLE_DIR
from sufficiency.postprocess import disclosure
from sufficiency.postprocess.returns import dsg_plan, to_financial_years

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_register_carries_establishment_types() -> None:
    raw = pd.read_csv(EXAMPLE_DIR / "data" / "settings.csv")
    assert raw["establishment_type"].notna().all()
    assert set(raw["establishment_type"]) <= set(taxonomy.ESTABLISHMENT_TYPES)
    # post-16 and FE, and alternative provision, are categories of their own
    dsg = raw["establishment_type"].map(lambda e: taxonomy.ESTABLISHMENT_TYPES[e][0])
    assert {"post16_fe", "hospital_ap", "independent_special", "special"} <= set(dsg)


def test_every_setting_has_a_dsg_category_and_scap_type(baseline) -> None:  # type: ignore[no-untyped-def]
    reg = baseline.extras["arrays"].settings
    assert set(reg["dsg_category"]) <= set(taxonomy.DSG_CATEGORIES)
    assert set(reg["scap_type"]) <= set(taxonomy.SCAP_TYPES)
    market = reg[reg["setting"] == "MARKET"].iloc[0]
    assert (market["dsg_category"], market["scap_type"], bool(market["in_area"])) == (
        "independent_special",
        "IN",
        False,
    )
    p = baseline.placements
    assert {"tier", "provision", "dsg_category", "scap_type"} <= set(p.columns)
    assert set(p["provision"]) == {"ehc_plan", "sen_support"}
    # the specialist post-16 college is post-16 and FE, whatever its tier
    post16 = reg[reg["establishment_type"] == "specialist_post_16_institutions"]
    assert len(post16) and set(post16["dsg_category"]) == {"post16_fe"}


def test_register_codes_are_checked_strictly(write_tiny) -> None:  # type: ignore[no-untyped-def]
    import sufficiency
    from sufficiency.errors import DataError

    from conftest import tiny_tables

    tables = tiny_tables()
    settings = tables["settings"].copy()
    settings["establishment_type"] = "special_la_maintained"
    settings.loc[0, "establishment_type"] = "special_school"  # not a DfE type
    settings["scap_type"] = ""
    settings.loc[1, "scap_type"] = "XX"
    path = write_tiny({**tables, "settings": settings})
    with pytest.raises(DataError) as err:
        sufficiency.run(path)
    text = str(err.value) + " ".join(str(p) for p in err.value.problems)
    assert "special_school" in text and "XX" in text


def test_dsg_category_totals_equal_placements_by_category(baseline) -> None:  # type: ignore[no-untyped-def]
    d = baseline.dsg_plan
    grid = d[(d["section"] == "children_by_category_and_age") & (d["column"] == "total")]
    shown = grid[grid["line"] != "total"].set_index(["period", "line"])["value"]
    p = baseline.placements
    p = p[p["provision"] == "ehc_plan"]  # the DSG plan counts children with plans
    placed = p.groupby(["year", "dsg_category"], observed=True)["children"].sum()
    nis = baseline.not_in_school.groupby("year")["children"].sum()
    for (year, category), value in placed.items():
        expected = value + (nis[year] if category == "other" else 0.0)
        assert shown[(str(year), category)] == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # every child with a plan is in the table once
    total = grid[grid["line"] == "total"].set_index("period")["value"]
    for year in baseline.summary["plan_years"]:
        children = p.loc[p["year"] == year, "children"].sum() + nis[year]
        assert total[str(year)] == pytest.approx(children, rel=1e-9)


def test_financial_years_reconcile_with_census_years(baseline) -> None:  # type: ignore[no-untyped-def]
    by_year = pd.DataFrame(baseline.summary["by_year"]).set_index("year")
    fy = pd.DataFrame(baseline.summary["by_financial_year"]).set_index("financial_year")
    years = baseline.summary["plan_years"]
    assert list(fy.index) == [f"{y}-{(y + 1) % 100:02d}" for y in years[:-1]]
    for y in years[:-1]:
        expected = 5 / 12 * by_year.loc[y, "hnb_cost"] + 7 / 12 * by_year.loc[y + 1, "hnb_cost"]
        assert fy.loc[f"{y}-{(y + 1) % 100:02d}", "hnb_cost"] == pytest.approx(expected)
    # summed, the financial years are the census years less the parts outside them
    c = by_year["total_cost"]
    outside = 7 / 12 * c[years[0]] + 5 / 12 * c[years[-1]]
    assert fy["total_cost"].sum() == pytest.approx(c.sum() - outside)
    # the DSG plan's cost by category is the same conversion of the HNB cost of children
    # with plans (the High Needs Block's places for children on SEN support are not in it)
    d = baseline.dsg_plan
    cost = d[(d["section"] == "hnb_cost_by_category") & (d["column"] == "mitigated")]
    cost = cost[cost["line"] == "total"].set_index("period")["value"]
    assert cost.to_numpy() == pytest.approx(fy["ehc_plan_hnb_cost"].to_numpy())
    assert (fy["hnb_cost"] >= fy["ehc_plan_hnb_cost"]).all()


def test_to_financial_years_by_hand() -> None:
    frame = pd.DataFrame({"year": [2026, 2027, 2028], "cost": [12.0, 24.0, 36.0]})
    out = to_financial_years(frame, ["cost"], [])
    assert out["financial_year"].tolist() == ["2026-27", "2027-28"]
    assert out["cost"].tolist() == pytest.approx([5 + 14, 10 + 21])


def test_hnb_balance(baseline) -> None:  # type: ignore[no-untyped-def]
    options = ReturnsOptions(
        hnb_allocation_gbp_by_financial_year={"2026-27": 60e6, "2027-28": 62e6},
        opening_balance_gbp=-5e6,
    )
    d = dsg_plan(baseline.placements, baseline.not_in_school, None, options)
    block = d[(d["section"] == "high_needs_block") & (d["column"] == "mitigated")]
    v = block.set_index(["period", "line"])["value"]
    cost = v[("2026-27", "hnb_cost")]
    assert v[("2026-27", "in_year_surplus_or_deficit")] == pytest.approx(60e6 - cost)
    assert v[("2026-27", "balance_carried_forward")] == pytest.approx(-5e6 + 60e6 - cost)
    later = v[("2027-28", "balance_carried_forward")]
    assert later == pytest.approx(-5e6 + 60e6 + 62e6 - cost - v[("2027-28", "hnb_cost")])
    assert np.isnan(v[("2028-29", "balance_carried_forward")])  # no allocation given
    # a single plan year has no whole financial year: the sections are empty, not an error
    one = baseline.placements[baseline.placements["year"] == 2026]
    nis = baseline.not_in_school[baseline.not_in_school["year"] == 2026]
    single = dsg_plan(one, nis, None, options)
    assert single[single["unit"] == "gbp"].empty
    with pytest.raises(ValueError, match="2026-27"):
        ReturnsOptions(hnb_allocation_gbp_by_financial_year={"2026/27": 1.0})


def test_no_opening_balance_leaves_the_balance_blank(baseline) -> None:  # type: ignore[no-untyped-def]
    """An allocation without the balance brought forward: the in-year surplus or deficit
    stands, the cumulative balance is unknown (before, it started from £0, so a council's
    deficit brought forward was assumed away on the board paper)."""
    options = ReturnsOptions(hnb_allocation_gbp_by_financial_year={"2026-27": 60e6})
    d = dsg_plan(baseline.placements, baseline.not_in_school, None, options)
    block = d[(d["section"] == "high_needs_block") & (d["column"] == "mitigated")]
    v = block.set_index(["period", "line"])["value"]
    assert v[("2026-27", "in_year_surplus_or_deficit")] == pytest.approx(
        60e6 - v[("2026-27", "hnb_cost")]
    )
    for line in ("balance_brought_forward", "balance_carried_forward"):
        assert np.isnan(v[("2026-27", line)]), line


def test_scap_totals_equal_specialist_placements(baseline) -> None:  # type: ignore[no-untyped-def]
    s = baseline.scap
    p = baseline.placements
    specialist = p[(p["scap_type"] != "none") & (p["provision"] == "ehc_plan")]
    for year, frame in s[(s["planning_area"] == "all") & (s["phase"] == "total")].groupby("year"):
        assert frame["total"].iloc[0] == pytest.approx(
            specialist.loc[specialist["year"] == year, "children"].sum()
        )
        for t in ("UR", "IN", "SS", "AP"):
            assert frame[t].iloc[0] == pytest.approx(
                specialist.loc[
                    (specialist["year"] == year) & (specialist["scap_type"] == t), "children"
                ].sum()
            )
    # the planning areas add up to the whole council
    areas = s[(s["planning_area"] != "all") & (s["phase"] == "total")].groupby("year")["total"]
    whole = s[(s["planning_area"] == "all") & (s["phase"] == "total")].set_index("year")["total"]
    assert areas.sum().to_numpy() == pytest.approx(whole.to_numpy())
    c = baseline.commissioning
    whole_c = c[(c["planning_area"] == "all") & (c["need_group"] == "total")]
    assert whole_c["total"].to_numpy() == pytest.approx(whole.to_numpy())


def test_protect_grid_by_hand() -> None:
    grid, hidden = disclosure.protect_grid(np.array([[2.4, 10.0, 7.0], [6.0, 20.2, 9.0]]))
    assert grid[-1, -1] == grid[:-1, :-1].sum() == 54
    assert hidden[0, 0]  # 2 is suppressed …
    assert hidden.sum(axis=1)[0] >= 2 and hidden[:, 0].sum() >= 2  # … with a partner each way
    assert not disclosure.recoverable(hidden).any()
    assert not hidden[-1, -1]


def _published_cells(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].to_numpy(dtype=object).reshape(-1)


def _check_blocks(grids: list[pd.DataFrame]) -> None:
    """No count 1–4 or fraction; no suppressed cell recoverable from its totals."""
    for g in grids:
        cells = g.to_numpy(dtype=object)
        hidden = cells == disclosure.SUPPRESSED
        shown = cells[~hidden].astype(float)
        assert np.all(shown == np.round(shown))
        assert not np.any((shown >= 1) & (shown <= 4))
        # rows and columns (totals last) add up where every cell is shown
        values = np.where(hidden, np.nan, cells).astype(float)
        for line in [*values, *values.T]:
            if not np.isnan(line).any():
                assert line[:-1].sum() == line[-1]
        for line in [*hidden, *hidden.T]:
            assert line.sum() != 1  # one hidden cell in a line is its total less the rest
        assert not disclosure.recoverable(hidden).any()


def test_disclosure_on_published_outputs(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    result = replace(baseline, summary={**baseline.summary, "disclosure": disclosure.RULE})
    out = result.write(tmp_path / "out")
    pub = out / "published"
    notes = (pub / "README.txt").read_text(encoding="utf-8")
    assert disclosure.RULE in notes
    made = result.published()  # what was hidden, said in the notes
    assert f"{made.primary:,} counts of 1 to 4 and {made.secondary:,} more" in notes
    scap = pd.read_csv(pub / "scap.csv", dtype=str)
    cols = ["UR", "IN", "SS", "AP", "total"]
    grids = [b[cols] for _, b in scap.groupby(["year", "planning_area"], sort=False)]
    comm = pd.read_csv(pub / "commissioning.csv", dtype=str)
    ccols = ["early_years", "primary", "secondary", "post16", "total"]
    grids += [b[ccols] for _, b in comm.groupby(["year", "planning_area"], sort=False)]
    dsg = pd.read_csv(pub / "dsg_plan.csv", dtype=str)
    children = dsg[dsg["unit"] == "children"]
    for _, b in children.groupby(["section", "period"], sort=False):
        lines = list(dict.fromkeys(b["line"]))
        columns = list(dict.fromkeys(b["column"]))
        grids.append(b.pivot(index="line", columns="column", values="value").loc[lines, columns])
    assert any((g.to_numpy() == "c").any() for g in grids)  # something was suppressed
    _check_blocks(grids)
    # the working CSV keeps full precision
    working = pd.read_csv(out / "scap.csv")
    assert (working["total"] % 1 != 0).any()
    # the workbook's returns sheets are the published tables and state the rule
    book = load_workbook(out / "workbook.xlsx", read_only=True)
    sheet = book["SCAP children"]  # "SCAP" counts places, not children
    assert disclosure.RULE in str(sheet["A1"].value)
    values = [c for row in sheet.iter_rows(min_row=4, values_only=True) for c in row[2:]]
    numbers = [v for v in values if isinstance(v, int | float)]
    book.close()
    assert "c" in values and all(v == round(v) and not 1 <= v <= 4 for v in numbers)
    assert html.escape(disclosure.RULE) in (out / "report.html").read_text(encoding="utf-8")


def test_disclosure_on_the_reports_summary_page(baseline) -> None:  # type: ignore[no-untyped-def]
    """The report's one-page summary (headline figures five and ten years on, the gap by
    need and phase, the gap's card) showed counts of 1-4 and tenths of a child with
    disclosure on, beside tables that hid them."""
    from dataclasses import replace

    from sufficiency.report import html as report_html
    from sufficiency.report import tables

    result = replace(baseline, summary={**baseline.summary, "disclosure": disclosure.RULE})
    figures = tables.summary_figures(result)
    counts = figures[figures["kind"] == "children"].drop(columns=["figure", "kind"])
    cells = counts.to_numpy(dtype=object).ravel()
    numbers = [float(v) for v in cells if not isinstance(v, str) and v is not None]
    assert numbers and all(v == round(v) and not 1 <= v <= 4 for v in numbers)
    assert "Sufficiency gap: placed by the market, no local place" in set(
        figures.loc[figures["kind"] == "children", "figure"]
    )
    gap = tables.gap_by_need_and_phase(result).set_index("need")
    assert "c" in gap.to_numpy()
    for year in tables.summary_years(result):
        block = gap[[c for c in gap.columns if c.endswith(f" {year}")]].to_numpy(dtype=object)
        hidden = block == disclosure.SUPPRESSED
        shown = block[~hidden].astype(float)
        assert np.all(shown == np.round(shown)) and not np.any((shown >= 1) & (shown <= 4))
        values = np.where(hidden, np.nan, block).astype(float)
        for column in values.T:  # the Total row is each column's sum where all are shown
            if not np.isnan(column).any():
                assert column[:-1].sum() == column[-1]
        # the year's phases add up to a total a reader can make: unknown, as hidden cells
        grid = np.hstack([hidden, np.ones((len(hidden), 1), dtype=bool)])
        assert not disclosure.recoverable(grid)[:, :-1].any()
        assert all(col.sum() != 1 for col in hidden.T)
    # a gap of 2 child-years (as the City of London's): its card says c, not 2
    s = baseline.shortfall
    small = s.assign(
        children=s["children"] * 2.0 / s.loc[s["provision"] == "ehc_plan", "children"].sum()
    )
    tiny = replace(result, shortfall=small, summary={**result.summary, "total_shortfall": 2.0})
    page = report_html.render(tiny, images={})
    assert "<b>c child-years placed by the market</b>" in page
    assert "No whole child with a plan is in the gap in these years." in page


def test_disclosure_on_the_capital_options(baseline) -> None:  # type: ignore[no-untyped-def]
    """With disclosure on, the capital options' child-years avoided and the children each
    option serves a year (capital_programme: 4.2 children in an option's first year) are
    whole children, 1-4 shown as c; an option not built stays blank."""
    from dataclasses import replace

    from sufficiency.report import tables

    builds = pd.DataFrame(
        {
            "option": ["base", "school"],
            "built": [True, False],
            "places": [16.0, 0.0],
            "shortfall_avoided": [3.4, np.nan],
            "out_of_area_avoided": [108.1, np.nan],
            "served_2026": [4.2, np.nan],
            "served_2027": [16.0, np.nan],
        }
    )
    result = replace(
        baseline, builds=builds, summary={**baseline.summary, "disclosure": disclosure.RULE}
    )
    summary = tables.builds_summary(result)
    assert summary["shortfall_avoided"].tolist()[0] == disclosure.SUPPRESSED
    assert summary["out_of_area_avoided"].tolist()[0] == 108
    assert pd.isna(summary["shortfall_avoided"].tolist()[1])
    assert summary["places"].tolist() == [16.0, 0.0]  # places are not children
    served = tables.builds_served(result).set_index("year")["base"]
    assert served.to_dict() == {2026: disclosure.SUPPRESSED, 2027: 16}
    working = tables.builds_served(replace(result, summary=baseline.summary))
    assert working.set_index("year")["base"].to_dict() == {2026: 4.2, 2027: 16.0}


def test_disclosure_on_the_working_sheets(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With disclosure on, the workbook's count sheets (headline, placements by tier, plans
    by need, gap by need and detail, capacity used) hold no count 1-4 and no fraction, and
    the grids' suppressed cells cannot be worked out from their totals."""
    from dataclasses import replace

    from sufficiency.report import tables

    result = replace(baseline, summary={**baseline.summary, "disclosure": disclosure.RULE})
    for name in ("by_tier", "ehc_plans_by_need", "gap_by_need"):
        frame, totals = tables.published(result, name, getattr(tables, name)(result))
        assert not totals
        _check_blocks([frame.drop(columns="year")])
    headline, _ = tables.published(result, "headline", tables.headline(result))
    counts = headline[["ehc_plans", "placed", "shortfall", "not_placed"]].to_numpy(object)
    shown = counts[counts != disclosure.SUPPRESSED].astype(float)
    assert np.all(shown == np.round(shown)) and not np.any((shown >= 1) & (shown <= 4))
    out = result.write(tmp_path / "out")
    book = load_workbook(out / "workbook.xlsx", read_only=True)
    for sheet in ("Summary", "Placements by tier", "EHC plans by need", "Sufficiency gap"):
        rows = list(book[sheet].iter_rows(min_row=4, values_only=True))
        head = [str(h) for h in next(book[sheet].iter_rows(min_row=3, max_row=3, values_only=True))]
        money = [i for i, h in enumerate(head) if "cost" in h.lower() or "£" in h]
        for row in rows:
            for i, v in enumerate(row[1:], start=1):
                if i in money or not isinstance(v, int | float):
                    continue
                assert v == round(v) and not 1 <= v <= 4, (sheet, head[i], v)
    book.close()
    # without disclosure the working figures stay as they are
    frame, totals = tables.published(baseline, "gap_by_need", tables.gap_by_need(baseline))
    assert totals and (frame.drop(columns="year").to_numpy() % 1 != 0).any()
