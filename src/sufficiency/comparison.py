"""Scenarios side by side: one table of headline figures by scenario and year."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import taxonomy
from .results import Result, write_folder, write_json

#: Figures compared, with their difference against the first scenario.
COMPARED: tuple[str, ...] = (
    "ehc_plans",
    "demand",
    "placed",
    "cost",
    "out_of_area",
    "shortfall",
    *(f"placed_by_tier_{t}" for t in taxonomy.TIERS),
)


def comparison_table(results: list[Result]) -> pd.DataFrame:
    """One row per scenario and plan year, with differences against the first scenario.

    Columns: ``scenario, year``, the figures in :data:`COMPARED`, and ``<figure>_diff``
    (this scenario minus the first; zero for the first).
    """
    frames = []
    for r in results:
        t = r.totals().rename(
            columns={f"placed_{t}": f"placed_by_tier_{t}" for t in taxonomy.TIERS}
        )
        t.insert(0, "scenario", r.summary["scenario"])
        frames.append(t[["scenario", "year", *COMPARED]])
    table = pd.concat(frames, ignore_index=True)
    first = frames[0].set_index("year")[list(COMPARED)]
    aligned = first.reindex(table["year"]).to_numpy()
    for i, col in enumerate(COMPARED):
        table[f"{col}_diff"] = table[col].to_numpy() - aligned[:, i]
    return table


@dataclass
class Comparison:
    """Several scenario runs and their comparison table.

    Attributes:
        table: See :func:`comparison_table`.
        results: The runs, first one the reference.
    """

    table: pd.DataFrame
    results: list[Result]

    def write(self, out: str | Path, *, report: bool = True) -> Path:
        """Write ``comparison.csv``, ``summary.json`` (each run's headline summary) and,
        with ``report``, ``comparison.xlsx`` (totals by scenario, then year by year)."""

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
            if report:
                from .report import write_comparison_workbook

                write_comparison_workbook(self.table, tmp / "comparison.xlsx")
            write_json(
                tmp / "summary.json",
                [{k: v for k, v in r.summary.items() if k != "provenance"} for r in self.results],
            )

        return write_folder(out, fill)
