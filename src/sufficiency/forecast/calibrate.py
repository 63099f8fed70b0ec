"""Calibrated sample paths of a forecast: one error model per hierarchy level.

The link between the backtest (:mod:`.backtest`) and the error model
(:mod:`.intervals`): which errors calibrate which series, how much of their error the
series of a level share (calibrated on their total's backtest errors), and the paths that
result.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .backtest import Backtest
from .final import FinalFit
from .intervals import (
    RECENCY,
    ErrorModel,
    calibrated_common_share,
    fit_error_model,
    prior_variance,
    sample_paths,
    walk_of,
)
from .panel import ALL, Panel


def levels_of(keys: pd.DataFrame, by: tuple[str, ...]) -> np.ndarray:
    """Hierarchy level of each series: which dimensions it keeps (``cells`` keeps all)."""
    if not by:
        return np.array(["cells"] * len(keys))
    kept = keys[list(by)] != ALL
    return np.array(
        [
            "cells"
            if row.all()
            else (
                "total"
                if not row.any()
                else "by " + "+".join(k for k, v in zip(by, row, strict=True) if v)
            )
            for row in kept.to_numpy()
        ]
    )


#: Latest origins of the reference panel whose forecast errors give the national component,
#: and the weight of an origin's errors per origin before the latest.
NATIONAL_ORIGINS = 4
NATIONAL_RECENCY = 0.75


def national_variance(
    years: np.ndarray, region: str | None, horizon: int, backtest_horizon: int
) -> np.ndarray | None:
    """``(horizon,)`` variance of the national component of a forecast's log error.

    England's (and the region's) total plans, as published up to the last history year,
    are forecast at their latest :data:`NATIONAL_ORIGINS` origins by their recent compound
    growth (the national-growth rule, :func:`.methods.national.compound_growth`) up to
    ``backtest_horizon`` years; the mean squared log error at each horizon (later origins
    weighted up, :data:`NATIONAL_RECENCY`) is the variance, carried beyond the scored
    horizons as a trend error grows (``∝ h²``). ``None`` where nothing can be scored.
    """
    from .methods.national import compound_growth
    from .reference import ENGLAND, published_totals

    rows = published_totals((region, ENGLAND), int(years[-1]))
    sq = np.zeros(backtest_horizon)
    wt = np.zeros(backtest_horizon)
    for row in rows:
        vals = row[np.isfinite(row)]
        last = len(vals)
        for age, o in enumerate(range(last - 1, max(last - 1 - NATIONAL_ORIGINS, 3), -1)):
            g = compound_growth(vals[:o])
            if g is None:
                continue
            for h in range(1, min(backtest_horizon, last - o) + 1):
                e = np.log(vals[o + h - 1]) - np.log(vals[o - 1] * (1.0 + g) ** h)
                sq[h - 1] += NATIONAL_RECENCY**age * e * e
                wt[h - 1] += NATIONAL_RECENCY**age
    ok = wt > 0
    if not ok.any():
        return None
    hs = np.arange(1, backtest_horizon + 1, dtype=float)[ok]
    v = sq[ok] / wt[ok]
    alpha = float((v * hs * hs).sum() / (hs**4).sum())  # least squares of v = α·h²
    out = alpha * np.arange(1, horizon + 1, dtype=float) ** 2
    scored = np.flatnonzero(ok)
    out[scored[scored < horizon]] = v[: int((scored < horizon).sum())]
    return np.maximum.accumulate(out)


def calibrated_paths(
    panel: Panel,
    bt: Backtest,
    used: np.ndarray,
    fits: list[FinalFit],
    point: np.ndarray,
    level: float,
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """Calibrated sample paths of every series, one error model per hierarchy level, with
    the national component shared by all (where the reference panel is used)."""
    levels = levels_of(panel.keys, panel.by)
    horizon = point.shape[1]
    paths = np.zeros((panel.n_series, n_draws, horizon))
    calibration: dict[str, dict[str, float]] = {}
    target = bt.origins[:, None] + np.arange(bt.horizon)[None, :]
    projected = np.array([f.fit.method != "zero" for f in fits])
    national = (
        None
        if panel.reference is None
        else national_variance(panel.years, panel.region, horizon, bt.horizon)
    )
    # one national path per draw, shared by every series at every level
    walk = None if national is None else walk_of(rng.standard_normal((n_draws, horizon)))
    for lev in dict.fromkeys(levels):
        members = np.flatnonzero((levels == lev) & projected)
        if len(members) == 0:
            continue
        model = _calibrate(panel, bt, used, members, level, target)
        if len(members) > 1:
            model = replace(model, rho=_total_share(panel, bt, used, members, model, level))
        calibration[str(lev)] = model.as_dict()
        if national is not None:
            calibration[str(lev)].update(
                {f"national_variance_h{i + 1}": float(v) for i, v in enumerate(national)}
            )
        n_points = len(panel.years) - panel.start[members]
        paths[members] = sample_paths(point[members], model, n_draws, rng, n_points, national, walk)
    return paths, calibration


def _calibrate(
    panel: Panel,
    bt: Backtest,
    used: np.ndarray,
    members: np.ndarray,
    level: float,
    target: np.ndarray,
) -> ErrorModel:
    """Error model of the series ``members`` from their honest backtest errors."""
    actual = bt.actual[members]
    f = used[members]
    n_orig, horizon = target.shape
    h = np.broadcast_to(np.arange(1, horizon + 1)[None, None, :], actual.shape)
    series = np.broadcast_to(np.arange(len(members))[:, None, None], actual.shape)
    age = np.broadcast_to((len(panel.years) - 1 - target)[None], actual.shape)
    points = np.broadcast_to(
        bt.origins[None, :, None] - panel.start[members][:, None, None],
        actual.shape,
    )
    cell = np.broadcast_to(
        (np.arange(n_orig)[:, None] * horizon + np.arange(horizon)[None, :])[None], actual.shape
    )
    ok = np.isfinite(actual) & np.isfinite(f)
    e = np.log1p(np.maximum(actual[ok], 0)) - np.log1p(np.maximum(f[ok], 0))
    histories = [panel.values[i, int(panel.start[i]) :] for i in members]
    typical = float(np.median([y[-1] for y in histories])) if histories else 0.0
    return fit_error_model(
        e,
        h[ok],
        f[ok],
        cell[ok],
        series[ok],
        len(members),
        age[ok],
        points[ok],
        level,
        prior_variance(histories),
        typical,
        horizon,
    )


def _total_share(
    panel: Panel,
    bt: Backtest,
    used: np.ndarray,
    members: np.ndarray,
    model: ErrorModel,
    level: float,
) -> float:
    """Common share of the series ``members``, calibrated on their total's honest backtest
    errors (:func:`.intervals.calibrated_common_share`): at each origin and horizon, the
    series with a forecast and an outcome are added up."""
    actual = bt.actual[members]  # (N, O, H)
    f = used[members]
    n, _, horizon = actual.shape
    ok = np.isfinite(actual) & np.isfinite(f)
    h = np.broadcast_to(np.arange(1, horizon + 1)[None, None, :], actual.shape)
    points = np.broadcast_to(
        bt.origins[None, :, None] - panel.start[members][:, None, None], actual.shape
    )
    series = np.broadcast_to(np.arange(n)[:, None, None], actual.shape)
    fc = np.where(ok, np.maximum(f, 0.0), 0.0)
    sd = np.where(ok, model.path_sd(h, fc, points, series), 0.0)
    sd_t = sd.reshape(n, -1).T  # (P, N)
    fc_t = fc.reshape(n, -1).T
    ok_t = ok.reshape(n, -1).T
    total_f = fc_t.sum(axis=1)
    total_y = np.where(ok, actual, 0.0).reshape(n, -1).sum(axis=0)
    e = np.log1p(np.maximum(total_y, 0.0)) - np.log1p(total_f)
    e = np.where(ok_t.sum(axis=1) >= 2, e, np.nan)
    weight = np.where(ok_t, fc_t + 1.0, 0.0)
    share = weight / np.maximum(weight.sum(axis=1), 1.0)[:, None]
    target = bt.origins[:, None] + np.arange(horizon)[None, :]
    w = (RECENCY ** (len(panel.years) - 1 - target)).reshape(-1).astype(float)
    return calibrated_common_share(e, sd_t, share, w, level, model.rho)
