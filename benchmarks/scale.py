"""Speed at the scale councils and the DfE work at (issue 27): every figure in one run.

Usage (from the repository root)::

    python -m benchmarks.run --scale               # all four, recorded
    python -m benchmarks.run --scale --no-write    # print only

Measures, one after another on this machine, each against the issue's target:

- every LA's starter and run: ``sufficiency sweep --all-las --dfe RELEASE --workers 2``
  on the shared DfE release (skipped where it is not beside the repository), wall time and
  CPU of the command and its workers, LAs done and failed;
- a region with continuity (the ``region-continuity`` size): build + solve as ``plan()``
  does it, beside the two engines alone on the whole model, measured in the same run
  (:func:`benchmarks.region_continuity.measure`);
- 200 draws on the bundled borough: ``sufficiency run scenarios/baseline.yaml --draws 200
  --workers 2 --no-report`` end to end (:func:`benchmarks.uncertainty.timed_run`);
- capital plans end to end: ``capital_programme`` and a Kirklees starter with five
  options (:mod:`benchmarks.capital`).

Writes ``results/scale.json`` and ``results/scale.md`` with the machine's details and its
load averages before and after; the README's performance table is copied from the
Markdown. The machine should be idle: wall times follow the load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import capital, region_continuity, uncertainty
from benchmarks.machine import machine
from benchmarks.sizes import ROOT

RESULTS = ROOT / "benchmarks" / "results"
RELEASE = capital.RELEASE
#: The issue's targets, seconds of wall time on 2 cores.
TARGETS = {"every_la": 60.0, "region_continuity": 8.0, "draws_200": 20.0, "capital": 5.0}


def _rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def every_la(workers: int = 2) -> dict[str, Any] | None:
    """``sufficiency sweep --all-las`` on the shared release, timed; None without it."""
    if not RELEASE.is_dir():
        return None
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        out = Path(tmp) / "sweep"
        cpu, wall = capital.children_cpu(), time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sufficiency.cli",
                "-q",
                "sweep",
                "--all-las",
                "--dfe",
                str(RELEASE),
                "--workers",
                str(workers),
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        seconds, cpu_s = time.perf_counter() - wall, capital.children_cpu() - cpu
        failed = _rows(out / "errors.csv")
        with (out / "sweep.csv").open(encoding="utf-8", newline="") as f:
            las = {row["la"] for row in csv.DictReader(f)}
    return {
        "wall_s": round(seconds, 2),
        "cpu_s": round(cpu_s, 2),
        "workers": workers,
        "las_done": len(las),
        "las_failed": failed,
        "exit_code": done.returncode,
    }


def capital_runs(repeat: int) -> dict[str, dict[str, float]]:
    """End-to-end wall and CPU seconds of each capital case (best of ``repeat``)."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-capital-") as tmp:
        for name, path in capital.cases(Path(tmp), ("capital_programme",)).items():
            wall, cpu = capital.end_to_end(path, repeat)
            out[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
    return out


def measure(repeat: int = 1) -> dict[str, Any]:
    """Every figure, one after another, with the load before and after each."""
    record: dict[str, Any] = {"load_before": [round(v, 2) for v in os.getloadavg()]}
    print("every LA …", file=sys.stderr)
    record["every_la"] = every_la()
    print("region with continuity …", file=sys.stderr)
    region = region_continuity.measure(repeat)
    record["region_continuity"] = {
        "build_solve_wall_s": round(region["best_wall_s"], 2),
        "build_solve_cpu_s": round(region["best_cpu_s"], 2),
        "engine": region["runs"][0]["engine"],
        "whole_model_alone": {
            engine: {"wall_s": round(b["wall_s"], 2), "status": b["status"]}
            for engine, b in region["whole_model"].items()
        },
        "objectives_agree": region["objectives_agree"],
        "model": region["model"],
    }
    print("200 draws …", file=sys.stderr)
    record["draws_200"] = uncertainty.timed_run(200, 2)
    print("capital …", file=sys.stderr)
    record["capital"] = capital_runs(max(repeat, 1))
    record["load_after"] = [round(v, 2) for v in os.getloadavg()]
    record["machine"] = machine(ROOT)
    return record


def _met(value: float, target: float) -> str:
    return "met" if value < target else "**not met**"


def table(record: dict[str, Any]) -> list[str]:
    """The performance table: figure, measured, target, met."""
    lines = ["| figure | measured | target | |", "|---|---|---|---|"]
    la = record.get("every_la")
    if la is not None:
        lines.append(
            f"| every LA's starter and run (`sweep --all-las`, shared DfE release, 2 workers) "
            f"| {la['wall_s']:.0f} s ({la['las_done']} LAs, {la['las_failed']} failed) "
            f"| < {TARGETS['every_la']:.0f} s | {_met(la['wall_s'], TARGETS['every_la'])} |"
        )
    rc = record["region_continuity"]
    floors = ", ".join(
        f"{engine} {b['wall_s']:.1f} s" for engine, b in rc["whole_model_alone"].items()
    )
    lines.append(
        f"| a 600-setting region with continuity, build + solve ({rc['engine']}; "
        f"engines alone on the whole model, same run: {floors}) "
        f"| {rc['build_solve_wall_s']:.1f} s | < {TARGETS['region_continuity']:.0f} s "
        f"| {_met(rc['build_solve_wall_s'], TARGETS['region_continuity'])} |"
    )
    d = record["draws_200"]
    lines.append(
        f"| 200 draws on the bundled borough, end to end (2 workers) | {d['wall_s']:.1f} s "
        f"| < {TARGETS['draws_200']:.0f} s | {_met(d['wall_s'], TARGETS['draws_200'])} |"
    )
    for name, c in record["capital"].items():
        lines.append(
            f"| `{name}` end to end (`run --no-report`) | {c['wall_s']:.1f} s "
            f"| < {TARGETS['capital']:.0f} s | {_met(c['wall_s'], TARGETS['capital'])} |"
        )
    return lines


def render(record: dict[str, Any]) -> str:
    """``results/scale.md``."""
    before = ", ".join(f"{v:.2f}" for v in record["load_before"])
    after = ", ".join(f"{v:.2f}" for v in record["load_after"])
    m = record["machine"]
    return "\n".join(
        [
            "# Speed at scale (issue 27)",
            "",
            "Written by `python -m benchmarks.run --scale` (see `benchmarks/scale.py`). Each",
            "figure is wall time on this machine; load averages (1, 5, 15 min) before "
            f"{before}, after {after}.",
            "",
            *table(record),
            "",
            f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, "
            f"Python {m.get('python')}, highspy {m.get('highspy')}, commit "
            f"{m.get('commit')}, {m.get('date')}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print and (unless ``--no-write``) record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    record = measure(args.repeat)
    text = render(record)
    print(text)
    if not args.no_write:
        (RESULTS / "scale.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        (RESULTS / "scale.md").write_text(text, encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
