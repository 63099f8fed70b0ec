"""forecast_demand(): backtest the methods, choose per series, fit, calibrate, reconcile."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import taxonomy
from ..blas_threads import one_blas_thread
from ..data.flows import read_flows
from ..errors import ForecastError, Problem
from .assemble import backtest_record, diagnostics_frame, interval_frame, one_step_errors
from .backtest import run_backtest
from .base import Settings
from .calibrate import calibrated_paths
from .choice import (
    auto_forecasts,
    available_methods,
    check_requested,
    choose,
    eligible_candidates,
    exclude,
    why_unavailable,
)
from .final import final_fits
from .floor import apply_floor, fewest_new_plans, held_by_age, held_floor
from .methods import BASELINES, DEFAULT_CANDIDATES, METHOD_NAMES, fallback_chain
from .methods.flowmethod import FlowLevers, FlowModel, score_flows, stock_by_age
from .notes import annotate, forecast_warnings, levers_note
from .panel import AGE_KEYS, Panel, build_panel, node_panel
from .reconcile import RECONCILE_METHODS, hierarchy, reconciliation_matrix
from .reconcile import reconcile as apply_reconciliation
from .reference import REGIONS
from .result import DemandForecast

log = logging.getLogger(__name__)

#: Series averaging fewer children a year than this borrow their parent series' trend.
POOL_BELOW = 20.0
_N_DRAWS = 1000
#: Default ratio of a year-on-year jump that marks a structural start (see ``ramp_start``).
RAMP_RATIO = 2.0


def _validate(
    history: pd.DataFrame,
    by: tuple[str, ...],
    horizon: int,
    method: str,
    level: float,
    reconcile: str,
    candidates: Sequence[str] | None,
    breaks: Sequence[int],
    region: str | None,
) -> None:
    missing = [c for c in ("year", "children", *by) if c not in history.columns]
    if missing:
        hint = (
            f"; forecast by the columns it has, e.g. by={tuple(c for c in by if c != 'need')!r}"
            if "need" in missing and len(missing) == 1
            else ""
        )
        raise ForecastError(
            "history is missing columns", [Problem("history", ", ".join(missing) + hint)]
        )
    if horizon < 1:
        raise ForecastError(f"horizon must be at least 1 year, got {horizon}")
    if method not in (*METHOD_NAMES, "auto"):
        raise ForecastError(
            f"unknown forecast method {method!r}; use auto, " + ", ".join(METHOD_NAMES)
        )
    if not 0.0 < level < 1.0:
        raise ForecastError(f"level must be between 0 and 1, got {level}")
    if reconcile not in RECONCILE_METHODS:
        raise ForecastError(
            f"unknown reconciliation {reconcile!r}; use " + ", ".join(RECONCILE_METHODS)
        )
    bad = [c for c in candidates or () if c not in METHOD_NAMES]
    if bad:
        raise ForecastError(f"unknown candidate methods {bad}; use " + ", ".join(METHOD_NAMES))
    if len(history) and "year" in history.columns:
        years = pd.to_numeric(history["year"], errors="coerce")
        first, last = int(years.min()), int(years.max())
        outside = [
            Problem(f"forecast.breaks.{k}", f"{b} is outside the history ({first + 1}–{last})")
            for k, b in enumerate(breaks)
            if not first < int(b) <= last
        ]
        if outside:
            raise ForecastError("breaks must be years inside the history", outside)
    if region is not None and region not in REGIONS:
        raise ForecastError(
            "unknown region",
            [Problem("forecast.reference_region", f"{region!r}; use one of " + ", ".join(REGIONS))],
        )
    if sum(k in AGE_KEYS for k in by) > 1:
        raise ForecastError("by may hold age or age_band, not both")
    if len(history) == 0:
        raise ForecastError("history is empty")
    children = pd.to_numeric(history["children"], errors="coerce")
    if (children < 0).any():
        raise ForecastError("history has negative children")


def _floor(cells: Panel, hist: pd.DataFrame, horizon: int, model: FlowModel | None) -> np.ndarray:
    """``(S, H)`` plans held in the last January surviving to each year (:mod:`.floor`):
    at the flows table's recorded exit rates and fewest new plans where one is given."""
    held = held_by_age(hist, cells.keys, cells.by)
    if model is None:
        return held_floor(cells, horizon, held)
    try:
        fit = model.fit(len(cells.years))
    except ForecastError:
        return held_floor(cells, horizon, held)
    new = fewest_new_plans(model.frames["new_plans"], int(cells.years[-1]))
    return held_floor(cells, horizon, held, fit.exit_rate, new, fit.start_age)


