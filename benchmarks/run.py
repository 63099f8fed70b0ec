"""Time every stage at each size, check the acceptance figures, and record the results.

Usage (from the repository root)::

    python -m benchmarks.run                         # borough, region, national (5 LAs)
    python -m benchmarks.run --sizes national --all-las   # all 153 LAs
    python -m benchmarks.run --sizes region-continuity    # slow (minutes); merged in
    python -m benchmarks.run --sizes borough --json new.json --no-write
    python -m benchmarks.run --smoke --no-write      # every size on tiny boroughs (CI)
    python -m benchmarks.run --scale                 # issue 27's figures (benchmarks/scale.py)

Each size runs in its own subprocess (so its peak memory is its own), which times the
in-process stages of :mod:`benchmarks.drivers` (best of at least ``--repeat`` runs); then the
``sufficiency run`` command is timed end to end in another subprocess per borough, with its
peak memory. Results go to ``benchmarks/results/pipeline.json`` (sizes not run keep their
recorded figures, each with the machine it ran on) and a readable
``benchmarks/results/pipeline.md``. ``python -m benchmarks.compare`` compares a new run with
them.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drivers
from benchmarks.machine import machine
from benchmarks.sizes import ROOT, SIZES, Size, select

RESULTS = ROOT / "benchmarks" / "results"
RESULTS_JSON = RESULTS / "pipeline.json"
RESULTS_MD = RESULTS / "pipeline.md"
MIB = 2**20
#: Fast stages run again until their runs took this long together (or ``MAX_RUNS`` runs).
MIN_TOTAL_S = 1.0
MAX_RUNS = 25
#: Objectives of different engines agree to this relative difference.
OBJECTIVE_RTOL = 1e-8

#: Order of ``run()``'s own stage timings in the breakdown table.
BREAKDOWN_ORDER = (
    "load",
    "forecast",
    "arrays",
    "build",
    "solve",
    "unmitigated",
    "write",
    "startup_and_rest",
)
#: Model size figures, summed over a size's boroughs.
MODEL_KEYS = (
    "groups",
    "settings",
    "eligible_pairs",
    "continuity_rows",
    "columns",
    "rows",
    "nonzeros",
)
#: Figures derived from the stages.
DERIVED = (
    "solver_alone_s",
    "build_solve_ratio",
    "arrays_speedup",
    "arrays_identical",
    "objectives_agree",
    "all_optimal",
    "end_to_end_peak_rss_mib",
    "bench_peak_rss_mib",
)
#: In-process stages, in the order they run and are shown.
STAGES: tuple[str, ...] = (
    "load",
    "forecast",
    "arrays",
    "cost_arrays",
    "cost_arrays_plain",
    "reference_arrays",
    "matrix",
    "pulp_build",
    "solve_highs",
    "write_mps",
    "highs_mps",
    "clp_mps",
    "build_solve",
    "report",
)
STAGE_TEXT = {
    "load": "load scenario and inputs",
    "forecast": "forecast (EHC plans and SEN support)",
    "arrays": "arrays as plan() builds them (levers, levels, costs, continuity)",
    "cost_arrays": "build_arrays alone (eligibility, unit costs, capacity), market included",
    "cost_arrays_plain": "build_arrays without the market of last resort (as the reference)",
    "reference_arrays": "per-row Python reference of the cost arrays",
    "matrix": "LP matrix (build_matrix)",
    "pulp_build": "PuLP problem (to_pulp)",
    "solve_highs": "HiGHS given the matrix (passModel + solve)",
    "write_mps": "export MPS (HiGHS writer)",
    "highs_mps": "HiGHS on the MPS, solve alone",
    "clp_mps": "Clp (CBC binary) on the MPS",
    "build_solve": "arrays → matrix → solve, default engine",
    "report": "workbook, charts (PNG and SVG) and HTML page of the run",
    "end_to_end": "`sufficiency run … --out DIR` (subprocess)",
}


# ---------------------------------------------------------------- child: in-process stages


def best(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, list[float]]:
    """The last output of ``fn``, its best time and every time.

    ``fn`` runs ``repeat`` times, then again while all runs together took under
    ``MIN_TOTAL_S`` (at most ``MAX_RUNS`` runs), so that fast stages are timed often enough
    to see past noise.
    """
    times: list[float] = []
    out = None
    while len(times) < max(repeat, 1) or (
        repeat > 1 and sum(times) < MIN_TOTAL_S and len(times) < MAX_RUNS
    ):
        out, seconds = drivers.timed(fn)
        times.append(seconds)
    return out, min(times), times


def measure_borough(
    size: Size, borough: drivers.Borough, folder: Path, repeat: int
) -> dict[str, Any]:
    """Every in-process stage of one borough: seconds, objectives, model size."""
    path = borough.scenario(folder)
    seconds: dict[str, float] = {}
    samples: dict[str, list[float]] = {}

    def stage(name: str, fn: Callable[[], Any], times: int = repeat) -> Any:
        out, seconds[name], samples[name] = best(fn, times)
        return out

    scenario, inputs = stage("load", lambda: drivers.load(path, size.set_values))
    projected = stage("forecast", lambda: drivers.forecast(scenario, inputs), 1)
    arrays = stage("arrays", lambda: drivers.plan_arrays(scenario, inputs, projected))
    planned = drivers.plan_inputs(scenario, inputs)
    stage("cost_arrays", lambda: drivers.cost_arrays(scenario, planned, arrays))
    identical = None
    if size.reference:
        # the per-row reference has no market of last resort and no SEN support: both
        # without them
        plain_inputs = drivers.plan_inputs(scenario, inputs, market=False, sen_support=False)
        plans = drivers.plans_only(arrays)
        ref = stage("reference_arrays", lambda: drivers.reference(scenario, plain_inputs, plans))
        plain = stage(
            "cost_arrays_plain", lambda: drivers.cost_arrays(scenario, plain_inputs, plans)
        )
        identical = drivers.same_arrays(plain, ref)
    m = stage("matrix", lambda: drivers.matrix(arrays))
    stage("pulp_build", lambda: drivers.pulp_problem(m))
    limit = float(scenario.allocation.time_limit_seconds)
    highs = stage("solve_highs", lambda: drivers.highs(m, limit))
    with tempfile.TemporaryDirectory(prefix="sufficiency-mps-") as tmp:
        mps = stage("write_mps", lambda: drivers.export_mps(m, Path(tmp) / "model.mps"))
        rows = None if m.integer.any() else drivers.largest_part_rows(m)
        highs_mps = stage("highs_mps", lambda: drivers.highs_on_mps(mps, limit, rows))
        clp_mps = stage("clp_mps", lambda: drivers.clp_on_mps(m, mps, limit))
    solution = stage("build_solve", lambda: drivers.build_solve(scenario, inputs, projected))
    result = drivers.result(path, size.set_values)
    with tempfile.TemporaryDirectory(prefix="sufficiency-report-") as tmp:
        stage("report", lambda: drivers.report(result, Path(tmp)))
    a, _, _ = m.stacked()
    return {
        "borough": borough.label,
        "scenario": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name),
        "seconds": seconds,
        "samples": samples,
        "arrays_identical": identical,
        "model": {
            "groups": len(arrays.groups),
            "settings": len(arrays.settings),
            "eligible_pairs": arrays.n_pairs,
            "continuity_rows": 0 if arrays.continuity is None else len(arrays.continuity.target),
            "columns": m.n_cols,
            "rows": m.n_rows,
            "nonzeros": int(a.nnz),
        },
        "status": {
            "solve_highs": highs.status,
            "highs_mps": highs_mps.status,
            "clp_mps": clp_mps.status,
            "build_solve": solution.status.value,
        },
        "objective": {
            "solve_highs": highs.objective,
            "highs_mps": highs_mps.objective,
            "clp_mps": clp_mps.objective,
            "build_solve": solution.objective,
        },
        "default_engine": solution.solver,
    }


def child(size: Size, folder: Path, repeat: int, out: Path) -> None:
    """Measure a size's boroughs one after another and write them as JSON."""
    boroughs = []
    for i, borough in enumerate(size.boroughs):
        print(f"  {size.name}: {borough.label} ({i + 1}/{len(size.boroughs)})", file=sys.stderr)
        boroughs.append(measure_borough(size, borough, folder, repeat))
    out.write_text(json.dumps(boroughs))


