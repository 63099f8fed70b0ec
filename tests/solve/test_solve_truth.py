"""A failed or partial solve is never read as an answer: time limits, failing or missing
engines, and values that break the model, in the main solve and in every re-solve."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sufficiency
from sufficiency.cli import main
from sufficiency.errors import SolveError
from sufficiency.solve import engines, lp
from sufficiency.solve.checks import allocation_violations, matrix_violations

from conftest import tiny_scenario_dict, tiny_tables

OPTION = {
    "name": "A",
    "creates": {"tier": "special_school", "needs": ["ASD"], "age_min": 4, "age_max": 18},
    "places": 10,
    "earliest_year": 2026,
    "capital_cost_gbp": 100_000,
    "cost_per_place_gbp": 30_000,
}


def capital_scenario() -> dict:
    sc = tiny_scenario_dict()
    sc["capital"] = {"options": [OPTION]}
    return sc


def failing_binary(tmp_path: Path) -> str:
    """A stand-in for the CBC program that fails at once."""
    script = tmp_path / "cbc-broken"
    script.write_text("#!/bin/sh\necho 'segmentation fault' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.fixture(scope="module")
def tiny_model() -> lp.AllocationModel:
    """The tiny borough's model with the market off: with it on, HiGHS's presolve solves
    the whole (tiny) model before a time limit of 0 s is ever checked."""
    tables = tiny_tables()
    sc = tiny_scenario_dict()
    sc["data"] = {k: f"{k}.csv" for k in tables}
    sc["allocation"] = {"market": {"enabled": False}}
    return sufficiency.run(sc, tables=tables).extras["model"]


def test_pulp_highs_stopped_by_the_time_limit_is_not_optimal(tiny_model) -> None:
    # PuLP maps a HiGHS time limit to LpStatusOptimal; the engine's own status is read
    result = lp.run_engine(tiny_model, "pulp-highs", 0.0)
    assert result.status == "time_limit"
    assert engines.solve_highs(tiny_model.matrix, time_limit=0.0).status == "time_limit"


def test_every_engine_out_of_time_is_a_solve_error(tiny_model, monkeypatch) -> None:
    monkeypatch.setattr(lp, "cbc_path", lambda: "/nonexistent/cbc")
    with pytest.raises(SolveError) as err:
        lp.solve_model(tiny_model, solver="highs", time_limit=0.0)
    text = str(err.value)
    assert "highs: stopped at the time limit of 0 s (allocation.time_limit_seconds)" in text
    assert "cbc: could not run (FileNotFoundError" in text
    assert "pulp-highs: stopped at the time limit" in text


def test_optimal_status_with_wrong_values_is_refused(tiny_model, monkeypatch) -> None:
    # an engine that says "optimal" but returns nothing placed (what PuLP's mapping gave)
    def zeros(model, engine, time_limit, start=None, basis=None, keep_basis=False):
        m = model.matrix
        return engines.EngineResult(
            "optimal",
            0.0,
            np.zeros(m.n_cols),
            np.zeros(m.n_cols),
            np.zeros(m.n_rows),
            np.zeros(m.n_rows),
            None,
            0.0,
        )

    monkeypatch.setattr(lp, "run_engine", zeros)
    monkeypatch.setattr(lp, "nudged_tie_break", lambda *a, **k: None)  # the engines' route
    with pytest.raises(SolveError, match="reported optimal, but its solution breaks the model"):
        lp.solve_model(tiny_model)


def test_the_nudged_route_checks_its_values_too(tiny_model, monkeypatch) -> None:
    # the tiny model goes to HiGHS's simplex, where the tie-break is found in one solve
    # (lp.nudged_tie_break): values that break the model send it to the two stages
    real = lp.matrix_violations
    calls: list[int] = []

    def broken_once(m, values):  # type: ignore[no-untyped-def]
        calls.append(1)
        return ["a row broken"] if len(calls) == 1 else real(m, values)

    answers: list[object] = []
    nudged = lp.nudged_tie_break
    monkeypatch.setattr(lp, "matrix_violations", broken_once)
    monkeypatch.setattr(
        lp, "nudged_tie_break", lambda *a, **k: answers.append(nudged(*a, **k)) or answers[-1]
    )
    solution = lp.solve_model(tiny_model)
    assert answers == [None] and len(calls) > 1
    assert matrix_violations(tiny_model.matrix, solution.columns) == []


def test_checks_find_each_kind_of_violation(tiny_model) -> None:
    m, arrays = tiny_model.matrix, tiny_model.arrays
    good = lp.solve_model(tiny_model).columns
    assert matrix_violations(m, good) == [] and allocation_violations(arrays, m, good) == []
    x = m.columns["x"]
    more = good.copy()
    more[x.start] += 1.0  # one child too many in a group
    assert any("conservation" in p for p in allocation_violations(arrays, m, more))
    assert any("'demand' rows" in p for p in matrix_violations(m, more))
    negative = good.copy()
    negative[x.start] = -1.0
    assert any("negative" in p for p in allocation_violations(arrays, m, negative))
    assert any("column bounds" in p for p in matrix_violations(m, negative))
    # fill the special school beyond its 10 places
    ss1 = int(np.flatnonzero(arrays.settings["setting"].to_numpy() == "SS1")[0])
    in_ss1 = np.flatnonzero((arrays.pair_setting == ss1) & (arrays.pair_year == 0))
    crowded = good.copy()
    crowded[x.start + in_ss1[0]] += 5.0
    assert any("capacity" in p for p in allocation_violations(arrays, m, crowded))
    nan = good.copy()
    nan[0] = np.nan
    assert matrix_violations(m, nan) == ["1 values are not finite"]


def test_broken_cbc_falls_back_in_the_build_valuation(write_tiny, tmp_path, monkeypatch) -> None:
    path = write_tiny(scenario=capital_scenario())
    reference = sufficiency.run(path).builds
    assert bool(reference.loc[0, "built"]) and reference.loc[0, "running_cost_saving"] > 0
    monkeypatch.setattr(lp, "cbc_path", lambda: failing_binary(tmp_path))
    again = sufficiency.run(path).builds
    pd.testing.assert_frame_equal(again, reference, check_exact=False, rtol=1e-6, atol=1e-3)


def test_missing_cbc_falls_back_everywhere(write_tiny, monkeypatch) -> None:
    path = write_tiny(scenario=capital_scenario())
    reference = sufficiency.run(path).builds
    monkeypatch.setattr(lp, "cbc_path", lambda: "/nonexistent/cbc")
    result = sufficiency.run(path)
    pd.testing.assert_frame_equal(result.builds, reference, check_exact=False, atol=1e-3)


def test_build_valuation_without_any_engine_is_a_clean_error(
    write_tiny, tmp_path, monkeypatch, capsys
) -> None:
    # the main solve succeeds (HiGHS); every re-solve without the build fails
    path = write_tiny(scenario=capital_scenario())
    monkeypatch.setattr(lp, "cbc_path", lambda: failing_binary(tmp_path))
    real = lp.solve_checked

    def main_solve_only(model, order, time_limit, *, what, **kw):
        if what.startswith("the allocation without"):
            order = ["cbc"]
        return real(model, order, time_limit, what=what, **kw)

    monkeypatch.setattr(lp, "solve_checked", main_solve_only)
    out = tmp_path / "out"
    code = main(["--quiet", "run", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert "the allocation without capital option 'A' could not be solved: cbc:" in err


def test_time_limit_without_fallback_exits_2(write_tiny, tmp_path, capsys) -> None:
    sc = tiny_scenario_dict()
    sc["allocation"] = {"solver": "highs", "fallback_solver": False}
    out = tmp_path / "out"
    args = ["--quiet", "run", str(write_tiny(scenario=sc)), "--out", str(out)]
    code = main([*args, "--set", "allocation.time_limit_seconds=1e-9"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert err.count("error:") == 1 and "stopped at the time limit of 1e-09 s" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_missing_cbc_without_fallback_exits_2(write_tiny, tmp_path, monkeypatch, capsys) -> None:
    sc = tiny_scenario_dict()
    sc["allocation"] = {"solver": "cbc", "fallback_solver": False}
    monkeypatch.setattr(lp, "cbc_path", lambda: str(tmp_path / "no-cbc"))
    out = tmp_path / "out"
    code = main(["--quiet", "run", str(write_tiny(scenario=sc)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert "cbc: could not run (FileNotFoundError" in err
