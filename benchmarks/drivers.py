"""Stage drivers: each stage of a run on its own, so it can be timed alone.

The stages, in pipeline order: ``load`` (scenario and inputs), ``forecast``, ``arrays``
(levers, levels, cost arrays and continuity rows, as :func:`~sufficiency.allocate.plan`
builds them), ``cost_arrays`` (:func:`~sufficiency.allocate.build_arrays` alone) and its
per-row ``reference``, ``matrix``, ``pulp`` (the PuLP problem), the engines (HiGHS given the
matrix, HiGHS and Clp each on the exported MPS file), ``build_solve`` (arrays → matrix →
solve with the default engine, timed together) and ``end_to_end`` (``sufficiency run`` in a
subprocess, with its peak memory). ``run.py`` and the pytest-benchmark tests both call these.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from unittest import mock

import highspy
import pandas as pd
import pulp

import sufficiency
from sufficiency import Scenario, load_scenario
from sufficiency.allocate import AllocationArrays, build_arrays
from sufficiency.data import Inputs, load_inputs
from sufficiency.forecast.scenario import project
from sufficiency.model.canonical import canonical
from sufficiency.model.capital import add_capital_settings
from sufficiency.model.levers import apply_setting_changes
from sufficiency.model.market import MARKET, add_market
from sufficiency.model.sen_support import add_mainstream
from sufficiency.results import Result
from sufficiency.solve.engines import (
    HIGHS_IPM_ROWS,
    EngineResult,
    solve_cbc,
    solve_highs,
    write_mps,
)
from sufficiency.solve.lp import Solution, build_model, cbc_path, solve_model, to_pulp
from sufficiency.solve.matrix import LpMatrix, build_matrix
from sufficiency.solve.split import largest_part_rows

from .reference_arrays import ReferenceArrays, reference_arrays
from .sizes import Borough

T = TypeVar("T")

#: The module (``sufficiency.allocate.plan`` the name is shadowed by the function).
plan_module = importlib.import_module("sufficiency.allocate.plan")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall time in seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# ---------------------------------------------------------------- in-process stages


def load(path: Path, set_values: Sequence[str] = ()) -> tuple[Scenario, Inputs]:
    """Scenario and validated inputs (the ``load`` stage of ``run()``)."""
    scenario = load_scenario(path, set_values=list(set_values))
    return scenario, load_inputs(scenario)


@dataclass
class Projection:
    """Projected EHC plans and children on SEN support (None without a sen_support table)."""

    ehcp: pd.DataFrame
    sen_support: pd.DataFrame | None


def forecast(scenario: Scenario, inputs: Inputs) -> Projection:
    """Projected EHC plans and SEN support (the ``forecast`` stage of ``run()``)."""
    ehcp, sen = project(scenario, inputs)
    return Projection(ehcp.frame, sen.frame if sen is not None else None)


def plan_arrays(scenario: Scenario, inputs: Inputs, projected: Projection) -> AllocationArrays:
    """The arrays :func:`~sufficiency.allocate.plan` hands to ``allocate``, without solving.

    ``plan`` is run with ``allocate`` replaced by a stub that keeps its arrays, so this
    times exactly the code ``run()`` times as ``arrays`` and follows any change to it.
    """
    captured: list[AllocationArrays] = []

    def keep(arrays: AllocationArrays, **_options: Any) -> SimpleNamespace:
        captured.append(arrays)
        return SimpleNamespace(timings={})

    with mock.patch.object(plan_module, "allocate", keep):
        plan_module.plan(scenario, inputs, projected.ehcp, sen_support=projected.sen_support)
    if len(captured) != 1:
        raise RuntimeError(f"plan() called allocate {len(captured)} times, expected once")
    return captured[0]


def plan_inputs(
    scenario: Scenario, inputs: Inputs, *, market: bool = True, sen_support: bool = True
) -> Inputs:
    """The inputs as :func:`~sufficiency.allocate.plan` hands them to ``build_arrays``:
    canonical row order, setting changes, capital options, (``market``) the market and
    (``sen_support``, when children on SEN support are placed) the mainstream catch-all."""
    inputs = apply_setting_changes(canonical(inputs), scenario.levers.settings)
    inputs = add_capital_settings(inputs, scenario.capital)
    if market and scenario.allocation.market.enabled:
        inputs = add_market(inputs, scenario.allocation.market)
    if sen_support and inputs.sen_support is not None and scenario.allocation.sen_support.enabled:
        inputs = add_mainstream(inputs)
    return inputs


def plans_only(arrays: AllocationArrays) -> AllocationArrays:
    """``arrays`` with the groups of children with EHC plans only (what the per-row
    reference knows; the stages below read only ``groups``)."""
    return replace(arrays, groups=arrays.groups[arrays.group_ehc].reset_index(drop=True))


def cost_arrays(scenario: Scenario, planned: Inputs, arrays: AllocationArrays) -> AllocationArrays:
    """:func:`~sufficiency.allocate.build_arrays` alone, on the groups ``plan`` placed and
    the inputs as ``plan`` prepared them (:func:`plan_inputs`; with the market when they
    hold it)."""
    with_market = MARKET in set(planned.settings["setting"])
    return build_arrays(
        arrays.groups,
        planned,
        base_year=scenario.base_year,
        years=scenario.plan_years,
        unmet_penalty=scenario.allocation.unmet_penalty_gbp,
        cost_changes=scenario.levers.costs,
        market=scenario.allocation.market.prices if with_market else None,
        sen_support=scenario.allocation.sen_support,
    )


def reference(scenario: Scenario, planned: Inputs, arrays: AllocationArrays) -> ReferenceArrays:
    """The per-row reference of :func:`cost_arrays` (it knows no market of last resort:
    give it inputs prepared with ``market=False``)."""
    return reference_arrays(
        arrays.groups,
        planned,
        years=scenario.plan_years,
        cost_changes=scenario.levers.costs,
    )


def same_arrays(fast: AllocationArrays, ref: ReferenceArrays) -> bool:
    """Same pairs in the same order and bit-identical unit costs."""
    return (
        fast.pair_group.tolist() == ref.pair_group
        and fast.pair_setting.tolist() == ref.pair_setting
        and fast.unit_cost.tolist() == ref.unit_cost
    )


def matrix(arrays: AllocationArrays) -> LpMatrix:
    """The LP as sparse matrices."""
    return build_matrix(arrays)


def pulp_problem(m: LpMatrix) -> pulp.LpProblem:
    """The LP as a PuLP problem (what ``AllocationModel.problem`` builds on demand)."""
    return to_pulp(m)


def highs(m: LpMatrix, time_limit: float) -> EngineResult:
    """HiGHS given the whole matrix in one ``passModel`` call."""
    rows = None if m.integer.any() else largest_part_rows(m)
    return solve_highs(m, time_limit=time_limit, part_rows=rows)


def export_mps(m: LpMatrix, path: Path) -> Path:
    """The model as an MPS file (HiGHS's writer)."""
    return write_mps(m, path)


@dataclass
class SolverRun:
    """One solver on one MPS file: its own time, status and objective."""

    seconds: float
    status: str
    objective: float


def highs_on_mps(path: Path, time_limit: float, part_rows: int | None = None) -> SolverRun:
    """HiGHS on the MPS file, with the method the engine would use on the whole model
    (interior point when its largest independent part, ``part_rows`` — default all its
    rows — is large, see :data:`~sufficiency.solve.engines.HIGHS_IPM_ROWS`); ``seconds``
    is ``run()`` alone."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.setOptionValue("time_limit", float(time_limit))
    lp = h.getLp()
    integer = any(v == highspy.HighsVarType.kInteger for v in lp.integrality_)
    rows = lp.num_row_ if part_rows is None else part_rows
    if not integer and rows >= HIGHS_IPM_ROWS:
        h.setOptionValue("solver", "ipm")
    _, seconds = timed(h.run)
    status = h.modelStatusToString(h.getModelStatus())
    objective = float(h.getInfo().objective_function_value)
    return SolverRun(seconds, status, objective)


def clp_on_mps(m: LpMatrix, path: Path, time_limit: float) -> SolverRun:
    """The CBC binary on the MPS file (Clp's dual simplex or barrier for an LP, by the rows
    of the model's largest independent part, as the engine chooses for a whole model).

    ``seconds`` is the binary's run (reading the file, solving, writing its solution) plus
    reading the solution back.
    """
    rows = None if m.integer.any() else largest_part_rows(m)
    result = solve_cbc(m, cbc_path(), time_limit=time_limit, mps=path, part_rows=rows)
    return SolverRun(result.seconds, result.status, result.objective)


def build_solve(scenario: Scenario, inputs: Inputs, projected: Projection) -> Solution:
    """Arrays → matrix → solve with the default engine (no fallback), as ``plan`` does it."""
    arrays = plan_arrays(scenario, inputs, projected)
    model = build_model(arrays)
    options = scenario.allocation
    return solve_model(
        model, solver=options.solver, time_limit=options.time_limit_seconds, fallback=False
    )


# ---------------------------------------------------------------- the command, end to end


@dataclass
class Measured:
    """A finished subprocess: exit code, wall time, peak resident memory and output."""

    returncode: int
    seconds: float
    max_rss: int
    stdout: str
    stderr: str


def result(path: Path, set_values: Sequence[str] = ()) -> Result:
    """A whole run in process, for the report stage."""
    return sufficiency.run(path, set_values=list(set_values))


def report(run: Result, folder: Path) -> list[Path]:
    """Write the run's workbook, charts and HTML page (what ``--no-report`` leaves out)."""
    from sufficiency.report import write_report

    return write_report(run, folder)


def max_rss_bytes(ru_maxrss: int) -> int:
    """``ru_maxrss`` in bytes (Linux reports KiB, macOS bytes)."""
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def run_measured(args: Sequence[str], *, cwd: Path | None = None) -> Measured:
    """Run a command, measuring wall time and the peak memory of it and its children.

    The child is reaped with ``os.wait4``, whose resource usage is that child's own (with
    its waited-for children, e.g. the CBC binary), not every child this process has had.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(args), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode, seconds, max_rss_bytes(usage.ru_maxrss), out.read(), err.read()
        )


def sufficiency_command() -> list[str]:
    """The ``sufficiency`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("sufficiency")
    if script.is_file():
        return [str(script)]
    found = shutil.which("sufficiency")
    return [found] if found else [sys.executable, "-m", "sufficiency.cli"]


@dataclass
class EndToEnd:
    """``sufficiency run SCENARIO --out DIR`` measured from outside.

    Attributes:
        seconds: Wall time of the command (interpreter start, imports and writing included).
        max_rss: Peak resident memory in bytes (the command and the solver it started).
        timings: The run's own stage timings from ``summary.json``.
        model_size: ``summary.json``'s model size.
        objective: Objective of the solve.
        solver: Engine that solved it.
    """

    seconds: float
    max_rss: int
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    objective: float = float("nan")
    solver: str = ""


def end_to_end(scenario: Path, out: Path, set_values: Sequence[str] = ()) -> EndToEnd:
    """Run the command in a subprocess and read back its summary.

    Raises:
        RuntimeError: If the command fails (with its error output).
    """
    args = [*sufficiency_command(), "run", str(scenario), "--out", str(out)]
    for value in set_values:
        args += ["--set", value]
    done = run_measured(args)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return EndToEnd(
        done.seconds,
        done.max_rss,
        {k: float(v) for k, v in summary["timings"].items()},
        summary.get("model_size", {}),
        float(summary["objective"]),
        str(summary.get("solver", "")),
    )


# ---------------------------------------------------------------- a loaded borough


@dataclass
class Case:
    """One borough loaded and projected, with the later stages' outputs kept once built."""

    borough: Borough
    path: Path
    set_values: tuple[str, ...]
    scenario: Scenario
    inputs: Inputs
    projected: Projection
    _arrays: AllocationArrays | None = None
    _matrix: LpMatrix | None = None

    @property
    def time_limit(self) -> float:
        """The scenario's solver time limit."""
        return float(self.scenario.allocation.time_limit_seconds)

    @property
    def arrays(self) -> AllocationArrays:
        """The plan's arrays (built on first use)."""
        if self._arrays is None:
            self._arrays = plan_arrays(self.scenario, self.inputs, self.projected)
        return self._arrays

    @property
    def matrix(self) -> LpMatrix:
        """The LP matrix (built on first use)."""
        if self._matrix is None:
            self._matrix = matrix(self.arrays)
        return self._matrix


def prepare(borough: Borough, folder: Path, set_values: Sequence[str] = ()) -> Case:
    """Write (if synthetic), load and project one borough."""
    path = borough.scenario(folder)
    scenario, inputs = load(path, set_values)
    return Case(borough, path, tuple(set_values), scenario, inputs, forecast(scenario, inputs))
