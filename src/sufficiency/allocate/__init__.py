"""The allocation stage: demand by level, cost arrays, the placement LP and its tables.

This package is the stage's face (:mod:`.plan`); the work is done in
:mod:`sufficiency.model` (preprocessing), :mod:`sufficiency.solve` (the LP backend) and
:mod:`sufficiency.postprocess` (tables from a solution).
"""

from ..model.arrays import AllocationArrays, build_arrays, eligibility
from ..model.levels import NOT_IN_SCHOOL_LEVELS, NOT_PLACED_LEVEL, demand_by_level, level_shares
from ..postprocess.allocation import Allocation
from ..solve.lp import SolveStatus
from .plan import Plan, allocate, plan, value_builds

__all__ = [
    "NOT_IN_SCHOOL_LEVELS",
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
    "value_builds",
]
