"""Honest intervals: an error model calibrated on backtest errors, and joint sample paths.

Intervals do not come from the fitted models' own formulas (on 6–10 points those are far
too narrow). They come from what the forecasts got wrong in the rolling-origin backtest:

1. Errors are measured on the log scale, ``e = log(y + 1) − log(f + 1)``, for the method
   actually used (for ``auto``, the honest record of choosing with past errors only).
2. Their variance is modelled as ``v(h, f, m) = a·h + b·h²/(m − 1) + c/(f + 1)``: a
   random-walk term (``a·h``), a trend term (``b·h²/(m − 1)``: a trend estimated from
   ``m`` years of history is uncertain in proportion to ``1/(m − 1)``, as a drift is),
   common to the series of the forecast, plus count noise (Poisson has ``c ≈ 1``) that
   matters for small series. ``a, b, c ≥ 0`` are fitted by non-negative least squares
   to ``e²`` (each ``|e|`` clipped at :data:`MAX_FIT_ERROR`), together with a few
   pseudo-errors from a prior (the series' own year-on-year volatility), so a forecast
   with few backtest errors is not over-confident. Errors on older outcomes count less
   (``RECENCY`` a year), so the model follows a change of regime.
3. Each series gets its own factor ``s_i`` on that variance: the mean of its squared
   standardised errors ``e² / v``, shrunk towards 1 with the same prior weight — a band
   ramping up after a reform is less predictable than a steady one.
4. A scale ``k_h`` per horizon on the standard deviation ``s_i √v`` is the smallest that
   makes the intervals the paths give (below) hold ``level`` of the (weighted) backtest
   errors at that horizon — heavy or light tails, and whatever the variance model misses
   as the horizon grows — shrunk towards the scale of all horizons together and that
   towards 1, with the same prior weight; it never decreases with the horizon, and beyond
   the backtest horizon the last one holds.
5. Sample paths are ``y = (f + 1)·exp(k_h·s_i·z − σ²/2) − 1`` (floored at 0), where σ²
   is the variance of ``k_h·s_i·z`` (its square root held at :data:`MAX_LOG_SD` at
   most, a little more each year ahead, so the interval keeps its mean), so that the
   paths average the point forecast (means of cells add up to the means of totals, and
   each interval holds its mean), with
   ``z = √a·W_h + √b·h·B + √(c/(f+1))·ε``: a random walk ``W``, a trend shock ``B`` and
   noise ``ε``. A share ``ρ`` of every series' variance is common to the series of the
   area (drawn from shared shocks), the rest is the series' own. ``ρ`` is calibrated on
   the area's total (:func:`calibrated_common_share`): the smallest share whose total
   intervals — the cells' spreads added up with that correlation — hold ``level`` of the
   total's own backtest errors, shrunk towards the correlation of the cells' errors at
   the same origin and horizon. Totals (summed paths) are then as uncertain as the
   area's total has been, not as the cells' surprises would be if they always moved
   together (they do not: children move between bands, and a miss in one band is often
   made up in the next). Where the total has been steadier than even independent cells
   would make it, ``ρ`` goes below 0 (down to ``−1/(N−1)`` for ``N`` series): the cells'
   errors partly cancel.
6. LA errors move together when the national trend shifts: where the reference panel is
   used, a national component — with the variance of the reference panel's own forecast
   errors at each horizon (England's and the region's totals forecast by their recent
   compound growth at their latest origins, :func:`.calibrate.national_variance`) — is
   drawn once per path and shared by every series of the area (and by every level of
   the hierarchy). It is part of the common share, not added to it: of each series'
   common variance ``ρ·σ²``, the national component takes up to the reference panel's
   variance, and shared local shocks the rest.

The model is fitted per forecast on the series' own errors, so it widens intervals for
volatile councils and narrows them for steady ones; nothing is tuned to a target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

#: Weight of the prior, in pseudo-errors.
PRIOR_WEIGHT = 8.0
#: Weight of an error per year of age (errors on older outcomes count less).
RECENCY = 0.75
#: Largest standard deviation of a path's log error one year ahead, rising by
#: ``MAX_LOG_SD_STEP`` a year to ``MAX_LOG_SD_CAP``. Unbounded, a badly calibrated σ gave
#: intervals reading "0 to the forecast": a lognormal's upper 90% point falls below its
#: mean once σ > 2.56, and its ratio to the mean already shrinks beyond σ ≈ 1.28, so an
#: interval held below that still widens, relative to the forecast, with the horizon.
MAX_LOG_SD = 0.8
MAX_LOG_SD_STEP = 0.05
MAX_LOG_SD_CAP = 1.25
#: Largest share of a series' variance the national component may take.
MAX_NATIONAL_SHARE = 0.8
#: Log errors beyond this are clipped when fitting the variance model (not when
#: calibrating coverage): one band ramping from nothing must not swamp every other series.
MAX_FIT_ERROR = 1.5


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(np.interp(q * cw[-1], cw - w[order] / 2.0, x[order]))


@dataclass(frozen=True)
class ErrorModel:
    """Log-scale forecast error model ``v(h, f, m) = a·h + b·h²/(m−1) + c/(f+1)``, and scales.

    Attributes:
        a: Random-walk variance per year.
        b: Trend variance (per year squared, for two years of history).
        c: Count-noise factor (1 = Poisson).
        k: Scale applied to the standard deviation to match the interval level, per
            horizon (1, 2, …; the last holds beyond).
        rho: Share of each series' log-error variance common to every series of the area
            (up to 1; the national component is part of it), or, below 0, the correlation
            of series that partly cancel (at least ``−1/(N−1)`` for ``N`` series).
        n_errors: Backtest errors the model was fitted to.
        series_scale: Factor on the standard deviation of each series (``s_i``).
    """

    a: float
    b: float
    c: float
    k: np.ndarray
    rho: float
    n_errors: int
    series_scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    def variance(self, h: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Variance of the log error at horizon ``h``, point forecast ``f``, ``m`` years."""
        h = np.asarray(h, dtype=float)
        return self.a * h + self.b * h * h / _years(m) + self.c / (np.maximum(f, 0.0) + 1.0)

    def path_sd(
        self, h: np.ndarray, f: np.ndarray, m: np.ndarray, series: np.ndarray
    ) -> np.ndarray:
        """Standard deviation of the sample paths' log error: ``k_h·s_i·√v``, held at
        :data:`MAX_LOG_SD` (a little more each year ahead).

        Args:
            h: Horizons (1…; the last scale holds beyond the backtest's).
            f: Point forecasts.
            m: Years of history each forecast rests on.
            series: Index of each entry's series (into ``series_scale``; ignored when the
                model has no per-series scales).
        """
        h = np.asarray(h)
        k = self.k[np.minimum(h.astype(int) - 1, len(self.k) - 1)]
        s = self.series_scale[series] if self.series_scale.size else 1.0
        sd = s * k * np.sqrt(self.variance(h, f, m))
        return np.minimum(sd, log_sd_cap(h))

    def as_dict(self) -> dict[str, float]:
        """Parameters for diagnostics."""
        return {
            "rw_variance": self.a,
            "trend_variance": self.b,
            "count_noise": self.c,
            **{f"scale_h{i + 1}": float(v) for i, v in enumerate(self.k)},
            "common_share": self.rho,
            "n_errors": float(self.n_errors),
            "series_scale_min": float(self.series_scale.min()) if self.series_scale.size else 1.0,
            "series_scale_max": float(self.series_scale.max()) if self.series_scale.size else 1.0,
        }


