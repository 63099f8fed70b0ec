"""Writing an output folder: the CSV files, summary.json and the report, safely and atomically."""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cells import safe_cells
from .errors import SufficiencyError
from .guard import digests, edited_files, guard_inputs, inside, read_record
from .postprocess.comparison import PUBLISHED_NOTE, published_comparison
from .postprocess.disclosure import protect_summary
from .postprocess.draws import Uncertainty
from .results import TABLES, Comparison, Result

log = logging.getLogger(__name__)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV at full (round-trip) precision, LP residues cleaned
    (:func:`clean_residues`) and text cells that would start a formula escaped
    (:func:`sufficiency.cells.safe_cells`)."""
    safe_cells(clean_residues(frame)).to_csv(path, index=False)


def published(result: Result) -> dict[str, pd.DataFrame]:
    """The run's returns tables under disclosure control (``published/*.csv``)."""
    return result.published().tables


def input_paths(result: Result) -> list[Path]:
    """The scenario files and input data files a run read (what outputs must not touch)."""
    paths: list[Path] = []
    scenario = result.extras.get("scenario")
    if scenario is not None:
        paths += [Path(p) for p in getattr(scenario, "_sources", ())]
    inputs = result.extras.get("inputs")
    if inputs is not None:
        paths += [Path(path) for path, _ in inputs.files.values()]
    return paths


def write_result(
    result: Result,
    out: str | Path,
    *,
    report: bool = True,
    force: bool = False,
    pdf: bool = False,
) -> Path:
    """Write every table of ``result`` as CSV plus ``summary.json`` into ``out``, atomically.

    With ``report`` (the default) the folder also gets ``workbook.xlsx``,
    ``report.html`` and ``charts/*.png`` (:func:`sufficiency.report.write_report`). The
    time taken is recorded in the summary's timings as ``write``.

    Args:
        result: The run's result.
        out: Output folder: new, empty or written by the library before (see
            :func:`write_folder`); never one holding the run's scenario or data files.
        report: Whether to write the workbook, charts and HTML report too.
        force: Replace an existing folder the library did not write.
        pdf: Print the report to ``report.pdf`` too (a headless browser; see
            :func:`sufficiency.report.write_pdf`).

    Returns:
        The output folder.

    Raises:
        SufficiencyError: If the folder may not be replaced or cannot be written.
    """
    start = time.perf_counter()

    def fill(tmp: Path) -> None:
        for name in TABLES:
            frame = getattr(result, name)
            if name == "placements" and len(result.recorded):
                # the base year shown beside the plan years (status ``recorded``)
                frame = pd.concat([result.recorded, frame], ignore_index=True)
            write_csv(frame, tmp / f"{name}.csv")
        if result.top_up_by_band is not None:  # only where the council pays top-up by band
            write_csv(result.top_up_by_band, tmp / "top_up_by_band.csv")
        if "disclosure" in result.summary:  # tables meant for publication, protected
            (tmp / "published").mkdir()
            for name, frame in published(result).items():
                write_csv(frame, tmp / "published" / f"{name}.csv")
            (tmp / "published" / "README.txt").write_text(
                f"{result.summary['disclosure']}\n\n{result.published().note()}\n",
                encoding="utf-8",
            )
        if result.uncertainty is not None:
            write_uncertainty(result.uncertainty, tmp, charts=report)
        if report:
            from .report import write_report  # matplotlib is imported only to report

            write_report(result, tmp, pdf=pdf)
        timings = {**result.summary.get("timings", {})}
        timings["write"] = round(time.perf_counter() - start, 4)
        result.summary = {**result.summary, "timings": timings}
        # a folder meant for publication holds no count of 1-4, summary.json included
        public = "disclosure" in result.summary
        write_json(
            tmp / "summary.json", protect_summary(result.summary) if public else result.summary
        )

    return write_folder(out, fill, force=force, protect=input_paths(result))


def write_uncertainty(spread: Uncertainty, folder: Path, *, charts: bool = True) -> None:
    """Write ``uncertainty.csv`` (by year), ``uncertainty_groups.csv``,
    ``uncertainty_settings.csv``, ``uncertainty_draws.csv`` (every draw by year),
    ``uncertainty_builds.csv`` (capital options against the draws, when there are any)
    and, with ``charts``, the fan charts into ``folder`` (charts in ``charts/``)."""
    write_csv(spread.by_year, folder / "uncertainty.csv")
    if spread.builds is not None:
        write_csv(spread.builds, folder / "uncertainty_builds.csv")
    write_csv(spread.by_group, folder / "uncertainty_groups.csv")
    write_csv(spread.settings, folder / "uncertainty_settings.csv")
    write_csv(spread.draws.frame(), folder / "uncertainty_draws.csv")
    if charts:
        from .report.plots import save_charts
        from .report.uncertainty import fan_charts

        save_charts(fan_charts(spread), folder / "charts")


