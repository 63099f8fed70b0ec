"""Places and their value: in-area places with and without levers, shadow prices, the best."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import taxonomy
from ..data.inputs import MAINSTREAM
from ..model.arrays import AllocationArrays
from .allocation import Allocation


def local_places(
    arrays: AllocationArrays, mitigated: Allocation, unmitigated: Allocation | None
) -> pd.DataFrame:
    """In-area children (with plans and on SEN support) by tier and year with and without
    the levers.

    ``extra_local_places`` is how many more in-area places the levers use than the
    unmitigated run; ``further_places_to_meet_target`` spreads any out-of-area target miss
    over tiers in proportion to the out-of-area children counted in that year.

    Args:
        arrays: The arrays of the mitigated (scenario) allocation.
        mitigated: The scenario's allocation.
        unmitigated: The same demand allocated without levers, if any were set.
    """

    def in_area(alloc: Allocation) -> pd.Series:
        p = alloc.placements
        # places are shared by children with plans and on SEN support; the mainstream
        # catch-all of children on SEN support is not a place on the register
        local = p["in_area"] & (p["setting"].astype(str) != MAINSTREAM)
        return p[local].groupby(["year", "tier"], observed=False)["children"].sum()

    index = pd.MultiIndex.from_product([arrays.years, list(taxonomy.TIERS)], names=["year", "tier"])
    out = pd.DataFrame(index=index)
    out["in_area_mitigated"] = in_area(mitigated).reindex(index, fill_value=0.0)
    out["in_area_unmitigated"] = (
        in_area(unmitigated).reindex(index, fill_value=0.0)
        if unmitigated is not None
        else out["in_area_mitigated"]
    )
    out["extra_local_places"] = (out["in_area_mitigated"] - out["in_area_unmitigated"]).clip(
        lower=0.0
    )
    out["further_places_to_meet_target"] = 0.0
    ooa = arrays.out_of_area
    if ooa is not None:
        policy = mitigated.policy.set_index("year")
        counted_settings = set(arrays.settings["setting"][ooa.settings])
        p = mitigated.placements
        p = p[p["setting"].isin(counted_settings)]
        if ooa.new_only:
            p = p[p["status"] == "new"]
        by_tier = p.groupby(["year", "tier"], observed=False)["children"].sum()
        for year in arrays.years:
            missed = float(policy.loc[year, "out_of_area_target_missed"])
            if missed <= 0:
                continue
            shares = by_tier.loc[year] if year in by_tier.index.get_level_values(0) else None
            if shares is None or shares.sum() <= 0:
                continue
            for tier, n in (shares / shares.sum()).items():
                out.loc[(year, str(tier)), "further_places_to_meet_target"] = missed * float(n)
    out = out.reset_index()
    return taxonomy.as_categories(out)


def shadow_prices(capacity: pd.DataFrame) -> pd.DataFrame:
    """Limited settings' ``value_per_place`` by year, with places and use.

    Columns: ``year, setting, name, tier, in_area, places, used, value_per_place`` (£ a year
    saved by one more place; zero where places are spare).
    """
    cols = ["year", "setting", "name", "tier", "in_area", "places", "used", "value_per_place"]
    limited = capacity[capacity["places"].notna()]
    return limited[cols].reset_index(drop=True)


def most_valuable_places(shadow: pd.DataFrame, n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` settings where one more place saves most, with the first year it does."""
    valued = shadow[shadow["value_per_place"] > 1e-6]
    if valued.empty:
        return []
    best = (
        valued.sort_values(["value_per_place", "year"], ascending=[False, True])
        .groupby("setting", sort=False, observed=True)
        .head(1)
        .head(n)
    )
    first = valued.groupby("setting", observed=True)["year"].min()
    return [
        {
            "setting": str(r["setting"]),
            "name": str(r["name"]),
            "tier": str(r["tier"]),
            "in_area": bool(r["in_area"]),
            "value_per_place": round(float(r["value_per_place"]), 2),
            "year_of_highest_value": int(r["year"]),
            "first_year_valuable": int(first[r["setting"]]),
        }
        for r in best.to_dict("records")
    ]
