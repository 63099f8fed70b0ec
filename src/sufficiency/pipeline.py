"""run(): the stages chained — load, forecast, levels, arrays, allocate — timed and recorded."""

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
from .allocate import allocate, build_arrays, demand_by_level, level_shares
from .allocate.levels import NOT_PLACED_LEVEL
from .config import Scenario, load_scenario, scenario_provenance
from .data import Inputs, load_inputs
from .data.tables import TableSource
from .forecast import DemandForecast, forecast_demand
from .results import Result

log = logging.getLogger(__name__)

#: Callback told the name of each stage as it starts (the CLI shows progress with it).
StageHook = Callable[[str], None]


def package_version() -> str:
    """Installed version of the package ('unknown' when run from a source tree)."""
    try:
        return metadata.version("sufficiency")
    except metadata.PackageNotFoundError:
        return "unknown"


def project(scenario: Scenario, inputs: Inputs) -> tuple[DemandForecast, DemandForecast | None]:
    """Forecast EHC plans (and SEN support, if given) by need and age band."""
    options = scenario.forecast
    common: dict[str, Any] = {
        "horizon": scenario.horizon_years,
        "method": options.method,
        "by": ("need", "age_band"),
        "level": options.interval_level,
        "history_start": options.history_start,
        "breaks": options.breaks,
        "trend_years": options.trend_years,
        "seed": scenario.seed,
    }
    history = inputs.caseload[inputs.caseload["year"] <= scenario.base_year]
    ehcp = forecast_demand(history, inputs.population, **common)
    sen = None
    if inputs.sen_support is not None and len(inputs.sen_support):
        sen_hist = inputs.sen_support[inputs.sen_support["year"] <= scenario.base_year]
        sen = forecast_demand(sen_hist, inputs.population, **{**common, "seed": scenario.seed + 1})
    return ehcp, sen


def _by_year(
    scenario: Scenario,
    ehcp_total: pd.DataFrame,
    demand: pd.DataFrame,
    placements: pd.DataFrame,
    shortfall: pd.DataFrame,
    not_placed: pd.DataFrame,
    forecast: pd.DataFrame,
) -> list[dict[str, Any]]:
    rows = []
    for year in scenario.plan_years:
        p = placements[placements["year"] == year]
        tier_counts = p.groupby("tier", observed=False)["children"].sum()
        ehcp = ehcp_total[ehcp_total["year"] == year]
        sen = forecast[(forecast["provision"] == "sen_support") & (forecast["year"] == year)]
        rows.append(
            {
                "year": year,
                "ehc_plans": round(float(ehcp["mean"].sum()), 3),
                "ehc_plans_lower": round(float(ehcp["lower"].sum()), 3),
                "ehc_plans_upper": round(float(ehcp["upper"].sum()), 3),
                "sen_support": round(float(sen["mean"].sum()), 3),
                "not_placed": round(
                    float(not_placed.loc[not_placed["year"] == year, "children"].sum()), 3
                ),
                "demand": round(float(demand.loc[demand["year"] == year, "children"].sum()), 3),
                "placed": round(float(p["children"].sum()), 3),
                "shortfall": round(
                    float(shortfall.loc[shortfall["year"] == year, "children"].sum()), 3
                ),
                "out_of_area": round(float(p.loc[~p["in_area"], "children"].sum()), 3),
                "cost": round(float(p["cost"].sum()), 2),
                **{f"placed_{t}": round(float(tier_counts.get(t, 0.0)), 3) for t in taxonomy.TIERS},
            }
        )
    return rows


