"""The continuity table: how plans and placements carry over from one January to the next.

One row per single year of age at the first of two consecutive censuses, as
:func:`sufficiency.sources.sen2.read_sen2` measures it from a council's returns::

    age,children,continued,stayed,moved_transfer,moved_midphase,left,continuation,stay_rate
    10,120,117,20,90,7,3,0.975,0.170940

``continuation`` is the share of plans held at that age still held at the next census and
``stay_rate`` the share of those in the same setting; the allocation's continuity
(:func:`sufficiency.model.stock.carry_rates`) uses them in place of its defaults (the cohort
ratio, and staying put between phase transfers only) at every age with children. Only
``age``, ``children``, ``continuation`` and ``stay_rate`` are read; the counts beside them
are for the reader.
"""

from __future__ import annotations

import pandas as pd

from ..config.schema import NumberFormat
from ..errors import Problem
from .checks import duplicate_keys
from .tables import Column, RawTable, check_table

CONTINUITY_COLUMNS = (
    Column("age", "int", minimum=0, maximum=25, unit="years"),
    Column("children", "float", minimum=0, maximum=100_000, unit="children"),
    Column("continuation", "float", minimum=0, maximum=1, unit="share"),
    Column("stay_rate", "float", blank_ok=True, minimum=0, maximum=1, unit="share"),
)
#: The measured counts written beside the rates for reading (not read back).
CONTINUITY_COUNTS = ("continued", "stayed", "moved_transfer", "moved_midphase", "left", "joined")


def check_continuity(
    raw: RawTable, problems: list[Problem], number_format: NumberFormat | None = None
) -> pd.DataFrame:
    """Parse and check a continuity table, appending every problem found.

    Returns:
        ``age, children, continuation, stay_rate`` (``stay_rate`` NaN where blank).
    """
    frame = check_table(
        raw,
        CONTINUITY_COLUMNS,
        problems,
        number_format=number_format,
        table="continuity",
        ignored=CONTINUITY_COUNTS,
    )
    if frame.empty:
        if not problems:
            problems.append(
                Problem(raw.label, "the table has a header but no rows; it needs at least one")
            )
        return frame
    duplicate_keys(frame, raw, ["age"], problems, "age", "remove one")
    return frame[["age", "children", "continuation", "stay_rate"]].reset_index(drop=True)
