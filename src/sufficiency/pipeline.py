"""run() and compare(): the stages chained — load, forecast, allocate, postprocess — timed and
recorded with provenance."""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import taxonomy
from .allocate.plan import plan, value_builds
from .config import Levers, Scenario, load_scenario, scenario_provenance
from .config.capital import Capital
from .data import Inputs, load_inputs
from .data.tables import TableSource
from .errors import Problem, ScenarioError
from .forecast import DemandForecast, forecast_demand
from .model.arrays import cost_comparison
from .postprocess.comparison import comparison_table
from .postprocess.headline import demand_table, forecast_table, summarise
from .postprocess.places import local_places, shadow_prices
from .results import Comparison, Result

log = logging.getLogger(__name__)

#: Callback told the name of each stage as it starts (the CLI shows progress with it).
StageHook = Callable[[str], None]


def package_version() -> str:
    """Installed version of the package ('unknown' when run from a source tree)."""
    try:
        return metadata.version("sufficiency")
    except metadata.PackageNotFoundError:
        return "unknown"


def _provenance(sc: Scenario, inputs: Inputs) -> dict[str, Any]:
    """What produced a run: versions, creation time, the scenario as resolved, input hashes."""
    return {
        "package_version": package_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **scenario_provenance(sc),
        "scenario": sc.model_dump(mode="json"),
        "input_files": {
            name: {"path": path, "sha256": digest} for name, (path, digest) in inputs.files.items()
        },
    }


def project(scenario: Scenario, inputs: Inputs) -> tuple[DemandForecast, DemandForecast | None]:
    """Forecast EHC plans (and SEN support, if given) by need and age band.

    Every option of the scenario's ``forecast`` section is passed on to
    :func:`~sufficiency.forecast_demand`; sample paths are seeded from the scenario's
    seed (SEN support from seed + 1).
    """
    options = scenario.forecast
    common: dict[str, Any] = {
        "horizon": scenario.horizon_years,
        "method": options.method,
        "by": ("need", "age_band"),
        "level": options.interval_level,
        "history_start": options.history_start,
        "breaks": options.breaks,
        "trend_years": options.trend_years,
        "series_start": dict(options.series_start),
        "candidates": options.candidates,
        "reconcile": options.reconcile,
        "backtest_origins": options.backtest_origins,
        "backtest_horizon": options.backtest_horizon,
        "damping": options.damping,
        "pool_below": options.pool_below,
        "n_draws": options.sample_paths,
    }
    history = inputs.caseload[inputs.caseload["year"] <= scenario.base_year]
    ehcp = forecast_demand(
        history, inputs.population, rng=np.random.default_rng(scenario.seed), **common
    )
    sen = None
    if inputs.sen_support is not None and len(inputs.sen_support):
        sen_hist = inputs.sen_support[inputs.sen_support["year"] <= scenario.base_year]
        sen = forecast_demand(
            sen_hist, inputs.population, rng=np.random.default_rng(scenario.seed + 1), **common
        )
    return ehcp, sen


