"""What each build saves: the builds table with running-cost and net savings and payback."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..model.arrays import AllocationArrays, gap_child_years
from .allocation import Allocation, builds_table

#: For one built option, the allocation re-solved without it: placement cost (£ over the
#: plan years), sufficiency gap (market and no place) and out-of-area child-years, objective.
Without = tuple[float, float, float, float]


#: Child-years below this are the two solves' floating point, not children (a build that
#: avoids no gap showed "gap avoided -0.0" from -6.8e-12).
CHILD_YEARS_RESIDUE = 1e-6


def _children(value: float) -> float:
    """``value`` (child-years), 0 where it is only the solves' floating point."""
    return 0.0 if abs(value) < CHILD_YEARS_RESIDUE else value


def capital_value(
    arrays: AllocationArrays, allocation: Allocation, without: Mapping[int, Without]
) -> pd.DataFrame:
    """The builds table with what each built option saves.

    ``without[i]`` is the allocation re-solved with built option ``i`` removed and the
    other decisions as taken (:func:`sufficiency.solve.lp.cost_without`).
    ``running_cost_saving`` is the placement cost without it minus with it (£ over the
    plan years); ``net_saving`` subtracts the annualised capital cost for the plan years
    it is open; ``shortfall_avoided`` is the sufficiency gap it avoids (child-years placed
    by the market of last resort, or with no place where the market is off) and
    ``out_of_area_avoided`` the out-of-area child-years;
    ``payback_years`` is capital cost over the yearly running-cost saving (blank when it
    saves nothing).
    """
    table = builds_table(arrays, allocation)
    extra = [
        "running_cost_saving",
        "net_saving",
        "shortfall_avoided",
        "out_of_area_avoided",
        "payback_years",
    ]
    for col in extra:
        table[col] = np.nan
    if arrays.capital is None or table.empty:
        return table
    x = allocation.solution.placed
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    with_cost = float(x @ arrays.unit_cost)
    with_short = gap_child_years(arrays, x, allocation.solution.unmet)
    with_ooa = float(x[~in_area].sum())
    for i, row in enumerate(table.to_dict("records")):
        if not row["built"]:
            continue
        cost, short, ooa, _ = without[i]
        open_years = int((arrays.years >= row["open_year"]).sum())
        saving = cost - with_cost
        table.loc[i, "running_cost_saving"] = saving
        table.loc[i, "net_saving"] = saving - row["annualised_cost"] * open_years
        table.loc[i, "shortfall_avoided"] = _children(short - with_short)
        table.loc[i, "out_of_area_avoided"] = _children(ooa - with_ooa)
        if saving > 0 and open_years:
            table.loc[i, "payback_years"] = row["capital_cost"] / (saving / open_years)
    return table
