"""What the starters assume, as the scenario's ``assumptions`` list (``what``, ``value``,
``why``, ``how_to_replace``): shared by ``init --la --dfe`` and ``init --sen2``."""

from __future__ import annotations

import yaml

__all__ = ["FLAT_POPULATION", "INFLATION", "yaml_block"]

#: The inflation rates every starter writes (data/cost_assumptions.csv).
INFLATION = {
    "what": "inflation",
    "value": "3% a year on place costs (independent 4.5%), transport 5%",
    "why": "the council's medium-term financial plan is not in the inputs",
    "how_to_replace": "edit data/cost_assumptions.csv with your plan's rates",
}
#: The flat population written without ONS files.
FLAT_POPULATION = {
    "what": "flat population",
    "value": "base-year plans / 3.6% national prevalence, the same at every age and year",
    "why": "no population given to init",
    "how_to_replace": "sufficiency init --population with ONS estimates and SNPP projections",
}


def yaml_block(items: list[dict[str, str]]) -> str:
    """The scenario's ``assumptions:`` block (empty text for no items)."""
    if not items:
        return ""
    rows = [
        {k: str(a.get(k, "")) for k in ("what", "value", "why", "how_to_replace")} for a in items
    ]
    return yaml.safe_dump({"assumptions": rows}, sort_keys=False, width=88, allow_unicode=True)
