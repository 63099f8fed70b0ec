"""What the joint disclosure control costs and hides: ``publication`` on three councils.

For each council: the count cells of ``dsg_plan``, ``scap`` and ``commissioning`` (all plan
years), the counts of 1-4 (primary suppression), how many of them the attacker's audit can
narrow when they are hidden alone, the further cells the joint suppression hides and the
share of all cells hidden, the wall and CPU seconds of ``publication`` (best of
``--repeat``) and of an exact audit of the result (two programmes per hidden cell). With
``--integer``, every hidden count of 1-4 is also audited by an attacker who uses that
counts are whole (a mixed-integer programme per end).

Councils: the bundled borough (``scenarios/baseline.yaml``), its tables scaled to a tenth
(every relation between them is linear, so they stay consistent), and a synthetic borough
of 10 settings (the smallest the generator makes, about a seventh of the bundled one)::

    python -m benchmarks.disclosure                 # measure and write results/disclosure.md
    python -m benchmarks.disclosure --no-write      # print only
    python -m benchmarks.disclosure --integer       # also the integer attacker (slow)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd

import sufficiency
from sufficiency.datasets import synthetic_borough
from sufficiency.postprocess.audit import Attacker, audit, required
from sufficiency.postprocess.publication import NAMES, publication
from sufficiency.postprocess.published_cells import collect
from sufficiency.postprocess.relations import pairs_of

from .machine import machine, machine_block

ROOT = Path(__file__).resolve().parents[1]


def tenth(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The returns tables with every count of children divided by 10: a council a tenth
    the size (every relation between the tables is linear, so they stay consistent)."""
    out = {n: raw[n].copy() for n in NAMES}
    for name in ("scap", "commissioning"):
        counts = [c for c in out[name].columns if out[name][c].dtype.kind == "f"]
        out[name][counts] = out[name][counts] / 10
    d = out["dsg_plan"]
    children = (d["unit"] == "children").to_numpy()
    d.loc[children, "value"] = d.loc[children, "value"].astype(float) / 10
    return out


def councils() -> dict[str, tuple[dict[str, pd.DataFrame], frozenset[tuple[str, str]]]]:
    """The councils measured: their returns tables and pairs of category and type."""
    out = {}
    borough = sufficiency.run(ROOT / "scenarios" / "baseline.yaml")
    pairs = pairs_of(borough.placements, borough.not_in_school)
    raw = {n: getattr(borough, n) for n in NAMES}
    out["bundled borough (Ashworth, 3,300 plans in 2025)"] = (raw, pairs)
    out["the borough's tables divided by 10"] = (tenth(raw), pairs)
    with tempfile.TemporaryDirectory() as folder:
        small = sufficiency.run(synthetic_borough(10, seed=1, path=Path(folder) / "b"))
    out["synthetic borough of 10 settings (493 plans in 2025)"] = (
        {n: getattr(small, n) for n in NAMES},
        pairs_of(small.placements, small.not_in_school),
    )
    return out


def integer_narrowed(
    raw: dict[str, pd.DataFrame], shown: dict[str, pd.DataFrame], pairs: Any
) -> int:
    """Hidden counts of 1-4 an attacker who uses whole counts narrows below 0-4."""
    cells = collect(raw, shown).frame
    narrowed = 0
    for _, part in cells.groupby("year", sort=True):
        attacker = Attacker(part, pairs)
        h = attacker._attacker
        cols = np.flatnonzero(np.concatenate([attacker.hidden, attacker.hidden])).astype(np.int32)
        kind = np.full(len(cols), highspy.HighsVarType.kInteger.value, dtype=np.uint8)
        h.changeColsIntegrality(len(cols), cols, kind)
        small = attacker.hidden & (attacker.value >= 1) & (attacker.value <= 4)
        for i in np.flatnonzero(small):
            lo, hi = attacker.interval(int(i))
            narrowed += int(
                not required(attacker.value[i : i + 1], np.array([lo]), np.array([hi]))[0]
            )
    return narrowed


