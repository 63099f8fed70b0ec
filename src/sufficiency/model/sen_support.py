"""Children on SEN support in the allocation: their levels, the mainstream catch-all, their costs.

Children on SEN support (no EHC plan) are demand groups with ``provision`` ``sen_support``
beside those with ``ehc_plan``. They are placed in the register's settings that take them
(``takes_sen_support``: by default mainstream, SEN support and partnership settings), and
share those settings' places with children with plans. Their levels are the tiers of their
base-year settings where the ``sen_support`` table gives settings; else ``sen_support``, but
for a share at school age at ``partnership`` (alternative provision), see
:func:`sen_support_levels`.

The market of last resort does not take them. A child on SEN support whom no place at their
level can take stays in mainstream school: the in-area catch-all setting ``MAINSTREAM`` (no
place limit, every need and age, children on SEN support only, any level), paid by the
school. Placing a child there carries a policy weight (``allocation.sen_support.
kept_in_mainstream_weight_gbp``, not money) so that the register's settings come first; the
children placed there are the SEN-support gap.

Who pays (:func:`sen_support_unit_costs`), per child per year in each year's prices:

- in a mainstream or SEN support setting (and the catch-all): the school, from its notional
  SEN budget (``school_cost_per_child_gbp``, inflated at the setting's tier rates); no High
  Needs Block top-up (that is for plans) and no SEN transport;
- in a resourced provision that takes them: the High Needs Block's place funding, and the
  register's transport;
- in a partnership (alternative provision) setting, or any other setting the register says
  takes them: the register's price from the High Needs Block, and its transport.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import SenSupport
from ..data.inputs import MAINSTREAM, Inputs
from .market import with_reserved_setting

MAINSTREAM_NAME = "Mainstream schools (children on SEN support without a place at their level)"
#: Age bands at which a share of children on SEN support are at level partnership by default.
PARTNERSHIP_BANDS: tuple[str, ...] = ("5-10", "11-15")
#: Tiers whose settings are mainstream schools and colleges: SEN support there is school-paid.
MAINSTREAM_TIERS: tuple[str, ...] = ("mainstream", "sen_support")


def sen_support_levels(
    placements: pd.DataFrame | None, settings: pd.DataFrame, options: SenSupport
) -> pd.DataFrame:
    """Level mix of children on SEN support per need and age band.

    Where the base year's children on SEN support are given by setting
    (:attr:`~sufficiency.data.inputs.Inputs.sen_support_placements`), a cell's levels are
    the tiers of their settings. Cells without them (and every cell without such data) take
    the default: level ``partnership`` for ``options.partnership_share`` of each school-age
    band (:data:`PARTNERSHIP_BANDS`), ``sen_support`` for the rest.

    Args:
        placements: ``need, age_band, setting, children`` in the base year, or None.
        settings: The register (``setting, tier``).
        options: The scenario's SEN support options.

    Returns:
        ``need, age_band, level, share`` with shares summing to 1 per need and band.
    """
    index = pd.MultiIndex.from_product(
        [taxonomy.NEEDS, taxonomy.AGE_BAND_LABELS], names=["need", "age_band"]
    )
    levels = list(taxonomy.TIERS)
    band = index.get_level_values("age_band").to_numpy()
    partnership = np.where(np.isin(band, PARTNERSHIP_BANDS), options.partnership_share, 0.0)
    default = np.zeros((len(index), len(levels)))
    default[:, levels.index("sen_support")] = 1.0 - partnership
    default[:, levels.index("partnership")] = partnership
    chosen = default
    if placements is not None and len(placements):
        tier_of = dict(zip(settings["setting"], settings["tier"].astype(str), strict=True))
        base = placements.assign(level=placements["setting"].map(tier_of))
        counts = (
            base.pivot_table(
                index=["need", "age_band"],
                columns="level",
                values="children",
                aggfunc="sum",
                fill_value=0.0,
            )
            .reindex(columns=levels, fill_value=0.0)
            .reindex(index, fill_value=0.0)
            .to_numpy(dtype=float)
        )
        totals = counts.sum(axis=1, keepdims=True)
        given = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        chosen = np.where(totals > 0, given, default)
    wide = pd.DataFrame(chosen, index=index, columns=levels).reset_index()
    return wide.melt(id_vars=["need", "age_band"], var_name="level", value_name="share")


def sen_support_demand(forecast: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Projected children on SEN support as demand groups by level.

    Args:
        forecast: ``year, need, age_band, mean`` (projected children on SEN support).
        levels: Their level mix (:func:`sen_support_levels`).

    Returns:
        ``year, provision, need, age_band, level, children`` (rows with children > 0).
    """
    f = forecast[["year", "need", "age_band", "mean"]].assign(
        need=forecast["need"].astype(str), age_band=forecast["age_band"].astype(str)
    )
    merged = f.merge(levels[levels["share"] > 0], on=["need", "age_band"], how="inner")
    out = merged.assign(provision="sen_support", children=merged["mean"] * merged["share"])
    out = out.loc[
        out["children"] > 0, ["year", "provision", "need", "age_band", "level", "children"]
    ]
    return out.sort_values(["year", "need", "age_band", "level"], ignore_index=True)


