"""The benchmarks still run, and every engine gives the same objective on the bundled borough.

The timed benchmarks themselves live in ``benchmarks/``; CI runs them once on tiny boroughs
with ``SUFFICIENCY_BENCH_SMOKE=1 python -m pytest benchmarks --benchmark-disable``. Here:
the registry, the runner and comparer end to end on one smoke size, and the engines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# benchmarks/ is a folder of the repository (on the path via pyproject's pytest pythonpath)
from benchmarks import compare, drivers, run
from benchmarks.sizes import BASELINE, N_LAS, SIZES, select

from sufficiency.solve.lp import ENGINES, build_model, run_engine

#: PuLP's CBC route reads values back from text files: its objective differs by ~1e-9.
OBJECTIVE_RTOL = 1e-8


def test_registry() -> None:
    assert BASELINE.is_file()
    national = SIZES["national"].boroughs
    assert len(national) == N_LAS == 153
    assert {b.n_settings for b in national} == set(range(60, 71))
    assert len({b.seed for b in national}) == N_LAS
    default = [s.name for s in select(None)]
    assert "region-continuity" not in default
    assert len(select("national")[0].boroughs) < N_LAS <= len(select("national", las=0)[0].boroughs)
    assert all(b.n_settings == 12 for s in select("all", smoke=True) for b in s.boroughs)
    assert "allocation.continuity=false" in SIZES["region"].set_values
    with pytest.raises(KeyError, match="unknown size"):
        select("nowhere")


@pytest.mark.slow
def test_every_engine_gives_the_same_objective_on_the_bundled_borough() -> None:
    scenario, inputs = drivers.load(BASELINE)
    arrays = drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs))
    objectives = {}
    for engine in ENGINES:
        result = run_engine(build_model(arrays), engine, time_limit=60)
        assert result.status == "optimal", engine
        objectives[engine] = result.objective
    first = objectives["auto"]
    assert objectives == {e: pytest.approx(first, rel=OBJECTIVE_RTOL) for e in objectives}


@pytest.mark.slow
def test_runner_and_compare_on_a_smoke_size(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "smoke.json"
    results = run.main(["--smoke", "--sizes", "region", "--repeat", "1", "--json", str(out)])
    record = results["sizes"]["region"]
    figures = record["figures"]
    stages = [*run.STAGES, "end_to_end"]
    assert all(figures[f"{s}_s"] >= 0 for s in stages)
    assert figures["end_to_end_s"] > figures["build_solve_s"] > 0
    assert figures["arrays_identical"] and figures["objectives_agree"] and figures["all_optimal"]
    # recorded, not judged here: a child forked from this (large) test process inherits its
    # resident size in ru_maxrss; the runner measures it from a small parent
    assert figures["end_to_end_peak_rss_mib"] > 0
    assert {"load", "forecast", "arrays", "build", "solve", "write"} <= set(
        record["end_to_end_breakdown_s"]
    )
    assert results["machine"]["cores"] and results["machine"]["numpy"]
    assert results["checks"] == []  # acceptance is judged on full sizes only
    assert json.loads(out.read_text())["sizes"]["region"]["figures"] == figures
    assert "| build_solve" in out.with_suffix(".md").read_text()

    assert compare.main([str(out), "--baseline", str(out)]) == 0
    assert "no regression" in capsys.readouterr().out
    faster = json.loads(out.read_text())
    faster["sizes"]["region"]["figures"]["end_to_end_s"] /= 2
    (tmp_path / "faster.json").write_text(json.dumps(faster))
    assert compare.main([str(out), "--baseline", str(tmp_path / "faster.json")]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_region_continuity_benchmark_runs_on_a_smoke_borough(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Build + solve with dominated chains fixed empty agrees with the whole model."""
    from benchmarks import region_continuity

    assert region_continuity.main(["--repeat", "1", "--smoke", "--no-write"]) == 0
    assert "objective vs the whole model" in capsys.readouterr().out


def test_scale_table_says_which_targets_are_met() -> None:
    """The scale benchmark's table (benchmarks/scale.py) from a record of its shape: each
    figure against its target, met or not (the measuring itself takes minutes)."""
    from benchmarks import scale

    record = {
        "load_before": [0.1, 0.2, 0.3],
        "load_after": [1.0, 1.0, 1.0],
        "every_la": {"wall_s": 250.0, "las_done": 152, "las_failed": 0},
        "region_continuity": {
            "build_solve_wall_s": 7.5,
            "engine": "highs",
            "whole_model_alone": {"highs": {"wall_s": 60.0}, "cbc": {"wall_s": 50.0}},
        },
        "draws_200": {"wall_s": 21.0},
        "capital": {"capital_programme": {"wall_s": 4.2}},
        "machine": {"cpu": "x", "cores": 2},
    }
    text = scale.render(record)
    rows = {line.split("|")[1].strip()[:20]: line for line in text.splitlines() if "| <" in line}
    assert len(rows) == 4
    assert "not met" in rows["every LA's starter a"] and "(152 LAs, 0 failed)" in text
    assert "not met" not in rows["a 600-setting region"] and "highs 60.0 s, cbc 50.0 s" in text
    assert "not met" in rows["200 draws on the bun"]
    assert "not met" not in rows["`capital_programme` "]
