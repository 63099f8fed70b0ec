"""The `sufficiency` command: run, validate, forecast, schema, example, init."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SufficiencyError
from .text_storage import python_strings

if TYPE_CHECKING:
    from .config import Scenario
    from .data import Inputs

log = logging.getLogger("sufficiency")

_STAGE_TEXT = {
    "load": "loading scenario and inputs",
    "forecast": "projecting demand",
    # with levers or capital options the unmitigated allocation is solved beside it
    "solve": "applying levers, building and solving the allocation",
    "write": "writing outputs",
}


class _Progress:
    """One line per stage on stderr, with its time (silent with --quiet).

    A warning or log message during a stage starts on a line of its own, and the stage's
    time is then given on a line that names the stage again.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.current: str | None = None
        self.started = 0.0
        self.open = False  # a stage's line is waiting for its time

    def __call__(self, stage: str) -> None:
        self.finish()
        self.current, self.started = stage, time.perf_counter()
        if self.enabled:
            sys.stderr.write(f"  {self._text()} … ")
            sys.stderr.flush()
            self.open = True

    def _text(self) -> str:
        return _STAGE_TEXT.get(self.current or "", self.current or "")

    def _end(self, words: str) -> None:
        if self.current is not None and self.enabled:
            sys.stderr.write(words + "\n" if self.open else f"  {self._text()} … {words}\n")
        self.current, self.open = None, False

    def finish(self) -> None:
        self._end(f"{time.perf_counter() - self.started:.1f}s")

    def abandon(self) -> None:
        self._end("failed")

    def break_line(self) -> None:
        """End the stage's open line, so that a message printed next starts on its own."""
        if self.open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.open = False

    def filter(self, record: logging.LogRecord) -> bool:
        """A logging filter: the record is printed, on a line of its own."""
        self.break_line()
        return True

    def warning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        """A warning as the command shows it, on a line of its own: ``warning: <message>``
        (no file, line or code; ``warnings.formatwarning``'s signature)."""
        self.break_line()
        return f"warning: {message}\n"


_FORCE_HELP = (
    "replace an existing output folder that sufficiency did not write, or whose files were "
    "edited since (never one holding the scenario or its data files)"
)
_FORCE_STARTER = (
    "write into a folder that is not empty, replacing only files an earlier example or init "
    "wrote there and nobody edited since"
)


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario_file", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--scenario", "-s", help="named scenario (from the file's `scenarios`)")
    p.add_argument("--override", "-o", action="append", default=[], help="override name to apply")
    _set_arg(p, "set a value by dotted key, e.g. --set horizon_years=12")


