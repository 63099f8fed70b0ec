"""The allocation over forecast sample paths: the plan's model solved again for each draw.

Each draw is one joint sample path of the EHC plan forecast (every need, age band and year
from the same path, :meth:`~sufficiency.forecast.result.DemandForecast.samples`); children
on SEN support keep their mean projection in every draw (they share places with children
with plans, and a fewer-plans lever moves each draw's plans to SEN support), and the draws'
counts are of children with plans. A face: the draws' demand goes through the same levers
and level shares as the mean (:mod:`sufficiency.model.draws`), the plan's model is solved
for it with only the demand changed, in a pool of workers (:mod:`sufficiency.solve.pool`,
:class:`~sufficiency.solve.draws.DemandResolver`), each capital option is played against
every draw (:mod:`sufficiency.postprocess.build_draws`), and the outcomes are kept as arrays
(:class:`~sufficiency.postprocess.draws.Draws`) and summarised as probabilities and
quantiles by :mod:`sufficiency.postprocess.draws`.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from ..blas_threads import one_blas_thread
from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..errors import SolveError
from ..forecast.result import DemandForecast
from ..model.canonical import canonical
from ..model.draws import demand_map, draw_by_draw, group_index
from ..model.levels import level_shares
from ..postprocess.build_draws import play_builds
from ..postprocess.draws import Draws, Uncertainty, collect_draws, summarise_draws
from ..solve.lp import build_model
from ..solve.pool import DrawModel, pool, submit
from .plan import Plan, plan_model

log = logging.getLogger(__name__)


def _draws_model(
    scenario: Scenario,
    inputs: Inputs,
    forecast: DemandForecast,
    plan: Plan,
    groups: pd.DataFrame,
) -> DrawModel:
    """The plan's model, with zero-demand groups added where some draw has children in
    cells the mean has none in (built, not solved: the builds are fixed at the plan's)."""
    values = plan.allocation.solution.columns
    matrix = plan.allocation.model.matrix
    if group_index(plan.arrays.groups, groups, plan.arrays.segments)[2] <= 0:
        return DrawModel(plan.arrays, matrix, values)
    made = plan_model(
        scenario, inputs, forecast.frame, extra_groups=groups, sen_support=plan.sen_support_forecast
    )
    model = build_model(made.arrays)
    extended = np.zeros(model.matrix.n_cols)
    if model.matrix.integer.any():
        # capital options do not depend on demand: the same build columns, in the same order
        old, new = matrix.columns["b"], model.matrix.columns["b"]
        if old.stop - old.start != new.stop - new.start:
            raise SolveError("the draws' model has other capital options than the plan's")
        extended[new] = values[old]
    return DrawModel(made.arrays, model.matrix, extended)


@one_blas_thread()
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
        plan: The plan for the mean forecast (its model and build decisions are reused;
            the model is built again with extra, zero-demand groups when some draws have
            children in cells the mean has none in).
        n_draws: Number of sample paths.
        seed: Seed of the draws' generator: the same seed gives the same draws.
        workers: Processes solving draws side by side (each solve starts from the
            solution of the plan's demand, so the answer does not depend on how draws are
            shared out).

    Returns:
        Every draw's outcomes by year (see :class:`~sufficiency.postprocess.draws.Draws`).

    Raises:
        SolveError: If a draw's allocation cannot be solved.
    """
    start = time.perf_counter()
    with pool(workers if n_draws > 1 else 1) as workers_pool:
        inputs = canonical(inputs)
        shares = level_shares(inputs.caseload, inputs.settings, scenario.base_year)
        paths = forecast.samples(n_draws, np.random.default_rng(seed))
        # children on SEN support: their mean in every draw (only plans are drawn)
        sen, sen_levels = plan.sen_support_forecast, plan.sen_support_levels
        demands = demand_map(scenario, inputs, paths, shares, plan.rates, sen, sen_levels)
        if demands is None:
            demands = draw_by_draw(scenario, inputs, paths, shares, plan.rates, sen, sen_levels)
        model = _draws_model(scenario, inputs, forecast, plan, demands.groups())
        arrays = model.arrays
        vectors = demands.vectors(arrays.groups, arrays.segments)
        limit = scenario.allocation.time_limit_seconds
        solved = submit(model, vectors, limit, workers_pool, workers)()
        builds = play_builds(model, vectors, solved, limit, workers_pool, workers)
    out = collect_draws(arrays, vectors, solved, demands, n_draws)
    out.builds = builds
    out.seconds = time.perf_counter() - start
    log.info("allocated %d demand draws in %.1fs", n_draws, out.seconds)
    return out


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
    return summarise_draws(draws, seed, plan.arrays.market, draws.builds)
