"""The allocation stage's face: model → solve → postprocess for one scenario.

:func:`plan` applies a scenario's levers to projected demand and builds the model data
(:mod:`sufficiency.model`), :func:`allocate` builds and solves the linear programme
(:mod:`sufficiency.solve`) and turns the solution into tables
(:mod:`sufficiency.postprocess`), and :func:`value_builds` values each capital build by
solving again without it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd

from ..blas_threads import one_blas_thread
from ..config.capital import Capital
from ..config.levers import Levers
from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..model.arrays import AllocationArrays, build_arrays
from ..model.canonical import canonical
from ..model.capital import active_options, add_capital_settings, capital_arrays
from ..model.demand import costed_not_placed, scenario_demand, with_groups
from ..model.levels import level_shares
from ..model.levers import (
    apply_setting_changes,
    budget_limits,
    out_of_area_cap,
)
from ..model.market import add_market
from ..model.sen_support import add_mainstream, sen_support_levels
from ..model.stock import CarryRates, base_stock, carry_rates, continuity_arrays
from ..postprocess.allocation import Allocation, builds_table, tables
from ..postprocess.capital import Without, capital_value
from ..solve.beside import Beside
from ..solve.lp import build_model, costs_without, solve_model

if TYPE_CHECKING:
    from ..solve.engines import Basis


@one_blas_thread()
def allocate(
    arrays: AllocationArrays,
    *,
    solver: str = "auto",
    time_limit: float = 60.0,
    fallback: bool = True,
    basis: Basis | None = None,
    place_values: bool = True,
) -> Allocation:
    """Place every demand group at least cost within places, counting what cannot be placed.

    Args:
        arrays: Output of :func:`~sufficiency.model.arrays.build_arrays`.
        solver: ``auto``, ``highs``, ``cbc``, ``pulp-highs`` or ``pulp-cbc``.
        time_limit: Seconds per solve.
        fallback: Try the other engine if the first fails.
        basis: An optimal basis of the same model with other bounds (a capital plan's
            before an option was ruled out) its capital steps may start from.
        place_values: Find the value of one more place in pounds (a money-only re-solve);
            False leaves capacity's ``value_per_place`` NaN.

    Returns:
        The allocation tables.

    Raises:
        SolveError: If the model cannot be solved to optimality.
    """
    t0 = time.perf_counter()
    model = build_model(arrays)
    t1 = time.perf_counter()
    solution = solve_model(
        model,
        solver=solver,
        time_limit=time_limit,
        fallback=fallback,
        basis=basis,
        place_values=place_values,
    )
    t2 = time.perf_counter()
    return tables(arrays, model, solution, {"build": t1 - t0, "solve": t2 - t1})


@dataclass
class Plan:
    """An allocation with the demand behind it.

    Attributes:
        demand: Children to place: ``year, provision, need, age_band, level, children``
            (``provision``: ``ehc_plan`` or ``sen_support``).
        not_placed: Children with plans not in a school or college, same columns (level =
            their arrangement).
        not_in_school: The same by arrangement, costed
            (:func:`~sufficiency.model.not_in_school.not_in_school_table`).
        builds: Capital options with what each built one saves (:func:`value_builds`).
        arrays: The cost arrays and constraint data.
        allocation: The solved allocation.
        stock: Base-year placements that seed continuity.
        rates: Carry-over rates used for continuity and the inclusion lever.
        timings: Seconds per stage (``arrays``, ``build``, ``solve``).
        solver: Engine asked for (``allocation.solver``); re-solves use it too.
        time_limit: Seconds per solve (``allocation.time_limit_seconds``).
        fallback: Whether other engines are tried (``allocation.fallback_solver``).
        sen_support_forecast: Projected children on SEN support the plan placed
            (``year, need, age_band, mean``), or None.
        sen_support_levels: Their level mix
            (:func:`~sufficiency.model.sen_support.sen_support_levels`), or None.
    """

    demand: pd.DataFrame
    not_placed: pd.DataFrame
    not_in_school: pd.DataFrame
    arrays: AllocationArrays
    allocation: Allocation
    stock: pd.DataFrame
    rates: CarryRates
    builds: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    sen_support_forecast: pd.DataFrame | None = None
    sen_support_levels: pd.DataFrame | None = None


@dataclass
class PlanModel:
    """What a plan allocates, before it is solved: the demand and the model's arrays.

    Attributes:
        demand: Children to place (see :class:`Plan`).
        not_placed: Children with plans not in a school or college.
        not_in_school: The same by arrangement, costed.
        arrays: The cost arrays and constraint data.
        stock: Base-year placements that seed continuity.
        rates: Carry-over rates.
        sen_support_levels: The level mix of children on SEN support, or None.
        seconds: Time taken to make it.
    """

    demand: pd.DataFrame
    not_placed: pd.DataFrame
    not_in_school: pd.DataFrame
    arrays: AllocationArrays
    stock: pd.DataFrame
    rates: CarryRates
    sen_support_levels: pd.DataFrame | None
    seconds: float


@dataclass(frozen=True)
class _Before:
    """What a plan's model takes from the inputs before any lever: the same for a scenario
    and its unmitigated plan, so made once for both (see :func:`_before`)."""

    inputs: Inputs
    shares: pd.DataFrame
    rates: CarryRates
    sen_levels: pd.DataFrame | None
    seconds: float


def _before(scenario: Scenario, inputs: Inputs) -> _Before:
    """The inputs in canonical row order (the same model, whatever the order of the input
    rows), the base year's levels, the carry rates and the SEN support levels."""
    t0 = time.perf_counter()
    inputs = canonical(inputs)
    return _Before(
        inputs=inputs,
        shares=level_shares(inputs.caseload, inputs.settings, scenario.base_year),
        rates=carry_rates(inputs, scenario.base_year, scenario.forecast.history_start),
        sen_levels=sen_support_levels(
            inputs.sen_support_placements, inputs.settings, scenario.allocation.sen_support
        ),
        seconds=time.perf_counter() - t0,
    )


