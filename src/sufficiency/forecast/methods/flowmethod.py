"""Flows as a method of forecast_demand: the flow model on a panel's series, at every origin.

The flow model (:mod:`.flows`) projects the stock of EHC plans by single year of age from
the flows table (requests, new plans by age at start, ceased plans by age). Here it becomes
the ``flows`` method of :func:`~sufficiency.forecast_demand`:

1. **Stock by age.** The history's plans at each January by single year of age, all needs
   together (single years where the history gives them; age bands split by the national
   single-year shape, :data:`.flows.NATIONAL_AGE_PROFILE`).
2. **Fit and project** at each origin with only what was known there: the January stocks
   up to the origin and the flows of the calendar years before it (new plans per resident
   aged 0–25 where a population is given, else per plan held; exits implied by the stock
   identity, spread by the published ceased-by-age shape or the national one).
3. **Split to the series.** A series covering ages ``A`` (one age band, one single age or
   every age) and, say, one need gets ``share × Σ_{a ∈ A} stock(a)``, where ``share`` is
   its mean share of the all-needs stock of those ages over its latest
   :data:`SHARE_YEARS` history years. Shares of the needs of one band add to one, so cells
   add up to the flow model's band totals; the forecast is then reconciled, and its
   intervals calibrated on its backtest errors, like any other method's.

Levers on requests and conversion (:class:`FlowLevers`) apply to the final projection
only: the backtest scores the model as fitted. The method is held to the population bound
only (like the cohort model, it moves children between bands as they age).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import taxonomy
from ...config.levers import Levers
from ...errors import ForecastError, Problem
from ..backtest import MIN_BACKTEST_POINTS, Backtest
from ..base import Fit, MethodUnavailableError, Settings
from ..bounds import BoundError, check
from ..panel import Panel
from .flows import NATIONAL_AGE_PROFILE, FlowFit, fit_flows, project_flows

log = logging.getLogger(__name__)

#: History years whose mean share of the all-needs stock of their ages a series keeps.
SHARE_YEARS = 3


@dataclass(frozen=True)
class FlowLevers:
    """Levers on the flow model (the scenario's ``levers.requests`` and ``levers.conversion``).

    Attributes:
        requests_growth_per_year: Requests rise by this fraction a year (``None``: fitted).
        requests_from_year: First calendar year whose requests rise (``None``: base year).
        conversion_share: New plans per request (``None``: fitted).
        conversion_by_year: Calendar year of flows from which the share holds in full
            (``None``: the base year).
    """

    requests_growth_per_year: float | None = None
    requests_from_year: int | None = None
    conversion_share: float | None = None
    conversion_by_year: int | None = None

    @property
    def active(self) -> bool:
        """Whether any lever is set."""
        return self.requests_growth_per_year is not None or self.conversion_share is not None

    @property
    def paths(self) -> list[str]:
        """YAML paths of the levers set, for messages."""
        return [
            p
            for p, v in (
                ("levers.requests", self.requests_growth_per_year),
                ("levers.conversion", self.conversion_share),
            )
            if v is not None
        ]

    @classmethod
    def from_levers(cls, levers: Levers) -> FlowLevers | None:
        """The flow levers of a scenario's ``levers`` section (``None`` if none is set)."""
        req, conv = levers.requests, levers.conversion
        if req is None and conv is None:
            return None
        return cls(
            requests_growth_per_year=None if req is None else req.requests_growth_per_year,
            requests_from_year=None if req is None else req.from_year,
            conversion_share=None if conv is None else conv.conversion_share,
            conversion_by_year=None if conv is None else conv.by_year,
        )


def _by_age(rows: pd.DataFrame) -> pd.DataFrame:
    """``year, age_min, age_max, children`` of the rows given by age or band."""
    out = rows[rows["age"].notna() | rows["age_band"].notna()]
    age = out["age"].astype("float").to_numpy()
    bands = out["age_band"].astype(str).to_numpy()
    lo = np.array(
        [int(a) if a == a else taxonomy.band_ages(b)[0] for a, b in zip(age, bands, strict=True)]
    )
    hi = np.array(
        [int(a) if a == a else taxonomy.band_ages(b)[1] for a, b in zip(age, bands, strict=True)]
    )
    return pd.DataFrame(
        {
            "year": out["year"].to_numpy(dtype=int),
            "age_min": lo.astype(int),
            "age_max": hi.astype(int),
            "children": out["children"].to_numpy(dtype=float),
        }
    )


def flow_frames(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The checked flows table (:func:`sufficiency.data.flows.read_flows`) as the frames
    :func:`.flows.fit_flows` takes: ``new_plans``, ``new_plans_by_age``,
    ``ceased_by_age`` and ``requests``.

    A year's total is its all-ages row, or the sum of its rows by age where it has none.
    """
    out: dict[str, pd.DataFrame] = {}
    for measure, name in (("new_plans", "new_plans"), ("requests", "requests")):
        rows = table[table["measure"] == measure]
        whole = rows["age"].isna() & rows["age_band"].isna()
        totals = rows[whole].groupby("year")["children"].sum()
        parts = rows[~whole].groupby("year")["children"].sum()
        both = totals.combine_first(parts).sort_index()
        column = "children" if name == "new_plans" else "requests"
        out[name] = pd.DataFrame({"year": both.index.astype(int), column: both.to_numpy(float)})
    out["new_plans_by_age"] = _by_age(table[table["measure"] == "new_plans"])
    out["ceased_by_age"] = _by_age(table[table["measure"] == "ceased_plans"])
    return out


def stock_by_age(history: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """``(26, n)`` plans at each January of ``years`` by single year of age, all needs.

    Rows with a single ``age`` count at that age; rows with only an ``age_band`` (or
    neither: all ages) are spread over their ages by the national single-year shape.
    """
    return stock_of_rows(*stock_rows(history, years), len(years))


def stock_rows(
    history: pd.DataFrame, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows of ``history`` in ``years`` as :func:`stock_of_rows` reads them: children,
    position of the year in ``years``, single age (-1: none) and age band text."""
    index = {int(y): j for j, y in enumerate(years)}
    rows = history[history["year"].astype(int).isin(list(index))]
    n = pd.to_numeric(rows["children"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    col = rows["year"].astype(int).map(index).to_numpy(dtype=int)
    if "age" in rows.columns:
        age = pd.to_numeric(rows["age"], errors="coerce").fillna(-1).to_numpy().astype(int)
    else:
        age = np.full(len(rows), -1)
    bands = (
        rows["age_band"].astype(str).to_numpy()
        if "age_band" in rows.columns
        else np.full(len(rows), "")
    )
    return n, col, age, bands


def stock_of_rows(
    n: np.ndarray, col: np.ndarray, age: np.ndarray, bands: np.ndarray, n_years: int
) -> np.ndarray:
    """``(26, n_years)``: :func:`stock_by_age` of rows given as :func:`stock_rows` gives
    them (any subset of them, in their order)."""
    out = np.zeros((len(taxonomy.AGES), n_years))
    single = (age >= taxonomy.MIN_AGE) & (age <= taxonomy.MAX_AGE)
    np.add.at(out, (age[single], col[single]), n[single])
    for band in np.unique(bands[~single]):
        these = ~single & (bands == band)
        lo, hi = (
            taxonomy.band_ages(str(band))
            if str(band) in taxonomy.AGE_BAND_LABELS
            else (taxonomy.MIN_AGE, taxonomy.MAX_AGE)
        )
        w = NATIONAL_AGE_PROFILE[lo : hi + 1] / NATIONAL_AGE_PROFILE[lo : hi + 1].sum()
        per_year = np.bincount(col[these], weights=n[these], minlength=n_years)
        out[lo : hi + 1] += w[:, None] * per_year[None, :]
    return out


class FlowModel:
    """The flow model's forecasts of every series of a panel, at each origin and at the end.

    Args:
        panel: The series (cells, or every node of a hierarchy).
        stock: ``(26, n)`` plans by single year of age over the panel's years
            (:func:`stock_by_age`).
        table: The checked flows table.
        settings: Method settings (the population bound).
        levers: Levers applied to the final projection.
    """

    def __init__(
        self,
        panel: Panel,
        stock: np.ndarray,
        table: pd.DataFrame,
        settings: Settings,
        levers: FlowLevers | None = None,
    ) -> None:
        self.panel = panel
        self.stock = stock
        self.settings = settings
        self.levers = levers if levers is not None and levers.active else None
        self.frames = flow_frames(table)
        years = panel.years
        self.totals = pd.DataFrame({"year": years.astype(int), "children": stock.sum(0)})
        ages = np.repeat(taxonomy.AGES, len(years))
        self.by_age = pd.DataFrame(
            {
                "year": np.tile(years.astype(int), len(taxonomy.AGES)),
                "age_min": ages,
                "age_max": ages,
                "children": stock.reshape(-1),
            }
        )
        total = panel.pop_tables.get("*")
        all_years = np.concatenate([years, panel.future_years]).astype(int)
        self.population = (
            None
            if total is None or not np.all(np.isfinite(total[: len(years)]))
            else pd.DataFrame({"year": all_years, "population": total})
        )
        self.weights = panel.cohort_ages.astype(float)  # (S, 26) ages each series covers
        self._final: tuple[np.ndarray, np.ndarray, dict[str, float]] | str | None = None

    def fit(self, origin: int) -> FlowFit:
        """The flow model fitted with the history before year index ``origin``.

        Raises:
            ForecastError: If no calendar year of new plans before it has January stocks on
                both sides.
        """
        last = int(self.panel.years[origin - 1])
        return fit_flows(
            self.totals[self.totals["year"] <= last],
            self.frames["new_plans"],
            origin=last,
            caseload_by_age=self.by_age[self.by_age["year"] <= last],
            new_plans_by_age=self.frames["new_plans_by_age"],
            ceased_by_age=self.frames["ceased_by_age"],
            requests=self.frames["requests"],
            population=self.population,
        )

    def _shares(self, origin: int) -> np.ndarray:
        """``(S,)`` each series' mean share of the all-needs stock of its ages."""
        denom = self.weights @ self.stock[:, :origin]
        with np.errstate(all="ignore"):
            ratio = np.where(denom > 0, self.panel.values[:, :origin] / denom, np.nan)
        out = np.zeros(self.panel.n_series)
        for i in range(self.panel.n_series):
            seen = ratio[i][np.isfinite(ratio[i])][-SHARE_YEARS:]
            out[i] = float(seen.mean()) if len(seen) else 0.0
        return out

    def _project(
        self, origin: int, horizon: int, levers: FlowLevers | None
    ) -> tuple[FlowFit, np.ndarray]:
        """The fit at ``origin`` and its projection ``(S, horizon)`` split to the series.

        Raises:
            ForecastError: If the model cannot be fitted there, or a lever needs requests
                the flows table does not give (naming the lever).
        """
        fit = self.fit(origin)
        lv = levers or FlowLevers()
        conversion_year = None if lv.conversion_by_year is None else lv.conversion_by_year + 1
        try:
            proj = project_flows(
                fit,
                horizon,
                population=self.population,
                requests_growth=lv.requests_growth_per_year,
                requests_from_year=lv.requests_from_year,
                conversion=lv.conversion_share,
                conversion_year=conversion_year,
            )
        except ForecastError as exc:
            if not lv.active or fit.requests_rate:
                raise
            raise ForecastError(
                "the flow levers cannot be applied",
                [Problem(p, f"{exc.summary}: add requests rows to data.flows") for p in lv.paths],
            ) from None
        ages = proj["children"].to_numpy(dtype=float).reshape(horizon, len(taxonomy.AGES)).T
        return fit, self._shares(origin)[:, None] * (self.weights @ ages)

    def forecast(self, origin: int, horizon: int) -> np.ndarray:
        """``(S, horizon)`` forecasts from the history before year index ``origin`` (no
        levers: what the backtest scores).

        Raises:
            ForecastError: If the model cannot be fitted there.
        """
        return self._project(origin, horizon, None)[1]

    def uncovered(self, origins: np.ndarray) -> list[int]:
        """Census years of the last history before each origin the model cannot be fitted at."""
        out = []
        for o in origins:
            try:
                self.fit(int(o))
            except ForecastError:
                out.append(int(self.panel.years[int(o) - 1]))
        return out

    def add_to_backtest(self, bt: Backtest) -> None:
        """Score the model at the backtest's origins, its fallback (``drift``) standing in
        where it cannot be fitted or breaks the population bound, as for every method."""
        panel, settings = self.panel, self.settings
        n = len(panel.years)
        n_series, n_orig, horizon = bt.actual.shape
        raw = np.full((n_series, n_orig, horizon), np.nan)
        rejected = np.zeros((n_series, n_orig), dtype=bool)
        for j, o in enumerate(bt.origins):
            h = min(horizon, n - int(o))
            try:
                f = self.forecast(int(o), h)
            except ForecastError:
                continue
            years = panel.years[0] + int(o) + np.arange(h)
            for i in range(n_series):
                if int(o) - int(panel.start[i]) < MIN_BACKTEST_POINTS:
                    continue
                data = panel.data(i, int(o), h, settings.pool_below)
                if not np.any(data.y > 0):
                    raw[i, j, :h] = 0.0
                    continue
                try:
                    check(f[i], data, settings, years, False)
                except BoundError:
                    rejected[i, j] = True
                    continue
                raw[i, j, :h] = f[i]
        fallback = bt.forecasts["drift"]
        missing = ~np.isfinite(raw[:, :, 0])
        raw[missing] = fallback[missing]
        bt.methods.append("flows")
        bt.forecasts["flows"] = raw
        bt.fell_back["flows"] = missing & np.isfinite(raw[:, :, 0])
        bt.rejected["flows"] = rejected

    def series(self, i: int) -> Fit:
        """The final forecast of series ``i`` (levers applied).

        Raises:
            MethodUnavailableError: If the model cannot be fitted on the whole history.
            ForecastError: If a lever cannot act (naming it).
        """
        if self._final is None:
            n = len(self.panel.years)
            try:
                fit, mean = self._project(n, len(self.panel.future_years), self.levers)
            except ForecastError as exc:
                if exc.problems:  # a lever that cannot act is the user's to fix
                    raise
                self._final = f"flows: {exc.summary}"
            else:
                params = {
                    "new_plans_per_" + fit.per: fit.new_rate,
                    "exit_rate": float(
                        (fit.exit_rate * fit.stock).sum() / max(fit.stock.sum(), 1e-9)
                    ),
                }
                if fit.conversion is not None:
                    params["conversion"] = fit.conversion
                self._final = (np.maximum(mean, 0.0), self._shares(n), params)
        if isinstance(self._final, str):
            raise MethodUnavailableError(self._final)
        mean, shares, params = self._final
        return Fit("flows", mean[i], {**params, "share_of_ages": float(shares[i])})


def score_flows(
    model: FlowModel,
    bt: Backtest,
    cands: list[str],
    method: str,
    candidates: Sequence[str] | None,
) -> list[str]:
    """Add the flow model to the backtest where it can run; ``auto``'s candidates after.

    Under ``auto`` it stays a candidate only where the flows table lets it be fitted at
    every backtest origin (else its fallback's errors would be scored as its own): left
    out quietly when it was a default candidate, an error naming ``forecast.candidates``
    when listed there. Asked for by name, it must be fitted on the whole history (an error
    naming ``forecast.method``); its fallback stands in at origins it cannot reach.

    Raises:
        ForecastError: As above.
    """
    n = len(model.panel.years)
    final = model.uncovered(np.array([n]))
    if method == "flows":
        if final:
            raise ForecastError(
                "flows cannot be used on this data",
                [
                    Problem(
                        "forecast.method",
                        f"flows needs new plans of a calendar year before {final[0]} with the "
                        "January stocks on both sides in the history",
                    )
                ],
            )
        model.add_to_backtest(bt)
        return cands
    missing = final + model.uncovered(bt.origins)
    if not missing and len(bt.origins):
        model.add_to_backtest(bt)
        return cands
    why = (
        "the history is too short for a backtest"
        if not len(bt.origins)
        else "no new plans before January " + ", ".join(map(str, sorted(set(missing))))
    )
    if candidates is not None and "flows" in candidates:
        raise ForecastError(
            "candidate methods cannot be used on this data",
            [
                Problem(
                    "forecast.candidates",
                    f"flows: the flows table does not cover the backtest ({why})",
                )
            ],
        )
    log.info("forecast: flows is not a candidate: %s", why)
    return [m for m in cands if m != "flows"]
