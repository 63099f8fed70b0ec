"""The allocation over forecast sample paths: the plan's model solved again for each draw.

Each draw is one joint sample path of the EHC plan forecast (every need, age band and year
from the same path, :meth:`~sufficiency.forecast.result.DemandForecast.samples`); children
on SEN support keep their mean projection in every draw (they share places with children
with plans, and a fewer-plans lever moves each draw's plans to SEN support), and the draws'
counts are of children with plans. It goes
through the same levers and level shares as the mean, and the plan's model is solved for
it with only the demand changed (:class:`~sufficiency.solve.draws.DemandResolver`). The
outcomes of every draw are kept as arrays (:class:`~sufficiency.postprocess.draws.Draws`)
and summarised as probabilities and quantiles by :mod:`sufficiency.postprocess.draws`.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..errors import SolveError
from ..forecast.result import DemandForecast
from ..model.canonical import canonical
from ..model.levels import level_shares
from ..model.not_in_school import not_in_school_table
from ..postprocess.draws import Draws, Uncertainty, summarise_draws
from ..solve.draws import solve_demands
from .plan import GROUP_KEYS, Plan, scenario_demand
from .plan import plan as make_plan

log = logging.getLogger(__name__)

_KEYS = GROUP_KEYS


def _group_index(groups: pd.DataFrame, demand: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Position in ``groups`` of each row of ``demand`` (-1 where the model has no such
    group), and the children of rows without one."""
    text = {"provision": str, "need": str, "age_band": str, "level": str}
    left = demand[_KEYS].astype(text)
    right = groups[_KEYS].astype(text)
    right = right.assign(_g=np.arange(len(right)))
    pos = left.merge(right, on=_KEYS, how="left")["_g"].to_numpy()
    pos = np.where(np.isnan(pos), -1, pos).astype(np.int64)
    return pos, float(demand["children"].to_numpy()[pos < 0].sum())


