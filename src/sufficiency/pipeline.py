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
from .allocate.allocation import builds_table, cost_without
from .allocate.arrays import cost_comparison
from .allocate.plan import Plan, plan
from .comparison import Comparison, comparison_table
from .config import Levers, Scenario, load_scenario, scenario_provenance
from .config.capital import Capital
from .data import Inputs, load_inputs
from .data.tables import TableSource
from .errors import Problem, ScenarioError
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
        "max_rate_per_head": options.max_rate_per_head,
        "max_growth_multiple": options.max_growth_multiple,
        "growth_floor_per_year": options.growth_floor_per_year,
        "ramp_ratio": options.ramp_ratio,
        "reference_region": options.reference_region,
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
    for name, fc in (("EHC plans", ehcp), ("SEN support", sen)):
        for line in fc.warnings if fc is not None else ():
            log.warning("forecast of %s: %s", name, line)
    return ehcp, sen


def forecast_warnings(ehcp: DemandForecast, sen: DemandForecast | None) -> list[str]:
    """Every forecast warning, prefixed by the provision (for ``summary.json``)."""
    out = [f"EHC plans: {w}" for w in ehcp.warnings]
    return out + [f"SEN support: {w}" for w in (sen.warnings if sen is not None else [])]


def _by_year(
    scenario: Scenario,
    ehcp_total: pd.DataFrame,
    mitigated: Plan,
    unmitigated: Plan | None,
    forecast: pd.DataFrame,
) -> list[dict[str, Any]]:
    alloc = mitigated.allocation
    placements, shortfall, policy = alloc.placements, alloc.shortfall, alloc.policy
    demand, not_placed = mitigated.demand, mitigated.not_placed
    base_cost = (
        unmitigated.allocation.placements.groupby("year")["cost"].sum()
        if unmitigated is not None
        else None
    )
    rows = []
    for year in scenario.plan_years:
        p = placements[placements["year"] == year]
        tier_counts = p.groupby("tier", observed=False)["children"].sum()
        ehcp = ehcp_total[ehcp_total["year"] == year]
        sen = forecast[(forecast["provision"] == "sen_support") & (forecast["year"] == year)]
        pol = policy[policy["year"] == year].iloc[0]
        placed_here = float(p["children"].sum())
        unplaced = float(not_placed.loc[not_placed["year"] == year, "children"].sum())
        to_place = float(demand.loc[demand["year"] == year, "children"].sum())
        row: dict[str, Any] = {
            "year": year,
            # scenario demand (after any demand lever); interval from the projection
            "ehc_plans": round(to_place + unplaced, 3),
            "ehc_plans_projected": round(float(ehcp["mean"].sum()), 3),
            "ehc_plans_lower": round(float(ehcp["lower"].sum()), 3),
            "ehc_plans_upper": round(float(ehcp["upper"].sum()), 3),
            "sen_support": round(float(sen["mean"].sum()), 3),
            "not_placed": round(unplaced, 3),
            "demand": round(to_place, 3),
            "placed": round(placed_here, 3),
            "placed_new": round(float(p.loc[p["status"] == "new", "children"].sum()), 3),
            "shortfall": round(
                float(shortfall.loc[shortfall["year"] == year, "children"].sum()), 3
            ),
            "out_of_area": round(float(p.loc[~p["in_area"], "children"].sum()), 3),
            "displaced": round(float(pol["displaced"]), 3),
            "cost": round(float(p["cost"].sum()), 2),
            **{f"placed_{t}": round(float(tier_counts.get(t, 0.0)), 3) for t in taxonomy.TIERS},
        }
        if "out_of_area_cap" in pol:
            row["out_of_area_counted"] = round(float(pol["out_of_area"]), 3)
            row["out_of_area_cap"] = round(float(pol["out_of_area_cap"]), 3)
            row["out_of_area_target_missed"] = round(float(pol["out_of_area_target_missed"]), 3)
        if "budget" in pol:
            row["budget"] = None if np.isnan(pol["budget"]) else round(float(pol["budget"]), 2)
            row["budget_overrun"] = round(float(pol["budget_overrun"]), 2)
        if base_cost is not None:
            row["unmitigated_cost"] = round(float(base_cost.get(year, 0.0)), 2)
        rows.append(row)
    return rows


