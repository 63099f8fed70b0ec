"""The ``national`` size through :func:`sufficiency.sweep` on a LocalCluster: 1 and 2 workers.

Usage (from the repository root)::

    python -m benchmarks.sweep_national                 # first 24 LAs, 1 then 2 workers
    python -m benchmarks.sweep_national --las 0         # all 153 LAs
    python -m benchmarks.sweep_national --las 6 --no-write
    python -m benchmarks.sweep_national --las 0 --check # also: old engine choice against new

The synthetic boroughs of ``national`` (:mod:`benchmarks.sizes`) are written once into a
temporary folder (not timed); each sweep then runs every LA's baseline with
``forecast.method=auto`` (backtests included) as one task, on a new LocalCluster of
single-threaded worker processes, and the wall time of the whole sweep (cluster start and
stop included) is recorded with the load average of the machine before and after, in
``benchmarks/results/sweep.json`` and ``sweep.md`` (the previous records' 153-LA figures are
kept as a short history).

``--check`` also runs every LA in this process twice, with the engine every model of these
LAs had before HiGHS took the small ones (``allocation.solver=cbc``) and with the default
choice, and records the largest relative difference of the objective, the run's totals
and every by-year figure, and where the value of a place (capacity duals) differs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine
from benchmarks.sizes import ROOT, SIZES

RESULTS = ROOT / "benchmarks" / "results"


def _sweep(las: dict[str, Path], workers: int) -> dict[str, Any]:
    import sufficiency

    load_before = os.getloadavg()
    start = time.perf_counter()
    result = sufficiency.sweep(las, set_values=["forecast.method=auto"], n_workers=workers)
    seconds = time.perf_counter() - start
    tasks = result.table.groupby("la")[["seconds", "cpu_seconds"]].first()
    return {
        "workers": workers,
        "las": len(las),
        "seconds": round(seconds, 2),
        "failed": len(result.errors),
        "task_seconds_mean": round(float(tasks["seconds"].mean()), 3),
        "task_cpu_seconds_mean": round(float(tasks["cpu_seconds"].mean()), 3),
        "cpu_seconds_total": round(float(tasks["cpu_seconds"].sum()), 1),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
    }


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a))


def _engine_check(las: dict[str, Path]) -> dict[str, Any]:
    """Each LA's baseline with the old engine choice and the new, in this process."""
    import importlib

    from sufficiency.pipeline import run
    from sufficiency.sweep import COLUMNS, cpu_seconds

    plan = importlib.import_module("sufficiency.allocate.plan")
    solved: list[Any] = []
    solve_model = plan.solve_model

    def keep(model: Any, **kwargs: Any) -> Any:
        solution = solve_model(model, **kwargs)
        solved.append(solution)
        return solution

    totals = (
        "total_cost",
        "total_hnb_cost",
        "total_transport_cost",
        "total_shortfall",
        "total_no_place",
    )
    worst = {"objective": 0.0, "totals": 0.0, "by_year": 0.0}
    duals: list[dict[str, Any]] = []
    cpu = {"cbc": 0.0, "auto": 0.0}
    plan.solve_model = keep
    try:
        for label, path in las.items():
            got = {}
            for engine in cpu:
                solved.clear()
                start = cpu_seconds()
                summary = run(
                    path,
                    set_values=["forecast.method=auto", f"allocation.solver={engine}"],
                    returns=False,
                ).summary
                cpu[engine] += cpu_seconds() - start
                got[engine] = (solved[0], summary)
            (old, a), (new, b) = got["cbc"], got["auto"]
            worst["objective"] = max(worst["objective"], _relative(old.objective, new.objective))
            worst["totals"] = max([worst["totals"], *(_relative(a[k], b[k]) for k in totals)])
            rows = zip(a["by_year"], b["by_year"], strict=True)
            worst["by_year"] = max(
                [worst["by_year"], *(_relative(x[k], y[k]) for x, y in rows for k in COLUMNS)]
            )
            moved = [
                abs(old.capacity_dual[k] - new.capacity_dual[k])
                for k in old.capacity_dual
                if abs(old.capacity_dual[k] - new.capacity_dual[k]) > 1e-6
            ]
            if moved:
                duals.append({"la": label, "rows": len(moved), "largest_gbp": round(max(moved), 2)})
    finally:
        plan.solve_model = solve_model
    return {
        "las": len(las),
        "largest_relative_difference": {k: float(f"{v:.3g}") for k, v in worst.items()},
        "capacity_duals_differ": duals,
        "cpu_seconds_per_la": {k: round(v / len(las), 3) for k, v in cpu.items()},
    }


def _history(previous: dict[str, Any], keep: int = 4) -> list[dict[str, Any]]:
    """The earlier records' full-size figures, newest first, at most ``keep``."""
    old = list(previous.get("history", []))
    runs = [r for r in previous.get("runs", []) if r.get("las") == len(SIZES["national"].boroughs)]
    if runs:
        m = previous.get("machine", {})
        entry = {
            "date": m.get("date", ""),
            "commit": m.get("commit", ""),
            "seconds_by_workers": {str(r["workers"]): r["seconds"] for r in runs},
            "task_cpu_seconds_mean": max((r.get("task_cpu_seconds_mean") or 0) for r in runs),
            "load_before": [r["load_before"][0] for r in runs],
        }
        old.insert(0, entry)
    return old[:keep]