# ---------------------------------------------------------------- parent: a size


def _agree(values: Sequence[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) != len(values):
        return False
    top = max(abs(v) for v in finite) or 1.0
    return (max(finite) - min(finite)) / top <= OBJECTIVE_RTOL


def measure_size(
    size: Size, *, folder: Path, repeat: int | None, smoke: bool, las: int | None
) -> dict[str, Any]:
    """Run one size: its stages in a subprocess, then the command end to end per borough."""
    reps = size.repeat if repeat is None else repeat
    with tempfile.TemporaryDirectory(prefix="sufficiency-bench-") as tmp:
        out = Path(tmp) / "child.json"
        args = [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--child",
            size.name,
            "--folder",
            str(folder),
            "--repeat",
            str(reps),
            "--json",
            str(out),
        ]
        if smoke:
            args.append("--smoke")
        if las is not None:
            args += ["--las", str(las)]
        done = drivers.run_measured(args, cwd=ROOT)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"benchmark of {size.name} failed (exit {done.returncode})")
        boroughs = json.loads(out.read_text())

        for borough, record in zip(size.boroughs, boroughs, strict=True):
            runs = []
            for k in range(reps):
                target = Path(tmp) / f"out-{borough.label}-{k}"
                runs.append(drivers.end_to_end(borough.scenario(folder), target, size.set_values))
            e2e = min(runs, key=lambda r: r.seconds)
            record["seconds"]["end_to_end"] = e2e.seconds
            record["samples"]["end_to_end"] = [r.seconds for r in runs]
            record["end_to_end"] = {
                "peak_rss_mib": round(max(r.max_rss for r in runs) / MIB, 1),
                "timings": e2e.timings,
                "startup_and_rest_s": e2e.seconds - sum(e2e.timings.values()),
                "solver": e2e.solver,
            }
            record["objective"]["end_to_end"] = e2e.objective

    return summarise(size, boroughs, done.max_rss, reps, smoke=smoke)


