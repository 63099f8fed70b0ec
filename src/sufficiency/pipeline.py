"""run() and compare(): the stages chained — load, forecast, allocate, postprocess — timed and
recorded with provenance."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import scratch, taxonomy
from .allocate.plan import plan_and_unmitigated
from .blas_threads import one_blas_thread
from .config import Scenario, load_scenario
from .data import load_inputs
from .data.tables import TableSource
from .errors import Problem, ScenarioError
from .forecast.scenario import forecast_warnings, project
from .model.arrays import cost_comparison
from .model.canonical import canonical
from .postprocess.assumptions import blank_not_modelled
from .postprocess.bands import top_up_by_band
from .postprocess.comparison import comparison_table, each_warning_once
from .postprocess.disclosure import RULE
from .postprocess.headline import demand_table, forecast_table, summarise
from .postprocess.places import local_places, shadow_prices
from .postprocess.provenance import provenance
from .postprocess.recorded import recorded_placements as recorded
from .postprocess.returns import by_financial_year, returns_tables, scap_places_of_run
from .results import Comparison, Later, Result

if TYPE_CHECKING:
    from .allocate.plan import Plan
    from .data.inputs import Inputs
    from .postprocess.allocation import Allocation

log = logging.getLogger(__name__)

#: Callback told the name of each stage as it starts (the CLI shows progress with it).
StageHook = Callable[[str], None]


@one_blas_thread()  # a long vector's dot product would wake BLAS threads that then spin
def run(
    source: str | Path | Mapping[str, Any] | Scenario,
    *,
    scenario: str | None = None,
    overrides: Sequence[str] = (),
    set_values: Mapping[str, Any] | Iterable[str] | None = None,
    tables: Mapping[str, TableSource] | None = None,
    on_stage: StageHook | None = None,
    returns: bool = True,
    place_values: bool = True,
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
        returns: Make the DfE returns' tables (``dsg_plan``, ``scap``,
            ``commissioning``); False leaves them empty (a sweep keeps only the summary).
        place_values: Find what one more place in each setting would save, in pounds (a
            second, money-only solve of each plan); False leaves capacity's
            ``value_per_place`` NaN: no setting is listed as worth another place.

    Returns:
        The result: tables (those a sweep never reads made when first read), summary,
        timings and provenance.

    Raises:
        SufficiencyError: Any problem with the scenario, inputs, forecast or solve, with a
            message naming where it is.
    """
    timings: dict[str, float] = {}
    hook = on_stage or (lambda _name: None)
    scratch.clean_stale()  # folders left by a run that was killed

    hook("load")
    t = time.perf_counter()
    sc = load_scenario(source, scenario=scenario, overrides=overrides, set_values=set_values)
    inputs = canonical(load_inputs(sc, tables=dict(tables) if tables else None))
    timings["load"] = time.perf_counter() - t

    hook("forecast")
    t = time.perf_counter()
    ehcp, sen = project(sc, inputs)
    support = sen.frame if sen is not None else None
    forecast = forecast_table(ehcp.frame, support)
    timings["forecast"] = time.perf_counter() - t

    hook("solve")
    mitigated, unmitigated = plan_and_unmitigated(
        sc, inputs, ehcp.frame, support, place_values=place_values
    )
    timings.update(mitigated.timings)
    if unmitigated is not None:  # solved beside the plan: its time is its own
        timings["unmitigated"] = unmitigated.timings["unmitigated"]
    alloc, builds = mitigated.allocation, mitigated.builds
    unalloc = unmitigated.allocation if unmitigated is not None else None
    unmit = (unalloc.placements, unmitigated.not_in_school) if unmitigated and unalloc else None
    shadow = shadow_prices(alloc.capacity)
    head, tail = summarise(
        sc,
        inputs,
        ehcp.aggregate(()),
        forecast,
        (alloc, mitigated.demand, mitigated.not_in_school, mitigated.stock),
        (unmitigated.allocation, unmitigated.not_in_school) if unmitigated is not None else None,
        builds,
        shadow,
    )
    summary: dict[str, Any] = {
        **head,
        "forecast_warnings": forecast_warnings(ehcp, sen),
        "by_financial_year": by_financial_year(head["by_year"]),
        **({"disclosure": RULE} if sc.report.disclosure else {}),
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "provenance": provenance(sc, inputs),
        **tail,
    }
    blank_not_modelled(summary)  # what no input covers reads null, never 0
    total, gap = summary["total_cost"], summary["total_shortfall"]
    log.info("run %s: total cost £%.0f, gap %.1f", sc.name, total, gap)
    if "unlawful" in summary:
        log.warning(
            "%s: %.1f child-years with no place: %s",
            sc.name,
            summary["total_no_place"],
            summary["unlawful"],
        )
    spread = None
    if sc.uncertainty.draws:
        # (imported here: the draws' process pool and their tables, 0.07 s, only when asked)
        from .allocate.draws import uncertainty

        hook("draws")
        t = time.perf_counter()
        spread = uncertainty(sc, inputs, ehcp, mitigated)
        summary["timings"]["draws"] = round(time.perf_counter() - t, 4)
    return Result(
        uncertainty=spread,
        top_up_by_band=top_up_by_band(mitigated.arrays, alloc.solution.placed),
        demand=demand_table(mitigated.demand),
        placements=alloc.placements,
        shortfall=alloc.shortfall,
        costs=alloc.costs,
        capacity=alloc.capacity,
        forecast=forecast,
        displaced=alloc.displaced,
        builds=builds,
        shadow_prices=shadow,
        **Later.each(  # type: ignore[arg-type]
            recorded=lambda: recorded(
                mitigated.stock, inputs.settings, sc.base_year, alloc.placements
            ),
            local_places=lambda: local_places(mitigated.arrays, alloc, unalloc),
            cost_avoided=lambda: taxonomy.as_categories(cost_comparison(mitigated.arrays)),
            not_in_school=lambda: taxonomy.as_categories(mitigated.not_in_school),
        ),
        **_returns_later(sc, inputs, alloc, mitigated, unmit, returns),  # type: ignore[arg-type]
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


def _returns_later(
    sc: Scenario,
    inputs: Inputs,
    alloc: Allocation,
    mitigated: Plan,
    unmitigated: tuple[pd.DataFrame, pd.DataFrame] | None,
    returns: bool,
) -> dict[str, Later | pd.DataFrame]:
    """The DfE returns' tables of a run, made when first read (empty without ``returns``)."""
    names = ("dsg_plan", "scap", "commissioning", "scap_places")
    if not returns:
        return {name: pd.DataFrame() for name in names}

    def make() -> dict[str, pd.DataFrame]:
        tables = returns_tables(alloc.placements, mitigated.not_in_school, unmitigated, sc.returns)
        tables["scap_places"] = scap_places_of_run(
            mitigated.arrays.settings, inputs, alloc, sc.base_year
        )
        return tables

    return dict.fromkeys(names, Later(make))


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
        ScenarioError: If fewer than one scenario is given, two share a name, or one cannot
            be loaded: every scenario is loaded and checked before the first is run.
    """
    if not sources:
        raise ScenarioError("compare needs at least one scenario")
    pairs = [src if isinstance(src, tuple) else (src, None) for src in sources]
    scenarios = [load_scenario(p, scenario=n, set_values=set_values) for p, n in pairs]
    names = [sc.name for sc in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(
            "scenarios to compare must have different names",
            [Problem("name", f"{d!r} appears {names.count(d)} times") for d in dupes],
        )
    with each_warning_once():
        results = [run(sc, on_stage=on_stage) for sc in scenarios]
    return Comparison(comparison_table([r.summary for r in results]), results)
