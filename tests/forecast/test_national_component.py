"""The national component of forecast errors: shared by every series of an area."""

from __future__ import annotations

import numpy as np

from sufficiency.forecast.calibrate import national_variance
from sufficiency.forecast.intervals import ErrorModel, sample_paths


def _model(n_series: int) -> ErrorModel:
    return ErrorModel(0.004, 0.002, 1.0, np.ones(3), 0.0, 50, np.ones(n_series))


def test_national_component_widens_totals_not_cells() -> None:
    point = np.full((5, 3), 1000.0)
    m = np.full(5, 8)
    national = np.array([0.002, 0.006, 0.012])
    alone = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m)
    shared = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m, national)
    # each series keeps its calibrated spread …
    np.testing.assert_allclose(np.log1p(shared).std(axis=1), np.log1p(alone).std(axis=1), rtol=0.05)
    # … but the area's total is wider: the national part does not average out
    total_alone = np.log(alone.sum(0)).std(axis=0)
    total_shared = np.log(shared.sum(0)).std(axis=0)
    assert np.all(total_shared > 1.3 * total_alone)
    # and the paths still average the point forecast
    np.testing.assert_allclose(shared.mean(axis=1), point, rtol=0.01)


def test_national_variance_from_the_reference_panel_grows_with_the_horizon() -> None:
    v = national_variance(np.arange(2012, 2021), None, 6, 3)
    assert v is not None and len(v) == 6
    assert np.all(np.diff(v) >= 0) and 0 < v[0] < 0.01
    # only what was published by the last history year is used
    early = national_variance(np.arange(2012, 2019), None, 3, 3)
    assert early is not None and not np.allclose(early, v[:3])