def plan_model(
    scenario: Scenario,
    inputs: Inputs,
    forecast: pd.DataFrame,
    extra_groups: pd.DataFrame | None = None,
    sen_support: pd.DataFrame | None = None,
) -> PlanModel:
    """The scenario's demand after its levers, and the arrays of the model that places it
    (see :func:`plan`, which solves it; the arguments are the same).

    Raises:
        ScenarioError: If a lever names something the inputs do not have.
    """
    return _plan_model(scenario, _before(scenario, inputs), forecast, extra_groups, sen_support)


def _plan_model(
    scenario: Scenario,
    before: _Before,
    forecast: pd.DataFrame,
    extra_groups: pd.DataFrame | None = None,
    sen_support: pd.DataFrame | None = None,
) -> PlanModel:
    """:func:`plan_model` from what :func:`_before` made of the inputs (its time counted in
    the model's ``seconds``, by each plan that uses it)."""
    t0 = time.perf_counter()
    inputs, rates = before.inputs, before.rates
    levers = scenario.levers
    opts = scenario.allocation
    years = scenario.plan_years
    demand, not_placed = scenario_demand(
        scenario, forecast, before.shares, rates, sen_support, before.sen_levels
    )
    if extra_groups is not None:
        demand = with_groups(demand, extra_groups)
    inputs = apply_setting_changes(inputs, levers.settings)
    inputs = add_capital_settings(inputs, scenario.capital)
    if opts.market.enabled:
        inputs = add_market(inputs, opts.market)
    if (demand["provision"] == "sen_support").any():
        inputs = add_mainstream(inputs)
    arrays = build_arrays(
        demand,
        inputs,
        base_year=scenario.base_year,
        years=years,
        unmet_penalty=opts.unmet_penalty_gbp,
        cost_changes=levers.costs,
        market=opts.market.prices if opts.market.enabled else None,
        sen_support=opts.sen_support,
    )
    stock = base_stock(inputs, scenario.base_year)
    if opts.continuity:
        arrays.continuity = continuity_arrays(
            arrays.groups,
            arrays.settings,
            arrays.pair_group,
            arrays.pair_setting,
            arrays.group_year,
            stock,
            rates,
            opts.displacement_penalty_gbp,
            segments=arrays.segments,
        )
    if levers.out_of_area is not None:
        arrays.out_of_area = out_of_area_cap(
            levers.out_of_area,
            arrays.settings,
            arrays.pair_setting,
            stock,
            scenario.base_year,
            arrays.years,
            arrays.continuity,
            arrays.pair_year,
        )
        arrays.out_of_area.pairs &= arrays.group_ehc[arrays.pair_group]  # plans only
    if levers.budget is not None:
        arrays.budget = budget_limits(levers.budget, arrays.years)
    arrays.capital = capital_arrays(
        scenario.capital, arrays.settings, arrays.years, scenario.base_year
    )
    return PlanModel(
        demand=demand,
        not_placed=not_placed,
        not_in_school=costed_not_placed(scenario, inputs, not_placed),
        arrays=arrays,
        stock=stock,
        rates=rates,
        sen_support_levels=before.sen_levels,
        seconds=before.seconds + time.perf_counter() - t0,
    )


