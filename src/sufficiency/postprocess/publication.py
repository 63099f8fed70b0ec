"""The published copies of the returns tables: whole children, 1-4 hidden, and what narrows them.

:func:`publication` makes ``published/scap.csv``, ``commissioning.csv`` and
``dsg_plan.csv`` (and the workbook's copies) from the working tables under the rule
(:data:`~.disclosure.RULE`):

1. every count of children is rounded to a whole child, and each total is the sum of the
   rounded counts, so a published table adds up;
2. counts from 1 to 4 are hidden (primary suppression), totals included;
3. further cells are hidden (secondary suppression, :mod:`.secondary`) until no hidden
   cell can be narrowed, from everything published together (the totals, the planning
   areas, the other tables and how they are made, :mod:`.relations`), to less than 0-4
   (a count of 1-4) or a range of 4 (any other), by the attacker's audit (:mod:`.audit`).

Money is not suppressed. The per-table rule used before (each table alone, row and column
totals only) is not applied first: the joint suppression covers what it protected, and
starting from it hid about a quarter more cells on the bundled borough.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from .disclosure import SMALLEST_SHOWN
from .published_cells import cells_of, write_back
from .relations import DEFAULT_PAIRS
from .secondary import protect

#: The returns tables published together.
NAMES = ("dsg_plan", "scap", "commissioning")


@dataclass(frozen=True)
class Publication:
    """The published copies of the returns tables and what was hidden in them.

    Attributes:
        tables: ``dsg_plan``, ``scap`` and ``commissioning`` as published: counts as whole
            numbers, ``c`` where suppressed (object columns).
        cells: Count cells published (all tables, all years).
        primary: Cells hidden because they are counts of 1-4.
        secondary: Cells hidden further so that none can be narrowed.
        seconds: Time taken.
    """

    tables: dict[str, pd.DataFrame]
    cells: int
    primary: int
    secondary: int
    seconds: float
    sources: tuple[object, ...] = field(default=(), repr=False, compare=False)

    def made_from(self, tables: dict[str, pd.DataFrame], *others: object) -> bool:
        """Whether these copies were made from these very tables (and ``others``, the
        placements the pairs came from): the same objects, not equal ones."""
        now = (*(tables.get(n) for n in NAMES), *others)
        return len(now) == len(self.sources) and all(
            a is b for a, b in zip(now, self.sources, strict=True)
        )

    def note(self) -> str:
        """What was suppressed, in a sentence (for the published folder's notes)."""
        if not self.cells:
            return "No counts of children to publish."
        hidden = self.primary + self.secondary
        return (
            f"Of {self.cells:,} counts of children in these tables, {hidden:,} "
            f"({hidden / self.cells:.0%}) are shown as 'c': {self.primary:,} counts of 1 to 4 "
            f"and {self.secondary:,} more so that none can be narrowed from everything "
            "published together."
        )


def publication(
    tables: dict[str, pd.DataFrame],
    *,
    pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
    secondary: bool = True,
    placements: object = None,
) -> Publication:
    """The published copies of a run's returns tables under the rule (module doc).

    Args:
        tables: The working ``dsg_plan``, ``scap`` and ``commissioning`` tables (others
            are ignored; empty or missing ones are left out).
        pairs: The (DSG category, SCAP type) pairs of the run's settings
            (:func:`~.relations.pairs_of`); by default every pair the establishment types
            allow.
        secondary: Hide further cells so that none can be narrowed (on by default; off
            only to show what primary suppression alone leaves open).
        placements: The placements ``pairs`` came from, kept (by reference) so that
            :meth:`Publication.made_from` can tell whether the copies are still current.

    Returns:
        The published tables and what was hidden.
    """
    start = time.perf_counter()
    raw = {n: tables[n] for n in NAMES if n in tables and len(tables[n])}
    cells = cells_of(raw)
    value = cells["value"].to_numpy(dtype=float)
    cells["hidden"] = (value >= 1) & (value < SMALLEST_SHOWN)
    primary = int(cells["hidden"].sum())
    if secondary:
        cells["hidden"] = protect(cells, pairs)
    hidden = int(cells["hidden"].sum())
    sources = (*(tables.get(n) for n in NAMES), *([placements] if placements is not None else []))
    return Publication(
        write_back(raw, cells),
        len(cells),
        primary,
        hidden - primary,
        time.perf_counter() - start,
        sources,
    )


def publish(
    tables: dict[str, pd.DataFrame], *, pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS
) -> dict[str, pd.DataFrame]:
    """The published copies of a run's returns tables (:func:`publication`'s tables)."""
    return publication(tables, pairs=pairs).tables
