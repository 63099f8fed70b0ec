"""Draws solved side by side: a pool of worker processes and the shares handed to them.

Each worker solves a share of the draws with :func:`~sufficiency.solve.draws.solve_demands`
from the plan's solution, so the answer does not depend on how draws are shared out.

Workers never outlive the process that started them. They ignore Ctrl-C (the terminal
sends it to the whole process group; the parent decides), and an interrupt, SIGTERM (which
the command turns into an exception) or any error in the parent stops them at once: queued
shares are cancelled and the workers terminated, instead of the pool waiting for every
draw. If the parent dies without a chance to clean up (``kill -9``), each worker dies
with it: on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``), and everywhere a
watchdog thread ends it when its parent process is gone.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..blas_threads import limit_this_process
from ..model.arrays import AllocationArrays
from . import engines
from .draws import solve_demands
from .matrix import LpMatrix

__all__ = ["SHARES_PER_WORKER", "DrawModel", "pool", "submit"]

log = logging.getLogger(__name__)

#: Seconds between a worker's checks that its parent is alive.
WATCHDOG_SECONDS = 0.5

#: Seconds a terminated worker is given to end before it is killed.
STOP_GRACE_SECONDS = 0.5


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
    one worker (draws are solved in this process).

    Leaving the block normally waits for the workers; leaving it by any exception
    (``KeyboardInterrupt`` on Ctrl-C, the command's ``Terminated`` on SIGTERM, an error)
    cancels what is queued and terminates the workers (:func:`stop`), so the program
    ends within a second instead of after every draw.
    """
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    try:
        with _sigint_ignored():  # workers start with Ctrl-C ignored, even while importing
            for _ in range(workers):
                executor.submit(_ready)
        yield executor
    except BaseException:
        stop(executor)
        raise
    executor.shutdown(wait=True)


def stop(executor: ProcessPoolExecutor) -> None:
    """Cancel ``executor``'s queued tasks and end its worker processes now.

    Each worker is sent SIGTERM, then SIGKILL if it has not ended within
    :data:`STOP_GRACE_SECONDS`.
    """
    # the executor's own map of its processes and its manager thread: the only handles on
    # them it offers
    procs = list((getattr(executor, "_processes", None) or {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)
    if manager is not None:
        # it sees its workers gone and closes its pipes: left running, Python's exit would
        # write to a pipe it had closed meanwhile ("Bad file descriptor")
        manager.join(1.0)
    log.debug("stopped %d draw workers", len(procs))


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process while the block runs (main thread only); processes
    started meanwhile inherit the disposition, and Python keeps it ignored at start-up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_start(parent: int) -> None:
    """In each worker, first: ignore Ctrl-C and die with the parent process ``parent``;
    then BLAS on one thread (the workers run side by side, one to a core)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the worker could ask
        os._exit(1)
    threading.Thread(target=_watchdog, args=(parent,), name="parent-watchdog", daemon=True).start()
    limit_this_process()


def _die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError):  # no libc or no prctl: the watchdog remains
        log.debug("prctl is not available; the parent watchdog alone ends orphaned workers")


def _watchdog(parent: int) -> None:
    """End this process as soon as its parent ``parent`` is gone (it is re-parented)."""
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


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
    return lambda: np.concatenate([engines.result_of(p) for p in parts])
