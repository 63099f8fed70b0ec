"""Honest evaluation of a whole forecast: refit at past origins, score against what happened.

Unlike the backtest inside :func:`~sufficiency.forecast_demand` (which chooses methods and
calibrates intervals), this one treats the whole procedure — choice, fit, calibration —
as the thing being tested: at each origin year the history is cut there, the forecast is
made as a user would have made it, and its means and intervals are compared with the
years that followed. It is what the benchmark and ``sufficiency forecast`` report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from .project import forecast_demand


def _series_history(history: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Children by series key and year (``_key`` joins the ``by`` values)."""
    h = history.assign(year=history["year"].astype(int))
    if by:
        h = h.assign(_key=h[list(by)].astype(str).agg("|".join, axis=1))
    else:
        h = h.assign(_key="total")
    return h.groupby(["_key", "year"])["children"].sum(min_count=1).unstack("year")


def _known_at(options: dict[str, Any], origin: int) -> dict[str, Any]:
    """The options as a user at ``origin`` would have set them: ``series_start`` and
    ``breaks`` after the origin were not known yet (and would be outside the history)."""
    out = dict(options)
    if out.get("series_start"):
        out["series_start"] = {k: v for k, v in out["series_start"].items() if v <= origin}
    if out.get("breaks"):
        out["breaks"] = [b for b in out["breaks"] if b <= origin]
    return out


def backtest_table(
    history: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    origins: Sequence[int],
    horizon: int = 4,
    methods: Sequence[str] = ("auto", "naive", "drift"),
    by: Sequence[str] = ("need", "age_band"),
    interval_level: float = 0.8,
    **options: Any,
) -> pd.DataFrame:
    """Forecast from each origin year with each method and compare with the outcome.

    Args:
        history: As for :func:`~sufficiency.forecast_demand`, covering the origins and the
            years after them.
        population: As for :func:`~sufficiency.forecast_demand` (its projection for the
            held-out years is used as a planner would use a projection).
        origins: Last history year of each forecast.
        horizon: Years projected from each origin (scored where history exists).
        methods: Methods compared (``auto`` and the baselines by default).
        by: Series keys.
        interval_level: Interval coverage (a fraction, e.g. 0.8).
        **options: Further options of :func:`~sufficiency.forecast_demand` (``series_start``,
            ``history_start``, ``seed`` …); ``series_start`` and ``breaks`` after an origin
            are left out of that origin's forecast.

    Returns:
        One row per series, origin, method and horizon with an outcome: the ``by``
        columns, ``origin``, ``method`` (asked for), ``chosen`` (used), ``horizon``,
        ``year``, ``actual``, ``mean``, ``lower``, ``upper``, ``covered`` (the outcome lay
        within the interval), ``scaled_error`` (absolute error over the series'
        in-sample mean absolute year-on-year change up to the origin: averaged, the
        MASE) and ``ape`` (absolute percentage error, %, where the outcome is positive).
    """
    by = tuple(by)
    table = _series_history(history, by)
    last = int(history["year"].max())
    frames = []
    for origin in origins:
        past = history[history["year"].astype(int) <= origin]
        if past.empty or origin >= last:
            continue
        known = _known_at(options, origin)
        for method in methods:
            fc = forecast_demand(
                past,
                population,
                horizon=horizon,
                method=method,
                by=by,
                interval_level=interval_level,
                **known,
            )
            f = fc.frame.copy()
            keys = (
                f[list(by)].astype(str).agg("|".join, axis=1) if by else pd.Series("total", f.index)
            )
            first = dict(
                zip(
                    fc.diagnostics[list(by)].astype(str).agg("|".join, axis=1) if by else ["total"],
                    fc.diagnostics["first_year"],
                    strict=True,
                )
            )
            actual, scale = [], []
            for k, y in zip(keys, f["year"], strict=True):
                row = table.loc[k] if k in table.index else None
                actual.append(float(row.get(int(y), np.nan)) if row is not None else np.nan)
                if row is None:
                    scale.append(np.nan)
                    continue
                fit = row[(row.index >= first[k]) & (row.index <= origin)].to_numpy(dtype=float)
                d = np.abs(np.diff(fit))
                d = d[np.isfinite(d)]
                scale.append(float(d.mean()) if len(d) and d.mean() > 0 else np.nan)
            f["actual"] = actual
            f["origin"] = origin
            f["horizon"] = f["year"] - origin
            err = np.abs(f["mean"] - f["actual"])
            f["scaled_error"] = err / np.asarray(scale)
            f["ape"] = np.where(
                f["actual"] > 0, 100 * err / f["actual"].where(f["actual"] > 0), np.nan
            )
            f["covered"] = (f["actual"] >= f["lower"]) & (f["actual"] <= f["upper"])
            f["chosen"] = f["method"].astype(str)
            f["method"] = method
            frames.append(f[f["actual"].notna()])
    cols = [
        *by,
        "origin",
        "method",
        "chosen",
        "horizon",
        "year",
        "actual",
        "mean",
        "lower",
        "upper",
    ]
    if not frames:
        return pd.DataFrame(columns=[*cols, "covered", "scaled_error", "ape"])
    out = pd.concat(frames, ignore_index=True)
    return taxonomy.as_categories(out[[*cols, "covered", "scaled_error", "ape"]])


def summarise_backtest(
    table: pd.DataFrame, by: Sequence[str] = ("method", "horizon")
) -> pd.DataFrame:
    """Mean MASE, MAPE (%) and interval coverage of a :func:`backtest_table`.

    Args:
        table: Output of :func:`backtest_table` (several may be concatenated).
        by: Columns to summarise by.

    Returns:
        ``by`` columns, ``n`` (points), ``mase`` (mean scaled error over points with a
        non-zero scale), ``mape`` (mean absolute percentage error over points with a
        positive outcome), ``coverage`` (share of outcomes within the interval).
    """
    g = table.groupby(list(by), observed=True, sort=True)
    out = g.agg(
        n=("actual", "size"),
        mase=("scaled_error", lambda s: float(np.nanmean(s.replace(np.inf, np.nan)))),
        mape=("ape", lambda s: float(np.nanmean(s))),
        coverage=("covered", "mean"),
    )
    return out.reset_index()
