"""Headline figures: the run's totals by plan year and over the plan years."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..model.levels import NOT_IN_SCHOOL_LEVELS
from .allocation import Allocation
from .assumptions import assumptions, not_modelled
from .places import most_valuable_places


def by_year(
    years: Sequence[int],
    ehcp_total: pd.DataFrame,
    forecast: pd.DataFrame,
    allocation: Allocation,
    demand: pd.DataFrame,
    not_in_school: pd.DataFrame,
    unmitigated: tuple[Allocation, pd.DataFrame] | None,
) -> list[dict[str, Any]]:
    """One dict of headline figures per plan year (what ``summary['by_year']`` holds).

    Money is in pounds and split by payer: ``hnb_cost`` (High Needs Block: placements and
    other arrangements), ``transport_cost`` (the council's general fund), ``school_cost``
    (schools' notional SEN budgets: children on SEN support in mainstream), ``total_cost``
    (the council's spend: ``hnb_cost + transport_cost``; ``cost`` is its earlier name) and
    ``all_payers_cost`` (``total_cost + school_cost``: the SEND cohort's cost whoever
    pays). Counts of children are of children with EHC plans unless named
    ``sen_support_…``. The sufficiency gap
    (``shortfall``) is the children with plans the register's commissioned places cannot
    take: ``market`` placed by the market of last resort, ``no_place`` left with none
    (only when the market is switched off); ``sen_support_kept_in_mainstream`` is the
    children on SEN support kept in mainstream for want of a place at their level.

    Args:
        years: The plan years.
        ehcp_total: Projected EHC plans in total by year (``year, mean, lower, upper``).
        forecast: The forecast table (``provision, year, …, mean``), for SEN support.
        allocation: The scenario's allocation.
        demand: Children to place by year, need, age band and level.
        not_in_school: Children not in a school or college, costed.
        unmitigated: The same demand allocated without levers (its allocation and
            not-in-school table), if any lever was set.
    """
    placements, policy = allocation.placements, allocation.policy
    ehc_rows = allocation.shortfall["provision"].astype(str) == "ehc_plan"
    shortfall, sen_gap = allocation.shortfall[ehc_rows], allocation.shortfall[~ehc_rows]
    ehc_demand = demand["provision"].astype(str) == "ehc_plan" if "provision" in demand else None
    sen_demand = demand[~ehc_demand] if ehc_demand is not None else demand.iloc[0:0]
    demand = demand[ehc_demand] if ehc_demand is not None else demand

    def yearly(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame.groupby("year")[column].sum()

    base_cost = base_school = None
    if unmitigated is not None:
        un_alloc, un_nis = unmitigated
        base_cost = yearly(un_alloc.placements, "total_cost").add(
            yearly(un_nis, "hnb_cost"), fill_value=0.0
        )
        base_school = yearly(un_alloc.placements, "school_cost")
    nis_cost = yearly(not_in_school, "hnb_cost")
    on_plan = (placements["provision"].astype(str) == "ehc_plan").to_numpy()
    placed = _Yearly(placements)
    sen = _Yearly(forecast, (forecast["provision"] == "sen_support").to_numpy())
    ehcp, nis, gap = _Yearly(ehcp_total), _Yearly(not_in_school), _Yearly(shortfall)
    to_place, sen_to_place, kept = _Yearly(demand), _Yearly(sen_demand), _Yearly(sen_gap)
    new = (placements["status"] == "new").to_numpy()
    in_area = placements["in_area"].to_numpy(dtype=bool)
    # each year's rows in the order the year's own frame has them: the sums it gives
    tier_counts = placements[on_plan].groupby(["year", "tier"], observed=False)["children"].sum()
    sen_tiers = placements[~on_plan].groupby(["year", "tier"], observed=False)["children"].sum()
    by_arrangement = not_in_school.groupby(["year", "arrangement"])["children"].sum()
    policy_of = {int(y): i for i, y in reversed(list(enumerate(policy["year"])))}
    rows = []
    for year in years:
        pol = policy.iloc[policy_of[int(year)]]
        unplaced = nis.sum(year, "children")
        demanded = to_place.sum(year, "children")
        other = float(nis_cost.get(year, 0.0))
        hnb = placed.sum(year, "hnb_cost") + other
        transport = placed.sum(year, "transport_cost")
        school = placed.sum(year, "school_cost")
        row: dict[str, Any] = {
            "year": year,
            # scenario demand (after any demand lever); interval from the projection
            "ehc_plans": round(demanded + unplaced, 3),
            "ehc_plans_projected": round(ehcp.sum(year, "mean"), 3),
            "ehc_plans_lower": round(ehcp.sum(year, "lower"), 3),
            "ehc_plans_upper": round(ehcp.sum(year, "upper"), 3),
            "sen_support": round(sen.sum(year, "mean"), 3),
            "not_placed": round(unplaced, 3),
            **{
                f"not_in_school_{a}": round(float(by_arrangement.get((year, a), 0.0)), 3)
                for a in NOT_IN_SCHOOL_LEVELS
            },
            "demand": round(demanded, 3),
            "placed": round(placed.sum(year, "children", on_plan), 3),
            "placed_new": round(placed.sum(year, "children", on_plan & new), 3),
            "shortfall": round(gap.sum(year, "children"), 3),
            "market": round(gap.sum(year, "market"), 3),
            "no_place": round(gap.sum(year, "no_place"), 3),
            "out_of_area": round(placed.sum(year, "children", on_plan & ~in_area), 3),
            "displaced": round(float(pol["displaced"]), 3),
            "place_funding_cost": round(placed.sum(year, "place_funding_cost"), 2),
            "top_up_cost": round(placed.sum(year, "top_up_cost"), 2),
            "fee_cost": round(placed.sum(year, "fee_cost"), 2),
            "hnb_cost": round(hnb, 2),
            "transport_cost": round(transport, 2),
            "school_cost": round(school, 2),
            "total_cost": round(hnb + transport, 2),
            "all_payers_cost": round(hnb + transport + school, 2),
            "not_in_school_cost": round(other, 2),
            "cost": round(hnb + transport, 2),
            **{
                f"placed_{t}": round(float(tier_counts.get((year, t), 0.0)), 3)
                for t in taxonomy.TIERS
            },
            "ehc_plan_hnb_cost": round(placed.sum(year, "hnb_cost", on_plan) + other, 2),
            "sen_support_demand": round(sen_to_place.sum(year, "children"), 3),
            "sen_support_placed": round(placed.sum(year, "children", ~on_plan), 3),
            **{
                f"sen_support_placed_{t}": round(float(sen_tiers.get((year, t), 0.0)), 3)
                for t in (*taxonomy.SEN_SUPPORT_TIERS, "enhanced_resource")
            },
            "sen_support_kept_in_mainstream": round(kept.sum(year, "kept_in_mainstream"), 3),
            "sen_support_hnb_cost": round(placed.sum(year, "hnb_cost", ~on_plan), 2),
            "sen_support_school_cost": round(placed.sum(year, "school_cost", ~on_plan), 2),
        }
        if "out_of_area_cap" in pol:
            row["out_of_area_counted"] = round(float(pol["out_of_area"]), 3)
            row["out_of_area_cap"] = round(float(pol["out_of_area_cap"]), 3)
            row["out_of_area_target_missed"] = round(float(pol["out_of_area_target_missed"]), 3)
        if "budget" in pol:
            budget = float(pol["budget"])
            # no budget given for the year: no overrun to read (null, never 0)
            row["budget"] = None if np.isnan(budget) else round(budget, 2)
            row["budget_overrun"] = None if np.isnan(budget) else round(max(hnb - budget, 0.0), 2)
        if base_cost is not None and base_school is not None:
            unmitigated_cost = float(base_cost.get(year, 0.0))
            row["unmitigated_cost"] = round(unmitigated_cost, 2)
            row["unmitigated_all_payers_cost"] = round(
                unmitigated_cost + float(base_school.get(year, 0.0)), 2
            )
        rows.append(row)
    return rows


class _Yearly:
    """Sums of a frame's columns over one year's rows (and a mask of rows), as
    ``frame[(frame["year"] == year) & mask][column].sum()`` gives them: the year's rows in
    their order, missing values as 0, summed by numpy as pandas sums them — one sort by
    year instead of a pass over the whole frame for each figure and year."""

    def __init__(self, frame: pd.DataFrame, rows: np.ndarray | None = None) -> None:
        self.frame = frame
        years = frame["year"].to_numpy(dtype=float, na_value=np.nan)  # (a missing year: last)
        self.rows = rows
        self.order = np.argsort(years, kind="stable")
        self.years = years[self.order]
        self.columns: dict[str, np.ndarray] = {}

    def sum(self, year: int, column: str, mask: np.ndarray | None = None) -> float:
        lo, hi = np.searchsorted(self.years, [year, year + 1])
        at = self.order[lo:hi]
        for keep in (self.rows, mask):
            if keep is not None:
                at = at[keep[at]]
        if column not in self.columns:
            self.columns[column] = self.frame[column].to_numpy(dtype=float, na_value=np.nan)
        return float(np.nansum(self.columns[column][at]))


def totals(
    allocation: Allocation,
    base_year_plans: float,
    base_year_out_of_area: float,
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Figures over the whole run: solve, totals, base year and the rows by year.

    Args:
        allocation: The scenario's allocation.
        base_year_plans: EHC plans recorded in the base year.
        base_year_out_of_area: Children placed out of area in the base year.
        rows: The figures by year (:func:`by_year`).
    """
    solution, model = allocation.solution, allocation.model
    arrays = model.arrays
    on_plan = (allocation.shortfall["provision"].astype(str) == "ehc_plan").to_numpy()
    out: dict[str, Any] = {
        "objective": round(solution.objective, 2),
        "solver": solution.solver,
        "status": solution.status.value,
        "total_cost": round(sum(r["total_cost"] for r in rows), 2),
        "total_hnb_cost": round(sum(r["hnb_cost"] for r in rows), 2),
        "total_transport_cost": round(sum(r["transport_cost"] for r in rows), 2),
        "total_school_cost": round(sum(r["school_cost"] for r in rows), 2),
        "total_all_payers_cost": round(sum(r["all_payers_cost"] for r in rows), 2),
        "total_shortfall": round(float(allocation.shortfall.loc[on_plan, "children"].sum()), 3),
        "total_no_place": round(float(allocation.shortfall["no_place"].sum()), 3),
        "market": arrays.market is not None,
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
    if any("unmitigated_cost" in r for r in rows):
        out["unmitigated_total_cost"] = round(sum(r["unmitigated_cost"] for r in rows), 2)
        out["unmitigated_all_payers_cost"] = round(
            sum(r["unmitigated_all_payers_cost"] for r in rows), 2
        )
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
    """Children to place with categorical provision, need, age band and level
    (``demand.csv``)."""
    out = taxonomy.as_categories(demand)
    out["level"] = taxonomy.as_category(out["level"], taxonomy.TIER_DTYPE)
    return out


def capital_summary(
    builds: pd.DataFrame, mip_gap: float | None, tolerance: float | None = None
) -> dict[str, Any]:
    """The capital programme in brief: the gap reached, its tolerance, the options built
    and their cost.

    ``mip_gap`` is the relative gap between the plan's objective and the best bound on
    any plan's (certified from the linear relaxation, or the branch and bound's);
    ``mip_gap_tolerance`` the scenario's ``capital.mip_gap``.
    """
    return {
        "mip_gap": mip_gap,
        "mip_gap_tolerance": tolerance,
        "built": builds.loc[builds["built"].astype(bool), "option"].tolist(),
        "capital_cost": round(float(builds["capital_cost"].sum()), 2),
    }


def optimality(capital: dict[str, Any]) -> str:
    """How close the capital plan is to optimal, in words (from :func:`capital_summary`),
    e.g. ``", within 0.02% of optimal (tolerance 0.1%)"``; empty when no gap is known."""
    gap, tolerance = capital.get("mip_gap"), capital.get("mip_gap_tolerance")
    if gap is None:
        return ""
    words = "optimal" if gap <= 1e-9 else f"within {100 * gap:.2g}% of optimal"
    return f", {words}" + (f" (tolerance {100 * tolerance:.2g}%)" if tolerance else "")


def summarise(
    sc: Scenario,
    inputs: Inputs,
    ehcp_total: pd.DataFrame,
    forecast: pd.DataFrame,
    mitigated: tuple[Allocation, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    unmitigated: tuple[Allocation, pd.DataFrame] | None,
    builds: pd.DataFrame,
    shadow: pd.DataFrame,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary's figures, in two parts that go before and after timings and provenance.

    Args:
        sc: The resolved scenario.
        inputs: Its validated inputs.
        ehcp_total: Projected EHC plans in total by year.
        forecast: The forecast table (:func:`forecast_table`).
        mitigated: The scenario's allocation, demand, children not in school (costed) and
            base stock.
        unmitigated: The same demand allocated without levers (allocation and children
            not in school), if any lever was set.
        builds: The builds table with savings.
        shadow: Shadow prices of limited settings.

    Returns:
        The head (scenario, solve and totals, by year) and the tail (unmitigated total,
        out-of-area target missed, capital, most valuable places).
    """
    alloc, demand, not_in_school, stock = mitigated
    rows = by_year(sc.plan_years, ehcp_total, forecast, alloc, demand, not_in_school, unmitigated)
    base = stock.merge(inputs.settings[["setting", "in_area"]], on="setting", how="left")
    # children to 1/1000, as every count of the summary (a starter's history is written to
    # 1/1000 of a child: its sum carries float error in the last digits)
    figures = totals(
        alloc,
        base_year_plans=round(
            float(inputs.caseload.loc[inputs.caseload["year"] == sc.base_year, "children"].sum()),
            3,
        ),
        base_year_out_of_area=round(
            float(base.loc[~base["in_area"].astype(bool), "children"].sum()), 3
        ),
        rows=rows,
    )
    tail: dict[str, Any] = {}
    unmitigated_cost = figures.pop("unmitigated_total_cost", None)
    if unmitigated_cost is not None:
        tail["unmitigated_total_cost"] = unmitigated_cost
        unmitigated_all = figures.pop("unmitigated_all_payers_cost")
        tail["unmitigated_all_payers_cost"] = unmitigated_all
        # what schools pay more (+) or less (-) than unmitigated: a lever that moves children
        # from plans to SEN support passes part of the council's saving to them
        tail["school_cost_against_unmitigated"] = round(
            figures["total_school_cost"] - (unmitigated_all - unmitigated_cost), 2
        )
    if sc.levers.out_of_area is not None:
        tail["out_of_area_target_missed"] = {
            str(r["year"]): r["out_of_area_target_missed"] for r in rows
        }
    if alloc.model.arrays.capital is not None:
        tail["capital"] = capital_summary(
            builds, alloc.solution.mip_gap, alloc.model.arrays.capital.mip_gap
        )
    tail["most_valuable_places"] = most_valuable_places(shadow)
    tail.update(base_year_cost(sc, inputs))
    tail["assumptions"] = assumptions(sc, inputs)
    tail["not_modelled"] = not_modelled(sc, inputs)
    if figures["total_no_place"] > 1e-6:
        tail["unlawful"] = (
            "the market of last resort is switched off and children with EHC plans are left "
            "with no place at all; a council must secure a place for every one of them "
            "(Children and Families Act 2014, s.42)"
        )
    head = {
        "scenario": sc.name,
        "description": sc.description,
        "council": sc.council,
        "base_year": sc.base_year,
        "plan_years": sc.plan_years,
        "levers": sc.levers.model_dump(mode="json", exclude_defaults=True),
        **figures,
    }
    return head, tail


def base_year_cost(sc: Scenario, inputs: Inputs) -> dict[str, Any]:
    """The base year's High Needs Block cost as the model prices it, beside the council's.

    The base year's recorded children at each setting times its ``cost_per_place`` (place
    funding and top-up, or fee: base-year prices), plus children in other arrangements at
    ``allocation.not_in_school.other_arrangements_gbp``. Where the scenario gives the
    council's own figure (``reference.base_year_hnb_cost_gbp``), it is reported beside it
    with the difference as a share of the council's.
    """
    base = inputs.caseload[inputs.caseload["year"] == sc.base_year]
    by_setting = base.groupby("setting", observed=True)["children"].sum()
    price = inputs.settings.set_index("setting")["cost_per_place"]
    priced = by_setting[by_setting.index.isin(price.index)]
    modelled = float((priced * price.reindex(priced.index)).sum())
    modelled += float(by_setting.get("OTHER_ARRANGEMENTS", 0.0)) * float(
        sc.allocation.not_in_school.other_arrangements_gbp
    )
    out: dict[str, Any] = {"base_year_hnb_cost": round(modelled, 2)}
    council = sc.reference.base_year_hnb_cost_gbp
    if council is not None:
        out["council_base_year_hnb_cost"] = round(float(council), 2)
        out["base_year_hnb_cost_difference"] = (
            round((modelled - council) / council, 6) if council > 0 else None
        )
    return out