def _set_arg(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument(
        "--set", dest="set_values", action=_SetOnce, default=[], metavar="KEY=VALUE", help=text
    )


class _Checked(argparse.Action):
    """An action that refuses a value (:meth:`clash`) before it is kept."""

    def clash(self, namespace: argparse.Namespace, values: Any, option: str | None) -> str:
        """Why ``values`` may not be kept ("" if they may)."""
        return ""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if why := self.clash(namespace, values, option_string):
            parser.error(why)
        super().__call__(parser, namespace, values, option_string)


class _SetOnce(_Checked, argparse._AppendAction):
    """``--set``, refused when it sets a key already set (or a key inside one set, or one
    holding it: ``forecast`` and ``forecast.method``): the last would silently win."""

    def clash(self, namespace: argparse.Namespace, values: Any, option: str | None) -> str:
        key = str(values).partition("=")[0].strip()
        for earlier in getattr(namespace, self.dest, None) or []:
            k = str(earlier).partition("=")[0].strip()
            if key and (k == key or k.startswith(key + ".") or key.startswith(k + ".")):
                return f"--set {key} given twice ({earlier} and {values}): give each key once"
        return ""


def _global_flags(p: argparse.ArgumentParser, *, top: bool) -> None:
    """``--verbose`` and ``--quiet``, accepted before or after the command: on the
    command's parser they default to "not given", so they never undo the top level's."""
    default: object = False if top else argparse.SUPPRESS
    p.add_argument(
        "--verbose",
        "-v",
        action="count",
        default=0 if top else argparse.SUPPRESS,
        help="log details; twice (-vv) also the solvers' own output",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", default=default, help="no progress display"
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sufficiency")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


#: Where :class:`_Once` keeps the options given so far (taken off the parsed arguments).
_ONCE = "_options_given"


class _Once(_Checked, argparse._StoreAction):
    """An option that takes one value, refused when given twice: argparse keeps the last
    (``--costs A --costs B`` read B alone, A left aside without a word)."""

    def clash(self, namespace: argparse.Namespace, values: Any, option: str | None) -> str:
        given: dict[str, Any] = namespace.__dict__.setdefault(_ONCE, {})
        if self.dest in given:
            return f"{option} given twice ({given[self.dest]} and {values}): give it once"
        given[self.dest] = values
        return ""


def _each_once(*parsers: argparse.ArgumentParser) -> None:
    """Make every option of ``parsers`` that takes one value a :class:`_Once`."""
    for p in parsers:
        for action in p._actions:
            if type(action) is argparse._StoreAction and action.option_strings:
                action.__class__ = _Once


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sufficiency",
        description="SEND sufficiency planning: project demand, allocate places, report.",
    )
    parser.add_argument("--version", action="version", version=f"sufficiency {_version()}")
    _global_flags(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True)
    flags = argparse.ArgumentParser(add_help=False)
    _global_flags(flags, top=False)

    p = sub.add_parser(
        "run", parents=[flags], help="forecast, allocate and write the outputs of a scenario"
    )
    _scenario_args(p)
    p.add_argument(
        "--out",
        required=True,
        help="output folder: new, empty, or written by sufficiency before (replaced atomically)",
    )
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)
    p.add_argument("--write-mps", metavar="FILE", help="also export the model solved as MPS")
    p.add_argument(
        "--draws",
        type=int,
        metavar="N",
        help="also allocate N forecast sample paths (uncertainty.draws): uncertainty*.csv",
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="processes for the draws (uncertainty.workers)"
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="write the CSV files and summary.json only (no workbook, charts or HTML report)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to report.pdf (needs Chromium or Chrome installed)",
    )

    p = sub.add_parser(
        "compare", parents=[flags], help="run several scenarios and compare them with the first"
    )
    p.add_argument(
        "scenario_files",
        metavar="SCENARIO",
        nargs="+",
        help="scenario YAML files; FILE@NAME runs the named scenario of FILE",
    )
    p.add_argument(
        "--scenario",
        "-s",
        dest="scenario_names",
        action="append",
        default=[],
        metavar="NAME",
        help="named scenario: once for every file, or once per file in order "
        "(FILE@NAME also works)",
    )
    _set_arg(p, "set a value by dotted key in every scenario, e.g. --set horizon_years=12")
    p.add_argument(
        "--out",
        required=True,
        help="output folder: new, empty, or written by sufficiency before (replaced atomically)",
    )
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)
    p.add_argument(
        "--no-report", action="store_true", help="write no comparison.xlsx or comparison.html"
    )

    p = sub.add_parser(
        "validate", parents=[flags], help="check a scenario and all its data without running it"
    )
    _scenario_args(p)

    p = sub.add_parser(
        "forecast", parents=[flags], help="project demand only and write forecast tables"
    )
    _scenario_args(p)
    p.add_argument(
        "--out", required=True, help="output folder: new, empty, or written by sufficiency before"
    )
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)

    p = sub.add_parser("schema", parents=[flags], help="print the JSON Schema of scenario files")
    p.add_argument(
        "--markdown", action="store_true", help="print the field reference as Markdown instead"
    )

    p = sub.add_parser(
        "example", parents=[flags], help="copy the bundled example scenario and data into DIR"
    )
    p.add_argument("dir", metavar="DIR", help="folder to create (new or empty)")
    p.add_argument(
        "--all",
        dest="all_scenarios",
        action="store_true",
        help="also copy every bundled lever scenario (scenarios/*.yaml)",
    )
    p.add_argument(
        "--own-files",
        action="store_true",
        help="also copy the borough's SEN2 returns (sen2/) and register extract (gias.csv), "
        "for init --sen2",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=_FORCE_STARTER,
    )

    p = sub.add_parser(
        "init",
        parents=[flags],
        help=(
            "write a starter scenario: for any English LA from the DfE's published files "
            "(--la, --dfe), or from the council's own SEN2 returns and the register of "
            "establishments (--sen2, --gias)"
        ),
    )
    p.add_argument("out", metavar="OUT", help="folder to write (must be empty unless --force)")
    p.add_argument(
        "--la",
        help="LA code (E08000027), old number (332) or name (with --sen2: the population's "
        "area, default the register's LA name)",
    )
    p.add_argument("--dfe", metavar="DIR", help="folder of DfE release files")
    p.add_argument(
        "--sen2",
        metavar="PATH",
        help="the council's SEN2 returns (Blade export folder or workbook)",
    )
    p.add_argument(
        "--gias", metavar="FILE", help="register of establishments (GIAS): its CSV, or a workbook"
    )
    p.add_argument(
        "--places",
        metavar="FILE",
        help="place numbers: URN, places, optional needs and academic_year (planned changes); "
        "CSV, or a workbook (book.xlsx#Sheet picks a sheet)",
    )
    p.add_argument(
        "--costs",
        metavar="FILE",
        help="costs per school (urn, place_funding, top_up, fee, transport) or per child (CSV "
        "or workbook); a column left out keeps its national figure",
    )
    p.add_argument(
        "--population",
        action="append",
        metavar="FILE",
        help="ONS mid-year estimates or SNPP file (repeatable); default a flat approximation",
    )
    p.add_argument("--force", action="store_true", help=_FORCE_STARTER)
    _sweep_parser(sub, flags)
    _each_once(parser, *sub.choices.values())
    return parser


