"""The forecast backtest benchmark still builds: its smallest size, once, without timing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import SHARED_DATA

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_backtest.py"
DATA = SHARED_DATA / "dfe_ehcp_by_age_2010_2022.csv"


@pytest.mark.skipif(
    not DATA.is_file(),
    reason=f"DfE published files not found in {SHARED_DATA} (they are not copied into the repo)",
)
def test_benchmark_smoke_one_la(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("forecast_backtest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--size", "one", "--no-write", "--workers", "1", "--data", str(DATA)]) == 0
    out = capsys.readouterr().out
    assert "dfe_by_age_band (one)" in out and "h=1:" in out and "coverage" in out
    # the forecast as used (issue 26): bands on 2022, totals on 2022-2023, and England
    assert "bands 2022" in out and "total 2023" in out and "England auto" in out
    # and England's coverage at more origins than the six points of the target
    assert "England fitted on 2016 to each of 2017-2020, 80% coverage pooled: auto" in out


def test_recorded_results_exist() -> None:
    results = SCRIPT.parent / "results"
    assert (results / "forecast_backtest.csv").is_file()
    assert "Acceptance" in (results / "forecast_backtest.md").read_text(encoding="utf-8")


@pytest.mark.skipif(
    not DATA.is_file(),
    reason=f"DfE published files not found in {SHARED_DATA} (they are not copied into the repo)",
)
def test_flows_method_benchmark_smoke_one_la(capsys: pytest.CaptureFixture[str]) -> None:
    script = SCRIPT.parent / "flows_method_backtest.py"
    spec = importlib.util.spec_from_file_location("flows_method_backtest", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--size", "one", "--data", str(SHARED_DATA)]) == 0
    out = capsys.readouterr().out
    assert "flows" in out and "national" in out and "auto" in out
