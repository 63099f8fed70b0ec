"""The final fit of each series: its chosen method, down the ranking when a fit fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ForecastError, Problem
from . import bounds
from .backtest import FIT_ERRORS
from .base import Fit, MethodUnavailableError, SeriesData, Settings, captured
from .choice import COMBINE
from .methods import METHODS, fallback_chain, fit_series
from .methods.cohort import fit_cohort, project_cohort
from .methods.flowmethod import FlowModel
from .panel import Panel


@dataclass
class FinalFit:
    """The forecast of one series and how it was reached.

    Attributes:
        fit: The fit used.
        reasons: Why methods ranked above it were not used.
        warnings: Warnings captured in every attempt.
        rejected: Methods whose projection broke a bound, with the reason.
    """

    fit: Fit
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


class CohortCache:
    """Cohort projections of each group over the full history, computed once."""

    def __init__(self, panel: Panel, horizon: int) -> None:
        self.panel = panel
        self.horizon = horizon
        self._done: dict[int, tuple[np.ndarray, dict[str, float], list[str]] | str] = {}

    def series(self, i: int) -> Fit:
        """Cohort forecast of series ``i`` (the sum of its ages).

        Raises:
            MethodUnavailableError: Without single-age history, or if the group cannot be fitted.
        """
        p = self.panel
        g = int(p.cohort_group[i])
        if p.cohort_counts is None or p.cohort_population is None or g < 0:
            raise MethodUnavailableError("cohort needs single-year-of-age history and population")
        if g not in self._done:
            self._done[g] = self._fit(g)
        done = self._done[g]
        if isinstance(done, str):
            raise MethodUnavailableError(done)
        proj, params, warns = done
        return Fit("cohort", proj[p.cohort_ages[i]].sum(0), dict(params), list(warns))

    def _fit(self, g: int) -> tuple[np.ndarray, dict[str, float], list[str]] | str:
        p = self.panel
        assert p.cohort_counts is not None and p.cohort_population is not None
        members = np.flatnonzero(p.cohort_group == g)
        first = int(p.start[members].max()) if len(members) else 0
        n = len(p.years)
        try:
            with captured() as warns:
                fit = fit_cohort(p.cohort_counts[g][:, first:], p.cohort_population[:, first:n])
                proj = project_cohort(
                    fit, p.cohort_counts[g][:, n - 1], p.cohort_population[:, n : n + self.horizon]
                )
        except FIT_ERRORS as exc:
            return f"cohort: {exc}"
        cont = np.asarray(fit["continuation"], dtype=float)[1:]
        params = {
            "growth_per_year": float(np.expm1(float(np.asarray(fit["growth"])))),
            "mean_continuation": float(cont.mean()),
        }
        return proj, params, list(warns)


def _flows(flows: FlowModel | None, i: int) -> Fit:
    if flows is None:
        raise MethodUnavailableError("flows needs a flows table")
    return flows.series(i)


def _one(
    panel: Panel,
    m: str,
    i: int,
    data: SeriesData,
    settings: Settings,
    cohort: CohortCache,
    flows: FlowModel | None,
) -> Fit:
    """Series ``i`` fitted with method ``m``, held to its bounds.

    Raises:
        bounds.BoundError, MethodUnavailableError, …: As :func:`.methods.fit_series`.
    """
    if m in ("cohort", "flows"):
        fit = cohort.series(i) if m == "cohort" else _flows(flows, i)
        bounds.check(fit.mean, data, settings, panel.future_years, growth=False)
        return fit
    if len(data.y) < METHODS[m].min_points:
        raise MethodUnavailableError(
            f"needs at least {METHODS[m].min_points} points, has {len(data.y)}"
        )
    return fit_series(m, data, len(panel.future_years), settings)


def final_fit(
    panel: Panel,
    i: int,
    ranking: Sequence[str],
    settings: Settings,
    cohort: CohortCache,
    flows: FlowModel | None = None,
) -> FinalFit | None:
    """Fit series ``i`` with the first method of ``ranking`` that works and stays in bounds.

    The cohort and flow models are fitted per group of series (``cohort``, ``flows``) and
    held to the population bound only.

    When every method fails or breaks a bound, the last value (``naive``) held within the
    bounds stands in, and the reasons say so (``None`` only without any history).
    """
    n = len(panel.years)
    horizon = len(panel.future_years)
    data = panel.data(i, n, horizon, settings.pool_below)
    out = FinalFit(Fit("zero", np.zeros(horizon)))
    if not np.any(data.y > 0):
        out.reasons.append("no children in history: projected as zero")
        return out
    for m in ranking:
        try:
            parts = [_one(panel, p, i, data, settings, cohort, flows) for p in m.split(COMBINE)]
            fit = parts[0]
            if len(parts) > 1:  # auto's mean of two methods (see choice.choose)
                fit = Fit(
                    m,
                    np.mean([p.mean for p in parts], axis=0),
                    {k: v for p in parts for k, v in p.params.items()},
                    [w for p in parts for w in p.warnings],
                )
        except bounds.BoundError as exc:
            out.reasons.append(f"{m}: rejected, {exc}")
            out.rejected.append(f"{m} {exc}")
            continue
        except FIT_ERRORS as exc:
            out.reasons.append(f"{m}: {exc}")
            continue
        out.fit = fit
        out.warnings += [f"{m}: {w}" for w in fit.warnings]
        return out
    if len(data.y) == 0:
        return None
    last = np.full(horizon, float(data.y[-1]))
    out.fit = Fit("naive", bounds.clip(last, data, settings), {"clipped_to_bounds": 1.0})
    out.reasons.append("naive: last value held within the bounds (no method could be used)")
    return out


def final_fits(
    panel: Panel,
    ranking: list[list[str]],
    available: set[str],
    settings: Settings,
    horizon: int,
    flows: FlowModel | None = None,
) -> list[FinalFit]:
    """Fit every series with its ranking, then its top method's fallback chain."""
    cohort = CohortCache(panel, horizon)
    fits: list[FinalFit] = []
    for i in range(panel.n_series):
        order = list(ranking[i])
        tail = fallback_chain(order[0].split(COMBINE)[0]) if order else ["drift", "naive"]
        order += [m for m in tail if m not in order and m in available]
        done = final_fit(panel, i, order, settings, cohort, flows)
        if done is None:
            raise ForecastError("no method could forecast a series", [Problem(panel.label(i), "")])
        fits.append(done)
    return fits
