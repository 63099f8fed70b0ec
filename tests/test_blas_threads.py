"""The library's own work runs with one BLAS thread (:mod:`sufficiency.blas_threads`); the
caller's limit is restored after each call, and the draws' worker processes keep one."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import sufficiency
from sufficiency.solve import pool as draw_pool


def _blas_threads(info: list[dict] | None = None) -> set[int]:
    return {int(i["num_threads"]) for i in (info or threadpool_info()) if i["user_api"] == "blas"}


@pytest.fixture
def two_threads():  # type: ignore[no-untyped-def]
    """BLAS on two threads in this process, as on a machine with cores to spare."""
    if not _blas_threads():
        pytest.skip("numpy has no BLAS library threadpoolctl can see")
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas_threads() != {2}:
            pytest.skip("this BLAS cannot run two threads here")
        yield


def _spy(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[set[int]]:
    """Record the BLAS threads each time ``module.name`` is called."""
    seen: list[set[int]] = []
    called = getattr(module, name)

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(_blas_threads())
        return called(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_a_run_works_on_one_blas_thread_and_restores_the_callers(
    two_threads, write_tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy(monkeypatch, importlib.import_module("sufficiency.pipeline"), "project")
    sufficiency.run(write_tiny())
    assert seen == [{1}]
    assert _blas_threads() == {2}


def test_allocate_on_one_blas_thread(two_threads, write_tiny, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the module, not its plan()
    seen = _spy(monkeypatch, importlib.import_module("sufficiency.allocate.plan"), "solve_model")
    result = sufficiency.run(write_tiny())
    seen.clear()
    sufficiency.allocate(result.extras["arrays"])
    assert seen and all(s == {1} for s in seen)
    assert _blas_threads() == {2}


def test_draw_workers_keep_one_blas_thread(two_threads) -> None:
    with draw_pool.pool(2) as workers:
        assert workers is not None
        infos = [workers.submit(threadpool_info).result(timeout=120) for _ in range(4)]
    for info in infos:
        assert _blas_threads(info) == {1}


def test_the_module_is_where_the_library_limits_blas() -> None:
    """threadpoolctl is called in one module only."""
    src = Path(sufficiency.__file__).parent
    users = sorted(
        p.relative_to(src).as_posix() for p in src.rglob("*.py") if "threadpoolctl" in p.read_text()
    )
    assert users == ["blas_threads.py"]


def test_blocks_in_threads_that_end_out_of_order_restore_the_callers_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A enters, B enters, A leaves (B's limit stays), B leaves (the caller's restored):
    the first block in sets the limit, the last out restores it, nested blocks too.
    (threadpoolctl is replaced by a recorder: OpenBLAS itself does not always take a
    limit set from a thread other than the one that set the caller's.)"""
    import threading

    import sufficiency.blas_threads as blas

    events: list[str] = []

    class Recorder:
        def __init__(self, limits: int, user_api: str) -> None:
            assert (limits, user_api) == (1, "blas")
            events.append("limit")

        def restore_original_limits(self) -> None:
            events.append("restore")

    monkeypatch.setattr(blas, "threadpool_limits", Recorder)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with blas.one_blas_thread():
            a_in.set()
            b_in.wait(10)
        events.append("a left")
        a_out.set()

    def second() -> None:
        a_in.wait(10)
        with blas.one_blas_thread():
            b_in.set()
            a_out.wait(10)
            with blas.one_blas_thread():  # nested
                events.append("nested")
            events.append("b leaving")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert events == ["limit", "a left", "nested", "b leaving", "restore"]
    with pytest.raises(RuntimeError), blas.one_blas_thread():  # an error inside still restores
        raise RuntimeError
    assert events[-2:] == ["limit", "restore"]
