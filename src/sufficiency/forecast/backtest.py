"""Rolling-origin backtests of every candidate method on every series.

At each origin (a year of the history) each method is fitted to the years before it and
projects up to ``horizon`` years, which are compared with what happened. Where a method
cannot be used at an origin (too few years, a failed fit) its fallback's forecast stands
in, so every method is scored on the same origins — as it would behave in use.

Scores per series: MAE, MASE (MAE over the in-sample mean absolute year-on-year change)
and MAPE (over years with children). The choice among them is :mod:`.choice`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .base import MethodUnavailableError, Settings, captured
from .bounds import BoundError, check
from .methods import METHODS, fit_series
from .methods.cohort import fit_cohort, project_cohort
from .methods.rate import prefit
from .panel import Panel

log = logging.getLogger(__name__)

#: Fewest history years before an origin for it to be backtested.
MIN_BACKTEST_POINTS = 3
FIT_ERRORS = (MethodUnavailableError, FloatingPointError, ValueError, np.linalg.LinAlgError)


@dataclass
class Backtest:
    """Rolling-origin forecasts of each method.

    Attributes:
        methods: Methods backtested.
        origins: Year index of each origin (history is the years before it) ``(O,)``.
        horizon: Longest horizon scored.
        forecasts: Method -> ``(S, O, H)`` forecasts, the fallback's where the method could
            not be used (NaN where no method could, or the origin is too early).
        fell_back: Method -> ``(S, O)`` whether the fallback stood in.
        actual: ``(S, O, H)`` what happened (NaN beyond the history).
        n_warnings: Warnings captured per series.
        messages: Distinct warning texts per series (``method: text``).
        rejected: Method -> ``(S, O)`` whether its projection broke a bound there (its
            fallback stood in).
    """

    methods: list[str]
    origins: np.ndarray
    horizon: int
    forecasts: dict[str, np.ndarray]
    fell_back: dict[str, np.ndarray]
    actual: np.ndarray
    n_warnings: np.ndarray
    messages: list[set[str]] = field(default_factory=list)
    rejected: dict[str, np.ndarray] = field(default_factory=dict)

    def known(self) -> np.ndarray:
        """``(S, O, H)`` mask of scored entries (an actual exists)."""
        return np.isfinite(self.actual)


def mase_scale(panel: Panel) -> np.ndarray:
    """MASE scale per series: in-sample mean absolute year-on-year change (≥ a floor)."""
    out = np.ones(panel.n_series)
    for i in range(panel.n_series):
        y = panel.values[i, int(panel.start[i]) :]
        d = float(np.mean(np.abs(np.diff(y)))) if len(y) > 1 else 0.0
        out[i] = d if d > 0 else max(float(np.mean(y)) if len(y) else 0.0, 1.0)
    return out


def _cohort_backtest(
    panel: Panel, series: np.ndarray, origin: int, horizon: int, settings: Settings
) -> tuple[dict[int, np.ndarray], set[int]]:
    """Cohort forecasts for the given series at one origin (missing where it fails), and
    the series where it broke a bound."""
    out: dict[int, np.ndarray] = {}
    broke: set[int] = set()
    if panel.cohort_counts is None or panel.cohort_population is None:
        return out, broke
    groups = {int(panel.cohort_group[i]) for i in series if panel.cohort_group[i] >= 0}
    for g in groups:
        members = [i for i in series if panel.cohort_group[i] == g]
        first = max(int(panel.start[i]) for i in members)
        if origin - first < METHODS["cohort"].min_points:
            continue
        try:
            with captured():
                fit = fit_cohort(
                    panel.cohort_counts[g][:, first:origin],
                    panel.cohort_population[:, first:origin],
                )
                proj = project_cohort(
                    fit,
                    panel.cohort_counts[g][:, origin - 1],
                    panel.cohort_population[:, origin : origin + horizon],
                )
        except FIT_ERRORS:
            continue
        for i in members:
            mean = proj[panel.cohort_ages[i]].sum(0)
            data = panel.data(int(i), origin, horizon, settings.pool_below)
            try:
                check(mean, data, settings, panel.years[0] + origin + np.arange(horizon), False)
            except BoundError:
                broke.add(int(i))
                continue
            out[i] = mean
    return out, broke


def run_backtest(
    panel: Panel,
    methods: Sequence[str],
    settings: Settings,
    *,
    horizon: int = 4,
    max_origins: int = 8,
) -> Backtest:
    """Backtest ``methods`` (fallbacks are added) on every series of ``panel``.

    Args:
        panel: The series.
        methods: Methods to score; their fallback chains are scored too.
        settings: Method settings.
        horizon: Longest horizon scored (years).
        max_origins: Most origins used (the latest ones).

    Returns:
        The backtest.
    """
    wanted: list[str] = []
    for m in methods:
        chain = [m]
        while (nxt := METHODS[chain[-1]].fallback) is not None:
            chain.append(nxt)
        wanted += [c for c in chain if c not in wanted]
    n_series, n = panel.values.shape
    first = max(MIN_BACKTEST_POINTS, n - max_origins)
    origins = np.arange(first, n) if first < n else np.zeros(0, dtype=int)
    n_orig = len(origins)
    raw = {m: np.full((n_series, n_orig, horizon), np.nan) for m in wanted}
    rejected = {m: np.zeros((n_series, n_orig), dtype=bool) for m in wanted}
    actual = np.full((n_series, n_orig, horizon), np.nan)
    n_warn = np.zeros(n_series, dtype=int)
    messages: list[set[str]] = [set() for _ in range(n_series)]
    ready = [np.flatnonzero(o - panel.start.astype(int) >= MIN_BACKTEST_POINTS) for o in origins]
    datas = [
        {int(i): panel.data(int(i), int(o), min(horizon, n - o), settings.pool_below) for i in idx}
        for o, idx in zip(origins, ready, strict=True)
    ]
    rates = [m for m in wanted if METHODS[m].family == "rate"]
    if rates:  # every origin's rate GLMs in a few batches, remembered for the fits below
        prefit(
            [d for at in datas for d in at.values() if np.any(d.y > 0)],
            negbin=any(m.startswith("negbin") for m in rates),
        )
    for j, o in enumerate(origins):
        h = min(horizon, n - o)
        idx = ready[j]
        actual[idx, j, :h] = panel.values[idx, o : o + h]
        if "cohort" in wanted:
            done, broke = _cohort_backtest(panel, idx, int(o), h, settings)
            for member, f in done.items():
                raw["cohort"][member, j, :h] = f
            rejected["cohort"][list(broke), j] = True
        for i in idx:
            data = datas[j][int(i)]
            if not np.any(data.y > 0):
                for m in wanted:
                    raw[m][i, j, :h] = 0.0
                continue
            for m in wanted:
                spec = METHODS[m]
                if spec.fit is None or len(data.y) < spec.min_points:
                    continue
                try:
                    fit = fit_series(m, data, h, settings)
                except BoundError:
                    rejected[m][i, j] = True
                    continue
                except FIT_ERRORS:
                    continue
                raw[m][i, j, :h] = fit.mean
                if fit.warnings:
                    n_warn[i] += len(fit.warnings)
                    messages[i].update(f"{m}: {w}" for w in fit.warnings[:3])
    forecasts: dict[str, np.ndarray] = {}
    fell_back: dict[str, np.ndarray] = {}

    def resolve(m: str) -> np.ndarray:
        if m not in forecasts:
            f = raw[m].copy()
            missing = ~np.isfinite(f[:, :, 0])
            nxt = METHODS[m].fallback
            if nxt is not None:
                f[missing] = resolve(nxt)[missing]
            forecasts[m] = f
            fell_back[m] = missing & np.isfinite(f[:, :, 0])
        return forecasts[m]

    for m in wanted:
        resolve(m)
    return Backtest(
        methods=wanted,
        origins=origins,
        horizon=horizon,
        forecasts=forecasts,
        fell_back=fell_back,
        actual=actual,
        n_warnings=n_warn,
        messages=messages,
        rejected=rejected,
    )


def scores(bt: Backtest, panel: Panel, forecasts: np.ndarray) -> dict[str, np.ndarray]:
    """Per-series ``mae``, ``mase`` and ``mape`` (%) of ``(S, O, H)`` forecasts."""
    err = np.abs(forecasts - bt.actual)
    ok = np.isfinite(err)
    count = ok.sum(axis=(1, 2))
    mae = np.where(
        count > 0, np.where(ok, err, 0.0).sum(axis=(1, 2)) / np.maximum(count, 1), np.inf
    )
    pos = ok & (bt.actual > 0)
    ape = np.where(pos, err / np.where(pos, bt.actual, 1.0), 0.0)
    n_pos = pos.sum(axis=(1, 2))
    mape = np.where(n_pos > 0, 100.0 * ape.sum(axis=(1, 2)) / np.maximum(n_pos, 1), np.nan)
    return {"mae": mae, "mase": mae / mase_scale(panel), "mape": mape}