def _years(m: np.ndarray | float) -> np.ndarray:
    """``m − 1``, at least 1: the number of year-on-year changes a trend rests on."""
    return np.maximum(np.asarray(m, dtype=float) - 1.0, 1.0)


def log_sd_cap(h: np.ndarray) -> np.ndarray:
    """Largest standard deviation of a path's log error at horizon ``h`` (1…)."""
    h = np.asarray(h, dtype=float)
    return np.minimum(MAX_LOG_SD + MAX_LOG_SD_STEP * (h - 1.0), MAX_LOG_SD_CAP)


def prior_variance(values: list[np.ndarray]) -> tuple[float, float]:
    """Random-walk and trend variances implied by the series' year-on-year volatility.

    The variance of ``Δlog(y+1)`` beyond count noise (``2/(ȳ+1)``) is the random-walk
    variance ``a0``; a mean growth estimated from ``m`` points is uncertain by
    ``a0/(m−1)`` per year squared, so ``b0 = a0``. Averaged over series, weighted by size.
    """
    rw, weights = [], []
    for y in values:
        y = np.asarray(y, dtype=float)
        if len(y) < 3 or y.sum() <= 0:
            continue
        d = np.diff(np.log1p(y))
        extra = float(np.var(d, ddof=1)) - 2.0 / (float(np.mean(y)) + 1.0)
        rw.append(max(extra, 0.0))
        weights.append(float(np.mean(y)))
    if not rw:
        return 0.01, 0.01
    a0 = max(float(np.average(rw, weights=weights)), 1e-4)
    return a0, a0