def summarise(
    size: Size, boroughs: list[dict[str, Any]], child_rss: int, repeat: int, *, smoke: bool
) -> dict[str, Any]:
    """Figures of a size: seconds per stage summed over boroughs, ratios, memory, checks."""
    stages = [*STAGES, "end_to_end"]
    seconds = {
        s: sum(b["seconds"][s] for b in boroughs)
        for s in stages
        if all(s in b["seconds"] for b in boroughs)
    }
    figures: dict[str, Any] = {f"{s}_s": round(v, 4) for s, v in seconds.items()}
    solver_alone = min(seconds["highs_mps"], seconds["clp_mps"])
    figures["solver_alone_s"] = round(solver_alone, 4)
    figures["build_solve_ratio"] = round(seconds["build_solve"] / solver_alone, 3)
    if "reference_arrays" in seconds:
        # like with like: the reference knows no market, so it is timed against the plain build
        plain_s = seconds.get("cost_arrays_plain", seconds["cost_arrays"])
        figures["arrays_speedup"] = round(seconds["reference_arrays"] / plain_s, 1)
        figures["arrays_identical"] = all(b["arrays_identical"] for b in boroughs)
    figures["objectives_agree"] = all(
        # the command's summary rounds the objective to pennies
        _agree([v for k, v in b["objective"].items() if k != "end_to_end"])
        and abs(b["objective"]["end_to_end"] - b["objective"]["build_solve"])
        <= 0.01 + 1e-9 * abs(b["objective"]["build_solve"])
        for b in boroughs
    )
    figures["all_optimal"] = all(
        s.lower() == "optimal" for b in boroughs for s in b["status"].values()
    )
    figures["end_to_end_peak_rss_mib"] = max(b["end_to_end"]["peak_rss_mib"] for b in boroughs)
    figures["bench_peak_rss_mib"] = round(child_rss / MIB, 1)
    breakdown: dict[str, float] = {}
    for b in boroughs:
        for k, v in {
            **b["end_to_end"]["timings"],
            "startup_and_rest": b["end_to_end"]["startup_and_rest_s"],
        }.items():
            breakdown[k] = breakdown.get(k, 0.0) + v
    model = {k: sum(b["model"][k] for b in boroughs) for k in boroughs[0]["model"]}
    return {
        "description": size.description,
        "boroughs": len(boroughs),
        "of_boroughs": len(SIZES[size.name].boroughs),
        "smoke": smoke,
        "repeat": repeat,
        "set_values": list(size.set_values),
        "model": model,
        "figures": figures,
        "end_to_end_breakdown_s": {k: round(v, 4) for k, v in breakdown.items()},
        "default_engine": sorted({b["default_engine"] for b in boroughs}),
        "per_borough": boroughs,
    }


