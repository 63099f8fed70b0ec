"""The bundled baseline's headline numbers, pinned with tolerances.

If a deliberate change moves them, update the figures here and say why in the commit.
"""

import json
from pathlib import Path

import pytest

import sufficiency
from sufficiency.cli import main

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def result() -> sufficiency.Result:
    return sufficiency.run(BASELINE)


def test_headline_figures(result: sufficiency.Result) -> None:
    t = result.totals().set_index("year")
    assert result.summary["base_year_ehc_plans"] == pytest.approx(3300, abs=1)
    # ≈9% a year growth continues in the unmitigated baseline
    assert t.loc[2026, "ehc_plans"] == pytest.approx(3580, rel=0.02)
    assert t.loc[2035, "ehc_plans"] == pytest.approx(7656, rel=0.05)
    assert (
        t.loc[2026, "ehc_plans_lower"] < t.loc[2026, "ehc_plans"] < t.loc[2026, "ehc_plans_upper"]
    )
    # special schools are full, so a gap opens once independent places run out
    assert t.loc[2026, "shortfall"] == pytest.approx(0, abs=1)
    assert t.loc[2035, "shortfall"] > 500
    # continuing children stay in their (sometimes dearer) settings
    assert t.loc[2026, "cost"] == pytest.approx(77.3e6, rel=0.03)
    assert t.loc[2026, "placed_new"] < 0.4 * t.loc[2026, "placed"]
    assert result.summary["status"] == "optimal"


def test_run_time_recorded(result: sufficiency.Result) -> None:
    assert set(result.summary["timings"]) >= {"load", "forecast", "arrays", "build", "solve"}


def test_example_and_schema_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", str(tmp_path / "mine")]) == 0
    copied = tmp_path / "mine" / "scenario.yaml"
    assert copied.is_file() and (tmp_path / "mine" / "data" / "settings.csv").is_file()
    assert main(["--quiet", "validate", str(copied)]) == 0
    capsys.readouterr()
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "allocation" in schema["properties"]
