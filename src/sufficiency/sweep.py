"""sweep(): many scenarios × many LAs (× forecast draws) as independent tasks on Dask.

Each task is one :func:`~sufficiency.pipeline.run` of one LA's scenario file with one
scenario's settings (and, with ``draws``, its allocation over forecast draws). Tasks run on
a ``dask.distributed`` cluster: a :class:`~distributed.LocalCluster` made for the sweep
(one single-threaded worker process per core, so imports are paid once per worker) or the
scheduler at ``scheduler`` (a cluster of machines with the package installed). Tasks write
nothing; each returns one row per plan year with its keys (``la``, ``scenario``). A task
that fails returns its error instead, and the others carry on. What a task warns of (a
release's cell taken from its breakdown, a register's closed school…) comes back with it,
one row per warning in :attr:`Sweep.warnings`, never printed by the worker.

Dask is an optional dependency (``pip install sufficiency[dask]``); it is imported only
when a sweep runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import scratch
from .errors import DataWarning, ScenarioError, SufficiencyError
from .guard import file_digest, scenario_inputs
from .outputs import write_csv, write_folder, write_json
from .pipeline import run
from .postprocess.national import national_table, published_national
from .sources.dfe_release import area_names, local_authorities
from .sources.starter import write_starter
from .text_storage import STORAGE

log = logging.getLogger(__name__)

#: Headline columns of each plan year kept in the sweep table (``summary['by_year']``).
COLUMNS: tuple[str, ...] = (
    "ehc_plans",
    "demand",
    "placed",
    "out_of_area",
    "market",
    "no_place",
    "shortfall",
    "hnb_cost",
    "transport_cost",
    "total_cost",
)

#: Money a published sweep shows (as it is: money is not a count of children).
PUBLISHED_MONEY: tuple[str, ...] = ("hnb_cost", "transport_cost", "total_cost")

#: What a sweep's ``published/README.txt`` says.
PUBLISHED_NOTE = (
    "Disclosure control (a task's scenario has report.disclosure: true): sweep.csv here "
    "holds every task's EHC plans, sufficiency gap and out of area in whole children, with "
    "counts from 1 to 4 shown as 'c'; over the plan years the gap and out of area are "
    "totalled from the rounded counts, and a further year is hidden where one hidden year "
    "could be worked out from that total. Money is as it is. Placements by tier, the "
    "market, demand and the forecast draws' figures are left out (they add up to one "
    "another or to the gap). national.csv here is worked from these published figures "
    "('c' where what a ratio is worked from is hidden), and the ranking chart beside this "
    "folder (charts/ranking.png) is drawn from it.\n\n"
    "The sweep.csv and national.csv beside this folder hold the figures in full "
    "precision: working figures, not for publication.\n"
)

#: Columns of the draws' summary added when a sweep has draws.
DRAW_COLUMNS: tuple[str, ...] = (
    "p_suffice",
    "places_to_commission_p50",
    "places_to_commission_p80",
    "places_to_commission_p95",
    "total_cost_p50",
    "total_cost_p80",
    "total_cost_p95",
    "hnb_cost_p50",
    "hnb_cost_p80",
    "hnb_cost_p95",
)

#: Told each finished task: tasks done, tasks in all, the task and its error (or None).
ProgressHook = Callable[[int, int, "Task", str | None], None]


@dataclass(frozen=True)
class Task:
    """One run of a sweep.

    Attributes:
        la: Label of the LA (its scenario file).
        scenario: Label of the scenario's settings.
        path: The LA's scenario file.
        set_values: ``KEY=VALUE`` settings of the scenario (and the sweep's own).
        dfe: Folder of DfE release files: ``path`` is then an LA code, whose starter
            scenario (:func:`~sufficiency.sources.starter.write_starter`) the task
            writes into a temporary folder and runs.
    """

    la: str
    scenario: str
    path: str
    set_values: tuple[str, ...] = ()
    dfe: str | None = None


@dataclass
class Outcome:
    """What a task returns: its rows, or its error (never both), and what it warned of
    (each distinct warning's message, in the order raised)."""

    task: Task
    rows: pd.DataFrame | None
    error: str | None
    seconds: float
    warnings: tuple[str, ...] = ()
    #: The task's scenario is under disclosure control (``report.disclosure``).
    disclosure: bool = False


@dataclass
class Sweep:
    """The gathered results of a sweep.

    Attributes:
        table: One row per task and plan year: ``la, scenario, year`` then
            :data:`COLUMNS` (and :data:`DRAW_COLUMNS` with draws), ``seconds`` (the
            task's wall time) and ``cpu_seconds`` (CPU time of its process and solver
            processes: what the task costs, whatever else the machine is doing).
        errors: One row per failed task: ``la, scenario, error``.
        warnings: One row per warning a task gave: ``la, scenario, warning``.
        dashboard: The Dask dashboard's address, if there was one.
        seconds: Wall time of the sweep.
        tasks: The sweep's tasks.
        disclosed: ``(la, scenario)`` of each task whose scenario is under disclosure
            control (``report.disclosure``): the sweep is then also written as published
            (:meth:`published`).
    """

    table: pd.DataFrame
    errors: pd.DataFrame
    warnings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(WARNING_COLUMNS))
    )
    dashboard: str | None = None
    seconds: float = 0.0
    tasks: list[Task] = field(default_factory=list, repr=False)
    disclosed: tuple[tuple[str, str], ...] = ()

    def published(self) -> pd.DataFrame | None:
        """The sweep under disclosure control, or None when no task's scenario is under it.

        Every task's figures by year as a comparison publishes each scenario's
        (:func:`~sufficiency.postprocess.comparison.published_years`): EHC plans, the gap
        and out of area in whole children with 1 to 4 as ``c`` (the gap and out of area
        with a ``total`` row over the plan years, and a further year hidden where one
        hidden year could be worked out from it); money as it is. Placements by tier, the
        market, demand and the draws' figures are left out (they add up to one another or
        to the gap).
        """
        if not self.disclosed or self.table.empty:
            return None
        from .postprocess.comparison import PUBLISHED_COUNTS, published_years

        parts = []
        for (la, scenario), rows in self.table.groupby(["la", "scenario"], sort=False):
            frame = published_years(rows, PUBLISHED_COUNTS, PUBLISHED_MONEY)
            frame.insert(0, "scenario", str(scenario))
            frame.insert(0, "la", str(la))
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def write(self, out: str | Path, *, force: bool = False, ranking: bool = True) -> Path:
        """Write ``sweep.csv``, ``errors.csv``, ``warnings.csv``, ``national.csv`` (one row
        per LA and scenario, :func:`~sufficiency.postprocess.national.national_table`),
        ``summary.json`` and, with ``ranking``, ``charts/ranking.png`` (the first
        scenario's LAs ranked by gap) into ``out``, atomically.

        Where a task's scenario is under disclosure control, ``published/`` holds the
        sweep as published (:meth:`published`), its national table worked from it
        (:func:`~sufficiency.postprocess.national.published_national`) and a
        ``README.txt`` saying so, and the ranking chart is drawn from that table (a hidden
        figure has no bar); the files beside it keep the working figures."""

        public = self.published()

        def fill(tmp: Path) -> None:
            write_csv(self.table, tmp / "sweep.csv")
            write_csv(self.errors, tmp / "errors.csv")
            write_csv(self.warnings, tmp / "warnings.csv")
            national = national_table(self.table)
            write_csv(national, tmp / "national.csv")
            if public is not None:
                national = published_national(self.table, public)
                (tmp / "published").mkdir()
                write_csv(public, tmp / "published" / "sweep.csv")
                write_csv(national, tmp / "published" / "national.csv")
                (tmp / "published" / "README.txt").write_text(PUBLISHED_NOTE, encoding="utf-8")
            if ranking and not national.empty:
                from .report.national import ranking_chart
                from .report.plots import save_charts

                scenario = str(national["scenario"].iloc[0])
                save_charts({"ranking": ranking_chart(national, scenario)}, tmp / "charts")
            write_json(
                tmp / "summary.json",
                {
                    "tasks": len(self.tasks),
                    "failed": len(self.errors),
                    "warnings": len(self.warnings),
                    "under_disclosure_control": len(self.disclosed),
                    "seconds": round(self.seconds, 3),
                },
            )

        return write_folder(out, fill, force=force, protect=self.inputs())

    def inputs(self) -> list[Path]:
        """Every file and folder the sweep read: each LA's scenario file and its data
        files, and the DfE folders (what its output may never hold)."""
        paths: list[Path] = []
        for path in sorted({t.path for t in self.tasks if t.dfe is None}):
            paths += scenario_inputs(path)
        return paths + sorted({Path(t.dfe) for t in self.tasks if t.dfe is not None})


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and the solver processes it waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _folder_name(label: str) -> str:
    """``label`` (an LA's name or code) as a folder name."""
    return re.sub(r"[^\w.-]+", "_", label).strip("._") or "la"


