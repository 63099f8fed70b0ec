"""The plan's tie-break in one HiGHS solve and two warm runs (a nudged first run): the
answer of the two stages, by another path, where HiGHS solves by the simplex."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_tiebreak import _competing, _gap, _placed

import sufficiency
from sufficiency.errors import DataWarning
from sufficiency.solve import engines, lp
from sufficiency.sources.starter import write_starter

from conftest import SHARED_DATA, tiny_scenario_dict, tiny_tables

RELEASE = SHARED_DATA / "dfe_release_2025_to_2023"
needs_data = pytest.mark.skipif(
    not (RELEASE / "caseload.csv").is_file(),
    reason=f"DfE published files not found in {RELEASE} (they are not copied into the repo)",
)


class _Spy:
    """Counts :func:`lp.nudged_tie_break`'s answers (None: the two stages ran instead)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: list[bool] = []
        real = lp.nudged_tie_break

        def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
            got = real(*args, **kwargs)
            self.answers.append(got is not None)
            return got

        monkeypatch.setattr(lp, "nudged_tie_break", spy)


def _two_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lp, "nudged_tie_break", lambda *a, **k: None)


def _same(a: sufficiency.Result, b: sufficiency.Result) -> None:
    assert a.summary["total_cost"] == pytest.approx(b.summary["total_cost"], rel=1e-9)
    pd.testing.assert_series_equal(_gap(a), _gap(b), atol=1e-6, rtol=0)
    pd.testing.assert_series_equal(_placed(a), _placed(b), atol=1e-6, rtol=0)


@pytest.mark.parametrize("nudge", [0.01, 1e6])
def test_the_nudged_route_gives_the_two_stages_answer(
    write_tiny, monkeypatch: pytest.MonkeyPatch, nudge: float
) -> None:
    """Three groups competing for two schools at one price (many equally cheap splits):
    the same split either way; a nudge large enough to trade money (£1m a unit of score:
    its first run costs £8.5m against £7.6m) is undone by the run at the model's own
    costs."""
    path = write_tiny()
    tables = _competing(asd=9, semh=7, mld=5, places=12, second=4, rows=3)
    highs = {"allocation.solver": "highs", "allocation.fallback_solver": False}
    with monkeypatch.context() as patch:
        patch.setattr(lp, "TIE_NUDGE", nudge)
        spy = _Spy(patch)
        nudged = sufficiency.run(path, tables=tables, set_values=highs, returns=False)
        assert spy.answers and all(spy.answers)
    _two_stages(monkeypatch)
    _same(nudged, sufficiency.run(path, tables=tables, set_values=highs, returns=False))


def test_the_nudged_run_alone_is_run_without_highs_cost_perturbation(
    write_tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run's costs carry the nudge (HiGHS's own perturbation is off for it, in
    each part); the runs at the model's own costs and over the face keep HiGHS's."""
    calls: list[tuple[bool, bool]] = []
    real = engines.solve_highs

    def spy(m, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((kwargs.get("perturbed_costs", False), kwargs.get("basis") is not None))
        return real(m, **kwargs)

    monkeypatch.setattr(engines, "solve_highs", spy)
    tables = _competing(asd=9, semh=7, mld=5, places=12, second=4, rows=3)
    highs = {"allocation.solver": "highs", "allocation.fallback_solver": False}
    # (no money-only re-solve: its costs are not nudged)
    sufficiency.run(
        write_tiny(), tables=tables, set_values=highs, returns=False, place_values=False
    )
    first = [perturbed for perturbed, warm in calls if not warm]
    assert first and all(first)  # each part of the nudged model, from scratch
    assert [perturbed for perturbed, warm in calls if warm] == [False, False]


def test_interior_point_solves_keep_the_two_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS's interior point is many times slower on nudged costs: a model it would solve
    so is solved in two stages."""
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(engines, "HIGHS_IPM_ROWS", 0)
    monkeypatch.setattr(engines, "_verdicts", {})
    monkeypatch.setattr(engines, "_presolve_halves", lambda h: False)
    result = sufficiency.run(
        tiny_scenario_dict(), tables=tiny_tables(), set_values={"allocation.solver": "highs"}
    )
    assert result.summary["status"] == "optimal"
    assert spy.answers == []


@needs_data
@pytest.mark.slow
def test_a_councils_starter_same_allocation_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A starter from the DfE release (HiGHS's simplex: presolve halves its largest part):
    the nudged route is taken and gives the two stages' allocation and cost."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        path = write_starter("Hartlepool", RELEASE, tmp_path / "la")
        with monkeypatch.context() as patch:
            spy = _Spy(patch)
            nudged = sufficiency.run(path, returns=False, place_values=False)
            assert spy.answers == [True]
        _two_stages(monkeypatch)
        plain = sufficiency.run(path, returns=False, place_values=False)
    _same(nudged, plain)
    np.testing.assert_allclose(
        nudged.placements["total_cost"].sum(), plain.placements["total_cost"].sum(), rtol=1e-9
    )