@one_blas_thread()
def plan(
    scenario: Scenario,
    inputs: Inputs,
    forecast: pd.DataFrame,
    extra_groups: pd.DataFrame | None = None,
    sen_support: pd.DataFrame | None = None,
    place_values: bool = True,
) -> Plan:
    """Apply the scenario's levers to projected demand and allocate it.

    Args:
        scenario: The resolved scenario (its levers and allocation options are used).
        inputs: Validated inputs (put in canonical row order first, see
            :func:`~sufficiency.model.canonical.canonical`).
        forecast: Projected EHC plans: ``year, need, age_band, mean``.
        extra_groups: Demand groups (:data:`~sufficiency.model.demand.GROUP_KEYS`) to give
            the model even where
            ``forecast`` has no children, with zero demand (so that other demands, e.g.
            forecast draws, can be placed by the same model).
        sen_support: Projected children on SEN support (``year, need, age_band, mean``),
            placed too unless ``allocation.sen_support.enabled`` is false.
        place_values: Find the value of one more place in pounds (see :func:`allocate`).

    Returns:
        The plan.

    Raises:
        ScenarioError: If a lever names something the inputs do not have.
        SolveError: If the model cannot be solved.
    """
    made = plan_model(scenario, inputs, forecast, extra_groups, sen_support)
    return _solved(scenario, made, sen_support, place_values)


def _solved(
    scenario: Scenario,
    made: PlanModel,
    sen_support: pd.DataFrame | None,
    place_values: bool,
) -> Plan:
    """The plan of a model made by :func:`plan_model` (see :func:`plan`)."""
    opts = scenario.allocation
    allocation, builds = _allocate_builds(
        made.arrays, opts.solver, opts.time_limit_seconds, opts.fallback_solver, place_values
    )
    return Plan(
        demand=made.demand,
        not_placed=made.not_placed,
        not_in_school=made.not_in_school,
        arrays=made.arrays,
        allocation=allocation,
        stock=made.stock,
        rates=made.rates,
        builds=builds,
        timings={"arrays": made.seconds, **allocation.timings},
        sen_support_forecast=sen_support,
        sen_support_levels=made.sen_support_levels,
    )


def _unmitigated(
    baseline: Scenario,
    before: _Before,
    forecast: pd.DataFrame,
    sen_support: pd.DataFrame | None,
    place_values: bool,
) -> Plan:
    """The unmitigated plan (``baseline``: the scenario without levers or options) from
    what the plan's inputs gave before any lever."""
    made = _plan_model(baseline, before, forecast, sen_support=sen_support)
    return _solved(baseline, made, sen_support, place_values)


#: Placement pairs (a demand group and a setting it may use, each year) from which the
#: unmitigated plan is solved in a thread beside the plan rather than after it. A model's
#: solves hold no interpreter lock, so large models gain from the overlap; a small model is
#: mostly pandas work, and two threads of it slow each other through the interpreter lock
#: (20 generated boroughs of a few settings with a lever: 11.1 s of CPU beside, 8.9 s after).
BESIDE_MIN_PAIRS = 2_000


