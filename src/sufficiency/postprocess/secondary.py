"""Secondary suppression across the tables published together: the fewest further cells hidden so no suppressed count can be narrowed.

Primary suppression hides the counts of 1-4; the audit (:mod:`.audit`) then finds how far
an attacker can narrow each suppressed cell from everything published together. This
module hides more cells until every suppressed cell is protected (its interval covers 0-4
for a count of 1-4, or is at least :data:`~.audit.PROTECTED_WIDTH` wide).

One year at a time (every relation stays within a year), over one :class:`~.audit.Attacker`
whose two HiGHS models are built once and warm-started:

1. Hidden cells are taken smallest first. A cell the points already found show protected
   is passed over; otherwise the attacker's programme gives the side of its interval
   that is too narrow (one programme a side, only the sides still in doubt).
2. For a side too narrow, the defender's programme finds the cheapest move of published
   cells that lets the cell reach the far end of its range (0 or 4 for a count of 1-4;
   its lower bound plus 4 for any other): hidden cells move for free, a published one at
   its price (one a cell, a little more for larger counts). The cells it moves are the
   ones the attacker was pinning the weak cell with (the binding rows of its programme,
   found directly rather than read off the duals), and the price makes it reuse cells
   already hidden, so one cell hidden serves several weak ones.
3. Those cells are hidden at once; the point found is then one the attacker cannot rule
   out, so the weak side is protected, and every cell it moved learns its range at that
   point too. Newly hidden cells join the queue (they must be protected in turn).

Hiding only widens intervals, so a cell once protected stays protected, and the queue
ends when every hidden cell has been seen protected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .audit import DEFAULT_PAIRS, PROTECTED_WIDTH, TOLERANCE, Attacker, collect, suppress
from .disclosure import SMALLEST_SHOWN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Protected:
    """The outcome of :func:`protect_together`.

    Attributes:
        tables: The published copies, every further cell hidden shown as ``c``.
        cells: Count cells published (all tables, all years).
        primary: Cells hidden before (the counts of 1-4, or what ``shown`` hid).
        secondary: Cells hidden further.
        solves: Linear programmes solved.
    """

    tables: dict[str, pd.DataFrame]
    cells: int
    primary: int
    secondary: int
    solves: int


def protect_year(attacker: Attacker) -> None:
    """Hide cells of one year (``attacker``) until every hidden cell is protected."""
    value = attacker.value
    small = (value >= 1) & (value < SMALLEST_SHOWN)
    while True:
        todo = attacker.hidden & ~attacker.shown_protected()
        if not todo.any():
            return
        floor = np.ceil(attacker.seen_lo - TOLERANCE)
        goal = np.where(small, PROTECTED_WIDTH, floor + PROTECTED_WIDTH)
        attacker.screen(todo & small & (floor > 0), todo, np.maximum(goal - value, 0.0))
        todo = attacker.hidden & ~attacker.shown_protected()
        for i in np.flatnonzero(todo)[np.argsort(value[todo], kind="stable")]:
            i = int(i)
            if attacker.shown_protected()[i]:
                continue
            if small[i]:
                targets = [0.0, PROTECTED_WIDTH]
            else:
                targets = [np.ceil(attacker.bound(i, 1.0) - TOLERANCE) + PROTECTED_WIDTH]
            for target in targets:
                if target <= 0 and attacker.seen_lo[i] <= TOLERANCE:
                    continue
                if target > 0 and attacker.seen_hi[i] >= target - TOLERANCE:
                    continue
                if attacker.widen(i, target) is None:
                    log.warning(
                        "disclosure: no cell hidden lets %s reach %g",
                        attacker.cells.iloc[i][["table", "year", "block", "row", "col"]].to_dict(),
                        target,
                    )


def protect_together(
    raw: dict[str, pd.DataFrame],
    shown: dict[str, pd.DataFrame],
    *,
    pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
) -> Protected:
    """Hide more cells of the tables published together until every suppressed cell is
    protected given all of them (:func:`~.audit.audit`).

    Args:
        raw: The working ``scap``, ``commissioning`` and ``dsg_plan`` tables.
        shown: Their published copies with the primary suppression (``c``).
        pairs: The (DSG category, SCAP type) pairs of the run's settings.

    Returns:
        The published copies with the further cells hidden, and what was hidden.
    """
    cells = collect(raw, shown).frame
    primary = int(cells["hidden"].sum())
    solves = 0
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        attacker = Attacker(part, pairs)
        protect_year(attacker)
        solves += attacker.solves
        cells.loc[part.index, "hidden"] = attacker.hidden
    secondary = int(cells["hidden"].sum()) - primary
    log.info(
        "disclosure: %d of %d count cells suppressed (%d of 1-4, %d more so none can be "
        "narrowed; %d programmes)",
        primary + secondary,
        len(cells),
        primary,
        secondary,
        solves,
    )
    return Protected(suppress(shown, cells), len(cells), primary, secondary, solves)
