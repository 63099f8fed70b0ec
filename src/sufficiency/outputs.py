"""Writing an output folder: the CSV files, summary.json and the report, safely and atomically."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import SufficiencyError
from .results import TABLES, Comparison, Result

log = logging.getLogger(__name__)


def write_result(result: Result, out: str | Path, *, report: bool = True) -> Path:
    """Write every table of ``result`` as CSV plus ``summary.json`` into ``out``, atomically.

    With ``report`` (the default) the folder also gets ``workbook.xlsx``,
    ``report.html`` and ``charts/*.png`` (:func:`sufficiency.report.write_report`). The
    time taken is recorded in the summary's timings as ``write``.

    Args:
        result: The run's result.
        out: Output folder (see :func:`write_folder`).
        report: Whether to write the workbook, charts and HTML report too.

    Returns:
        The output folder.

    Raises:
        SufficiencyError: If the folder cannot be written.
    """
    start = time.perf_counter()

    def fill(tmp: Path) -> None:
        for name in TABLES:
            frame: pd.DataFrame = getattr(result, name)
            clean_residues(frame).to_csv(tmp / f"{name}.csv", index=False)
        if report:
            from .report import write_report  # matplotlib is imported only to report

            write_report(result, tmp)
        timings = {**result.summary.get("timings", {})}
        timings["write"] = round(time.perf_counter() - start, 4)
        result.summary = {**result.summary, "timings": timings}
        write_json(tmp / "summary.json", result.summary)

    return write_folder(out, fill)


def write_comparison(comparison: Comparison, out: str | Path, *, report: bool = True) -> Path:
    """Write ``comparison.csv``, ``summary.json`` (each run's headline summary) and, with
    ``report``, ``comparison.xlsx`` (totals by scenario, then year by year) into ``out``.

    Raises:
        SufficiencyError: If the folder cannot be written.
    """

    def fill(tmp: Path) -> None:
        comparison.table.to_csv(tmp / "comparison.csv", index=False)
        if report:
            from .report import write_comparison_workbook

            write_comparison_workbook(comparison.table, tmp / "comparison.xlsx")
        write_json(
            tmp / "summary.json",
            [{k: v for k, v in r.summary.items() if k != "provenance"} for r in comparison.results],
        )

    return write_folder(out, fill)


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
    """Write ``content`` as indented JSON (dates and paths as text)."""
    path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")


def _umask() -> int:
    """The process's file-creation mask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_folder(out: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create output folder ``out`` atomically.

    ``fill`` writes into a temporary folder beside ``out``, which then replaces ``out``; if
    anything fails, ``out`` is left as it was (absent if it was absent).

    Raises:
        SufficiencyError: If the folder cannot be written.
    """
    out = Path(out).resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the output is not
    except OSError as exc:
        raise SufficiencyError(f"cannot create the output folder {out}: {exc}") from None
    try:
        fill(tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, SufficiencyError):
            raise
        raise SufficiencyError(f"cannot write the output folder {out}: {exc}") from None
    log.info("wrote %s", out)
    return out
