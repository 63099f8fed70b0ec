"""Solver engines that take the whole matrix at once: HiGHS via passModel, CBC/Clp via MPS.

PuLP's own solver classes build the model one row at a time (HiGHS) or write the MPS file
in Python (CBC); handing the engine the whole sparse matrix, or an MPS file written by
HiGHS's compiled writer, removes that overhead. Both engines return the same
:class:`EngineResult`: values and reduced costs per column, activities and duals per row.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeVar

import highspy
import numpy as np

from .. import scratch
from ..errors import SufficiencyError
from .matrix import LpMatrix

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_R = TypeVar("_R")


#: HiGHS's basis of a linear programme: a status per column and per row.
Basis: TypeAlias = highspy.HighsBasis


@dataclass
class EngineResult:
    """What an engine returns.

    Attributes:
        status: ``optimal``, ``infeasible``, ``unbounded``, ``time_limit`` or ``error``.
        objective: Objective value (NaN if none).
        col_value: Value per column.
        col_dual: Reduced cost per column (zeros for a MIP).
        row_value: Activity per row.
        row_dual: Dual value per row (zeros for a MIP).
        mip_gap: Relative optimality gap of a MIP (None for an LP).
        seconds: Wall time of the engine, including writing and reading files.
        message: Engine's own words when it did not reach optimality.
        basis: HiGHS's optimal basis of a linear programme solved whole by HiGHS (a
            re-solve of the same model with other bounds may start from it), else None.
    """

    status: str
    objective: float
    col_value: np.ndarray
    col_dual: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    mip_gap: float | None
    seconds: float
    message: str = ""
    basis: highspy.HighsBasis | None = None


def _failed(m: LpMatrix, message: str, seconds: float = 0.0) -> EngineResult:
    """An ``error`` result of the model's shape, carrying the engine's words."""
    return EngineResult(
        "error",
        float("nan"),
        np.zeros(m.n_cols),
        np.zeros(m.n_cols),
        np.zeros(m.n_rows),
        np.zeros(m.n_rows),
        None,
        seconds,
        message,
    )


def _nothing_to_solve(m: LpMatrix) -> EngineResult | None:
    """The answer of a model with no column and no row (no child to place: nothing to
    choose, nothing to pay), which engines call empty rather than optimal; else None."""
    if m.n_cols or m.n_rows:
        return None
    empty = np.zeros(0)
    return EngineResult("optimal", 0.0, empty, empty, empty, empty, None, 0.0)


class CancelledError(SufficiencyError):
    """The work asking for a solve was cancelled (:func:`cancel`): its caller stopped."""


class CancelToken:
    """What a thread's solves check (:func:`cancellable`): once :func:`cancel` is called,
    the solver processes they started are killed and no engine starts again."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.processes: set[subprocess.Popen[str]] = set()


_RUNS_LOCK = threading.Lock()
_local = threading.local()


@contextmanager
def cancellable(token: CancelToken) -> Iterator[None]:
    """Solves in this thread, inside the block, obey ``token`` (threads they start do not;
    :func:`side_by_side` hands it on). The token before the block is restored after it."""
    before = _token()
    _local.token = token
    try:
        yield
    finally:
        _local.token = before


def cancel(token: CancelToken) -> None:
    """Stop the solves under ``token``: its solver processes are killed and every engine
    started under it from now raises `CancelledError`. A HiGHS solve already running
    ends by itself."""
    with _RUNS_LOCK:
        token.cancelled.set()
        running = list(token.processes)
    for proc in running:
        if proc.poll() is None:
            proc.kill()


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one, as on
    Linux; else every core: macOS and Windows have no ``os.sched_getaffinity``)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


#: Seconds the main thread waits at a time for work in other threads or processes: a
#: Ctrl-C or SIGTERM the kernel hands to another thread (a busy one, under load) is acted
#: on only when the main thread runs Python again, so it never waits longer than this.
WAIT_SLICE_SECONDS = 0.2


