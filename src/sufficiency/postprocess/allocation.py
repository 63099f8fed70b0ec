"""From a solved allocation to tidy tables: placements, gap, costs, capacity, policy, builds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import taxonomy
from ..data.categories import REPORTING, with_categories
from ..data.inputs import MAINSTREAM
from ..model.arrays import AllocationArrays, group_provision
from ..model.market import MARKET
from ..model.segments import SEGMENT
from ..solve.checks import NOISE
from ..solve.lp import AllocationModel, Solution
from .bands import with_unit_top_up

#: Columns naming a demand group in the tables (the model's ``GROUP_KEYS``).
_KEYS = ["year", "provision", "need", "age_band", "level"]

#: A placement's cost by payer, £ a year (``cost`` is ``total_cost``'s earlier name): the
#: summary's figures of the same names add them up.
PAYER_COSTS: tuple[str, ...] = (
    "hnb_cost",
    "transport_cost",
    "school_cost",
    "total_cost",
    "all_payers_cost",
    "cost",
)


@dataclass
class Allocation:
    """The allocation's tables and the solve behind them.

    Attributes:
        placements: ``year, provision (``ehc_plan`` or ``sen_support``), need, age_band,
            level, setting, name, tier, dsg_category, scap_type, planning_area, in_area,
            status, children, unit_cost``, the High Needs Block part split into
            ``place_funding_cost``, ``top_up_cost`` and ``fee_cost`` (independent and market
            places), ``hnb_cost`` (their sum), ``transport_cost`` (general fund),
            ``school_cost`` (the school's notional SEN budget: SEN support in mainstream),
            ``total_cost`` (the council's spend: ``hnb_cost + transport_cost``; ``cost``: its
            earlier name), ``all_payers_cost`` (``total_cost + school_cost``) (rows with
            children > 0; ``status`` is ``continuing`` for children carried over in their
            setting, else ``new``).
        shortfall: The sufficiency gap, children the register's commissioned places cannot
            take: ``year, provision, need, age_band, level, children`` (> 0 rows), split
            into ``market`` (placed by the market of last resort), ``no_place`` (no place
            at all: only when the market is switched off — unlawful) and
            ``kept_in_mainstream`` (children on SEN support kept in mainstream school, the
            ``MAINSTREAM`` catch-all, for want of a place at their level).
        costs: Unit cost of every eligible pair: ``year, provision, need, age_band,
            age_segment, level, setting, tier, in_area, hnb_unit_cost,
            place_funding_unit_cost, top_up_unit_cost, top_up_basis`` (``band``, ``flat``
            or ``fee``), ``transport_unit_cost, school_unit_cost, unit_cost`` (by age
            segment: which settings are eligible differs between the segments of a band).
        capacity: ``year, setting, name, tier, in_area, places, used, spare,
            value_per_place`` (places NaN = unlimited; value_per_place = £ saved per year
            by one more place, from the LP duals).
        policy: One row per plan year: ``hnb_spend`` and ``transport_spend`` on
            placements (£), ``out_of_area`` (children counted by the cap),
            ``out_of_area_cap``, ``out_of_area_target_missed``, ``budget``, ``displaced``.
        displaced: Children moved between transfer points because a closure or falling
            demand forced it: ``year, need, age_band, level, setting, children``.
        solution: The raw solve.
        model: The PuLP model that was solved.
        timings: Seconds spent building and solving.
    """

    placements: pd.DataFrame
    shortfall: pd.DataFrame
    costs: pd.DataFrame
    capacity: pd.DataFrame
    policy: pd.DataFrame
    displaced: pd.DataFrame
    solution: Solution
    model: AllocationModel
    timings: dict[str, float] = field(default_factory=dict)


def by_band(arrays: AllocationArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The age segments of a band added back: groups and pairs by age band.

    Returns:
        ``(band_group, first_group, band_pair, first_pair)``: the band group of each group
        (its keys but the age segment), the first group of each band group, the band pair
        (band group, setting) of each pair, and the first pair of each band pair; band
        groups are numbered in the order they first appear, band pairs by band group, then
        setting.
    """
    groups = arrays.groups
    keys = [c for c in groups.columns if c not in (SEGMENT, "children")]
    numbered = groups.groupby(keys, sort=False, observed=True, dropna=False).ngroup()
    band_group = numbered.to_numpy(dtype=np.int64)
    first_group = np.unique(band_group, return_index=True)[1]
    code = band_group[arrays.pair_group] * len(arrays.settings) + arrays.pair_setting
    _, first_pair, band_pair = np.unique(code, return_index=True, return_inverse=True)
    return band_group, first_group, band_pair.reshape(-1), first_pair


def _pair_frame(arrays: AllocationArrays) -> pd.DataFrame:
    groups = arrays.groups.iloc[arrays.pair_group].reset_index(drop=True)
    register = arrays.settings
    if not set(REPORTING) <= set(register.columns):
        register = with_categories(register)
    sett = register.iloc[arrays.pair_setting].reset_index(drop=True)
    segment = {SEGMENT: groups[SEGMENT].to_numpy()} if SEGMENT in groups else {}
    provision = np.asarray(taxonomy.PROVISIONS, dtype=object)[group_provision(arrays.groups)]
    return pd.DataFrame(
        {
            "year": groups["year"].to_numpy(),
            "provision": provision[arrays.pair_group],
            "need": groups["need"].astype(str).to_numpy(),
            "age_band": groups["age_band"].astype(str).to_numpy(),
            **segment,
            "level": groups["level"].astype(str).to_numpy(),
            "setting": sett["setting"].to_numpy(),
            "name": sett["name"].to_numpy(),
            "tier": sett["tier"].astype(str).to_numpy(),
            "dsg_category": sett["dsg_category"].to_numpy(),
            "scap_type": sett["scap_type"].to_numpy(),
            "planning_area": sett["planning_area"].to_numpy(),
            "in_area": sett["in_area"].to_numpy(dtype=bool),
            "hnb_unit_cost": arrays.unit_hnb,
            "place_funding_unit_cost": arrays.unit_place_funding,
            "transport_unit_cost": arrays.unit_transport,
            "school_unit_cost": arrays.unit_school,
            "unit_cost": arrays.unit_cost,
        }
    )


def _with_provision(groups: pd.DataFrame) -> pd.DataFrame:
    """``groups`` with a ``provision`` column (``ehc_plan`` where it has none)."""
    return groups if "provision" in groups else groups.assign(provision="ehc_plan")


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    out = taxonomy.as_categories(frame)
    if "level" in out.columns:
        out["level"] = taxonomy.as_category(out["level"], taxonomy.TIER_DTYPE)
    return out


def tables(
    arrays: AllocationArrays,
    model: AllocationModel,
    solution: Solution,
    timings: dict[str, float] | None = None,
) -> Allocation:
    """The allocation's tidy tables from a solved model.

    Args:
        arrays: The arrays the model was built from.
        model: The model that was solved.
        solution: Its (optimal) solution.
        timings: Seconds spent building and solving, kept on the result.

    Returns:
        The allocation tables.
    """
    every_pair = _pair_frame(arrays)
    costs = every_pair.drop(columns=["name", "dsg_category", "scap_type", "planning_area"])
    costs = with_unit_top_up(costs, arrays)
    # tables by age band: the segments of a band added back (unit costs do not depend on
    # the segment, so a band pair's are those of its first pair)
    band_group, first_group, band_pair, first_pair = by_band(arrays)
    n_band_pairs = len(first_pair)
    pairs = every_pair.iloc[first_pair].drop(columns=SEGMENT, errors="ignore")
    pairs = pairs.reset_index(drop=True)
    continuing = np.zeros(arrays.n_pairs)
    displaced = pairs.iloc[0:0][[*_KEYS, "setting"]].assign(children=0.0)
    cont = arrays.continuity
    if cont is not None and len(cont.target):
        stay = np.maximum(cont.carried(solution.placed) - solution.displaced, 0.0)
        continuing[cont.target] = np.minimum(solution.placed[cont.target], stay)
        moved_by_band = np.bincount(
            band_pair[cont.target], weights=solution.displaced, minlength=n_band_pairs
        )
        moved = moved_by_band > NOISE
        displaced = (
            pairs[moved][[*_KEYS, "setting"]]
            .assign(children=moved_by_band[moved])
            .reset_index(drop=True)
        )
    new = solution.placed - continuing

    def banded(values: np.ndarray) -> np.ndarray:
        return np.bincount(band_pair, weights=values, minlength=n_band_pairs)

    placed = pd.concat(
        [
            pairs.assign(status="continuing", children=banded(continuing)),
            pairs.assign(status="new", children=banded(new)),
        ],
        ignore_index=True,
    )
    placed = placed[placed["children"] > NOISE].copy()
    placed["hnb_cost"] = placed["children"] * placed["hnb_unit_cost"]
    fee = ((placed["tier"] == "independent") | (placed["setting"] == MARKET)).to_numpy()
    funding = placed["children"] * placed["place_funding_unit_cost"]
    placed["place_funding_cost"] = np.where(fee, 0.0, funding)
    placed["top_up_cost"] = np.where(fee, 0.0, placed["hnb_cost"] - funding)
    placed["fee_cost"] = np.where(fee, placed["hnb_cost"], 0.0)
    placed["transport_cost"] = placed["children"] * placed["transport_unit_cost"]
    placed["school_cost"] = placed["children"] * placed["school_unit_cost"]
    placed["total_cost"] = placed["hnb_cost"] + placed["transport_cost"]  # the council's
    placed["all_payers_cost"] = placed["total_cost"] + placed["school_cost"]
    placed["cost"] = placed["total_cost"]  # the earlier name, kept for one release
    placements = (
        placed[
            [
                *_KEYS,
                "setting",
                "name",
                "tier",
                "dsg_category",
                "scap_type",
                "planning_area",
                "in_area",
                "status",
                "children",
                "unit_cost",
                "place_funding_cost",
                "top_up_cost",
                "fee_cost",
                *PAYER_COSTS,
            ]
        ]
        .sort_values([*_KEYS, "setting", "status"])
        .reset_index(drop=True)
    )

    groups = arrays.groups
    by_market = np.zeros(len(groups))
    if arrays.market is not None:
        hit = arrays.pair_setting == arrays.market
        np.add.at(by_market, arrays.pair_group[hit], solution.placed[hit])
    kept = np.zeros(len(groups))
    catch_all = np.flatnonzero(arrays.settings["setting"].to_numpy() == MAINSTREAM)
    if len(catch_all):
        hit = arrays.pair_setting == catch_all[0]
        np.add.at(kept, arrays.pair_group[hit], solution.placed[hit])
    n_bands = len(first_group)

    def by_group_band(values: np.ndarray) -> np.ndarray:
        return np.bincount(band_group, weights=values, minlength=n_bands)

    market, unmet, kept = (
        by_group_band(by_market),
        by_group_band(solution.unmet),
        by_group_band(kept),
    )
    shortfall = (
        _with_provision(groups)
        .iloc[first_group][_KEYS]
        .reset_index(drop=True)
        .assign(
            children=market + unmet + kept, market=market, no_place=unmet, kept_in_mainstream=kept
        )
    )
    shortfall = shortfall[shortfall["children"] > NOISE].reset_index(drop=True)

    n_years, n_settings = arrays.capacity.shape
    used = np.zeros((n_years, n_settings))
    np.add.at(used, (arrays.group_year[arrays.pair_group], arrays.pair_setting), solution.placed)
    value = np.zeros((n_years, n_settings))
    for (y, s), dual in solution.capacity_dual.items():
        value[y, s] = np.nan if np.isnan(dual) else max(0.0, -dual)  # NaN: not found
    sett = arrays.settings
    places = np.where(np.isfinite(arrays.capacity), arrays.capacity, np.nan)
    cap = arrays.capital
    if cap is not None and "b" in model.matrix.columns:
        built = np.round(solution.columns[model.matrix.columns["b"]])
        for j in np.flatnonzero(built > 0.5):
            places[:, cap.setting[cap.col_option[j]]] += cap.places[j]
    capacity = pd.DataFrame(
        {
            "year": np.repeat(arrays.years, n_settings),
            "setting": np.tile(sett["setting"].to_numpy(), n_years),
            "name": np.tile(sett["name"].to_numpy(), n_years),
            "tier": np.tile(sett["tier"].astype(str).to_numpy(), n_years),
            "in_area": np.tile(sett["in_area"].to_numpy(dtype=bool), n_years),
            "places": places.reshape(-1),
            "used": used.reshape(-1),
        }
    )
    capacity["spare"] = capacity["places"] - capacity["used"]
    capacity["value_per_place"] = value.reshape(-1)
    return Allocation(
        placements=_categorical(placements),
        shortfall=_categorical(shortfall),
        costs=_categorical(costs),
        capacity=_categorical(capacity),
        policy=_policy(arrays, solution, new),
        displaced=_categorical(displaced),
        solution=solution,
        model=model,
        timings=dict(timings or {}),
    )


def _policy(arrays: AllocationArrays, solution: Solution, new: np.ndarray) -> pd.DataFrame:
    """Per plan year: placement spending by payer, the out-of-area cap and its miss."""
    pair_year = arrays.pair_year
    n_years = len(arrays.years)
    frame = pd.DataFrame(
        {
            "year": arrays.years,
            "hnb_spend": np.bincount(
                pair_year, weights=solution.placed * arrays.unit_hnb, minlength=n_years
            ),
            "transport_spend": np.bincount(
                pair_year, weights=solution.placed * arrays.unit_transport, minlength=n_years
            ),
        }
    )
    ooa = arrays.out_of_area
    if ooa is not None:
        counted_values = new if ooa.new_only else solution.placed
        frame["out_of_area"] = np.bincount(
            pair_year[ooa.pairs], weights=counted_values[ooa.pairs], minlength=n_years
        )
        frame["out_of_area_cap"] = ooa.cap
        frame["out_of_area_target_missed"] = [solution.over_cap.get(y, 0.0) for y in range(n_years)]
    if arrays.budget is not None:
        frame["budget"] = arrays.budget.limit
    frame["displaced"] = (
        np.bincount(
            pair_year[arrays.continuity.target],
            weights=solution.displaced,
            minlength=n_years,
        )
        if arrays.continuity is not None and len(arrays.continuity.target)
        else 0.0
    )
    return frame


def builds_table(arrays: AllocationArrays, allocation: Allocation) -> pd.DataFrame:
    """One row per capital option: whether and when it opens, its places, costs and use.

    Columns: ``option, decision, built, open_year, places, capital_cost,
    annualised_cost`` (£ a year), and ``served_<year>`` (children placed there each year).
    """
    cap = arrays.capital
    if cap is None:
        return pd.DataFrame(
            columns=[
                "option",
                "decision",
                "built",
                "open_year",
                "places",
                "capital_cost",
                "annualised_cost",
            ]
        )
    model = allocation.model
    b = model.matrix.columns["b"]
    chosen = np.round(allocation.solution.columns[b]) > 0.5
    used = allocation.capacity.set_index(["year", "setting"])["used"]
    rows = []
    for i, o in enumerate(cap.options):
        cols = np.flatnonzero((cap.col_option == i) & chosen)
        built = len(cols) > 0
        row: dict[str, object] = {
            "option": o.name,
            "decision": o.decision,
            "built": built,
            "open_year": int(cap.col_year[cols[0]]) if built else None,
            "places": o.places if built else 0,
            "capital_cost": o.capital_cost_gbp if built else 0.0,
            "annualised_cost": float(cap.annual_cost[i]) if built else 0.0,
        }
        for y in arrays.years:
            row[f"served_{y}"] = float(used.get((int(y), o.name), 0.0))
        rows.append(row)
    return pd.DataFrame(rows)