def fit_error_model(
    e: np.ndarray,
    h: np.ndarray,
    f: np.ndarray,
    cell: np.ndarray,
    series: np.ndarray,
    n_series: int,
    age: np.ndarray,
    m: np.ndarray,
    level: float,
    prior: tuple[float, float],
    typical: float,
    horizon: int,
) -> ErrorModel:
    """Fit the error model to backtest errors.

    Args:
        e: Log errors ``log(y+1) − log(f+1)``.
        h: Their horizons (1…).
        f: Their point forecasts.
        cell: Id of the (origin, horizon) each error belongs to (for the correlation).
        series: Index (0…n_series-1) of the series each error belongs to.
        n_series: Number of series.
        age: Years between each error's outcome and the last history year; errors count
            ``RECENCY ** age`` (recent behaviour matters most after a change of regime).
        m: Years of history each error's forecast was made from.
        level: Interval coverage to calibrate.
        prior: ``(a0, b0)`` from :func:`prior_variance`.
        typical: A typical forecast size (for the prior's count-noise term).
        horizon: Longest backtest horizon (the prior covers 1…horizon).

    Returns:
        The model.
    """
    ok = np.isfinite(e) & np.isfinite(f)
    e, h, f, cell, series = e[ok], h[ok].astype(float), f[ok], cell[ok], series[ok]
    hh = h * h / _years(np.asarray(m)[ok])
    w = RECENCY ** np.asarray(age, dtype=float)[ok]
    n_eff = float(w.sum())
    a0, b0 = prior
    hp = np.arange(1, max(horizon, 1) + 1, dtype=float)
    w0 = PRIOR_WEIGHT / len(hp)
    inv = 1.0 / (np.maximum(f, 0.0) + 1.0)
    inv0 = np.full(len(hp), 1.0 / (max(typical, 0.0) + 1.0))
    sw = np.sqrt(w)[:, None]
    x = np.vstack(
        [
            sw * np.column_stack([h, hh, inv]),
            np.sqrt(w0) * np.column_stack([hp, hp * hp, inv0]),
        ]
    )
    e_fit = np.clip(e, -MAX_FIT_ERROR, MAX_FIT_ERROR)
    target = np.concatenate(
        [sw[:, 0] * e_fit * e_fit, np.sqrt(w0) * (a0 * hp + b0 * hp * hp + inv0)]
    )
    from scipy.optimize import nnls  # imported when used: scipy.optimize is slow to import

    coef, _ = nnls(x, target)
    a, b, c = (float(v) for v in coef)
    if a + b <= 0:
        a, b = a0 * 0.1, b0 * 0.1
    c = max(c, 1e-6)
    scale = np.ones(n_series)
    if len(e) == 0:
        return ErrorModel(a, b, c, np.ones(len(hp)), 0.0, 0, scale)
    v = a * h + b * hh + c * inv
    ratio = e * e / v
    sums = np.bincount(series, weights=w * ratio, minlength=n_series)
    counts = np.bincount(series, weights=w, minlength=n_series)
    scale = np.sqrt((PRIOR_WEIGHT + sums) / (PRIOR_WEIGHT + counts))
    sd = scale[series] * np.sqrt(v)
    k_all = _calibrated_scale(e, sd, w, level)
    k_all = (n_eff * k_all + PRIOR_WEIGHT) / (n_eff + PRIOR_WEIGHT)
    k = np.full(len(hp), k_all)
    for j, step in enumerate(hp):
        at = h == step
        if at.any():
            k_h = _calibrated_scale(e[at], sd[at], w[at], level)
            n_h = float(w[at].sum())
            k[j] = (n_h * k_h + PRIOR_WEIGHT * k_all) / (n_h + PRIOR_WEIGHT)
    k = np.maximum.accumulate(np.maximum(k, 0.05))
    rho = _common_share(e / (k[h.astype(int) - 1] * sd), cell)
    return ErrorModel(a, b, c, k, rho, len(e), scale)


_K_GRID = np.linspace(0.2, 6.0, 291)


def _calibrated_scale(e: np.ndarray, sd: np.ndarray, w: np.ndarray, level: float) -> float:
    """Smallest ``k`` whose intervals, as the paths make them, cover ``level`` of errors.

    The paths' central interval of ``log(y+1) − log(f+1)`` is ``±q·k·sd − (k·sd)²/2``
    (``q`` the normal quantile; the shift keeps the paths' mean at the forecast); the
    weighted share of backtest errors inside it rises with ``k``.
    """
    q = float(ndtri(0.5 + level / 2.0))  # the standard normal quantile
    half = q * _K_GRID[:, None] * sd[None, :]
    shift = (_K_GRID[:, None] * sd[None, :]) ** 2 / 2.0
    inside = (e[None, :] >= -half - shift) & (e[None, :] <= half - shift)
    share = (inside * w[None, :]).sum(axis=1) / w.sum()
    hit = np.flatnonzero(share >= level)
    return float(_K_GRID[hit[0]] if len(hit) else _K_GRID[-1])


