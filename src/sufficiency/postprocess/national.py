"""One row per LA (and scenario) of a sweep: gap per 1,000 plans, cost per plan, out of area."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .disclosure import SUPPRESSED

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


def published_national(table: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """:func:`national_table` from a sweep's published figures (``published/national.csv``).

    Every ratio is worked from what is published, so none reveals a hidden count:
    ``ehc_plans_last_year`` as published; ``gap_per_1000_plans`` from the published gap
    over the plan years and the sum of the published plans; ``cost_per_plan`` from the
    cost (published as it is) and those plans; ``out_of_area_share`` from the published
    out-of-area total (placements are not hidden counts). Each is ``c`` where what it is
    worked from is hidden; ``rank_gap`` ranks the gaps shown, and is blank for a hidden one.

    Args:
        table: The sweep's working table (its placements).
        published: The sweep's published table (:meth:`sufficiency.sweep.Sweep.published`):
            one row per LA, scenario and year, and a ``total`` row for each.

    Returns:
        ``la, scenario`` then :data:`NATIONAL_COLUMNS`, largest gap shown first.
    """
    columns = ["la", "scenario", *NATIONAL_COLUMNS]
    if published.empty:
        return pd.DataFrame(columns=columns)
    placed = table.groupby(["la", "scenario"], sort=False)["placed"].sum()
    rows = []
    for (la, scenario), mine in published.groupby(["la", "scenario"], sort=False):
        years, total = mine[mine["year"] != "total"], mine[mine["year"] == "total"].iloc[0]
        plans = (
            SUPPRESSED
            if SUPPRESSED in set(years["ehc_plans"])
            else float(pd.to_numeric(years["ehc_plans"]).sum())
        )
        rows.append(
            {
                "la": la,
                "scenario": scenario,
                "ehc_plans_last_year": years["ehc_plans"].iloc[-1],
                "gap_per_1000_plans": _ratio(total["shortfall"], plans, 1000.0),
                "cost_per_plan": _ratio(total["total_cost"], plans),
                "out_of_area_share": _ratio(total["out_of_area"], placed.get((la, scenario))),
            }
        )
    out = pd.DataFrame(rows, columns=columns[:-1])
    shown = pd.to_numeric(out["gap_per_1000_plans"], errors="coerce")
    out["rank_gap"] = shown.groupby(out["scenario"]).rank(ascending=False, method="min")
    order = out.assign(_gap=shown).sort_values(
        ["scenario", "_gap", "la"], ascending=[True, False, True], na_position="last"
    )
    return order[columns].reset_index(drop=True)


def _ratio(numerator: object, denominator: object, scale: float = 1.0) -> object:
    """``scale × numerator / denominator`` of published figures: ``c`` where either is
    hidden, NaN where the denominator is not above 0."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    below = float(denominator)  # type: ignore[arg-type]
    return scale * float(numerator) / below if below > 0 else np.nan  # type: ignore[arg-type]
