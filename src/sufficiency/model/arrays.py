"""Cost arrays: unit cost and eligibility of every (demand group, setting) pair, vectorised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.levers import CostChange
from ..config.schema import MarketPrice, SenSupport
from ..data.inputs import Inputs
from ..errors import Problem, ScenarioError
from .bands import BandedTopUps, banded_top_ups
from .capital import CapitalArrays
from .coding import codes as _codes
from .levers import Budget, OutOfAreaCap, cost_factors
from .market import MARKET, market_prices
from .segments import (
    SEGMENT,
    AgeSegments,
    age_segments,
    meets_level,
    segment_ages,
    serves_need,
    split_by_segment,
)
from .sen_support import sen_support_unit_costs, takes_ehc_plan, takes_sen_support
from .stock import Continuity, age_shares


@dataclass
class AllocationArrays:
    """Everything the allocation model needs, as indexed arrays.

    Attributes:
        groups: Demand groups ``year, provision, need, age_band, age_segment, level,
            children`` (row = group g; ``provision`` is ``ehc_plan`` or ``sen_support``):
            the demand of each age band split into its age segments
            (:mod:`~sufficiency.model.segments`).
        settings: The register (row = setting s).
        years: Plan years (position = year index y).
        group_year: Year index of each group, shape (G,).
        pair_group: Group of each eligible pair, shape (K,), sorted by group.
        pair_setting: Setting of each eligible pair, shape (K,).
        unit_cost: £ per child per year of each pair, shape (K,): ``unit_hnb`` +
            ``unit_transport`` + ``unit_school``.
        unit_hnb: £ per child per year paid from the High Needs Block (place funding and
            top-up, or fee), shape (K,).
        unit_transport: £ per child per year of home-to-school transport (the council's
            general fund), shape (K,).
        unit_school: £ per child per year paid by the school from its notional SEN budget
            (children on SEN support in mainstream settings), shape (K,).
        pair_weight: Policy weight per child per year of each pair (£ of objective, not
            money: the SEN-support catch-all's), shape (K,).
        unit_place_funding: The part of ``unit_hnb`` that is place funding (£ per child per
            year; the rest is top-up, or an independent fee), shape (K,).
        place_cost: £ per place per year by year and setting (inflated), shape (Y, S); NaN
            for the market, whose prices are per group.
        transport_cost: £ per child per year by year and setting (inflated), shape (Y, S);
            NaN for the market.
        capacity: Places by year and setting, ``inf`` where unlimited, shape (Y, S).
        unmet_penalty: Policy weight per child per year left with no place at all.
        market: Register position of the market of last resort, or None when it is off.
        continuity: Rows keeping continuing children in their setting, if modelled.
        out_of_area: The out-of-area cap, if a lever sets one.
        budget: Per-year budget, if a lever sets one.
        capital: Build decisions, if the scenario offers capital options.
        segments: The age segments of the groups (each band cut, for each need and
            level, at the age limits of the settings that could take it).
        bands: The band detail of pairs whose top-up is banded (their ``unit_hnb`` is place
            funding plus the band mix-weighted top-up), if the council gives bands.
    """

    groups: pd.DataFrame
    settings: pd.DataFrame
    years: np.ndarray
    group_year: np.ndarray
    pair_group: np.ndarray
    pair_setting: np.ndarray
    unit_cost: np.ndarray
    unit_hnb: np.ndarray
    unit_transport: np.ndarray
    unit_school: np.ndarray
    pair_weight: np.ndarray
    unit_place_funding: np.ndarray
    place_cost: np.ndarray
    transport_cost: np.ndarray
    capacity: np.ndarray
    unmet_penalty: float
    market: int | None = None
    continuity: Continuity | None = None
    out_of_area: OutOfAreaCap | None = None
    budget: Budget | None = None
    capital: CapitalArrays | None = None
    segments: AgeSegments | None = None
    bands: BandedTopUps | None = None

    @property
    def n_pairs(self) -> int:
        """Number of eligible pairs (LP placement columns)."""
        return len(self.pair_group)

    @property
    def pair_year(self) -> np.ndarray:
        """Plan-year index of each pair, shape (K,)."""
        return self.group_year[self.pair_group]

    @property
    def group_ehc(self) -> np.ndarray:
        """Whether each group is of children with an EHC plan, shape (G,)."""
        return group_provision(self.groups) == 0


def cost_index(
    costs: pd.DataFrame, base_year: int, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative price indices relative to the base year.

    Args:
        costs: ``year, tier, inflation, transport_inflation`` (tier "" applies to all tiers
            without a row of their own; the last row for a year and tier wins).
        base_year: Prices of the register.
        years: Plan years (consecutive, starting base_year + 1).

    Returns:
        ``(place_index, transport_index)``, each of shape (len(years), 6 tiers).
    """
    tiers = ["", *taxonomy.TIERS]
    rates = np.full((len(tiers), len(years), 2), np.nan)
    t_idx = _codes(costs["tier"], tiers)
    cost_years = costs["year"].to_numpy(dtype=int)
    y_idx = np.searchsorted(years, cost_years)
    inside = (y_idx < len(years)) & (years[np.minimum(y_idx, len(years) - 1)] == cost_years)
    values = np.column_stack(
        [
            costs["inflation"].to_numpy(dtype=float),
            costs["transport_inflation"].to_numpy(dtype=float),
        ]
    )
    rates[t_idx[inside], y_idx[inside]] = values[inside]  # later rows overwrite earlier
    own = rates[1:]
    filled = np.where(np.isnan(own), rates[:1], own)  # (6, Y, 2)
    index = np.cumprod(1.0 + filled, axis=1)
    return index[..., 0].T, index[..., 1].T


def group_provision(groups: pd.DataFrame) -> np.ndarray:
    """Position of each group's provision in :data:`~sufficiency.taxonomy.PROVISIONS` (0 =
    EHC plan, also where ``groups`` has no ``provision`` column), shape (G,)."""
    if "provision" not in groups:
        return np.zeros(len(groups), dtype=np.int64)
    return _codes(groups["provision"], taxonomy.PROVISIONS)


def _combo_mask(groups: pd.DataFrame, settings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Eligibility decided once per distinct (provision, need, age segment, level) of
    ``groups``.


    Children on SEN support go only to settings that take them; children with plans only
    to settings that take plans (all but the SEN-support catch-all, which takes children
    on SEN support of any level). A setting serving every EHC plan need serves NSA (SEN
    support with no specialist assessment) too.

    Returns:
        ``(mask, inverse)``: a (U, S) boolean matrix over the distinct combinations and
        the combination of each group, so that group g's row is ``mask[inverse[g]]``.
    """
    needs = list(taxonomy.NEEDS)
    serves = serves_need(settings)  # (N, S)
    # the group's ages: its age segment, or its whole band where groups have no segments
    band_idx, ages = pd.factorize(groups[SEGMENT if SEGMENT in groups else "age_band"])
    lo, hi = segment_ages(ages)
    amin = settings["age_min"].to_numpy(dtype=int)
    amax = settings["age_max"].to_numpy(dtype=int)
    age_ok = (amin[None, :] <= lo[:, None]) & (amax[None, :] >= hi[:, None])  # (B, S)
    level_ok = meets_level(settings)  # (L, S)

    takes = np.stack([takes_ehc_plan(settings), takes_sen_support(settings)])  # (P, S)
    any_level = np.stack([np.zeros(len(settings), bool), ~takes_ehc_plan(settings)])

    need_idx = _codes(groups["need"], needs)
    level_idx = _codes(groups["level"], taxonomy.TIERS)
    prov_idx = group_provision(groups)
    n_n, n_b, n_l = len(needs), max(len(ages), 1), len(taxonomy.TIERS)
    combo = ((prov_idx * n_n + need_idx) * n_b + band_idx) * n_l + level_idx
    unique, inverse = np.unique(combo, return_inverse=True)
    u_prov, rest = np.divmod(unique, n_n * n_b * n_l)
    u_need, rest = np.divmod(rest, n_b * n_l)
    u_band, u_level = np.divmod(rest, n_l)
    level_or_any = level_ok[u_level] | any_level[u_prov]
    return serves[u_need] & age_ok[u_band] & level_or_any & takes[u_prov], inverse


def eligibility(groups: pd.DataFrame, settings: pd.DataFrame) -> np.ndarray:
    """Boolean (G, S) matrix: may group g be placed in setting s?

    A setting is eligible for a group when it meets the group's need, serves every age of
    the group's age segment (of its age band, where ``groups`` has no ``age_segment``),
    takes the group's provision, and its tier is at or above the group's level (the
    SEN-support catch-all: any level).
    """
    mask, inverse = _combo_mask(groups, settings)
    return mask[inverse]


def eligible_pairs(groups: pd.DataFrame, settings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The eligible (group, setting) pairs, sorted by group then setting.

    The same pairs as ``np.nonzero(eligibility(groups, settings))``, built from the
    distinct combinations' rows without forming the (G, S) matrix.
    """
    mask, inverse = _combo_mask(groups, settings)
    combo_row, combo_setting = np.nonzero(mask)
    per_combo = np.bincount(combo_row, minlength=mask.shape[0])
    starts = np.cumsum(per_combo) - per_combo
    per_group = per_combo[inverse]
    group_start = np.cumsum(per_group) - per_group
    pair_group = np.repeat(np.arange(len(inverse)), per_group)
    # pair k of group g is entry (k - first pair of g) of g's combination's run
    source = np.arange(int(per_group.sum())) + np.repeat(starts[inverse] - group_start, per_group)
    return pair_group, combo_setting[source]


def build_arrays(
    demand: pd.DataFrame,
    inputs: Inputs,
    *,
    base_year: int,
    years: list[int],
    unmet_penalty: float,
    cost_changes: Sequence[CostChange] = (),
    market: Sequence[MarketPrice] | None = None,
    sen_support: SenSupport | None = None,
) -> AllocationArrays:
    """Build the cost arrays of an allocation with numpy broadcasting.

    Args:
        demand: ``year, need, age_band, level, children`` to place (levels are tiers); each
            band's children are split into its age segments by the base-year single-age
            shares of the need (:mod:`~sufficiency.model.segments`). Demand that already
            has an ``age_segment`` column is taken as it is.
        inputs: Validated inputs (register, places, cost assumptions, and the caseload
            for the single-age shares).
        base_year: Year of the register's prices.
        years: Plan years.
        unmet_penalty: Policy weight per child per year left with no place at all.
        cost_changes: Cost levers (extra inflation, one-off factors) to apply.
        market: Price table of the market of last resort, needed when the register has
            the ``MARKET`` setting (:func:`~sufficiency.model.market.add_market`).
        sen_support: Options of children on SEN support, needed when ``demand`` has
            groups of them (:mod:`~sufficiency.model.sen_support`).

    Returns:
        The arrays; groups are in ``demand``'s order (each row's segments in age order),
        pairs sorted by group, then setting.
    """
    yrs = np.asarray(years, dtype=int)
    level, labels = pd.factorize(demand["level"], use_na_sentinel=False)
    keep = np.isin(np.asarray(labels, dtype=str), taxonomy.TIERS)[level]
    keep &= np.isin(demand["year"].to_numpy(dtype=int), yrs)
    settings = inputs.settings.reset_index(drop=True)
    # groups by age segment: each band's demand split at the age limits of the settings
    segments = age_segments(settings, age_shares(inputs.caseload, base_year))
    kept = demand if keep.all() else demand[keep]
    # demand already by age segment (e.g. the groups of an earlier build) is kept as it is
    presplit = SEGMENT in kept
    groups = kept.reset_index(drop=True) if presplit else split_by_segment(kept, segments)
    place_index, transport_index = cost_index(inputs.cost_assumptions, base_year, yrs)
    tier_col = _codes(settings["tier"], taxonomy.TIERS)
    place_cost = settings["cost_per_place"].to_numpy(float)[None, :] * place_index[:, tier_col]
    transport_cost = (
        settings["transport_per_place"].to_numpy(float)[None, :] * transport_index[:, tier_col]
    )
    # place funding as the register gives it (load_inputs fills and checks it; rows added
    # later without it, such as the market's, have none)
    funding = np.nan_to_num(
        settings["place_funding"].to_numpy(float)
        if "place_funding" in settings
        else np.zeros(len(settings))
    )
    funding_cost = funding[None, :] * place_index[:, tier_col]
    factors = cost_factors(settings, yrs, cost_changes) if cost_changes else None
    if factors is not None:
        place_cost = place_cost * factors[0]
        transport_cost = transport_cost * factors[1]
        funding_cost = funding_cost * factors[0]
    capacity = inputs.places_array(yrs)
    capacity = np.where(np.isnan(capacity), np.inf, capacity)

    group_year = np.searchsorted(yrs, groups["year"].to_numpy(dtype=int))
    pair_group, pair_setting = eligible_pairs(groups, settings)
    pair_year = group_year[pair_group]
    unit_hnb = place_cost[pair_year, pair_setting]
    unit_transport = transport_cost[pair_year, pair_setting]
    unit_place_funding = funding_cost[pair_year, pair_setting]
    banded = None
    if inputs.funding_bands is not None:  # top-up by band where a band scale covers the setting
        index = place_index[:, tier_col] * (factors[0] if factors is not None else 1.0)
        banded = banded_top_ups(
            inputs.funding_bands,
            groups,
            settings,
            pair_group,
            pair_setting,
            index[pair_year, pair_setting],
        )
        if banded is not None:
            unit_hnb[banded.pairs] = unit_place_funding[banded.pairs] + banded.unit
    ids = settings["setting"].to_numpy()
    at = np.flatnonzero(ids == MARKET)
    market_at = int(at[0]) if len(at) else None
    if market_at is not None:
        if market is None:
            raise ScenarioError(
                "invalid register", [Problem("settings", "the market setting has no prices")]
            )
        tier = tier_col[market_at]
        base = market_prices(groups, market)  # (G, 2), base-year prices
        hit = np.flatnonzero(pair_setting == market_at)
        g, y = pair_group[hit], pair_year[hit]
        unit_hnb[hit] = base[g, 0] * place_index[y, tier]
        unit_transport[hit] = base[g, 1] * transport_index[y, tier]
        if factors is not None:
            unit_hnb[hit] *= factors[0][y, market_at]
            unit_transport[hit] *= factors[1][y, market_at]
    unit_school = np.zeros(len(pair_group))
    pair_weight = np.zeros(len(pair_group))
    sen_pairs = np.flatnonzero(group_provision(groups)[pair_group] == 1)
    if len(sen_pairs):
        if sen_support is None:
            raise ScenarioError(
                "invalid demand", [Problem("demand", "SEN support groups need their options")]
            )
        school_index = place_index[:, tier_col] * (factors[0] if factors is not None else 1.0)
        sen = sen_support_unit_costs(
            settings,
            sen_pairs,
            pair_year,
            pair_setting,
            place_cost,
            transport_cost,
            funding_cost,
            school_index,
            sen_support,
        )
        unit_hnb[sen_pairs] = sen.hnb
        unit_place_funding[sen_pairs] = sen.place_funding
        unit_transport[sen_pairs] = sen.transport
        unit_school[sen_pairs] = sen.school
        pair_weight[sen_pairs] = sen.weight
    unit_cost = unit_hnb + unit_transport + unit_school
    return AllocationArrays(
        groups=groups,
        settings=settings,
        years=yrs,
        group_year=group_year,
        pair_group=pair_group,
        pair_setting=pair_setting,
        unit_cost=unit_cost,
        unit_hnb=unit_hnb,
        unit_transport=unit_transport,
        unit_school=unit_school,
        pair_weight=pair_weight,
        unit_place_funding=unit_place_funding,
        place_cost=place_cost,
        transport_cost=transport_cost,
        capacity=capacity,
        unmet_penalty=float(unmet_penalty),
        market=market_at,
        segments=segments,
        bands=banded,
    )


def cost_comparison(arrays: AllocationArrays) -> pd.DataFrame:
    """Cheapest local against cheapest out-of-area place for every demand group.

    For each (year, need, age band, age segment, level), the least unit cost among eligible
    in-area settings and among eligible out-of-area settings, with the settings, and the
    saving per child moved back in area (out-of-area minus local; NaN where either is
    missing). By age segment, because the settings that can take a child differ between
    the segments of a band.
    Computed with a segmented minimum over the pairs (sorted by group), no row loop.
    """
    n_groups = len(arrays.groups)
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    ids = arrays.settings["setting"].to_numpy()
    keys = ["year", "provision", "need", "age_band", SEGMENT, "level"]
    out = arrays.groups[[k for k in keys if k in arrays.groups]].copy()
    for label, mask in (("local", in_area), ("out_of_area", ~in_area)):
        cost = np.where(mask, arrays.unit_cost, np.inf)
        best = np.full(n_groups, np.inf)
        np.minimum.at(best, arrays.pair_group, cost)
        # the setting that attains it: first pair of the group at the minimum
        hit = mask & (cost == best[arrays.pair_group])
        setting = np.full(n_groups, "", dtype=object)
        first = np.flatnonzero(hit)
        groups_hit, pos = np.unique(arrays.pair_group[first], return_index=True)
        setting[groups_hit] = ids[arrays.pair_setting[first[pos]]]
        out[f"{label}_setting"] = setting
        out[f"{label}_unit_cost"] = np.where(np.isfinite(best), best, np.nan)
    out["saving_per_child"] = out["out_of_area_unit_cost"] - out["local_unit_cost"]
    return out.reset_index(drop=True)


def gap_child_years(arrays: AllocationArrays, placed: np.ndarray, unmet: np.ndarray) -> float:
    """The sufficiency gap of a solution in child-years: children placed by the market of
    last resort (``arrays.market``) plus children with no place at all (``unmet``)."""
    market = 0.0
    if arrays.market is not None:
        market = float(placed[arrays.pair_setting == arrays.market].sum())
    return market + float(unmet.sum())
