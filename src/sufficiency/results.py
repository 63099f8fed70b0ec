"""The Result of a run: its tables, summary and provenance, and writing an output folder."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import SufficiencyError

log = logging.getLogger(__name__)

#: Output files of a run, in the order they are written.
TABLES: tuple[str, ...] = (
    "demand",
    "placements",
    "shortfall",
    "costs",
    "capacity",
    "forecast",
    "local_places",
    "displaced",
    "builds",
    "shadow_prices",
    "cost_avoided",
)


@dataclass
class Result:
    """Everything a run produced.

    Attributes:
        demand: Children to place: ``year, need, age_band, level, children``.
        placements: ``year, need, age_band, level, setting, name, tier, in_area, children,
            unit_cost, cost``.
        shortfall: The sufficiency gap: ``year, need, age_band, level, children``.
        costs: Unit cost of every eligible pair: ``year, need, age_band, level, setting,
            tier, in_area, unit_cost``.
        capacity: ``year, setting, name, tier, in_area, places, used, spare,
            value_per_place``.
        forecast: Projected children with intervals: ``provision`` (``ehc_plan`` or
            ``sen_support``), ``year, need, age_band, mean, lower, upper, method``.
        local_places: In-area children by ``year, tier`` with and without the scenario's
            levers, the extra local places the levers use, and places still needed to
            meet an out-of-area target.
        displaced: Children moved between transfer points because a closure or falling
            demand forced it.
        builds: Capital options: built or not, opening year, places, costs, children
            served by year, savings (see :func:`sufficiency.pipeline.capital_value`).
        shadow_prices: £ a year saved by one more place, by year and limited setting.
        cost_avoided: Cheapest local against cheapest out-of-area place per demand group.
        summary: Headline figures, timings and provenance (what ``summary.json`` holds).
        extras: Other objects for notebook users (the forecast diagnostics, the PuLP
            model, the arrays).
    """

    demand: pd.DataFrame
    placements: pd.DataFrame
    shortfall: pd.DataFrame
    costs: pd.DataFrame
    capacity: pd.DataFrame
    forecast: pd.DataFrame
    local_places: pd.DataFrame
    displaced: pd.DataFrame
    builds: pd.DataFrame
    shadow_prices: pd.DataFrame
    cost_avoided: pd.DataFrame
    summary: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)

    def totals(self) -> pd.DataFrame:
        """Headline figures by plan year, as a frame (from ``summary['by_year']``)."""
        return pd.DataFrame(self.summary["by_year"])

    def write(self, out: str | Path, *, report: bool = True) -> Path:
        """Write every table as CSV plus ``summary.json`` into ``out``, atomically.

        With ``report`` (the default) the folder also gets ``workbook.xlsx``,
        ``report.html`` and ``charts/*.png`` (:func:`sufficiency.report.write_report`).

        Args:
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
                frame: pd.DataFrame = getattr(self, name)
                frame.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
            if report:
                from .report import write_report  # matplotlib is imported only to report

                write_report(self, tmp)
            timings = {**self.summary.get("timings", {})}
            timings["write"] = round(time.perf_counter() - start, 4)
            self.summary = {**self.summary, "timings": timings}
            write_json(tmp / "summary.json", self.summary)

        return write_folder(out, fill)


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
