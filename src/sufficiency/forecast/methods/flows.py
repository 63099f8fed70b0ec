"""The flow model: next January's plans = this January's, aged, − ceased + new.

The DfE publishes, per LA, the stock of EHC plans at January and the flows of each
calendar year: requests for assessment, new plans (by age when the plan started) and
ceased plans (by age from 2024). The stock identity ties them together::

    S(y+1, a+1) = S(y, a) − C(y, a) + N(y, a+1)

where ``S`` is plans at January by single year of age, ``C`` plans ceased during calendar
year ``y`` and ``N`` new plans started during it. :func:`fit_flows` estimates, from the
published figures:

* the **new-plan rate**: new plans per resident aged 0–25 (or, where no population is
  given, per plan held at the January before), the mean of the fitted years; with
  requests published, split into requests per resident (or plan) × the share of requests
  that became a plan (conversion);
* the **age at start** of new plans (published shares, else the national shape);
* the **exit rate**: plans leaving per plan held, by single year of age. The total is
  what the identity implies (``S(y) + N(y) − S(y+1)``: ceased plans and moves between
  LAs together), its spread over ages the published ceased-by-age shares where given,
  else the national pattern (most plans cease at 18–20+). Every plan held at 25 ends;
  the other ages' rates are the shape times one scale, fitted to the implied exits of the
  fitted years on each year's own age structure (an ageing caseload loses more plans a
  year than a young one of the same size).

:func:`project_flows` runs the identity forward, with levers on request volume
(``requests_growth``: requests rise by this fraction a year) and on conversion
(``conversion``: the share of requests that become plans, reached by ``conversion_year``).
:func:`backtest_flows` scores it at rolling origins.

These work on the published frames (:class:`~sufficiency.sources.dfe_release.DfeRelease`);
:mod:`.flowmethod` makes the model a method of :func:`sufficiency.forecast_demand`
(``method="flows"``, and a candidate of ``auto``) on a flows table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ... import taxonomy
from ...errors import ForecastError
from .spec import MethodSpec

AGES = np.arange(26)
#: Fewest January stocks of history: two around at least one calendar year of flows.
MIN_POINTS_FLOWS = 2

#: Relative number of EHC plans held by single year of age 0–25, England (≈ January 2025:
#: rising from 4 to a plateau at 11–14, ≈6% fewer at 16 than 15, ≈13% fewer at 17, steep
#: fall from 19). Splits published age bands into single years where no finer age is given.
NATIONAL_AGE_PROFILE = np.array(
    [
        *(0.05, 0.15, 0.5, 1.2, 2.2, 3.1, 3.9, 4.5, 5.0, 5.4, 5.7),  # ages 0-10
        *(6.1, 6.2, 6.2, 6.2, 6.0, 5.6, 4.9, 3.6, 2.4),  # ages 11-19
        *(1.6, 1.2, 0.9, 0.7, 0.5, 0.35),  # ages 20-25
    ]
)
#: Relative new plans by age at start, England (new plans peak at 4–5 and 11; ≈3,500 start
#: at 16; few after 19). Used where the LA's age at start is not published.
NATIONAL_START_AGE = np.array(
    [
        *(0.2, 0.8, 3.0, 6.0, 10.0, 9.0, 6.5, 6.0, 5.5, 5.0, 5.0),  # ages 0-10
        *(6.0, 4.5, 4.0, 3.8, 3.5, 3.0, 1.2, 0.6, 0.4),  # ages 11-19
        *(0.2, 0.1, 0.05, 0.05, 0.02, 0.01),  # ages 20-25
    ]
)
#: Relative exit rate by age (per plan held), England: low through school, high at 16–19
#: and after 19 (plans cease as young people move to employment or higher education).
NATIONAL_EXIT_AGE = np.array(
    [
        *(1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5),  # ages 0-10
        *(0.6, 0.6, 0.6, 0.7, 1.0, 2.0, 3.0, 5.0, 8.0),  # ages 11-19
        *(8.0, 8.0, 8.0, 8.0, 8.0, 8.0),  # ages 20-25
    ]
)


@dataclass
class FlowFit:
    """Rates fitted from published flows.

    Attributes:
        base_year: January of the last stock fitted.
        stock: Plans at January of ``base_year`` by single year of age 0–25.
        new_rate: New plans a year per unit of the base (resident or plan held).
        per: ``"resident"`` or ``"plan"``: what ``new_rate`` is per.
        start_age: Share of new plans by age at start (sums to 1).
        exit_rate: Plans leaving per plan held, by age (age 25 leaves whatever).
        requests_rate: Requests a year per unit of the base (``None`` if not published).
        conversion: New plans per request (``None`` if requests are not published).
        requests_last: Requests in the last fitted calendar year (``None`` if absent).
        fitted_years: Calendar years of flows used.
    """

    base_year: int
    stock: np.ndarray
    new_rate: float
    per: str
    start_age: np.ndarray
    exit_rate: np.ndarray
    requests_rate: float | None
    conversion: float | None
    requests_last: float | None
    fitted_years: list[int] = field(default_factory=list)


def _by_single_age(frame: pd.DataFrame, year: int, weights: np.ndarray) -> np.ndarray | None:
    """Counts of ``year`` by single age 0–25, bands split by ``weights``; None if absent."""
    at = np.flatnonzero(frame["year"].to_numpy() == year)
    if not len(at):
        return None
    out = np.zeros(26)
    lows = frame["age_min"].to_numpy()[at].tolist()
    highs = frame["age_max"].to_numpy()[at].tolist()
    counts = frame["children"].to_numpy(dtype=float, na_value=np.nan)[at].tolist()
    for lo, hi, n in zip(lows, highs, counts, strict=True):
        w = weights[lo : hi + 1]
        out[lo : hi + 1] += (0.0 if np.isnan(n) else float(n)) * w / w.sum()
    return out


def _stock(totals: pd.Series, by_age: pd.DataFrame, year: int, profile: np.ndarray) -> np.ndarray:
    """Plans at January of ``year`` by single age: the published total, the nearest shape."""
    shape = None
    if len(by_age):
        years = sorted(by_age["year"].unique(), key=lambda y: (abs(y - year), -y))
        shape = _by_single_age(by_age, years[0], profile)
    if shape is None or shape.sum() <= 0:
        shape = profile.copy()
    return shape / shape.sum() * float(totals[year])


def population_total(population: pd.DataFrame | None) -> pd.Series | None:
    """Residents aged 0–25 by year: ``year, age, population`` summed over ages 0–25, or a
    frame without ``age`` taken as the 0–25 total already (``None`` without population)."""
    if population is None or not len(population):
        return None
    rows = population
    if "age" in rows.columns:
        rows = rows[rows["age"].between(0, 25)]
    return rows.groupby("year")["population"].sum().astype(float)


def fit_flows(
    caseload_total: pd.DataFrame,
    new_plans: pd.DataFrame,
    *,
    origin: int | None = None,
    caseload_by_age: pd.DataFrame | None = None,
    new_plans_by_age: pd.DataFrame | None = None,
    ceased_by_age: pd.DataFrame | None = None,
    requests: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    years: int = 3,
) -> FlowFit:
    """Fit the flow model from published stocks and flows (frames as :class:`DfeRelease`).

    Args:
        caseload_total: ``year, children``: plans at January.
        new_plans: ``year, children``: new plans in each calendar year.
        origin: Last January used (default the last published); flows of calendar years
            before it are used, so the fit never sees what it will be scored on.
        caseload_by_age: ``year, age_min, age_max, children`` (for the age shape).
        new_plans_by_age: ``year, age_min, age_max, children`` by age at start.
        ceased_by_age: ``year, age_min, age_max, children`` by age at ceasing.
        requests: ``year, requests``: requests for assessment in each calendar year.
        population: ``year, age, population`` (residents; or ``year, population``, the
            0–25 total); rates per plan held without.
        years: Most recent calendar years of flows averaged.

    Raises:
        ForecastError: If no calendar year has both stocks around it and its new plans.
    """
    totals = caseload_total.dropna().set_index("year")["children"].astype(float)
    base = int(totals.index.max()) if origin is None else int(origin)
    if base not in totals.index:
        raise ForecastError(f"no published plans at January {base}")
    new = new_plans.dropna().set_index("year")["children"].astype(float)
    usable = [y for y in sorted(new.index) if y < base and y in totals and y + 1 in totals]
    usable = usable[-years:]
    if not usable:
        raise ForecastError(
            "the flow model needs new plans for a calendar year with the January stocks "
            f"before and after it (published before {base})"
        )
    by_age = caseload_by_age if caseload_by_age is not None else pd.DataFrame()
    pop = population_total(population)
    if pop is not None and any(y not in pop.index or not pop[y] > 0 for y in usable):
        pop = None
    denom = {y: float(pop[y]) if pop is not None else float(totals[y]) for y in usable}
    new_rate = float(np.mean([new[y] / denom[y] for y in usable]))
    exits = {y: max(totals[y] + new[y] - totals[y + 1], 0.0) for y in usable}
    # age at start and exit shape: published where given (before the origin), else national
    start = NATIONAL_START_AGE.copy()
    if new_plans_by_age is not None and len(new_plans_by_age):
        ok = new_plans_by_age[new_plans_by_age["year"] < base]
        if len(ok):
            got = _by_single_age(ok, int(ok["year"].max()), NATIONAL_START_AGE)
            if got is not None and got.sum() > 0:
                start = got
    start = start / start.sum()
    stock = _stock(totals, by_age, base, NATIONAL_AGE_PROFILE)
    shape = NATIONAL_EXIT_AGE.copy()
    if ceased_by_age is not None and len(ceased_by_age):
        ok = ceased_by_age[ceased_by_age["year"] < base]
        if len(ok):
            y = int(ok["year"].max())
            ceased = _by_single_age(
                pd.DataFrame(
                    ok.groupby(["year", "age_min", "age_max"], as_index=False)["children"].sum()
                ),
                y,
                NATIONAL_EXIT_AGE,
            )
            held = _stock(totals, by_age, y, NATIONAL_AGE_PROFILE)
            if ceased is not None and ceased.sum() > 0:
                shape = np.where(held > 0, ceased / np.maximum(held, 1e-9), 0.0) + 1e-6
    # scale the shape (below 25, where every plan ends) to the implied exits of the fitted
    # years, each on its own age structure
    held_by_year = {y: _stock(totals, by_age, y, NATIONAL_AGE_PROFILE) for y in usable}
    below = sum(max(exits[y] - held_by_year[y][-1], 0.0) for y in usable)
    exposed = sum(float((shape[:-1] * held_by_year[y][:-1]).sum()) for y in usable)
    exit_rate = np.clip(shape * below / max(exposed, 1e-9), 0.0, 1.0)
    exit_rate[-1] = 1.0
    req_rate = conversion = req_last = None
    if requests is not None and len(requests):
        req = requests.dropna(subset=["requests"]).set_index("year")["requests"].astype(float)
        both = [y for y in usable if y in req.index and req[y] > 0]
        if both:
            req_rate = float(np.mean([req[y] / denom[y] for y in both]))
            conversion = float(np.mean([new[y] / req[y] for y in both]))
            req_last = float(req[both[-1]])
    return FlowFit(
        base_year=base,
        stock=stock,
        new_rate=new_rate,
        per="resident" if pop is not None else "plan",
        start_age=start,
        exit_rate=exit_rate,
        requests_rate=req_rate,
        conversion=conversion,
        requests_last=req_last,
        fitted_years=usable,
    )


def project_flows(
    fit: FlowFit,
    horizon: int,
    *,
    population: pd.DataFrame | None = None,
    requests_growth: float | None = None,
    requests_from_year: int | None = None,
    conversion: float | None = None,
    conversion_year: int | None = None,
) -> pd.DataFrame:
    """Project plans at January by the stock identity, with levers on requests.

    Without levers, new plans in calendar year ``y`` are ``new_rate × base(y)`` (residents
    aged 0–25, or plans held at the January before). The levers scale that flow: new plans
    are multiplied by ``requests(y) / fitted requests(y)`` and by ``conversion(y) /
    fitted conversion``, so conversion halved halves new plans, and requests 10% above
    what the fitted rate gives add 10%.

    Args:
        fit: From :func:`fit_flows`.
        horizon: Years after the base year.
        population: Residents by ``year, age`` (or ``year`` totals; needed when
            ``fit.per == "resident"``).
        requests_growth: Requests rise by this fraction a year (0.1 = "requests rise 10%
            a year"), from the last published year's requests, in calendar years from
            ``requests_from_year`` on; before it they follow the fitted rate.
        requests_from_year: First calendar year whose requests rise (default the base
            year: the first projected year of flows).
        conversion: Share of requests that become plans (0.6 = "falls to 60%"), reached
            in ``conversion_year`` (default the first projected year), linearly from
            the fitted share.
        conversion_year: Census year (January) whose new plans, those of the calendar
            year before, first convert at ``conversion``.

    Returns:
        ``year, age, age_band, children, new_plans, exits, requests`` by year and single
        year of age: plans at January, and the flows of the calendar year before it
        (new plans by age at start, exits by age held at the January before, requests
        spread as new plans are; NaN where requests are not modelled). Sums over ages
        are the yearly totals.

    Raises:
        ForecastError: If a lever needs requests that were not published, or the fit is
            per resident and the population does not cover the years.
    """
    levers = requests_growth is not None or conversion is not None
    if levers and (not fit.conversion or not fit.requests_rate or fit.requests_last is None):
        raise ForecastError("levers on requests need the published requests for assessment")
    pop = None
    if fit.per == "resident":
        pop = population_total(population)
        if pop is None:
            raise ForecastError("the flow model was fitted per resident: give the population")
    stock = fit.stock.copy()
    rows = []
    target_year = conversion_year or fit.base_year + 1
    from_year = fit.base_year if requests_from_year is None else int(requests_from_year)
    requests_before = fit.requests_last  # requests of the calendar year before
    for h in range(1, horizon + 1):
        year = fit.base_year + h
        flow_year = year - 1  # flows of the calendar year before this January
        base = float(stock.sum()) if pop is None else float(pop.get(flow_year, np.nan))
        if np.isnan(base):
            raise ForecastError(f"no population for {flow_year}")
        new_total = fit.new_rate * base
        requests = fit.requests_rate * base if fit.requests_rate is not None else np.nan
        if levers:
            assert fit.conversion and fit.requests_rate and requests_before is not None
            fitted_requests = requests
            if requests_growth is not None and flow_year >= from_year:
                requests = requests_before * (1.0 + requests_growth)
            c = fit.conversion
            if conversion is not None:
                span = max(target_year - fit.base_year, 1)
                c += (conversion - fit.conversion) * min((year - fit.base_year) / span, 1.0)
            new_total *= requests / max(fitted_requests, 1e-12) * c / fit.conversion
            requests_before = requests
        exits = stock * fit.exit_rate
        exits[-1] = stock[-1]  # every plan ends at 25
        aged = np.zeros(26)
        aged[1:] = (stock - exits)[:-1]
        stock = aged + new_total * fit.start_age
        rows.append(
            pd.DataFrame(
                {
                    "year": year,
                    "age": AGES,
                    "children": stock,
                    "new_plans": new_total * fit.start_age,
                    "exits": exits,
                    "requests": requests * fit.start_age,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["age_band"] = pd.Categorical(
        taxonomy.age_band_of(out["age"].to_numpy()), dtype=taxonomy.AGE_BAND_DTYPE
    )
    return out[["year", "age", "age_band", "children", "new_plans", "exits", "requests"]]


def backtest_flows(
    caseload_total: pd.DataFrame,
    new_plans: pd.DataFrame,
    origins: list[int],
    **fit_args: pd.DataFrame | None,
) -> pd.DataFrame:
    """Score the flow model on plans at January, refitted at each origin.

    Returns:
        ``origin, year, horizon, actual, forecast`` for every published January after
        each origin (origins with no usable flow before them are skipped).
    """
    totals = caseload_total.dropna().set_index("year")["children"]
    rows = []
    for origin in origins:
        later = [y for y in totals.index if y > origin]
        if origin not in totals.index or not later:
            continue
        try:
            fit = fit_flows(caseload_total, new_plans, origin=origin, **fit_args)  # type: ignore[arg-type]
        except ForecastError:
            continue
        population = fit_args.get("population")
        proj = project_flows(fit, max(later) - origin, population=population)
        by_year = proj.groupby("year")["children"].sum()
        for y in later:
            rows.append(
                {
                    "origin": origin,
                    "year": int(y),
                    "horizon": int(y - origin),
                    "actual": float(totals[y]),
                    "forecast": float(by_year[y]),
                }
            )
    return pd.DataFrame(rows, columns=["origin", "year", "horizon", "actual", "forecast"])


#: The flow model on the scenario's flows table (fitted per group of series).
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("flows", "flows", MIN_POINTS_FLOWS, False, False, "drift", None, True, auto_rank=6),
)
