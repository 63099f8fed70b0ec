"""Headline figures: the run's totals by plan year and over the plan years."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import Scenario
from ..data.inputs import Inputs
from .allocation import Allocation
from .places import most_valuable_places


def by_year(
    years: Sequence[int],
    ehcp_total: pd.DataFrame,
    forecast: pd.DataFrame,
    allocation: Allocation,
    demand: pd.DataFrame,
    not_placed: pd.DataFrame,
    unmitigated: Allocation | None,
) -> list[dict[str, Any]]:
    """One dict of headline figures per plan year (what ``summary['by_year']`` holds).

    Args:
        years: The plan years.
        ehcp_total: Projected EHC plans in total by year (``year, mean, lower, upper``).
        forecast: The forecast table (``provision, year, …, mean``), for SEN support.
        allocation: The scenario's allocation.
        demand: Children to place by year, need, age band and level.
        not_placed: Children with plans not in an education placement.
        unmitigated: The same demand allocated without levers, if any were set.
    """
    placements, shortfall, policy = allocation.placements, allocation.shortfall, allocation.policy
    base_cost = (
        unmitigated.placements.groupby("year")["cost"].sum() if unmitigated is not None else None
    )
    rows = []
    for year in years:
        p = placements[placements["year"] == year]
        tier_counts = p.groupby("tier", observed=False)["children"].sum()
        ehcp = ehcp_total[ehcp_total["year"] == year]
        sen = forecast[(forecast["provision"] == "sen_support") & (forecast["year"] == year)]
        pol = policy[policy["year"] == year].iloc[0]
        placed_here = float(p["children"].sum())
        unplaced = float(not_placed.loc[not_placed["year"] == year, "children"].sum())
        to_place = float(demand.loc[demand["year"] == year, "children"].sum())
        row: dict[str, Any] = {
            "year": year,
            # scenario demand (after any demand lever); interval from the projection
            "ehc_plans": round(to_place + unplaced, 3),
            "ehc_plans_projected": round(float(ehcp["mean"].sum()), 3),
            "ehc_plans_lower": round(float(ehcp["lower"].sum()), 3),
            "ehc_plans_upper": round(float(ehcp["upper"].sum()), 3),
            "sen_support": round(float(sen["mean"].sum()), 3),
            "not_placed": round(unplaced, 3),
            "demand": round(to_place, 3),
            "placed": round(placed_here, 3),
            "placed_new": round(float(p.loc[p["status"] == "new", "children"].sum()), 3),
            "shortfall": round(
                float(shortfall.loc[shortfall["year"] == year, "children"].sum()), 3
            ),
            "out_of_area": round(float(p.loc[~p["in_area"], "children"].sum()), 3),
            "displaced": round(float(pol["displaced"]), 3),
            "cost": round(float(p["cost"].sum()), 2),
            **{f"placed_{t}": round(float(tier_counts.get(t, 0.0)), 3) for t in taxonomy.TIERS},
        }
        if "out_of_area_cap" in pol:
            row["out_of_area_counted"] = round(float(pol["out_of_area"]), 3)
            row["out_of_area_cap"] = round(float(pol["out_of_area_cap"]), 3)
            row["out_of_area_target_missed"] = round(float(pol["out_of_area_target_missed"]), 3)
        if "budget" in pol:
            row["budget"] = None if np.isnan(pol["budget"]) else round(float(pol["budget"]), 2)
            row["budget_overrun"] = round(float(pol["budget_overrun"]), 2)
        if base_cost is not None:
            row["unmitigated_cost"] = round(float(base_cost.get(year, 0.0)), 2)
        rows.append(row)
    return rows


def totals(
    allocation: Allocation,
    unmitigated: Allocation | None,
    base_year_plans: float,
    base_year_out_of_area: float,
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Figures over the whole run: solve, totals, base year and the rows by year.

    Args:
        allocation: The scenario's allocation.
        unmitigated: The same demand allocated without levers, if any were set.
        base_year_plans: EHC plans recorded in the base year.
        base_year_out_of_area: Children placed out of area in the base year.
        rows: The figures by year (:func:`by_year`).
    """
    solution, model = allocation.solution, allocation.model
    arrays = model.arrays
    out: dict[str, Any] = {
        "objective": round(solution.objective, 2),
        "solver": solution.solver,
        "status": solution.status.value,
        "total_cost": round(float(allocation.placements["cost"].sum()), 2),
        "total_shortfall": round(float(allocation.shortfall["children"].sum()), 3),
        "base_year_ehc_plans": base_year_plans,
        "base_year_out_of_area": base_year_out_of_area,
        "by_year": rows,
        "model_size": {
            "groups": len(arrays.groups),
            "settings": len(arrays.settings),
            "eligible_pairs": arrays.n_pairs,
            "columns": model.matrix.n_cols,
            "rows": model.matrix.n_rows,
            "capacity_rows": model.capacity_rows,
            "continuity_rows": model.continuity_rows,
        },
    }
    if unmitigated is not None:
        out["unmitigated_total_cost"] = round(float(unmitigated.placements["cost"].sum()), 2)
    return out


