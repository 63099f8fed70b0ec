"""sweep(): LAs × scenarios as independent tasks on a Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sufficiency
from sufficiency.datasets import synthetic_borough
from sufficiency.sources.starter import write_starter
from sufficiency.sweep import COLUMNS, DRAW_COLUMNS, run_task, tasks_for

pytest.importorskip("distributed")

SCENARIOS = {"baseline": {}, "shock": {"levers.demand": [{"multiplier": 1.3, "from_year": 2027}]}}
FAST = ["horizon_years=4", "forecast.method=drift"]


@pytest.fixture(scope="module")
def las(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("las")
    return {f"LA{i}": synthetic_borough(12, seed=i, path=root / f"la{i}") for i in range(3)}


@pytest.mark.slow
def test_sweep_on_a_local_cluster_equals_runs_one_by_one(las: dict[str, Path]) -> None:
    seen: list[tuple[int, int]] = []
    result = sufficiency.sweep(
        las,
        SCENARIOS,
        set_values=FAST,
        n_workers=2,
        processes=False,
        on_progress=lambda done, total, _task, _error: seen.append((done, total)),
    )
    assert result.errors.empty
    assert seen[-1] == (6, 6) and len(seen) == 6
    table = result.table
    assert len(table) == 3 * 2 * 4
    assert list(table.columns[:3]) == ["la", "scenario", "year"]
    expected = []
    for la, path in las.items():
        for name, values in SCENARIOS.items():
            run = sufficiency.run(path, set_values={**dict(v.split("=") for v in FAST), **values})
            rows = pd.DataFrame(run.summary["by_year"])[["year", *COLUMNS]]
            expected.append(rows.assign(la=la, scenario=name))
    want = pd.concat(expected, ignore_index=True)[["la", "scenario", "year", *COLUMNS]]
    got = table[["la", "scenario", "year", *COLUMNS]]
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
    # the shock raises demand in every LA
    wide = table.pivot_table(index=["la", "year"], columns="scenario", values="demand")
    late = wide.xs(2029, level="year")
    assert (late["shock"] > late["baseline"]).all()


def test_a_broken_task_is_reported_and_the_rest_complete(
    las: dict[str, Path], tmp_path: Path
) -> None:
    scenarios = {"baseline": {}, "broken": ["horizon_years=-1"]}
    result = sufficiency.sweep(
        dict(list(las.items())[:2]), scenarios, set_values=FAST, n_workers=2, processes=False
    )
    assert sorted(result.errors["la"]) == ["LA0", "LA1"]
    assert set(result.errors["scenario"]) == {"broken"}
    assert result.errors["error"].str.contains("horizon_years").all()
    assert set(result.table["scenario"]) == {"baseline"}
    assert len(result.table) == 2 * 4
    out = result.write(tmp_path / "out")
    assert len(pd.read_csv(out / "errors.csv")) == 2
    assert len(pd.read_csv(out / "sweep.csv")) == 8


def test_tasks_with_draws_carry_the_probabilities(las: dict[str, Path]) -> None:
    (task,) = tasks_for({"LA0": las["LA0"]}, None, draws=3, seed=1, set_values=FAST)
    outcome = run_task(task)
    assert outcome.error is None and outcome.rows is not None
    assert set(DRAW_COLUMNS) <= set(outcome.rows.columns)
    assert outcome.rows["p_suffice"].between(0, 1).all()


def test_tasks_need_distinct_labels(tmp_path: Path) -> None:
    with pytest.raises(sufficiency.ScenarioError):
        tasks_for([tmp_path / "a" / "s.yaml", tmp_path / "b" / "a" / "s.yaml"])
    with pytest.raises(sufficiency.ScenarioError):
        tasks_for({})
    with pytest.raises(sufficiency.ScenarioError, match="DfE"):
        tasks_for("all")
    (task,) = tasks_for(tmp_path / "la" / "scenario.yaml")  # one file on its own
    assert task.la == "la" and task.scenario == "baseline"


def test_one_council_given_twice_is_refused(las: dict[str, Path], tmp_path: Path) -> None:
    """A council's folder copied beside it and both given: one council twice, whose rows
    would count twice in sweep.csv (before, both ran); distinct councils pass."""
    import shutil

    first = las["LA0"]
    copy = tmp_path / "la0 copy"
    shutil.copytree(first.parent, copy)
    with pytest.raises(sufficiency.ScenarioError, match="'la0' and 'la0 copy' read the same"):
        tasks_for([first, copy / first.name])
    with pytest.raises(sufficiency.ScenarioError, match="one council given twice"):
        tasks_for({"A": first, "B": copy / first.name})
    assert len(tasks_for([las["LA0"], las["LA1"], las["LA2"]])) == 3


def test_sweep_command(
    las: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sufficiency.cli import main

    out = tmp_path / "out"
    code = main(
        [
            "sweep",
            str(las["LA0"]),
            "--out",
            str(out),
            "--variant",
            "broken:horizon_years=-1",
            "--workers",
            "1",
            *[a for v in FAST for a in ("--set", v)],
        ]
    )
    assert code == 1  # one task failed
    captured = capsys.readouterr()
    assert "Dask dashboard: http" in captured.err
    assert "[2/2]" in captured.err
    assert "1 of 2 tasks done" in captured.out
    table = pd.read_csv(out / "sweep.csv")
    assert set(table["scenario"]) == {"baseline"} and set(table["la"]) == {"la0"}


RELEASE = Path(__file__).resolve().parents[2] / "shared" / "data" / "dfe_release_2025_to_2023"


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_las_of_the_dfe_files_from_their_starters(tmp_path: Path) -> None:
    every = tasks_for("all", None, dfe=RELEASE)
    assert len(every) == 152 and len({t.path for t in every}) == 152
    named = tasks_for(["332", "hartlepool"], None, dfe=RELEASE)
    assert [(t.la, t.path) for t in named] == [("Dudley", "332"), ("Hartlepool", "hartlepool")]
    result = sufficiency.sweep(
        ["332", "Hartlepool"], dfe=RELEASE, set_values=["horizon_years=4"], processes=False
    )
    assert result.errors.empty, result.errors
    assert set(result.table["la"]) == {"Dudley", "Hartlepool"} and len(result.table) == 8
    out = result.write(tmp_path / "national")
    national = pd.read_csv(out / "national.csv")
    assert sorted(national["la"]) == ["Dudley", "Hartlepool"]
    assert list(national["rank_gap"]) == [1, 2]
    dudley = national.set_index("la").loc["Dudley"]
    rows = result.table[result.table["la"] == "Dudley"]
    assert dudley["gap_per_1000_plans"] == pytest.approx(
        1000 * rows["shortfall"].sum() / rows["ehc_plans"].sum()
    )
    assert 0 <= dudley["out_of_area_share"] <= 1 and dudley["cost_per_plan"] > 0
    assert (out / "charts" / "ranking.png").is_file()


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_a_starter_task_keeps_a_full_runs_figures(tmp_path: Path) -> None:
    """A starter's task does not find the value of places, and the figures it keeps are a
    full run's of the same starter."""
    task = tasks_for(["Hartlepool"], None, dfe=RELEASE, set_values=["horizon_years=4"])[0]
    outcome = run_task(task)
    assert outcome.error is None and outcome.rows is not None
    path = write_starter("Hartlepool", RELEASE, tmp_path / "la")
    full = sufficiency.run(path, set_values={"horizon_years": 4})
    want = pd.DataFrame(full.summary["by_year"])[["year", *COLUMNS]]
    got = outcome.rows[["year", *COLUMNS]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)
    assert full.capacity["value_per_place"].notna().all()


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_a_starters_warning_names_its_la(caplog: pytest.LogCaptureFixture) -> None:
    """A sweep's starters are written in temporary folders: a warning naming a starter's
    file read '/tmp/sufficiency-starter-…/la/data/flows.csv', whichever council it was."""
    task = tasks_for(["City of London"], None, dfe=RELEASE, set_values=["horizon_years=2"])[0]
    with caplog.at_level("WARNING"):
        outcome = run_task(task)
    assert outcome.error is None
    said = [r.getMessage() for r in caplog.records if "flows.csv" in r.getMessage()]
    assert said and all("/City_of_London/data/flows.csv" in s for s in said)
    # what comes back with the task names the file as the starter's: its folder is gone
    kept = [w for w in outcome.warnings if "flows.csv" in w]
    assert kept and all("the starter's data/flows.csv" in w for w in kept)
    assert not any("sufficiency-starter" in w for w in outcome.warnings)


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_a_starters_error_names_the_starters_file_not_its_temporary_folder() -> None:
    task = tasks_for(["Dudley"], None, dfe=RELEASE, set_values=["horizon_years=-1"])[0]
    outcome = run_task(task)
    assert outcome.rows is None and outcome.error is not None
    assert "the starter's scenario.yaml: horizon_years" in outcome.error
    assert "sufficiency-starter" not in outcome.error


