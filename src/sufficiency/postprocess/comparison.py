"""Scenarios side by side: one table of headline figures by scenario and year, and each
warning of their runs said once."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from .allocation import PAYER_COSTS
from .disclosure import SMALLEST_SHOWN, SUPPRESSED, protect_count, protect_grid

#: Money figures of the comparison (as they are under disclosure control: not counts).
MONEY: tuple[str, ...] = PAYER_COSTS

#: Figures compared, with their difference against the first scenario; the names are those
#: of ``summary['by_year']`` (``cost`` is the earlier name of ``total_cost``, the council's
#: spend; ``all_payers_cost`` adds schools' notional SEN budgets).
COMPARED: tuple[str, ...] = (
    "ehc_plans",
    "demand",
    "placed",
    *MONEY,
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


#: Counts of children a published comparison holds. The others add up to one another
#: (placed by tier to placed; placed and the gap to demand), so a hidden one could be
#: worked out from them: they are left to each scenario's own published tables.
PUBLISHED_COUNTS: tuple[str, ...] = ("ehc_plans", "shortfall", "out_of_area")
#: Counts of :data:`PUBLISHED_COUNTS` that add up over the plan years (child-years): a
#: published comparison gives their total, and hides a second year where one year alone
#: would be recoverable from it. EHC plans are a January count: no total.
CHILD_YEARS: tuple[str, ...] = ("shortfall", "out_of_area")
#: The published comparison's row of totals over the plan years (its ``year``).
TOTAL = "total"


def published_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison under disclosure control (``published/comparison.csv``, and what the
    comparison's page and workbook show): for each scenario the counts of
    :data:`PUBLISHED_COUNTS` by year, whole children with 1 to 4 shown as ``c``; the
    child-years of :data:`CHILD_YEARS` with a total row over the plan years (the sum of the
    rounded counts) and, where one hidden year could be worked out from that total, another
    year hidden (:func:`.disclosure.protect_grid`); money as it is, with its total; and each
    figure against the first scenario from these published figures (``c`` where either is).
    A figure not modelled stays blank.

    Args:
        table: The comparison table (:func:`comparison_table`).

    Returns:
        Columns ``scenario, year`` (``total`` on each scenario's last row), the figures,
        and ``<figure>_diff``.
    """
    scenarios = list(dict.fromkeys(table["scenario"]))
    parts = []
    for name in scenarios:
        frame = published_years(table[table["scenario"] == name])
        frame.insert(0, "scenario", name)
        parts.append(frame)
    published = pd.concat(parts, ignore_index=True)
    first = published[published["scenario"] == scenarios[0]].set_index("year")
    for col in (*PUBLISHED_COUNTS, *MONEY):
        reference = [first[col].get(y, np.nan) for y in published["year"]]
        diffs = [difference(a, b) for a, b in zip(published[col], reference, strict=True)]
        published[f"{col}_diff"] = pd.Series(
            diffs, index=published.index, dtype=object if col in PUBLISHED_COUNTS else float
        )
    return published


def published_years(
    rows: pd.DataFrame,
    counts: Sequence[str] = PUBLISHED_COUNTS,
    money: Sequence[str] = MONEY,
) -> pd.DataFrame:
    """One run's figures by year as published (what :func:`published_comparison` shows of
    each scenario): ``counts`` in whole children with 1 to 4 as ``c``, those of
    :data:`CHILD_YEARS` with a total over the years (the sum of the rounded counts) and a
    further year hidden where one hidden year could be worked out from it
    (:func:`.disclosure.protect_grid`); ``money`` as it is, with its total. A figure not
    modelled (NaN in any year) stays blank.

    Args:
        rows: One row per plan year: ``year`` and the figures.
        counts: Counts of children to publish (each in :data:`PUBLISHED_COUNTS`' way).
        money: Money figures to publish.

    Returns:
        ``year`` (``total`` on the last row), ``counts`` (as object: whole children, ``c``
        and blanks, as written) and ``money``.
    """
    mine = rows.sort_values("year", kind="stable")
    out: dict[str, list[Any]] = {"year": [*(int(y) for y in mine["year"]), TOTAL]}
    for col in counts:
        values = mine[col].to_numpy(dtype=float)
        if np.isnan(values).any():  # not modelled
            out[col] = [np.nan] * (len(values) + 1)
        elif col in CHILD_YEARS:
            grid, hidden = protect_grid(values[:, None])
            out[col] = [
                SUPPRESSED if h else int(v) for v, h in zip(grid[:, 0], hidden[:, 0], strict=True)
            ]
        else:
            out[col] = [protect_count(v) for v in values] + [np.nan]
    for col in money:
        values = mine[col].to_numpy(dtype=float)
        total = round(float(values.sum()), 2) if not np.isnan(values).any() else np.nan
        out[col] = [*values, total]  # the total to the penny (no float tail in a file)
    frame = pd.DataFrame(out)
    for col in counts:  # whole children, 'c' and blanks: as written
        frame[col] = pd.Series(out[col], dtype=object)
    return frame


def difference(value: Any, reference: Any) -> Any:
    """``value − reference`` of two published figures: ``c`` where either is hidden, blank
    where either is not modelled."""
    if SUPPRESSED in (value, reference):
        return SUPPRESSED
    if pd.isna(value) or pd.isna(reference):
        return np.nan
    return value - reference


#: What a published comparison says of itself (page, workbook, ``published/README.txt``).
PUBLISHED_NOTE = (
    "Disclosure control: counts of children are rounded to whole children and counts from "
    f"1 to {SMALLEST_SHOWN - 1} are shown as '{SUPPRESSED}'; over the plan years the gap and "
    "out of area are totalled from the rounded counts, and a further year is hidden where "
    "one hidden year could be worked out from that total; differences are between these "
    "published figures. Placements by tier and children on SEN support are not compared "
    "here (they add up to one another): each scenario's own run publishes them."
)


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
