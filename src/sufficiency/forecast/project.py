"""Demand projection over many series: fitting, method choice by backtest, sample paths."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import ForecastError, Problem
from .methods import MIN_POINTS, SeriesFit, fit_method, interval

log = logging.getLogger(__name__)

#: Methods tried, in order, when the requested one cannot be used on a series.
FALLBACK_CHAIN: tuple[str, ...] = ("poisson_glm", "drift", "naive")
_N_DRAWS = 1000
_BACKTEST_HORIZONS = 4
#: Series averaging fewer children a year than this borrow their parent series' trend.
POOL_BELOW = 20.0


@dataclass
class DemandForecast:
    """Projected children per series and year, with intervals and sample paths.

    Attributes:
        frame: The ``by`` columns, ``year``, ``mean``, ``lower``, ``upper``, ``method``.
        diagnostics: One row per series: ``method`` used, ``requested``, ``n_points``,
            ``fallback`` (why another method was used, if it was), ``warnings`` (statsmodels
            warnings captured while fitting), backtest ``mase_<method>`` where computed,
            and fitted parameters.
        by: The series keys.
        level: Interval coverage.
    """

    frame: pd.DataFrame
    diagnostics: pd.DataFrame
    by: tuple[str, ...]
    level: float
    _paths: np.ndarray  # (n_series, n_draws, horizon)
    _keys: pd.DataFrame
    _years: np.ndarray

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

        Each sample is a whole path over the horizon (years within a series are jointly
        drawn; series are drawn independently).

        Args:
            n: Number of paths.
            rng: Random generator.

        Returns:
            Long frame: the ``by`` columns, ``sample``, ``year``, ``children``.
        """
        n_series, n_draws, horizon = self._paths.shape
        pick = rng.integers(0, n_draws, size=(n_series, n))
        chosen = np.take_along_axis(self._paths, pick[:, :, None], axis=1)  # (s, n, h)
        out = self._keys.loc[np.repeat(np.arange(n_series), n * horizon)].reset_index(drop=True)
        out["sample"] = np.tile(np.repeat(np.arange(n), horizon), n_series)
        out["year"] = np.tile(self._years, n_series * n)
        out["children"] = chosen.reshape(-1)
        return out


