"""Solves side by side: parts and the unmitigated plan in threads, cancelled with their caller."""

from __future__ import annotations

import importlib
import threading
import time

import numpy as np
import pytest

import sufficiency
from sufficiency.solve import engines
from sufficiency.solve.beside import Beside
from sufficiency.solve.lp import cbc_path, solve_bulk
from sufficiency.solve.matrix import LpMatrix

from conftest import tiny_scenario_dict, tiny_tables

planning = importlib.import_module("sufficiency.allocate.plan")  # the module, not its plan()


def _parts(n: int) -> LpMatrix:
    """``n`` independent rows x_i ≥ i + 1 at cost i + 1: optimum sum (i + 1)²."""
    m = LpMatrix(
        cost=np.arange(1.0, n + 1),
        lower=np.zeros(n),
        upper=np.full(n, np.inf),
        integer=np.zeros(n, dtype=bool),
        columns={"x": slice(0, n)},
    )
    m.add_block(
        "r", np.arange(n), np.arange(n), np.ones(n), np.arange(1.0, n + 1), np.full(n, np.inf)
    )
    return m


def test_side_by_side_keeps_order_and_each_answer() -> None:
    items = list(range(12))
    assert engines.side_by_side(lambda i: i * i, items) == [i * i for i in items]
    m = _parts(6)
    parts = solve_bulk(m, "highs")  # six parts, solved in threads
    whole = solve_bulk(m, "highs", split=False)
    assert parts.status == whole.status == "optimal"
    assert parts.objective == pytest.approx(whole.objective) == sum((i + 1) ** 2 for i in range(6))
    np.testing.assert_allclose(parts.col_value, np.arange(1.0, 7))


@pytest.mark.parametrize("perturbed", [True, False])
def test_each_part_is_told_its_costs_are_perturbed(
    monkeypatch: pytest.MonkeyPatch, perturbed: bool
) -> None:
    """A model nudged toward the tie-break score is so in every part: each part's HiGHS run
    is told (no cost perturbation of its own), whole or in parts."""
    told: list[bool] = []
    real = engines.solve_highs

    def spy(m, **kwargs):  # type: ignore[no-untyped-def]
        told.append(kwargs.get("perturbed_costs", False))
        return real(m, **kwargs)

    monkeypatch.setattr(engines, "solve_highs", spy)
    for split in (True, False):
        assert solve_bulk(_parts(6), "highs", split=split, perturbed_costs=perturbed).status == (
            "optimal"
        )
    assert told == [perturbed] * 7  # six parts, then the model whole


def test_an_error_in_one_item_is_raised_and_the_rest_dropped() -> None:
    started: list[int] = []

    def one(i: int) -> int:
        started.append(i)
        if i == 0:
            raise ValueError("part 0 failed")
        return i

    with pytest.raises(ValueError, match="part 0 failed"):
        engines.side_by_side(one, list(range(200)))
    assert len(started) < 200  # what had not started was dropped


def test_a_cancelled_token_stops_its_solves_and_their_threads() -> None:
    token = engines.CancelToken()
    m = _parts(4)
    with engines.cancellable(token):
        assert solve_bulk(m, "highs").status == "optimal"  # not cancelled yet
        engines.cancel(token)
        with pytest.raises(engines.CancelledError):
            engines.solve_highs(m)
        with pytest.raises(engines.CancelledError):
            solve_bulk(m, "highs")  # the parts' threads obey the caller's token
        with pytest.raises(engines.CancelledError):
            engines.CbcRun(m, cbc_path())
    assert engines.solve_highs(m).status == "optimal"  # outside the block: no token


def test_a_clp_process_of_a_cancelled_run_is_killed_and_never_read() -> None:
    token = engines.CancelToken()
    m = _parts(3)
    with engines.cancellable(token):
        run = engines.CbcRun(m, cbc_path())
        engines.cancel(token)
        with pytest.raises(engines.CancelledError):
            run.result()
    assert run.proc.poll() is not None  # the process has ended
    assert not token.processes


