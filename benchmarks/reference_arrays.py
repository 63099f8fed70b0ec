"""A per-row Python reference for the cost arrays, to check and time ``build_arrays`` against.

It loops over demand groups and settings and reads the rules straight from their
definitions, with no numpy broadcasting:

- groups are age segments: each demand row once per segment of its age band (the band cut
  at every age where a setting that meets the row's need at its level or above starts or
  stops taking children), with the children times the need's base-year share of the band
  in the segment (the shares come from :func:`sufficiency.model.stock.age_shares`;
  segments without a share are left out);
- a setting is eligible for a group when it serves the group's need, serves every age of
  the group's age segment, and its tier is at or above the group's level;
- unit cost = cost_per_place × place index(tier, year) + transport_per_place × transport
  index(tier, year), each index the running product of (1 + inflation) over the plan
  years, a tier's own row for a year overriding the blank-tier row (the last such row
  wins);
- cost levers multiply place costs by ``place_cost_factor × (1 + extra_inflation)^(years
  since from_year, counting from_year as 1)`` and transport costs by ``transport_factor``
  from ``from_year``, for settings of the listed tiers (all if none) and area.

``tests/allocate/test_arrays_reference.py`` checks ``build_arrays`` against it and
``benchmarks/run.py`` times it (acceptance: the vectorised arrays ≥ 50× faster at region
size). Kept deliberately slow and obvious: do not vectorise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sufficiency import taxonomy
from sufficiency.config.levers import CostChange
from sufficiency.data.inputs import Inputs
from sufficiency.model.stock import age_shares


@dataclass
class ReferenceArrays:
    """Eligible pairs and their unit costs, in group then setting order.

    Attributes:
        groups: The demand groups that are placed (levels that are tiers, plan years only).
        pair_group: Row of ``groups`` of each eligible pair.
        pair_setting: Row of the register of each eligible pair.
        unit_cost: £ per child per year of each pair.
    """

    groups: pd.DataFrame
    pair_group: list[int]
    pair_setting: list[int]
    unit_cost: list[float]


def _band_ages(label: str) -> tuple[int, int]:
    """First and last age of a band label such as ``"5-10"``."""
    first, last = label.split("-")
    return int(first), int(last)


def _serves(setting: dict[str, object], need: str) -> bool:
    """Does the setting meet the need? A setting meeting every need children with plans
    have meets NSA (SEN support, no specialist assessment) too."""
    needs = set(setting["needs"])  # type: ignore[call-overload]
    return need in needs or (need == "NSA" and set(taxonomy.EHCP_NEEDS) <= needs)


def segments_of(
    settings: list[dict[str, object]], need: str, level: str
) -> list[tuple[str, int, int]]:
    """The age segments of a need and level as ``(band, first age, last age)``, age order.

    Each band is cut at every age where a setting that meets the need at the level or above
    starts or stops taking children.
    """
    out = []
    for band in taxonomy.AGE_BAND_LABELS:
        first, last = _band_ages(band)
        starts = {first}
        for setting in settings:
            if not _serves(setting, need):
                continue
            if taxonomy.TIERS.index(str(setting["tier"])) < taxonomy.TIERS.index(level):
                continue
            for age in (int(setting["age_min"]), int(setting["age_max"]) + 1):  # type: ignore[call-overload]
                if first < age <= last:
                    starts.add(age)
        ordered = sorted(starts)
        for i, start in enumerate(ordered):
            end = ordered[i + 1] - 1 if i + 1 < len(ordered) else last
            out.append((band, start, end))
    return out


def _label(first: int, last: int) -> str:
    return f"{first}-{last}" if last > first else f"{first}"


def split_groups(
    groups: pd.DataFrame, inputs: Inputs, base_year: int, settings: list[dict[str, object]]
) -> pd.DataFrame:
    """Each demand row once per age segment of its need, level and band with a share of the
    need's children in the band."""
    share = age_shares(inputs.caseload, base_year)
    segments = {
        (need, level): segments_of(settings, need, level)
        for need in taxonomy.NEEDS
        for level in taxonomy.TIERS
    }
    every = {(first, last) for cut in segments.values() for _, first, last in cut}
    labels = [_label(first, last) for first, last in sorted(every)]
    rows = []
    for group in groups.to_dict("records"):
        need = str(group["need"])
        for band, first, last in segments[need, str(group["level"])]:
            if band != str(group["age_band"]):
                continue
            part = sum(float(share[taxonomy.NEEDS.index(need), a]) for a in range(first, last + 1))
            if part > 0:
                row = {}
                for key, value in group.items():
                    row[key] = value
                    if key == "age_band":
                        row["age_segment"] = _label(first, last)
                row["children"] = float(group["children"]) * part
                rows.append(row)
    columns = list(groups.columns)
    columns.insert(columns.index("age_band") + 1, "age_segment")
    out = pd.DataFrame(rows, columns=columns)
    out["age_segment"] = pd.Categorical(out["age_segment"], categories=labels, ordered=True)
    return out.astype({c: groups[c].dtype for c in groups.columns if c != "children"})