def result_of(future: Future[_R]) -> _R:
    """``future.result()``, waited for in slices of :data:`WAIT_SLICE_SECONDS`, so that a
    signal reaches this thread's handler (Ctrl-C: ``KeyboardInterrupt``) at once."""
    while True:
        try:
            return future.result(timeout=WAIT_SLICE_SECONDS)
        except TimeoutError:
            continue


def wait_for(thread: threading.Thread) -> None:
    """``thread.join()``, in slices, for the same reason as :func:`result_of`."""
    while thread.is_alive():
        thread.join(WAIT_SLICE_SECONDS)


def side_by_side(fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """``fn`` over ``items`` in threads, as many as the process may use cores, answers in
    order. For solves, which hold no interpreter lock (HiGHS in compiled code, Clp in its
    own process); each answer is the one ``fn`` gives alone. The threads obey the caller's
    :class:`CancelToken`. If the caller is interrupted, what has not started is dropped
    (a solve running ends by itself) and the interruption raised at once.
    """
    threads = min(len(items), usable_cores())
    if threads <= 1:
        return [fn(item) for item in items]
    token = _token()

    def one(item: _T) -> _R:
        if token is None:
            return fn(item)
        with cancellable(token):
            return fn(item)

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sufficiency-solve")
    try:
        answers = [result_of(f) for f in [pool.submit(one, item) for item in items]]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return answers


def _token() -> CancelToken | None:
    """This thread's cancel token (None outside :func:`cancellable`)."""
    return getattr(_local, "token", None)


def _check_cancelled() -> None:
    token = _token()
    if token is not None and token.cancelled.is_set():
        raise CancelledError("the solve was cancelled: the run it belonged to stopped")


_QUIET_LOCK = threading.Lock()
_quiet_depth = 0
_saved_stdout: int | None = None


@contextmanager
def quiet_native_output() -> Iterator[None]:
    """Keep what compiled solver code prints (HiGHS's "Running HiGHS … Copyright" banner,
    written to file descriptor 1 when a ``Highs`` object is made) out of the caller's
    stdout, unless this module logs at DEBUG (``sufficiency -vv``), as HiGHS's log is shown
    (``output_flag``): a notebook that logs at INFO to follow a run sees none of it.

    Redirects the descriptor itself, so it works in notebooks and terminals alike;
    re-entrant and thread-safe (the first to enter redirects, the last to leave restores).
    """
    global _quiet_depth, _saved_stdout
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    with _QUIET_LOCK:
        if _quiet_depth == 0:
            sys.stdout.flush()
            _saved_stdout = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_stdout is not None:
                os.dup2(_saved_stdout, 1)
                os.close(_saved_stdout)
                _saved_stdout = None


def highs_bounds(values: np.ndarray) -> np.ndarray:
    """Bounds as HiGHS takes them: an infinite one at HiGHS's infinity."""
    return np.clip(np.asarray(values, dtype=float), -highspy.kHighsInf, highspy.kHighsInf)


def _highs_model(m: LpMatrix) -> highspy.Highs:
    """A Highs object holding the model (passed in one call, as arrays), quiet.

    The arrays go to HiGHS's pointer interface, read in place; setting them on a
    ``HighsLp`` instead converts them element by element (≈10 ms against ≈1.5 ms for a
    national LA's model of 85k nonzeros).
    """
    a, lower, upper = m.stacked()
    with quiet_native_output():  # HiGHS prints its banner when constructed
        h = highspy.Highs()
    h.setOptionValue("output_flag", log.isEnabledFor(logging.DEBUG))
    integrality = np.where(
        m.integer, highspy.HighsVarType.kInteger.value, highspy.HighsVarType.kContinuous.value
    ).astype(np.int32)
    status = h.passModel(
        int(m.n_cols),
        int(a.shape[0]),
        int(a.nnz),
        int(highspy.MatrixFormat.kRowwise.value),
        int(highspy.ObjSense.kMinimize.value),
        0.0,
        np.ascontiguousarray(m.cost, dtype=float),
        highs_bounds(m.lower),
        highs_bounds(m.upper),
        highs_bounds(lower),
        highs_bounds(upper),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")
    return h


#: HiGHS options for solving one model many times with new right-hand sides (forecast
#: draws): devex dual pricing instead of dual steepest edge (no weights to keep up to date
#: at each of the ~9,000 iterations) and row-wise PRICE. On the bundled borough's model with
#: continuity they took 0.63-0.66 s of CPU a draw against 0.94-0.96 s for HiGHS's defaults,
#: with the same optimal objective (benchmarks/results/uncertainty.md).
HIGHS_RESOLVE_OPTIONS: dict[str, int | float] = {
    "simplex_dual_edge_weight_strategy": 1,
    "simplex_price_strategy": 1,
}

#: HiGHS options for a re-solve that starts from an optimal basis of the same model with
#: other right-hand sides (a forecast draw from the plan's basis): Dantzig dual pricing, no
#: cost perturbation and no scaling, with row-wise PRICE. Starting from a dual feasible
#: basis, cost perturbation only makes work (HiGHS perturbs, then has to clean up), and
#: the few thousand iterations from a near basis do not repay edge weights. On the bundled
#: borough's draws: 0.27 s of CPU and 2,300 iterations a draw against 0.70 s and 5,000 with
#: :data:`HIGHS_RESOLVE_OPTIONS` from the same basis, with the same optimal objectives
#: (benchmarks/results/uncertainty.md).
HIGHS_WARM_OPTIONS: dict[str, int | float] = {
    "simplex_dual_edge_weight_strategy": 0,
    "simplex_price_strategy": 1,
    "dual_simplex_cost_perturbation_multiplier": 0.0,
    "simplex_scale_strategy": 0,
}

#: HiGHS's option that scales its own cost perturbation; 0 turns it off for a model whose
#: costs are perturbed already (:func:`solve_highs`'s ``perturbed_costs``).
NO_COST_PERTURBATION: dict[str, int | float] = {"dual_simplex_cost_perturbation_multiplier": 0.0}


def set_highs_options(h: highspy.Highs, options: Mapping[str, int | float]) -> None:
    """Set HiGHS ``options`` on ``h``.

    Raises:
        ValueError: If HiGHS rejects one (unknown name or bad value).
    """
    for name, value in options.items():
        if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS rejected option {name}={value!r}")


_HIGHS_STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "infeasible",
    "kTimeLimit": "time_limit",
}


def option_value(h: highspy.Highs, name: str) -> int | float:
    """The value of one of ``h``'s options (highspy returns it with a status, or alone)."""
    got = h.getOptionValue(name)
    value = got[1] if isinstance(got, tuple) else got
    return value if isinstance(value, int | float) else float(value)


def highs_status(model_status: highspy.HighsModelStatus) -> str:
    """Our status word for a HiGHS model status (anything unlisted is ``error``)."""
    return _HIGHS_STATUS.get(model_status.name, "error")


#: Rows of the largest independent part of a linear programme from which HiGHS's interior
#: point (with crossover) beats its simplex on the allocation LP with continuity, by
#: benchmark (CPU seconds, dominated chains fixed empty, see :mod:`.dominance`): 6k rows
#: simplex 0.46 s / IPM 0.31 s, 15k rows 8.1 / 1.4 s, 44k rows > 60 / 7.1 s; parts made of
#: many small components (the largest 2.6k rows) 0.02 / 0.06 s. Whole models without the
#: reduction: 13k rows 1.1 / 1.2 s, 24k rows 5.4 / 2.8 s, 138k rows > 900 / 52–57 s.
HIGHS_IPM_ROWS = 5_000

#: A linear programme that HiGHS's presolve cuts to less than this share of its rows is
#: solved by the simplex whatever its size. The rows above were measured on models that
#: presolve barely reduces (the bundled borough's and synthetic councils' parts keep about
#: 90% of their rows, a region's 97%: the interior point wins there, 0.76 against 1.17 s,
#: 0.49 against 0.75 s). A council's starter from the DfE release keeps about 34% (21,460
#: rows to 7,300): the simplex took 0.17-0.30 s against 0.50-0.61 s for the interior point
#: on 20 of 21 councils (every 7th of the release), Suffolk 0.84 against 0.60 s; 5.2 s
#: against 10.7 s in all. That simplex runs with :data:`HIGHS_RESOLVE_OPTIONS`: on 20
#: councils' starters (every 10th of the release, and five more) 0.140-0.143 s of CPU
#: against 0.158-0.165 s with HiGHS's defaults, the same optimal objectives.
HIGHS_SIMPLEX_PRESOLVED_SHARE = 0.5


def _presolve_halves(h: highspy.Highs) -> bool:
    """Whether HiGHS's presolve leaves less than :data:`HIGHS_SIMPLEX_PRESOLVED_SHARE` of
    the rows of the model ``h`` holds (``h`` is left presolved)."""
    rows = h.getNumRow()
    with quiet_native_output():
        h.presolve()
    if highs_status(h.getModelStatus()) not in ("optimal", "error"):  # found infeasible…
        return False
    kept = h.getPresolvedLp().num_row_
    return rows > 0 and kept < HIGHS_SIMPLEX_PRESOLVED_SHARE * rows


#: Models whose presolve verdict is remembered (the latest, by content).
_VERDICTS_KEPT = 32
_verdicts: dict[bytes, bool] = {}
_verdicts_lock = threading.Lock()
#: Models presolve halved, held presolved by the ``Highs`` that gave the verdict (by
#: content; the latest few) for the simplex that follows (:func:`_solve_presolved`).
_PRESOLVED_KEPT = 2
_presolved: dict[bytes, highspy.Highs] = {}


def _fingerprint(m: LpMatrix) -> bytes:
    """A digest of everything HiGHS's presolve reads of ``m`` (costs, bounds, rows)."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (m.cost, m.lower, m.upper, m.integer):
        digest.update(np.ascontiguousarray(array).tobytes())
    for b in m.blocks:
        digest.update(np.asarray(b.matrix.shape, dtype=np.int64).tobytes())
        for array in (b.matrix.indptr, b.matrix.indices, b.matrix.data, b.lower, b.upper):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()


def presolve_halves(m: LpMatrix, h: highspy.Highs | None = None) -> bool:
    """:func:`_presolve_halves` for the model ``m`` (held by ``h`` where given), presolved
    once: the engine's choice (:func:`~sufficiency.solve.lp.choose_engine`) and HiGHS's
    choice of method (:func:`solve_highs`) ask about the same part, and the verdict, by the
    model's content, is remembered for the next (it steers only which method runs, never
    an answer). A model presolve halves, presolved here on a ``Highs`` of its own, is held
    in that presolved form for the simplex that follows (:func:`_solve_presolved`)."""
    return _verdict(_fingerprint(m), m, h)


def _verdict(key: bytes, m: LpMatrix, h: highspy.Highs | None) -> bool:
    """:func:`presolve_halves` for the model ``m`` whose fingerprint is ``key``."""
    with _verdicts_lock:
        known = _verdicts.get(key)
    if known is not None:
        return known
    held = h if h is not None else _highs_model(m)
    verdict = _presolve_halves(held)
    with _verdicts_lock:
        _verdicts[key] = verdict
        while len(_verdicts) > _VERDICTS_KEPT:
            del _verdicts[next(iter(_verdicts))]
        if verdict and h is None:  # its presolved form, for the simplex that follows
            _presolved[key] = held
            while len(_presolved) > _PRESOLVED_KEPT:
                del _presolved[next(iter(_presolved))]
    return verdict


def _take_presolved(key: bytes, h: highspy.Highs) -> highspy.Highs | None:
    """A ``Highs`` holding the model of fingerprint ``key`` presolved: the one that gave its
    verdict (taken: no other solve may use it), or ``h`` if the verdict was given just now
    on it; None if neither."""
    with _verdicts_lock:
        held = _presolved.pop(key, None)
    if held is not None:
        return held
    return h if h.getPresolvedLp().num_col_ > 0 else None


def _solve_presolved(
    held: highspy.Highs, time_limit: float, options: Mapping[str, int | float]
) -> bool:
    """Solve the presolved form of the model ``held`` holds by the simplex with
    ``options`` and postsolve it into ``held`` (its solution, basis and status then read as
    after a run); whether that reached an optimum.

    HiGHS's ``run`` presolves a model again even when it was presolved for the verdict:
    about 0.06 s of CPU of a council's 0.33 s first stage (21 councils' starters, every 7th
    of the release from the 4th: 0.263 against 0.327 s, the same iterations, values, duals
    and basis to the last bit).
    """
    with quiet_native_output():
        inner = highspy.Highs()
    inner.setOptionValue("output_flag", log.isEnabledFor(logging.DEBUG))
    if inner.passModel(held.getPresolvedLp()) == highspy.HighsStatus.kError:
        return False
    set_highs_options(inner, options)
    inner.setOptionValue("time_limit", float(time_limit))
    inner.setOptionValue("presolve", "off")
    inner.run()
    if highs_status(inner.getModelStatus()) != "optimal":
        return False
    if held.postsolve(inner.getSolution(), inner.getBasis()) == highspy.HighsStatus.kError:
        return False
    return highs_status(held.getModelStatus()) == "optimal"


def solve_highs(
    m: LpMatrix,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    part_rows: int | None = None,
    initial: np.ndarray | None = None,
    basis: highspy.HighsBasis | None = None,
    warm_options: Mapping[str, int | float] | None = None,
    perturbed_costs: bool = False,
) -> EngineResult:
    """Solve with HiGHS, the whole model passed in one ``passModel`` call.

    A linear programme whose largest independent part (``part_rows``; default all its
    rows) has :data:`HIGHS_IPM_ROWS` rows or more is solved by the interior point method
    with crossover, unless presolve cuts it to less than half its rows
    (:data:`HIGHS_SIMPLEX_PRESOLVED_SHARE`: then by the simplex with
    :data:`HIGHS_RESOLVE_OPTIONS`); others by HiGHS's default (simplex). A
    mixed-integer programme
    starts from ``initial`` (a feasible point) where given.

    A linear programme given ``basis`` (an optimal basis of a model of the same shape and
    costs, other bounds: the capital plan's relaxation for its rounded plan, the plan for
    each option's value without it) starts there by dual simplex
    (:data:`HIGHS_WARM_OPTIONS`): the basis stays dual feasible when only bounds move, so a
    few hundred pivots replace a solve from scratch. If that run does not reach optimality
    the model is solved again from scratch. The result carries the optimal basis of a
    linear programme (:attr:`EngineResult.basis`). ``warm_options`` replace
    :data:`HIGHS_WARM_OPTIONS` for a run from ``basis`` (a basis primal feasible for other
    costs: the tie-break score over an optimal face, by primal simplex).

    ``perturbed_costs`` says the costs are perturbed already (nudged toward the tie-break
    score, :data:`~sufficiency.solve.tiebreak.TIE_NUDGE`): a simplex from scratch then runs
    without HiGHS's own cost perturbation (:data:`NO_COST_PERTURBATION`). HiGHS perturbs the
    costs against dual degeneracy, and then has to take the perturbation out again; the
    nudge already separates equally cheap columns, and is part of the model. On 13
    councils' starters (every 10th of the release from the 4th), the nudged model presolved:
    1.1–1.3 s of CPU in all against 3.1–3.2 s, 64,485 iterations against 96,983, the same
    optima (``benchmarks/results/sweep.md``).
    """
    _check_cancelled()
    if (empty := _nothing_to_solve(m)) is not None:
        return empty
    start = time.perf_counter()
    h = _highs_model(m)
    h.setOptionValue("time_limit", float(time_limit))
    lp = not m.integer.any()
    if not lp:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if initial is not None:  # a feasible plan: branch and bound starts with it
            given = highspy.HighsSolution()
            given.col_value = np.asarray(initial, float).tolist()
            given.value_valid = True
            h.setSolution(given)
    warm = lp and basis is not None and bool(basis.valid)
    if warm and basis is not None:
        options = HIGHS_WARM_OPTIONS if warm_options is None else warm_options
        defaults = {name: option_value(h, name) for name in options}
        set_highs_options(h, options)
        # HiGHS refuses a basis of another shape (reading its statuses into Python to
        # compare them would cost 25 ms on a 100,000-column model)
        if h.setBasis(basis) == highspy.HighsStatus.kError:
            log.debug("the given basis is not this model's shape; solving from scratch")
            h.clearSolver()
            set_highs_options(h, defaults)
            warm = False
    if warm:
        h.run()
        if highs_status(h.getModelStatus()) != "optimal":
            log.debug(
                "HiGHS from the given basis ended with %s; solving from scratch",
                h.modelStatusToString(h.getModelStatus()),
            )
            h.clearSolver()
            set_highs_options(h, defaults)
            warm = False
        else:
            log.debug(
                "HiGHS from the given basis: %d iterations", h.getInfo().simplex_iteration_count
            )
    if not warm:
        large = lp and (m.n_rows if part_rows is None else part_rows) >= HIGHS_IPM_ROWS
        key = _fingerprint(m) if large else b""
        simplex = large and _verdict(key, m, h)
        ipm = large and not simplex
        if ipm:
            h.setOptionValue("solver", "ipm")  # crossover (on by default) gives a basis and duals
        unperturbed = NO_COST_PERTURBATION if perturbed_costs and not ipm else {}
        held = _take_presolved(key, h) if simplex else None
        if held is not None and _solve_presolved(
            held, time_limit, {**HIGHS_RESOLVE_OPTIONS, **unperturbed}
        ):
            h = held  # its solution, basis and status are the model's
        else:
            if held is h:  # presolved, perhaps postsolved: run from the model again
                h.clearSolver()
            set_highs_options(h, {**(HIGHS_RESOLVE_OPTIONS if simplex else {}), **unperturbed})
            h.run()
        if lp and highs_status(h.getModelStatus()) == "infeasible":
            # HiGHS's presolve can call infeasible a model a point satisfies within 3e-8
            # (a tie-break's optimal face on a region with continuity); without it, the
            # same model solves. A model truly infeasible is found so again.
            log.debug("HiGHS's presolve found the model infeasible; solving without it")
            h.clearSolver()
            h.setOptionValue("presolve", "off")
            h.run()
    model_status = h.getModelStatus()
    status = highs_status(model_status)
    sol = h.getSolution()
    info = h.getInfo()
    n_rows = sum(b.matrix.shape[0] for b in m.blocks)
    has_primal = bool(sol.value_valid)
    has_dual = bool(sol.dual_valid)
    result = EngineResult(
        status=status,
        objective=float(info.objective_function_value) if has_primal else float("nan"),
        col_value=np.asarray(sol.col_value, float) if has_primal else np.zeros(m.n_cols),
        col_dual=np.asarray(sol.col_dual, float) if has_dual else np.zeros(m.n_cols),
        row_value=np.asarray(sol.row_value, float) if has_primal else np.zeros(n_rows),
        row_dual=np.asarray(sol.row_dual, float) if has_dual else np.zeros(n_rows),
        mip_gap=float(info.mip_gap) if not lp else None,
        seconds=time.perf_counter() - start,
        message=h.modelStatusToString(model_status),
    )
    if status == "time_limit" and has_primal:
        result.status = "time_limit"
    if lp and status == "optimal":
        got = h.getBasis()
        result.basis = got if got.valid else None
    return result


def joined_basis(
    n_cols: int, n_rows: int, parts: list[tuple[np.ndarray, np.ndarray, highspy.HighsBasis]]
) -> highspy.HighsBasis | None:
    """The whole model's basis from its independent parts' optimal bases.

    Each part is ``(cols, rows, basis)``: its columns' and rows' positions in the whole
    model and its own HiGHS basis. A column in no part (fixed by its bounds) is nonbasic at
    its lower bound; a row in no part (held by fixed columns alone) is basic. So the whole
    has one basic variable per row, as each part has. None if a part's basis is not valid.
    """
    col = np.full(n_cols, highspy.HighsBasisStatus.kLower, dtype=object)
    row = np.full(n_rows, highspy.HighsBasisStatus.kBasic, dtype=object)
    for cols, rows, basis in parts:
        if not basis.valid or (len(basis.col_status), len(basis.row_status)) != (
            len(cols),
            len(rows),
        ):
            return None
        col[cols] = basis.col_status
        row[rows] = basis.row_status
    out = highspy.HighsBasis()
    out.col_status = col.tolist()
    out.row_status = row.tolist()
    out.valid = True
    return out


def write_mps(m: LpMatrix, path: str | Path) -> Path:
    """Write the model as a free-format MPS file with HiGHS's compiled writer.

    Columns are named ``c<j>`` and rows ``r<i>`` in matrix order.
    """
    path = Path(path)
    h = _highs_model(m)
    if h.writeModel(str(path)) == highspy.HighsStatus.kError or not path.is_file():
        raise SufficiencyError(f"cannot write the model to {path}")
    return path


_CBC_STATUS = {
    "Optimal": "optimal",
    "Infeasible": "infeasible",
    "Integer": "infeasible",
    "Unbounded": "unbounded",
    "Stopped": "time_limit",
}


#: Rows of the largest independent part from which Clp's barrier (with crossover) beats its
#: dual simplex on the allocation LP with continuity, by benchmark (CPU seconds, dominated
#: chains fixed empty): 6k rows dual 0.42 s / barrier 0.29 s, 15k rows 3.2 / 1.7 s, 44k rows
#: 45 / 11 s; parts of many small components (the largest 2.6k rows) 0.03 / 0.05 s. Whole
#: models without the reduction: 24k rows 0.4 / 0.6 s, 52k rows 7.1 / 6.8 s, 138k rows
#: 72–83 / 44 s (boroughs of 67–600 settings).
BARRIER_ROWS = 5_000

#: Clp's methods for a linear programme.
LP_METHODS: tuple[str, ...] = ("auto", "dual", "barrier")


def lp_method(m: LpMatrix, method: str = "auto", part_rows: int | None = None) -> str:
    """Clp's method for ``m``: ``dual`` simplex, or ``barrier`` (``auto``) when its largest
    independent part (``part_rows``; default all its rows) has :data:`BARRIER_ROWS` rows."""
    if method not in LP_METHODS:
        raise ValueError(f"unknown LP method {method!r}; use one of {', '.join(LP_METHODS)}")
    if method != "auto":
        return method
    return "barrier" if (m.n_rows if part_rows is None else part_rows) >= BARRIER_ROWS else "dual"


#: Statuses that answer the question; anything else after Clp's barrier means try again.
_FINAL = ("optimal", "infeasible", "unbounded")


class CbcRun:
    """A CBC process solving one model, started without waiting for it.

    Starting writes the MPS file and launches the binary; :meth:`result` waits and reads
    the solution (running Clp's dual simplex on the same file if the barrier gave no
    answer). Several runs can be started before waiting on any, so independent parts
    of a model are solved side by side while the next one's file is written.
    """

    def __init__(
        self,
        m: LpMatrix,
        cbc_path: str,
        *,
        time_limit: float = 60.0,
        mip_gap: float = 1e-4,
        mps: str | Path | None = None,
        method: str = "auto",
        part_rows: int | None = None,
    ) -> None:
        _check_cancelled()
        self.m = m
        self.cbc_path = cbc_path
        self.time_limit = time_limit
        self.start = time.perf_counter()
        self._tmp = tempfile.TemporaryDirectory(prefix=scratch.prefix("cbc"))
        tmp = Path(self._tmp.name)
        self.model = Path(mps) if mps is not None else write_mps(m, tmp / "model.mps")
        self.solution = tmp / "solution.txt"
        self.binary = tmp / "solution.bin"
        args = [cbc_path, str(self.model), "-sec", str(float(time_limit))]
        self.method = "branch_and_bound" if m.integer.any() else lp_method(m, method, part_rows)
        if self.method == "branch_and_bound":
            args += ["-ratio", str(mip_gap), "-solve"]
        elif self.method == "barrier":
            args += ["-barrier"]  # interior point, then crossover to a basic solution
        else:
            args += ["-dualSimplex"]
        args += ["-saveSolution", str(self.binary), "-solution", str(self.solution)]
        self._out = tempfile.TemporaryFile("w+", dir=tmp)  # noqa: SIM115 (closed in result)
        try:
            self.proc = subprocess.Popen(
                args,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        except BaseException:  # a missing or unrunnable binary: leave no files behind
            self._out.close()
            self._tmp.cleanup()
            raise
        self._token = _token()
        if self._token is not None:
            with _RUNS_LOCK:
                self._token.processes.add(self.proc)
                cancelled = self._token.cancelled.is_set()
            if cancelled:  # cancelled while it started: cancel() may have missed it
                self.proc.kill()

    def result(self) -> EngineResult:
        """Wait for the process and read its solution (the temporary files are removed)."""
        m = self.m
        try:
            self.proc.wait()
            if self.proc.returncode != 0 or not self.solution.is_file():
                self._out.seek(0)
                result = _failed(m, self._out.read()[-500:])
            else:
                result = _read_cbc_solution(self.solution, self.binary, m)
            if self.method == "barrier" and result.status not in _FINAL:
                log.warning("Clp's barrier ended with %s; trying its dual simplex", result.status)
                dual = CbcRun(
                    m, self.cbc_path, time_limit=self.time_limit, mps=self.model, method="dual"
                )
                result = dual.result()
        finally:
            if self.proc.poll() is None:  # interrupted while waiting: stop the process
                self.proc.kill()
                self.proc.wait()
            if self._token is not None:
                with _RUNS_LOCK:
                    self._token.processes.discard(self.proc)
            self._out.close()
            self._tmp.cleanup()
        _check_cancelled()  # a killed process is no answer: never read it as one
        result.seconds = time.perf_counter() - self.start
        return result


def solve_cbc(
    m: LpMatrix,
    cbc_path: str,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    mps: str | Path | None = None,
    method: str = "auto",
    part_rows: int | None = None,
) -> EngineResult:
    """Solve with the CBC binary (Clp for an LP) on an MPS file written by HiGHS.

    Args:
        m: The model.
        cbc_path: Path of the ``cbc`` executable.
        time_limit: Seconds.
        mip_gap: Relative gap for a MIP.
        mps: Use this already-written MPS file of ``m`` instead of writing one.
        method: Clp's method for an LP (:data:`LP_METHODS`; ``auto``: :func:`lp_method`).
            If the barrier ends without an answer, the dual simplex is tried.
        part_rows: Rows of the model's largest independent part (for ``auto``).
    """
    if (empty := _nothing_to_solve(m)) is not None:
        return empty
    return CbcRun(
        m,
        cbc_path,
        time_limit=time_limit,
        mip_gap=mip_gap,
        mps=mps,
        method=method,
        part_rows=part_rows,
    ).result()


def _read_cbc_solution(text: Path, binary: Path, m: LpMatrix) -> EngineResult:
    """Status from CBC's solution file; values at full precision from ``-saveSolution``.

    The text file prints eight significant figures, too few for conservation checks on
    counts in the thousands; the binary file holds the doubles: number of rows and
    columns (int32), objective, then row activities, row duals, column values and reduced
    costs (float64).
    """
    with text.open() as fh:
        head = fh.readline().split()
    status = _CBC_STATUS.get(head[0] if head else "", "error")
    n_rows, n_cols = m.n_rows, m.n_cols
    empty = _failed(m, " ".join(head))
    if not binary.is_file():
        return empty
    raw = binary.read_bytes()
    rows, cols = (int(v) for v in np.frombuffer(raw[:8], dtype=np.int32))
    if (rows, cols) != (n_rows, n_cols):
        return empty
    objective = float(np.frombuffer(raw[8:16], dtype=np.float64)[0])
    values = np.frombuffer(raw[16:], dtype=np.float64)
    row_value, row_dual = values[:rows], values[rows : 2 * rows]
    col_value = values[2 * rows : 2 * rows + cols]
    col_dual = values[2 * rows + cols : 2 * rows + 2 * cols]
    return EngineResult(
        status,
        objective,
        col_value.copy(),
        col_dual.copy(),
        row_value.copy(),
        row_dual.copy(),
        None,
        0.0,
        " ".join(head),
    )
