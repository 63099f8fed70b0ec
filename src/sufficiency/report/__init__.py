"""Reports of a run: an Excel workbook, matplotlib charts and a self-contained HTML page.

``Result.write`` calls :func:`write_report` so every output folder holds ``workbook.xlsx``,
``report.html`` and ``charts/*.png`` beside the CSV files; notebooks can call
:func:`charts` to show the figures, or the writers directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .html import write_html
from .pdf import write_pdf
from .plots import CHARTS, Chart, charts, save_charts
from .workbook import write_comparison_workbook, write_workbook

if TYPE_CHECKING:
    from ..results import Result

__all__ = [
    "CHARTS",
    "Chart",
    "charts",
    "write_comparison_workbook",
    "write_html",
    "write_pdf",
    "write_report",
    "write_workbook",
]


def write_report(result: Result, folder: str | Path, *, pdf: bool = False) -> list[Path]:
    """Write ``workbook.xlsx``, ``charts/<name>.png`` (and ``.svg``) and ``report.html``
    into ``folder``; with ``pdf``, ``report.pdf`` too (:func:`.pdf.write_pdf`).

    Returns:
        The files written.
    """
    folder = Path(folder)
    figures = charts(result)
    images = save_charts(figures, folder / "charts")
    written = [folder / "charts" / f"{name}.{ext}" for name in images for ext in ("png", "svg")]
    written.append(write_workbook(result, folder / "workbook.xlsx"))
    written.append(write_html(result, folder / "report.html", images))
    if pdf:
        written.append(write_pdf(folder / "report.html", folder / "report.pdf"))
    return written