def measure(repeat: int, integer: bool) -> dict[str, dict[str, float]]:
    """The figures of each council (see the module doc)."""
    out: dict[str, dict[str, float]] = {}
    for label, (raw, pairs) in councils().items():
        walls, cpus = [], []
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            made = publication(raw, pairs=pairs)
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        alone = publication(raw, pairs=pairs, secondary=False)
        open_alone = audit(raw, alone.tables, pairs=pairs, exact=False)
        start = time.perf_counter()
        exact = audit(raw, made.tables, pairs=pairs)
        figures = {
            "cells": made.cells,
            "primary": made.primary,
            "narrowed_when_alone": int((~open_alone["protected"]).sum()),
            "secondary": made.secondary,
            "hidden_share": (made.primary + made.secondary) / made.cells,
            "publication_wall_s": min(walls),
            "publication_cpu_s": min(cpus),
            "exact_audit_wall_s": time.perf_counter() - start,
            "unprotected_after": int((~exact["protected"]).sum()),
        }
        if integer:
            figures["integer_narrowed"] = integer_narrowed(raw, made.tables, pairs)
        out[label] = figures
        print(label, figures, flush=True)
    return out


def main() -> None:
    """Measure and write ``results/disclosure.md`` and ``.json`` (unless ``--no-write``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--integer", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    before = os.getloadavg()
    figures = measure(args.repeat, args.integer)
    after = os.getloadavg()
    integer = "integer_narrowed" in next(iter(figures.values()))
    rows = "\n".join(
        f"| {label} | {f['cells']:,} | {f['primary']:,} | {f['narrowed_when_alone']:,} | "
        f"{f['secondary']:,} | {f['hidden_share']:.1%} | {f['publication_wall_s']:.2f} | "
        f"{f['publication_cpu_s']:.2f} | {f['exact_audit_wall_s']:.1f} | "
        f"{f['unprotected_after']}" + (f" | {f['integer_narrowed']}" if integer else "") + " |"
        for label, f in figures.items()
    )
    head = "| council | count cells | 1-4 (primary) | of them narrowed if hidden alone | "
    head += "more hidden (secondary) | hidden in all | publication wall (s) | "
    head += "publication CPU (s) | exact audit (s) | unprotected after"
    head += " | narrowed by an integer attacker |" if integer else " |"
    text = f"""# Disclosure control: the joint suppression of the returns tables

`sufficiency.postprocess.publication.publication` (what `publish()`, `published/*.csv` and the
workbook's returns sheets use) on each council's `dsg_plan`, `scap` and `commissioning`
tables, every plan year (`python -m benchmarks.disclosure{" --integer" if integer else ""}`).
Publication time is the best of {args.repeat}; the exact audit (two linear programmes per
hidden cell, `audit(..., exact=True)`) is run once on the result. Load averages
{before[0]:.1f} / {before[1]:.1f} before and {after[0]:.1f} / {after[1]:.1f} after (1 / 5
minutes): the machine is shared, so wall times vary by a factor of up to 2.

{head}
|{"---|" * (11 if integer else 10)}
{rows}

"Unprotected after" is by the linear programmes the suppression itself uses (the bounds of
the linear relaxation). An attacker who also uses that counts are whole (a mixed-integer
programme per end, about 0.1 s each: too slow to run on every publication) narrows the
cells of the last column by one child at one end (for example 0-3 instead of 0-4).

Before this change, on the bundled borough, `publish()` applied the per-table rule (776
cells hidden, 1.4 s) and left 279 suppressed cells narrowable by the audit of the time (435
by this audit, 256 of them counts of 1-4); `protect_together` protected them by hiding
3,532 of 5,370 cells (66%) in about 260 s.

{machine_block(ROOT)}"""
    print(text)
    if args.no_write:
        return
    results = Path(__file__).parent / "results"
    (results / "disclosure.md").write_text(text, encoding="utf-8")
    record = {"figures": figures, "machine": machine(ROOT)}
    (results / "disclosure.json").write_text(
        json.dumps(record, indent=2, default=str), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
