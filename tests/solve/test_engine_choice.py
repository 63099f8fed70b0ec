"""The default engine: HiGHS in this process for small linear programmes, Clp otherwise
(unless HiGHS's presolve cuts a large part to under half its rows), HiGHS for
mixed-integer ones."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_engines import _chain

from sufficiency.solve import engines
from sufficiency.solve.lp import (
    HIGHS_PART_ROWS,
    SMALL_NONZEROS,
    SMALL_PART_ROWS,
    AllocationModel,
    choose_engine,
    is_small,
    run_engine,
    solve_bulk,
)
from sufficiency.solve.matrix import LpMatrix


def _chains(parts: int, rows: int, width: int, seed: int = 0) -> LpMatrix:
    """``parts`` independent chains of ``rows`` demand rows: each row has ``width`` columns
    of its own (random costs) and shares one column with the next row."""
    rng = np.random.default_rng(seed)
    n_rows = parts * rows
    r_idx, c_idx = [], []
    n_cols = 0
    for p in range(parts):
        for i in range(rows):
            row = p * rows + i
            r_idx += [row] * width
            c_idx += list(range(n_cols, n_cols + width))
            n_cols += width
            if i + 1 < rows:  # a column shared with the next row links the chain
                r_idx += [row, row + 1]
                c_idx += [n_cols, n_cols]
                n_cols += 1
    m = LpMatrix(
        cost=rng.integers(1, 100, n_cols).astype(float),
        lower=np.zeros(n_cols),
        upper=np.full(n_cols, np.inf),
        integer=np.zeros(n_cols, dtype=bool),
        columns={"x": slice(0, n_cols)},
    )
    demand = rng.integers(1, 20, n_rows).astype(float)
    m.add_block("demand", np.array(r_idx), np.array(c_idx), np.ones(len(r_idx)), demand, demand)
    return m


def test_small_models_go_to_highs() -> None:
    m = _chains(parts=10, rows=200, width=3)
    assert is_small(m)
    assert choose_engine(m) == "highs"


def test_wide_models_stay_with_clp() -> None:
    m = _chains(parts=4, rows=100, width=SMALL_NONZEROS // 400 + 1)
    assert sum(b.matrix.nnz for b in m.blocks) >= SMALL_NONZEROS
    assert not is_small(m)
    assert choose_engine(m) == "cbc"


def test_models_with_a_large_part_stay_with_clp() -> None:
    m = _chains(parts=1, rows=SMALL_PART_ROWS, width=1)
    assert not is_small(m)
    assert choose_engine(m) == "cbc"


def test_mixed_integer_models_go_to_highs_and_are_never_small() -> None:
    m = _chains(parts=2, rows=5, width=2)
    m.integer[0] = True
    assert not is_small(m)
    assert choose_engine(m) == "highs"


def test_a_small_model_solved_whole_by_highs_equals_clp_in_parts() -> None:
    m = _chains(parts=6, rows=50, width=3, seed=4)
    arrays = SimpleNamespace(capital=None)  # run_engine reads only the capital options
    auto = run_engine(AllocationModel(arrays, m), "auto", 60.0)  # type: ignore[arg-type]
    clp = solve_bulk(m, "cbc")
    assert auto.status == clp.status == "optimal"
    assert auto.objective == pytest.approx(clp.objective, rel=1e-9)
    np.testing.assert_allclose(auto.row_value, clp.row_value, atol=1e-7)


def test_a_large_part_presolve_cuts_to_under_half_goes_to_highs_else_to_clp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Clp's barrier beats HiGHS's interior point on large parts; HiGHS's simplex beats
    both where its presolve leaves under half the rows (a council's starter)."""
    monkeypatch.setattr(engines, "_verdicts", {})
    cut = _chain(HIGHS_PART_ROWS)  # presolve removes every row but the total
    kept = _chains(parts=1, rows=HIGHS_PART_ROWS, width=1)  # presolve keeps the chain
    assert not is_small(cut) and not is_small(kept)
    assert choose_engine(cut) == "highs"
    assert choose_engine(kept) == "cbc"
    # below the size, presolve is not asked: Clp whatever it would say
    asked: list[int] = []
    monkeypatch.setattr(engines, "_presolve_halves", lambda h: asked.append(1) or True)
    assert choose_engine(_chains(parts=1, rows=HIGHS_PART_ROWS - 1, width=1)) == "cbc"
    assert asked == []


def test_the_choice_and_the_solve_presolve_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's choice and HiGHS's choice of method read one presolve of the part;
    a model changed in any bound is presolved again (the verdict never goes to another)."""
    monkeypatch.setattr(engines, "_verdicts", {})
    real = engines._presolve_halves
    asked: list[bool] = []

    def halves(h):  # type: ignore[no-untyped-def]
        asked.append(real(h))
        return asked[-1]

    monkeypatch.setattr(engines, "_presolve_halves", halves)
    m = _chain(HIGHS_PART_ROWS)
    arrays = SimpleNamespace(capital=None)  # run_engine reads only the capital options
    solved = run_engine(AllocationModel(arrays, m), "auto", 60.0)  # type: ignore[arg-type]
    assert solved.status == "optimal"
    assert solved.objective == pytest.approx(HIGHS_PART_ROWS * (HIGHS_PART_ROWS - 1) / 2)
    assert asked == [True]
    m.upper[0] = 0.5  # the first column's own row (= 1) now fails: another model
    assert run_engine(AllocationModel(arrays, m), "auto", 60.0).status == "infeasible"  # type: ignore[arg-type]
    assert len(asked) == 2