def plan_and_unmitigated(
    scenario: Scenario,
    inputs: Inputs,
    forecast: pd.DataFrame,
    sen_support: pd.DataFrame | None = None,
    place_values: bool = True,
) -> tuple[Plan, Plan | None]:
    """:func:`plan`, and where the scenario has levers or capital options the same demand
    planned without them (the unmitigated plan).

    Once the plan's model is made, the unmitigated plan is solved in a thread beside it
    (:class:`~sufficiency.solve.beside.Beside`) if the model has at least
    :data:`BESIDE_MIN_PAIRS` placement pairs, and after it otherwise. The two answers are
    the ones each gives alone, either way. If the plan fails or is interrupted, the
    unmitigated plan is cancelled (its solver processes killed) before the exception goes
    on. The unmitigated plan's wall time is its ``timings["unmitigated"]``.
    ``place_values`` is passed to both (see :func:`allocate`).

    Returns:
        The plan, and the unmitigated plan (None without levers or options).
    """
    if not (scenario.levers.active or active_options(scenario.capital)):
        return plan(
            scenario, inputs, forecast, sen_support=sen_support, place_values=place_values
        ), None
    baseline = scenario.model_copy(update={"levers": Levers(), "capital": Capital()})
    before = _before(scenario, inputs)  # the same for both plans
    made = _plan_model(scenario, before, forecast, sen_support=sen_support)
    unmitigated_plan = partial(_unmitigated, baseline, before, forecast, sen_support, place_values)
    beside: Beside[Plan] | None = None
    if len(made.arrays.pair_group) >= BESIDE_MIN_PAIRS:
        beside = Beside("unmitigated", unmitigated_plan)
    try:
        mitigated = _solved(scenario, made, sen_support, place_values)
        unmitigated = beside.result() if beside is not None else None
    except BaseException:
        if beside is not None:
            beside.cancel()
        raise
    if beside is None:  # a small model: after the plan
        start = time.perf_counter()
        unmitigated = unmitigated_plan()
        unmitigated.timings["unmitigated"] = time.perf_counter() - start
    elif unmitigated is not None and beside.seconds is not None:
        unmitigated.timings["unmitigated"] = beside.seconds
    return mitigated, unmitigated


def value_builds(
    arrays: AllocationArrays,
    allocation: Allocation,
    solver: str = "auto",
    time_limit: float = 60.0,
    fallback: bool = True,
) -> pd.DataFrame:
    """The builds table with what each built option saves (re-solving without each one).

    See :func:`sufficiency.postprocess.capital.capital_value` for the columns. Each
    re-solve uses the plan's engines, time limit and fallback.

    Raises:
        SolveError: If a re-solve fails on every engine.
    """
    without: dict[int, Without] = {}
    if arrays.capital is not None:
        built = builds_table(arrays, allocation)["built"].to_numpy(dtype=bool)
        without = costs_without(
            allocation.model,
            allocation.solution.columns,
            [int(i) for i in built.nonzero()[0]],
            time_limit,
            solver=solver,
            fallback=fallback,
            basis=allocation.model.result.basis if allocation.model.result else None,
        )
    return capital_value(arrays, allocation, without)


def _allocate_builds(
    arrays: AllocationArrays,
    solver: str,
    time_limit: float,
    fallback: bool,
    place_values: bool = True,
) -> tuple[Allocation, pd.DataFrame]:
    """Allocate, then rule out every optional build that loses money over its life.

    A build chosen by the optimiser can still have a negative whole-life net saving when
    a policy weight (an out-of-area target, keeping children in their setting) pulled it
    in. Such an option is not built unless the scenario forces it (``decision: build``):
    it is excluded and the model solved again, until every build pays for itself.
    """
    solve = partial(
        allocate,
        solver=solver,
        time_limit=time_limit,
        fallback=fallback,
        place_values=place_values,
    )
    value = partial(value_builds, solver=solver, time_limit=time_limit, fallback=fallback)
    allocation = solve(arrays)
    builds = value(arrays, allocation)
    cap = arrays.capital
    while cap is not None:
        losing = (
            builds["built"].astype(bool)
            & (builds["decision"] != "build")
            & (builds["net_saving"] < -1e-6)
        ).to_numpy()
        if not losing.any():
            break
        cap.excluded = cap.excluded | losing
        # only the excluded options' bounds change: start from the last plan's basis
        last = allocation.model.result
        allocation = solve(arrays, basis=last.basis if last is not None else None)
        builds = value(arrays, allocation)
    return allocation, builds