def write_comparison(
    comparison: Comparison, out: str | Path, *, report: bool = True, force: bool = False
) -> Path:
    """Write ``comparison.csv``, ``summary.json`` (each run's headline summary) and, with
    ``report``, ``comparison.xlsx`` (totals by scenario, then year by year) and
    ``comparison.html`` (the scenarios side by side: cost, gap, out of area, places) into
    ``out``. Where the scenarios are under disclosure control (``report.disclosure``), the
    page and workbook show the published comparison
    (:func:`~sufficiency.postprocess.comparison.published_comparison`), also written as
    ``published/comparison.csv``; ``comparison.csv`` keeps the working figures.

    ``out`` and ``force`` as for :func:`write_result` (no run's inputs may be inside).

    Raises:
        SufficiencyError: If the folder may not be replaced or cannot be written.
    """

    # scenarios under disclosure control: the comparison is published as they are
    disclosed = any("disclosure" in r.summary for r in comparison.results)
    public = published_comparison(comparison.table) if disclosed else None

    def fill(tmp: Path) -> None:
        write_csv(comparison.table, tmp / "comparison.csv")
        if public is not None:
            (tmp / "published").mkdir()
            write_csv(public, tmp / "published" / "comparison.csv")
            (tmp / "published" / "README.txt").write_text(
                f"{PUBLISHED_NOTE}\n\nThe comparison.csv beside this folder holds the "
                "figures in full precision: working figures, not for publication.\n",
                encoding="utf-8",
            )
        if report:
            from .report import write_comparison_workbook
            from .report.html import write_comparison_html

            write_comparison_workbook(comparison.table, tmp / "comparison.xlsx", published=public)
            write_comparison_html(
                comparison.results, comparison.table, tmp / "comparison.html", published=public
            )
        # as a run's folder: under disclosure control no count of 1-4, summary.json included
        summaries = [
            {k: v for k, v in r.summary.items() if k != "provenance"} for r in comparison.results
        ]
        write_json(
            tmp / "summary.json",
            [protect_summary(x) if "disclosure" in x else x for x in summaries],
        )

    protect = [p for r in comparison.results for p in input_paths(r)]
    return write_folder(out, fill, force=force, protect=protect)


#: Children below this are what the LP's floating point leaves behind, not children.
RESIDUE = 1e-6


def clean_residues(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the LP's residues: rows whose ``children`` is not 0 but below
    :data:`RESIDUE` in size (a placement of 2e-08 children) are dropped, and ``used``
    places below it are 0. Floats are then written in full (round-trip) precision, so
    ``cost == children × unit_cost`` holds from the files."""
    out = frame
    if "children" in out.columns and len(out):
        keep = (out["children"].abs() >= RESIDUE) | (out["children"] == 0)
        if not keep.all():
            out = out[keep].reset_index(drop=True)
    if "used" in out.columns and len(out):
        used = out["used"].abs() < RESIDUE
        if (used & (out["used"] != 0)).any():
            out = out.assign(used=out["used"].mask(used, 0.0))
    return out


def write_json(path: Path, content: Any) -> None:
    """Write ``content`` as strict, indented JSON (see :func:`json_safe`)."""
    text = json.dumps(json_safe(content), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def json_safe(value: Any) -> Any:
    """``value`` with every figure JSON can hold: NaN and infinity become null, numpy
    numbers plain numbers, dates and paths text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


#: File an output folder holds, listing the files the library wrote into it with their
#: SHA-256 (a file edited since, such as a workbook with the council's own sheet added, is
#: not the library's to replace).
MANIFEST = ".sufficiency-output.json"

#: File in a temporary folder naming the process writing it.
_PID_FILE = ".sufficiency-pid"


def _files(root: Path) -> list[str]:
    """Every file (and link) under ``root``, as sorted relative POSIX paths."""
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )


def _foreign_files(folder: Path) -> list[str] | None:
    """Files in ``folder`` that the library did not write there, or that were edited since
    (:func:`~sufficiency.guard.edited_files`; named "..., edited since").

    Returns:
        None if ``folder`` has no manifest (nothing shows the library wrote it), else the
        files it holds that the manifest does not list or that changed since it was
        written (empty: the folder is the library's, as it wrote it).
    """
    written = read_record(folder / MANIFEST)
    if written is None:
        return None
    foreign = [f for f in _files(folder) if f != MANIFEST and f not in written]
    edited = edited_files(folder, written, folder / MANIFEST)
    return foreign + [f"{f}, edited since" for f in edited]


