"""`sufficiency compare`: the comparison table, its workbook, and named scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sufficiency
from sufficiency.cli import main
from sufficiency.errors import ScenarioError
from sufficiency.report import labels

from conftest import tiny_scenario_dict


def test_compare_writes_table_and_workbook(write_tiny, tmp_path: Path, capsys) -> None:
    base = write_tiny()
    shocked = tiny_scenario_dict()
    shocked["name"] = "shock"
    shocked["levers"] = {"demand": [{"needs": ["ASD"], "multiplier": 1.5, "from_year": 2027}]}
    shock = write_tiny(scenario=shocked, folder="shock")
    out = tmp_path / "cmp"
    assert main(["--quiet", "compare", str(base), str(shock), "--out", str(out)]) == 0
    assert "compared 2 scenarios" in capsys.readouterr().out
    table = pd.read_csv(out / "comparison.csv")
    assert table["scenario"].tolist() == ["tiny", "tiny", "shock", "shock"]
    first = table[table["scenario"] == "tiny"]
    # no SEN support in the tiny borough: schools' budgets are not modelled (blank), never 0
    assert table["school_cost"].isna().all() and table["school_cost_diff"].isna().all()
    assert (first.filter(like="_diff").dropna(axis=1).abs() < 1e-9).all().all()
    shock_rows = table[table["scenario"] == "shock"].set_index("year")
    assert shock_rows.loc[2026, "demand_diff"] == pytest.approx(0.0)
    assert shock_rows.loc[2027, "demand_diff"] > 0  # more ASD demand from 2027
    assert shock_rows.loc[2027, "cost_diff"] > 0
    totals = pd.read_excel(out / "comparison.xlsx", sheet_name="Totals", skiprows=2)
    assert totals["Scenario"].tolist() == ["tiny", "shock"]
    np.testing.assert_allclose(
        totals[labels.label("cost_diff")],
        table.groupby("scenario", sort=False)["cost_diff"].sum().to_numpy(),
    )
    assert (totals[labels.label("school_cost")] == labels.NOT_MODELLED).all()
    by_year = pd.read_excel(out / "comparison.xlsx", sheet_name="By year", skiprows=2)
    assert len(by_year) == len(table)
    assert (by_year[labels.label("school_cost")] == labels.NOT_MODELLED).all()
    plain = tmp_path / "plain"
    assert (
        main(["--quiet", "compare", str(base), str(shock), "--out", str(plain), "--no-report"]) == 0
    )
    assert (plain / "comparison.csv").is_file() and not (plain / "comparison.xlsx").exists()


def test_compare_in_python(write_tiny) -> None:
    again = tiny_scenario_dict()
    again["name"] = "again"
    comparison = sufficiency.compare([write_tiny(), write_tiny(scenario=again, folder="again")])
    assert [r.summary["scenario"] for r in comparison.results] == ["tiny", "again"]
    assert (comparison.table["cost_diff"].abs() < 1e-6).all()  # same borough, same answer
    stages: list[str] = []
    with pytest.raises(ScenarioError, match="different names"):
        sufficiency.compare([write_tiny(), write_tiny(folder="twin")], on_stage=stages.append)
    assert stages == []  # said before any scenario was run


def test_a_comparison_of_disclosed_scenarios_is_published_as_they_are(
    write_tiny, tmp_path: Path
) -> None:
    """Scenarios under disclosure control: the comparison's page, workbook and
    published/comparison.csv show their counts as published (whole children, 1-4 and what
    would reveal them 'c', differences between published figures), and comparison.csv keeps
    the working figures (before, the page showed working figures and said so)."""
    from dataclasses import replace

    from openpyxl import load_workbook

    from sufficiency.postprocess.comparison import (
        CHILD_YEARS,
        PUBLISHED_COUNTS,
        PUBLISHED_NOTE,
        published_comparison,
    )
    from sufficiency.postprocess.disclosure import SUPPRESSED
    from sufficiency.report.html import render_comparison
    from sufficiency.report.workbook import write_comparison_workbook

    again = tiny_scenario_dict()
    again["name"] = "again"
    again["levers"] = {"demand": [{"multiplier": 1.2, "from_year": 2026}]}
    comparison = sufficiency.compare([write_tiny(), write_tiny(scenario=again, folder="again")])
    table = comparison.table.copy()
    mine = (table["scenario"] == table["scenario"].iloc[0]).to_numpy()
    # a small count in the first year of the first scenario, the others large
    table.loc[mine, "shortfall"] = [2.4, *(40.0 + 10 * k for k in range(int(mine.sum()) - 1))]
    public = published_comparison(table)
    for column in PUBLISHED_COUNTS:
        for value in public[column]:
            assert (
                value == SUPPRESSED
                or pd.isna(value)
                or (isinstance(value, int) and (value == 0 or value >= 5))
            ), (column, value)
    first = public[public["scenario"] == public["scenario"].iloc[0]]
    hidden = (first["shortfall"] == SUPPRESSED).sum()
    assert first["shortfall"].iloc[0] == SUPPRESSED and hidden >= 2  # not from the total
    assert (public.loc[public["shortfall"] == SUPPRESSED, "shortfall_diff"] == SUPPRESSED).all()
    total = first[first["year"] == "total"]
    shown = first[(first["year"] != "total") & (first["shortfall"] != SUPPRESSED)]
    assert total["shortfall"].iloc[0] != SUPPRESSED and set(CHILD_YEARS) <= set(public.columns)
    assert int(total["shortfall"].iloc[0]) > int(shown["shortfall"].sum())
    disclosed = [
        replace(r, summary={**r.summary, "disclosure": "rule"}) for r in comparison.results
    ]
    page = render_comparison(disclosed, table, public)
    assert PUBLISHED_NOTE.split(":")[0] in page and "Working figures" not in page
    working = "Working figures (no disclosure control): not for publication"
    assert working in render_comparison(disclosed, table)  # a notebook's page of them
    assert working not in render_comparison(comparison.results, table)
    book = write_comparison_workbook(table, tmp_path / "c.xlsx", published=public)
    wb = load_workbook(book, read_only=True)
    try:
        notes = [str(wb[s]["A1"].value) for s in ("Totals", "By year")]
        cells = [c for row in wb["By year"].iter_rows(values_only=True) for c in row]
    finally:
        wb.close()
    assert all(PUBLISHED_NOTE in n for n in notes) and SUPPRESSED in cells
    out = comparison.write(tmp_path / "out")  # the tiny scenarios are not disclosed
    assert not (out / "published").exists()


def test_compare_writes_the_published_comparison(write_tiny, tmp_path: Path) -> None:
    import pandas as pd

    base = tiny_scenario_dict()
    base["report"] = {"disclosure": True}
    other = dict(base, name="other")
    comparison = sufficiency.compare(
        [write_tiny(scenario=base), write_tiny(scenario=other, folder="other")]
    )
    out = comparison.write(tmp_path / "out")
    public = pd.read_csv(out / "published" / "comparison.csv", dtype=str, keep_default_na=False)
    working = pd.read_csv(out / "comparison.csv")
    assert "total" in set(public["year"]) and "placed_special_school" not in public.columns
    assert "placed_special_school" in working.columns  # the working figures, in full
    assert "not for publication" in (out / "published" / "README.txt").read_text()
    # summary.json as a disclosed run's folder holds it: counts whole, 1-4 as c
    import json

    from sufficiency.postprocess.disclosure import protect_summary

    summaries = json.loads((out / "summary.json").read_text())
    for got, run in zip(summaries, comparison.results, strict=True):
        plain = {k: v for k, v in run.summary.items() if k != "provenance"}
        assert got == json.loads(json.dumps(protect_summary(plain)))
        assert got != json.loads(json.dumps(plain))  # something was protected


def test_compare_checks_every_scenario_before_running_any(write_tiny, tmp_path: Path) -> None:
    """A missing or invalid later scenario is said at once, not after the first has run."""
    stages: list[str] = []
    with pytest.raises(ScenarioError, match="not found"):
        sufficiency.compare([write_tiny(), tmp_path / "nowhere.yaml"], on_stage=stages.append)
    bad = tiny_scenario_dict()
    bad["horizon_years"] = "ten"
    with pytest.raises(ScenarioError, match="horizon_years"):
        sufficiency.compare(
            [write_tiny(), write_tiny(scenario=bad, folder="bad")], on_stage=stages.append
        )
    assert stages == []


def test_every_difference_of_a_comparison_has_a_header() -> None:
    """The comparison workbook's difference columns read 'Hnb cost diff' for every figure
    but three; each now names its figure."""
    from sufficiency.postprocess.comparison import COMPARED
    from sufficiency.report.labels import label

    assert label("hnb_cost_diff") == "High Needs Block cost against the first"
    for figure in COMPARED:
        assert label(f"{figure}_diff") == f"{label(figure)} against the first" or figure in (
            "cost",
            "shortfall",
            "out_of_area",
        )
        assert "diff" not in label(f"{figure}_diff")
