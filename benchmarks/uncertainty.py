"""The allocation over forecast draws on the bundled borough, end to end, timed.

Usage (from the repository root)::

    python -m benchmarks.uncertainty                      # 200 draws, 2 workers, 3 repeats
    python -m benchmarks.uncertainty --draws 20 --workers 1 --repeat 1 --no-write

Each repeat runs ``sufficiency run scenarios/baseline.yaml --draws N --workers W
--no-report`` as its own process (interpreter start, imports, forecast, plan and draws
included: the issue's figure) and records its wall time, the CPU seconds of it and its
workers (``RUSAGE_CHILDREN``), and the machine's load averages before and after, with the
machine details, in ``benchmarks/results/uncertainty.json``. The machine is shared: compare
CPU seconds, and read wall times with the load beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine
from benchmarks.sizes import ROOT

RESULTS = ROOT / "benchmarks" / "results"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"


def timed_run(draws: int, workers: int, extra: list[str] | None = None) -> dict[str, Any]:
    """One end-to-end run in a new process: wall and CPU seconds, load before and after."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            str(Path(sys.executable).parent / "sufficiency"),
            "run",
            str(SCENARIO),
            "--draws",
            str(draws),
            "--workers",
            str(workers),
            "--no-report",
            "--out",
            str(Path(tmp) / "out"),
            *(extra or []),
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        summary = json.loads((Path(tmp) / "out" / "summary.json").read_text(encoding="utf-8"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "draws": draws,
        "workers": workers,
        "wall_s": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "draws_stage_s": summary.get("timings", {}).get("draws"),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], help="extra KEY=VALUE")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    extra = [item for kv in args.set for item in ("--set", kv)]
    runs = [timed_run(args.draws, args.workers, extra) for _ in range(args.repeat)]
    record = {"machine": machine(ROOT), "runs": runs}
    print(json.dumps(runs, indent=1))
    if not args.no_write:
        path = RESULTS / "uncertainty.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        path.write_text(json.dumps([*old, record], indent=1) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