def price_indices(
    costs: pd.DataFrame, years: Sequence[int]
) -> dict[tuple[str, int], tuple[float, float]]:
    """Place and transport price index by (tier, plan year), relative to the base year."""
    rows = costs[["year", "tier", "inflation", "transport_inflation"]].to_dict("records")
    out: dict[tuple[str, int], tuple[float, float]] = {}
    for tier in taxonomy.TIERS:
        place = transport = 1.0
        for year in years:
            own = [r for r in rows if int(r["year"]) == year and str(r["tier"]) == tier]
            blank = [r for r in rows if int(r["year"]) == year and str(r["tier"]) == ""]
            rate = own[-1] if own else blank[-1]
            place *= 1.0 + float(rate["inflation"])
            transport *= 1.0 + float(rate["transport_inflation"])
            out[tier, year] = (place, transport)
    return out


def lever_factors(
    tier: str, in_area: bool, year: int, changes: Sequence[CostChange]
) -> tuple[float, float]:
    """Factors of the cost levers on one setting's place and transport costs in one year."""
    place = transport = 1.0
    for c in changes:
        if c.tiers and tier not in c.tiers:
            continue
        if c.in_area is not None and in_area != c.in_area:
            continue
        if year < c.from_year:
            continue
        place *= c.place_cost_factor * (1.0 + c.extra_inflation) ** (year - c.from_year + 1)
        transport *= c.transport_factor
    return place, transport


def reference_arrays(
    demand: pd.DataFrame,
    inputs: Inputs,
    *,
    years: Sequence[int],
    cost_changes: Sequence[CostChange] = (),
) -> ReferenceArrays:
    """Eligible pairs and unit costs, one group and one setting at a time.

    Args:
        demand: ``year, need, age_band, level, children`` (as given to ``build_arrays``).
        inputs: Validated inputs (register and cost assumptions are used).
        years: Plan years (consecutive, the first one after the base year).
        cost_changes: Cost levers.

    Returns:
        The pairs, sorted by group then setting, as ``build_arrays`` orders them.
    """
    plan_years = [int(y) for y in years]
    keep = [
        str(level) in taxonomy.TIERS and int(year) in plan_years
        for level, year in zip(demand["level"], demand["year"], strict=True)
    ]
    settings = inputs.settings.to_dict("records")
    if "age_segment" in demand:  # already by age segment, as build_arrays takes it
        groups = demand[keep].reset_index(drop=True)
    else:
        groups = split_groups(demand[keep], inputs, plan_years[0] - 1, settings)
    index = price_indices(inputs.cost_assumptions, plan_years)

    pair_group: list[int] = []
    pair_setting: list[int] = []
    unit_cost: list[float] = []
    for g, group in enumerate(groups.to_dict("records")):
        need, level, year = str(group["need"]), str(group["level"]), int(group["year"])
        label = str(group["age_segment"])
        first, last = _band_ages(label) if "-" in label else (int(label), int(label))
        for s, setting in enumerate(settings):
            tier = str(setting["tier"])
            if not _serves(setting, need):
                continue
            if not (setting["age_min"] <= first and setting["age_max"] >= last):
                continue
            if taxonomy.TIERS.index(tier) < taxonomy.TIERS.index(level):
                continue
            place_index, transport_index = index[tier, year]
            place_factor, transport_factor = lever_factors(
                tier, bool(setting["in_area"]), year, cost_changes
            )
            place = float(setting["cost_per_place"]) * place_index * place_factor
            transport = float(setting["transport_per_place"]) * transport_index * transport_factor
            pair_group.append(g)
            pair_setting.append(s)
            unit_cost.append(place + transport)
    return ReferenceArrays(groups, pair_group, pair_setting, unit_cost)
