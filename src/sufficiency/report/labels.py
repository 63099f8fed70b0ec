"""The one label table: plain-English names, units and number formats of every output column.

The workbook, the HTML page and the charts all take their headers from :func:`label` and
their number formats from :func:`kind`, so a quantity renamed or a column added is done
here, once. Tables in :mod:`.tables` keep code names (``year``, ``cost``, ``shortfall``…)
and are labelled only when shown.

Kinds, and how each is shown:

- ``money``: whole pounds with thousands separators (``£1,234,567``);
- ``year``: a year as four digits (``2027``), never with a separator;
- ``whole``: a count of places or settings, whole, with separators;
- ``children``: children (a stock such as EHC plans), whole, with separators;
- ``children_1dp``: children or child-years of a small quantity (the gap, children moved),
  to one decimal, so half a child is not rounded away;
- ``years``: a duration in years to one decimal (payback);
- ``ratio``: a fraction shown as a percentage;
- ``area``: ``in_area`` as the words "In area" / "Out of area";
- ``flag``: yes / no;
- ``text``: left as text, left-aligned.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .. import taxonomy

#: Plain-English header of each code name. ``{interval}`` is replaced by the interval's
#: coverage ("80% interval").
LABELS: dict[str, str] = {
    # keys of the headline and of summary["by_year"]
    "year": "Year",
    "ehc_plans": "Children with an EHC plan",
    "ehc_plans_projected": "EHC plans (projected)",
    "ehc_plans_lower": "EHC plans, {interval} low",
    "ehc_plans_upper": "EHC plans, {interval} high",
    "on_sen_support": "Children on SEN support (no plan)",
    "sen_support_demand": "Children on SEN support to place",
    "sen_support_placed": "Children on SEN support placed",
    "sen_support_kept_in_mainstream": "On SEN support kept in mainstream (no place at their level)",
    "kept_in_mainstream": "On SEN support kept in mainstream (no place at their level)",
    "not_placed": "Not in school",
    "not_in_school": "Not in school (other arrangements)",
    "no_place": "No place at all (unlawful)",
    "market": "Placed by the market",
    "demand": "Children to place",
    "placed": "Placed",
    "placed_new": "Placed new",
    "shortfall": "Sufficiency gap (placed by the market)",
    "out_of_area": "Placed out of area",
    "out_of_area_cap": "Out-of-area cap",
    "out_of_area_counted": "Out of area counted to the cap",
    "out_of_area_target_missed": "Out-of-area target missed by",
    "displaced": "Moved mid-phase",
    "cost": "Cost",
    "unmitigated_cost": "Cost to the council unmitigated",
    "unmitigated_all_payers_cost": "All payers' cost unmitigated",
    "hnb_cost": "High Needs Block cost",
    "transport_cost": "Transport cost",
    "school_cost": "School cost (notional SEN budget)",
    "total_cost": "Total cost to the council",
    "all_payers_cost": "All payers' cost (council and schools)",
    "ehc_plan_hnb_cost": "High Needs Block cost with an EHC plan",
    "sen_support_hnb_cost": "High Needs Block cost on SEN support",
    "sen_support_school_cost": "School cost on SEN support",
    "school_unit_cost": "School cost per child a year",
    "place_funding_cost": "Place funding cost",
    "fee_cost": "Fee cost (independent and the market)",
    "not_in_school_cost": "Other arrangements cost (not in school)",
    "hnb_allocation": "High Needs Block allocation",
    "in_year_surplus_or_deficit": "In-year surplus (+) or deficit (−)",
    "balance_carried_forward": "Cumulative balance carried forward",
    "budget": "Budget",
    "budget_overrun": "Over budget by",
    # keys of the frames
    "scenario": "Scenario",
    "provision": "Provision",
    "need": "Need",
    "age_band": "Age band",
    "level": "Level",
    "tier": "Tier",
    "setting": "Setting",
    "name": "Name",
    "in_area": "Area",
    "status": "Status",
    "children": "Children",
    "unit_cost": "Cost per child a year",
    "places": "Places",
    "used": "Used",
    "spare": "Spare",
    "settings": "Settings",
    "full": "Settings full",
    "value_per_place": "£ a year one more place saves",
    "year_of_highest_value": "Year of highest value",
    "first_year_valuable": "First year valuable",
    "mean": "Projected",
    "lower": "{interval} low",
    "upper": "{interval} high",
    "method": "Method",
    # capital options (builds.csv)
    "option": "Option",
    "description": "Description",
    "decision": "Decision",
    "built": "Built",
    "open_year": "Opens",
    "capital_cost": "Capital cost",
    "annualised_cost": "Annualised cost a year",
    "running_cost_saving": "Running cost saving",
    "net_saving": "Net saving",
    "shortfall_avoided": "Gap avoided (child-years)",
    "out_of_area_avoided": "Out of area avoided",
    "payback_years": "Payback (years)",
    # comparison
    "cost_diff": "Cost against the first",
    "shortfall_diff": "Sufficiency gap against the first",
    "out_of_area_diff": "Out of area against the first",
    "saving_per_child": "Saving per child moved back in area",
    # reporting categories and the statutory returns
    "establishment_type": "Establishment type",
    "dsg_category": "DSG plan category",
    "scap_type": "SCAP provision type",
    "phase": "Phase",
    "residential": "Residential",
    "planning_area": "Planning area",
    # funding bands (top_up_by_band.csv)
    "band": "Funding band",
    "top_up_cost": "Top-up cost",
    "need_group": "Need group",
    "financial_year": "Financial year",
    "section": "Section",
    "period": "Period",
    "line": "Line",
    "column": "Column",
    "unit": "Unit",
    "value": "Value",
    "category": "Placement category",
    "age_group": "Age group",
    "figure": "Figure",
    # pivot columns
    "total": "Total",
}

#: Words for plan status (``provision``): never "SEN support" alone, which is also a tier.
PROVISION_LABELS: dict[str, str] = {
    "ehc_plan": "With an EHC plan",
    "sen_support": "On SEN support",
}

#: Words for the codes of the returns' rows and columns (categories, SCAP types, phases,
#: DSG age groups, need groups, the DSG plan's lines).
CODE_LABELS: dict[str, str] = {
    "mainstream": "Mainstream schools and academies",
    "resourced_provision": "Resourced provision and SEN units",
    "special": "Maintained special schools and special academies",
    "independent_special": "Independent and non-maintained special schools",
    "hospital_ap": "Hospital schools and alternative provision",
    "post16_fe": "Post-16 and further education",
    "other": "Other (not in a school or college, other settings)",
    "UR": "UR: SEN unit or resourced provision",
    "IN": "IN: independent or non-maintained special",
    "SS": "SS: state special school",
    "AP": "AP: alternative provision",
    "early_years": "Early years",
    "primary": "Primary",
    "secondary": "Secondary",
    "post16": "Post-16",
    "all_through": "All-through",
    "under_5": "Under 5",
    "age_5_10": "5–10",
    "age_11_15": "11–15",
    "age_16_19": "16–19",
    "age_20_25": "20–25",
    "communication_and_interaction": "Communication and interaction",
    "cognition_and_learning": "Cognition and learning",
    "social_emotional_and_mental_health": "Social, emotional and mental health",
    "sensory_and_physical": "Sensory and/or physical",
    "children_by_category_and_age": "Children with an EHC plan by category and age group",
    "children_by_need": "Children with an EHC plan by primary need and category",
    "hnb_cost_by_category": "High Needs Block cost by category",
    "high_needs_block": "High Needs Block: allocation, cost and balance",
    "hnb_allocation": "High Needs Block allocation",
    "in_year_surplus_or_deficit": "In-year surplus (+) or deficit (−)",
    "balance_brought_forward": "Balance brought forward",
    "balance_carried_forward": "Cumulative balance carried forward",
    "mitigated": "Mitigated",
    "unmitigated": "Unmitigated",
    "difference": "Mitigated less unmitigated",
    "all": "All planning areas",
    "market": "Market of last resort (the gap)",
    "out_of_area": "Out of area",
    "not_given": "Planning area not given",
}

#: How each code name is shown (see the module docstring); anything else is ``text``
#: unless :func:`kind` recognises its pattern.
KINDS: dict[str, str] = {
    "year": "year",
    "open_year": "year",
    "year_of_highest_value": "year",
    "first_year_valuable": "year",
    "base_year": "year",
    "earliest_year": "year",
    "ehc_plans": "children",
    "on_sen_support": "children",
    "ehc_plans_projected": "children",
    "ehc_plans_lower": "children",
    "ehc_plans_upper": "children",
    "not_placed": "children",
    "demand": "children",
    "placed": "children",
    "placed_new": "children",
    "out_of_area": "children",
    "out_of_area_cap": "children",
    "out_of_area_counted": "children",
    "mean": "children",
    "lower": "children",
    "upper": "children",
    "sen_support_demand": "children",
    "sen_support_placed": "children",
    "sen_support_kept_in_mainstream": "children_1dp",
    "kept_in_mainstream": "children_1dp",
    "shortfall": "children_1dp",
    "no_place": "children_1dp",
    "market": "children_1dp",
    "shortfall_diff": "children_1dp",
    "out_of_area_diff": "children_1dp",
    "out_of_area_target_missed": "children_1dp",
    "displaced": "children_1dp",
    "children": "children_1dp",
    "shortfall_avoided": "children_1dp",
    "out_of_area_avoided": "children_1dp",
    "places": "whole",
    "used": "whole",
    "spare": "whole",
    "settings": "whole",
    "full": "whole",
    "payback_years": "years",
    "in_area": "area",
    "built": "flag",
    # text keys of tables whose other columns hold numbers
    "need": "text",
    "name": "text",
    "option": "text",
    "decision": "text",
    "tier": "text",
    "setting": "text",
    "category": "text",
    "age_group": "text",
    "line": "text",
    "figure": "text",
    "planning_area": "text",
    "financial_year": "text",
    "period": "text",
    "section": "text",
    "scenario": "text",
    "value_per_place": "money",
    "saving_per_child": "money",
}

#: Kinds that add up over plan years, so a table of them gets a totals row.
ADDITIVE = frozenset({"money", "children_1dp"})

#: Excel number format of each numeric kind.
EXCEL_FORMATS: dict[str, str] = {
    "money": '"£"#,##0',
    "year": "0",
    "whole": "#,##0",
    "children": "#,##0",
    "children_1dp": "#,##0.0",
    "years": "0.0",
    "ratio": "0%",
}

#: Tier labels, least to most specialist.
TIER_LABELS: dict[str, str] = {
    "mainstream": "Mainstream",
    "sen_support": "SEN support tier (mainstream with top-up)",
    "partnership": "Partnership",
    "enhanced_resource": "Enhanced resource",
    "special_school": "Special school",
    "independent": "Independent",
}

#: Tier headers in tables of children with EHC plans: a plan in a mainstream school carries
#: a top-up, so those children are in the SEN support tier (never "on SEN support").
PLAN_TIER_LABELS: dict[str, str] = {
    **TIER_LABELS,
    "mainstream": "Mainstream (no top-up)",
    "sen_support": "SEN support tier: EHC plans in mainstream schools",
}

#: Tier headers in tables of children on SEN support (no plan).
SUPPORT_TIER_LABELS: dict[str, str] = {
    **TIER_LABELS,
    "mainstream": "Mainstream (no top-up)",
    "sen_support": "SEN support tier: on SEN support in mainstream (no plan)",
}

#: Said once where the tier of mainstream with no top-up is left out of a table of children
#: with EHC plans because it is empty by construction.
EMPTY_MAINSTREAM_NOTE = (
    "The mainstream tier (ordinarily available provision, no top-up) is not shown: it holds "
    "no child with an EHC plan by construction. A plan in a mainstream school carries a "
    'top-up, so those children are counted in the SEN support tier ("SEN support tier: EHC '
    'plans in mainstream schools"); they are not children on SEN support, who have no plan.'
)

#: Words for ``in_area``.
AREA_WORDS = {True: "In area", False: "Out of area"}

#: What a figure no input covers reads (``summary['not_modelled']``): never 0.
NOT_MODELLED = "not modelled"

_MONEY = re.compile(r"(^|_)(cost|costs|saving|gbp|budget)($|_)")


def interval_name(level: float | None) -> str:
    """The interval's coverage in words: ``"80% interval"`` (``"interval"`` when unknown)."""
    if level is None:
        return "interval"
    return f"{round(100 * float(level)):g}% interval"


