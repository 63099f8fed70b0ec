"""Checks of the allocation contract, shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sufficiency import taxonomy
from sufficiency.results import Result

#: A demand group: per provision (with an EHC plan, on SEN support), year, need, band, level.
KEYS = ["year", "provision", "need", "age_band", "level"]
GAP = ["children", "market", "no_place", "kept_in_mainstream"]


def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "provision" not in out:
        out["provision"] = "ehc_plan"
    for k in ("provision", "need", "age_band", "level"):
        out[k] = out[k].astype(str)
    return out


def check_conservation(result: Result, tol: float = 1e-6) -> None:
    """Placed (commissioned places, market and the SEN-support catch-all) + no place =
    demand per provision and group; gap = market + none + kept in mainstream."""
    demand = _key_frame(result.demand).groupby(KEYS)["children"].sum()
    placements = _key_frame(result.placements)
    placed = placements.groupby(KEYS)["children"].sum()
    gap = _key_frame(result.shortfall).groupby(KEYS)[GAP].sum()
    total = placed.add(gap["no_place"], fill_value=0.0).reindex(demand.index, fill_value=0.0)
    assert np.allclose(total.to_numpy(), demand.to_numpy(), atol=tol, rtol=0)
    extra = set(placed.index).union(gap.index) - set(demand.index)
    assert not extra, f"placements for groups without demand: {sorted(extra)[:5]}"
    market = placements[placements["setting"] == "MARKET"].groupby(KEYS)["children"].sum()
    market = market.reindex(gap.index, fill_value=0.0)
    assert np.allclose(market.to_numpy(), gap["market"].to_numpy(), atol=tol)
    kept = placements[placements["setting"] == "MAINSTREAM"].groupby(KEYS)["children"].sum()
    kept = kept.reindex(gap.index, fill_value=0.0)
    assert np.allclose(kept.to_numpy(), gap["kept_in_mainstream"].to_numpy(), atol=tol)
    assert np.allclose(
        gap["children"], gap["market"] + gap["no_place"] + gap["kept_in_mainstream"], atol=tol
    )
    # the market takes children with plans only; the catch-all children on SEN support only
    on_plan = placements["provision"] == "ehc_plan"
    assert not (on_plan & (placements["setting"] == "MAINSTREAM")).any()
    assert not (~on_plan & (placements["setting"] == "MARKET")).any()
    if result.extras["arrays"].market is not None:
        assert gap["no_place"].sum() <= tol, "the market is on: every child has a place"
    parts = placements["place_funding_cost"] + placements["top_up_cost"] + placements["fee_cost"]
    assert np.allclose(parts, placements["hnb_cost"], rtol=1e-12, atol=1e-6)
    assert (placements[["place_funding_cost", "top_up_cost", "fee_cost"]] >= -1e-9).all().all()
    council = placements["hnb_cost"] + placements["transport_cost"]
    assert np.allclose(council, placements["total_cost"], rtol=1e-12, atol=1e-6)
    everyone = placements["total_cost"] + placements["school_cost"]
    assert np.allclose(everyone, placements["all_payers_cost"], rtol=1e-12, atol=1e-6)
    # schools pay only for children on SEN support
    assert (placements.loc[on_plan, "school_cost"].abs() <= 1e-9).all()
    assert np.allclose(
        placements["children"] * placements["unit_cost"], placements["all_payers_cost"], rtol=1e-9
    )


def check_capacity(result: Result, tol: float = 1e-6) -> None:
    cap = result.capacity
    limited = cap[cap["places"].notna()]
    assert (limited["used"] <= limited["places"] + tol).all()
    used = _key_frame(result.placements).groupby(["year", "setting"])["children"].sum()
    recorded = cap.set_index(["year", "setting"])["used"].reindex(used.index)
    assert np.allclose(used.to_numpy(), recorded.to_numpy(), atol=tol)


def check_eligibility(result: Result, settings: pd.DataFrame) -> None:
    """Need, age and tier ≥ level; children on SEN support only where the register says
    the setting takes them (by tier by default), and at any level only in the catch-all."""
    register = settings.copy()
    default = register["tier"].astype(str).isin(taxonomy.SEN_SUPPORT_TIERS)
    if "takes_sen_support" in register:
        given = register["takes_sen_support"]
        register["takes"] = np.where(given.isna(), default, given.fillna(False).astype(bool))
    else:
        register["takes"] = default
    p = _key_frame(result.placements).merge(
        register[["setting", "needs", "age_min", "age_max", "tier", "takes"]].rename(
            columns={"tier": "setting_tier"}
        ),
        on="setting",
    )
    every_need = set(taxonomy.EHCP_NEEDS)
    for row in p.itertuples():
        lo, hi = taxonomy.band_ages(row.age_band)
        on_plan = row.provision == "ehc_plan"
        nsa_ok = not on_plan and row.need == "NSA" and every_need <= set(row.needs)
        assert row.need in row.needs or nsa_ok, row
        assert row.age_min <= hi and row.age_max >= lo, row
        catch_all = row.setting == "MAINSTREAM"
        assert catch_all or (
            taxonomy.TIER_NUMBER[str(row.setting_tier)] >= taxonomy.TIER_NUMBER[row.level]
        )
        assert on_plan or bool(row.takes), row
        assert str(row.setting_tier) == str(row.tier)


def check_single_age_eligibility(result: Result, tol: float = 1e-9) -> None:
    """Every child placed is in a setting that takes every age of their age segment."""
    arrays = result.extras["arrays"]
    placed = result.extras["plan"].allocation.solution.placed
    segment = arrays.groups["age_segment"].astype(str).to_numpy()[arrays.pair_group]
    first = np.array([int(s.split("-")[0]) for s in segment], dtype=int)
    last = np.array([int(s.split("-")[-1]) for s in segment], dtype=int)
    amin = arrays.settings["age_min"].to_numpy(dtype=int)[arrays.pair_setting]
    amax = arrays.settings["age_max"].to_numpy(dtype=int)[arrays.pair_setting]
    used = placed > tol
    assert (amin[used] <= first[used]).all() and (amax[used] >= last[used]).all()
    # a band's segments share their unit costs, so the tables by band can add them up
    costs = _key_frame(result.costs).groupby([*KEYS, "setting"])["unit_cost"]
    assert ((costs.max() - costs.min()).abs() <= 1e-6).all()


def check_all(result: Result) -> None:
    check_conservation(result)
    check_capacity(result)
    check_eligibility(result, result.extras["arrays"].settings)
    check_single_age_eligibility(result)


def check_continuity(result: Result, tol: float = 1e-6) -> None:
    """Continuing children stay in their setting unless displaced; status agrees."""
    plan = result.extras["plan"]
    cont = plan.arrays.continuity
    if cont is None or not len(cont.target):
        return
    sol = plan.allocation.solution
    carried = cont.carried(sol.placed)
    assert (sol.placed[cont.target] + sol.displaced >= carried - tol).all()
    cont_by_pair = result.placements[result.placements["status"] == "continuing"]["children"].sum()
    assert cont_by_pair <= carried.sum() + tol


def check_out_of_area(result: Result, tol: float = 1e-6) -> None:
    """Children counted by the out-of-area cap ≤ cap + the reported miss, every year."""
    policy = result.extras["plan"].allocation.policy
    if "out_of_area_cap" not in policy:
        return
    over = policy["out_of_area"] - policy["out_of_area_cap"] - policy["out_of_area_target_missed"]
    assert (over <= tol * (1 + policy["out_of_area_cap"].abs())).all()