def forecast_demand(
    history: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    horizon: int,
    method: str = "auto",
    by: Sequence[str] = ("need", "age_band"),
    interval_level: float = 0.8,
    history_start: int | None = None,
    breaks: Sequence[int] = (),
    trend_years: int | None = None,
    seed: int = 0,
    rng: np.random.Generator | None = None,
    candidates: Sequence[str] | None = None,
    reconcile: str = "bottom_up",
    series_start: Mapping[str, int] | None = None,
    backtest_origins: int = 8,
    backtest_horizon: int = 4,
    damping: float = 0.9,
    pool_below: float = POOL_BELOW,
    sample_paths: int = _N_DRAWS,
    max_rate_per_head: float = 0.25,
    max_growth_multiple: float = 3.0,
    growth_floor_per_year: float = 0.05,
    ramp_ratio: float | None = RAMP_RATIO,
    reference_region: str | None = None,
    use_reference: bool = True,
    flows: pd.DataFrame | str | Path | None = None,
    flow_levers: FlowLevers | None = None,
    plans_floor: bool = True,
    level: float | None = None,
    n_draws: int | None = None,
) -> DemandForecast:
    """Project children per series for ``horizon`` years after the last history year.

    Every series is backtested from rolling origins (the latest ``backtest_origins``
    years, horizons 1…``backtest_horizon``) with the requested method — or, for
    ``auto``, every candidate — and the naive and drift baselines. ``auto`` keeps, per
    series, the first candidate in order of preference (:data:`DEFAULT_CANDIDATES`) whose
    backtest MASE is within one standard error of the lowest; a method that cannot be
    used on a series (too short, no population, a failed fit) gives way to its fallback
    (e.g. ``ets_add`` → ``drift`` → ``naive``) and the diagnostics say so. Intervals
    are calibrated on the backtest errors (see :mod:`sufficiency.forecast.intervals`);
    cells are reconciled with their totals (see :mod:`sufficiency.forecast.reconcile`).
    Statsmodels warnings are captured into the diagnostics, never shown.

    Args:
        history: Long frame with ``year``, ``children`` and the ``by`` columns (other
            columns, such as ``setting``, are summed over). An ``age`` column (single
            year of age) enables the cohort method, and gives ``age_band`` if absent.
            Missing ``children`` are filled by interpolation and counted in the
            diagnostics.
        population: ``year``, ``age`` or ``age_band``, ``population``, covering history and
            projected years. Rate and cohort methods are skipped when it is absent.
        horizon: Years to project after the last history year.
        method: ``auto`` or one method: ``poisson_glm``, ``poisson_glm_damped``,
            ``negbin_glm``, ``negbin_glm_damped`` (rate models), ``ets_add``, ``ets_mul``,
            ``ets_log`` (exponential smoothing), ``arima`` (with drift), ``cohort``
            (cohort component), ``share`` (of the parent series), ``pooled``,
            ``national`` (with England and the region), ``national_growth`` (grown at
            their compound growth), ``national_mean`` (the mean of the two), ``flows``
            (the flow model, with
            ``flows``), ``drift``, ``naive``.
        by: Series keys: any subset of the history's columns, e.g. ``("need",
            "age_band")``, ``("age_band",)``, ``("need",)`` or ``()`` for one total.
        interval_level: Central interval coverage, e.g. 0.8 (the scenario's
            ``forecast.interval_level``).
        history_start: Ignore history before this year.
        breaks: Years at which a structural break starts; fit from the latest one.
        trend_years: Fit on only the last N years.
        seed: Seed of the random generator for intervals and sample paths.
        rng: Random generator to use instead of ``seed``.
        candidates: Methods ``auto`` chooses among, in order of preference (default:
            :data:`DEFAULT_CANDIDATES` that the data supports).
        reconcile: ``bottom_up`` (default), ``ols``, ``wls_struct`` or
            ``mint_shrink``.
        series_start: First year of history for some series, by a key value (``"20-25"``)
            or ``"column=value"``, e.g. for a band that only exists from a reform on.
        backtest_origins: Most rolling origins (the latest years).
        backtest_horizon: Longest backtest horizon (years).
        damping: Per-year damping factor of damped trends (0–1).
        pool_below: Series averaging fewer children a year than this borrow their
            parent's rate trend in the rate models.
        sample_paths: Joint sample paths kept per series (the scenario's
            ``forecast.sample_paths``).
        max_rate_per_head: Most children a projection may hold per resident of the
            series' ages (a fraction; applies when ``population`` is given).
        max_growth_multiple: Largest yearly growth of a projection as a multiple of the
            series' recorded growth (see :mod:`sufficiency.forecast.bounds`).
        growth_floor_per_year: Recorded growth assumed at least (a fraction a year).
        ramp_ratio: A year-on-year rise of more than this ratio from a small start marks a
            structural start (a band created or redefined): the series is fitted from
            after it (``None``: no detection).
        reference_region: Region whose series (with England's) the ``pooled`` method
            shrinks toward; ``None``: England only.
        use_reference: Use the shipped reference panel (``pooled`` then borrows from the
            parent series only).
        flows: The flows table (``year, measure, age or age_band, children``: requests,
            assessments, new and ceased plans by calendar year; a frame or a file, see
            :mod:`sufficiency.data.flows`). Enables the ``flows`` method (and ``auto``'s
            candidate where it covers every backtest origin).
        flow_levers: Levers on requests and conversion, applied to the ``flows``
            projection (``method`` ``flows`` or ``auto``).
        plans_floor: The history counts plans, which run for years: no mean, interval or
            sample path below the plans held in the last January that survive (see
            :mod:`sufficiency.forecast.floor`). ``False`` for counts children leave at any
            time (SEN support).

    Returns:
        The forecast.

        level: Deprecated name of ``interval_level`` (kept for one release; warns).
        n_draws: Deprecated name of ``sample_paths`` (kept for one release; warns).

    Raises:
        ForecastError: If the inputs cannot support a forecast.
    """
    if level is not None:
        warnings.warn(
            "forecast_demand(level=...) is deprecated: use interval_level=, the scenario's name",
            DeprecationWarning,
            stacklevel=2,
        )
        interval_level = level
    if n_draws is not None:
        warnings.warn(
            "forecast_demand(n_draws=...) is deprecated: use sample_paths=, the scenario's name",
            DeprecationWarning,
            stacklevel=2,
        )
        sample_paths = n_draws
    level = interval_level
    by = tuple(by)
    if "age_band" in by and "age_band" not in history.columns and "age" in history.columns:
        ages = pd.to_numeric(history["age"], errors="coerce")
        if ages.between(taxonomy.MIN_AGE, taxonomy.MAX_AGE).all():
            history = history.assign(age_band=taxonomy.age_band_of(ages.astype(int).to_numpy()))
    _validate(history, by, horizon, method, level, reconcile, candidates, breaks, reference_region)
    flow_table = None if flows is None else read_flows(flows)
    levers_on = flow_levers is not None and flow_levers.active
    if levers_on and (flow_table is None or method not in ("flows", "auto")):
        assert flow_levers is not None
        why = (
            "needs a flows table (data.flows)"
            if flow_table is None
            else f"needs forecast.method 'flows' or 'auto', not {method!r}"
        )
        raise ForecastError(
            "the flow levers cannot be applied",
            [Problem(p, f"acts on the flow model: {why}") for p in flow_levers.paths],
        )
    # One BLAS thread while fitting: statsmodels' optimisers call BLAS on tiny matrices,
    # and waking OpenBLAS threads for each call made ETS fits ~10x slower on 2 busy cores.
    with one_blas_thread():
        return _forecast(
            history,
            population,
            by=by,
            horizon=horizon,
            method=method,
            level=level,
            history_start=history_start,
            breaks=breaks,
            trend_years=trend_years,
            rng=rng if rng is not None else np.random.default_rng(seed),
            candidates=candidates,
            reconcile=reconcile,
            series_start=series_start,
            backtest_origins=backtest_origins,
            backtest_horizon=backtest_horizon,
            settings=Settings(
                damping=damping,
                pool_below=pool_below,
                max_rate_per_head=max_rate_per_head,
                max_growth_multiple=max_growth_multiple,
                growth_floor_per_year=growth_floor_per_year,
            ),
            n_draws=sample_paths,
            ramp_ratio=ramp_ratio,
            region=reference_region,
            use_reference=use_reference,
            flows=flow_table,
            flow_levers=flow_levers,
            plans_floor=plans_floor,
        )


