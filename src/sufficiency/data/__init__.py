"""Input tables: reading CSV, Excel, Parquet or DataFrames and validating them."""

from .flows import FLOW_MEASURES, read_flows
from .inputs import NOT_IN_SCHOOL, NOT_PLACED, Inputs, load_inputs
from .tables import Column, read_table

__all__ = [
    "FLOW_MEASURES",
    "NOT_IN_SCHOOL",
    "NOT_PLACED",
    "Column",
    "Inputs",
    "load_inputs",
    "read_flows",
    "read_table",
]