def _given(*paths: str | Sequence[str] | None) -> list[str]:
    """The paths of input options given (each a path, a list of paths, or None)."""
    out: list[str] = []
    for p in paths:
        if isinstance(p, str):
            out.append(p)
        elif p is not None:
            out += list(p)
    return out


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


def _check_mps_target(path: str, scenario_file: str) -> Path:
    """Refuse an MPS export that could not be written, or would replace the scenario."""
    target = Path(path).absolute()
    if not target.parent.is_dir():
        raise SufficiencyError(
            f"--write-mps {path}: the folder {target.parent} does not exist; create it first"
        )
    if target.is_dir():
        raise SufficiencyError(f"--write-mps {path}: is a folder; name a file such as model.mps")
    if target.exists() and target.resolve() == Path(scenario_file).resolve():
        raise SufficiencyError(f"--write-mps {path}: is the scenario file itself")
    return target


def _sweep_parser(sub: Any, flags: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "sweep",
        parents=[flags],
        help="run many LAs × scenarios as independent tasks on Dask; gather one table",
    )
    p.add_argument("scenario_files", metavar="SCENARIO", nargs="*", help="one scenario file per LA")
    p.add_argument(
        "--all-las", action="store_true", help="every LA in the --dfe files, from its starter"
    )
    p.add_argument(
        "--la", action="append", default=[], help="an LA of the --dfe files (code or name)"
    )
    p.add_argument("--dfe", metavar="DIR", help="folder of DfE release files (see init)")
    p.add_argument("--out", required=True, help="output folder (sweep.csv, errors.csv)")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE",
        help="a scenario run for every LA besides the baseline (repeat NAME for more keys)",
    )
    p.add_argument(
        "--set",
        dest="set_values",
        action=_SetOnce,
        default=[],
        metavar="KEY=VALUE",
        help="a setting applied to every task",
    )
    p.add_argument("--draws", type=int, default=0, metavar="N", help="forecast draws per task")
    p.add_argument("--seed", type=int, metavar="N", help="seed of the draws")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler to use")
    p.add_argument("--workers", type=int, metavar="N", help="workers of the local cluster")
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)