def label(column: object, *, interval: float | None = None) -> str:
    """The plain-English header of a column code name (``"cost"`` → ``"Cost"``).

    Tier codes become tier labels, ``placed_<tier>`` / ``placed_by_tier_<tier>`` become
    "Placed: <tier>", ``served_<year>`` "Children served <year>"; need codes and anything
    unknown are returned as they are (an unknown code name with its underscores as
    spaces, capitalised).

    Args:
        column: The code name.
        interval: Coverage of the forecast interval (0.8), named in interval columns.
    """
    name = str(column)
    if name in LABELS:
        text = LABELS[name].replace("{interval}", interval_name(interval))
        return text[0].upper() + text[1:]
    if name in TIER_LABELS:
        return TIER_LABELS[name]
    if name in taxonomy.NEEDS:
        return name
    if name.startswith("sen_support_placed_") and name[19:] in TIER_LABELS:
        return f"On SEN support placed: {TIER_LABELS[name[19:]]}"
    for prefix in ("placed_by_tier_", "placed_"):
        if name.startswith(prefix) and name[len(prefix) :] in TIER_LABELS:
            return f"Placed: {TIER_LABELS[name[len(prefix) :]]}"
    if name.startswith("served_") and name[7:].isdigit():
        return f"Children served {name[7:]}"
    if name.endswith("_diff") and name != "_diff":  # a comparison's difference of a figure
        return f"{label(name[:-5], interval=interval)} against the first"
    if "_" in name and name.islower():
        text = name.replace("_", " ")
        return text[0].upper() + text[1:]
    return name


