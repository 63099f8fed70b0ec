"""The board-level tables of a run, derived from its Result (plain pandas, no formatting).

Every table here is a summary of frames the Result already holds, so the workbook, the
charts and the HTML report all show the same figures as the CSV files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .. import taxonomy

if TYPE_CHECKING:
    from ..results import Result

#: Headline columns by plan year (``summary['by_year']`` keys) and their labels.
HEADLINE: dict[str, str] = {
    "year": "Year",
    "ehc_plans": "EHC plans",
    "ehc_plans_lower": "EHC plans (low)",
    "ehc_plans_upper": "EHC plans (high)",
    "sen_support": "SEN support",
    "demand": "Children to place",
    "placed": "Placed",
    "shortfall": "Sufficiency gap",
    "no_place": "No place at all",
    "not_placed": "Not in school",
    "out_of_area": "Placed out of area",
    "displaced": "Moved mid-phase",
    "hnb_cost": "High Needs Block (£)",
    "transport_cost": "Transport (£)",
    "cost": "Cost (£)",
    "unmitigated_cost": "Cost unmitigated (£)",
}

#: Tier labels for tables and charts, least to most specialist.
TIER_LABELS: dict[str, str] = {
    "mainstream": "Mainstream",
    "sen_support": "SEN support",
    "partnership": "Partnership",
    "enhanced_resource": "Enhanced resource",
    "special_school": "Special school",
    "independent": "Independent",
}


def headline(result: Result) -> pd.DataFrame:
    """Headline figures by plan year: plans, children placed and not, out of area, cost."""
    frame = pd.DataFrame(result.summary["by_year"])
    columns = [c for c in HEADLINE if c in frame.columns]
    return frame[columns].rename(columns=HEADLINE).reset_index(drop=True)


def by_tier(result: Result, value: str = "children") -> pd.DataFrame:
    """Children placed (or a cost column) by plan year and tier, tiers as columns, with a
    total; for ``hnb_cost``, ``total_cost`` or ``cost`` the High Needs Block cost of children
    not in a school or college is a column too, so the total is the year's."""
    p = result.placements
    table = (
        p.assign(tier=p["tier"].astype(str))
        .pivot_table(index="year", columns="tier", values=value, aggfunc="sum", fill_value=0.0)
        .reindex(columns=list(taxonomy.TIERS), fill_value=0.0)
        .reindex(result.summary["plan_years"], fill_value=0.0)
    )
    table.columns = [TIER_LABELS[t] for t in taxonomy.TIERS]
    nis = result.not_in_school
    if value in ("hnb_cost", "total_cost", "cost") and len(nis) and "hnb_cost" in nis:
        other = nis.groupby("year")["hnb_cost"].sum()
        table["Not in school"] = other.reindex(table.index, fill_value=0.0).to_numpy()
    table["Total"] = table.sum(axis=1)
    table.index.name = "Year"
    return table.reset_index()


def ehc_plans_by_need(result: Result) -> pd.DataFrame:
    """Projected EHC plans by plan year and primary need, needs as columns, with a total."""
    f = result.forecast
    if "provision" in f.columns:
        f = f[f["provision"] == "ehc_plan"]
    needs = [n for n in taxonomy.EHCP_NEEDS if n in set(f["need"].astype(str))]
    table = (
        f.assign(need=f["need"].astype(str))
        .pivot_table(index="year", columns="need", values="mean", aggfunc="sum", fill_value=0.0)
        .reindex(columns=needs, fill_value=0.0)
    )
    table["Total"] = table.sum(axis=1)
    table.index.name = "Year"
    table.columns.name = None
    return table.reset_index()


def gap_by_need(result: Result) -> pd.DataFrame:
    """The sufficiency gap: children the register's places cannot take (placed by the market,
    or with no place when the market is off) by plan year and need, with a total."""
    s = result.shortfall
    years = result.summary["plan_years"]
    if s.empty:
        return pd.DataFrame({"Year": years, "Total": [0.0] * len(years)})
    table = (
        s.assign(need=s["need"].astype(str))
        .pivot_table(index="year", columns="need", values="children", aggfunc="sum", fill_value=0.0)
        .reindex(years, fill_value=0.0)
    )
    order = [n for n in taxonomy.NEEDS if n in table.columns]
    table = table[order]
    table["Total"] = table.sum(axis=1)
    table.index.name = "Year"
    table.columns.name = None
    return table.reset_index()


