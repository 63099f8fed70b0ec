"""Demand projection: children by need and age, with backtests, intervals and sample paths."""

from .evaluate import backtest_table, summarise_backtest
from .methods import METHOD_NAMES
from .methods.flowmethod import FlowLevers
from .project import DEFAULT_CANDIDATES, forecast_demand
from .reconcile import RECONCILE_METHODS
from .result import DemandForecast

__all__ = [
    "DEFAULT_CANDIDATES",
    "METHOD_NAMES",
    "RECONCILE_METHODS",
    "DemandForecast",
    "FlowLevers",
    "backtest_table",
    "forecast_demand",
    "summarise_backtest",
]