def test_beside_returns_raises_and_cancels() -> None:
    assert Beside("square", lambda x: x * x, 7).result() == 49
    failing = Beside("fail", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result()
    go = threading.Event()

    def solve_later() -> float:
        go.wait(10)
        return engines.solve_highs(_parts(2)).objective

    later = Beside("later", solve_later)
    later.cancel()
    go.set()
    with pytest.raises(engines.CancelledError):
        later.result()
    assert later.seconds is not None


def test_an_interrupted_run_cancels_its_unmitigated_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the plan is solved: the unmitigated plan beside it is cancelled (its
    solver processes killed, no engine started again) and the interruption raised."""
    made: list[Beside] = []
    go = threading.Event()
    real_unmitigated = planning._unmitigated

    class Recorded(Beside):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    real_solved = planning._solved

    def solved(scenario, *args, **kwargs):  # type: ignore[no-untyped-def]
        if scenario.levers.active:  # the plan itself: interrupted
            raise KeyboardInterrupt
        return real_solved(scenario, *args, **kwargs)

    def unmitigated(*args, **kwargs):  # type: ignore[no-untyped-def]
        go.wait(10)  # the unmitigated plan starts solving after the interruption
        return real_unmitigated(*args, **kwargs)

    monkeypatch.setattr(planning, "Beside", Recorded)
    monkeypatch.setattr(planning, "BESIDE_MIN_PAIRS", 0)  # beside, small as the model is
    monkeypatch.setattr(planning, "_solved", solved)
    monkeypatch.setattr(planning, "_unmitigated", unmitigated)
    levers = {"out_of_area": {"reduce_by": 0.5, "by_year": 2027}}
    scenario = {**tiny_scenario_dict(), "forecast": {"method": "naive"}, "levers": levers}
    with pytest.raises(KeyboardInterrupt):
        sufficiency.run(scenario, tables=tiny_tables())
    (beside,) = made
    go.set()
    with pytest.raises(engines.CancelledError):
        beside.result()


@pytest.mark.parametrize("beside", [False, True], ids=["after", "beside"])
def test_a_run_with_levers_has_the_unmitigated_plan_of_a_run_without(
    beside: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unmitigated plan is a run without the levers, solved after the plan (a small
    model, as here) or beside it in a thread (from BESIDE_MIN_PAIRS pairs)."""
    threads: list[str] = []
    real = planning.Beside

    def recorded(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(planning, "Beside", recorded)
    if beside:
        monkeypatch.setattr(planning, "BESIDE_MIN_PAIRS", 0)
    levers = {"out_of_area": {"reduce_by": 0.5, "by_year": 2027}}
    base = {**tiny_scenario_dict(), "forecast": {"method": "naive"}}
    with_levers = sufficiency.run({**base, "levers": levers}, tables=tiny_tables())
    assert threads == (["unmitigated"] if beside else [])
    plain = sufficiency.run(base, tables=tiny_tables())
    unmitigated = with_levers.extras["unmitigated"].allocation.placements
    assert unmitigated.equals(plain.placements)
    assert with_levers.summary["timings"]["unmitigated"] > 0
    assert not threads[1:]  # a run without levers has no unmitigated plan


def test_the_bundled_borough_solves_its_unmitigated_plan_beside(baseline) -> None:  # type: ignore[no-untyped-def]
    """The bundled borough's model is large enough for the overlap to pay."""
    assert len(baseline.extras["arrays"].pair_group) >= planning.BESIDE_MIN_PAIRS


def test_side_by_side_without_cpu_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no os.sched_getaffinity: every core is used there."""
    monkeypatch.delattr(engines.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(engines.os, "cpu_count", lambda: 2)
    assert engines.usable_cores() == 2
    assert engines.side_by_side(lambda i: -i, [1, 2, 3]) == [-1, -2, -3]
    monkeypatch.setattr(engines.os, "cpu_count", lambda: None)
    assert engines.usable_cores() == 1


def test_a_token_inside_another_is_restored_after_it() -> None:
    outer, inner = engines.CancelToken(), engines.CancelToken()
    with engines.cancellable(outer):
        with engines.cancellable(inner):
            engines.cancel(inner)
            with pytest.raises(engines.CancelledError):
                engines.solve_highs(_parts(1))
        assert engines.solve_highs(_parts(1)).status == "optimal"  # the outer one again
        engines.cancel(outer)
        with pytest.raises(engines.CancelledError):
            engines.solve_highs(_parts(1))


def test_waits_in_slices_return_and_raise_as_plain_waits(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The main thread waits for other threads' work in slices (so a signal handed to a
    busy thread still reaches it); the answers and errors are a plain wait's."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(engines, "WAIT_SLICE_SECONDS", 0.01)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(lambda: (time.sleep(0.1), 7)[1])
        assert engines.result_of(slow) == 7
        bad = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            engines.result_of(bad)
    done: list[int] = []
    thread = threading.Thread(target=lambda: (time.sleep(0.05), done.append(1)))
    thread.start()
    engines.wait_for(thread)
    assert done == [1] and not thread.is_alive()