def test_worker_processes_keep_python_text_and_the_table_comes_back_in_the_callers() -> None:
    from sufficiency.sweep import Outcome, Task, _worker_plugin, gather

    with pd.option_context("mode.string_storage", "pyarrow"):  # a notebook's default
        _worker_plugin().setup(None)  # as in a worker process the sweep started
        assert pd.get_option("mode.string_storage") == "python"
        rows = pd.DataFrame({"la": ["A", "A"], "scenario": ["base"] * 2, "year": [2026, 2027]})
        assert rows["la"].dtype.storage == "python"
        pd.set_option("mode.string_storage", "pyarrow")  # back in the caller's process
        task = Task("A", "base", "a.yaml")
        table = gather([task], [Outcome(task, rows, None, 1.0)], None, 1.0).table
        assert table["la"].dtype.storage == "pyarrow" == table["scenario"].dtype.storage
        assert table.columns.dtype.storage == "pyarrow"
        assert table["la"].tolist() == ["A", "A"] and table["year"].tolist() == [2026, 2027]


def test_the_sweeps_worker_processes_keep_the_c_librarys_memory_trimming() -> None:
    """Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which cost a sweep's tasks
    about a tenth of their CPU (``benchmarks/results/sweep.md``): the sweep's own cluster
    starts its worker processes without it, and without the statistical profiler."""
    import os

    import dask

    from sufficiency.sweep import local_cluster

    cluster, client = local_cluster(1, True)
    try:
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    finally:
        client.close()
        cluster.close()
    assert list(seen.values()) == [None]
    assert list(profiling.values()) == [False]


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_a_tasks_warnings_come_back_with_it_every_time_and_are_not_shown() -> None:
    """The release's 2022 new plans for Kingston upon Hull are the region's (6,078), taken
    from their breakdown by age: the task says so in its outcome, however many tasks of
    the process have said it, and nothing is shown in the worker."""
    import warnings

    task = tasks_for(["Kingston upon Hull"], None, dfe=RELEASE, set_values=["horizon_years=2"])[0]
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")  # Python's own: once per place in the code
        outcomes = [run_task(task), run_task(task)]
    for outcome in outcomes:
        assert outcome.error is None
        said = [w for w in outcome.warnings if "newplans.csv" in w]
        assert len(said) == 1 and "new_ehc_plans of Kingston upon Hull" in said[0]
        assert "taken as 364" in said[0]
    assert not [w for w in shown if "newplans.csv" in str(w.message)]


