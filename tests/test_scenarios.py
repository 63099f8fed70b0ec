"""Every scenario in scenarios/ loads, runs on the bundled data and honours the contract."""

from pathlib import Path

import pytest

import sufficiency
from sufficiency.cli import main

from contract import check_all, check_continuity, check_out_of_area

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_runs(path: Path, tmp_path: Path) -> None:
    result = sufficiency.run(path)
    check_all(result)
    check_continuity(result)
    check_out_of_area(result)
    assert result.summary["status"] == "optimal"
    out = result.write(tmp_path / "out")
    for name in ("demand", "placements", "shortfall", "costs", "capacity", "forecast",
                 "local_places", "displaced"):
        assert (out / f"{name}.csv").is_file()
    assert (out / "summary.json").is_file()


def test_cli_run_writes_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["--quiet", "run", str(SCENARIOS[0]), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    import json

    import pandas as pd

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["timings"]) >= {"load", "forecast", "arrays", "build", "solve", "write"}
    assert summary["provenance"]["input_files"]["caseload"]["sha256"]
    placements = pd.read_csv(out / "placements.csv")
    assert {
        "year",
        "need",
        "age_band",
        "level",
        "setting",
        "tier",
        "in_area",
        "children",
        "unit_cost",
        "cost",
    } <= set(placements.columns)
    capacity = pd.read_csv(out / "capacity.csv")
    assert {"year", "setting", "tier", "in_area", "places", "used"} <= set(capacity.columns)
