"""Scenario levers turned into data: changed demand, places and costs, caps and budgets."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.levers import (
    BudgetLever,
    CostChange,
    DemandShock,
    FewerPlansLever,
    InclusionLever,
    OutOfAreaLever,
    SettingChange,
)
from ..data.inputs import Inputs
from ..errors import Problem, ScenarioError
from .stock import CarryRates, Continuity


def _matches(frame: pd.DataFrame, needs: Sequence[str], bands: Sequence[str]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    if needs:
        mask &= frame["need"].astype(str).isin(needs).to_numpy()
    if bands:
        mask &= frame["age_band"].astype(str).isin(bands).to_numpy()
    return mask


def apply_demand_shocks(frame: pd.DataFrame, shocks: Sequence[DemandShock]) -> pd.DataFrame:
    """Multiply projected children (``mean``, ``lower``, ``upper``) by each shock from its year.

    Shocks compound where they overlap.
    """
    out = frame.copy()
    for shock in shocks:
        mask = _matches(out, shock.needs, shock.age_bands) & (
            out["year"].to_numpy() >= shock.from_year
        )
        for col in ("mean", "lower", "upper"):
            if col in out.columns:
                out.loc[mask, col] = out.loc[mask, col] * shock.multiplier
    return out


#: Columns that name a demand group (:data:`~sufficiency.model.demand.GROUP_KEYS`).
DEMAND_KEYS = ["year", "provision", "need", "age_band", "level"]


def _turnover(rows: pd.DataFrame, rates: CarryRates | None, from_year: int) -> np.ndarray:
    """Share of each row's caseload placed since ``from_year``: ``1 − stay^(y − from + 1)``."""
    needs = list(taxonomy.NEEDS)
    bands = list(taxonomy.AGE_BAND_LABELS)
    n_idx = rows["need"].astype(str).map(needs.index).to_numpy()
    b_idx = rows["age_band"].astype(str).map(bands.index).to_numpy()
    stay = rates.carry[n_idx, b_idx, b_idx] if rates is not None else np.zeros(len(rows))
    years_in = rows["year"].to_numpy() - from_year + 1
    return 1.0 - stay**years_in


def _summed(out: pd.DataFrame) -> pd.DataFrame:
    keys = [k for k in DEMAND_KEYS if k in out.columns]
    summed = (
        out.assign(need=out["need"].astype(str), age_band=out["age_band"].astype(str))
        .groupby(keys)["children"]
        .sum()
        .reset_index()
    )
    return summed[summed["children"] > 0].reset_index(drop=True)


def _provision(frame: pd.DataFrame) -> np.ndarray:
    if "provision" not in frame:
        return np.full(len(frame), "ehc_plan", dtype=object)
    return frame["provision"].astype(str).to_numpy()


def apply_inclusion(
    demand: pd.DataFrame, levers: Sequence[InclusionLever], rates: CarryRates | None
) -> pd.DataFrame:
    """Move a share of level-k demand to a lower level, as the caseload turns over.

    The lever applies to new placements of its provision (children with EHC plans by
    default): children already placed keep their level. In plan year y the share of a
    band's caseload placed since the lever started is ``1 − stay^(y − from_year + 1)``,
    where ``stay`` is the band's same-band carry rate (everyone, without continuity), so
    the moved demand is ``share × demand × (1 − stay^(y − from_year + 1))``.
    """
    out = demand.copy()
    for lever in levers:
        src = (
            _matches(out, lever.needs, lever.age_bands)
            & (out["level"].astype(str) == lever.from_level).to_numpy()
            & (out["year"].to_numpy() >= lever.from_year)
            & (_provision(out) == lever.provision)
        )
        if not src.any():
            continue
        rows = out[src]
        moved = lever.share * rows["children"].to_numpy() * _turnover(rows, rates, lever.from_year)
        out.loc[src, "children"] = rows["children"].to_numpy() - moved
        keep = [k for k in ("year", "provision", "need", "age_band") if k in rows]
        add = rows[keep].assign(level=lever.to_level, children=moved)
        out = pd.concat([out, add], ignore_index=True)
    return _summed(out)


def apply_fewer_plans(
    demand: pd.DataFrame, levers: Sequence[FewerPlansLever], rates: CarryRates | None
) -> pd.DataFrame:
    """Meet a share of new EHC plans at SEN support instead, as the caseload turns over.

    Children with plans at the lever's levels move to SEN support at the same level:
    ``share × demand × (1 − stay^(y − from_year + 1))`` in plan year y (as
    :func:`apply_inclusion`). The total of both provisions is unchanged.

    Args:
        demand: ``year, provision, need, age_band, level, children`` of both provisions.
        levers: The ``fewer_plans`` levers.
        rates: Carry-over rates (``stay``); None moves the whole share at once.
    """
    out = demand.copy()
    if "provision" not in out:
        out["provision"] = "ehc_plan"
    for lever in levers:
        src = (
            _matches(out, lever.needs, lever.age_bands)
            & out["level"].astype(str).isin(lever.levels).to_numpy()
            & (out["year"].to_numpy() >= lever.from_year)
            & (_provision(out) == "ehc_plan")
        )
        if not src.any():
            continue
        rows = out[src]
        moved = lever.share * rows["children"].to_numpy() * _turnover(rows, rates, lever.from_year)
        out.loc[src, "children"] = rows["children"].to_numpy() - moved
        add = rows[["year", "need", "age_band", "level"]].assign(
            provision="sen_support", children=moved
        )
        out = pd.concat([out, add], ignore_index=True)
    return _summed(out)