def check_output_folder(
    out: str | Path, *, force: bool = False, protect: Iterable[str | Path] = ()
) -> Path:
    """Refuse an output folder whose replacement could destroy anything not ours.

    Accepted: a folder that does not exist, an empty folder, or one the library wrote
    before, as it wrote it (its :data:`MANIFEST` lists every file in it, each with the
    bytes it holds). Any other folder is refused
    unless ``force``. Never accepted, even with ``force``: an existing file; a folder that
    holds (or is) any path of ``protect`` (the scenario file and its data files) or lies
    inside a protected folder (:func:`guard_inputs`); the current working folder.

    Returns:
        The output folder as an absolute path.

    Raises:
        SufficiencyError: If the folder may not be replaced.
    """
    given = Path(out)
    # "a/new/.." names a: never create "new" on the way (nor fail renaming "..")
    out = Path(os.path.abspath(given)) if {".", ".."} & set(given.parts) else given.absolute()
    real = out.resolve()
    guard_inputs(out, protect)
    if inside(Path.cwd().resolve(), real):
        raise SufficiencyError(
            f"output folder {out} holds the current folder: choose a folder inside it or "
            "elsewhere (--force does not override this)"
        )
    if not (out.exists() or out.is_symlink()):
        return out
    if not out.is_dir():
        raise SufficiencyError(
            f"output folder {out} is an existing file, not a folder: choose another name"
        )
    if not any(out.iterdir()):
        return out
    foreign = _foreign_files(out)
    if foreign == [] or force:
        return out
    why = "was not written by sufficiency"
    if foreign is not None:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        why = (
            "holds files sufficiency did not write, or edited since it wrote them "
            f"({', '.join(foreign[:5])}{more})"
        )
    raise SufficiencyError(
        f"output folder {out} already exists and {why}: replacing it would delete what it "
        "holds; "
        "choose a new or empty folder, or use --force (force=True) to replace it"
    )


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (True when unsure)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Remove temporary folders of earlier writes of ``out`` whose process has died.

    A write that is killed outright (SIGKILL, power cut) cannot clean up; it leaves a
    hidden ``.NAME.*`` folder beside ``out`` holding :data:`_PID_FILE`, or a replaced
    output ``.NAME.old-PID-N`` holding a :data:`MANIFEST`. Only those are removed, and only
    when the process that made them no longer runs.
    """
    old = re.compile(rf"\.{re.escape(out.name)}\.old-(\d+)-\d+")
    for entry in out.parent.glob(f".{glob.escape(out.name)}.*"):
        if not entry.is_dir() or entry.is_symlink():
            continue
        try:
            if (entry / _PID_FILE).is_file():
                pid = int((entry / _PID_FILE).read_text(encoding="utf-8").strip())
            elif (match := old.fullmatch(entry.name)) and (entry / MANIFEST).is_file():
                pid = int(match.group(1))
            else:
                continue
        except (OSError, ValueError):
            continue
        if not _pid_alive(pid):
            log.info("removing %s, left by process %d that no longer runs", entry, pid)
            shutil.rmtree(entry, ignore_errors=True)


def _umask() -> int:
    """The process's file-creation mask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_folder(
    out: str | Path,
    fill: Callable[[Path], None],
    *,
    force: bool = False,
    protect: Iterable[str | Path] = (),
) -> Path:
    """Create output folder ``out`` atomically, never replacing what is not ours.

    ``out`` is first checked (:func:`check_output_folder`). ``fill`` then writes into a
    hidden temporary folder beside ``out``; the library lists what it wrote in
    :data:`MANIFEST` and the folder replaces ``out`` (only ``out``: nothing beside it is
    touched). On any failure, an exception or an interrupt (Ctrl-C, or SIGTERM turned
    into an exception by the command), the temporary folder is removed and ``out`` is
    left as it was. Only a kill that cannot be caught (SIGKILL) can leave the temporary
    folder behind; the next write of ``out`` removes it once its process has gone.

    Args:
        out: The output folder.
        fill: Writes the files into the folder it is given.
        force: Replace an existing folder the library did not write.
        protect: Paths the folder must not hold (the scenario and its data files).

    Raises:
        SufficiencyError: If the folder may not be replaced or cannot be written.
    """
    out = check_output_folder(out, force=force, protect=protect)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise SufficiencyError(f"cannot create the output folder {out}: {exc}") from None
    try:
        (tmp / _PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the output is not
        fill(tmp)
        (tmp / _PID_FILE).unlink()
        manifest = {"written_by": "sufficiency", "files": digests(tmp, _files(tmp))}
        write_json(tmp / MANIFEST, manifest)
        if out.exists() or out.is_symlink():
            n = 0
            while (old := out.with_name(f".{out.name}.old-{os.getpid()}-{n}")).exists():
                n += 1
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, SufficiencyError) or not isinstance(exc, Exception):
            raise
        raise SufficiencyError(f"cannot write the output folder {out}: {exc}") from None
    log.info("wrote %s", out)
    return out
