"""The ``national`` size through :func:`sufficiency.sweep` on a LocalCluster: 1 and 2 workers.

Usage (from the repository root)::

    python -m benchmarks.sweep_national                 # first 24 LAs, 1 then 2 workers
    python -m benchmarks.sweep_national --las 0         # all 153 LAs
    python -m benchmarks.sweep_national --las 6 --no-write

The synthetic boroughs of ``national`` (:mod:`benchmarks.sizes`) are written once into a
temporary folder (not timed); each sweep then runs every LA's baseline with
``forecast.method=auto`` (backtests included) as one task, on a new LocalCluster of
single-threaded worker processes, and the wall time of the whole sweep (cluster start and
stop included) is recorded with the load average of the machine before and after, in
``benchmarks/results/sweep.json`` and ``sweep.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
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
    return {
        "workers": workers,
        "las": len(las),
        "seconds": round(seconds, 2),
        "failed": len(result.errors),
        "task_seconds_mean": round(float(result.table.groupby("la")["seconds"].first().mean()), 3),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--las", type=int, default=24, help="LAs to run (0: all 153)")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    boroughs = SIZES["national"].boroughs
    boroughs = boroughs[: args.las] if args.las else boroughs
    with tempfile.TemporaryDirectory(prefix="sufficiency-national-") as tmp:
        las = {b.label: b.scenario(Path(tmp)) for b in boroughs}
        runs = [_sweep(las, int(w)) for w in args.workers.split(",")]
    base = runs[0]["seconds"]
    for r in runs:
        r["speedup"] = round(base / r["seconds"], 2)
        print(json.dumps(r))
    if args.no_write:
        return
    record = {"machine": machine(ROOT), "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sweep.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# `national` through `sufficiency.sweep` on a LocalCluster",
        "",
        f"Machine: {record['machine'].get('cpu', '')}; "
        f"commit {record['machine'].get('commit', '')}."
        " Each LA's baseline with `forecast.method=auto`, one task per LA; wall time of the"
        " whole sweep, cluster start included. Load averages (1, 5, 15 min) show what else"
        " the machine was doing.",
        "",
        "| workers | LAs | seconds | speed-up | mean task s | failed | load before | load after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['workers']} | {r['las']} | {r['seconds']} | {r['speedup']}× | "
            f"{r['task_seconds_mean']} | {r['failed']} | {r['load_before']} | {r['load_after']} |"
        )
    (RESULTS / "sweep.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
