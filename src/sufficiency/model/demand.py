"""A scenario's demand: projected plans (and SEN support) by level, with the levers applied.

:func:`scenario_demand` is the one path from a forecast to the children the model places;
the plan (:mod:`sufficiency.allocate.plan`) and the draws' demand map
(:mod:`sufficiency.model.draws`) both go through it.
"""

from __future__ import annotations

import pandas as pd

from ..config.schema import Scenario
from ..data.inputs import Inputs
from .levels import NOT_IN_SCHOOL_LEVELS, demand_by_level
from .levers import DEMAND_KEYS, apply_demand_shocks, apply_fewer_plans, apply_inclusion
from .not_in_school import not_in_school_table
from .sen_support import sen_support_demand, sen_support_levels
from .stock import CarryRates

__all__ = ["GROUP_KEYS", "costed_not_placed", "scenario_demand", "with_groups"]


def scenario_demand(
    scenario: Scenario,
    forecast: pd.DataFrame,
    shares: pd.DataFrame,
    rates: CarryRates,
    sen_support: pd.DataFrame | None = None,
    sen_levels: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projected EHC plans (and SEN support) turned into the scenario's demand by level.

    Applies demand shocks to plans, splits them by level with the base-year shares, sets
    apart children not in a school or college, adds children on SEN support by level
    (:func:`~sufficiency.model.sen_support.sen_support_demand`, when given and
    ``allocation.sen_support.enabled``), then applies the fewer-plans and inclusion levers.

    Args:
        scenario: The resolved scenario (its demand and inclusion levers are used).
        forecast: Projected EHC plans: ``year, need, age_band, mean``.
        shares: Level shares (:func:`~sufficiency.model.levels.level_shares`).
        rates: Carry-over rates (:func:`~sufficiency.model.stock.carry_rates`).
        sen_support: Projected children on SEN support (``year, need, age_band, mean``).
        sen_levels: Their level mix (:func:`~sufficiency.model.sen_support.sen_support_levels`;
            the default mix when None).

    Returns:
        ``(demand, not_placed)``: children to place (``year, provision, need, age_band,
        level, children``) and children with plans not in a school or college
        (``year, need, age_band, level, children``).
    """
    levers = scenario.levers
    by_level = demand_by_level(apply_demand_shocks(forecast, levers.demand), shares)
    out_of_school = by_level["level"].isin(NOT_IN_SCHOOL_LEVELS)
    not_placed = by_level[out_of_school].reset_index(drop=True)
    demand = by_level[~out_of_school].reset_index(drop=True).assign(provision="ehc_plan")
    options = scenario.allocation.sen_support
    if sen_support is not None and options.enabled:
        if sen_levels is None:
            sen_levels = sen_support_levels(None, pd.DataFrame(), options)
        on_support = sen_support_demand(sen_support, sen_levels)
        demand = pd.concat([demand, on_support], ignore_index=True)
    demand = apply_fewer_plans(demand, levers.fewer_plans, rates)
    demand = apply_inclusion(demand, levers.inclusion, rates)
    return demand[[*GROUP_KEYS, "children"]], not_placed


#: Columns that name a demand group (one list: add a key here and in the frames' makers).
GROUP_KEYS = DEMAND_KEYS


def costed_not_placed(scenario: Scenario, inputs: Inputs, not_placed: pd.DataFrame) -> pd.DataFrame:
    """Children with plans not in a school or college, by arrangement and costed with the
    scenario's options (:func:`~sufficiency.model.not_in_school.not_in_school_table`)."""
    return not_in_school_table(
        not_placed,
        scenario.allocation.not_in_school,
        inputs.cost_assumptions,
        scenario.base_year,
        list(scenario.plan_years),
    )


def with_groups(demand: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """``demand`` with a zero row for every group of ``groups`` it does not have."""
    have = demand[GROUP_KEYS].astype(str).apply(tuple, axis=1)
    want = groups[GROUP_KEYS].drop_duplicates()
    missing = ~want.astype(str).apply(tuple, axis=1).isin(set(have))
    if not missing.any():
        return demand
    add = want[missing.to_numpy()].assign(children=0.0)
    return pd.concat([demand, add], ignore_index=True).sort_values(GROUP_KEYS, ignore_index=True)