def local_places(mitigated: Plan, unmitigated: Plan | None) -> pd.DataFrame:
    """In-area children by tier and year with and without the levers.

    ``extra_local_places`` is how many more in-area places the levers use than the
    unmitigated run; ``further_places_to_meet_target`` spreads any out-of-area target miss
    over tiers in proportion to the out-of-area children counted in that year.
    """

    def in_area(pl: Plan) -> pd.Series:
        p = pl.allocation.placements
        return p[p["in_area"]].groupby(["year", "tier"], observed=False)["children"].sum()

    index = pd.MultiIndex.from_product(
        [mitigated.arrays.years, list(taxonomy.TIERS)], names=["year", "tier"]
    )
    out = pd.DataFrame(index=index)
    out["in_area_mitigated"] = in_area(mitigated).reindex(index, fill_value=0.0)
    out["in_area_unmitigated"] = (
        in_area(unmitigated).reindex(index, fill_value=0.0)
        if unmitigated is not None
        else out["in_area_mitigated"]
    )
    out["extra_local_places"] = (out["in_area_mitigated"] - out["in_area_unmitigated"]).clip(
        lower=0.0
    )
    out["further_places_to_meet_target"] = 0.0
    ooa = mitigated.arrays.out_of_area
    if ooa is not None:
        policy = mitigated.allocation.policy.set_index("year")
        counted_settings = set(mitigated.arrays.settings["setting"][ooa.settings])
        p = mitigated.allocation.placements
        p = p[p["setting"].isin(counted_settings)]
        if ooa.new_only:
            p = p[p["status"] == "new"]
        by_tier = p.groupby(["year", "tier"], observed=False)["children"].sum()
        for year in mitigated.arrays.years:
            missed = float(policy.loc[year, "out_of_area_target_missed"])
            if missed <= 0:
                continue
            shares = by_tier.loc[year] if year in by_tier.index.get_level_values(0) else None
            if shares is None or shares.sum() <= 0:
                continue
            for tier, n in (shares / shares.sum()).items():
                out.loc[(year, str(tier)), "further_places_to_meet_target"] = missed * float(n)
    out = out.reset_index()
    return taxonomy.as_categories(out)


def capital_value(mitigated: Plan) -> pd.DataFrame:
    """The builds table with what each built option saves, by re-solving without it.

    With the other decisions as taken, each built option is removed in turn and the
    linear programme solved again. ``running_cost_saving`` is the placement cost without
    it minus with it (£ over the plan years); ``net_saving`` subtracts the annualised
    capital cost for the plan years it is open; ``shortfall_avoided`` and
    ``out_of_area_avoided`` are child-years; ``payback_years`` is capital cost over the
    yearly running-cost saving (blank when it saves nothing).
    """
    arrays, alloc = mitigated.arrays, mitigated.allocation
    table = builds_table(arrays, alloc)
    cap = arrays.capital
    extra = [
        "running_cost_saving",
        "net_saving",
        "shortfall_avoided",
        "out_of_area_avoided",
        "payback_years",
    ]
    for col in extra:
        table[col] = np.nan
    if cap is None or table.empty:
        return table
    x = alloc.solution.placed
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    with_cost = float(x @ arrays.unit_cost)
    with_short = float(alloc.solution.unmet.sum())
    with_ooa = float(x[~in_area].sum())
    for i, row in enumerate(table.to_dict("records")):
        if not row["built"]:
            continue
        cost, short, ooa, _ = cost_without(alloc, i)
        open_years = int((arrays.years >= row["open_year"]).sum())
        saving = cost - with_cost
        table.loc[i, "running_cost_saving"] = saving
        table.loc[i, "net_saving"] = saving - row["annualised_cost"] * open_years
        table.loc[i, "shortfall_avoided"] = short - with_short
        table.loc[i, "out_of_area_avoided"] = ooa - with_ooa
        if saving > 0 and open_years:
            table.loc[i, "payback_years"] = row["capital_cost"] / (saving / open_years)
    return table


def shadow_prices(capacity: pd.DataFrame) -> pd.DataFrame:
    """Limited settings' ``value_per_place`` by year, with places and use.

    Columns: ``year, setting, name, tier, in_area, places, used, value_per_place`` (£ a year
    saved by one more place; zero where places are spare).
    """
    cols = ["year", "setting", "name", "tier", "in_area", "places", "used", "value_per_place"]
    limited = capacity[capacity["places"].notna()]
    return limited[cols].reset_index(drop=True)


