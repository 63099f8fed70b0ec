"""Allocation: demand by level, cost arrays, the placement LP and its solution."""

from .allocation import Allocation, allocate
from .arrays import AllocationArrays, build_arrays, eligibility
from .levels import NOT_PLACED_LEVEL, demand_by_level, level_shares
from .lp import SolveStatus
from .plan import Plan, plan

__all__ = [
    "NOT_PLACED_LEVEL",
    "Allocation",
    "AllocationArrays",
    "Plan",
    "SolveStatus",
    "allocate",
    "build_arrays",
    "demand_by_level",
    "eligibility",
    "level_shares",
    "plan",
]