def run(
    source: str | Path | Mapping[str, Any] | Scenario,
    *,
    scenario: str | None = None,
    overrides: Sequence[str] = (),
    set_values: Mapping[str, Any] | Iterable[str] | None = None,
    tables: Mapping[str, TableSource] | None = None,
    on_stage: StageHook | None = None,
) -> Result:
    """Run a scenario end to end: forecast demand, apply levers, allocate it, summarise.

    When the scenario sets levers, the same demand is also allocated without them (the
    unmitigated run), so spending and local places can be shown side by side.

    Args:
        source: A scenario YAML path, mapping or :class:`~sufficiency.config.Scenario`.
        scenario: Named scenario in the file to run.
        overrides: Extra override names to apply.
        set_values: Final values by dotted key, e.g. ``{"horizon_years": 12}``.
        tables: Input tables to use instead of the scenario's files (paths or DataFrames),
            by name (``caseload``, ``settings``, …).
        on_stage: Called with each stage's name as it starts.

    Returns:
        The result: tables, summary, timings and provenance.

    Raises:
        SufficiencyError: Any problem with the scenario, inputs, forecast or solve, with a
            message naming where it is.
    """
    timings: dict[str, float] = {}
    hook = on_stage or (lambda _name: None)

    hook("load")
    t = time.perf_counter()
    sc = load_scenario(source, scenario=scenario, overrides=overrides, set_values=set_values)
    inputs = load_inputs(sc, tables=dict(tables) if tables else None)
    timings["load"] = time.perf_counter() - t

    hook("forecast")
    t = time.perf_counter()
    ehcp, sen = project(sc, inputs)
    forecast = forecast_table(ehcp.frame, sen.frame if sen is not None else None)
    timings["forecast"] = time.perf_counter() - t

    hook("solve")
    mitigated = plan(sc, inputs, ehcp.frame)
    for k, v in mitigated.timings.items():
        timings[k] = v
    unmitigated = None
    if sc.levers.active or mitigated.arrays.capital is not None:
        hook("unmitigated")
        t = time.perf_counter()
        baseline = sc.model_copy(update={"levers": Levers(), "capital": Capital()})
        unmitigated = plan(baseline, inputs, ehcp.frame)
        timings["unmitigated"] = time.perf_counter() - t
    alloc = mitigated.allocation
    unalloc = unmitigated.allocation if unmitigated is not None else None

    builds = value_builds(mitigated)
    shadow = shadow_prices(alloc.capacity)
    head, tail = summarise(
        sc,
        inputs,
        ehcp.aggregate(()),
        forecast,
        (alloc, mitigated.demand, mitigated.not_placed, mitigated.stock),
        unalloc,
        builds,
        shadow,
    )
    summary: dict[str, Any] = {
        **head,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "provenance": _provenance(sc, inputs),
        **tail,
    }
    log.info(
        "run %s: cost £%.0f, shortfall %.1f",
        sc.name,
        summary["total_cost"],
        summary["total_shortfall"],
    )
    return Result(
        demand=demand_table(mitigated.demand),
        placements=alloc.placements,
        shortfall=alloc.shortfall,
        costs=alloc.costs,
        capacity=alloc.capacity,
        forecast=forecast,
        local_places=local_places(mitigated.arrays, alloc, unalloc),
        displaced=alloc.displaced,
        builds=builds,
        shadow_prices=shadow,
        cost_avoided=taxonomy.as_categories(cost_comparison(mitigated.arrays)),
        summary=summary,
        extras={
            "scenario": sc,
            "inputs": inputs,
            "ehcp_forecast": ehcp,
            "sen_support_forecast": sen,
            "plan": mitigated,
            "unmitigated": unmitigated,
            "arrays": mitigated.arrays,
            "model": alloc.model,
            "not_placed": mitigated.not_placed,
        },
    )


ScenarioSource = str | Path | Mapping[str, Any] | Scenario | tuple[str | Path, str]


def compare(
    sources: Sequence[ScenarioSource],
    *,
    set_values: Sequence[str] = (),
    on_stage: StageHook | None = None,
) -> Comparison:
    """Run several scenarios and compare them against the first.

    Args:
        sources: Scenario paths, mappings or objects; ``(path, name)`` runs the named
            scenario of a file.
        set_values: ``KEY=VALUE`` settings applied to every scenario (as ``--set``).
        on_stage: Called with each stage's name as it starts.

    Returns:
        The comparison (``.table`` is what ``comparison.csv`` holds).

    Raises:
        ScenarioError: If fewer than one scenario is given or two share a name.
    """
    if not sources:
        raise ScenarioError("compare needs at least one scenario")
    results = []
    for src in sources:
        if isinstance(src, tuple):
            results.append(run(src[0], scenario=src[1], set_values=set_values, on_stage=on_stage))
        else:
            results.append(run(src, set_values=set_values, on_stage=on_stage))
    names = [r.summary["scenario"] for r in results]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(
            "scenarios to compare must have different names",
            [Problem("name", f"{d!r} appears {names.count(d)} times") for d in dupes],
        )
    return Comparison(comparison_table([r.summary for r in results]), results)