def _common_share(r: np.ndarray, cell: np.ndarray) -> float:
    """Correlation of the series' standardised errors, from cross-products in the same cell.

    With ``r_i = √ρ·C + √(1−ρ)·U_i`` (unit variance), ``E[r_i r_j] = ρ`` for two series
    at the same origin and horizon.
    """
    num = den = 0.0
    for g in np.unique(cell):
        m = cell == g
        n = int(m.sum())
        if n < 2:
            continue
        rs = r[m]
        num += (rs.sum() ** 2 - (rs * rs).sum()) / 2.0
        den += n * (n - 1) / 2.0
    if den <= 0:
        return 0.0
    return float(np.clip(num / den, 0.0, 0.95))


def calibrated_common_share(
    e_total: np.ndarray,
    sd: np.ndarray,
    share: np.ndarray,
    w: np.ndarray,
    level: float,
    prior: float,
) -> float:
    """The share of every series' variance common to the area, calibrated on its total.

    The log error of a total is about the forecast-weighted mean of its series' log
    errors, so with series spreads ``σ_i``, weights ``w_i`` and a common share ``ρ`` its
    variance is ``(1 − ρ)·Σ w_i²σ_i² + ρ·(Σ w_i σ_i)²``: independent series at ``ρ = 0``,
    series that always move together at ``ρ = 1``, and below 0 series whose errors partly
    cancel (down to ``−1/(N−1)``, the least correlation ``N`` series can share): where the
    total has been steadier than even independent series would make it — a miss in one band
    made up in the next, as children move between them — its intervals are not left wider
    than its own record. The smallest ``ρ`` whose intervals, as the paths make them
    (:func:`_calibrated_scale`), hold ``level`` of the total's (weighted) backtest errors is
    shrunk towards ``prior`` with :data:`PRIOR_WEIGHT`.

    Args:
        e_total: ``(P,)`` log errors of the total at each backtest origin and horizon.
        sd: ``(P, N)`` the paths' log spread of each series there (0 where absent).
        share: ``(P, N)`` each series' share of the total's forecast (0 where absent).
        w: ``(P,)`` weight of each error (recent ones count more).
        level: Interval coverage to calibrate.
        prior: The share to shrink towards (the correlation of the series' errors).

    Returns:
        The common share, ``−1/(N−1)`` to 1.
    """
    ok = np.isfinite(e_total) & (w > 0)
    if not ok.any():
        return prior
    e, sd, share, w = e_total[ok], sd[ok], share[ok], w[ok]
    own = (share * share * sd * sd).sum(axis=1)
    together = (share * sd).sum(axis=1) ** 2
    least = -1.0 / max(sd.shape[1] - 1, 1)
    grid = np.linspace(least, 1.0, 1 + round(100 * (1.0 - least)))
    var = np.maximum((1.0 - grid)[:, None] * own[None, :] + grid[:, None] * together[None, :], 0.0)
    half = float(ndtri(0.5 + level / 2.0)) * np.sqrt(var)
    inside = (e[None, :] >= -half - var / 2.0) & (e[None, :] <= half - var / 2.0)
    covered = (inside * w[None, :]).sum(axis=1) / w.sum()
    hit = np.flatnonzero(covered >= level)
    found = float(grid[hit[0]]) if len(hit) else 1.0
    n_eff = float(w.sum())
    return (n_eff * found + PRIOR_WEIGHT * prior) / (n_eff + PRIOR_WEIGHT)


def walk_of(steps: np.ndarray) -> np.ndarray:
    """A standardised random walk along the last axis, in place: ``steps`` summed along
    it, year ``h`` over ``√h`` (its variance 1 each year). As ``np.cumsum(steps,
    axis=-1) / √h`` to the bit (the same additions in the same order), a year at a time
    across the others: 0.5 ms against 2.5 ms on a council's 60 series × 1,000 draws ×
    10 years, where a sum along a short last axis runs element by element."""
    for k in range(1, steps.shape[-1]):
        np.add(steps[..., k], steps[..., k - 1], out=steps[..., k])
    steps /= np.sqrt(np.arange(1, steps.shape[-1] + 1, dtype=float))
    return steps


