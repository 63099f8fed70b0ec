"""One BLAS thread for the library's own work.

numpy and scipy call OpenBLAS for a dot product of two long vectors (a cost vector and a
solution of 20,000 or more columns) and for the small matrices of statsmodels' optimisers.
OpenBLAS then wakes its other threads, and they spin, waiting for more work, for a while
after each call: a loop of such dot products between Python steps took twice its wall time
in CPU (measured: 0.21 s of CPU for 0.10 s of wall on 2 cores). On an idle core that costs
only power; beside a second worker (the draws' processes, a sweep's workers) or a solver's
threads it takes the core they need. The library's matrices are sparse or small, so one
thread loses nothing: 40 forecast draws of the bundled borough took the same 15.5 s of wall
time with one BLAS thread as with two, and 15.9 s of CPU instead of 19.8 s.

:func:`one_blas_thread` limits BLAS to one thread inside a block and restores the caller's
limit after it, so a notebook's own numpy work keeps its threads; :func:`run`, the
stages' faces and the forecast run their work inside it, and worker processes the library
starts itself keep one thread for good (:func:`limit_this_process`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["limit_this_process", "one_blas_thread"]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS (OpenBLAS, MKL…) on one thread; the limit before is restored."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def limit_this_process() -> None:
    """BLAS on one thread in this process from now on: for worker processes the library
    starts itself (they work side by side, one to a core)."""
    threadpool_limits(limits=1, user_api="blas")
