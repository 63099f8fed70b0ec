"""The flow model: the stock identity, fitted rates, levers and the backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sufficiency.errors import ForecastError
from sufficiency.forecast.methods.flows import backtest_flows, fit_flows, project_flows


def _published() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # stock grows by new - exits: 1000 plans, 200 new a year, 10% leave
    stock, rows, new, req = 1000.0, [], [], []
    for year in range(2019, 2024):
        rows.append({"year": year, "children": stock})
        new.append({"year": year, "children": 200.0})
        req.append({"year": year, "requests": 400.0})
        stock = stock * 0.9 + 200.0
    return pd.DataFrame(rows), pd.DataFrame(new), pd.DataFrame(req)


def test_fit_recovers_the_rates_and_projection_keeps_the_identity() -> None:
    totals, new, requests = _published()
    fit = fit_flows(totals, new, requests=requests)
    assert fit.base_year == 2023 and fit.per == "plan" and fit.fitted_years == [2020, 2021, 2022]
    assert fit.conversion == pytest.approx(0.5) and fit.requests_last == 400
    proj = project_flows(fit, 3)
    year1 = proj[proj["year"] == 2024]
    s0 = totals.set_index("year")["children"][2023]
    # next January = this January - exits + new, exactly
    assert year1["children"].sum() == pytest.approx(
        s0 - year1["exits"].sum() + year1["new_plans"].sum()
    )
    # implied exits over the base-year stock are the fitted 10% (those who reach 25 included:
    # the fitted years had the same age shape)
    assert year1["exits"].sum() / s0 == pytest.approx(0.1)
    assert proj["age_band"].cat.ordered and proj["age_band"].cat.categories[0] == "0-4"


def test_levers_on_requests_and_conversion() -> None:
    totals, new, requests = _published()
    fit = fit_flows(totals, new, requests=requests)
    base = project_flows(fit, 3).groupby("year")["children"].sum()
    more = (
        project_flows(fit, 3, requests_growth=0.10)
        .groupby("year")[["children", "requests", "new_plans"]]
        .sum()
    )
    assert more.loc[2024, "requests"] == pytest.approx(440.0)  # requests rise 10% a year
    assert more.loc[2025, "requests"] == pytest.approx(484.0)
    assert more.loc[2024, "new_plans"] == pytest.approx(220.0)  # at the fitted 50% conversion
    fewer = project_flows(fit, 3, conversion=0.3).groupby("year")[["children", "new_plans"]].sum()
    flat = project_flows(fit, 3, requests_growth=0.0).groupby("year")["children"].sum()
    assert (fewer["children"] < base).all() and (more["children"] > flat).all()
    assert fewer.loc[2024, "new_plans"] == pytest.approx(
        fit.requests_rate * totals["children"].iloc[-1] * 0.3
    )
    no_requests = fit_flows(totals, new)
    with pytest.raises(ForecastError, match="requests for assessment"):
        project_flows(no_requests, 2, conversion=0.6)


def test_rates_per_resident_and_backtest_never_sees_the_future() -> None:
    totals, new, _ = _published()
    population = pd.DataFrame(
        [{"year": y, "age": a, "population": 1000.0} for y in range(2019, 2030) for a in range(26)]
    )
    fit = fit_flows(totals, new, population=population)
    assert fit.per == "resident" and fit.new_rate == pytest.approx(200.0 / 26000.0)
    with pytest.raises(ForecastError, match="give the population"):
        project_flows(fit, 2)
    assert project_flows(fit, 2, population=population)["new_plans"].sum() == pytest.approx(400.0)
    bt = backtest_flows(totals, new, [2020, 2021])
    assert set(bt["origin"]) == {2020, 2021} and bt["horizon"].max() == 3
    # a fit at origin 2021 uses flows of 2019-2020 only: changing 2021's flows changes nothing
    changed = new.assign(children=np.where(new["year"] >= 2021, 999.0, new["children"]))
    assert (
        fit_flows(totals, changed, origin=2021).new_rate
        == fit_flows(totals, new, origin=2021).new_rate
    )
    with pytest.raises(ForecastError, match="needs new plans"):
        fit_flows(totals, new[new["year"] > 2030])
