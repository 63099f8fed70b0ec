"""Input tables: reading CSV, Excel, Parquet or DataFrames and validating them."""

from .inputs import NOT_IN_SCHOOL, NOT_PLACED, Inputs, load_inputs
from .tables import Column, read_table

__all__ = ["NOT_IN_SCHOOL", "NOT_PLACED", "Column", "Inputs", "load_inputs", "read_table"]