def gap_detail(result: Result, threshold: float = 0.5) -> pd.DataFrame:
    """Shortfall rows of at least ``threshold`` children, largest first within each year."""
    s = result.shortfall
    cols = ["year", "need", "age_band", "level", "children"]
    if s.empty:
        return pd.DataFrame(columns=cols)
    out = s.loc[s["children"] >= threshold, cols].copy()
    for c in ("need", "age_band", "level"):
        out[c] = out[c].astype(str)
    return out.sort_values(["year", "children"], ascending=[True, False]).reset_index(drop=True)


def capacity_by_tier(result: Result) -> pd.DataFrame:
    """Places, places used and settings full, by plan year and tier (limited settings only)."""
    c = result.capacity
    limited = c[c["places"].notna()].copy()
    limited["tier"] = limited["tier"].astype(str)
    limited["full"] = (limited["spare"] < 0.5).astype(int)
    limited["settings"] = 1
    table = (
        limited.groupby(["year", "tier"], sort=False)[["places", "used", "settings", "full"]]
        .sum()
        .reset_index()
    )
    table["order"] = table["tier"].map({t: i for i, t in enumerate(taxonomy.TIERS)})
    table = table.sort_values(["year", "order"]).drop(columns="order")
    table["tier"] = table["tier"].map(TIER_LABELS)
    return table.rename(
        columns={
            "year": "Year",
            "tier": "Tier",
            "places": "Places",
            "used": "Used",
            "settings": "Settings",
            "full": "Settings full",
        }
    ).reset_index(drop=True)


def valuable_places(result: Result) -> pd.DataFrame:
    """The most valuable places to add (``summary['most_valuable_places']``)."""
    rows = result.summary.get("most_valuable_places", [])
    frame = pd.DataFrame(
        rows,
        columns=[
            "setting",
            "name",
            "tier",
            "in_area",
            "value_per_place",
            "year_of_highest_value",
            "first_year_valuable",
        ],
    )
    frame["tier"] = frame["tier"].map(lambda t: TIER_LABELS.get(str(t), str(t)))
    return frame.rename(
        columns={
            "setting": "Setting",
            "name": "Name",
            "tier": "Tier",
            "in_area": "In area",
            "value_per_place": "£ a year one more place saves",
            "year_of_highest_value": "Year of highest value",
            "first_year_valuable": "First year valuable",
        }
    )


def builds(result: Result) -> pd.DataFrame:
    """Capital options considered, as in ``builds.csv`` (empty without a capital section)."""
    return result.builds.copy()


def about(result: Result) -> pd.DataFrame:
    """What was run: scenario, years, solver, model size, timings and input files."""
    s = result.summary
    rows: list[tuple[str, object]] = [
        ("Scenario", s.get("scenario", "")),
        ("Description", s.get("description", "")),
        ("Base year", s.get("base_year", "")),
        ("Plan years", f"{s['plan_years'][0]}–{s['plan_years'][-1]}"),
        ("Solver", s.get("solver", "")),
        ("Status", s.get("status", "")),
        ("Total cost over the plan years (£)", s.get("total_cost", "")),
        ("High Needs Block over the plan years (£)", s.get("total_hnb_cost", "")),
        ("Transport over the plan years (£, general fund)", s.get("total_transport_cost", "")),
        ("Sufficiency gap (child-years placed by the market)", s.get("total_shortfall", "")),
        ("Children with no place at all (child-years; unlawful)", s.get("total_no_place", "")),
    ]
    if "unmitigated_total_cost" in s:
        rows.append(("Total cost unmitigated (£)", s["unmitigated_total_cost"]))
    for key, value in s.get("model_size", {}).items():
        rows.append((f"Model: {key.replace('_', ' ')}", value))
    for key, value in s.get("timings", {}).items():
        rows.append((f"Seconds: {key}", value))
    provenance = s.get("provenance", {})
    for name, entry in provenance.get("input_files", {}).items():
        rows.append(
            (f"Input: {name}", f"{entry.get('path', '')} (sha256 {entry.get('sha256', '')})")
        )
    for key, label in (("package_version", "sufficiency version"), ("created", "Created")):
        if key in provenance:
            rows.append((label, provenance[key]))
    rows.append(
        (
            "Units",
            "Children are counts of children and young people with an EHC plan (fractions come "
            "from the linear programme and are rounded in this report); costs are £ a year at "
            "each year's prices.",
        )
    )
    return pd.DataFrame(rows, columns=["Item", "Value"])
