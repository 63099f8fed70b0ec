"""Demand projection: children by need and age, with intervals and sample paths."""

from .project import DemandForecast, forecast_demand

__all__ = ["DemandForecast", "forecast_demand"]
