"""The forecast object: projected children per series with intervals, sample paths and backtests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import ForecastError
from .base import interval


@dataclass
class BacktestRecord:
    """The rolling-origin backtest behind a forecast, kept for reporting.

    Attributes:
        keys: Series keys ``(S, by)``.
        origin_years: Last history year of each origin ``(O,)``.
        forecasts: Method (and ``auto``) -> ``(S, O, H)`` forecasts.
        actual: ``(S, O, H)`` outcomes (NaN beyond the history).
        scale: MASE scale per series ``(S,)``.
    """

    keys: pd.DataFrame
    origin_years: np.ndarray
    forecasts: dict[str, np.ndarray]
    actual: np.ndarray
    scale: np.ndarray

    def points(self) -> pd.DataFrame:
        """One row per series, method, origin and horizon with an outcome."""
        s, o, h = self.actual.shape
        frames = []
        idx_s, idx_o, idx_h = np.meshgrid(np.arange(s), np.arange(o), np.arange(h), indexing="ij")
        ok = np.isfinite(self.actual)
        for method, f in self.forecasts.items():
            mask = ok & np.isfinite(f)
            if not mask.any():
                continue
            si, oi, hi = idx_s[mask], idx_o[mask], idx_h[mask]
            actual = self.actual[mask]
            forecast = f[mask]
            err = np.abs(forecast - actual)
            part = self.keys.iloc[si].reset_index(drop=True)
            part["method"] = method
            part["origin"] = self.origin_years[oi]
            part["horizon"] = hi + 1
            part["year"] = self.origin_years[oi] + hi + 1
            part["actual"] = actual
            part["forecast"] = forecast
            part["scaled_error"] = err / self.scale[si]
            part["ape"] = np.where(
                actual > 0, 100.0 * err / np.where(actual > 0, actual, 1), np.nan
            )
            frames.append(part)
        if not frames:
            return pd.DataFrame(
                columns=[
                    *self.keys.columns,
                    "method",
                    "origin",
                    "horizon",
                    "year",
                    "actual",
                    "forecast",
                    "scaled_error",
                    "ape",
                ]
            )
        return pd.concat(frames, ignore_index=True)


@dataclass
class DemandForecast:
    """Projected children per series and year, with intervals and sample paths.

    Attributes:
        frame: The ``by`` columns, ``year``, ``mean``, ``lower``, ``upper``, ``method``.
            ``mean`` is the point forecast; ``lower``/``upper`` the central ``level``
            interval of the calibrated sample paths (see :mod:`.intervals`), never
            narrower than the year before.
        diagnostics: One row per series: ``method`` used, ``requested``, ``n_points``,
            ``first_year``, ``fallback`` (why another method was used at the final fit,
            if one was), ``backtest_fallbacks`` (origins where the chosen method's
            fallback stood in), ``warnings`` and ``n_warnings`` (statsmodels warnings
            captured, final fits and backtests), ``mase_<method>`` and ``mape_<method>``
            (%) of every method backtested (``auto``: its honest record), fitted
            parameters of the chosen method, and ``n_missing`` (filled-in points).
        by: The series keys.
        level: Interval coverage.
        calibration: Error model per hierarchy level (see :class:`.intervals.ErrorModel`).
        reconciliation: How cells were made to add up (``bottom_up`` …) and notes.
        node_diagnostics: Diagnostics of the aggregate series (when reconciling with
            ``ols``/``wls_struct``/``mint_shrink``; keys ``*`` where summed over).
        backtest: The rolling-origin backtest (see :meth:`backtest_summary`).
        warnings: What the forecast did that a reader must know, one line each: structural
            starts found, methods rejected for breaking a bound, candidates excluded, a
            method asked for that could not run, interpolated years (see :mod:`.notes`).
    """

    frame: pd.DataFrame
    diagnostics: pd.DataFrame
    by: tuple[str, ...]
    level: float
    _paths: np.ndarray = field(repr=False)  # (n_series, n_draws, horizon)
    _keys: pd.DataFrame = field(repr=False)
    _years: np.ndarray = field(repr=False)
    calibration: dict[str, dict[str, float]] = field(default_factory=dict)
    reconciliation: str = "bottom_up"
    node_diagnostics: pd.DataFrame | None = field(default=None, repr=False)
    backtest: BacktestRecord | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)

    def aggregate(self, by: Sequence[str] = ()) -> pd.DataFrame:
        """Forecast of coarser series (e.g. the total), with intervals from joint paths.

        Means add up; intervals come from the summed sample paths, so they are the
        intervals of the aggregate, not sums of the cells' intervals.

        Args:
            by: Subset of the forecast's ``by`` columns to keep; ``()`` for the total.

        Returns:
            Frame: ``by`` columns, ``year``, ``mean``, ``lower``, ``upper``.
        """
        by = tuple(by)
        unknown = [k for k in by if k not in self.by]
        if unknown:
            raise ForecastError(f"cannot aggregate by {unknown}: forecast is by {self.by}")
        n_series, _, horizon = self._paths.shape
        groups = (
            self._keys.groupby(list(by), sort=True).ngroup().to_numpy()
            if by
            else np.zeros(n_series, dtype=int)
        )
        n_groups = int(groups.max()) + 1 if n_series else 0
        point = self.frame["mean"].to_numpy().reshape(n_series, horizon)
        rows = []
        for g in range(n_groups):
            members = groups == g
            summed = self._paths[members].sum(axis=0)
            lower, upper = interval(summed, self.level)
            mean = point[members].sum(axis=0)
            key = self._keys[members].iloc[0] if by else None
            for h in range(horizon):
                row: dict[str, object] = {k: key[k] for k in by} if key is not None else {}
                row.update(
                    {
                        "year": int(self._years[h]),
                        "mean": float(mean[h]),
                        "lower": float(min(lower[h], mean[h])),
                        "upper": float(max(upper[h], mean[h])),
                    }
                )
                rows.append(row)
        return taxonomy.as_categories(pd.DataFrame(rows))

    def samples(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Draw ``n`` joint sample paths of every series.

        Each sample is one draw of the whole forecast: every year of every series comes
        from the same path, so the shocks series share (and totals) are preserved.

        Args:
            n: Number of paths.
            rng: Random generator.

        Returns:
            Long frame: the ``by`` columns, ``sample``, ``year``, ``children``.
        """
        n_series, n_draws, horizon = self._paths.shape
        pick = rng.integers(0, n_draws, size=n)
        chosen = self._paths[:, pick, :]  # (s, n, h)
        out = self._keys.loc[np.repeat(np.arange(n_series), n * horizon)].reset_index(drop=True)
        out["sample"] = np.tile(np.repeat(np.arange(n), horizon), n_series)
        out["year"] = np.tile(self._years, n_series * n)
        out["children"] = chosen.reshape(-1)
        return out

    def backtest_summary(self, by_series: bool = False) -> pd.DataFrame:
        """Backtest errors of every method by horizon (and by series).

        Args:
            by_series: Keep one row per series as well.

        Returns:
            Frame: (the ``by`` columns,) ``method``, ``horizon``, ``n``, ``mase`` (mean
            absolute scaled error), ``mape`` (mean absolute percentage error, %, over
            years with children).
        """
        keys = list(self.by) if by_series else []
        cols = [*keys, "method", "horizon", "n", "mase", "mape"]
        if self.backtest is None:
            return pd.DataFrame(columns=cols)
        pts = self.backtest.points()
        if pts.empty:
            return pd.DataFrame(columns=cols)
        out = (
            pts.groupby([*keys, "method", "horizon"], observed=True, sort=True)
            .agg(n=("actual", "size"), mase=("scaled_error", "mean"), mape=("ape", "mean"))
            .reset_index()
        )
        return taxonomy.as_categories(out)

    def summary(self) -> pd.DataFrame:
        """The total by year with its interval, and how each series was projected, as a
        statsmodels user expects from ``.summary()``.

        Returns:
            Frame by year: ``mean``, ``lower``, ``upper`` of the total (intervals from the
            joint sample paths), with the interval's coverage in ``attrs['level']`` and
            the methods used (series per method) in ``attrs['methods']``.
        """
        total = self.aggregate().set_index("year")[["mean", "lower", "upper"]]
        total.attrs["level"] = self.level
        total.attrs["methods"] = self.diagnostics["method"].value_counts().to_dict()
        return total

    def plot(self, by: str | None = None) -> Any:
        """Chart of the projection with its interval: the total, or one line per value of
        ``by`` (e.g. ``"need"``). The figure shows itself when returned in a notebook.

        Returns:
            A :class:`matplotlib.figure.Figure`.
        """
        figure = _chart_class()(figsize=(8.0, 4.5))
        figure.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.09)
        ax = figure.add_subplot()
        coverage = f"{round(100 * self.level):g}% interval"
        if by is None:
            total = self.aggregate()
            ax.fill_between(
                total["year"], total["lower"], total["upper"], alpha=0.2, label=coverage
            )
            ax.plot(total["year"], total["mean"], marker="o", label="Projected")
        else:
            for key, part in self.aggregate((by,)).groupby(by, observed=True, sort=True):
                line = ax.plot(part["year"], part["mean"], label=str(key))[0]
                ax.fill_between(
                    part["year"], part["lower"], part["upper"], alpha=0.12, color=line.get_color()
                )
        ax.set_title(f"Projected children ({coverage})", loc="left", fontsize=12)
        ax.set_ylabel("Children")
        ax.set_ylim(bottom=0)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, fontsize=8, ncols=4 if by else 1, loc="upper left")
        return figure

    def __repr__(self) -> str:
        years = self.frame["year"]
        return (
            f"<DemandForecast by {', '.join(self.by) or 'total'}: {len(self.diagnostics)} "
            f"series, {years.min()}–{years.max()}, {round(100 * self.level):g}% intervals; "
            ".summary(), .plot(), .frame, .diagnostics>"
        )

    def _repr_html_(self) -> str:
        table = self.summary().round(0).astype(int).reset_index()
        methods = ", ".join(f"{m} ({n})" for m, n in self.summary().attrs["methods"].items())
        return (
            f"<p><b>Demand forecast</b> by {', '.join(self.by) or 'total'}, "
            f"{len(self.diagnostics)} series; methods: {methods}. Total with its "
            f"{round(100 * self.level):g}% interval:</p>"
            + table.to_html(index=False, border=0)
            + "<p>Next: <code>.plot()</code> (or <code>.plot(by='need')</code>), "
            "<code>.frame</code> for every series, <code>.diagnostics</code> for how each "
            "was chosen, <code>.backtest_summary()</code> for its record.</p>"
        )


_CHART: type | None = None


def _chart_class() -> type:
    """A matplotlib Figure that shows itself in Jupyter as PNG (no pyplot, no magic);
    made on first use so importing the forecast does not import matplotlib."""
    global _CHART
    if _CHART is None:
        import io

        from matplotlib.figure import Figure

        class ForecastFigure(Figure):
            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _CHART = ForecastFigure
    return _CHART