def _cmd_sweep(args: argparse.Namespace, _progress: _Progress) -> int:
    from .guard import scenario_inputs
    from .outputs import check_output_folder
    from .sweep import Task, dask_loggers, sweep

    if args.draws < 0:
        raise SufficiencyError(f"--draws {args.draws}: give a number of draws, 0 or more")
    if args.workers is not None and args.workers < 1:
        raise SufficiencyError(f"--workers {args.workers}: give 1 or more")
    guarded = [p for f in args.scenario_files for p in scenario_inputs(f)]
    check_output_folder(args.out, force=args.force, protect=[*guarded, *_given(args.dfe)])
    if not args.verbose:  # Dask's own INFO lines (cluster start and stop) only with -v
        with contextlib.suppress(ImportError):
            import distributed  # noqa: F401  (sets up its loggers, which are then quietened)
        for dask_logger in dask_loggers():
            dask_logger.setLevel(logging.WARNING)
    variants: dict[str, list[str]] = {"baseline": []}
    for text in args.variant:
        name, sep, setting = text.partition(":")
        if not sep or "=" not in setting or not name:
            raise SufficiencyError(f"--variant {text!r}: expected NAME:KEY=VALUE")
        variants.setdefault(name, []).append(setting)
    quiet = args.quiet

    def started(dashboard: str | None, n: int) -> None:
        if not quiet:
            sys.stderr.write(f"sweep of {n} tasks; Dask dashboard: {dashboard}\n")

    def progress(done: int, total: int, task: Task, error: str | None) -> None:
        if not quiet:
            state = "ok" if error is None else f"FAILED: {error}"
            sys.stderr.write(f"[{done}/{total}] {task.la} / {task.scenario}: {state}\n")

    if args.dfe is None and (args.all_las or args.la):
        raise SufficiencyError("--all-las and --la need --dfe DIR (the DfE release files)")
    if args.dfe is not None and not (args.all_las or args.la):
        raise SufficiencyError("--dfe needs --all-las or --la CODE")
    if args.dfe is None and not args.scenario_files:
        raise SufficiencyError("give scenario files, or --dfe DIR with --all-las or --la")
    las: Any = "all" if args.all_las else (args.la or args.scenario_files)
    result = sweep(
        las,
        variants,
        dfe=args.dfe,
        draws=args.draws,
        seed=args.seed,
        set_values=args.set_values,
        scheduler=args.scheduler,
        n_workers=args.workers,
        on_progress=progress,
        on_start=started,
    )
    out = result.write(args.out, force=args.force)
    for said in result.warnings.itertuples():
        sys.stderr.write(f"warning: {said.la} / {said.scenario}: {said.warning}\n")
    n = len(result.warnings)
    warned = f"; {n} warning{'s' * (n != 1)} (warnings.csv)" if n else ""
    print(
        f"sweep: {len(result.tasks) - len(result.errors)} of {len(result.tasks)} tasks done in "
        f"{result.seconds:.1f}s{warned}; wrote {out}"
    )
    if result.disclosed:
        print(
            f"  {len(result.disclosed)} task(s) under disclosure control: the sweep as "
            f"published is in {out / 'published'} (the files beside it are working figures)"
        )
    for row in result.errors.itertuples():
        print(f"  failed: {row.la} / {row.scenario}: {row.error}")
    return 0 if result.errors.empty else 1


def _money_or_not_modelled(value: float | None) -> str:
    """A summary figure of money as the command says it: "not modelled" where null."""
    return "not modelled" if value is None else f"£{value:,.0f}"


