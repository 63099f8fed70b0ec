"""The starter's history table: every year's ages × placements fitted at once (IPF)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.sources.starter import _fit, _mask


@settings(max_examples=30, deadline=None)
@given(n_years=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_years_fitted_together_are_each_fitted_alone(n_years: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = _mask()
    rows = rng.uniform(0, 300, (n_years, mask.shape[0]))
    rows[:, rng.integers(0, mask.shape[0])] = 0.0  # an age with no one
    cols = rng.uniform(0, 900, (n_years, mask.shape[1]))
    cols[:, -1] = 0.0  # a placement with no one
    cols *= rows.sum(axis=1, keepdims=True) / cols.sum(axis=1, keepdims=True)
    together = _fit(rows, cols, mask)
    for y in range(n_years):
        alone = _fit(rows[y : y + 1], cols[y : y + 1], mask)[0]
        assert np.array_equal(together[y], alone)
        assert (together[y][~mask] == 0).all()
        np.testing.assert_allclose(together[y].sum(axis=0), cols[y], rtol=1e-9, atol=1e-9)
