"""The regional model with continuity: build + solve in CPU and wall time, against the whole.

Usage (from the repository root)::

    python -m benchmarks.region_continuity              # 3 repeats, records the results
    python -m benchmarks.region_continuity --repeat 1 --no-write --smoke

Builds the ``region-continuity`` size's arrays once, then times, ``--repeat`` times each,
build + solve as ``plan()`` does it (``build_model`` and ``solve_model`` with the default
engine, no fallback: dominated chains fixed empty, independent parts, the money-only
re-solve for the value of places included), in wall time and in CPU time of this process
and its solver processes (the machine is shared: CPU time is the steadier figure). Then
solves the whole model as it was built before the reduction (``build_matrix(...,
reduce=False)``, in one piece) with each engine once, and checks that every objective
agrees to 1e-6 relative. Results, with the machine and its load averages before and
after, go to ``results/region_continuity.json`` and ``results/region_continuity.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drivers
from benchmarks.machine import machine
from benchmarks.sizes import ROOT, SIZES
from sufficiency.solve.engines import solve_cbc, solve_highs
from sufficiency.solve.lp import build_model, cbc_path, choose_engine, solve_model
from sufficiency.solve.matrix import build_matrix
from sufficiency.solve.split import largest_part_rows

RESULTS = ROOT / "benchmarks" / "results"
#: Objectives agree to this relative difference (the issue's acceptance).
RTOL = 1e-6
#: Build + solve must take less than this (seconds, on 2 cores).
LIMIT_S = 15.0


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (the CBC binary)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(repeat: int, smoke: bool = False) -> dict[str, Any]:
    """Time build + solve ``repeat`` times and solve the whole model with each engine."""
    size = SIZES["region-continuity"]
    if smoke:
        size = size.smoke()
    borough = size.boroughs[0]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-rc-") as tmp:
        case = drivers.prepare(borough, Path(tmp), size.set_values)
        arrays = case.arrays
        runs = []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), _cpu()
            model = build_model(arrays)
            built = time.perf_counter() - wall, _cpu() - cpu
            solution = solve_model(model, time_limit=case.time_limit, fallback=False)
            runs.append(
                {
                    "wall_s": time.perf_counter() - wall,
                    "cpu_s": _cpu() - cpu,
                    "build_wall_s": built[0],
                    "build_cpu_s": built[1],
                    "engine": solution.solver,
                    "objective": solution.objective,
                    "load_average": list(os.getloadavg()),
                }
            )
        m = model.matrix
        x = m.columns["x"]
        whole = build_matrix(arrays, reduce=False)
        before = {}
        for engine in ("highs", "cbc"):
            wall, cpu = time.perf_counter(), _cpu()
            if engine == "highs":
                result = solve_highs(whole, time_limit=case.time_limit)
            else:
                result = solve_cbc(whole, cbc_path(), time_limit=case.time_limit)
            before[engine] = {
                "status": result.status,
                "objective": result.objective,
                "wall_s": time.perf_counter() - wall,
                "cpu_s": _cpu() - cpu,
            }
    reference = before["cbc"]["objective"]
    worst = max(abs(r["objective"] - reference) / abs(reference) for r in runs)
    return {
        "size": size.name,
        "borough": borough.label,
        "model": {
            "eligible_pairs": arrays.n_pairs,
            "columns": m.n_cols,
            "rows": m.n_rows,
            "dominated_pairs": int((m.upper[x] == 0).sum()),
            "largest_part_rows": largest_part_rows(m),
            "default_engine": choose_engine(m),
        },
        "runs": runs,
        "whole_model": before,
        "objective_rel_diff": worst,
        "objectives_agree": worst <= RTOL
        and all(b["status"] == "optimal" for b in before.values())
        and abs(before["highs"]["objective"] - reference) <= RTOL * abs(reference),
        "best_wall_s": min(r["wall_s"] for r in runs),
        "best_cpu_s": min(r["cpu_s"] for r in runs),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "machine": machine(ROOT),
    }


def render(data: dict[str, Any]) -> str:
    """The results as Markdown."""
    model, whole = data["model"], data["whole_model"]
    lines = [
        "# Regional model with continuity: build + solve",
        "",
        "Written by `python -m benchmarks.region_continuity` (see its docstring). Build + solve",
        "as `plan()` does it: dominated chains fixed empty (`solve/dominance.py`), independent",
        "parts, the default engine, the money-only re-solve for the value of places included.",
        "CPU time counts this process and its solver processes. The machine is shared: wall",
        "time follows the load averages shown.",
        "",
        f"Size `{data['size']}` ({data['borough']}): {model['eligible_pairs']:,} eligible pairs,"
        f" {model['columns']:,} columns, {model['rows']:,} rows; {model['dominated_pairs']:,}"
        f" pairs fixed empty; largest independent part {model['largest_part_rows']:,} rows;"
        f" default engine `{model['default_engine']}`.",
        "",
        "| run | engine | build wall s | build CPU s | build + solve wall s | build + solve CPU s"
        " | objective | load average (1, 5, 15 min) after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(data["runs"], 1):
        load = ", ".join(f"{v:.2f}" for v in r["load_average"])
        lines.append(
            f"| {i} | {r['engine']} | {r['build_wall_s']:.2f} | {r['build_cpu_s']:.2f} |"
            f" {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['objective']:.6f} | {load} |"
        )
    lines += [
        "",
        "The whole model as built before the reduction, in one piece, each engine alone:",
        "",
        "| engine | status | wall s | CPU s | objective |",
        "|---|---|---|---|---|",
    ]
    for engine, b in whole.items():
        lines.append(
            f"| {engine} | {b['status']} | {b['wall_s']:.2f} | {b['cpu_s']:.2f} |"
            f" {b['objective']:.6f} |"
        )
    holds = data["best_wall_s"] < LIMIT_S
    lines += [
        "",
        "## Acceptance",
        "",
        "| figure | value | limit | holds |",
        "|---|---|---|---|",
        f"| build + solve, best wall s | {data['best_wall_s']:.2f} | < {LIMIT_S:g} |"
        f" {'yes' if holds else 'no'} |",
        f"| build + solve, best CPU s | {data['best_cpu_s']:.2f} | < {LIMIT_S:g} |"
        f" {'yes' if data['best_cpu_s'] < LIMIT_S else 'no'} |",
        f"| objective vs the whole model (relative) | {data['objective_rel_diff']:.2e} |"
        f" <= {RTOL:g} | {'yes' if data['objectives_agree'] else 'no'} |",
        "",
        "## Machine",
        "",
        f"- load average before: {', '.join(f'{v:.2f}' for v in data['load_before'])}",
        f"- load average after: {', '.join(f'{v:.2f}' for v in data['load_after'])}",
    ]
    lines += [f"- {k}: {v}" for k, v in data["machine"].items() if k != "load_average"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run, print and (unless ``--no-write``) record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a 12-setting borough")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    data = measure(args.repeat, smoke=args.smoke)
    text = render(data)
    sys.stdout.write(text)
    if not args.no_write:
        (RESULTS / "region_continuity.json").write_text(json.dumps(data, indent=2) + "\n")
        (RESULTS / "region_continuity.md").write_text(text)
    return 0 if data["objectives_agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