def _cmd_run(args: argparse.Namespace, progress: _Progress) -> int:
    from .guard import scenario_inputs
    from .outputs import check_output_folder, input_paths
    from .pipeline import run
    from .postprocess.headline import optimality

    guarded = scenario_inputs(args.scenario_file, args.scenario)
    check_output_folder(args.out, force=args.force, protect=guarded)  # fail early
    if args.pdf and args.no_report:
        raise SufficiencyError("--pdf prints the report: it cannot go with --no-report")
    if args.pdf:
        from .report.pdf import NO_BROWSER, find_browser

        if find_browser() is None:  # before the run, not after it
            raise SufficiencyError(NO_BROWSER)
    mps = _check_mps_target(args.write_mps, args.scenario_file) if args.write_mps else None
    extra = [f"uncertainty.draws={args.draws}"] if args.draws is not None else []
    extra += [f"uncertainty.workers={args.workers}"] if args.workers is not None else []
    result = run(
        args.scenario_file,
        scenario=args.scenario,
        overrides=args.override,
        set_values=[*args.set_values, *extra],
        on_stage=progress,
    )
    progress("write")
    if mps is not None and mps.resolve() in {p.resolve() for p in input_paths(result)}:
        raise SufficiencyError(f"--write-mps {args.write_mps}: is one of the scenario's data files")
    out = result.write(args.out, report=not args.no_report, force=args.force, pdf=args.pdf)
    if mps is not None:
        result.extras["model"].write_mps(mps)
    progress.finish()
    s = result.summary
    missed = s.get("out_of_area_target_missed")
    last = s["by_year"][-1]
    print(f"scenario {s['scenario']}: wrote {out}" + (" (report.pdf too)" if args.pdf else ""))
    schools = _money_or_not_modelled(s.get("total_school_cost"))
    print(
        f"  {s['plan_years'][0]}–{s['plan_years'][-1]}: cost to the council "
        f"£{s['total_cost']:,.0f} (High Needs Block £{s['total_hnb_cost']:,.0f}, transport "
        f"£{s['total_transport_cost']:,.0f}); schools' notional SEN budgets "
        f"{schools}; sufficiency gap {s['total_shortfall']:,.1f} child-years"
    )
    if "base_year_hnb_cost" in s:
        line = (
            f"  base year {s['base_year']}: High Needs Block £{s['base_year_hnb_cost']:,.0f} "
            "as modelled"
        )
        if "council_base_year_hnb_cost" in s:
            diff = s.get("base_year_hnb_cost_difference")
            line += f", the council's own £{s['council_base_year_hnb_cost']:,.0f}" + (
                f" ({diff:+.1%})" if diff is not None else ""
            )
        print(line)
    if s.get("assumptions"):
        names = ", ".join(a["what"] for a in s["assumptions"])
        print(f"  {len(s['assumptions'])} assumptions in force: {names}; see the report")
    print(
        f"  {last['year']}: {last['ehc_plans']:,.0f} EHC plans "
        f"({last['ehc_plans_lower']:,.0f}–{last['ehc_plans_upper']:,.0f}), "
        f"{last['placed']:,.0f} placed ({last['market']:,.1f} by the market: the gap), "
        f"{last['not_placed']:,.0f} not in school; cost to the council "
        f"£{last['total_cost']:,.0f}"
    )
    if last.get("sen_support_placed") is None:
        missing = "; ".join(f"{n['what']} ({n['why']})" for n in s.get("not_modelled", []))
        print(f"  not modelled: {missing}")
    elif last["sen_support_placed"] > 0:
        print(
            f"  {last['year']}: {last['sen_support_placed']:,.0f} on SEN support placed "
            f"({last['sen_support_kept_in_mainstream']:,.1f} kept in mainstream for want of a "
            f"place at their level); schools' cost {_money_or_not_modelled(last['school_cost'])}"
        )
    if result.uncertainty is not None:
        u = result.uncertainty.by_year.iloc[-1]
        print(
            f"  over {int(u['draws'])} forecast draws, {int(u['year'])}: places suffice in "
            f"{u['p_suffice']:.0%}; places to commission P50 {u['places_to_commission_p50']:,.0f}"
            f", P95 {u['places_to_commission_p95']:,.0f}; cost to the council P95 "
            f"£{u['total_cost_p95']:,.0f} (uncertainty.csv)"
        )
        for line in result.uncertainty.build_headlines():
            print(f"    {line}")
    if "unlawful" in s:
        print(
            f"  UNLAWFUL: {s['total_no_place']:,.1f} child-years with no place at all; "
            "switch the market of last resort back on (allocation.market.enabled)"
        )
    overrun = _overrun(s)
    if overrun:
        print(f"  {overrun}")
    if "unmitigated_total_cost" in s:
        print(f"  {against_unmitigated(s)}")
    if "capital" in s:
        cap = s["capital"]
        built = ", ".join(cap["built"]) or "nothing"
        print(
            f"  capital: builds {built} (£{cap['capital_cost']:,.0f}){optimality(cap)}; "
            "see builds.csv"
        )
        for b in result.builds[result.builds["built"].astype(bool)].to_dict("records"):
            payback = b.get("payback_years")
            paid = f", payback {payback:,.1f} years" if payback == payback else ""  # NaN: none
            print(
                f"    {b['option']:<24} opens {int(b['open_year'])}: gap avoided "
                f"{b.get('shortfall_avoided', 0.0):,.1f} child-years, net saving "
                f"£{b.get('net_saving', 0.0):,.0f}{paid}"
            )
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


