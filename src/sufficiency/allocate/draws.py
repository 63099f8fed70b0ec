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
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import taxonomy
from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..errors import SolveError
from ..forecast.result import DemandForecast
from ..model.arrays import AllocationArrays
from ..model.canonical import canonical
from ..model.levels import level_shares
from ..model.segments import SEGMENT, AgeSegments, split_by_segment
from ..model.stock import CarryRates
from ..postprocess.draws import BuildDraws, Draws, Uncertainty, summarise_draws
from ..solve.draws import solve_demands
from ..solve.lp import build_model
from ..solve.matrix import LpMatrix
from .plan import GROUP_KEYS, Plan, costed_not_placed, plan_model, scenario_demand

log = logging.getLogger(__name__)

_KEYS = GROUP_KEYS


def _group_index(
    groups: pd.DataFrame, demand: pd.DataFrame, segments: AgeSegments | None = None
) -> tuple[np.ndarray, pd.DataFrame, float]:
    """``demand`` (by age band) split into the model's age segments as the model's demand
    was (when ``segments`` is given): the position in ``groups`` of each (split) row (-1
    where the model has no such group), the (split) rows, and the children of rows
    without a group."""
    keys = list(_KEYS)
    if segments is not None:
        demand = split_by_segment(demand, segments)
        keys.append(SEGMENT)
    text = {k: str for k in keys if k != "year"}
    left = demand[keys].astype(text)
    right = groups[keys].astype(text).assign(_g=np.arange(len(groups)))
    pos = left.merge(right, on=keys, how="left")["_g"].to_numpy()
    pos = np.where(np.isnan(pos), -1, pos).astype(np.int64)
    children = demand["children"].to_numpy(dtype=float)
    return pos, demand, float(children[pos < 0].sum())


@dataclass
class _DemandMap:
    """The scenario's demand as an affine map of the forecast's cells.

    Demand shocks, level shares and the inclusion and fewer-plans levers multiply or move
    shares of a (year, need, age band) cell's children within that cell, so the demand of
    every draw is ``constant + paths @ map``: the map is found once, from a forecast of one
    child in every cell (less the forecast of none), instead of running the levers on each
    draw. The constant is the children on SEN support, at their mean in every draw.

    Attributes:
        cells: The forecast's cells: ``year`` and the forecast's keys, (C rows).
        paths: Children per draw and cell, (N, C).
        demand: Children to place per unit of each cell (``cell`` = row of ``cells``).
        not_placed: Children not in a school or college per unit of each cell, costed.
        constant: Children to place in every draw whatever the cells hold (``GROUP_KEYS,
            children``).
    """

    cells: pd.DataFrame
    paths: np.ndarray
    demand: pd.DataFrame
    not_placed: pd.DataFrame
    constant: pd.DataFrame | None = None

    def groups(self) -> pd.DataFrame:
        """Demand groups some draw has children in (``GROUP_KEYS``)."""
        used = self.paths.max(axis=0, initial=0.0) > 0
        linear = self.demand[used[self.demand["cell"].to_numpy()]]
        if self.constant is None:
            return linear
        constant = self.constant[self.constant["children"] > 0]
        return pd.concat([linear, constant], ignore_index=True)

    def vectors(self, groups: pd.DataFrame, segments: AgeSegments | None = None) -> np.ndarray:
        """Children per draw and model group, (N, G), the demand split into ``segments``
        (the model's age segments) when given.

        Raises:
            SolveError: If some draw has children in a group the model does not have.
        """
        pos, demand, _ = _group_index(groups, self.demand, segments)
        cell = demand["cell"].to_numpy()
        coef = demand["children"].to_numpy(float)
        if ((pos < 0) & (self.paths[:, cell].max(axis=0, initial=0.0) > 0)).any():
            raise SolveError("some draws have children in groups outside the model")
        keep = pos >= 0
        unit = sp.csr_matrix((coef[keep], (cell[keep], pos[keep])), (len(self.cells), len(groups)))
        out = np.asarray((unit.T @ self.paths.T).T)
        if self.constant is not None:
            pos, constant, _ = _group_index(groups, self.constant, segments)
            children = constant["children"].to_numpy(float)
            if ((pos < 0) & (children > 0)).any():
                raise SolveError("some draws have children in groups outside the model")
            out += np.bincount(pos[pos >= 0], weights=children[pos >= 0], minlength=len(groups))
        return out

    def by_year(self, years: np.ndarray, column: str) -> np.ndarray:
        """``column`` of the not-placed table summed by plan year for each draw, (N, Y)."""
        frame = self.not_placed
        y = np.searchsorted(years, frame["year"].to_numpy())
        cell = frame["cell"].to_numpy()
        unit = sp.csr_matrix(
            (frame[column].to_numpy(float), (cell, y)), (len(self.cells), len(years))
        )
        return np.asarray((unit.T @ self.paths.T).T)