def allocate_draws(
    scenario: Scenario,
    inputs: Inputs,
    forecast: DemandForecast,
    plan: Plan,
    n_draws: int,
    seed: int,
    workers: int = 1,
) -> Draws:
    """Allocate ``n_draws`` sample paths of the forecast with the plan's model.

    Args:
        scenario: The resolved scenario (levers, allocation options, years).
        inputs: The validated inputs the plan was made from.
        forecast: The EHC plan forecast with its sample paths.
        plan: The plan for the mean forecast (its model and solution are reused; made
            again with extra, zero-demand groups when some draws have children in cells
            the mean has none in).
        n_draws: Number of sample paths.
        seed: Seed of the draws' generator: the same seed gives the same draws.
        workers: Processes solving draws side by side (each solve starts from scratch,
            so the answer does not depend on how draws are shared out).

    Returns:
        Every draw's outcomes by year (see :class:`~sufficiency.postprocess.draws.Draws`).

    Raises:
        SolveError: If a draw's allocation cannot be solved.
    """
    start = time.perf_counter()
    inputs = canonical(inputs)
    shares = level_shares(inputs.caseload, inputs.settings, scenario.base_year)
    paths = forecast.samples(n_draws, np.random.default_rng(seed))
    sen = plan.sen_support_forecast  # children on SEN support: their mean in every draw
    demands = [
        scenario_demand(
            scenario,
            path.rename(columns={"children": "mean"}),
            shares,
            plan.rates,
            sen,
            plan.sen_support_levels,
        )
        for _, path in paths.groupby("sample", sort=True)
    ]
    every = pd.concat([d for d, _ in demands], ignore_index=True)
    if _group_index(plan.arrays.groups, every)[1] > 0:
        # some draws have children in cells the mean has none in: give the model those groups
        plan = make_plan(scenario, inputs, forecast.frame, extra_groups=every, sen_support=sen)
    arrays = plan.arrays
    vectors = np.zeros((n_draws, len(arrays.groups)))
    for i, (demand, _) in enumerate(demands):
        pos, outside = _group_index(arrays.groups, demand)
        if outside > 0:  # cannot happen: the model was given every draw's groups
            raise SolveError(f"draw {i} has {outside:.3g} children outside the model")
        vectors[i] = np.bincount(
            pos, weights=demand["children"].to_numpy(float), minlength=len(arrays.groups)
        )
    solved = _solve(plan, vectors, scenario.allocation.time_limit_seconds, workers)
    years = arrays.years
    n_years, n_settings = arrays.capacity.shape
    out = Draws.empty(n_draws, years, arrays)
    market = arrays.pair_setting == arrays.market if arrays.market is not None else None
    group_level = np.array([taxonomy.TIERS.index(str(v)) for v in arrays.groups["level"]])
    group_need = np.array([taxonomy.NEEDS.index(str(v)) for v in arrays.groups["need"]])
    pair_cell = arrays.pair_year * n_settings + arrays.pair_setting
    on_plan = arrays.group_ehc
    opts = scenario.allocation
    k = arrays.n_pairs
    for i, (vector, (_, not_placed)) in enumerate(zip(vectors, demands, strict=True)):
        x, u = np.maximum(solved[i, :k], 0.0), np.maximum(solved[i, k:], 0.0)
        nis = not_in_school_table(
            not_placed, opts.not_in_school, inputs.cost_assumptions, scenario.base_year, list(years)
        )
        nis_cost = nis.groupby("year")["hnb_cost"].sum().reindex(years, fill_value=0.0)
        y = arrays.pair_year
        out.children[i] = np.bincount(
            arrays.group_year, weights=vector * on_plan, minlength=n_years
        )
        out.sen_support[i] = np.bincount(
            arrays.group_year, weights=vector * ~on_plan, minlength=n_years
        )
        out.not_placed[i] = nis.groupby("year")["children"].sum().reindex(years, fill_value=0.0)
        out.no_place[i] = np.bincount(arrays.group_year, weights=u * on_plan, minlength=n_years)
        out.hnb_cost[i] = np.bincount(y, weights=x * arrays.unit_hnb, minlength=n_years) + nis_cost
        out.transport_cost[i] = np.bincount(y, weights=x * arrays.unit_transport, minlength=n_years)
        out.school_cost[i] = np.bincount(y, weights=x * arrays.unit_school, minlength=n_years)
        out.placed[i] = np.bincount(pair_cell, weights=x, minlength=n_years * n_settings).reshape(
            n_years, n_settings
        )
        if market is not None:
            g = arrays.pair_group[market]
            xm = x[market]
            out.market[i] = np.bincount(y[market], weights=xm, minlength=n_years)
            np.add.at(out.market_by_level[i], (y[market], group_level[g]), xm)
            np.add.at(out.market_by_need[i], (y[market], group_need[g]), xm)
        np.add.at(out.no_place_by_level[i], (arrays.group_year, group_level), u * on_plan)
        np.add.at(out.no_place_by_need[i], (arrays.group_year, group_need), u * on_plan)
    out.seconds = time.perf_counter() - start
    log.info("allocated %d demand draws in %.1fs", n_draws, out.seconds)
    return out


def _solve(plan: Plan, vectors: np.ndarray, time_limit: float, workers: int) -> np.ndarray:
    """Each draw's ``x`` and ``u`` values, in this process or shared among ``workers``
    processes (started with ``spawn``: no fork of a threaded process)."""
    model = plan.allocation.model
    args = (plan.arrays, model.matrix, plan.allocation.solution.columns)
    if workers <= 1 or len(vectors) < 2:
        return solve_demands(*args, vectors, time_limit)
    chunks = np.array_split(vectors, min(workers, len(vectors)))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        parts = [pool.submit(solve_demands, *args, chunk, time_limit) for chunk in chunks]
        return np.concatenate([p.result() for p in parts])


def uncertainty(
    scenario: Scenario, inputs: Inputs, forecast: DemandForecast, plan: Plan
) -> Uncertainty:
    """The allocation over the scenario's ``uncertainty.draws`` forecast draws, summarised.

    Seeded by ``uncertainty.seed`` (the scenario's seed when not given), shared among
    ``uncertainty.workers`` processes; see :func:`allocate_draws` and
    :func:`~sufficiency.postprocess.draws.summarise_draws`.

    Raises:
        SolveError: If a draw's allocation cannot be solved.
    """
    opts = scenario.uncertainty
    seed = scenario.seed if opts.seed is None else opts.seed
    draws = allocate_draws(scenario, inputs, forecast, plan, opts.draws, seed, opts.workers)
    return summarise_draws(draws, seed, plan.arrays.market)