def _compare_sources(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """Each file of ``compare`` with its named scenario (``FILE@NAME`` or ``--scenario``)."""
    from .errors import ScenarioError

    names: list[str] = args.scenario_names
    files: list[str] = args.scenario_files
    if names and len(names) not in (1, len(files)):
        raise ScenarioError(
            f"--scenario was given {len(names)} times for {len(files)} files: give it once "
            "(for every file) or once per file, in order"
        )
    sources: list[tuple[str, str | None]] = []
    for i, item in enumerate(files):
        path, sep, name = item.partition("@")
        given = names[0] if len(names) == 1 else names[i] if names else None
        sources.append((path, name if sep else given))
    return sources


def _cmd_compare(args: argparse.Namespace, progress: _Progress) -> int:
    from .guard import scenario_inputs
    from .outputs import check_output_folder
    from .pipeline import ScenarioSource, compare

    pairs = _compare_sources(args)
    sources: list[ScenarioSource] = [(p, n) if n else p for p, n in pairs]
    queue = [f"{p}@{n}" if n else p for p, n in pairs]
    guarded = [p for path, name in pairs for p in scenario_inputs(path, name)]
    check_output_folder(args.out, force=args.force, protect=guarded)

    def on_stage(stage: str) -> None:
        if stage == "load" and queue:  # each run starts by loading: name it
            progress.finish()
            if progress.enabled:
                done = len(pairs) - len(queue) + 1
                sys.stderr.write(f"scenario {done}/{len(pairs)}: {queue.pop(0)}\n")
        progress(stage)

    comparison = compare(sources, set_values=args.set_values, on_stage=on_stage)
    progress("write")
    out = comparison.write(args.out, report=not args.no_report, force=args.force)
    progress.finish()
    t = comparison.table
    written = ["comparison.csv"] + (
        [] if args.no_report else ["comparison.xlsx", "comparison.html"]
    )
    print(
        f"compared {len(comparison.results)} scenarios: wrote "
        + ", ".join(str(out / name) for name in [*written, "summary.json"])
    )
    totals = t.groupby("scenario", sort=False)[["cost", "cost_diff", "shortfall"]].sum()
    for result in comparison.results:
        s = result.summary
        row = totals.loc[s["scenario"]]
        print(
            f"  {s['scenario']}: cost £{row['cost']:,.0f} ({row['cost_diff']:+,.0f} against the "
            f"first), shortfall {row['shortfall']:,.1f} child-years"
        )
        last = s["by_year"][-1]
        line = f"    out of area in {last['year']}: {last.get('out_of_area', 0):,.0f} children"
        missed = s.get("out_of_area_target_missed") or {}
        worst = max(missed.values(), default=0.0)
        if "out_of_area_cap" in last:
            line += f" (cap {last['out_of_area_cap']:,.0f})"
        if worst > 0.5:
            line += f"; target missed by up to {worst:,.0f} children"
        print(line)
        overrun = _overrun(s)
        if overrun:
            print(f"    {overrun}")
    return 0


def _overrun(summary: dict[str, Any]) -> str:
    """The line on a High Needs Block budget's overrun ('' without a budget or overrun)."""
    overruns = [r for r in summary["by_year"] if (r.get("budget_overrun") or 0) > 0]
    if not overruns:
        return ""
    worst = max(overruns, key=lambda r: r["budget_overrun"])
    return (
        f"High Needs Block budget overrun in {len(overruns)} year(s), up to "
        f"£{worst['budget_overrun']:,.0f} ({worst['year']}): the saving needed"
    )


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

    from .guard import scenario_inputs
    from .outputs import check_output_folder, write_csv, write_folder
    from .pipeline import project

    guarded = scenario_inputs(args.scenario_file, args.scenario)
    check_output_folder(args.out, force=args.force, protect=guarded)  # fail early
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
            write_csv(pd.concat(frames), tmp / f"{name}.csv")
        from .report.plots import DPI, forecast_chart, png

        (tmp / "charts").mkdir()
        # the projection beside the recorded history, as the report and notebooks draw it
        chart = forecast_chart(ehcp, inputs.caseload)
        (tmp / "charts" / "forecast.png").write_bytes(png(chart, dpi=DPI))

    inputs_read: list[str | Path] = [*scenario._sources, *(p for p, _ in inputs.files.values())]
    out = write_folder(args.out, fill, force=args.force, protect=inputs_read)
    progress.finish()
    total = ehcp.summary()
    first, last = total.index[0], total.index[-1]
    print(f"scenario {scenario.name}: wrote {out}")
    print(
        f"  EHC plans {first}: {total.loc[first, 'mean']:,.0f}; {last}: "
        f"{total.loc[last, 'mean']:,.0f} ({round(100 * ehcp.level):g}% interval "
        f"{total.loc[last, 'lower']:,.0f}–{total.loc[last, 'upper']:,.0f})"
    )
    print("  files: forecast.csv, forecast_diagnostics.csv, backtest.csv, charts/forecast.png")
    return 0


def _cmd_schema(args: argparse.Namespace, _progress: _Progress) -> int:
    from .config import json_schema, reference_markdown

    text = reference_markdown() if args.markdown else json.dumps(json_schema(), indent=2)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `sufficiency schema | head`: the reader has all it wants
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    return 0


def _cmd_example(args: argparse.Namespace, _progress: _Progress) -> int:
    from .example import write_example

    path = write_example(
        args.dir, force=args.force, scenarios=args.all_scenarios, own_files=args.own_files
    )
    print(f"example scenario written to {path}")
    if args.all_scenarios:
        print(f"lever scenarios written to {path.parent / 'scenarios'}")
    if args.own_files:
        print(
            f"its own files: sufficiency init --sen2 {path.parent / 'sen2'} --gias "
            f"{path.parent / 'gias.csv'} OUT"
        )
    print(f"run it with: sufficiency run {path} --out out")
    return 0


def _cmd_init(args: argparse.Namespace, _progress: _Progress) -> int:
    from .errors import DataError
    from .guard import guard_inputs

    # every input option's paths: never written over, even with --force
    given = _given(args.dfe, args.population, args.sen2, args.gias, args.places, args.costs)
    guard_inputs(args.out, given)
    if args.sen2 is not None or args.gias is not None:
        from .sources.council import write_council_starter

        if args.sen2 is None or args.gias is None:
            raise DataError("init from the council's own files needs both --sen2 and --gias")
        path = write_council_starter(
            args.sen2,
            args.gias,
            args.out,
            places=args.places,
            costs=args.costs,
            population=args.population,
            la=args.la,
            dfe=args.dfe,
            force=args.force,
        )
    else:
        from .sources.starter import write_starter

        if args.la is None or args.dfe is None:
            raise DataError(
                "init needs --la and --dfe (published files), or --sen2 and --gias (your own)"
            )
        if args.places is not None or args.costs is not None:
            raise DataError("--places and --costs go with --sen2 and --gias")
        path = write_starter(
            args.la, args.dfe, args.out, population=args.population, force=args.force
        )
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
    "sweep": _cmd_sweep,
}


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that every ``finally`` and cleanup runs
    (as Ctrl-C raises KeyboardInterrupt). Not an ``Exception``: nothing swallows it."""


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def against_unmitigated(summary: dict[str, Any]) -> str:
    """One sentence comparing the run with its unmitigated run: the council's spend, and
    schools' notional SEN budgets when a lever moved their share."""
    s = summary
    saving = s["unmitigated_total_cost"] - s["total_cost"]
    line = (
        f"against the unmitigated run: £{abs(saving):,.0f} "
        f"{'less' if saving >= 0 else 'more'} spent by the council over the plan years"
    )
    schools_more = s.get("school_cost_against_unmitigated")  # null where not modelled
    if schools_more is not None and abs(schools_more) >= 0.5:
        line += (
            f" (schools' notional SEN budgets £{abs(schools_more):,.0f} "
            f"{'more' if schools_more > 0 else 'less'})"
        )
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sufficiency` command.

    Returns:
        The exit code: 0 on success, 2 for bad input or a failed solve, 1 otherwise.
    """
    args = _parser().parse_args(argv)
    vars(args).pop(_ONCE, None)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    library = logging.getLogger("sufficiency")
    level = library.level
    if args.verbose >= 2:  # the library's debug lines and the solvers' own output
        library.setLevel(logging.DEBUG)
    progress = _Progress(
        enabled=not args.quiet and args.command in ("run", "compare", "forecast", "validate")
    )
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    shown = warnings.formatwarning
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:  # a message during a stage starts on a line of its own
        handler.addFilter(progress)
    warnings.formatwarning = progress.warning  # the message, not the library's source line
    try:
        with python_strings():  # this process's own text: see sufficiency.text_storage
            return _COMMANDS[args.command](args, progress)
    except SufficiencyError as exc:
        progress.abandon()
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        progress.abandon()
        sys.stderr.write("interrupted\n")
        return 130
    except Terminated:
        progress.abandon()
        sys.stderr.write("terminated\n")
        return 128 + signal.SIGTERM
    finally:
        library.setLevel(level)
        warnings.formatwarning = shown
        for handler in handlers:
            handler.removeFilter(progress)
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
