"""Secondary suppression across the tables published together: further cells hidden, none narrowed.

Primary suppression hides the counts of 1-4; the audit (:mod:`.audit`) finds how far an
attacker can narrow each hidden cell from everything published together. :func:`protect`
hides more cells until every hidden cell is protected: its interval covers 0-4 for a
count of 1-4, and is at least :data:`~.audit.PROTECTED_WIDTH` wide for any other.

One year at a time (every relation stays within a year), over one
:class:`~.audit.Attacker` whose two HiGHS models are built once and warm-started:

1. Two screening programmes first push every hidden cell in doubt towards the ends it
   must reach, all at once (:meth:`~.audit.Attacker.screen`): each point found is one
   the attacker cannot rule out, and shows many cells protected without a programme of
   their own.
2. The cells left are taken smallest first. For each end a cell must reach and has not
   been seen to reach (0 and 4 for a count of 1-4; 4 above its least value for any
   other), the defender's programme (:meth:`~.audit.Attacker.widen`) finds the cheapest
   move of published cells that lets it: hidden cells move for free, a published one at
   its price (:func:`~.audit.hiding_price`). Those are the cells whose totals pin the
   weak one (the rows binding in its attacker's programme, found directly rather than
   read off the duals one at a time), and the free moves make it reuse cells already
   hidden, so one cell hidden serves several weak ones. When nothing need move, that
   one programme is also the check.
3. The cells it moves are hidden at once; the point found then shows the weak end
   reached, and every cell it moved its value there. Newly hidden cells join the queue
   (they must be protected in turn); every :data:`SCREEN_EVERY` hides the screen is run
   again on the cells waiting.

Hiding only widens intervals, so a cell once shown protected stays protected, and the
queue ends when every hidden cell has been.

Tried and left: hiding for all weak cells at once (one point where every one reaches its
end) hid 2.5 times as many cells (the ends compete within a row); taking cells largest
first or the whole-council blocks first changed the count by under 2%.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .audit import PROTECTED_WIDTH, TOLERANCE, Attacker
from .disclosure import SMALLEST_SHOWN
from .relations import DEFAULT_PAIRS

log = logging.getLogger(__name__)

#: Cells hidden (programmes that moved something) between two screens of the queue.
SCREEN_EVERY = 10


def protect_year(attacker: Attacker) -> None:
    """Hide cells of one year (``attacker``) until every hidden cell is protected."""
    value = attacker.value
    small = (value >= 1) & (value < SMALLEST_SHOWN)
    attacker.screen()
    todo = attacker.hidden & ~attacker.shown_protected()
    queue = list(np.flatnonzero(todo)[np.argsort(value[todo], kind="stable")])
    since = 0
    while queue:
        i = int(queue.pop(0))
        if attacker.shown_protected()[i]:
            continue
        if small[i]:
            targets = [0.0, PROTECTED_WIDTH]
        else:  # its least value sets the goal
            targets = [float(np.ceil(attacker.bound(i, 1.0) - TOLERANCE) + PROTECTED_WIDTH)]
        for target in targets:
            if target <= 0 and attacker.seen_lo[i] <= TOLERANCE:
                continue
            if target > 0 and attacker.seen_hi[i] >= target - TOLERANCE:
                continue
            moved = attacker.widen(i, target)
            if moved is None:  # never for figures that were published: say so, go on
                log.warning(
                    "disclosure: no cell hidden lets %s reach %g", _name(attacker, i), target
                )
            elif len(moved):
                queue += sorted(moved.tolist(), key=lambda k: value[k])
                since += 1
        if since >= SCREEN_EVERY:
            attacker.screen()
            since = 0


def _name(attacker: Attacker, i: int) -> str:
    c = attacker.cells.iloc[i]
    return f"{c['table']} {c['year']} {c['block']} {c['row']} × {c['col']}"


def protect(
    cells: pd.DataFrame, pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS
) -> np.ndarray:
    """Which cells to hide: those already ``hidden`` and more, year by year, until every
    hidden cell is protected given all the tables.

    Args:
        cells: The count cells of the tables published together
            (:func:`~.published_cells.collect`), with ``hidden``.
        pairs: The (DSG category, SCAP type) pairs of the run's settings.

    Returns:
        The hidden mask, in the order of ``cells``.
    """
    hidden = cells["hidden"].to_numpy(dtype=bool).copy()
    solves = 0
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        attacker = Attacker(part, pairs)
        protect_year(attacker)
        solves += attacker.solves
        hidden[cells.index.get_indexer(part.index)] = attacker.hidden
    log.debug("disclosure: %d programmes solved", solves)
    return hidden
