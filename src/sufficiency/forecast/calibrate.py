"""Calibrated sample paths of a forecast: one error model per hierarchy level.

The link between the backtest (:mod:`.backtest`) and the error model
(:mod:`.intervals`): which errors calibrate which series, and the paths that result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .backtest import Backtest
from .final import FinalFit
from .intervals import ErrorModel, fit_error_model, prior_variance, sample_paths
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
    """Calibrated sample paths of every series, one error model per hierarchy level."""
    levels = levels_of(panel.keys, panel.by)
    horizon = point.shape[1]
    paths = np.zeros((panel.n_series, n_draws, horizon))
    calibration: dict[str, dict[str, float]] = {}
    target = bt.origins[:, None] + np.arange(bt.horizon)[None, :]
    projected = np.array([f.fit.method != "zero" for f in fits])
    for lev in dict.fromkeys(levels):
        members = np.flatnonzero((levels == lev) & projected)
        if len(members) == 0:
            continue
        model = _calibrate(panel, bt, used, members, level, target)
        calibration[str(lev)] = model.as_dict()
        n_points = len(panel.years) - panel.start[members]
        paths[members] = sample_paths(point[members], model, n_draws, rng, n_points)
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
