"""Scenarios side by side: one table of headline figures by scenario and year, and each
warning of their runs said once."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from .. import taxonomy

#: Figures compared, with their difference against the first scenario; the names are those
#: of ``summary['by_year']`` (``cost`` is the earlier name of ``total_cost``, the council's
#: spend; ``all_payers_cost`` adds schools' notional SEN budgets).
COMPARED: tuple[str, ...] = (
    "ehc_plans",
    "demand",
    "placed",
    "hnb_cost",
    "transport_cost",
    "school_cost",
    "total_cost",
    "all_payers_cost",
    "cost",
    "out_of_area",
    "shortfall",
    *(f"placed_{t}" for t in taxonomy.TIERS),
    "sen_support_placed",
    "sen_support_kept_in_mainstream",
)


def comparison_table(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per scenario and plan year, with differences against the first scenario.

    Args:
        summaries: Each run's summary (``Result.summary``), the first the reference.

    Returns:
        Columns ``scenario, year``, the figures in :data:`COMPARED`, and ``<figure>_diff``
        (this scenario minus the first; zero for the first); NaN where a figure is not
        modelled.
    """
    frames = []
    for summary in summaries:
        t = pd.DataFrame(summary["by_year"])
        # a figure not modelled is null in the summary: NaN here (and in its difference)
        t[list(COMPARED)] = t[list(COMPARED)].apply(pd.to_numeric, errors="coerce")
        t.insert(0, "scenario", summary["scenario"])
        frames.append(t[["scenario", "year", *COMPARED]])
    table = pd.concat(frames, ignore_index=True)
    first = frames[0].set_index("year")[list(COMPARED)]
    aligned = first.reindex(table["year"]).to_numpy()
    for i, col in enumerate(COMPARED):
        table[f"{col}_diff"] = table[col].to_numpy() - aligned[:, i]
    return table


class _Once(logging.Filter):
    """Lets each distinct warning through once (the scenarios of a comparison share their
    data, so the forecast's warnings would repeat for every one)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


@contextlib.contextmanager
def each_warning_once() -> Iterator[None]:
    """While running a comparison, the package's loggers pass each distinct warning once;
    every result still lists its own in ``summary['forecast_warnings']``."""
    once = _Once()
    loggers = [logging.getLogger("sufficiency")] + [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith("sufficiency.")
    ]
    for logger in loggers:
        logger.addFilter(once)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(once)
