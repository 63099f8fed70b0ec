"""Draws solved side by side: a pool of worker processes and the shares handed to them.

Each worker solves a share of the draws with :func:`~sufficiency.solve.draws.solve_demands`
from the plan's solution, so the answer does not depend on how draws are shared out.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..model.arrays import AllocationArrays
from .draws import solve_demands
from .matrix import LpMatrix

__all__ = ["SHARES_PER_WORKER", "DrawModel", "pool", "submit"]


@dataclass
class DrawModel:
    """The model the draws are solved with: the plan's, or the plan's with extra groups.

    Attributes:
        arrays: Its arrays.
        matrix: Its matrix.
        values: Column values whose integer (build) columns are the plan's decisions.
    """

    arrays: AllocationArrays
    matrix: LpMatrix
    values: np.ndarray


#: Draws handed to a worker at a time, per worker (smaller shares even out the workers).
SHARES_PER_WORKER = 4


@contextmanager
def pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` processes (started with ``spawn``: no fork of a threaded process), each
    set going at once so that their start-up overlaps the draws' demand tables; None for
    one worker (draws are solved in this process)."""
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool


def _ready() -> None:
    """Nothing: a task that makes a worker start (importing this module)."""


def submit(
    model: DrawModel,
    vectors: np.ndarray,
    time_limit: float,
    pool: ProcessPoolExecutor | None,
    workers: int,
    values: np.ndarray | None = None,
) -> Callable[[], np.ndarray]:
    """Start solving each draw (in ``pool``'s ``workers``, or in this process when there is
    no pool) with the build decisions fixed at ``values`` (the plan's when None); call the
    result for each draw's ``x`` and ``u`` values."""
    values = model.values if values is None else values
    args = (model.arrays, model.matrix, values)
    if pool is None or len(vectors) < 2:
        solved = solve_demands(*args, vectors, time_limit)
        return lambda: solved
    shares = np.array_split(vectors, min(len(vectors), workers * SHARES_PER_WORKER))
    key = uuid.uuid4().hex
    parts = [pool.submit(solve_demands, *args, share, time_limit, key) for share in shares]
    return lambda: np.concatenate([p.result() for p in parts])