def _population_by(population: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame | None:
    """Population summed to the age dimension of ``by`` (age_band, age or total)."""
    pop = population.copy()
    if "age_band" not in pop.columns and "age" in pop.columns:
        pop["age_band"] = taxonomy.age_band_of(pop["age"].astype(int).to_numpy())
    keys = ["year"] + [k for k in by if k in ("age_band", "age")]
    if any(k not in pop.columns for k in keys):
        return None
    return pop.groupby(keys, observed=True)["population"].sum().reset_index()


def _backtest_mase(
    method: str,
    y: np.ndarray,
    t: np.ndarray,
    exposure: np.ndarray | None,
    rng: np.random.Generator,
) -> float:
    """Mean absolute scaled error over rolling origins and horizons 1–4."""
    n = len(y)
    scale = float(np.mean(np.abs(np.diff(y)))) if n > 1 else 0.0
    scale = scale if scale > 0 else max(float(np.mean(y)), 1.0)
    errors: list[float] = []
    first_origin = max(MIN_POINTS[method], 3)
    for origin in range(first_origin, n):
        h = min(_BACKTEST_HORIZONS, n - origin)
        fut = slice(origin, origin + h)
        try:
            fit = fit_method(
                method,
                y[:origin],
                t[:origin],
                None if exposure is None else exposure[:origin],
                t[fut],
                None if exposure is None else exposure[fut],
                rng,
                20,
            )
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            return np.inf
        errors.extend(np.abs(fit.mean - y[fut]).tolist())
    return float(np.mean(errors)) / scale if errors else np.inf


def forecast_demand(
    history: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    horizon: int,
    method: str = "auto",
    by: Sequence[str] = ("need", "age_band"),
    level: float = 0.8,
    history_start: int | None = None,
    breaks: Sequence[int] = (),
    trend_years: int | None = None,
    seed: int = 0,
) -> DemandForecast:
    """Project children per series for ``horizon`` years after the last history year.

    Args:
        history: Long frame with ``year``, ``children`` and the ``by`` columns (other
            columns, such as ``setting``, are summed over).
        population: ``year``, ``age`` or ``age_band``, ``population``, covering history and
            projected years. Rate methods are skipped when it is absent.
        horizon: Years to project after the last history year.
        method: ``poisson_glm``, ``drift``, ``naive`` or ``auto`` (per series, lowest
            rolling-origin MASE among the methods the series supports).
        by: Series keys: any subset of ``need``, ``age_band``, ``age``.
        level: Central interval coverage, e.g. 0.8.
        history_start: Ignore history before this year.
        breaks: Years at which a structural break starts; fit from the latest one.
        trend_years: Fit on only the last N years.
        seed: Seed of the random generator for intervals and sample paths.

    Returns:
        The forecast.

    Raises:
        ForecastError: If the inputs cannot support a forecast.
    """
    by = tuple(by)
    missing = [c for c in ("year", "children", *by) if c not in history.columns]
    if missing:
        raise ForecastError("history is missing columns", [Problem("history", ", ".join(missing))])
    if horizon < 1:
        raise ForecastError(f"horizon must be at least 1 year, got {horizon}")
    if method not in (*FALLBACK_CHAIN, "auto"):
        raise ForecastError(
            f"unknown forecast method {method!r}; use auto, " + ", ".join(FALLBACK_CHAIN)
        )
    rng = np.random.default_rng(seed)
    hist = history.copy()
    hist["year"] = hist["year"].astype(int)
    start = max([history_start or -10_000, *[b for b in breaks]])
    hist = hist[hist["year"] >= start]
    last_year = int(hist["year"].max())
    if trend_years:
        hist = hist[hist["year"] > last_year - trend_years]
    hist_years = np.arange(int(hist["year"].min()), last_year + 1)
    future_years = np.arange(last_year + 1, last_year + horizon + 1)

    # complete grid of series × years (missing cells are zero children)
    if by:
        cols = [
            hist[k].astype(str) if isinstance(hist[k].dtype, pd.CategoricalDtype) else hist[k]
            for k in by
        ]
        grouped = hist.assign(**{k: c for k, c in zip(by, cols, strict=True)})
        table = grouped.pivot_table(
            index=list(by), columns="year", values="children", aggfunc="sum", fill_value=0.0
        )
    else:
        totals = hist.groupby("year")["children"].sum()
        table = pd.DataFrame([totals.to_numpy()], columns=totals.index)
    table = table.reindex(columns=hist_years, fill_value=0.0)
    keys = table.index.to_frame(index=False) if by else pd.DataFrame(index=[0])
    values = table.to_numpy(dtype=float)

    pop_table = None
    if population is not None:
        pop = _population_by(population, by)
        if pop is not None:
            age_keys = [k for k in by if k in ("age_band", "age")]
            all_years = np.concatenate([hist_years, future_years])
            if age_keys:
                pop = pop.assign(**{age_keys[0]: pop[age_keys[0]].astype(str)})
                pop_table = pop.pivot_table(
                    index=age_keys[0], columns="year", values="population", aggfunc="sum"
                ).reindex(columns=all_years)
            else:
                total = pop.groupby("year")["population"].sum().reindex(all_years)
                pop_table = pd.DataFrame([total.to_numpy()], index=["_all"], columns=all_years)
            if pop_table.isna().to_numpy().any() or (pop_table.to_numpy() <= 0).any():
                gaps = sorted(
                    int(y)
                    for y in all_years
                    if pop_table[y].isna().any() or (pop_table[y] <= 0).any()
                )
                raise ForecastError(
                    "population does not cover every history and forecast year",
                    [Problem("population", "missing or zero in " + ", ".join(map(str, gaps)))],
                )

    n_series, n_hist = values.shape
    paths = np.zeros((n_series, _N_DRAWS, horizon))
    point = np.zeros((n_series, horizon))
    rows: list[dict[str, object]] = []
    t_hist = hist_years.astype(float)
    t_future = future_years.astype(float)
    age_keys = [k for k in by if k in ("age_band", "age")]
    labels = keys[age_keys[0]].astype(str).to_numpy() if age_keys else np.full(n_series, "_all")
    parent_slopes = (
        _parent_slopes(values, labels, pop_table, n_hist, t_hist, rng)
        if pop_table is not None and len(by) > len(age_keys)
        else {}
    )
    for i in range(n_series):
        y = values[i]
        exposure = future_exposure = None
        if pop_table is not None:
            row = pop_table.loc[[labels[i]]].to_numpy(dtype=float)[0]  # history, then future
            exposure, future_exposure = row[:n_hist], row[n_hist:]
        pooled = parent_slopes.get(labels[i]) if y.mean() < POOL_BELOW else None
        diag: dict[str, object] = {"requested": method, "n_points": n_hist}
        candidates = [m for m in FALLBACK_CHAIN if m != "poisson_glm" or exposure is not None]
        if method == "auto":
            scores = {m: _backtest_mase(m, y, t_hist, exposure, rng) for m in candidates}
            diag.update({f"mase_{m}": s for m, s in scores.items()})
            finite = {m: s for m, s in scores.items() if np.isfinite(s)}
            order = sorted(finite, key=lambda m: finite[m]) or candidates
            order += [m for m in candidates if m not in order]
        else:
            order = [method] + [m for m in FALLBACK_CHAIN if m != method and m in candidates]
        fit: SeriesFit | None = None
        reasons: list[str] = []
        if y.sum() == 0:
            fit = SeriesFit("zero", np.zeros(horizon), np.zeros((_N_DRAWS, horizon)))
            reasons.append("no children in history: projected as zero")
        else:
            for m in order:
                try:
                    fit = fit_method(
                        m,
                        y,
                        t_hist,
                        exposure,
                        t_future,
                        future_exposure,
                        rng,
                        _N_DRAWS,
                        pooled if m == "poisson_glm" else None,
                    )
                    break
                except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                    reasons.append(f"{m}: {exc}")
        if fit is None:
            raise ForecastError(
                "no method could forecast a series",
                [
                    Problem(
                        ", ".join(f"{k}={keys.iloc[i][k]}" for k in by) or "total",
                        "; ".join(reasons),
                    )
                ],
            )
        paths[i] = fit.paths
        point[i] = fit.mean
        diag.update(
            {
                "method": fit.method,
                "fallback": "; ".join(reasons),
                "warnings": " | ".join(fit.warnings),
                **fit.params,
            }
        )
        rows.append(diag)

    lower, upper = interval(paths, level)  # quantiles over draws, per series and year
    lower = np.minimum(lower, point)
    upper = np.maximum(upper, point)
    frame = keys.loc[np.repeat(np.arange(n_series), horizon)].reset_index(drop=True)
    frame["year"] = np.tile(future_years, n_series)
    frame["mean"] = point.reshape(-1)
    frame["lower"] = np.maximum(lower.reshape(-1), 0.0)
    frame["upper"] = upper.reshape(-1)
    frame["method"] = np.repeat([str(r["method"]) for r in rows], horizon)
    diagnostics = pd.concat([keys.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    n_warned = int((diagnostics["warnings"] != "").sum())
    if n_warned:
        log.info("forecast: %d series raised warnings (see diagnostics)", n_warned)
    return DemandForecast(
        frame=taxonomy.as_categories(frame),
        diagnostics=taxonomy.as_categories(diagnostics),
        by=by,
        level=level,
        _paths=paths,
        _keys=keys.reset_index(drop=True),
        _years=future_years,
    )


def _parent_slopes(
    values: np.ndarray,
    labels: np.ndarray,
    pop_table: pd.DataFrame,
    n_hist: int,
    t_hist: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """Rate trend (slope, variance) of each parent series: the sum over needs per age."""
    out: dict[str, tuple[float, float]] = {}
    for label in np.unique(labels):
        y = values[labels == label].sum(axis=0)
        if y.sum() <= 0 or len(y) < MIN_POINTS["poisson_glm"]:
            continue
        exposure = pop_table.loc[[label]].to_numpy(dtype=float)[0][:n_hist]
        try:
            fit = fit_method(
                "poisson_glm", y, t_hist, exposure, t_hist[-1:] + 1, exposure[-1:], rng, 2
            )
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            continue
        out[str(label)] = (fit.params["slope"], fit.params["slope_var"])
    return out