def test_task_warnings_keep_each_threads_own_and_show_the_rest() -> None:
    """Tasks in threads of one process keep their own warnings and log records; a warning
    outside a task is shown as before."""
    import logging
    import threading
    import warnings

    from sufficiency.errors import DataWarning
    from sufficiency.sweep import task_warnings

    log = logging.getLogger("sufficiency.test")
    kept: dict[str, list[str]] = {}
    started = threading.Barrier(2)

    def task(name: str) -> None:
        with task_warnings() as mine:
            started.wait()  # both tasks inside their blocks at once
            warnings.warn(f"{name}: a cell estimated", DataWarning, stacklevel=1)
            log.warning("%s: a file logged", name)
            warnings.warn(f"{name}: a cell estimated", DataWarning, stacklevel=1)  # once
            started.wait()
        kept[name] = mine

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=task, args=(n,)) for n in ("north", "south")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        warnings.warn("outside any task", DataWarning, stacklevel=1)
    assert kept == {
        "north": ["north: a cell estimated", "north: a file logged"],
        "south": ["south: a cell estimated", "south: a file logged"],
    }
    assert [str(w.message) for w in shown] == ["outside any task"]


@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_the_sweep_command_says_each_tasks_warnings_and_writes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker process's warnings come back with their task: the command says them as
    `warning: LA / scenario: message` (no file, line or code of the library) and
    writes them in warnings.csv; summary.json counts them."""
    import json

    from sufficiency.cli import main

    out = tmp_path / "out"
    args = ["sweep", "--dfe", str(RELEASE), "--la", "E06000010", "--la", "E06000011"]
    code = main([*args, "--out", str(out), "--workers", "1", "--set", "horizon_years=2"])
    assert code == 0
    captured = capsys.readouterr()
    assert "warning: Kingston upon Hull, City of / baseline: " in captured.err
    assert "warning: East Riding of Yorkshire / baseline: " in captured.err
    assert "DataWarning" not in captured.err and "starter.py" not in captured.err
    assert "2 warnings (warnings.csv)" in captured.out
    said = pd.read_csv(out / "warnings.csv")
    assert list(said.columns) == ["la", "scenario", "warning"]
    assert said["la"].tolist() == ["Kingston upon Hull, City of", "East Riding of Yorkshire"]
    assert said["warning"].str.contains("newplans.csv").all()
    assert json.loads((out / "summary.json").read_text())["warnings"] == 2


@pytest.mark.slow
@pytest.mark.skipif(not RELEASE.is_dir(), reason="the shared DfE release is not at hand")
def test_ctrl_c_during_a_sweep_says_interrupted_and_nothing_of_dasks(tmp_path: Path) -> None:
    """Ctrl-C while a worker runs a task: the command ends with "interrupted" (code 130),
    with no output folder and no worker process left; Dask's notes of the cancelled task
    ("… ended with CancelledError") and of the worker it stopped are not printed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from solve.test_signals import _DEFAULT_CTRL_C

    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    las = [a for code in ("E06000010", "E06000011", "E06000012") for a in ("--la", code)]
    cmd = [sys.executable, "-c", _DEFAULT_CTRL_C, "sweep", "--dfe", str(RELEASE), *las]
    cmd += ["--workers", "1", "--out", str(out)]
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while "[1/3]" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends Ctrl-C
        code = proc.wait(timeout=60)
        _, alive = psutil.wait_procs(workers, timeout=5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    said = log.read_text()
    assert code == 130 and said.rstrip().endswith("interrupted"), said
    assert "CancelledError" not in said and "distributed" not in said
    assert not out.exists() and not alive


def _sweep_table() -> pd.DataFrame:
    rows = []
    for la, gap, away in (
        ("Small", [1.2, 0.2, 2.4], [3.0, 0.0, 6.0]),
        ("Large", [9, 12, 40], [50, 60, 70]),
    ):
        for i, year in enumerate((2026, 2027, 2028)):
            rows.append(
                {
                    "la": la,
                    "scenario": "baseline",
                    "year": year,
                    "ehc_plans": 1000.4 + i,
                    "demand": 900.0,
                    "placed": 900.0,
                    "out_of_area": away[i],
                    "market": gap[i],
                    "no_place": 0.0,
                    "shortfall": gap[i],
                    "hnb_cost": 1.5e6,
                    "transport_cost": 2.5e5,
                    "total_cost": 1.75e6,
                }
            )
    return pd.DataFrame(rows)


def test_a_sweep_under_disclosure_control_is_also_written_as_published(tmp_path: Path) -> None:
    from sufficiency.postprocess.disclosure import SUPPRESSED
    from sufficiency.sweep import Sweep

    table = _sweep_table()
    errors = pd.DataFrame(columns=["la", "scenario", "error"])
    assert Sweep(table, errors).published() is None  # no task under disclosure control
    assert not (Sweep(table, errors).write(tmp_path / "plain") / "published").exists()
    sweep = Sweep(table, errors, disclosed=(("Small", "baseline"),))
    public = sweep.published()
    assert public is not None
    assert list(public.columns) == [
        "la", "scenario", "year", "ehc_plans", "shortfall", "out_of_area",
        "hnb_cost", "transport_cost", "total_cost",
    ]  # fmt: skip
    small = public[public["la"] == "Small"].set_index("year")
    assert small.loc[2026, "shortfall"] == SUPPRESSED
    assert small.loc[2026, "out_of_area"] == SUPPRESSED
    for col in ("shortfall", "out_of_area"):  # no hidden year worked out from the total
        hidden = (small[col] == SUPPRESSED).sum()
        assert hidden != 1
    assert small.loc[2026, "ehc_plans"] == 1000 and small.loc["total", "total_cost"] == 5.25e6
    large = public[public["la"] == "Large"].set_index("year")
    assert large.loc["total", "shortfall"] == 61 and large.loc[2026, "shortfall"] == 9

    out = sweep.write(tmp_path / "out")
    assert pd.read_csv(out / "sweep.csv")["shortfall"].iloc[0] == 1.2  # working figures
    written = pd.read_csv(out / "published" / "sweep.csv", dtype=str)
    assert (written["shortfall"] == SUPPRESSED).sum() >= 2
    national = pd.read_csv(out / "published" / "national.csv", dtype=str).set_index("la")
    assert national.loc["Large", "gap_per_1000_plans"] == str(1000 * 61 / 3003)
    assert national.loc["Small", "gap_per_1000_plans"] == SUPPRESSED  # its total is hidden
    assert pd.isna(national.loc["Small", "rank_gap"]) and national.loc["Large", "rank_gap"] == "1.0"
    assert "not for publication" in (out / "published" / "README.txt").read_text(encoding="utf-8")
    assert (out / "charts" / "ranking.png").is_file()
    import json

    assert json.loads((out / "summary.json").read_text())["under_disclosure_control"] == 1


def test_a_task_under_disclosure_control_says_so(las: dict[str, Path], tmp_path: Path) -> None:
    from sufficiency.sweep import gather

    tasks = tasks_for(
        {"LA0": las["LA0"]}, {"baseline": {}, "open": ["report.disclosure=false"]},
        set_values=[*FAST, "report.disclosure=true"],
    )  # fmt: skip
    outcomes = [run_task(t) for t in tasks]
    assert [o.disclosure for o in outcomes] == [True, False]
    sweep = gather(tasks, outcomes, None, 1.0)
    assert sweep.disclosed == (("LA0", "baseline"),)
    out = sweep.write(tmp_path / "out", ranking=False)
    public = pd.read_csv(out / "published" / "sweep.csv", dtype=str)
    assert set(public["scenario"]) == {"baseline", "open"}  # the sweep as published: every task
    assert set(public["year"]) == {"2026", "2027", "2028", "2029", "total"}
