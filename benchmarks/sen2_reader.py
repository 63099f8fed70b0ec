"""How fast the SEN2 reader is: a simulated council's three Blade-export returns read whole.

Simulates a fictional council (:func:`sufficiency.example.sen2_export.simulate_council`)
whose latest return holds about 10,000 children, writes its three returns (2023-2025) as
Blade CSV files, and times :func:`sufficiency.sources.sen2.read_sen2` on the folder (wall
and CPU seconds, best of ``--repeat``); writes ``results/sen2_reader.md`` with the
machine's details and load averages::

    python -m benchmarks.sen2_reader              # measure and write
    python -m benchmarks.sen2_reader --no-write   # print only
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from sufficiency.example.sen2_export import simulate_council, write_blade
from sufficiency.sources.sen2 import read_sen2

from .machine import machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Measure and write ``results/sen2_reader.md`` (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=15_000, help="children simulated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    council = simulate_council(seed=1, n_children=args.children, years=(2023, 2024, 2025))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_blade(council, Path(tmp) / "sen2")
        rows = {
            f.name.split("_")[-1].removesuffix(".csv"): sum(1 for _ in f.open()) - 1
            for f in sorted((folder / "2025").glob("*.csv"))
        }
        before = os.getloadavg()
        walls, cpus = [], []
        for _ in range(args.repeat):
            w, c = time.perf_counter(), time.process_time()
            sen2 = read_sen2(folder)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        after = os.getloadavg()
    persons = rows["person"]
    plans = int((sen2.children["year"] == 2025).sum())
    text = f"""# SEN2 reader throughput

`read_sen2` on three simulated Blade-export returns (January 2023-2025, 27 CSV files;
`python -m benchmarks.sen2_reader --children {args.children}`). The latest return holds
{persons:,} children ({plans:,} with a plan active at the census; placementdetail
{rows["placementdetail"]:,} rows, requests {rows["requests"]:,}); all three returns
{len(sen2.children):,} child-census records. Best of {args.repeat}: **{min(walls):.2f} s wall**,
{min(cpus):.2f} s CPU (median wall {sorted(walls)[len(walls) // 2]:.2f} s). Target: under 5 s.
Load averages {before[0]:.1f} / {before[1]:.1f} before and {after[0]:.1f} / {after[1]:.1f}
after (1 / 5 minutes): the machine is shared with other work.

Machine:

```json
{json.dumps(machine(ROOT), indent=2, default=str)}
```
"""
    print(text)
    if not args.no_write:
        (Path(__file__).parent / "results" / "sen2_reader.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
