"""The default engine against the other one, side by side, on the models where the choice matters.

Usage (from the repository root)::

    python -m benchmarks.engine_choice                  # records the results
    python -m benchmarks.engine_choice --slow           # with the 600-setting region (≈2 min)
    python -m benchmarks.engine_choice --no-write --repeat 1

For each case the plan's model is built once; then ``solve_model`` (both stages of the
tie-break, the money-only re-solve for the value of places) runs with the engine
:func:`~sufficiency.solve.lp.choose_engine` picks and with the other bulk engine (``highs``
or ``cbc``), alternating, ``--repeat`` times each; the best wall and CPU time (this process
and its solver processes) of each are recorded with the objectives, which must agree to
1e-6 relative. Cases: the bundled borough's ``baseline`` and ``reduce_out_of_area`` (an
out-of-area cap links every year), synthetic boroughs of 150 and 300 settings with
continuity (600 with ``--slow``) and, where the shared DfE release is at hand, the starters
of three councils from it, with and without a 30% out-of-area cap by 2028. Results, with
the machine and its load averages, go to ``results/engine_choice.json`` and
``results/engine_choice.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drivers
from benchmarks.machine import machine
from benchmarks.sizes import ROOT, Borough
from sufficiency.solve.lp import build_model, choose_engine, solve_model
from sufficiency.solve.split import largest_part_rows

RESULTS = ROOT / "benchmarks" / "results"
RELEASE = ROOT.parent / "shared" / "data" / "dfe_release_2025_to_2023"
#: Councils of the release whose starters are timed (a metropolitan district, a county and
#: a London borough).
COUNCILS = ("E08000034", "E10000029", "E09000008")
CAP = ("levers.out_of_area.reduce_by=0.3", "levers.out_of_area.by_year=2028")
#: Objectives of the two engines agree to this relative difference.
RTOL = 1e-6


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _cases(folder: Path, slow: bool) -> Iterator[tuple[str, drivers.Case]]:
    for name in ("baseline", "reduce_out_of_area"):
        path = ROOT / "scenarios" / f"{name}.yaml"
        scenario, inputs = drivers.load(path, ())
        yield (
            name,
            drivers.Case(Borough(), path, (), scenario, inputs, drivers.forecast(scenario, inputs)),
        )
    for settings in (150, 300, *((600,) if slow else ())):
        borough = Borough(settings, seed=3)
        yield (
            f"synthetic {settings} settings, continuity",
            drivers.prepare(borough, folder / str(settings)),
        )
    if not RELEASE.is_dir():
        return
    from sufficiency.sources.starter import write_starter

    for code in COUNCILS:
        path = write_starter(code, RELEASE, folder / code)
        for sets in ((), CAP):
            scenario, inputs = drivers.load(path, sets)
            label = f"starter {code}" + (", out-of-area cap" if sets else "")
            yield (
                label,
                drivers.Case(
                    Borough(), path, sets, scenario, inputs, drivers.forecast(scenario, inputs)
                ),
            )


def measure(repeat: int, slow: bool = False) -> dict[str, Any]:
    """Each case's solve with the default engine and with the other, ``repeat`` times."""
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        for label, case in _cases(Path(tmp), slow):
            model = build_model(case.arrays)
            m = model.matrix
            chosen = choose_engine(m)
            other = "highs" if chosen == "cbc" else "cbc"
            times: dict[str, list[tuple[float, float]]] = {chosen: [], other: []}
            objective: dict[str, float] = {}
            for _ in range(repeat):
                for engine in (chosen, other):
                    wall, cpu = time.perf_counter(), _cpu()
                    solved = solve_model(
                        model, solver=engine, time_limit=case.time_limit, fallback=False
                    )
                    times[engine].append((time.perf_counter() - wall, _cpu() - cpu))
                    objective[engine] = solved.objective
            rel = abs(objective[chosen] - objective[other]) / max(abs(objective[other]), 1.0)
            rows.append(
                {
                    "case": label,
                    "rows": m.n_rows,
                    "largest_part_rows": largest_part_rows(m),
                    "default": chosen,
                    "default_wall_s": min(w for w, _ in times[chosen]),
                    "default_cpu_s": min(c for _, c in times[chosen]),
                    "other": other,
                    "other_wall_s": min(w for w, _ in times[other]),
                    "other_cpu_s": min(c for _, c in times[other]),
                    "objective_rel_diff": rel,
                }
            )
            print(f"{label}: {rows[-1]}", file=sys.stderr)
    return {
        "repeat": repeat,
        "cases": rows,
        "objectives_agree": all(r["objective_rel_diff"] <= RTOL for r in rows),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "machine": machine(ROOT),
    }


def render(data: dict[str, Any]) -> str:
    """The results as Markdown."""
    lines = [
        "# The default engine against the other one",
        "",
        "Written by `python -m benchmarks.engine_choice` (see its docstring). `solve_model` on",
        "the plan's model (both stages of the tie-break, the money-only re-solve), with the",
        "engine `choose_engine` picks and with the other bulk engine, alternating; best of "
        f"{data['repeat']}. Seconds of wall time and of CPU (this process and its solver",
        "processes). Load averages (1, 5, 15 min) before "
        + ", ".join(f"{v:.2f}" for v in data["load_before"])
        + ", after "
        + ", ".join(f"{v:.2f}" for v in data["load_after"])
        + ".",
        "",
        "| case | rows | largest part | default | wall s | CPU s | other | wall s | CPU s "
        "| objectives (relative) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["cases"]:
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r['largest_part_rows']:,} | {r['default']} "
            f"| {r['default_wall_s']:.2f} | {r['default_cpu_s']:.2f} | {r['other']} "
            f"| {r['other_wall_s']:.2f} | {r['other_cpu_s']:.2f} "
            f"| {r['objective_rel_diff']:.1e} |"
        )
    faster = sum(r["default_wall_s"] <= r["other_wall_s"] for r in data["cases"])
    lines += [
        "",
        f"The default is the faster in {faster} of {len(data['cases'])} cases; objectives "
        + ("agree" if data["objectives_agree"] else "**do not agree**")
        + f" to {RTOL:g}.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in data["machine"].items()),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--slow", action="store_true", help="add the 600-setting region")
    parser.add_argument("--no-write", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the forecasts' small-series notes
    data = measure(args.repeat, slow=args.slow)
    text = render(data)
    if args.no_write:
        print(text)
    else:
        (RESULTS / "engine_choice.json").write_text(json.dumps(data, indent=2) + "\n")
        (RESULTS / "engine_choice.md").write_text(text)
        print(f"wrote {RESULTS / 'engine_choice.md'}")
    return 0 if data["objectives_agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