def kind(column: object, default: str = "text") -> str:
    """How a column is shown (see the module docstring).

    Args:
        column: The code name.
        default: The kind of a column the table does not know (the values of a pivot table:
            tier and need columns hold children or money).
    """
    name = str(column)
    if name in TIER_LABELS or name in taxonomy.NEEDS or name == "total":
        return default  # the columns of a pivot table hold its values
    if name in KINDS:
        return KINDS[name]
    if _MONEY.search(name) or name.endswith("_cost"):
        return "money"
    if name.startswith(("placed_by_tier_", "placed_", "sen_support_placed_")):
        return "children"
    if name.startswith("served_"):
        return "children_1dp"
    return default


def format_value(value: Any, how: str) -> str:
    """One value as text for a reader, by kind (blank for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if how == "area":
        return AREA_WORDS.get(bool(value), str(value))
    if how == "flag":
        return "Yes" if bool(value) else "No"
    if how == "text" or isinstance(value, str):
        return str(value)
    number = float(value)
    if how == "money":
        sign = "−" if number < -0.5 else ""
        return f"{sign}£{abs(number):,.0f}"
    if how == "year":
        return f"{number:.0f}"
    if how in ("children_1dp", "years"):
        return f"{number:,.1f}"
    if how == "ratio":
        return f"{number:.0%}"
    return f"{number:,.0f}"


#: Said on a comparison of scenarios that are under disclosure control (page and workbook).
WORKING_FIGURES = (
    "Working figures (no disclosure control): not for publication. Each scenario's own "
    "report and published/ tables are its publishable figures (report.disclosure); the "
    "differences here can reveal small counts."
)