def _history_lines(history: Iterable[dict[str, Any]]) -> list[str]:
    lines = []
    for h in history:
        secs = ", ".join(f"{w} worker(s) {s} s" for w, s in h["seconds_by_workers"].items())
        cpu = h.get("task_cpu_seconds_mean") or "–"
        lines.append(
            f"- {h['date'][:16]} (commit {h['commit']}): {secs}; CPU a task {cpu} s; "
            f"load before {h['load_before']}"
        )
    return lines


def _notes(runs: list[dict[str, Any]], cores: int) -> list[str]:
    """What the runs say against the issue's targets (2 minutes on 2 cores, ≥ 1.7×)."""
    lines = []
    two = next((r for r in runs if r["workers"] == 2), None)
    if two is not None and two["las"] == len(SIZES["national"].boroughs):
        met = "met" if two["seconds"] < 120 else "**not met**"
        lines.append(
            f"All {two['las']} LAs on 2 workers: {two['seconds']} s (target under 120 s: {met}; "
            f"load average {two['load_before'][0]} before, {two['load_after'][0]} after, on "
            f"{cores} cores)."
        )
    for r in runs:
        if r["workers"] > 1:
            ok = "met" if r["speedup"] >= 1.7 else "**not met**"
            lines.append(
                f"Speed-up 1 → {r['workers']} workers: {r['speedup']}× (target ≥ 1.7×: {ok})."
            )
    cpu = [r["task_cpu_seconds_mean"] for r in runs]
    if cpu:
        ideal = max(cpu) * (two["las"] if two else runs[0]["las"]) / 2
        lines.append(
            f"CPU per task (its process and its solver processes, which load does not change "
            f"much): {min(cpu)}–{max(cpu)} s, so the {two['las'] if two else runs[0]['las']} "
            f"tasks need ≈{ideal:.0f} s on 2 idle cores, plus the cluster's start."
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--las", type=int, default=24, help="LAs to run (0: all 153)")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--check", action="store_true", help="old engine choice against new")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    boroughs = SIZES["national"].boroughs
    boroughs = boroughs[: args.las] if args.las else boroughs
    check = None
    with tempfile.TemporaryDirectory(prefix="sufficiency-national-") as tmp:
        las = {b.label: b.scenario(Path(tmp)) for b in boroughs}
        runs = [_sweep(las, int(w)) for w in args.workers.split(",") if w]
        if args.check:
            check = {"commit": machine(ROOT).get("commit", ""), **_engine_check(las)}
            print(json.dumps(check))
    base = runs[0]["seconds"] if runs else 0.0
    for r in runs:
        r["speedup"] = round(base / r["seconds"], 2)
        print(json.dumps(r))
    if args.no_write:
        return
    previous = RESULTS / "sweep.json"
    old = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else {}
    if check is None:  # not run this time: the last one stays on record
        check = old.get("engine_check")
    record = {"machine": machine(ROOT), "runs": runs, "engine_check": check}
    record["history"] = _history(old)
    RESULTS.mkdir(exist_ok=True)
    previous.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# `national` through `sufficiency.sweep` on a LocalCluster",
        "",
        f"Machine: {record['machine'].get('cpu', '')}, {record['machine'].get('cores', '')} "
        f"cores, {record['machine'].get('memory_gib', '')} GiB; "
        f"{record['machine'].get('date', '')}; "
        f"commit {record['machine'].get('commit', '')}."
        " Each LA's baseline with `forecast.method=auto`, one task per LA; wall time of the"
        " whole sweep, cluster start included. Load averages (1, 5, 15 min) show what else"
        " the machine was doing; CPU seconds (the task's process and its solver processes)"
        " depend on it much less.",
        "",
        "| workers | LAs | seconds | speed-up | mean task s | mean task CPU s | total CPU s "
        "| failed | load before | load after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['workers']} | {r['las']} | {r['seconds']} | {r['speedup']}× | "
            f"{r['task_seconds_mean']} | {r['task_cpu_seconds_mean']} | {r['cpu_seconds_total']} "
            f"| {r['failed']} | {r['load_before']} | {r['load_after']} |"
        )
    lines += ["", *_notes(runs, int(record["machine"].get("cores") or 0))]
    if check is not None:
        worst = check["largest_relative_difference"]
        differ = check["capacity_duals_differ"]
        lines += [
            "",
            "## Engine check",
            "",
            f"At commit {check.get('commit', '?')}, each of {check['las']} LAs run in one "
            "process with the engine every model "
            "had before (`allocation.solver=cbc`) and with the default choice (HiGHS in "
            "process for the small money-only re-solve): largest relative difference of the "
            f"objective {worst['objective']}, of the run's totals {worst['totals']}, of any "
            f"by-year figure {worst['by_year']} (the check: 1e-6). CPU an LA "
            f"{check['cpu_seconds_per_la']['cbc']} s before, "
            f"{check['cpu_seconds_per_la']['auto']} s after. The value of a place (capacity "
            f"duals) differs in {len(differ)} LA(s)"
            + (
                ": "
                + "; ".join(
                    f"{d['la']} ({d['rows']} row(s), up to £{d['largest_gbp']:,.0f})"
                    for d in differ
                )
                + ". Those LPs are degenerate: more than one set of duals is optimal, and "
                "each engine reports one of them."
                if differ
                else "."
            ),
        ]
    if record["history"]:
        lines += ["", "## Earlier records (all 153 LAs)", "", *_history_lines(record["history"])]
    (RESULTS / "sweep.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
