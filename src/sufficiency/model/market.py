"""The market of last resort: spot purchase as an unlimited out-of-area setting, priced by group.

A council must secure a place for every child with an EHC plan. Whatever the register's
commissioned places cannot take is bought on the market — independent or out-of-area
providers at their price. The market is one more setting in the register (id ``MARKET``):
out of area, of every need and age, with no place limit, and a price that depends on the
child's level, broad area of need and phase rather than on the setting.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import Market, MarketPrice
from ..data.inputs import MARKET, Inputs
from ..errors import Problem, ScenarioError
from .coding import codes

MARKET_NAME = "Market of last resort (spot-purchased places)"


def add_market(inputs: Inputs, market: Market) -> Inputs:
    """A copy of ``inputs`` whose register ends with the market setting.

    Its ``cost_per_place`` and ``transport_per_place`` are NaN: market prices are per
    group (:func:`market_prices`), not per setting.

    Raises:
        ScenarioError: If the register already has a setting called ``MARKET``.
    """
    row = {
        "setting": MARKET,
        "name": MARKET_NAME,
        "tier": market.tier,
        "in_area": False,
        "places": np.nan,
        "needs": taxonomy.EHCP_NEEDS,
        "age_min": taxonomy.MIN_AGE,
        "age_max": taxonomy.MAX_AGE,
        "cost_per_place": np.nan,
        "transport_per_place": np.nan,
        "tier_number": taxonomy.TIER_NUMBER[market.tier],
        # spot purchase: an independent or non-maintained special place, out of area
        "establishment_type": "special_independent",
        "dsg_category": "independent_special",
        "scap_type": "IN",
        "phase": "all_through",
        "residential": False,
        "planning_area": "",
    }
    return with_reserved_setting(inputs, row, "the market of last resort")


def with_reserved_setting(
    inputs: Inputs,
    row: dict[str, object],
    purpose: str,
    register: pd.DataFrame | None = None,
) -> Inputs:
    """A copy of ``inputs`` whose register (``register``, else ``inputs.settings``) ends
    with ``row``, a setting the model adds itself (columns ``row`` lacks are NaN).

    Raises:
        ScenarioError: If the register already has a setting of ``row``'s id.
    """
    reg = inputs.settings if register is None else register
    setting = row["setting"]
    if setting in set(inputs.settings["setting"]):
        raise ScenarioError(
            "invalid register", [Problem("settings", f"{setting!r} is reserved for {purpose}")]
        )
    extra = pd.DataFrame([{c: row.get(c, np.nan) for c in reg.columns}])
    settings = pd.concat([reg, extra.astype({"in_area": bool})], ignore_index=True)
    settings["tier"] = settings["tier"].astype(str)
    out = copy.copy(inputs)
    out.settings = settings
    return out


def _specificity(p: MarketPrice) -> int:
    """Rank of a price row: a level beats a need group, which beats a phase."""
    return 4 * (p.level is not None) + 2 * (p.need_group is not None) + (p.phase is not None)


def market_prices(groups: pd.DataFrame, prices: Sequence[MarketPrice]) -> np.ndarray:
    """Base-year fee and transport of every demand group, shape (G, 2).

    Each group takes the matching row of highest rank (level, then need group, then phase
    of the band's first age); the table always has a catch-all row.
    """
    level = codes(groups["level"], taxonomy.TIERS)
    need = codes(groups["need"], taxonomy.NEEDS)
    need_group = np.array([taxonomy.BROAD_AREA[n] for n in taxonomy.NEEDS], dtype=object)[need]
    band = codes(groups["age_band"], taxonomy.AGE_BAND_LABELS)
    first_age = np.array([lo for _, lo, _ in taxonomy.AGE_BANDS])[band]
    phase = np.asarray(taxonomy.phase_of(first_age), dtype=object)
    level = np.array(taxonomy.TIERS, dtype=object)[level]
    out = np.full((len(groups), 2), np.nan)
    best = np.full(len(groups), -1)
    for p in prices:
        hit = np.ones(len(groups), dtype=bool)
        if p.level is not None:
            hit &= level == p.level
        if p.need_group is not None:
            hit &= need_group == p.need_group
        if p.phase is not None:
            hit &= phase == p.phase
        rank = _specificity(p)
        take = hit & (rank > best)
        out[take] = (p.fee_per_place_gbp, p.transport_per_place_gbp)
        best[take] = rank
    return out