def forecast_table(ehcp: pd.DataFrame, sen_support: pd.DataFrame | None) -> pd.DataFrame:
    """The projections of both provisions in one table (what ``forecast.csv`` holds).

    Columns: ``provision`` (``ehc_plan`` or ``sen_support``), ``year, need, age_band,
    mean, lower, upper, method``.
    """
    frames = [ehcp.assign(provision="ehc_plan")]
    if sen_support is not None:
        frames.append(sen_support.assign(provision="sen_support"))
    forecast = taxonomy.as_categories(
        pd.concat(
            [
                f.assign(need=f["need"].astype(str), age_band=f["age_band"].astype(str))
                for f in frames
            ],
            ignore_index=True,
        )
    )
    # categorical need and age band: rows in need order, then age order ("5-10" before "11-15")
    forecast = forecast.sort_values(["provision", "need", "age_band", "year"], kind="stable")
    columns = ["provision", "year", "need", "age_band", "mean", "lower", "upper", "method"]
    return forecast[columns].reset_index(drop=True)


def demand_table(demand: pd.DataFrame) -> pd.DataFrame:
    """Children to place with categorical need, age band and level (``demand.csv``)."""
    out = taxonomy.as_categories(demand)
    out["level"] = out["level"].astype(str).astype(taxonomy.TIER_DTYPE)
    return out


def capital_summary(builds: pd.DataFrame, mip_gap: float | None) -> dict[str, Any]:
    """The capital programme in brief: the MIP gap, the options built and their cost."""
    return {
        "mip_gap": mip_gap,
        "built": builds.loc[builds["built"].astype(bool), "option"].tolist(),
        "capital_cost": round(float(builds["capital_cost"].sum()), 2),
    }


def summarise(
    sc: Scenario,
    inputs: Inputs,
    ehcp_total: pd.DataFrame,
    forecast: pd.DataFrame,
    mitigated: tuple[Allocation, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    unmitigated: Allocation | None,
    builds: pd.DataFrame,
    shadow: pd.DataFrame,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary's figures, in two parts that go before and after timings and provenance.

    Args:
        sc: The resolved scenario.
        inputs: Its validated inputs.
        ehcp_total: Projected EHC plans in total by year.
        forecast: The forecast table (:func:`forecast_table`).
        mitigated: The scenario's allocation, demand, children not placed and base stock.
        unmitigated: The same demand allocated without levers, if any were set.
        builds: The builds table with savings.
        shadow: Shadow prices of limited settings.

    Returns:
        The head (scenario, solve and totals, by year) and the tail (unmitigated total,
        out-of-area target missed, capital, most valuable places).
    """
    alloc, demand, not_placed, stock = mitigated
    rows = by_year(sc.plan_years, ehcp_total, forecast, alloc, demand, not_placed, unmitigated)
    base = stock.merge(inputs.settings[["setting", "in_area"]], on="setting", how="left")
    figures = totals(
        alloc,
        unmitigated,
        base_year_plans=float(
            inputs.caseload.loc[inputs.caseload["year"] == sc.base_year, "children"].sum()
        ),
        base_year_out_of_area=float(base.loc[~base["in_area"].astype(bool), "children"].sum()),
        rows=rows,
    )
    tail: dict[str, Any] = {}
    unmitigated_cost = figures.pop("unmitigated_total_cost", None)
    if unmitigated_cost is not None:
        tail["unmitigated_total_cost"] = unmitigated_cost
    if sc.levers.out_of_area is not None:
        tail["out_of_area_target_missed"] = {
            str(r["year"]): r["out_of_area_target_missed"] for r in rows
        }
    if alloc.model.arrays.capital is not None:
        tail["capital"] = capital_summary(builds, alloc.solution.mip_gap)
    tail["most_valuable_places"] = most_valuable_places(shadow)
    head = {
        "scenario": sc.name,
        "description": sc.description,
        "base_year": sc.base_year,
        "plan_years": sc.plan_years,
        "levers": sc.levers.model_dump(mode="json", exclude_defaults=True),
        **figures,
    }
    return head, tail
