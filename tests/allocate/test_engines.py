"""Clp's methods: the barrier (chosen for large models) gives the dual simplex's answer."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks import drivers
from benchmarks.sizes import BASELINE

from sufficiency.allocate import engines
from sufficiency.allocate.lp import build_model, cbc_path


def test_method_chosen_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario, inputs = drivers.load(BASELINE)
    model = build_model(drivers.plan_arrays(scenario, inputs, drivers.forecast(scenario, inputs)))
    m = model.matrix
    assert m.n_rows < engines.BARRIER_ROWS
    assert engines.lp_method(m) == "dual"
    with pytest.raises(ValueError, match="unknown LP method"):
        engines.lp_method(m, "simplex")
    dual = engines.solve_cbc(m, cbc_path())
    monkeypatch.setattr(engines, "BARRIER_ROWS", 1000)
    assert engines.lp_method(m) == "barrier"
    barrier = engines.solve_cbc(m, cbc_path())
    assert dual.status == barrier.status == "optimal"
    assert barrier.objective == pytest.approx(dual.objective, rel=1e-9)
    # crossover leaves a basic solution: activities, reduced costs and duals consistent
    a, lower, upper = m.stacked()
    np.testing.assert_allclose(barrier.row_value, a @ barrier.col_value, atol=1e-6)
    np.testing.assert_allclose(barrier.col_dual, m.cost - a.T @ barrier.row_dual, atol=1e-4)
    assert (barrier.row_value >= lower - 1e-6).all() and (barrier.row_value <= upper + 1e-6).all()
    assert (barrier.col_value >= -1e-7).all()
