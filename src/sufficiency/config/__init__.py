"""Scenario configuration: the schema and the loading of scenario files."""

from .loading import (
    json_schema,
    load_scenario,
    reference_markdown,
    scenario_names,
    scenario_provenance,
)
from .schema import AllocationOptions, DataSources, ForecastOptions, Levers, Scenario

__all__ = [
    "AllocationOptions",
    "DataSources",
    "ForecastOptions",
    "Levers",
    "Scenario",
    "json_schema",
    "load_scenario",
    "reference_markdown",
    "scenario_names",
    "scenario_provenance",
]