def add_mainstream(inputs: Inputs) -> Inputs:
    """A copy of ``inputs`` whose register ends with the ``MAINSTREAM`` catch-all.

    Every other setting gets ``takes_ehc_plan`` true and the catch-all false; its costs are
    NaN (children on SEN support there are priced by :func:`sen_support_unit_costs`).

    Raises:
        ScenarioError: If the register already has a setting called ``MAINSTREAM``.
    """
    reg = inputs.settings
    row = {
        "setting": MAINSTREAM,
        "name": MAINSTREAM_NAME,
        "tier": "sen_support",
        "in_area": True,
        "places": np.nan,
        "needs": taxonomy.NEEDS,
        "age_min": taxonomy.MIN_AGE,
        "age_max": taxonomy.MAX_AGE,
        "cost_per_place": np.nan,
        "transport_per_place": np.nan,
        "place_funding": 0.0,
        "tier_number": taxonomy.TIER_NUMBER["sen_support"],
        "takes_sen_support": True,
        "takes_ehc_plan": False,
        "establishment_type": "mainstream_la_maintained",
        "dsg_category": "mainstream",
        "scap_type": "none",
        "phase": "all_through",
        "residential": False,
        "planning_area": "",
    }
    register = reg.assign(takes_sen_support=takes_sen_support(reg), takes_ehc_plan=True)
    out = with_reserved_setting(inputs, row, "children on SEN support", register)
    out.settings = out.settings.astype({"takes_sen_support": bool, "takes_ehc_plan": bool})
    return out


def takes_sen_support(settings: pd.DataFrame) -> np.ndarray:
    """Whether each setting takes children on SEN support, shape (S,).

    The register's ``takes_sen_support`` where given, else by tier
    (:data:`~sufficiency.taxonomy.SEN_SUPPORT_TIERS`).
    """
    default = settings["tier"].astype(str).isin(taxonomy.SEN_SUPPORT_TIERS).to_numpy()
    if "takes_sen_support" not in settings:
        return default
    given = settings["takes_sen_support"]
    return np.where(given.isna().to_numpy(), default, given.fillna(False).to_numpy(dtype=bool))


def takes_ehc_plan(settings: pd.DataFrame) -> np.ndarray:
    """Whether each setting takes children with EHC plans (all but the catch-all), (S,)."""
    if "takes_ehc_plan" not in settings:
        return np.ones(len(settings), dtype=bool)
    return settings["takes_ehc_plan"].fillna(True).to_numpy(dtype=bool)


@dataclass
class SenSupportCosts:
    """Unit costs of the pairs of children on SEN support (£ per child per year).

    Attributes:
        pairs: Pair positions they replace, shape (P,).
        hnb: High Needs Block part, shape (P,).
        place_funding: The part of ``hnb`` that is place funding, shape (P,).
        transport: Home-to-school transport (the council's general fund), shape (P,).
        school: The school's notional SEN budget, shape (P,).
        weight: Policy weight per child (not money): the catch-all's, shape (P,).
    """

    pairs: np.ndarray
    hnb: np.ndarray
    place_funding: np.ndarray
    transport: np.ndarray
    school: np.ndarray
    weight: np.ndarray


def sen_support_unit_costs(
    settings: pd.DataFrame,
    pairs: np.ndarray,
    pair_year: np.ndarray,
    pair_setting: np.ndarray,
    place_cost: np.ndarray,
    transport_cost: np.ndarray,
    funding_cost: np.ndarray,
    school_index: np.ndarray,
    options: SenSupport,
) -> SenSupportCosts:
    """Who pays for each pair of a child on SEN support (see the module doc).

    Args:
        settings: The register (row = setting).
        pairs: Positions of the SEN-support pairs.
        pair_year, pair_setting: Plan-year index and setting of every pair.
        place_cost, transport_cost, funding_cost: £ per place per year by year and setting
            (inflated, cost levers applied), shape (Y, S) each.
        school_index: Price index of each year and setting (tier rates and cost levers),
            applied to the school's cost, shape (Y, S).
        options: The scenario's SEN support options.
    """
    y, s = pair_year[pairs], pair_setting[pairs]
    tier = settings["tier"].astype(str).to_numpy()[s]
    catch_all = settings["setting"].to_numpy()[s] == MAINSTREAM
    school_paid = np.isin(tier, MAINSTREAM_TIERS) | catch_all
    resourced = tier == "enhanced_resource"
    funding = np.where(resourced, funding_cost[y, s], 0.0)
    hnb = np.where(school_paid, 0.0, np.where(resourced, funding, place_cost[y, s]))
    transport = np.where(school_paid, 0.0, transport_cost[y, s])
    school = np.where(school_paid, options.school_cost_per_child_gbp * school_index[y, s], 0.0)
    weight = np.where(catch_all, options.kept_in_mainstream_weight_gbp, 0.0)
    return SenSupportCosts(
        pairs=pairs,
        hnb=np.nan_to_num(hnb),
        place_funding=np.nan_to_num(funding),
        transport=np.nan_to_num(transport),
        school=school,
        weight=weight,
    )
