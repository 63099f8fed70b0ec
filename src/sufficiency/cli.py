"""The `sufficiency` command: run, validate, forecast, schema, example, init."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SufficiencyError

if TYPE_CHECKING:
    from .config import Scenario
    from .data import Inputs

log = logging.getLogger("sufficiency")

_STAGE_TEXT = {
    "load": "loading scenario and inputs",
    "forecast": "projecting demand",
    "solve": "applying levers, building and solving the allocation",
    "unmitigated": "solving the unmitigated allocation for comparison",
    "write": "writing outputs",
}


class _Progress:
    """One line per stage on stderr, with its time (silent with --quiet)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.current: str | None = None
        self.started = 0.0

    def __call__(self, stage: str) -> None:
        self.finish()
        self.current, self.started = stage, time.perf_counter()
        if self.enabled:
            sys.stderr.write(f"  {_STAGE_TEXT.get(stage, stage)} … ")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.current is not None and self.enabled:
            sys.stderr.write(f"{time.perf_counter() - self.started:.1f}s\n")
        self.current = None

    def abandon(self) -> None:
        if self.current is not None and self.enabled:
            sys.stderr.write("failed\n")
        self.current = None


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario_file", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--scenario", "-s", help="named scenario (from the file's `scenarios`)")
    p.add_argument("--override", "-o", action="append", default=[], help="override name to apply")
    p.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a value by dotted key, e.g. --set horizon_years=12",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sufficiency",
        description="SEND sufficiency planning: project demand, allocate places, report.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log details")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="forecast, allocate and write the outputs of a scenario")
    _scenario_args(p)
    p.add_argument("--out", required=True, help="output folder (replaced atomically)")
    p.add_argument("--write-mps", metavar="FILE", help="also export the model solved as MPS")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="write the CSV files and summary.json only (no workbook, charts or HTML report)",
    )

    p = sub.add_parser("compare", help="run several scenarios and compare them with the first")
    p.add_argument(
        "scenario_files",
        metavar="SCENARIO",
        nargs="+",
        help="scenario YAML files; FILE@NAME runs the named scenario of FILE",
    )
    p.add_argument("--out", required=True, help="output folder (replaced atomically)")
    p.add_argument("--no-report", action="store_true", help="write no comparison.xlsx")

    p = sub.add_parser("validate", help="check a scenario and all its data without running it")
    _scenario_args(p)

    p = sub.add_parser("forecast", help="project demand only and write forecast tables")
    _scenario_args(p)
    p.add_argument("--out", required=True, help="output folder")

    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.add_argument(
        "--markdown", action="store_true", help="print the field reference as Markdown instead"
    )

    p = sub.add_parser("example", help="copy the bundled example scenario and data into DIR")
    p.add_argument("dir", metavar="DIR", help="folder to create")

    p = sub.add_parser(
        "init", help="write a starter scenario for any English LA from the DfE's published files"
    )
    p.add_argument("out", metavar="OUT", help="folder to write (must be empty unless --force)")
    p.add_argument("--la", required=True, help="LA code (E08000027), old number (332) or name")
    p.add_argument("--dfe", required=True, metavar="DIR", help="folder of DfE release files")
    p.add_argument(
        "--population",
        action="append",
        metavar="FILE",
        help="ONS mid-year estimates or SNPP file (repeatable); default a flat approximation",
    )
    p.add_argument("--force", action="store_true", help="write into a non-empty OUT")
    return parser


def _load(args: argparse.Namespace) -> tuple[Scenario, Inputs]:
    from .config import load_scenario
    from .data import load_inputs

    scenario = load_scenario(
        args.scenario_file,
        scenario=args.scenario,
        overrides=args.override,
        set_values=args.set_values,
    )
    return scenario, load_inputs(scenario)


def _cmd_run(args: argparse.Namespace, progress: _Progress) -> int:
    from .pipeline import run

    result = run(
        args.scenario_file,
        scenario=args.scenario,
        overrides=args.override,
        set_values=args.set_values,
        on_stage=progress,
    )
    progress("write")
    out = result.write(args.out, report=not args.no_report)
    if args.write_mps:
        result.extras["model"].write_mps(args.write_mps)
    progress.finish()
    s = result.summary
    missed = s.get("out_of_area_target_missed")
    last = s["by_year"][-1]
    print(f"scenario {s['scenario']}: wrote {out}")
    print(
        f"  {s['plan_years'][0]}–{s['plan_years'][-1]}: total cost £{s['total_cost']:,.0f}, "
        f"shortfall {s['total_shortfall']:,.1f} child-years"
    )
    print(
        f"  {last['year']}: {last['ehc_plans']:,.0f} EHC plans "
        f"({last['ehc_plans_lower']:,.0f}–{last['ehc_plans_upper']:,.0f}), "
        f"{last['placed']:,.0f} placed, {last['shortfall']:,.1f} without a place, "
        f"cost £{last['cost']:,.0f}"
    )
    if "unmitigated_total_cost" in s:
        saving = s["unmitigated_total_cost"] - s["total_cost"]
        print(f"  against the unmitigated run: £{saving:,.0f} less spent over the plan years")
    if "capital" in s:
        cap = s["capital"]
        built = ", ".join(cap["built"]) or "nothing"
        print(f"  capital: builds {built} (£{cap['capital_cost']:,.0f}); see builds.csv")
        top = s.get("most_valuable_places", [])
        if top:
            print("  most valuable places to add (£ a year one more place saves):")
            for p in top:
                print(f"    {p['setting']:<24} {p['value_per_place']:>12,.0f}  {p['name']}")
    if missed:
        worst = max(missed.items(), key=lambda kv: kv[1])
        if worst[1] > 0.5:
            print(
                f"  out-of-area target missed by up to {worst[1]:,.0f} children ({worst[0]}); "
                "see local_places.csv for the places needed"
            )
    return 0


