"""Every stage of a run as a pytest-benchmark, at each size of the registry.

``python -m pytest benchmarks`` times them (sizes from ``SUFFICIENCY_BENCH_SIZES``; see
``conftest.py``); CI runs them once on tiny boroughs to prove they still build::

    SUFFICIENCY_BENCH_SMOKE=1 python -m pytest benchmarks --benchmark-disable

Each benchmark runs its stage for every borough of the size, one after another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from benchmarks import drivers
from benchmarks.drivers import Case
from benchmarks.sizes import Size

T = TypeVar("T")


def bench(benchmark: Any, rounds: int, cases: list[Case], stage: Callable[[Case], T]) -> list[T]:
    """Benchmark ``stage`` over all boroughs; returns its outputs (of the last round)."""
    return benchmark.pedantic(
        lambda: [stage(c) for c in cases], rounds=rounds, iterations=1, warmup_rounds=0
    )


def model_info(benchmark: Any, cases: list[Case]) -> None:
    benchmark.extra_info["columns"] = sum(c.matrix.n_cols for c in cases)
    benchmark.extra_info["rows"] = sum(c.matrix.n_rows for c in cases)


def test_load(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    out = bench(benchmark, rounds, cases, lambda c: drivers.load(c.path, c.set_values))
    assert all(len(inputs.settings) for _, inputs in out)


def test_forecast(benchmark: Any, cases: list[Case]) -> None:
    out = bench(benchmark, 1, cases, lambda c: drivers.forecast(c.scenario, c.inputs))
    assert all((f.ehcp["mean"] >= 0).all() for f in out)


def test_arrays(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    out = bench(
        benchmark, rounds, cases, lambda c: drivers.plan_arrays(c.scenario, c.inputs, c.projected)
    )
    assert all(a.n_pairs > 0 for a in out)


def test_cost_arrays(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    planned = {id(c): drivers.plan_inputs(c.scenario, c.inputs) for c in cases}
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.cost_arrays(c.scenario, planned[id(c)], c.arrays),
    )
    assert [a.n_pairs for a in out] == [c.arrays.n_pairs for c in cases]


def test_reference_arrays(benchmark: Any, size: Size, cases: list[Case]) -> None:
    if not size.reference:
        pytest.skip(f"no reference timing at size {size.name}")
    plain = {
        id(c): drivers.plan_inputs(c.scenario, c.inputs, market=False, sen_support=False)
        for c in cases
    }
    plans = {id(c): drivers.plans_only(c.arrays) for c in cases}
    out = bench(
        benchmark, 1, cases, lambda c: drivers.reference(c.scenario, plain[id(c)], plans[id(c)])
    )
    for case, ref in zip(cases, out, strict=True):
        fast = drivers.cost_arrays(case.scenario, plain[id(case)], plans[id(case)])
        assert drivers.same_arrays(fast, ref)


def test_matrix(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    out = bench(benchmark, rounds, cases, lambda c: drivers.matrix(c.arrays))
    assert [m.n_cols for m in out] == [c.matrix.n_cols for c in cases]
    model_info(benchmark, cases)


def test_pulp_build(benchmark: Any, cases: list[Case]) -> None:
    out = bench(benchmark, 1, cases, lambda c: drivers.pulp_problem(c.matrix))
    assert [len(p.variables()) for p in out] == [c.matrix.n_cols for c in cases]
    model_info(benchmark, cases)


def test_solve_highs(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    out = bench(benchmark, rounds, cases, lambda c: drivers.highs(c.matrix, c.time_limit))
    assert all(r.status == "optimal" for r in out)
    model_info(benchmark, cases)


def test_write_mps(benchmark: Any, rounds: int, cases: list[Case], tmp_path: Path) -> None:
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.export_mps(c.matrix, tmp_path / f"{c.borough.label}.mps"),
    )
    assert all(p.stat().st_size > 0 for p in out)


def test_highs_on_mps(
    benchmark: Any, rounds: int, cases: list[Case], mps_files: list[Path]
) -> None:
    paths = dict(zip((c.borough.label for c in cases), mps_files, strict=True))
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.highs_on_mps(
            paths[c.borough.label], c.time_limit, drivers.largest_part_rows(c.matrix)
        ),
    )
    assert all(r.status == "Optimal" for r in out)
    model_info(benchmark, cases)


def test_clp_on_mps(benchmark: Any, rounds: int, cases: list[Case], mps_files: list[Path]) -> None:
    paths = dict(zip((c.borough.label for c in cases), mps_files, strict=True))
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.clp_on_mps(c.matrix, paths[c.borough.label], c.time_limit),
    )
    assert all(r.status == "optimal" for r in out)
    model_info(benchmark, cases)


def test_build_solve(benchmark: Any, rounds: int, cases: list[Case]) -> None:
    out = bench(
        benchmark, rounds, cases, lambda c: drivers.build_solve(c.scenario, c.inputs, c.projected)
    )
    assert all(s.status.ok for s in out)
    model_info(benchmark, cases)


def test_end_to_end(benchmark: Any, rounds: int, cases: list[Case], tmp_path: Path) -> None:
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.end_to_end(c.path, tmp_path / c.borough.label, c.set_values),
    )
    assert all(r.timings for r in out)
    benchmark.extra_info["peak_rss_mib"] = max(r.max_rss for r in out) / 2**20


def test_report(benchmark: Any, rounds: int, cases: list[Case], tmp_path: Path) -> None:
    runs = {c.borough.label: drivers.result(c.path, c.set_values) for c in cases}
    out = bench(
        benchmark,
        rounds,
        cases,
        lambda c: drivers.report(runs[c.borough.label], tmp_path / c.borough.label),
    )
    assert all(any(p.name == "workbook.xlsx" for p in files) for files in out)