# ---------------------------------------------------------------- acceptance


@dataclass(frozen=True)
class Check:
    """An acceptance figure: ``figure op limit`` at a size."""

    size: str
    figure: str
    op: str
    limit: float | bool
    text: str

    def holds(self, value: Any) -> bool:
        ops: dict[str, Callable[[Any, Any], bool]] = {
            "<": operator.lt,
            "<=": operator.le,
            ">=": operator.ge,
            "==": operator.eq,
        }
        return bool(ops[self.op](value, self.limit))


ACCEPTANCE: tuple[Check, ...] = (
    Check(
        "borough",
        "build_solve_ratio",
        "<=",
        2.0,
        "build + solve within 2× of the faster of HiGHS and Clp on the exported MPS",
    ),
    Check(
        "borough",
        "end_to_end_s",
        "<",
        5.0,
        "`sufficiency run scenarios/baseline.yaml --out DIR` under 5 s",
    ),
    Check(
        "borough",
        "report_s",
        "<",
        1.5,
        "workbook, charts and HTML page written in under 1.5 s",
    ),
    Check("borough", "objectives_agree", "==", True, "every engine gives the same objective"),
    Check(
        "region",
        "build_solve_ratio",
        "<=",
        1.5,
        "build + solve within 1.5× of the faster of HiGHS and Clp on the exported MPS",
    ),
    Check(
        "region",
        "arrays_speedup",
        ">=",
        50.0,
        "cost arrays ≥ 50× faster than the per-row reference",
    ),
    Check(
        "region", "arrays_identical", "==", True, "cost arrays identical to the per-row reference"
    ),
    Check("region", "end_to_end_peak_rss_mib", "<", 1024.0, "peak memory below 1 GiB"),
    Check("region", "objectives_agree", "==", True, "every engine gives the same objective"),
)


def checks(sizes: dict[str, Any]) -> list[dict[str, Any]]:
    """Each acceptance check against the recorded figures of full (not smoke) sizes."""
    out = []
    for c in ACCEPTANCE:
        record = sizes.get(c.size)
        if record is None or record["smoke"] or c.figure not in record["figures"]:
            continue
        value = record["figures"][c.figure]
        out.append(
            {
                "size": c.size,
                "figure": c.figure,
                "value": value,
                "limit": f"{c.op} {c.limit}",
                "holds": c.holds(value),
                "text": c.text,
            }
        )
    return out