def _forecast(
    history: pd.DataFrame,
    population: pd.DataFrame | None,
    *,
    by: tuple[str, ...],
    horizon: int,
    method: str,
    level: float,
    history_start: int | None,
    breaks: Sequence[int],
    trend_years: int | None,
    rng: np.random.Generator,
    candidates: Sequence[str] | None,
    reconcile: str,
    series_start: Mapping[str, int] | None,
    backtest_origins: int,
    backtest_horizon: int,
    settings: Settings,
    n_draws: int,
    ramp_ratio: float | None,
    region: str | None,
    use_reference: bool,
    flows: pd.DataFrame | None = None,
    flow_levers: FlowLevers | None = None,
    plans_floor: bool = True,
) -> DemandForecast:
    hist = history.copy()
    hist["year"] = hist["year"].astype(int)
    hist["children"] = pd.to_numeric(hist["children"], errors="coerce").astype(float)
    last_year = int(hist["year"].max())
    start = max([history_start or -10_000, *[b for b in breaks if b <= last_year]])
    if trend_years:
        start = max(start, last_year - trend_years + 1)
    first_year = max(start, int(hist["year"].min()))
    if first_year > last_year:
        raise ForecastError(f"no history from {first_year} to {last_year}")
    cells = build_panel(
        hist,
        population,
        by=by,
        first_year=first_year,
        last_year=last_year,
        horizon=horizon,
        series_start=series_start,
        ramp_ratio=ramp_ratio,
        region=region,
        use_reference=use_reference,
    )
    s_matrix = None
    work = cells
    if by and reconcile != "bottom_up":
        s_matrix, node_keys = hierarchy(cells.keys, by)
        work = node_panel(cells, s_matrix, node_keys)
    available = available_methods(work, flows is not None)
    model = (
        None
        if flows is None
        else FlowModel(work, stock_by_age(hist, work.years), flows, settings, flow_levers)
    )
    if method == "auto":
        unusable = [m for m in candidates or () if m not in available]
        if unusable:
            raise ForecastError(
                "candidate methods cannot be used on this data",
                [Problem("forecast.candidates", f"{m}: {why_unavailable(m)}") for m in unusable],
            )
        cands = [m for m in (candidates or DEFAULT_CANDIDATES) if m in available]
        if not cands:
            raise ForecastError("none of the candidate methods can be used on this data")
    else:
        check_requested(work, method, available)
        cands = [method]
    bt = run_backtest(
        work,
        [*(m for m in cands if m != "flows"), *BASELINES],
        settings,
        horizon=backtest_horizon,
        max_origins=backtest_origins,
    )
    if model is not None and "flows" in cands:
        cands = score_flows(model, bt, cands, method, candidates)
    eligible = eligible_candidates(work, cands)
    excluded = (
        exclude(bt, cands, eligible) if method == "auto" else [[] for _ in range(work.n_series)]
    )
    ranking, table = choose(bt, work, cands, eligible)
    if method == "auto":
        used_bt, _ = auto_forecasts(bt, cands, eligible)
    else:
        used_bt = bt.forecasts[method]
        chain = [method] + [m for m in fallback_chain(method)[1:] if m in available]
        ranking = [list(chain) for _ in ranking]
    fits = final_fits(work, ranking, available, settings, horizon, model)
    point = np.stack([f.fit.mean for f in fits])
    paths, calibration = calibrated_paths(work, bt, used_bt, fits, point, level, n_draws, rng)
    n_series = work.n_series

    note = ""
    n_cells = cells.n_series
    if s_matrix is not None:
        errors = one_step_errors(bt, used_bt)
        g, note = reconciliation_matrix(s_matrix, reconcile, errors)
        cell_point = apply_reconciliation(g, point)
        cell_paths = apply_reconciliation(g, paths)
    else:
        cell_point, cell_paths = point, paths
    base = slice(n_series - n_cells, n_series)
    # no mean, interval or path below the plans held today that survive (see .floor)
    if plans_floor:
        floor = _floor(cells, hist, horizon, model)
        cell_point, cell_paths = apply_floor(cell_point, cell_paths, floor)

    frame = interval_frame(
        cells,
        cell_point,
        cell_paths,
        level,
        [fits[i].fit.method for i in range(base.start, base.stop)],
    )
    diag = diagnostics_frame(work, fits, bt, table, used_bt, method, cands, eligible)
    diag = annotate(diag, work, fits, excluded)
    notes = forecast_warnings(work, fits, excluded, method, range(base.start, base.stop))
    if flow_levers is not None and flow_levers.active:
        notes += levers_note(fits[base], flow_levers)
    cell_diag = diag.iloc[base].reset_index(drop=True)
    node_diag = diag.iloc[: base.start].reset_index(drop=True) if base.start else None
    n_warned = int((cell_diag["n_warnings"] > 0).sum())
    if n_warned:
        log.info("forecast: %d series raised warnings (see diagnostics)", n_warned)
    for line in notes:  # a scenario's run says each as a warning, naming the provision
        log.debug("forecast: %s", line)
    record = backtest_record(cells, work, bt, used_bt, base, method, cands, eligible)
    return DemandForecast(
        frame=taxonomy.as_categories(frame),
        diagnostics=taxonomy.as_categories(cell_diag),
        by=by,
        level=level,
        _paths=cell_paths,
        _keys=cells.keys.reset_index(drop=True),
        _years=cells.future_years,
        calibration=calibration,
        reconciliation=reconcile + (f" ({note})" if note else ""),
        node_diagnostics=node_diag,
        backtest=record,
        warnings=notes,
    )