def apply_setting_changes(inputs: Inputs, changes: Sequence[SettingChange]) -> Inputs:
    """A copy of ``inputs`` whose dated place changes include the lever's changes (last wins).

    Raises:
        ScenarioError: Naming each lever entry whose setting is not in the register.
    """
    if not changes:
        return inputs
    known = set(inputs.settings["setting"])
    problems = [
        Problem(f"levers.settings[{i}].setting", f"{c.setting!r} is not in the settings register")
        for i, c in enumerate(changes)
        if c.setting not in known
    ]
    if problems:
        raise ScenarioError("invalid scenario", problems)
    out = copy.copy(inputs)
    extra = pd.DataFrame(
        {
            "setting": [c.setting for c in changes],
            "year": [c.from_year for c in changes],
            "places": [float(c.places) for c in changes],
        }
    )
    out.setting_places = pd.concat([inputs.setting_places, extra], ignore_index=True)
    return out


def cost_factors(
    settings: pd.DataFrame, years: np.ndarray, changes: Sequence[CostChange]
) -> tuple[np.ndarray, np.ndarray]:
    """Factors on place and transport costs by plan year and setting, shape (Y, S) each."""
    place = np.ones((len(years), len(settings)))
    transport = np.ones((len(years), len(settings)))
    tiers = settings["tier"].astype(str).to_numpy()
    in_area = settings["in_area"].to_numpy(dtype=bool)
    for c in changes:
        cols = np.ones(len(settings), dtype=bool)
        if c.tiers:
            cols &= np.isin(tiers, c.tiers)
        if c.in_area is not None:
            cols &= in_area == c.in_area
        active = years >= c.from_year
        # a running product from from_year (not a power): exact and the same on every CPU;
        # a lever that started before the plan years has already compounded `lead` times
        lead = max(int(years[0]) - c.from_year, 0)
        steps = np.concatenate(
            [np.full(lead, 1.0 + c.extra_inflation), np.where(active, 1.0 + c.extra_inflation, 1.0)]
        )
        grown = np.cumprod(steps)[lead:]
        row_factor = np.where(active, c.place_cost_factor * grown, 1.0)
        place[:, cols] *= row_factor[:, None]
        transport[:, cols] *= np.where(active, c.transport_factor, 1.0)[:, None]
    return place, transport


@dataclass
class OutOfAreaCap:
    """The out-of-area cap, per plan year.

    Attributes:
        settings: Settings whose children count towards the cap, boolean (S,).
        pairs: Pairs whose children count towards the cap, boolean (K,).
        cap: Children allowed per plan year, (Y,).
        base_count: Children counted in the base year.
        new_only: Whether the cap is on new placements (children carried over excluded).
        penalty: £ per child per year over the cap.
    """

    settings: np.ndarray
    pairs: np.ndarray
    cap: np.ndarray
    base_count: float
    new_only: bool
    penalty: float


def out_of_area_cap(
    lever: OutOfAreaLever,
    settings: pd.DataFrame,
    pair_setting: np.ndarray,
    stock: pd.DataFrame,
    base_year: int,
    years: np.ndarray,
    continuity: Continuity | None,
    pair_year: np.ndarray,
) -> OutOfAreaCap:
    """The cap ``(1 − reduce_by × glide(y)) × base count``, glide linear to ``by_year``.

    With ``applies_to: new`` the base count is the base year's implied new out-of-area
    placements: its out-of-area children less those who carry over into the first plan
    year.
    """
    counted = ~settings["in_area"].to_numpy(dtype=bool)
    if lever.independent_only:
        counted &= (settings["tier"].astype(str) == "independent").to_numpy()
    counted_ids = set(settings.loc[counted, "setting"])
    base = float(stock.loc[stock["setting"].isin(counted_ids), "children"].sum())
    pairs = counted[pair_setting]
    new_only = lever.applies_to == "new" and continuity is not None
    if new_only and continuity is not None:
        first = (pair_year[continuity.target] == 0) & pairs[continuity.target]
        base = max(base - float(continuity.const[first].sum()), 0.0)
    glide = np.clip((years - base_year) / (lever.by_year - base_year), 0.0, 1.0)
    cap = base * (1.0 - lever.reduce_by * glide)
    return OutOfAreaCap(counted, pairs, cap, base, new_only, lever.miss_penalty_gbp)


@dataclass
class Budget:
    """Per-year High Needs Block budgets, compared with spending after the allocation.

    Attributes:
        limit: £ per plan year, NaN where there is none, (Y,).
    """

    limit: np.ndarray


def budget_limits(lever: BudgetLever, years: np.ndarray) -> Budget:
    """The budget of each plan year."""
    first = int(years[0])
    limit = np.array([np.nan if (b := lever.for_year(int(y), first)) is None else b for y in years])
    return Budget(limit)