def most_valuable_places(shadow: pd.DataFrame, n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` settings where one more place saves most, with the first year it does."""
    valued = shadow[shadow["value_per_place"] > 1e-6]
    if valued.empty:
        return []
    best = (
        valued.sort_values(["value_per_place", "year"], ascending=[False, True])
        .groupby("setting", sort=False, observed=True)
        .head(1)
        .head(n)
    )
    first = valued.groupby("setting", observed=True)["year"].min()
    return [
        {
            "setting": str(r["setting"]),
            "name": str(r["name"]),
            "tier": str(r["tier"]),
            "in_area": bool(r["in_area"]),
            "value_per_place": round(float(r["value_per_place"]), 2),
            "year_of_highest_value": int(r["year"]),
            "first_year_valuable": int(first[r["setting"]]),
        }
        for r in best.to_dict("records")
    ]


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

    demand_out = taxonomy.as_categories(mitigated.demand)
    demand_out["level"] = demand_out["level"].astype(str).astype(taxonomy.TIER_DTYPE)
    by_year = _by_year(sc, ehcp.aggregate(()), mitigated, unmitigated, forecast)
    base = mitigated.stock.merge(inputs.settings[["setting", "in_area"]], on="setting", how="left")
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "description": sc.description,
        "base_year": sc.base_year,
        "plan_years": sc.plan_years,
        "levers": sc.levers.model_dump(mode="json", exclude_defaults=True),
        "objective": round(alloc.solution.objective, 2),
        "solver": alloc.solution.solver,
        "status": alloc.solution.status.value,
        "total_cost": round(float(alloc.placements["cost"].sum()), 2),
        "total_shortfall": round(float(alloc.shortfall["children"].sum()), 3),
        "base_year_ehc_plans": float(
            inputs.caseload.loc[inputs.caseload["year"] == sc.base_year, "children"].sum()
        ),
        "base_year_out_of_area": float(base.loc[~base["in_area"].astype(bool), "children"].sum()),
        "by_year": by_year,
        "forecast_warnings": forecast_warnings(ehcp, sen),
        "model_size": {
            "groups": len(mitigated.arrays.groups),
            "settings": len(mitigated.arrays.settings),
            "eligible_pairs": mitigated.arrays.n_pairs,
            "columns": alloc.model.matrix.n_cols,
            "rows": alloc.model.matrix.n_rows,
            "capacity_rows": alloc.model.capacity_rows,
            "continuity_rows": alloc.model.continuity_rows,
        },
        "timings": {k: round(v, 4) for k, v in timings.items()},
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
    if unmitigated is not None:
        summary["unmitigated_total_cost"] = round(
            float(unmitigated.allocation.placements["cost"].sum()), 2
        )
    if sc.levers.out_of_area is not None:
        summary["out_of_area_target_missed"] = {
            str(r["year"]): r["out_of_area_target_missed"] for r in by_year
        }
    builds = capital_value(mitigated)
    shadow = shadow_prices(alloc.capacity)
    if mitigated.arrays.capital is not None:
        summary["capital"] = {
            "mip_gap": alloc.solution.mip_gap,
            "built": builds.loc[builds["built"].astype(bool), "option"].tolist(),
            "capital_cost": round(float(builds["capital_cost"].sum()), 2),
        }
    summary["most_valuable_places"] = most_valuable_places(shadow)
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
        local_places=local_places(mitigated, unmitigated),
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


def compare(sources: Sequence[ScenarioSource], *, on_stage: StageHook | None = None) -> Comparison:
    """Run several scenarios and compare them against the first.

    Args:
        sources: Scenario paths, mappings or objects; ``(path, name)`` runs the named
            scenario of a file.
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
            results.append(run(src[0], scenario=src[1], on_stage=on_stage))
        else:
            results.append(run(src, on_stage=on_stage))
    names = [r.summary["scenario"] for r in results]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(
            "scenarios to compare must have different names",
            [Problem("name", f"{d!r} appears {names.count(d)} times") for d in dupes],
        )
    return Comparison(comparison_table(results), results)