def run(
    source: str | Path | Mapping[str, Any] | Scenario,
    *,
    scenario: str | None = None,
    overrides: Sequence[str] = (),
    set_values: Mapping[str, Any] | Iterable[str] | None = None,
    tables: Mapping[str, TableSource] | None = None,
    on_stage: StageHook | None = None,
) -> Result:
    """Run a scenario end to end: forecast demand, allocate it, summarise.

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

    def timed(name: str, start: float) -> None:
        timings[name] = round(time.perf_counter() - start, 4)

    hook("load")
    t = time.perf_counter()
    sc = load_scenario(source, scenario=scenario, overrides=overrides, set_values=set_values)
    inputs = load_inputs(sc, tables=dict(tables) if tables else None)
    timed("load", t)

    hook("forecast")
    t = time.perf_counter()
    ehcp, sen = project(sc, inputs)
    frames = [ehcp.frame.assign(provision="ehc_plan")]
    if sen is not None:
        frames.append(sen.frame.assign(provision="sen_support"))
    forecast = pd.concat(
        [f.assign(need=f["need"].astype(str), age_band=f["age_band"].astype(str)) for f in frames],
        ignore_index=True,
    )
    forecast = forecast[
        ["provision", "year", "need", "age_band", "mean", "lower", "upper", "method"]
    ]
    shares = level_shares(inputs.caseload, inputs.settings, sc.base_year)
    by_level = demand_by_level(ehcp.frame, shares)
    not_placed = by_level[by_level["level"] == NOT_PLACED_LEVEL]
    demand = by_level[by_level["level"] != NOT_PLACED_LEVEL].reset_index(drop=True)
    timed("forecast", t)

    hook("arrays")
    t = time.perf_counter()
    arrays = build_arrays(
        demand,
        inputs,
        base_year=sc.base_year,
        years=sc.plan_years,
        unmet_penalty=sc.allocation.unmet_penalty_gbp,
    )
    timed("arrays", t)

    hook("solve")
    alloc = allocate(
        arrays,
        solver=sc.allocation.solver,
        time_limit=sc.allocation.time_limit_seconds,
        fallback=sc.allocation.fallback_solver,
    )
    timings.update({k: round(v, 4) for k, v in alloc.timings.items()})

    demand_out = taxonomy.as_categories(demand)
    demand_out["level"] = demand_out["level"].astype(str).astype(taxonomy.TIER_DTYPE)
    by_year = _by_year(
        sc, ehcp.aggregate(()), demand, alloc.placements, alloc.shortfall, not_placed, forecast
    )
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "description": sc.description,
        "base_year": sc.base_year,
        "plan_years": sc.plan_years,
        "objective": round(alloc.solution.objective, 2),
        "solver": alloc.solution.solver,
        "status": alloc.solution.status.value,
        "total_cost": round(float(alloc.placements["cost"].sum()), 2),
        "total_shortfall": round(float(alloc.shortfall["children"].sum()), 3),
        "base_year_ehc_plans": float(
            inputs.caseload.loc[inputs.caseload["year"] == sc.base_year, "children"].sum()
        ),
        "by_year": by_year,
        "model_size": {
            "groups": len(arrays.groups),
            "settings": len(arrays.settings),
            "eligible_pairs": arrays.n_pairs,
            "capacity_rows": len(alloc.model.capacity),
        },
        "timings": timings,
        "provenance": {
            "package_version": package_version(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **scenario_provenance(sc),
            "scenario": sc.model_dump(mode="json"),
            "input_files": {
                name: {"path": path, "sha256": digest}
                for name, (path, digest) in inputs.files.items()
            },
        },
    }
    log.info(
        "run %s: cost £%.0f, shortfall %.1f",
        sc.name,
        summary["total_cost"],
        summary["total_shortfall"],
    )
    return Result(
        demand=demand_out,
        placements=alloc.placements,
        shortfall=alloc.shortfall,
        costs=alloc.costs,
        capacity=alloc.capacity,
        forecast=forecast,
        summary=summary,
        extras={
            "scenario": sc,
            "inputs": inputs,
            "ehcp_forecast": ehcp,
            "sen_support_forecast": sen,
            "level_shares": shares,
            "not_placed": not_placed.reset_index(drop=True),
            "arrays": arrays,
            "model": alloc.model,
        },
    )