# ---------------------------------------------------------------- results files


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _not_optimal(record: dict[str, Any]) -> str:
    """Stages whose solve did not reach optimality, with their status (objectives then differ)."""
    found = {
        f"{stage}: {status}"
        for b in record["per_borough"]
        for stage, status in b["status"].items()
        if status.lower() != "optimal"
    }
    return "; ".join(sorted(found)) or "–"


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    sizes = results["sizes"]
    names = list(sizes)
    lines = [
        "# Pipeline benchmarks",
        "",
        "Written by `python -m benchmarks.run` (see `benchmarks/README.md`); compare a new run "
        "with `python -m benchmarks.compare`. Seconds are the best of at least `repeat` runs "
        "(fast stages run until they took 1 s together, at most 25 times), summed over a "
        "size's boroughs; the forecast runs once. Other work on the same machine adds noise.",
        "",
        "## Acceptance",
        "",
        "| size | figure | value | limit | holds | what |",
        "|---|---|---|---|---|---|",
    ]
    for c in results["checks"]:
        lines.append(
            f"| {c['size']} | {c['figure']} | {_fmt(c['value'])} | {c['limit']} | "
            f"{_fmt(c['holds'])} | {c['text']} |"
        )

    def table(title: str, rows: list[tuple[str, list[str]]]) -> None:
        lines.extend(["", f"## {title}", "", "| | " + " | ".join(names) + " |"])
        lines.append("|---" * (len(names) + 1) + "|")
        lines.extend(f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows)

    def cells(section: str, key: str) -> list[str]:
        return [_fmt(sizes[n][section][key]) if key in sizes[n][section] else "" for n in names]

    table(
        "Sizes",
        [
            ("what", [sizes[n]["description"] for n in names]),
            (
                "boroughs run",
                [f"{sizes[n]['boroughs']} of {sizes[n]['of_boroughs']}" for n in names],
            ),
            ("repeat", [str(sizes[n]["repeat"]) for n in names]),
            ("`--set`", [", ".join(sizes[n]["set_values"]) or "–" for n in names]),
            *[(k, cells("model", k)) for k in MODEL_KEYS],
            ("recorded", [sizes[n]["machine"]["date"] for n in names]),
            ("commit", [sizes[n]["machine"]["commit"] for n in names]),
        ],
    )
    stages = [*STAGES, "end_to_end"]
    table(
        "Seconds per stage",
        [(f"{s} – {STAGE_TEXT[s]}", cells("figures", f"{s}_s")) for s in stages],
    )
    table(
        "Derived figures",
        [
            *[(k, cells("figures", k)) for k in DERIVED],
            ("not optimal", [_not_optimal(sizes[n]) for n in names]),
        ],
    )
    found = {k for n in names for k in sizes[n]["end_to_end_breakdown_s"]}
    keys = [k for k in BREAKDOWN_ORDER if k in found] + sorted(found - set(BREAKDOWN_ORDER))
    table(
        "`sufficiency run` breakdown (seconds, from summary.json)",
        [(k, cells("end_to_end_breakdown_s", k)) for k in keys],
    )
    m = results["machine"]
    lines += ["", "## Machine (latest run)", ""]
    lines += [f"- {k}: {v}" for k, v in m.items()]
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], path: Path, *, merge: bool) -> dict[str, Any]:
    """Write the JSON (merged with the sizes already recorded) and its Markdown beside it."""
    if merge and path.is_file():
        old = json.loads(path.read_text())
        results = {**results, "sizes": {**old.get("sizes", {}), **results["sizes"]}}
    results["checks"] = checks(results["sizes"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    path.with_suffix(".md").write_text(markdown(results))
    return results


# ---------------------------------------------------------------- command line


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", help=f"comma-separated, or 'all' ({', '.join(SIZES)})")
    p.add_argument("--smoke", action="store_true", help="every stage once on tiny boroughs")
    p.add_argument("--las", type=int, help="boroughs of multi-borough sizes (default 5)")
    p.add_argument("--all-las", action="store_true", help="all 153 LAs of `national`")
    p.add_argument("--repeat", type=int, help="runs per stage (default: the size's)")
    p.add_argument("--json", type=Path, help=f"results file (default {RESULTS_JSON})")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--replace", action="store_true", help="drop recorded sizes not run now")
    p.add_argument(
        "--scale",
        action="store_true",
        help="speed at scale instead (every LA, a region with continuity, 200 draws, "
        "capital plans: benchmarks/scale.py)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmarks; returns the results (as written)."""
    args = parse(argv)
    if args.scale:
        from benchmarks import scale

        return scale.main(["--no-write"] if args.no_write else [])
    las = 0 if args.all_las else args.las
    if args.child:
        (size,) = select(args.child, smoke=args.smoke, las=las)
        child(size, args.folder, args.repeat, args.json)
        return {}
    sizes = select(args.sizes, smoke=args.smoke, las=las)
    results: dict[str, Any] = {"machine": machine(ROOT), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="sufficiency-boroughs-") as folder:
        for size in sizes:
            print(f"{size.name}: {len(size.boroughs)} borough(s)", file=sys.stderr)
            record = measure_size(
                size, folder=Path(folder), repeat=args.repeat, smoke=args.smoke, las=las
            )
            record["machine"] = results["machine"]
            results["sizes"][size.name] = record
            print(summary_line(size.name, record), file=sys.stderr)
    target = args.json or (None if args.smoke else RESULTS_JSON)
    if target is not None and not args.no_write:
        results = write_results(results, target, merge=not args.replace)
        print(f"wrote {target} and {target.with_suffix('.md').name}", file=sys.stderr)
    else:
        results["checks"] = checks(results["sizes"])
    for c in results["checks"]:
        print(
            f"  {'ok  ' if c['holds'] else 'FAIL'} {c['size']}: {c['figure']} = "
            f"{c['value']} ({c['limit']}) — {c['text']}",
            file=sys.stderr,
        )
    return results


def summary_line(name: str, record: dict[str, Any]) -> str:
    f = record["figures"]
    return (
        f"  {name}: build+solve {f['build_solve_s']:.2f}s ({f['build_solve_ratio']:.2f}× solver "
        f"alone {f['solver_alone_s']:.2f}s), end to end {f['end_to_end_s']:.2f}s, "
        f"peak {f['end_to_end_peak_rss_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