def _cmd_compare(args: argparse.Namespace, progress: _Progress) -> int:
    from .pipeline import ScenarioSource, compare

    sources: list[ScenarioSource] = []
    for item in args.scenario_files:
        path, sep, name = item.partition("@")
        sources.append((path, name) if sep else path)
    comparison = compare(sources, on_stage=progress)
    progress("write")
    out = comparison.write(args.out, report=not args.no_report)
    progress.finish()
    t = comparison.table
    print(f"compared {len(comparison.results)} scenarios: wrote {out / 'comparison.csv'}")
    totals = t.groupby("scenario", sort=False)[["cost", "cost_diff", "shortfall"]].sum()
    for name, row in totals.iterrows():
        print(
            f"  {name}: cost £{row['cost']:,.0f} ({row['cost_diff']:+,.0f} against the first), "
            f"shortfall {row['shortfall']:,.1f} child-years"
        )
    return 0


def _cmd_validate(args: argparse.Namespace, progress: _Progress) -> int:
    progress("load")
    scenario, inputs = _load(args)
    progress.finish()
    years = sorted(inputs.caseload["year"].unique())
    print(f"{args.scenario_file}: scenario {scenario.name!r} is valid")
    print(
        f"  caseload {years[0]}–{years[-1]}: {inputs.caseload['children'].sum():,.0f} "
        f"child-years; {len(inputs.settings)} settings; plan years "
        f"{scenario.plan_years[0]}–{scenario.plan_years[-1]}"
    )
    return 0


def _cmd_forecast(args: argparse.Namespace, progress: _Progress) -> int:
    import pandas as pd

    from .pipeline import project
    from .results import write_folder

    progress("load")
    scenario, inputs = _load(args)
    progress("forecast")
    ehcp, sen = project(scenario, inputs)
    progress("write")
    parts = [("ehc_plan", ehcp)] + ([("sen_support", sen)] if sen is not None else [])

    def fill(tmp: Path) -> None:
        tables = {
            "forecast": [f.frame.assign(provision=p) for p, f in parts],
            "forecast_diagnostics": [f.diagnostics.assign(provision=p) for p, f in parts],
            "backtest": [f.backtest_summary(by_series=True).assign(provision=p) for p, f in parts],
        }
        for name, frames in tables.items():
            pd.concat(frames).to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")

    out = write_folder(args.out, fill)
    progress.finish()
    print(f"wrote {out / 'forecast.csv'}, forecast_diagnostics.csv and backtest.csv")
    return 0


def _cmd_schema(args: argparse.Namespace, _progress: _Progress) -> int:
    from .config import json_schema, reference_markdown

    print(reference_markdown() if args.markdown else json.dumps(json_schema(), indent=2))
    return 0


def _cmd_example(args: argparse.Namespace, _progress: _Progress) -> int:
    from .datasets import write_example

    path = write_example(args.dir)
    print(f"example scenario written to {path}")
    print(f"run it with: sufficiency run {path} --out out")
    return 0


def _cmd_init(args: argparse.Namespace, _progress: _Progress) -> int:
    from .datasets.starter import write_starter

    path = write_starter(args.la, args.dfe, args.out, population=args.population, force=args.force)
    print(f"starter scenario written to {path}")
    print(f"read the comments in it, then run: sufficiency run {path} --out {path.parent / 'run'}")
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "compare": _cmd_compare,
    "validate": _cmd_validate,
    "forecast": _cmd_forecast,
    "schema": _cmd_schema,
    "example": _cmd_example,
    "init": _cmd_init,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sufficiency` command.

    Returns:
        The exit code: 0 on success, 2 for bad input or a failed solve, 1 otherwise.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    progress = _Progress(
        enabled=not args.quiet and args.command in ("run", "compare", "forecast", "validate")
    )
    try:
        return _COMMANDS[args.command](args, progress)
    except SufficiencyError as exc:
        progress.abandon()
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        progress.abandon()
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
