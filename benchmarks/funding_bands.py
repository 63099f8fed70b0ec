"""What funding bands cost in time: ``build_arrays`` on the borough with and without bands.

Times the cost arrays of the bundled borough (``scenarios/baseline.yaml`` and
``scenarios/funding_bands.yaml``, the same demand and register, market included) in CPU
seconds (``time.process_time``), best of ``--repeat``, and writes
``results/funding_bands.md`` with the machine's details and load averages::

    python -m benchmarks.funding_bands              # measure and write
    python -m benchmarks.funding_bands --no-write   # print only
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from . import drivers
from .machine import machine

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"flat top-ups": "baseline.yaml", "funding bands": "funding_bands.yaml"}


def measure(repeat: int) -> dict[str, dict[str, float]]:
    """Best and median CPU seconds of ``build_arrays`` per scenario, and its pairs."""
    out: dict[str, dict[str, float]] = {}
    for label, name in SCENARIOS.items():
        scenario, inputs = drivers.load(ROOT / "scenarios" / name)
        projected = drivers.forecast(scenario, inputs)
        arrays = drivers.plan_arrays(scenario, inputs, projected)
        planned = drivers.plan_inputs(scenario, inputs)
        times = []
        for _ in range(repeat):
            start = time.process_time()
            drivers.cost_arrays(scenario, planned, arrays)
            times.append(time.process_time() - start)
        times.sort()
        banded = 0 if arrays.bands is None else len(arrays.bands.pairs)
        out[label] = {
            "best_s": times[0],
            "median_s": times[len(times) // 2],
            "pairs": float(arrays.n_pairs),
            "banded_pairs": float(banded),
        }
    return out


def main() -> None:
    """Measure and write ``results/funding_bands.md`` (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    before = os.getloadavg()
    figures = measure(args.repeat)
    after = os.getloadavg()
    rows = "\n".join(
        f"| {label} | {f['pairs']:,.0f} | {f['banded_pairs']:,.0f} | {1000 * f['best_s']:.1f} | "
        f"{1000 * f['median_s']:.1f} |"
        for label, f in figures.items()
    )
    flat, banded = figures["flat top-ups"], figures["funding bands"]
    text = f"""# Funding bands: the cost arrays with and without bands

`build_arrays` on the bundled borough (`python -m benchmarks.funding_bands`), CPU seconds
(`time.process_time`), {args.repeat} repeats. Load averages {before[0]:.1f} / {before[1]:.1f}
before and {after[0]:.1f} / {after[1]:.1f} after (1 / 5 minutes): the machine is shared.

| top-up | pairs | banded pairs | best (ms) | median (ms) |
|---|---|---|---|---|
{rows}

Bands add {1000 * (banded["best_s"] - flat["best_s"]):.1f} ms (best against best) to the
arrays of one solve; without bands `build_arrays` does no band work at all.

Machine:

```json
{json.dumps(machine(ROOT), indent=2, default=str)}
```
"""
    print(text)
    if not args.no_write:
        (Path(__file__).parent / "results" / "funding_bands.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
