"""The assumptions in force: every value a run uses that the council's inputs did not give.

:func:`assumptions` gathers the scenario's own list (written by ``sufficiency init``, which
knows what it could not read: a national shape, a flat population, national prices…) and
the defaults the run finds in force (the market's prices, the cost of other arrangements,
schools' cost of SEN support, continuity without measured rates). :func:`not_modelled` names
the quantities no input covers, with the summary figures they leave unknown;
:func:`blank_not_modelled` sets those figures to null, so every output shows them as "not
modelled", never 0.
Each assumption is a dict with exactly the keys ``what``, ``value``, ``why`` and
``how_to_replace``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import taxonomy
from ..config.schema import DEFAULT_MARKET_PRICES, Scenario
from ..data.inputs import Inputs

__all__ = ["assumptions", "blank_not_modelled", "not_modelled", "not_modelled_figures"]

KEYS = ("what", "value", "why", "how_to_replace")


def _market_value() -> str:
    top = DEFAULT_MARKET_PRICES[0]
    return (
        f"£{top['fee_per_place_gbp']:,.0f} fee + £{top['transport_per_place_gbp']:,.0f} "
        "transport a place a year (specialist levels); £9,000-£18,000 at lower levels"
    )


def assumptions(sc: Scenario, inputs: Inputs) -> list[dict[str, str]]:
    """Every assumption in force, the scenario's own first, one per ``what``."""
    out = [a.model_dump() for a in sc.assumptions]
    market = sc.allocation.market
    if market.enabled and "prices" not in market.model_fields_set:
        out.append(
            {
                "what": "market price",
                "value": _market_value(),
                "why": "the price of places bought beyond the register's (the market of "
                "last resort) is not in the inputs",
                "how_to_replace": "allocation.market.prices in the scenario (your spot "
                "purchase fees and transport)",
            }
        )
    base = inputs.caseload[inputs.caseload["year"] == sc.base_year]
    nis = sc.allocation.not_in_school
    if (base["setting"].astype(str) == "OTHER_ARRANGEMENTS").any() and (
        "other_arrangements_gbp" not in nis.model_fields_set
    ):
        out.append(
            {
                "what": "cost of other arrangements",
                "value": f"£{nis.other_arrangements_gbp:,.0f} a child a year",
                "why": "no cost of education otherwise than at school in the inputs",
                "how_to_replace": "allocation.not_in_school.other_arrangements_gbp (or "
                "init --costs with an OLA row)",
            }
        )
    support = sc.allocation.sen_support
    if inputs.sen_support is not None and "school_cost_per_child_gbp" not in (
        support.model_fields_set
    ):
        out.append(
            {
                "what": "schools' cost of SEN support",
                "value": f"£{support.school_cost_per_child_gbp:,.0f} a child a year",
                "why": "schools' notional SEN budgets per child are not in the inputs",
                "how_to_replace": "allocation.sen_support.school_cost_per_child_gbp",
            }
        )
    if sc.allocation.continuity and inputs.continuity is None:
        out.append(
            {
                "what": "default continuity",
                "value": "plans continue at the caseload's cohort ratios; children stay in "
                "their setting between phase transfers and may move at them",
                "why": "no continuity measured from the council's SEN2 returns",
                "how_to_replace": "data.continuity (sufficiency init --sen2 measures it)",
            }
        )
    seen: set[str] = set()
    unique = []
    for a in out:
        if a["what"] not in seen:
            seen.add(a["what"])
            unique.append({k: str(a.get(k, "")) for k in KEYS})
    return unique


#: Summary figures of children on SEN support placed (``summary['by_year']`` keys).
SEN_SUPPORT_PLACED: tuple[str, ...] = (
    "sen_support_demand",
    "sen_support_placed",
    *(f"sen_support_placed_{t}" for t in (*taxonomy.SEN_SUPPORT_TIERS, "enhanced_resource")),
    "sen_support_kept_in_mainstream",
    "sen_support_hnb_cost",
    "sen_support_school_cost",
)
#: Summary figures of schools' notional SEN budgets and of every payer's cost, which adds
#: them (``by_year``, ``by_financial_year`` and the totals).
SCHOOL_BUDGETS: tuple[str, ...] = (
    "school_cost",
    "all_payers_cost",
    "unmitigated_all_payers_cost",
    "total_school_cost",
    "total_all_payers_cost",
    "school_cost_against_unmitigated",
)


def not_modelled(sc: Scenario, inputs: Inputs) -> list[dict[str, Any]]:
    """Quantities no input covers: shown as "not modelled" in the outputs, never as 0.

    Each is a dict: ``what`` is not modelled, ``why``, ``how_to_model`` it, and
    ``figures``: the summary's keys that read null (JSON) and "not modelled" (report,
    workbook, command line) because of it (:func:`blank_not_modelled`).
    """
    support = sc.allocation.sen_support
    if inputs.sen_support is not None and support.enabled:
        return []
    given = inputs.sen_support is not None
    return [
        {
            "what": "placements of children on SEN support" if given else "children on SEN support",
            "why": "allocation.sen_support.enabled is false"
            if given
            else "the inputs have no sen_support table: the starters write none",
            "how_to_model": "allocation.sen_support.enabled: true"
            if given
            else "data.sen_support: children on SEN support by year, need and age (the "
            "school census)",
            "figures": list(SEN_SUPPORT_PLACED if given else ("sen_support", *SEN_SUPPORT_PLACED)),
        },
        {
            "what": "schools' notional SEN budgets",
            "why": "they pay for children on SEN support, who are not modelled; every payer's "
            "cost (all_payers_cost) would leave them out",
            "how_to_model": "model children on SEN support (data.sen_support)",
            "figures": list(SCHOOL_BUDGETS),
        },
    ]


def not_modelled_figures(summary: Mapping[str, Any]) -> set[str]:
    """The summary keys that read "not modelled" (``summary['not_modelled']``)."""
    return {
        str(f)
        for entry in summary.get("not_modelled", []) or []
        if isinstance(entry, Mapping)
        for f in entry.get("figures", [])
    }


def blank_not_modelled(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with every figure ``summary['not_modelled']`` names set to ``None``
    (null in ``summary.json``), wherever it is: at the top, and in each row of ``by_year``
    and ``by_financial_year``. Changes ``summary`` in place and returns it."""
    figures = not_modelled_figures(summary)
    for row in (
        summary,
        *summary.get("by_year", []),
        *summary.get("by_financial_year", []),
    ):
        for key in figures & set(row):
            row[key] = None
    return summary
