"""One row per LA (and scenario) of a sweep: gap per 1,000 plans, cost per plan, out of area."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of the national table after its keys.
NATIONAL_COLUMNS: tuple[str, ...] = (
    "ehc_plans_last_year",
    "gap_per_1000_plans",
    "cost_per_plan",
    "out_of_area_share",
    "rank_gap",
)


def national_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each LA × scenario of a sweep over its plan years.

    ``gap_per_1000_plans``: child-years placed by the market (or with no place) per 1,000
    plan-years; ``cost_per_plan``: total cost (£, High Needs Block and transport) per
    plan-year of children placed in schools and colleges or otherwise arranged;
    ``out_of_area_share``: share of placements out of area; ``rank_gap``: 1 for the
    largest gap per 1,000 plans within each scenario.

    Args:
        table: A sweep's table (:attr:`sufficiency.sweep.Sweep.table`).

    Returns:
        ``la, scenario`` then :data:`NATIONAL_COLUMNS`, largest gap first.
    """
    columns = ["la", "scenario", *NATIONAL_COLUMNS]
    if table.empty:
        return pd.DataFrame(columns=columns)
    keys = ["la", "scenario"]
    sums = table.groupby(keys, sort=False)[
        ["ehc_plans", "shortfall", "total_cost", "out_of_area", "placed"]
    ].sum()
    last = table.sort_values("year").groupby(keys, sort=False)["ehc_plans"].last()
    plans = sums["ehc_plans"].to_numpy(float)
    placed = sums["placed"].to_numpy(float)
    out = pd.DataFrame(index=sums.index)
    out["ehc_plans_last_year"] = last.reindex(sums.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gap_per_1000_plans"] = np.where(plans > 0, 1000 * sums["shortfall"] / plans, np.nan)
        out["cost_per_plan"] = np.where(plans > 0, sums["total_cost"] / plans, np.nan)
        out["out_of_area_share"] = np.where(placed > 0, sums["out_of_area"] / placed, np.nan)
    out = out.reset_index()
    out["rank_gap"] = out.groupby("scenario")["gap_per_1000_plans"].rank(
        ascending=False, method="min"
    )
    out = out.sort_values(["scenario", "rank_gap", "la"], ignore_index=True)
    return out[columns]
