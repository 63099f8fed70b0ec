"""The assumptions in force: every value a run uses that the council's inputs did not give.

:func:`assumptions` gathers the scenario's own list (written by ``sufficiency init``, which
knows what it could not read: a national shape, a flat population, national prices…) and
the defaults the run finds in force (the market's prices, the cost of other arrangements,
schools' cost of SEN support, continuity without measured rates). :func:`not_modelled` names
the quantities no input covers, which the outputs must show as "not modelled", never 0.
Each assumption is a dict with exactly the keys ``what``, ``value``, ``why`` and
``how_to_replace``.
"""

from __future__ import annotations

from ..config.schema import DEFAULT_MARKET_PRICES, Scenario
from ..data.inputs import Inputs

__all__ = ["assumptions", "not_modelled"]

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


def not_modelled(sc: Scenario, inputs: Inputs) -> list[str]:
    """Quantities no input covers: shown as "not modelled" in the outputs, never as 0."""
    out = []
    if inputs.sen_support is None or not sc.allocation.sen_support.enabled:
        out += ["children on SEN support", "schools' notional SEN budgets (school_cost)"]
    return out
