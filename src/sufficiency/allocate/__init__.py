"""Allocation: demand by level, cost arrays, the placement LP and its solution."""

from .allocation import Allocation, allocate
from .arrays import AllocationArrays, build_arrays, eligibility
from .levels import NOT_PLACED_LEVEL, demand_by_level, level_shares
from .lp import SolveStatus

__all__ = [
    "NOT_PLACED_LEVEL",
    "Allocation",
    "AllocationArrays",
    "SolveStatus",
    "allocate",
    "build_arrays",
    "demand_by_level",
    "eligibility",
    "level_shares",
]
