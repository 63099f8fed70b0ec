"""Work done in a thread beside the caller's: the unmitigated plan while the plan is solved.

The two plans of a run with levers or capital options are independent linear programmes,
and much of each is spent in a solver that does not hold the interpreter's lock (Clp in
its own process, HiGHS in compiled code), so solving one beside the other takes less than
their sum.

If the caller stops before it asks for the answer (Ctrl-C, SIGTERM turned into an
exception, an error in its own plan), :meth:`Beside.cancel` kills the thread's solver
processes and makes every engine it starts afterwards raise
:class:`~sufficiency.solve.engines.CancelledError`, so nothing is left running; the thread is a
daemon, so a program that ends does not wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from . import engines

__all__ = ["Beside"]

T = TypeVar("T")


class Beside(Generic[T]):
    """``fn(*args, **kwargs)`` started in a thread of its own; :meth:`result` waits for it.

    Attributes:
        seconds: Wall time the work took (None until it has ended).
    """

    def __init__(self, name: str, fn: Callable[..., T], *args: object, **kwargs: object) -> None:
        self.seconds: float | None = None
        self._value: T | None = None
        self._error: BaseException | None = None
        self._token = engines.CancelToken()
        self._thread = threading.Thread(
            target=self._work, args=(fn, args, kwargs), name=f"sufficiency-{name}", daemon=True
        )
        self._thread.start()

    def _work(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> None:
        start = time.perf_counter()
        try:
            with engines.cancellable(self._token):
                self._value = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - start

    def result(self) -> T:
        """The work's answer, once it has ended (its exception is raised here)."""
        engines.wait_for(self._thread)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the work's solves (see the module's note); its answer is never read."""
        engines.cancel(self._token)