#: Columns of :attr:`Sweep.warnings`.
WARNING_COLUMNS: tuple[str, ...] = ("la", "scenario", "warning")

#: The warnings of the task this thread runs (``kept``: None outside a task).
_task_warnings = threading.local()
_hook_lock = threading.Lock()
#: ``warnings.showwarning`` as it was before :func:`task_warnings` put :func:`_keep_or_show`.
_shown_before: Callable[..., None] = warnings.showwarning


def _keep_or_show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` while tasks run: a task's thread keeps the message with
    its task; any other thread's warning is shown as before."""
    kept = getattr(_task_warnings, "kept", None)
    if kept is None:
        _shown_before(message, category, filename, lineno, file, line)
    elif str(message) not in kept:
        kept.append(str(message))


class _KeptLog(logging.Handler):
    """The library's log records of WARNING and above from one thread, kept as messages."""

    def __init__(self, kept: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.kept = kept
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and (text := record.getMessage()) not in self.kept:
            self.kept.append(text)


@contextmanager
def task_warnings() -> Iterator[list[str]]:
    """Keep what this thread warns of in the block — its warnings, and the library's log
    records of WARNING and above — in the list yielded (each distinct message once, in
    order). Its warnings are kept instead of shown; log records still reach the handlers
    the process has (a sweep's own worker processes have none: they are kept only). Other
    threads are untouched, and this one once the block ends. Warnings a filter ignores (or
    shows once per place, Python's default, and shown already) are not seen, nor are those
    raised while another thread is inside ``warnings.catch_warnings`` (Python's warnings
    state is one per process: exact where one task runs at a time in a process).
    """
    global _shown_before
    with _hook_lock:
        if warnings.showwarning is not _keep_or_show:
            _shown_before = warnings.showwarning
            warnings.showwarning = _keep_or_show
    kept: list[str] = []
    handler = _KeptLog(kept)
    library = logging.getLogger("sufficiency")
    library.addHandler(handler)
    _task_warnings.kept = kept
    try:
        yield kept
    finally:
        _task_warnings.kept = None
        library.removeHandler(handler)


def run_task(task: Task) -> Outcome:
    """Run one task and tidy its result; any error is returned, not raised.

    The allocation over draws runs in the task's own process (``uncertainty.workers=1``).
    What the sweep does not keep is not made: the DfE returns' tables and the value of a
    place in pounds (a second, money-only solve). (The forecast's sample paths are made:
    the means kept depend on them where a plans floor or calibration moves the mean.)
    """
    with contextlib.ExitStack() as stack:
        starter = None
        if task.dfe is not None:  # written in a temporary folder, named after the LA
            made = tempfile.TemporaryDirectory(
                prefix=scratch.prefix("starter"), ignore_cleanup_errors=True
            )
            tmp = stack.enter_context(made)
            starter = Path(tmp) / _folder_name(task.la)
        with task_warnings() as kept:
            outcome = _run_task(task, starter)
    outcome.warnings = tuple(kept)
    if starter is None:
        return outcome
    # the starter's folder is gone with the task: its files are named as the starter's
    outcome.warnings = tuple(_as_the_starters(w, starter) for w in outcome.warnings)
    if outcome.error is not None:
        outcome.error = _as_the_starters(outcome.error, starter)
    return outcome


def _as_the_starters(text: str, starter: Path) -> str:
    """``text`` with the paths in a task's temporary ``starter`` folder named as the
    starter's (``the starter's data/flows.csv``): the folder is removed with the task."""
    return text.replace(f"{starter}{os.sep}", "the starter's ").replace(str(starter), "the starter")


def _run_task(task: Task, starter: Path | None) -> Outcome:
    """:func:`run_task` without its warnings; a DfE task's starter is written in
    ``starter``."""
    start = time.perf_counter()
    cpu = cpu_seconds()
    try:
        values = [*task.set_values, "uncertainty.workers=1"]
        if task.dfe is not None and starter is not None:
            path = write_starter(task.path, task.dfe, starter)
            result = run(path, set_values=values, returns=False, place_values=False)
        else:
            result = run(task.path, set_values=values, returns=False, place_values=False)
        rows = pd.DataFrame(result.summary["by_year"])[["year", *COLUMNS]]
        if result.uncertainty is not None:
            spread = result.uncertainty.by_year[["year", *DRAW_COLUMNS]]
            rows = rows.merge(spread, on="year", how="left")
        rows.insert(0, "scenario", task.scenario)
        rows.insert(0, "la", task.la)
        rows["seconds"] = time.perf_counter() - start
        rows["cpu_seconds"] = cpu_seconds() - cpu
        disclosed = "disclosure" in result.summary
        return Outcome(task, rows, None, time.perf_counter() - start, disclosure=disclosed)
    except SufficiencyError as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
    except Exception as exc:  # a bug in one task must not stop the others
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(task, None, f"unexpected {last}", time.perf_counter() - start)


def tasks_for(
    las: Mapping[str, str | Path] | Sequence[str | Path] | str,
    scenarios: Mapping[str, Mapping[str, Any] | Sequence[str]] | None = None,
    *,
    draws: int = 0,
    seed: int | None = None,
    set_values: Sequence[str] = (),
    dfe: str | Path | None = None,
) -> list[Task]:
    """Every LA × scenario as a task, LAs first.

    Args:
        las: Scenario file of each LA, by label (a sequence is labelled by folder name);
            made absolute here, so a remote cluster needs the files at the same paths.
        scenarios: Settings of each scenario, by label: a mapping of dotted keys to
            values, or ``KEY=VALUE`` strings. None: one scenario, ``baseline``, as is.
        draws: Forecast draws to allocate in each task (``uncertainty.draws``).
        seed: Seed of the draws (``uncertainty.seed``); the scenario's seed when None.
        set_values: ``KEY=VALUE`` settings applied to every task, before the scenario's.
        dfe: Folder of DfE release files: ``las`` then names LAs (codes, numbers or
            names; ``"all"`` for every LA in the files), each run from its starter.

    Raises:
        ScenarioError: If there are no LAs, two share a label, ``"all"`` is asked for
            without ``dfe``, or ``draws`` is negative.
    """
    if draws < 0:
        raise ScenarioError(f"draws={draws}: give a number of draws, 0 or more")
    if dfe is not None:
        found = local_authorities(dfe)
        if isinstance(las, str) and las == "all":
            las = dict(zip(found["la_name"], found["la_code"], strict=True))
        names = area_names(found)
        codes = (
            dict(las)
            if isinstance(las, Mapping)
            else {names.get(str(v), names.get(str(v).lower(), str(v))): str(v) for v in las}
        )
        return _expand(
            {str(k): str(v) for k, v in codes.items()},
            scenarios,
            common_values(draws, seed, set_values),
            str(Path(dfe).absolute()),
        )
    if isinstance(las, str | Path):
        if str(las) == "all":
            raise ScenarioError("a sweep of 'all' LAs needs the DfE files (dfe=)")
        las = [las]
    if isinstance(las, Mapping):
        named = {str(k): str(Path(v).absolute()) for k, v in las.items()}
    else:
        labels = [Path(p).parent.name or Path(p).stem for p in las]
        if len(set(labels)) != len(labels):
            raise ScenarioError("LA scenario files must be in folders of different names")
        named = {k: str(Path(p).absolute()) for k, p in zip(labels, las, strict=True)}
    if not named:
        raise ScenarioError("a sweep needs at least one LA")
    _one_council_once(named)
    return _expand(named, scenarios, common_values(draws, seed, set_values), None)


def _one_council_once(named: Mapping[str, str]) -> None:
    """Refuse two LAs whose scenarios read the same caseload (the same bytes, whatever the
    file's name or folder): one council given twice, a copied folder beside the first,
    whose rows would count twice in ``sweep.csv`` and in any total of it. A scenario that
    does not load is left for its task to report."""
    from .config import load_scenario  # only when a sweep is asked for

    seen: dict[str, str] = {}
    for label, path in named.items():
        try:
            caseload = Path(load_scenario(path).data.caseload)
            key = file_digest(caseload)
        except (SufficiencyError, OSError, ValueError):
            continue
        if key in seen:
            raise ScenarioError(
                f"LAs {seen[key]!r} and {label!r} read the same caseload ({caseload}): one "
                "council given twice (a copied folder?); its rows would count twice in "
                "sweep.csv. Give each council once, and its variants with --variant."
            )
        seen[key] = label


def common_values(draws: int, seed: int | None, set_values: Sequence[str]) -> list[str]:
    """The settings every task of a sweep gets."""
    common = [*set_values]
    if draws:
        common.append(f"uncertainty.draws={int(draws)}")
    if seed is not None:
        common.append(f"uncertainty.seed={int(seed)}")
    return common


def _expand(
    named: dict[str, str],
    scenarios: Mapping[str, Mapping[str, Any] | Sequence[str]] | None,
    common: list[str],
    dfe: str | None,
) -> list[Task]:
    variants = scenarios if scenarios is not None else {"baseline": {}}
    out = []
    for la, path in named.items():
        for name, values in variants.items():
            own = (
                [f"{k}={_yaml(v)}" for k, v in values.items()]
                if isinstance(values, Mapping)
                else list(values)
            )
            out.append(Task(la, str(name), path, (*common, *own), dfe))
    return out


def _yaml(value: Any) -> str:
    """A value as ``--set`` reads it (YAML)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def sweep(
    las: Mapping[str, str | Path] | Sequence[str | Path] | str,
    scenarios: Mapping[str, Mapping[str, Any] | Sequence[str]] | None = None,
    *,
    draws: int = 0,
    seed: int | None = None,
    set_values: Sequence[str] = (),
    dfe: str | Path | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    processes: bool = True,
    on_progress: ProgressHook | None = None,
    on_start: Callable[[str | None, int], None] | None = None,
) -> Sweep:
    """Run every LA × scenario as an independent task on Dask and gather the rows.

    Args:
        las: Scenario file of each LA (see :func:`tasks_for`).
        scenarios: Settings of each scenario (see :func:`tasks_for`).
        draws: Forecast draws to allocate in each task.
        seed: Seed of the draws.
        set_values: ``KEY=VALUE`` settings applied to every task.
        dfe: Folder of DfE release files: run each LA of ``las`` (``"all"``: every
            LA in the files) from its starter scenario, written by its task.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); None
            starts a :class:`~distributed.LocalCluster` for the sweep.
        n_workers: Workers of the local cluster (one per core when None).
        processes: Local workers as processes (True) or threads of this process. In
            threads, tasks share Python's warnings machinery with each other and with
            this process: a task's warnings may then be missed (another thread's
            ``warnings.catch_warnings`` takes them, or Python's default filter has shown
            the same warning once already); in the sweep's own worker processes, one
            task at a time each, every one comes back (:attr:`Sweep.warnings`).
        on_progress: Called as each task finishes (see :data:`ProgressHook`).
        on_start: Called with the dashboard address and the number of tasks once the
            cluster is up.

    Returns:
        The gathered table, the failed tasks and the dashboard address.

    Raises:
        SufficiencyError: If Dask is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SufficiencyError(
            "sweep needs Dask: pip install 'sufficiency[dask]' (or dask[distributed])"
        ) from None
    tasks = tasks_for(las, scenarios, draws=draws, seed=seed, set_values=set_values, dfe=dfe)
    start = time.perf_counter()
    cluster = None
    try:
        if scheduler is None:
            cluster, client = local_cluster(n_workers, processes)
        else:
            client = Client(scheduler, timeout=10)
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise SufficiencyError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        dashboard = client.dashboard_link
        log.info("sweep of %d tasks; Dask dashboard at %s", len(tasks), dashboard)
        if on_start is not None:
            on_start(dashboard, len(tasks))
        futures = client.map(run_task, tasks, pure=False)
        outcomes: list[Outcome] = []
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # the worker itself died
                task = tasks[futures.index(future)]
                outcome = Outcome(task, None, f"worker lost: {exc}", 0.0)
            outcomes.append(outcome)
            if outcome.error is not None:
                log.warning(
                    "task %s/%s failed: %s", outcome.task.la, outcome.task.scenario, outcome.error
                )
            if on_progress is not None:
                on_progress(len(outcomes), len(tasks), outcome.task, outcome.error)
    except BaseException:  # Ctrl-C, a stop: what Dask says of its shutdown then is no news
        with quiet_dask():
            _shut_down(client, cluster, stopped=True)
        raise
    _shut_down(client, cluster, stopped=False)
    return gather(tasks, outcomes, dashboard, time.perf_counter() - start)


def _shut_down(client: Any, cluster: Any, *, stopped: bool) -> None:
    """Close the client and the sweep's own cluster (if any); a ``stopped`` sweep's
    worker processes first, at once (:func:`stop_workers`)."""
    if stopped and cluster is not None:
        stop_workers(cluster)
    client.close()
    if cluster is not None:
        cluster.close()


def stop_workers(cluster: Any) -> None:
    """Stop the worker processes of the sweep's own local cluster at once: a stopped
    sweep's tasks write nothing, and a worker asked to close waits for its task (Dask
    gives it 4 s before killing it). Workers not found (threads, another Dask's layout)
    are left to the cluster's own close."""
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    for nanny in list(getattr(cluster, "workers", {}).values()):
        pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid", None)
        if isinstance(pid, int) and pid > 0:
            with contextlib.suppress(OSError):
                os.kill(pid, kill)


def dask_loggers() -> list[logging.Logger]:
    """Dask's loggers this process has made (``distributed`` and those under it)."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    return [logging.getLogger(n) for n in ["distributed", *names]]


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Dask's loggers in this process below ERROR not printed in the block (its notes of
    workers stopped mid-task while a stopped sweep shuts down); their levels restored
    after."""
    loggers = dask_loggers()
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


#: Dask settings of the sweep's own local cluster. The workers' statistical profiler samples
#: every thread 100 times a second: CPU taken from the tasks for a dashboard page a sweep
#: does not need. Dask's nannies start each worker with ``MALLOC_TRIM_THRESHOLD_=65536``
#: (memory handed back to the system whenever 64 KiB are free at the top of the heap, for
#: long-lived workers holding large results): a task's many middle-sized pandas arrays are
#: then handed back and faulted in again, which cost about a tenth of a task's CPU (system
#: time 2.7 s against 10.3 s for 80 councils' tasks in two processes, ``sweep.md``). A
#: sweep's worker holds one small task at a time, so the C library's own threshold is kept.
_LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def local_cluster(n_workers: int | None, processes: bool) -> tuple[Any, Any]:
    """The sweep's own :class:`~distributed.LocalCluster` (single-threaded workers, with
    :data:`_LOCAL_CLUSTER_CONFIG`) and a client of it; worker processes set up as the
    command's own process (:func:`_worker_plugin`)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(_LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=processes, dashboard_address=":0"
        )
    try:
        client = Client(cluster)
        if processes:  # worker processes of the sweep's own: set up as the command's
            client.register_plugin(_worker_plugin())
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def _worker_plugin() -> Any:
    """A Dask worker plugin setting up each worker process the sweep starts: text in
    Python-backed strings, as the command keeps it (:mod:`sufficiency.text_storage`);
    every data warning kept with its task, however many tasks give the same; Dask's notes
    of tasks cancelled (by Ctrl-C) not printed. Registered only on worker processes the
    sweep starts: never on a cluster or threads of the user's."""
    from distributed import WorkerPlugin

    class SweepWorker(WorkerPlugin):
        name = "sufficiency-sweep-worker"

        def setup(self, worker: Any) -> None:
            pd.set_option("mode.string_storage", STORAGE)
            # every council's data warnings, however many say the same (Python's default
            # shows a warning once per place in the code)
            warnings.filterwarnings("always", category=DataWarning)
            # tasks cancelled by Ctrl-C, a worker stopped mid-task: the command says
            # "interrupted"; what the worker says of its memory is still said
            for name in ("distributed.worker.state_machine", "distributed.worker"):
                logging.getLogger(name).setLevel(logging.ERROR)
            logging.getLogger("distributed.worker.memory").setLevel(logging.WARNING)

    return SweepWorker()


def gather(
    tasks: list[Task], outcomes: list[Outcome], dashboard: str | None, seconds: float
) -> Sweep:
    """The sweep's tables from its outcomes, in task order whatever order they finished."""
    order = {(t.la, t.scenario): i for i, t in enumerate(tasks)}
    done = sorted(outcomes, key=lambda o: order[(o.task.la, o.task.scenario)])
    frames = [o.rows for o in done if o.rows is not None]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["la"])
    # rows from the sweep's worker processes hold Python-backed text: this process's instead
    text = [c for c in table.columns if isinstance(table[c].dtype, pd.StringDtype)]
    table = table.astype(dict.fromkeys(text, "str"))
    table.columns = pd.Index([str(c) for c in table.columns])
    errors = pd.DataFrame(
        [{"la": o.task.la, "scenario": o.task.scenario, "error": o.error} for o in done if o.error],
        columns=["la", "scenario", "error"],
    )
    said = pd.DataFrame(
        [(o.task.la, o.task.scenario, w) for o in done for w in o.warnings],
        columns=list(WARNING_COLUMNS),
        dtype=object,
    )
    disclosed = tuple((o.task.la, o.task.scenario) for o in done if o.disclosure)
    return Sweep(table, errors, said, dashboard, seconds, tasks, disclosed)
