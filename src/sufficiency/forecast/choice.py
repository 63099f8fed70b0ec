"""Which method each series uses: what the data allows, what the backtest rules out, and
the one-standard-error choice.

After the backtest (:mod:`.backtest`) has scored every candidate at every origin, a
candidate is *available* if the data has what it needs (population, single ages, flows:
its :class:`~.methods.spec.MethodSpec`), *eligible* on a series if that series is long
enough (and has a parent or a cohort group where needed), and *excluded* where its
backtest broke a physical bound or exploded. ``auto`` keeps the first candidate, in order
of preference, whose error is within one standard error of the lowest (:func:`choose`),
errors weighted towards the latest origins (:data:`RECENCY`: the regime that will
continue); where another candidate is also within one standard error (no single method
clearly best), the mean of that choice and the best of the others on the latest origins
(:data:`PARTNER_RECENCY`; ``first+second``).
Its own honest record (:func:`auto_forecasts`) re-runs the choice at each origin with only
the errors known by then, so the errors used to calibrate intervals include the cost of
choosing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ForecastError, Problem
from .backtest import Backtest, scores
from .methods import METHODS
from .panel import Panel

#: Joins the names of two methods whose forecasts are averaged.
COMBINE = "+"
#: Weight of a backtest origin's errors per origin before the latest, in ``auto``'s choice.
RECENCY = 0.75
#: The same when choosing the method averaged with ``auto``'s choice where no single one
#: is clearly best: halved each origin back, so the latest origin counts as much as all
#: earlier ones together (``1 = ½ + ¼ + …``). Whether one method is clearly best is judged
#: on the whole backtest (a method right for a steady process keeps winning); which other
#: joins it, on the regime that will continue. With :data:`RECENCY`, the errors of the
#: reforms' ramp (origins 2015–2018, each scored at more horizons) held 60% of the weight of
#: a backtest from January 2020 (44% now), and 16–19 forecast from 2019 and 2020 was
#: ``national+drift`` at a quarter of its points.
PARTNER_RECENCY = 0.5
#: ``auto`` excludes a candidate whose backtest mean absolute error on a series is more than
#: this many times naive's (errors that explode).
EXPLODE = 5.0


def available_methods(panel: Panel, has_flows: bool = False) -> set[str]:
    """Methods whose needs the data meets (population, single ages, a flows table)."""
    has_pop = panel.exposure is not None
    has_ages = panel.cohort_counts is not None and has_pop
    return {
        m
        for m, spec in METHODS.items()
        if (has_pop or not spec.needs_population)
        and (has_ages or not spec.needs_ages)
        and (has_flows or not spec.needs_flows)
    }


def eligible_candidates(panel: Panel, cands: Sequence[str]) -> np.ndarray:
    """``(S, C)``: whether each candidate may be used on each series."""
    n = len(panel.years)
    out = np.zeros((panel.n_series, len(cands)), dtype=bool)
    for i in range(panel.n_series):
        for k, m in enumerate(cands):
            ok = n - int(panel.start[i]) >= METHODS[m].min_points
            if m == "share":
                ok = ok and panel.parent[i] >= 0
            if m == "cohort":
                ok = ok and panel.cohort_group[i] >= 0
            out[i, k] = ok
    return out


def why_unavailable(method: str) -> str:
    """What the data lacks for ``method`` (its spec's needs), for a message."""
    spec = METHODS[method]
    if spec.needs_flows:
        return "needs a flows table (data.flows; forecast_demand(flows=...))"
    if spec.needs_ages:
        return "needs single-year-of-age history and a population"
    return "needs a population"


def check_requested(panel: Panel, method: str, available: set[str]) -> None:
    """A method asked for by name must be usable on at least one series.

    Raises:
        ForecastError: Naming ``forecast.method`` if it can be used on none.
    """
    spec = METHODS[method]
    if method not in available:
        raise ForecastError(
            f"{method} cannot be used on this data",
            [Problem("forecast.method", f"{method} {why_unavailable(method)}")],
        )
    points = len(panel.years) - panel.start
    if int(points.max()) < spec.min_points:
        raise ForecastError(
            f"{method} cannot be used on this history",
            [
                Problem(
                    "forecast.method",
                    f"{method} needs at least {spec.min_points} history years; the longest "
                    f"series has {int(points.max())} (choose another method or 'auto')",
                )
            ],
        )


def _mae(forecasts: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """``(S,)`` mean absolute backtest error (NaN where nothing was scored)."""
    err = np.abs(forecasts - actual).reshape(len(actual), -1)
    ok = np.isfinite(err)
    n = ok.sum(1)
    return np.where(n > 0, np.where(ok, err, 0.0).sum(1) / np.maximum(n, 1), np.nan)


def exclude(bt: Backtest, cands: Sequence[str], eligible: np.ndarray) -> list[list[str]]:
    """Make ineligible, per series, candidates whose backtest broke a bound or exploded.

    Returns:
        Per series, ``"method (why)"`` for each candidate excluded.
    """
    out: list[list[str]] = [[] for _ in range(eligible.shape[0])]
    naive_mae = _mae(bt.forecasts["naive"], bt.actual)
    for k, m in enumerate(cands):
        broke = bt.rejected.get(m)
        mae = _mae(bt.forecasts[m], bt.actual)
        for i in np.flatnonzero(eligible[:, k]):
            if broke is not None and broke[i].any():
                years = bt.origins[broke[i]]
                out[i].append(f"{m} (backtest broke a bound at {int(years.size)} origin(s))")
                eligible[i, k] = False
            elif np.isfinite(mae[i]) and mae[i] > EXPLODE * max(float(naive_mae[i]), 1.0):
                out[i].append(f"{m} (backtest errors {mae[i] / max(naive_mae[i], 1):.0f}x naive's)")
                eligible[i, k] = False
    return out


def origin_weights(n_orig: int, horizon: int, recency: float = RECENCY) -> np.ndarray:
    """``(O·H,)`` weight of each backtest error: ``recency`` per origin before the latest
    (the regime that will continue counts most)."""
    w = recency ** np.arange(n_orig - 1, -1, -1, dtype=float)
    return np.repeat(w, horizon)


def _weighted(err: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """``(C, S)`` weighted mean of ``err`` ``(C, S, E)``, variance and effective count."""
    w = np.ones(err.shape[2]) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(err)
    wk = np.where(ok, w[None, None, :], 0.0)
    sw = wk.sum(axis=2)
    sw2 = (wk * wk).sum(axis=2)
    with np.errstate(all="ignore"):
        mean = np.where(sw > 0, np.where(ok, err * wk, 0.0).sum(axis=2) / sw, np.inf)
        dev = np.where(ok, err - mean[:, :, None], 0.0)
        var = np.where(sw > 0, (wk * dev * dev).sum(axis=2) / sw, 0.0)
        n_eff = np.where(sw2 > 0, sw * sw / sw2, 0.0)
        var = np.where(n_eff > 1, var * n_eff / np.maximum(n_eff - 1, 1e-9), 0.0)
    return mean, var, n_eff


def _pick(
    err: np.ndarray,
    usable: np.ndarray,
    weights: np.ndarray | None = None,
    recent: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one-standard-error choice among candidates, per series, and its partner.

    Args:
        err: ``(C, S, E)`` absolute errors of each candidate (NaN: not scored).
        usable: ``(C, S)`` whether a candidate may be chosen.
        weights: ``(E,)`` weight of each error (default equal).
        recent: ``(E,)`` weight of each error when choosing the partner (default
            ``weights``).

    Returns:
        ``(S,)`` index of the choice (-1: no usable candidate has errors), ``(S,)`` index of
        the candidate averaged with it where no single one is clearly best (-1: none), and
        ``(C, S)`` weighted mean errors (inf where not scored or not usable).
    """
    mean, var, n_eff = _weighted(err, weights)
    mean = np.where(usable, mean, np.inf)
    best = np.argmin(mean, axis=0)
    cols = np.arange(err.shape[1])
    best_mean = mean[best, cols]
    se = np.sqrt(np.maximum(var[best, cols], 0.0) / np.maximum(n_eff[best, cols], 1))
    within = mean <= (best_mean + se)[None, :]
    choice = np.where(np.isfinite(best_mean), np.argmax(within, axis=0), -1)
    # no single method clearly best (another within one standard error): the choice is
    # averaged with the best of the others on the latest origins (``recent``)
    unclear = (within.sum(axis=0) > 1) & np.isfinite(best_mean)
    latest = mean if recent is None else np.where(usable, _weighted(err, recent)[0], np.inf)
    others = latest.copy()
    others[np.maximum(choice, 0), cols] = np.inf
    partner = np.where(unclear, np.argmin(others, axis=0), -1)
    return choice, partner, mean


def choose(
    bt: Backtest, panel: Panel, candidates: Sequence[str], eligible: np.ndarray
) -> tuple[list[list[str]], dict[str, dict[str, np.ndarray]]]:
    """Choose each series' method: the one-standard-error rule over the backtest.

    The candidate with the lowest mean absolute (scaled) error is found; the choice is
    the first candidate, in ``candidates`` order (of preference), whose error is within
    one standard error of that lowest one. With a dozen noisy backtest errors, a more
    elaborate method must win clearly to be preferred (Hastie, Tibshirani & Friedman's
    rule for cross-validation). Without any backtest error, the first eligible candidate.

    Args:
        bt: The backtest.
        panel: The series.
        candidates: Methods to choose from, in order of preference.
        eligible: ``(S, len(candidates))`` whether a candidate may be used on a series.

    Returns:
        Per series, the eligible candidates, the choice first and then by backtest
        error; and per method, its scores (``mae``, ``mase``, ``mape``).
    """
    table = {m: scores(bt, panel, bt.forecasts[m]) for m in bt.methods}
    n_series = panel.n_series
    err = np.stack([np.abs(bt.forecasts[m] - bt.actual).reshape(n_series, -1) for m in candidates])
    n_orig, horizon = bt.actual.shape[1:]
    choice, partner, mean = _pick(
        err,
        eligible.T,
        origin_weights(n_orig, horizon),
        origin_weights(n_orig, horizon, PARTNER_RECENCY),
    )
    ranking: list[list[str]] = []
    for i in range(n_series):
        ok = [k for k in range(len(candidates)) if eligible[i, k]]
        ranked = sorted(ok, key=lambda k: (mean[k, i], k))
        if choice[i] >= 0:
            ranked.remove(int(choice[i]))
            ranked.insert(0, int(choice[i]))
        names = [candidates[k] for k in ranked]
        if partner[i] >= 0:
            names.insert(0, combined(candidates[int(choice[i])], candidates[int(partner[i])]))
        ranking.append(names)
    return ranking, table


def combined(first: str, second: str) -> str:
    """Name of the mean of two methods' forecasts (``first+second``)."""
    return f"{first}{COMBINE}{second}"


def auto_forecasts(
    bt: Backtest, candidates: Sequence[str], eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What ``auto`` would have forecast at each origin, choosing with only past errors.

    Returns:
        ``(S, O, H)`` forecasts and ``(S, O)`` index (into ``candidates``) of the choice.
    """
    n_series, n_orig, horizon = bt.actual.shape
    out = np.full((n_series, n_orig, horizon), np.nan)
    picked = np.full((n_series, n_orig), -1, dtype=int)
    if n_orig == 0:
        return out, picked
    # target year index of each (origin, horizon) entry
    target = bt.origins[:, None] + np.arange(horizon)[None, :]
    stack = np.stack([bt.forecasts[m] for m in candidates])  # (C, S, O, H)
    err = np.abs(stack - bt.actual[None])
    cols = np.arange(n_series)
    weights = origin_weights(n_orig, horizon)
    recent = origin_weights(n_orig, horizon, PARTNER_RECENCY)
    for j, o in enumerate(bt.origins):
        seen = target < o  # entries whose outcome was known at origin o
        e = np.where(seen[None, None], err, np.nan).reshape(len(candidates), n_series, -1)
        usable = eligible.T & np.isfinite(stack[:, :, j, 0])  # (C, S)
        choice, partner, _ = _pick(e, usable, weights, recent)
        # no errors known yet: the first usable candidate (order of preference)
        default = np.argmax(usable, axis=0)
        best = np.where(choice >= 0, choice, default)
        has = usable.any(axis=0)
        picked[has, j] = best[has]
        out[cols[has], j] = stack[best[has], cols[has], j]
        two = has & (partner >= 0)
        out[cols[two], j] = (stack[best[two], cols[two], j] + stack[partner[two], cols[two], j]) / 2
    return out, picked
