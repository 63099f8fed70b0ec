"""One CLI: --version, global flags anywhere, compare's options and report, forecast's
headline and chart, schema into a closed pipe, and the example with every scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sufficiency.cli import main

from conftest import tiny_scenario_dict

SUFFICIENCY = [sys.executable, "-m", "sufficiency.cli"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("sufficiency ")


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_flags_before_or_after_the_command(
    write_tiny, tmp_path: Path, capfd: pytest.CaptureFixture[str], where: str
) -> None:
    path = str(write_tiny())
    args = ["validate", path, "--quiet"] if where == "after" else ["--quiet", "validate", path]
    assert main(args) == 0
    out, err = capfd.readouterr()
    assert "is valid" in out and err == ""  # no progress line


def test_compare_options_names_and_files(
    write_tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_tiny()
    doubled = tiny_scenario_dict()
    doubled["name"] = "named"
    doubled["overrides"] = {"shock": {"levers": {"demand": [{"multiplier": 2, "from_year": 2027}]}}}
    doubled["scenarios"] = {"shocked": ["shock"]}
    other = write_tiny(scenario=doubled, folder="other")
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            str(base),
            str(other),
            "--scenario",
            "",
            "--scenario",
            "shocked",
            "--set",
            "horizon_years=1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert f"scenario 1/2: {base}" in captured.err
    assert f"scenario 2/2: {other}@shocked" in captured.err
    assert str(out / "comparison.csv") in captured.out
    assert str(out / "comparison.xlsx") in captured.out
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert "scenarios compared" in page and "Side by side" in page
    import html

    import pandas as pd

    for name in pd.read_csv(out / "comparison.csv")["scenario"].unique():
        assert html.escape(name) in page
    assert "out of area in 2026" in captured.out  # horizon_years=1 applied to both
    assert main(["compare", str(base), str(other), "-s", "a", "-s", "b", "-s", "c", "--out", "x"])
    assert "once per file" in capsys.readouterr().err


def test_forecast_prints_a_headline_and_writes_its_chart(
    write_tiny,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chart draws the recorded history beside the projection (it drew the projection
    alone, so a forecast could not be judged against the years behind it)."""
    from sufficiency.report import plots

    drawn = []
    chart = plots.forecast_chart

    def spy(forecast: object, history: object = None, by: object = None) -> object:
        figure = chart(forecast, history, by)
        drawn.append(
            [line.get_label() for line in figure.axes[0].get_lines() if line.get_xdata().size]
        )
        return figure

    monkeypatch.setattr(plots, "forecast_chart", spy)
    out = tmp_path / "fc"
    assert main(["forecast", str(write_tiny()), "--out", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "EHC plans 2026:" in text and "% interval" in text
    assert (out / "charts" / "forecast.png").read_bytes().startswith(b"\x89PNG")
    assert len(drawn) == 1 and len(drawn[0]) == 2  # the projection and the recorded years


def test_schema_into_a_closed_pipe() -> None:
    shell = f"{sys.executable} -m sufficiency.cli schema --markdown | head -n 2"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("| key |")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_example_all_copies_every_scenario_and_they_load(tmp_path: Path) -> None:
    from sufficiency.config import load_scenario
    from sufficiency.example.bundled import example_scenarios

    folder = tmp_path / "elsewhere"
    assert main(["example", str(folder), "--all"]) == 0
    copied = sorted((folder / "scenarios").glob("*.yaml"))
    assert [p.name for p in copied] == [p.name for p in example_scenarios()]
    assert len(copied) >= 8
    repo = Path(__file__).resolve().parents[1] / "scenarios"
    assert {p.name for p in repo.glob("*.yaml")} == {p.name for p in copied}
    for path in copied:  # resolved inside the copy, not the package or the checkout
        scenario = load_scenario(path)
        assert scenario.data.caseload.is_relative_to(folder), path
        assert load_scenario(repo / path.name).name == scenario.name


def test_run_pdf_prints_the_report_or_says_what_to_install(
    write_tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sufficiency.report.pdf import find_browser

    path = str(write_tiny())
    if find_browser() is not None:
        out = tmp_path / "with"
        assert main(["--quiet", "run", path, "--out", str(out), "--pdf"]) == 0
        assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
        assert "report.pdf too" in capsys.readouterr().out
    monkeypatch.setenv("SUFFICIENCY_BROWSER", str(tmp_path / "no-such-browser"))
    out = tmp_path / "without"
    assert main(["--quiet", "run", path, "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "needs a Chromium-family browser" in err and "without --pdf" in err
    assert not out.exists()  # stopped before the run: nothing written
    assert main(["--quiet", "run", path, "--out", str(out), "--pdf", "--no-report"]) == 2


def test_levers_without_sen_support_say_schools_are_not_modelled_and_do_not_fail(
    write_tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run with a lever on inputs without SEN support (as every starter writes): the
    schools' share against the unmitigated run is null, and the command still prints the
    council's saving (a starter with capital options once ended in a traceback here)."""
    sc = tiny_scenario_dict()
    sc["levers"] = {"out_of_area": {"reduce_by": 0.5, "by_year": 2027}}
    path = write_tiny(scenario=sc)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--no-report"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    assert "against the unmitigated run: £" in captured.out
    assert "schools' notional SEN budgets £" not in captured.out
    import json

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["school_cost_against_unmitigated"] is None


def test_a_message_during_a_stage_starts_on_its_own_line(tmp_path: Path) -> None:
    """The bundled baseline warns while it projects demand: the warnings start on lines
    of their own, and the stage's time follows on a line naming the stage again."""
    baseline = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    done = subprocess.run(
        [*SUFFICIENCY, "run", str(baseline), "--out", str(tmp_path / "out"), "--no-report"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stderr.splitlines()
    warned = [i for i, line in enumerate(lines) if "WARNING" in line]
    assert warned, done.stderr
    assert all(lines[i].startswith("WARNING") for i in warned), done.stderr
    assert lines[warned[0] - 1] == "  projecting demand … "
    timed = lines[warned[-1] + 1]
    assert timed.startswith("  projecting demand … ") and timed.endswith("s"), done.stderr
    assert sum(line.startswith("  writing outputs … ") for line in lines) == 1


def test_progress_lines_around_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    from sufficiency.cli import _Progress

    progress = _Progress(enabled=True)
    progress("load")
    sys.stderr.write(progress.warning("something", UserWarning, "f.py", 1))
    progress("solve")
    progress.abandon()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "  loading scenario and inputs … "
    assert err[1] == "warning: something"
    assert err[2].startswith("  loading scenario and inputs … ") and err[2].endswith("s")
    assert err[3] == "  applying levers, building and solving the allocation … failed"


def test_compare_says_a_budgets_overrun(
    write_tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_tiny()
    capped = tiny_scenario_dict()
    capped["name"] = "capped"
    capped["levers"] = {"budget": {"base_gbp": 1000, "growth": 0.0}}
    other = write_tiny(scenario=capped, folder="capped")
    out = tmp_path / "cmp"
    assert main(["compare", "-q", str(base), str(other), "--out", str(out), "--no-report"]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = [i for i, line in enumerate(lines) if "budget overrun" in line]
    assert len(said) == 1  # under the scenario with the budget only
    assert lines[said[0] - 2].lstrip().startswith("capped:")
    assert "the saving needed" in lines[said[0]]
