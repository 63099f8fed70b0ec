"""Where a sweep's task spends its time: councils' starters and runs, one after another.

Runs what one task of ``sufficiency sweep --all-las`` runs (:func:`sufficiency.sweep.run_task`:
the council's starter from the DfE release, then its run without the returns' tables and
the value of a place) for every ``--every``-th council of the shared release, in this
process, the first as a warm-up; records the mean wall seconds of each part (the starter,
the run's stages from ``summary["timings"]`` and the rest: tables and summary) and the CPU
seconds a task, with the machine's details and load averages, in
``results/sweep_tasks.md``::

    python -m benchmarks.sweep_tasks              # every 8th council, 20 of them
    python -m benchmarks.sweep_tasks --no-write   # print only

CPU a task is the steadier figure on a shared machine; Dask's workers add their own (see
``results/sweep.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from sufficiency.errors import DataWarning
from sufficiency.pipeline import run
from sufficiency.sources.dfe_release import local_authorities
from sufficiency.sources.starter import write_starter
from sufficiency.sweep import cpu_seconds
from sufficiency.text_storage import python_strings

from .machine import machine

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT.parent / "shared" / "data" / "dfe_release_2025_to_2023"

#: The run's stages as ``summary["timings"]`` names them, in order.
STAGES = ("load", "forecast", "arrays", "build", "solve")


def measure(release: Path, every: int = 8, count: int = 20) -> dict[str, Any]:
    """Mean wall seconds of each part of a task and CPU seconds a task, over ``count``
    councils (every ``every``-th of the release; one more before them as a warm-up)."""
    codes = list(local_authorities(release)["la_code"])[::every][: count + 1]
    parts: Counter[str] = Counter()
    cpu = 0.0
    with python_strings(), tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # what the release says of a council is the sweep's to report, not this timing's
        warnings.simplefilter("ignore", DataWarning)
        for i, code in enumerate(codes):
            c0, w0 = cpu_seconds(), time.perf_counter()
            path = write_starter(code, str(release), Path(tmp) / code)
            w1 = time.perf_counter()
            result = run(
                path, set_values=["uncertainty.workers=1"], returns=False, place_values=False
            )
            w2, c2 = time.perf_counter(), cpu_seconds()
            if i == 0:  # the release's files are parsed once a process: not a task's cost
                continue
            timings = result.summary["timings"]
            parts["starter"] += w1 - w0
            for stage in STAGES:
                parts[stage] += timings.get(stage, 0.0)
            parts["tables and summary"] += (w2 - w1) - sum(timings.get(s, 0.0) for s in STAGES)
            cpu += c2 - c0
    n = max(len(codes) - 1, 1)
    return {
        "councils": len(codes) - 1,
        "every": every,
        "wall_s": {k: round(v / n, 4) for k, v in parts.items()},
        "cpu_s_a_task": round(cpu / n, 4),
    }


def markdown(record: dict[str, Any], before: tuple[float, ...], after: tuple[float, ...]) -> str:
    """The record as ``results/sweep_tasks.md``."""
    rows = "\n".join(f"| {part} | {s:.3f} |" for part, s in record["wall_s"].items())
    total = sum(record["wall_s"].values())
    return f"""# Where a sweep's task spends its time

`python -m benchmarks.sweep_tasks --every {record["every"]}`: {record["councils"]} councils of
the shared DfE release (every {record["every"]}th), each task's starter and run one after
another in one process, after one as a warm-up. Load averages {before[0]:.2f} / {before[1]:.2f}
before and {after[0]:.2f} / {after[1]:.2f} after (1 / 5 minutes).

| part | wall s a council |
|---|---|
{rows}
| **all** | **{total:.3f}** |

CPU a task (its process and its solver processes): **{record["cpu_s_a_task"]:.3f} s**.

Machine:

```json
{json.dumps(machine(ROOT), indent=2, default=str)}
```
"""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure and write ``results/sweep_tasks.md`` (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--release", type=Path, default=RELEASE, help="DfE release folder")
    parser.add_argument("--every", type=int, default=8, help="every Nth council")
    parser.add_argument("--count", type=int, default=20, help="councils measured")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    before = os.getloadavg()
    record = measure(args.release, args.every, args.count)
    text = markdown(record, before, os.getloadavg())
    print(text)
    if not args.no_write:
        (Path(__file__).parent / "results" / "sweep_tasks.md").write_text(text, encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
