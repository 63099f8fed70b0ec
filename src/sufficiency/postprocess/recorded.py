"""The base year shown, not implied: the base year's recorded placements as placements rows.

:func:`recorded_placements` turns the base-year stock (the caseload's children with plans
in the register's settings, :func:`sufficiency.model.stock.base_stock`) into rows of the
placements table with ``status`` ``recorded`` and ``year`` the base year, priced at the
register's base-year ``cost_per_place`` (place funding and top-up, or fee) and
``transport_per_place``. They sit beside the plan years' rows in ``placements.csv`` so every
table and chart can show the base year; every sum over plan years leaves them out (the
summary's totals, the returns' tables and the report's tables are built from the plan
years' rows only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.categories import REPORTING, with_categories

__all__ = ["RECORDED", "recorded_placements"]

#: Status of the base year's recorded placements.
RECORDED = "recorded"


def recorded_placements(
    stock: pd.DataFrame, settings: pd.DataFrame, base_year: int, placements: pd.DataFrame
) -> pd.DataFrame:
    """The base year's recorded placements in the columns of the plan years' ``placements``.

    Args:
        stock: Base-year placements: ``need, age_band, level, setting, children``.
        settings: The validated register (``cost_per_place``, ``transport_per_place``,
            ``place_funding``, ``tier``, ``in_area``, ``name``…).
        base_year: The base year.
        placements: The plan years' placements (their columns, in order, are kept).

    Returns:
        One row per need, age band, level and setting with children > 0.
    """
    columns = list(placements.columns)
    register = settings if set(REPORTING) <= set(settings.columns) else with_categories(settings)
    if stock.empty:
        return pd.DataFrame(columns=columns)
    rows = (
        stock.assign(
            need=stock["need"].astype(str),
            age_band=stock["age_band"].astype(str),
            level=stock["level"].astype(str),
            setting=stock["setting"].astype(str),
        )
        .groupby(["need", "age_band", "level", "setting"], as_index=False)["children"]
        .sum()
    )
    rows = rows[rows["children"] > 0]
    info = register.assign(setting=register["setting"].astype(str)).set_index("setting")
    at = info.reindex(rows["setting"])
    n = rows["children"].to_numpy(dtype=float)
    price = at["cost_per_place"].to_numpy(dtype=float)
    transport = at["transport_per_place"].to_numpy(dtype=float)
    funding = (
        at["place_funding"].to_numpy(dtype=float) if "place_funding" in at else np.zeros(len(rows))
    )
    tier = at["tier"].astype(str).to_numpy()
    fee = tier == "independent"
    hnb = n * price
    out = pd.DataFrame(
        {
            "year": base_year,
            "provision": "ehc_plan",
            "need": rows["need"].to_numpy(),
            "age_band": rows["age_band"].to_numpy(),
            "level": rows["level"].to_numpy(),
            "setting": rows["setting"].to_numpy(),
            "name": at["name"].to_numpy(),
            "tier": tier,
            "dsg_category": at["dsg_category"].to_numpy(),
            "scap_type": at["scap_type"].to_numpy(),
            "planning_area": at["planning_area"].to_numpy(),
            "in_area": at["in_area"].to_numpy(dtype=bool),
            "status": RECORDED,
            "children": n,
            "unit_cost": price + transport,
            "place_funding_cost": np.where(fee, 0.0, n * np.nan_to_num(funding)),
            "top_up_cost": np.where(fee, 0.0, hnb - n * np.nan_to_num(funding)),
            "fee_cost": np.where(fee, hnb, 0.0),
            "hnb_cost": hnb,
            "transport_cost": n * transport,
            "school_cost": 0.0,
            "total_cost": hnb + n * transport,
            "all_payers_cost": hnb + n * transport,
            "cost": hnb + n * transport,
        }
    )
    return out[[c for c in columns if c in out.columns]].reset_index(drop=True)
