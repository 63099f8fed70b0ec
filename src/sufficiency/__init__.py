"""sufficiency: SEND sufficiency planning for English local authorities.

Project demand for EHC plans and SEN support, allocate it across the graduated model of
provision with a linear programme, and report costs and the sufficiency gap.
"""

from . import datasets
from .allocate import allocate, build_arrays
from .config import Scenario, load_scenario
from .data import load_inputs
from .errors import DataError, ForecastError, ScenarioError, SolveError, SufficiencyError
from .forecast import DemandForecast, forecast_demand
from .pipeline import compare, run
from .results import Comparison, Result
from .sweep import Sweep, sweep

__all__ = [
    "Comparison",
    "DataError",
    "DemandForecast",
    "ForecastError",
    "Result",
    "Scenario",
    "ScenarioError",
    "SolveError",
    "SufficiencyError",
    "Sweep",
    "allocate",
    "build_arrays",
    "compare",
    "datasets",
    "forecast_demand",
    "load_inputs",
    "load_scenario",
    "run",
    "sweep",
]
