"""Compare a benchmark run with the recorded one: a ratio per figure, regressions flagged.

Usage (from the repository root)::

    python -m benchmarks.compare                      # run the default sizes now, compare
    python -m benchmarks.compare --sizes borough      # run one size now, compare
    python -m benchmarks.compare new.json             # compare a finished run
    python -m benchmarks.compare new.json --threshold 1.5 --baseline old.json

A figure regresses when new / recorded exceeds ``--threshold`` (default 1.25) and the
difference is above the noise floor (0.05 s, 16 MiB). Only sizes in both files are
compared; a smoke run is only compared with a smoke run. Exit status 1 if any figure
regressed or an acceptance check that held no longer does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import RESULTS_JSON

#: Differences below these are noise, whatever the ratio.
FLOOR = {"_s": 0.05, "_mib": 16.0}


@dataclass
class Row:
    """One figure of one size in both runs."""

    size: str
    figure: str
    recorded: float
    new: float
    regressed: bool

    @property
    def ratio(self) -> float:
        return self.new / self.recorded if self.recorded else float("inf")


def compare(
    recorded: dict[str, Any], new: dict[str, Any], threshold: float = 1.25
) -> tuple[list[Row], list[str]]:
    """Rows for every time (``*_s``) and memory (``*_mib``) figure, and lost checks.

    Returns:
        The rows, and one line per acceptance check that held in ``recorded`` and fails
        in ``new``.
    """
    rows = []
    for size, rec in new["sizes"].items():
        old = recorded.get("sizes", {}).get(size)
        if old is None or old.get("smoke") != rec.get("smoke"):
            continue
        if old.get("boroughs") != rec.get("boroughs"):
            continue  # a different number of LAs is a different benchmark
        for figure, value in rec["figures"].items():
            suffix = next((s for s in FLOOR if figure.endswith(s)), None)
            before = old["figures"].get(figure)
            if suffix is None or before is None:
                continue
            regressed = value > threshold * before and value - before > FLOOR[suffix]
            rows.append(Row(size, figure, float(before), float(value), regressed))
    held = {(c["size"], c["figure"]) for c in recorded.get("checks", []) if c["holds"]}
    lost = [
        f"{c['size']}: {c['figure']} = {c['value']} no longer {c['limit']} ({c['text']})"
        for c in new.get("checks", [])
        if not c["holds"] and (c["size"], c["figure"]) in held
    ]
    return rows, lost


def table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table."""
    lines = [f"{'size':<18} {'figure':<28} {'recorded':>10} {'new':>10} {'ratio':>7}"]
    for r in rows:
        flag = "  REGRESSION" if r.regressed else ""
        lines.append(
            f"{r.size:<18} {r.figure:<28} {r.recorded:>10.3f} {r.new:>10.3f} {r.ratio:>7.2f}{flag}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.compare", description=__doc__.split("\n")[0]
    )
    p.add_argument("new", nargs="?", type=Path, help="results of a run (default: run now)")
    p.add_argument("--baseline", type=Path, default=RESULTS_JSON, help="recorded results")
    p.add_argument("--threshold", type=float, default=1.25, help="ratio that is a regression")
    p.add_argument("--sizes", help="sizes to run now (when no NEW file is given)")
    args = p.parse_args(argv)

    recorded = json.loads(args.baseline.read_text())
    if args.new is not None:
        new = json.loads(args.new.read_text())
    else:
        from benchmarks import run

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "new.json"
            run_args = ["--json", str(out), "--replace"]
            if args.sizes:
                run_args += ["--sizes", args.sizes]
            new = run.main(run_args)
    rows, lost = compare(recorded, new, args.threshold)
    if not rows:
        print("no figures in common (different sizes, smoke or number of LAs)")
        return 0
    print(table(rows))
    old_machine = recorded.get("machine", {})
    new_machine = new.get("machine", {})
    if old_machine.get("cpu") != new_machine.get("cpu"):
        print(f"note: recorded on {old_machine.get('cpu')}, now {new_machine.get('cpu')}")
    for line in lost:
        print(f"LOST: {line}")
    regressed = [r for r in rows if r.regressed]
    if regressed or lost:
        print(
            f"{len(regressed)} figure(s) regressed beyond {args.threshold}×, "
            f"{len(lost)} check(s) lost"
        )
        return 1
    print(f"no regression beyond {args.threshold}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
