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


def test_a_comparison_of_disclosed_scenarios_says_it_is_working_figures(
    write_tiny, tmp_path: Path
) -> None:
    """Each scenario's report is under disclosure control; the comparison's differences
    are not, and can reveal small counts: the page says so."""
    from dataclasses import replace

    from openpyxl import load_workbook

    from sufficiency.report.html import render_comparison
    from sufficiency.report.workbook import write_comparison_workbook

    again = tiny_scenario_dict()
    again["name"] = "again"
    comparison = sufficiency.compare([write_tiny(), write_tiny(scenario=again, folder="again")])
    said = "Working figures (no disclosure control): not for publication"
    assert said not in render_comparison(comparison.results, comparison.table)
    public = [replace(r, summary={**r.summary, "disclosure": "rule"}) for r in comparison.results]
    assert said in render_comparison(public, comparison.table)
    book = write_comparison_workbook(comparison.table, tmp_path / "c.xlsx", disclosed=True)
    plain = write_comparison_workbook(comparison.table, tmp_path / "p.xlsx")
    for path, expected in ((book, True), (plain, False)):
        wb = load_workbook(path, read_only=True)
        try:
            notes = [str(wb[s]["A1"].value) for s in ("Totals", "By year")]
        finally:
            wb.close()
        assert all((said in n) == expected for n in notes)


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