def _demand_map(
    scenario: Scenario,
    inputs: Inputs,
    paths: pd.DataFrame,
    shares: pd.DataFrame,
    rates: CarryRates,
    sen_support: pd.DataFrame | None = None,
    sen_levels: pd.DataFrame | None = None,
) -> _DemandMap | None:
    """The demand of every draw as an affine map (None if the levers are not affine on
    these draws: the first draw, run through them directly, disagrees). Children on SEN
    support (``sen_support``, with their level mix ``sen_levels``) are at their mean in
    every draw."""
    keys = [c for c in paths.columns if c not in ("sample", "children")]
    cell = paths.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    first = ~pd.Series(cell).duplicated().to_numpy()
    cells = paths.loc[first, keys].reset_index(drop=True)
    samples = pd.factorize(paths["sample"], sort=True)[0]
    values = paths["children"].to_numpy(dtype=float)
    if (values < 0).any():
        return None
    grid = np.zeros((int(samples.max()) + 1, len(cells)))
    grid[samples, cell] = values
    extra = (sen_support, sen_levels)
    demand, not_placed = scenario_demand(scenario, cells.assign(mean=1.0), shares, rates, *extra)
    constant = None
    if sen_support is not None:
        constant, none_placed = scenario_demand(
            scenario, cells.assign(mean=0.0), shares, rates, *extra
        )
        if float(none_placed["children"].abs().sum()) > 0:
            return None
        # the map is the demand of one child a cell less the demand of none
        group_keys = list(GROUP_KEYS)
        text = {k: str for k in group_keys if k != "year"}
        both = demand.astype(text).merge(
            constant.astype(text), on=group_keys, how="outer", suffixes=("", "_none")
        )
        both = both.fillna({"children": 0.0, "children_none": 0.0})
        both["children"] = both["children"] - both["children_none"]
        demand = both.loc[both["children"] != 0, [*group_keys, "children"]]
    costed = costed_not_placed(scenario, inputs, not_placed)
    as_str = {"need": str, "age_band": str}
    index = cells[keys].astype(as_str).assign(cell=np.arange(len(cells)))

    def with_cell(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(as_str).merge(index, on=keys, how="left")

    out = _DemandMap(cells, grid, with_cell(demand), with_cell(costed), constant)
    # check the map on the first draw against the levers run on it
    path = paths[samples == 0].rename(columns={"children": "mean"})
    direct, _ = scenario_demand(scenario, path, shares, rates, *extra)
    groups = out.groups().drop_duplicates(list(GROUP_KEYS))
    pos, _, _ = _group_index(groups, direct)
    got = out.vectors(groups)[0]
    children = direct["children"].to_numpy(float)
    want = np.bincount(pos[pos >= 0], weights=children[pos >= 0], minlength=len(got))
    outside = ((pos < 0) & (children != 0)).any()
    if outside or not np.allclose(got, want, rtol=1e-9, atol=1e-9):
        log.info("the scenario's levers are not linear on the draws: applied draw by draw")
        return None
    return out


def _draw_by_draw(
    scenario: Scenario,
    inputs: Inputs,
    paths: pd.DataFrame,
    shares: pd.DataFrame,
    rates: CarryRates,
    sen_support: pd.DataFrame | None = None,
    sen_levels: pd.DataFrame | None = None,
) -> _DemandMap:
    """The same as :func:`_demand_map` built from each draw run through the levers: each
    draw is a cell of its own (children on SEN support, ``sen_support``, at their mean in
    every draw, with their level mix ``sen_levels``)."""
    demands, nis = [], []
    for i, (_, path) in enumerate(paths.groupby("sample", sort=True)):
        demand, not_placed = scenario_demand(
            scenario,
            path.rename(columns={"children": "mean"}),
            shares,
            rates,
            sen_support,
            sen_levels,
        )
        costed = costed_not_placed(scenario, inputs, not_placed)
        demands.append(demand.assign(cell=i))
        nis.append(costed.assign(cell=i))
    n = len(demands)
    return _DemandMap(
        pd.DataFrame({"draw": np.arange(n)}),
        np.eye(n),
        pd.concat(demands, ignore_index=True),
        pd.concat(nis, ignore_index=True),
    )


@dataclass
class _Model:
    """The model the draws are solved with: the plan's, or the plan's with extra groups.

    Attributes:
        arrays: Its arrays.
        matrix: Its matrix.
        values: Column values whose integer (build) columns are the plan's decisions.
    """

    arrays: AllocationArrays
    matrix: LpMatrix
    values: np.ndarray


def _draws_model(
    scenario: Scenario,
    inputs: Inputs,
    forecast: DemandForecast,
    plan: Plan,
    groups: pd.DataFrame,
) -> _Model:
    """The plan's model, with zero-demand groups added where some draw has children in
    cells the mean has none in (built, not solved: the builds are fixed at the plan's)."""
    values = plan.allocation.solution.columns
    matrix = plan.allocation.model.matrix
    if _group_index(plan.arrays.groups, groups, plan.arrays.segments)[2] <= 0:
        return _Model(plan.arrays, matrix, values)
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
    return _Model(made.arrays, model.matrix, extended)


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
    with _pool(workers if n_draws > 1 else 1) as pool:
        inputs = canonical(inputs)
        shares = level_shares(inputs.caseload, inputs.settings, scenario.base_year)
        paths = forecast.samples(n_draws, np.random.default_rng(seed))
        # children on SEN support: their mean in every draw (only plans are drawn)
        sen, sen_levels = plan.sen_support_forecast, plan.sen_support_levels
        demands = _demand_map(scenario, inputs, paths, shares, plan.rates, sen, sen_levels)
        if demands is None:
            demands = _draw_by_draw(scenario, inputs, paths, shares, plan.rates, sen, sen_levels)
        model = _draws_model(scenario, inputs, forecast, plan, demands.groups())
        arrays = model.arrays
        vectors = demands.vectors(arrays.groups, arrays.segments)
        limit = scenario.allocation.time_limit_seconds
        solved = _submit(model, vectors, limit, pool, workers)()
        builds = _play_builds(model, vectors, solved, limit, pool, workers)
    years = arrays.years
    n_years, n_settings = arrays.capacity.shape
    out = Draws.empty(n_draws, years, arrays)
    market = arrays.pair_setting == arrays.market if arrays.market is not None else None
    group_level = np.array([taxonomy.TIERS.index(str(v)) for v in arrays.groups["level"]])
    group_need = np.array([taxonomy.NEEDS.index(str(v)) for v in arrays.groups["need"]])
    pair_cell = arrays.pair_year * n_settings + arrays.pair_setting
    on_plan = arrays.group_ehc
    k = arrays.n_pairs
    out.not_placed[:] = demands.by_year(years, "children")
    nis_cost = demands.by_year(years, "hnb_cost")
    for i, vector in enumerate(vectors):
        x, u = np.maximum(solved[i, :k], 0.0), np.maximum(solved[i, k:], 0.0)
        y = arrays.pair_year
        out.children[i] = np.bincount(
            arrays.group_year, weights=vector * on_plan, minlength=n_years
        )
        out.sen_support[i] = np.bincount(
            arrays.group_year, weights=vector * ~on_plan, minlength=n_years
        )
        out.no_place[i] = np.bincount(arrays.group_year, weights=u * on_plan, minlength=n_years)
        out.hnb_cost[i] = (
            np.bincount(y, weights=x * arrays.unit_hnb, minlength=n_years) + nis_cost[i]
        )
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
    out.builds = builds
    out.seconds = time.perf_counter() - start
    log.info("allocated %d demand draws in %.1fs", n_draws, out.seconds)
    return out


#: Draws handed to a worker at a time, per worker (smaller shares even out the workers).
_SHARES_PER_WORKER = 4


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` processes (started with ``spawn``: no fork of a threaded process), each
    set going at once so that their start-up overlaps the draws' demand tables; None for
    one worker (draws are solved in this process)."""
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool


def _ready() -> None:
    """Nothing: a task that makes a worker start (importing this module)."""


def _submit(
    model: _Model,
    vectors: np.ndarray,
    time_limit: float,
    pool: ProcessPoolExecutor | None,
    workers: int,
    values: np.ndarray | None = None,
) -> Callable[[], np.ndarray]:
    """Start solving each draw (in ``pool``'s ``workers``, or in this process when there is
    no pool) with the build decisions fixed at ``values`` (the plan's when None); call the
    result for each draw's ``x`` and ``u`` values."""
    values = model.values if values is None else values
    args = (model.arrays, model.matrix, values)
    if pool is None or len(vectors) < 2:
        solved = solve_demands(*args, vectors, time_limit)
        return lambda: solved
    shares = np.array_split(vectors, min(len(vectors), workers * _SHARES_PER_WORKER))
    key = uuid.uuid4().hex
    parts = [pool.submit(solve_demands, *args, share, time_limit, key) for share in shares]
    return lambda: np.concatenate([p.result() for p in parts])


def _play_builds(
    model: _Model,
    vectors: np.ndarray,
    solved: np.ndarray,
    time_limit: float,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> BuildDraws | None:
    """Each capital option against every draw (see
    :class:`~sufficiency.postprocess.draws.BuildDraws`): the draws solved again with the
    option's build columns fixed the other way, every other decision as the plan took it.
    None without capital options."""
    arrays = model.arrays
    cap = arrays.capital
    m = model.matrix
    if cap is None or "b" not in m.columns or not len(cap.options):
        return None
    b = m.columns["b"]
    base = model.values
    chosen = np.round(base[b]) > 0.5
    a, _, upper = m.stacked()
    build_rows = m.row_slices().get("build", slice(0, 0))
    n, n_years, n_options = len(vectors), len(arrays.years), len(cap.options)
    out = BuildDraws(
        options=np.array([o.name for o in cap.options], dtype=object),
        built=np.zeros(n_options, dtype=bool),
        compared=np.full(n_options, "not possible", dtype=object),
        open_year=np.full(n_options, -1),
        gap_with=np.full((n_options, n, n_years), np.nan),
        gap_without=np.full((n_options, n, n_years), np.nan),
        cost_with=np.full((n_options, n, n_years), np.nan),
        cost_without=np.full((n_options, n, n_years), np.nan),
    )
    pending = {}
    for i in range(n_options):
        cols = np.flatnonzero(cap.col_option == i)
        if not len(cols):
            continue
        values = base.copy()
        if chosen[cols].any():
            out.built[i] = True
            out.open_year[i] = cap.col_year[cols[chosen[cols]][0]]
            values[b.start + cols] = 0.0
            out.compared[i] = "without"
        else:
            values[b.start + cols[0]] = 1.0  # opening in its earliest year
            rows = a[build_rows] @ values
            if (rows > upper[build_rows] + 1e-9).any():
                continue  # an exclusive group or a capital budget rules it out
            out.open_year[i] = cap.col_year[cols[0]]
            out.compared[i] = "with"
        pending[i] = _submit(model, vectors, time_limit, pool, workers, values)
    for i, result in pending.items():
        other = result()
        setting = int(cap.setting[i])
        plan_gap, plan_cost = _group_gap_and_cost(arrays, solved, setting)
        gap, cost = _group_gap_and_cost(arrays, other, setting)
        if out.built[i]:
            out.gap_with[i], out.cost_with[i] = plan_gap, plan_cost
            out.gap_without[i], out.cost_without[i] = gap, cost
        else:
            out.gap_with[i], out.cost_with[i] = gap, cost
            out.gap_without[i], out.cost_without[i] = plan_gap, plan_cost
    return out


def _group_gap_and_cost(
    arrays: AllocationArrays, solved: np.ndarray, setting: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each draw (rows of ``solved``: ``x`` then ``u``) and year: the gap of the
    children who may be placed in ``setting`` and the placement cost of every child (£)."""
    k, n_years = arrays.n_pairs, len(arrays.years)
    x, u = np.maximum(solved[:, :k], 0.0), np.maximum(solved[:, k:], 0.0)
    group = np.zeros(len(arrays.groups), dtype=bool)
    group[arrays.pair_group[arrays.pair_setting == setting]] = True
    market = (
        arrays.pair_setting == arrays.market
        if arrays.market is not None
        else np.zeros(k, dtype=bool)
    )
    gap_pairs = market & group[arrays.pair_group]
    by_year = sp.csr_matrix((np.ones(k), (np.arange(k), arrays.pair_year)), (k, n_years))
    groups_by_year = sp.csr_matrix(
        (group.astype(float), (np.arange(len(group)), arrays.group_year)), (len(group), n_years)
    )
    gap = np.asarray(by_year.T @ (x * gap_pairs).T).T + np.asarray(groups_by_year.T @ u.T).T
    cost = np.asarray(by_year.T @ (x * arrays.unit_cost).T).T
    return gap, cost


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