def sample_paths(
    point: np.ndarray,
    model: ErrorModel,
    n_draws: int,
    rng: np.random.Generator,
    m: np.ndarray,
    national: np.ndarray | None = None,
    walk: np.ndarray | None = None,
) -> np.ndarray:
    """Joint sample paths ``(S, n_draws, H)`` around point forecasts ``(S, H)``.

    Each series' log error is ``√(1−ρ)·own + √(ρ−u)·common + √u·σ·N``: its own shocks, the
    shocks common to the area and the national component ``N``, where ``ρ`` is the
    model's common share and ``u`` the national part of it (the reference panel's
    variance over the series', at most ``ρ`` and :data:`MAX_NATIONAL_SHARE`); each series
    keeps its calibrated spread ``σ``. A ``ρ`` below 0 draws the series' own shocks
    equicorrelated (``√(1−ρ)·(own − mean) + √(1−ρ+Nρ)·mean`` over the ``N`` series),
    without a national part.

    Args:
        point: Point forecasts.
        model: The error model.
        n_draws: Paths per series.
        rng: Random generator.
        m: Years of history of each series ``(S,)``.
        national: ``(H,)`` variance of the national component of the log error, common
            to every series (:func:`.calibrate.national_variance`), or ``None``.
        walk: ``(n_draws, H)`` the national component's standardised path (a random walk
            over its standard deviation, shared with other calls); drawn here if ``None``.
    """
    n_series, horizon = point.shape
    h = np.arange(1, horizon + 1, dtype=float)
    f = np.maximum(point, 0.0)
    series = np.arange(n_series)
    sd = model.path_sd(h[None, :], f, np.asarray(m)[:, None], series[:, None])  # (S, H)
    var = sd * sd
    rw = np.sqrt(model.a * h)  # (H,) the parts of z before scaling to sd
    trend = np.sqrt(model.b / _years(m))[:, None] * h[None, :]  # (S, H)
    noise = np.sqrt(model.c / (f + 1.0))  # (S, H)
    raw = np.sqrt(np.maximum(rw * rw + trend * trend + noise * noise, 1e-300))
    scale = sd / raw  # (S, H): the structured z times this has variance sd²

    def structured(n: int) -> np.ndarray:
        """``(S, draws, H)`` shocks ``√a·W + √b·h·B + √(c/(f+1))·ε``, scaled to each
        series' spread (``n`` = 1: one draw shared by every series). Worked in place,
        the same operations in the same order (the paths are the same to the bit): 0.2 of
        the 0.03 s a council's paths took went to new arrays and a cumulative sum across
        the short last axis."""
        z = walk_of(rng.standard_normal((n, n_draws, horizon)))
        z *= rw[None, None, :]
        shift = trend[:, None, :] * rng.standard_normal((n, n_draws))[:, :, None]
        z = z + shift if n == 1 else np.add(z, shift, out=z)  # n = 1 spreads to every series
        noisy = rng.standard_normal((n, n_draws, horizon))
        z += np.multiply(noise[:, None, :], noisy, out=noisy if n > 1 else None)
        z *= scale[:, None, :]
        return z

    rho = float(np.clip(model.rho, -1.0 / max(n_series - 1, 1), 1.0))
    if national is not None and n_series:
        nat = np.asarray(national, dtype=float)[np.minimum(np.arange(horizon), len(national) - 1)]
        u = np.minimum(
            nat[None, :] / np.maximum(var, 1e-12), max(min(rho, MAX_NATIONAL_SHARE), 0.0)
        )
        if walk is None:
            walk = walk_of(rng.standard_normal((n_draws, horizon)))
    else:
        u = np.zeros_like(var)
    z = structured(n_series)
    if rho < 0:  # equicorrelated ρ: √(1−ρ)·(z − z̄) + √(1 − ρ + Nρ)·z̄
        mean = z.mean(axis=0, keepdims=True)
        z -= mean
        z *= np.sqrt(1.0 - rho)
        z += np.sqrt(max(1.0 - rho + n_series * rho, 0.0)) * mean
    else:
        z *= np.sqrt(1.0 - rho)
    if rho > 0:
        z += np.sqrt(np.maximum(rho - u, 0.0))[:, None, :] * structured(1)
    if walk is not None:
        z += (np.sqrt(u) * sd)[:, None, :] * walk[None]
    z -= var[:, None, :] / 2.0
    np.clip(z, -30, 30, out=z)
    np.exp(z, out=z)
    z *= f[:, None, :] + 1.0
    z -= 1.0
    return np.maximum(z, 0.0, out=z)
