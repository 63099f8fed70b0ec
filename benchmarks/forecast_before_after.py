"""Forecasts before and after a change: the bundled borough and the ``national`` LAs, compared.

Usage (from the repository root)::

    # forecasts of the code under test
    python -m benchmarks.forecast_before_after dump /tmp/after 153
    # the same with an earlier commit's package (a checkout of it at /tmp/before-src)
    PYTHONPATH=/tmp/before-src/src python -m benchmarks.forecast_before_after dump /tmp/before 153
    python -m benchmarks.forecast_before_after compare /tmp/before /tmp/after

``dump`` runs the forecast stage (``forecast.method=auto``: every candidate backtested) of
``scenarios/baseline.yaml`` and the first N synthetic LAs of ``national`` and pickles, per
LA and provision, the forecast frame, diagnostics, sample paths and warnings. ``compare``
reports the method chosen for every series (must be equal), the worst relative
difference of means, interval bounds and diagnostics' numbers, and of sample paths
(relative above one child, absolute below), and lists every difference over 1e-8.
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sizes import BASELINE, SIZES

TOL = 1e-8


def dump(out: Path, n: int) -> None:
    """Pickle the forecasts of the bundled borough and the first ``n`` national LAs."""
    from sufficiency.config import load_scenario
    from sufficiency.data import load_inputs
    from sufficiency.forecast.scenario import project
    from sufficiency.model.canonical import canonical

    logging.disable(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="sufficiency-before-after-") as tmp:
        paths = {"bundled": BASELINE}
        paths.update({b.label: b.scenario(Path(tmp)) for b in SIZES["national"].boroughs[:n]})
        for label, path in paths.items():
            sc = load_scenario(path, set_values=["forecast.method=auto"])
            inputs = canonical(load_inputs(sc))
            start = time.process_time()
            ehcp, sen = project(sc, inputs)
            cpu += time.process_time() - start if label != "bundled" else 0.0
            record = {
                name: {
                    "frame": fc.frame,
                    "diag": fc.diagnostics,
                    "paths": fc._paths,
                    "warnings": fc.warnings,
                }
                for name, fc in (("ehcp", ehcp), ("sen", sen))
                if fc is not None
            }
            with (out / f"{label}.pkl").open("wb") as handle:
                pickle.dump(record, handle)
    print(f"forecast CPU s per synthetic LA {cpu / max(n, 1):.3f}; load {os.getloadavg()}")


def _relative(a: Any, b: Any, floor: float = 1e-9) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    both = np.isfinite(a) & np.isfinite(b)
    d = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), floor)
    return float(d.max()) if d.size else 0.0


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two dumps (empty: equal to 1e-8, same methods)."""
    worst: dict[str, float] = {}
    problems: list[str] = []
    files = sorted(p for p in after.glob("*.pkl") if (before / p.name).exists())
    for path in files:
        with (before / path.name).open("rb") as handle:
            old = pickle.load(handle)
        with path.open("rb") as handle:
            new = pickle.load(handle)
        for prov, a in old.items():
            b = new[prov]
            where = f"{path.stem} {prov}"
            fa, fb = a["frame"], b["frame"]
            if not (
                fa["method"].astype(str).to_numpy() == fb["method"].astype(str).to_numpy()
            ).all():
                problems.append(f"{where}: methods differ")
            for col in ("mean", "lower", "upper"):
                worst[col] = max(worst.get(col, 0.0), _relative(fb[col], fa[col]))
            worst["paths"] = max(worst.get("paths", 0.0), _relative(b["paths"], a["paths"], 1.0))
            for col in a["diag"].columns:
                if col not in b["diag"].columns:
                    problems.append(f"{where}: diagnostics lost {col}")
                elif pd.api.types.is_numeric_dtype(a["diag"][col]):
                    r = _relative(b["diag"][col], a["diag"][col])
                    worst["diagnostics"] = max(worst.get("diagnostics", 0.0), r)
                    if r > TOL:
                        problems.append(f"{where}: diagnostics {col} differ by {r:.3g}")
                elif not (
                    a["diag"][col].astype(str).to_numpy() == b["diag"][col].astype(str).to_numpy()
                ).all():
                    problems.append(f"{where}: diagnostics {col} differ")
            if a["warnings"] != b["warnings"]:
                problems.append(f"{where}: warnings differ")
    problems += [f"{k} differ by {v:.3g} (relative)" for k, v in worst.items() if v > TOL]
    print(
        f"LAs compared: {len(files)}; worst relative differences: "
        + ", ".join(f"{k} {v:.2g}" for k, v in worst.items())
    )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("las", type=int, nargs="?", default=len(SIZES["national"].boroughs))
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.las)
        return
    problems = compare(args.before, args.after)
    for line in problems:
        print(line)
    print("equal to 1e-8, same methods" if not problems else f"{len(problems)} differences")


if __name__ == "__main__":
    main()
