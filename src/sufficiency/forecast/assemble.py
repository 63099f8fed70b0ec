"""Assembling the forecast object: the frame of intervals, diagnostics, the backtest record."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .backtest import Backtest, mase_scale, scores
from .base import interval
from .final import FinalFit
from .methods import BASELINES
from .panel import Panel
from .result import BacktestRecord


def interval_frame(
    cells: Panel, point: np.ndarray, paths: np.ndarray, level: float, methods: list[str]
) -> pd.DataFrame:
    """The forecast frame: keys, ``year``, ``mean``, ``lower``, ``upper``, ``method``.

    ``lower``/``upper`` are the central ``level`` interval of the paths, held around the
    mean and at or above zero; a width is never narrower than the year before (upper
    raised where needed), so uncertainty does not shrink with the horizon.
    """
    n_series, horizon = point.shape
    lower, upper = interval(paths, level)  # (S, H)
    lower = np.maximum(np.minimum(lower, point), 0.0)
    upper = np.maximum(upper, point)
    # uncertainty never shrinks with the horizon: keep each width at least the last one
    width = np.maximum.accumulate(upper - lower, axis=1)
    upper = np.maximum(upper, lower + width)
    frame = cells.keys.loc[np.repeat(np.arange(n_series), horizon)].reset_index(drop=True)
    frame["year"] = np.tile(cells.future_years, n_series)
    frame["mean"] = point.reshape(-1)
    frame["lower"] = lower.reshape(-1)
    frame["upper"] = upper.reshape(-1)
    frame["method"] = np.repeat(methods, horizon)
    return frame


def diagnostics_frame(
    panel: Panel,
    fits: list[FinalFit],
    bt: Backtest,
    table: dict[str, dict[str, np.ndarray]],
    used: np.ndarray,
    method: str,
    cands: Sequence[str],
    eligible: np.ndarray,
) -> pd.DataFrame:
    """One row per series (see :class:`DemandForecast`); candidates a series could not
    use have no scores."""
    auto_scores = scores(bt, panel, used) if method == "auto" else None
    rows: list[dict[str, object]] = []
    for i, done in enumerate(fits):
        chosen = done.fit.method
        fell = bt.fell_back.get(chosen)
        msgs = sorted(bt.messages[i])
        warns = list(dict.fromkeys(done.warnings + msgs))
        row: dict[str, object] = {
            "requested": method,
            "method": chosen,
            "n_points": int(len(panel.years) - panel.start[i]),
            "first_year": int(panel.years[int(panel.start[i])]),
            "fallback": "; ".join(done.reasons),
            "backtest_fallbacks": int(fell[i].sum()) if fell is not None else 0,
            "warnings": " | ".join(warns[:10]),
            "n_warnings": len(done.warnings) + int(bt.n_warnings[i]),
            "n_missing": int(panel.n_missing[i]),
        }
        for m, sc in table.items():
            usable = (
                method != "auto"
                or m in BASELINES
                or (m in cands and bool(eligible[i, list(cands).index(m)]))
            )
            row[f"mase_{m}"] = float(sc["mase"][i]) if usable else np.nan
            row[f"mape_{m}"] = float(sc["mape"][i]) if usable else np.nan
        if auto_scores is not None:
            row["mase_auto"] = float(auto_scores["mase"][i])
            row["mape_auto"] = float(auto_scores["mape"][i])
        row.update(done.fit.params)
        rows.append(row)
    keys = panel.keys.reset_index(drop=True)
    return pd.concat([keys, pd.DataFrame(rows)], axis=1)


def backtest_record(
    cells: Panel,
    work: Panel,
    bt: Backtest,
    used: np.ndarray,
    base: slice,
    method: str,
    cands: Sequence[str],
    eligible: np.ndarray,
) -> BacktestRecord:
    """The cells' backtest, for reporting: the candidates each could use, and baselines."""
    forecasts: dict[str, np.ndarray] = {}
    for m in bt.methods:
        f = bt.forecasts[m][base].copy()
        if method == "auto" and m not in BASELINES:
            if m not in cands:
                continue
            f[~eligible[base, list(cands).index(m)]] = np.nan
        elif method != "auto" and m not in (method, *BASELINES):
            continue
        forecasts[m] = f
    if method == "auto":
        forecasts["auto"] = used[base]
    return BacktestRecord(
        keys=cells.keys.reset_index(drop=True),
        origin_years=cells.years[bt.origins - 1] if len(bt.origins) else np.zeros(0, dtype=int),
        forecasts=forecasts,
        actual=bt.actual[base],
        scale=mase_scale(work)[base],
    )


def one_step_errors(bt: Backtest, used: np.ndarray) -> np.ndarray:
    """``(origins, series)`` one-year-ahead errors (children) of the forecasts used."""
    actual = bt.actual[:, :, 0]
    return (used[:, :, 0] - actual).T
