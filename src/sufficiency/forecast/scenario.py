"""The forecast stage for a scenario: EHC plans and SEN support projected with its options."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..errors import ForecastError, Problem
from .methods.flowmethod import FlowLevers
from .project import forecast_demand
from .result import DemandForecast

log = logging.getLogger(__name__)


def project(scenario: Scenario, inputs: Inputs) -> tuple[DemandForecast, DemandForecast | None]:
    """Forecast EHC plans (and SEN support, if given) by need and age band.

    Every option of the scenario's ``forecast`` section is passed on to
    :func:`~sufficiency.forecast_demand`; sample paths are seeded from the scenario's
    seed (SEN support from seed + 1). The flows table and the flow levers
    (``levers.requests``, ``levers.conversion``) are of EHC plans: SEN support is
    forecast without them (``auto`` where the scenario asks for ``flows``).
    """
    options = scenario.forecast
    common: dict[str, Any] = {
        "horizon": scenario.horizon_years,
        "method": options.method,
        "by": ("need", "age_band"),
        "interval_level": options.interval_level,
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
        "sample_paths": options.sample_paths,
        "max_rate_per_head": options.max_rate_per_head,
        "max_growth_multiple": options.max_growth_multiple,
        "growth_floor_per_year": options.growth_floor_per_year,
        "ramp_ratio": options.ramp_ratio,
        "reference_region": options.reference_region,
    }
    history = inputs.caseload[inputs.caseload["year"] <= scenario.base_year]
    ehcp = forecast_demand(
        history,
        inputs.population,
        rng=np.random.default_rng(scenario.seed),
        flows=inputs.flows,
        flow_levers=FlowLevers.from_levers(scenario.levers),
        **common,
    )
    sen = None
    if inputs.sen_support is not None and len(inputs.sen_support):
        sen_hist = inputs.sen_support[inputs.sen_support["year"] <= scenario.base_year]
        no_flows = {
            "method": "auto" if options.method == "flows" else options.method,
            "candidates": None
            if options.candidates is None
            else tuple(m for m in options.candidates if m != "flows") or None,
        }
        try:
            sen = forecast_demand(
                sen_hist,
                inputs.population,
                rng=np.random.default_rng(scenario.seed + 1),
                plans_floor=False,  # children leave SEN support at any time
                **(common | no_flows),
            )
        except ForecastError as error:  # say which history: the plans' may be fine
            raise ForecastError(
                f"children on SEN support (data.sen_support): {error.summary}",
                [
                    Problem(p.where, f"in the SEN support history, {p.message}")
                    for p in error.problems
                ],
            ) from None
    for name, fc in (("EHC plans", ehcp), ("SEN support", sen)):
        for line in fc.warnings if fc is not None else ():
            log.warning("forecast of %s: %s", name, line)
    return ehcp, sen


def forecast_warnings(ehcp: DemandForecast, sen: DemandForecast | None) -> list[str]:
    """Every forecast warning, prefixed by the provision (for ``summary.json``)."""
    out = [f"EHC plans: {w}" for w in ehcp.warnings]
    return out + [f"SEN support: {w}" for w in (sen.warnings if sen is not None else [])]
