"""Sample paths worked in place are the plain formula's to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.forecast import intervals
from sufficiency.forecast.base import interval
from sufficiency.forecast.intervals import ErrorModel, sample_paths, walk_of


def _plain(point, model, n_draws, rng, m, national=None, walk=None):  # type: ignore[no-untyped-def]
    """:func:`sample_paths` as first written: new arrays at each step, ``np.cumsum``."""
    n_series, horizon = point.shape
    h = np.arange(1, horizon + 1, dtype=float)
    f = np.maximum(point, 0.0)
    series = np.arange(n_series)
    sd = model.path_sd(h[None, :], f, np.asarray(m)[:, None], series[:, None])
    var = sd * sd
    rw = np.sqrt(model.a * h)
    trend = np.sqrt(model.b / intervals._years(m))[:, None] * h[None, :]
    noise = np.sqrt(model.c / (f + 1.0))
    raw = np.sqrt(np.maximum(rw * rw + trend * trend + noise * noise, 1e-300))
    scale = sd / raw

    def structured(n):  # type: ignore[no-untyped-def]
        steps = np.cumsum(rng.standard_normal((n, n_draws, horizon)), axis=-1) / np.sqrt(h)
        z = rw[None, None, :] * steps
        z = z + trend[:, None, :] * rng.standard_normal((n, n_draws))[:, :, None]
        z = z + noise[:, None, :] * rng.standard_normal((n, n_draws, horizon))
        return z * scale[:, None, :]

    rho = float(np.clip(model.rho, -1.0 / max(n_series - 1, 1), 1.0))
    if national is not None and n_series:
        nat = np.asarray(national, dtype=float)[np.minimum(np.arange(horizon), len(national) - 1)]
        cap = max(min(rho, intervals.MAX_NATIONAL_SHARE), 0.0)
        u = np.minimum(nat[None, :] / np.maximum(var, 1e-12), cap)
        if walk is None:
            walk = np.cumsum(rng.standard_normal((n_draws, horizon)), axis=-1) / np.sqrt(h)
    else:
        u = np.zeros_like(var)
    z = structured(n_series)
    if rho < 0:
        mean = z.mean(axis=0, keepdims=True)
        z = np.sqrt(1.0 - rho) * (z - mean) + np.sqrt(max(1.0 - rho + n_series * rho, 0.0)) * mean
    else:
        z = z * np.sqrt(1.0 - rho)
    if rho > 0:
        z = z + np.sqrt(np.maximum(rho - u, 0.0))[:, None, :] * structured(1)
    if walk is not None:
        z = z + (np.sqrt(u) * sd)[:, None, :] * walk[None]
    z = np.clip(z - var[:, None, :] / 2.0, -30, 30)
    return np.maximum(np.exp(z) * (f[:, None, :] + 1.0) - 1.0, 0.0)


@settings(max_examples=40, deadline=None)
@given(
    n_series=st.integers(1, 6),
    horizon=st.integers(1, 12),
    rho=st.sampled_from([-0.3, -0.05, 0.0, 0.2, 0.9]),
    national=st.booleans(),
    shared_walk=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_paths_in_place_are_the_plain_formulas_to_the_bit(
    n_series: int, horizon: int, rho: float, national: bool, shared_walk: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    point = rng.uniform(0, 2_000, (n_series, horizon))
    point[0, 0] = 0.0  # a series at nothing
    model = ErrorModel(
        0.004, 0.002, 1.0, np.linspace(1.0, 1.4, 3), rho, 40, rng.uniform(0.5, 2.0, n_series)
    )
    m = rng.integers(2, 10, n_series)
    nat = np.linspace(0.001, 0.02, 4) if national else None
    walk = rng.standard_normal((50, horizon)) if national and shared_walk else None
    got = sample_paths(point, model, 50, np.random.default_rng(seed), m, nat, walk)
    want = _plain(point, model, 50, np.random.default_rng(seed), m, nat, walk)
    assert np.array_equal(got, want)


@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 30), st.integers(1, 15)))
def test_walk_of_is_a_cumulative_sum_over_root_years(shape: tuple[int, int, int]) -> None:
    steps = np.random.default_rng(sum(shape)).standard_normal(shape)
    want = np.cumsum(steps, axis=-1) / np.sqrt(np.arange(1, shape[-1] + 1))
    assert np.array_equal(walk_of(steps.copy()), want)


@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 200), st.integers(1, 6)),
    level=st.sampled_from([0.5, 0.8, 0.95]),
    ties=st.booleans(),
)
def test_interval_ends_in_one_call_are_each_ends_quantile(
    shape: tuple[int, int, int], level: float, ties: bool
) -> None:
    paths = np.random.default_rng(sum(shape)).lognormal(5.0, 1.0, shape)
    if ties:  # paths floored at 0 and whole counts repeat
        paths = np.maximum(np.round(paths) - 150.0, 0.0)
    lower, upper = interval(paths, level)
    alpha = (1.0 - level) / 2.0
    assert np.array_equal(lower, np.quantile(paths, alpha, axis=-2))
    assert np.array_equal(upper, np.quantile(paths, 1.0 - alpha, axis=-2))
