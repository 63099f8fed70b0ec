"""The starter for every council: reorganised councils start from their predecessors'
history, and with no real population the forecast method needs none."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sufficiency.cli import main
from sufficiency.sources.dfe_release import read_dfe_release
from sufficiency.sources.starter import write_starter

from conftest import SHARED_DATA

RELEASE = SHARED_DATA / "dfe_release_2025_to_2023"
needs_data = pytest.mark.skipif(
    not (RELEASE / "caseload.csv").is_file(),
    reason=f"DfE published files not found in {RELEASE} (they are not copied into the repo)",
)


@needs_data
@pytest.mark.parametrize("la", ["E06000061", "E06000062"])
def test_northamptonshire_successors_start_from_the_county_history(
    tmp_path: Path, la: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_starter(la, RELEASE, tmp_path / "starter")
    history = pd.read_csv(path.parent / "data" / "caseload.csv")
    totals = history.groupby("year")["children"].sum()
    assert list(totals.index) == [2019, 2020, 2021, 2022, 2023]
    own = read_dfe_release(RELEASE, la).caseload_total.set_index("year")["children"]
    county = read_dfe_release(RELEASE, "E10000021").caseload_total.set_index("year")["children"]
    both = sum(
        read_dfe_release(RELEASE, c).caseload_total.set_index("year")["children"][2022]
        for c in ("E06000061", "E06000062")
    )
    share = own[2022] / both
    for year in (2022, 2023):  # the council's own years, exactly as published
        assert totals[year] == pytest.approx(own[year], abs=1e-6)
    for year in (2019, 2020, 2021):  # the county's, apportioned by the 2022 share
        assert totals[year] == pytest.approx(county[year] * share, abs=0.01)
    text = path.read_text(encoding="utf-8")
    assert "history of a reorganised council: Northamptonshire split" in text
    code = main(["-q", "run", str(path), "--out", str(tmp_path / "run"), "--no-report"])
    assert code == 0, capsys.readouterr().err


@needs_data
def test_starter_without_population_uses_a_method_that_needs_none(tmp_path: Path) -> None:
    path = write_starter("Dudley", RELEASE, tmp_path / "starter")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["forecast"]["method"] == "flows"  # the published flows, no population
    assert "APPROXIMATION, NOT DATA" in path.read_text(encoding="utf-8")


@needs_data
def test_bcp_and_dorset_share_the_2019_history_of_the_three_old_areas(tmp_path: Path) -> None:
    totals = {}
    for la in ("E06000058", "E06000059"):
        path = write_starter(la, RELEASE, tmp_path / la)
        history = pd.read_csv(path.parent / "data" / "caseload.csv")
        totals[la] = history.groupby("year")["children"].sum()
        assert "the January 2019 history is the whole" in path.read_text(encoding="utf-8")
    # Bournemouth 1,045 + Poole 846 + Dorset county 2,392 plans in January 2019
    assert totals["E06000058"][2019] + totals["E06000059"][2019] == pytest.approx(4283, abs=0.01)
