"""One BLAS thread for the library's own work.

numpy and scipy call OpenBLAS for a dot product of two long vectors (a cost vector and a
solution of 20,000 or more columns) and for the small matrices of statsmodels' optimisers.
OpenBLAS then wakes its other threads, and they spin, waiting for more work, for a while
after each call: a loop of such dot products between Python steps took twice its wall time
in CPU (measured: 0.21 s of CPU for 0.10 s of wall on 2 cores). On an idle core that costs
only power; beside a second worker (the draws' processes, a sweep's workers) or a solver's
threads it takes the core they need. The library's matrices are sparse or small, so one
thread loses little: 40 forecast draws of the bundled borough in one process took 15.9–16.3 s
of wall time and as much CPU with one BLAS thread, 15.4–15.8 s and 19.8–20.3 s of CPU with
two; 200 draws on two worker processes 49 s instead of 61 s.

:func:`one_blas_thread` limits BLAS to one thread inside a block and restores the caller's
limit after it, so a notebook's own numpy work keeps its threads; :func:`run`, the
stages' faces and the forecast run their work inside it, and worker processes the library
starts itself keep one thread for good (:func:`limit_this_process`). OpenBLAS does not
always take a limit set from another thread than the one that set the caller's own (seen
with OpenBLAS 0.3.31): work the library runs in threads may then keep the caller's
threads: more CPU, and last digits summed in another order (about 1e-14 relative).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["limit_this_process", "one_blas_thread"]

_LOCK = threading.Lock()
_depth = 0
_limiter: threadpool_limits | None = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS (OpenBLAS, MKL…) on one thread; the limit before is restored.

    Re-entrant and thread-safe: blocks may nest and run in several threads at once (the
    unmitigated plan solved beside the plan, runs a sweep holds in threads); the first to
    enter sets the limit and the last to leave restores what the process had before, so a
    block that ends while another runs does not lift the other's limit, and none leaves the
    process on one thread.
    """
    global _depth, _limiter
    with _LOCK:
        if _depth == 0:
            _limiter = threadpool_limits(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def limit_this_process() -> None:
    """BLAS on one thread in this process from now on: for worker processes the library
    starts itself (they work side by side, one to a core)."""
    threadpool_limits(limits=1, user_api="blas")
