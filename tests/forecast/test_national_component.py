"""The errors an area's series share: a common share calibrated on the area's total, of
which the national component (shared by every area) is part."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sufficiency.forecast.calibrate import national_variance
from sufficiency.forecast.intervals import ErrorModel, calibrated_common_share, sample_paths


def _model(n_series: int, rho: float = 0.0) -> ErrorModel:
    return ErrorModel(0.004, 0.002, 1.0, np.ones(3), rho, 50, np.ones(n_series))


def test_national_component_widens_totals_not_cells() -> None:
    point = np.full((5, 3), 1000.0)
    m = np.full(5, 8)
    national = np.array([0.002, 0.006, 0.012])
    alone = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m)
    shared = sample_paths(point, _model(5, 0.6), 20_000, np.random.default_rng(0), m, national)
    # each series keeps its calibrated spread …
    np.testing.assert_allclose(np.log1p(shared).std(axis=1), np.log1p(alone).std(axis=1), rtol=0.05)
    # … but the area's total is wider: the common part (national among it) does not
    # average out
    total_alone = np.log(alone.sum(0)).std(axis=0)
    total_shared = np.log(shared.sum(0)).std(axis=0)
    assert np.all(total_shared > 1.3 * total_alone)
    # and the paths still average the point forecast
    np.testing.assert_allclose(shared.mean(axis=1), point, rtol=0.01)


def test_national_component_is_part_of_the_common_share_not_added_to_it() -> None:
    point = np.full((5, 3), 1000.0)
    m = np.full(5, 8)
    national = np.array([0.002, 0.006, 0.012])
    # without a common share, the national component cannot make the total wider …
    alone = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m)
    capped = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m, national)
    total_alone = np.log(alone.sum(0)).std(axis=0)
    np.testing.assert_allclose(np.log(capped.sum(0)).std(axis=0), total_alone, rtol=0.05)
    # … and with one, two areas drawn with the same national path move together through it
    walk = np.cumsum(np.random.default_rng(1).standard_normal((20_000, 3)), axis=-1)
    walk /= np.sqrt(np.arange(1, 4))
    rng = np.random.default_rng(2)
    one, two = (
        sample_paths(point, _model(5, 0.6), 20_000, rng, m, national, walk) for _ in range(2)
    )
    apart = [sample_paths(point, _model(5, 0.6), 20_000, rng, m) for _ in range(2)]
    corr = np.corrcoef(np.log(one.sum(0))[:, -1], np.log(two.sum(0))[:, -1])[0, 1]
    none = np.corrcoef(np.log(apart[0].sum(0))[:, -1], np.log(apart[1].sum(0))[:, -1])[0, 1]
    assert corr > 0.3 and abs(none) < 0.05


def _totals(rho: float, n_points: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Log errors of a total of 5 series whose errors (spread 0.1) have correlation
    ``rho`` (−0.25 to 1)."""
    sd = np.full((n_points, 5), 0.1)
    share = np.full((n_points, 5), 0.2)
    u = rng.standard_normal((n_points, 5))
    mean = u.mean(axis=1, keepdims=True)
    z = (np.sqrt(1 - rho) * (u - mean) + np.sqrt(1 - rho + 5 * rho) * mean) * sd
    return (share * z).sum(axis=1), sd, share


def test_common_share_is_calibrated_on_the_total() -> None:
    rng = np.random.default_rng(0)
    w = np.ones(2000)
    # series whose errors cancel in the total: a small share, whatever the prior says …
    apart = calibrated_common_share(*_totals(0.0, 2000, rng), w, 0.8, 0.5)
    # … series that move together: a large one
    together = calibrated_common_share(*_totals(1.0, 2000, rng), w, 0.8, 0.5)
    assert abs(apart) < 0.1 and together > 0.85
    # and the total's interval then holds the level of its errors
    e, sd, share = _totals(0.4, 2000, rng)
    rho = calibrated_common_share(e, sd, share, w, 0.8, 0.4)
    own = (share**2 * sd**2).sum(1)
    var = (1 - rho) * own + rho * (share * sd).sum(1) ** 2
    half = float(ndtri(0.9)) * np.sqrt(var)
    assert 0.77 <= np.mean(np.abs(e + var / 2) <= half) <= 0.83
    # a total steadier than independent series would make it (a miss in one band made up
    # in the next): series that partly cancel, never below what 5 series can share
    cancel = calibrated_common_share(*_totals(-0.2, 2000, rng), w, 0.8, 0.0)
    assert -0.25 <= cancel < -0.12
    # few errors: the prior (the series' own correlation) weighs in
    few = calibrated_common_share(*_totals(1.0, 4, rng), np.ones(4), 0.8, 0.0)
    assert few < together


def test_national_variance_from_the_reference_panel_grows_with_the_horizon() -> None:
    v = national_variance(np.arange(2012, 2021), None, 6, 3)
    assert v is not None and len(v) == 6
    assert np.all(np.diff(v) >= 0) and 0 < v[0] < 0.01
    # only what was published by the last history year is used
    early = national_variance(np.arange(2012, 2019), None, 3, 3)
    assert early is not None and not np.allclose(early, v[:3])


def test_series_that_partly_cancel_keep_their_spread_and_narrow_the_total() -> None:
    point = np.full((5, 3), 1000.0)
    m = np.full(5, 8)
    alone = sample_paths(point, _model(5), 20_000, np.random.default_rng(0), m)
    cancel = sample_paths(point, _model(5, -0.2), 20_000, np.random.default_rng(0), m)
    np.testing.assert_allclose(np.log1p(cancel).std(axis=1), np.log1p(alone).std(axis=1), rtol=0.05)
    # 5 series correlated −0.2: the total's variance is 1 − 0.8 = 0.2 of independent ones'
    ratio = np.log(cancel.sum(0)).std(axis=0) / np.log(alone.sum(0)).std(axis=0)
    np.testing.assert_allclose(ratio, np.sqrt(0.2), rtol=0.1)
    np.testing.assert_allclose(cancel.mean(axis=1), point, rtol=0.01)
