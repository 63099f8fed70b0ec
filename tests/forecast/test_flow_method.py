"""The flow model as a method of forecast_demand: the flows table, auto, levers, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import sufficiency
from sufficiency import forecast_demand
from sufficiency.data.flows import read_flows
from sufficiency.errors import DataError, ForecastError, ScenarioError
from sufficiency.forecast.methods.flowmethod import FlowLevers
from sufficiency.forecast.methods.flows import (
    NATIONAL_AGE_PROFILE,
    NATIONAL_EXIT_AGE,
    NATIONAL_START_AGE,
    fit_flows,
    project_flows,
)

NEEDS = {"ASD": 0.4, "SEMH": 0.35, "SLCN": 0.25}
RESIDENTS = 4000.0  # per single year of age, every year
NEW_PER_RESIDENT = 400.0 / (26 * RESIDENTS)


def flow_process(
    years: range = range(2012, 2026), *, noise: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """History, flows table and population of a borough whose plans follow the flow model:
    a constant rate of new plans per resident (national ages at start), national exits,
    from a small stock still converging to its steady state (growth slowing every year).
    With ``noise``, new plans are Poisson, exits binomial and each age's plans split over
    needs multinomially (the stock identity holds exactly); else expected values."""
    rng = np.random.default_rng(seed)
    start = NATIONAL_START_AGE / NATIONAL_START_AGE.sum()
    exit_rate = np.clip(NATIONAL_EXIT_AGE * 0.02, 0.0, 1.0)
    exit_rate[-1] = 1.0
    stock = np.round(NATIONAL_AGE_PROFILE / NATIONAL_AGE_PROFILE.sum() * 800.0)
    shares = np.array(list(NEEDS.values()))
    rows, flows = [], []
    for year in years:
        for age in range(26):
            split = rng.multinomial(int(stock[age]), shares) if noise else stock[age] * shares
            for need, n in zip(NEEDS, split, strict=True):
                rows.append({"year": year, "age": age, "need": need, "children": float(n)})
        expected_new = NEW_PER_RESIDENT * 26 * RESIDENTS * start
        new = rng.poisson(expected_new).astype(float) if noise else expected_new
        exits = (
            rng.binomial(stock.astype(int), exit_rate).astype(float) if noise else stock * exit_rate
        )
        aged = np.zeros(26)
        aged[1:] = (stock - exits)[:-1]
        stock = aged + new
        flows += [
            {"year": year, "measure": "new_plans", "children": float(new.sum())},
            {"year": year, "measure": "requests", "children": float(new.sum()) / 0.6},
            {"year": year, "measure": "ceased_plans", "children": float(exits.sum())},
        ]
    population = pd.DataFrame(
        [
            {"year": y, "age": a, "population": RESIDENTS}
            for y in range(2005, 2040)
            for a in range(26)
        ]
    )
    return pd.DataFrame(rows), pd.DataFrame(flows), population


@pytest.fixture(scope="module")
def process() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return flow_process()


def _total(fc: sufficiency.forecast.DemandForecast) -> pd.Series:
    return fc.frame.groupby("year", observed=True)["mean"].sum()


def test_flows_method_runs_and_cells_add_up_to_the_flow_model(process) -> None:  # type: ignore[no-untyped-def]
    history, flows, population = process
    fc = forecast_demand(history, population, horizon=4, method="flows", flows=flows)
    assert set(fc.diagnostics["method"]) == {"flows"}
    assert (fc.frame["lower"] <= fc.frame["mean"]).all()
    assert (fc.frame["mean"] <= fc.frame["upper"]).all()
    # the needs of a band share its flow-model total: cells add up to the model's bands
    bands = fc.frame.groupby(["year", "age_band"], observed=True)["mean"].sum()
    stock = history.groupby("year", as_index=False)["children"].sum()
    ages = history.groupby(["year", "age"], as_index=False)["children"].sum()
    fit = fit_flows(
        stock,
        flows[flows["measure"] == "new_plans"][["year", "children"]],
        caseload_by_age=ages.assign(age_min=ages["age"], age_max=ages["age"]),
        population=population,
    )
    model = project_flows(fit, 4, population=population)
    expected_bands = model.groupby(["year", "age_band"], observed=True)["children"].sum()
    assert bands.to_numpy() == pytest.approx(expected_bands.loc[bands.index].to_numpy())
    # reconciled by optimal combination, cells still add up to the total
    ols = forecast_demand(
        history, population, horizon=4, method="flows", flows=flows, reconcile="ols"
    )
    assert _total(ols).to_numpy() == pytest.approx(ols.summary()["mean"].to_numpy())
    # the flow model knows the process: within 3% of the truth four years ahead
    truth, _, _ = flow_process(range(2012, 2030), noise=False)
    expected = truth[truth["year"] > 2025].groupby("year")["children"].sum()
    assert _total(fc).to_numpy() == pytest.approx(expected.to_numpy(), rel=0.03)


def test_auto_chooses_flows_on_a_flow_process_and_never_without_flows(process) -> None:  # type: ignore[no-untyped-def]
    history, flows, population = process
    with_flows = forecast_demand(history, population, horizon=4, flows=flows)
    chosen = with_flows.diagnostics["method"].value_counts()
    assert chosen.get("flows", 0) > len(with_flows.diagnostics) / 2, chosen
    assert "flows" in with_flows.backtest.forecasts
    without = forecast_demand(history, population, horizon=4)
    assert "flows" not in set(without.diagnostics["method"])
    assert "flows" not in without.backtest.forecasts
    assert not any("flows" in w for w in without.warnings)
    # flows that stop before the backtest origins: not a candidate, and no warning
    late = flows[flows["year"] >= 2022]
    short = forecast_demand(history, population, horizon=4, flows=late)
    assert "flows" not in set(short.diagnostics["method"])
    assert not any("flows" in w for w in short.warnings)
    with pytest.raises(ForecastError, match=r"forecast.candidates"):
        forecast_demand(history, population, horizon=4, flows=late, candidates=("flows", "drift"))


def test_levers_move_the_flow_step_by_the_right_amount(process) -> None:  # type: ignore[no-untyped-def]
    history, flows, population = process
    args = {"horizon": 3, "method": "flows", "flows": flows}
    base = _total(forecast_demand(history, population, **args))
    conversion = 0.6 / 2  # conversion halved at once: new plans halved
    halved = _total(
        forecast_demand(
            history, population, flow_levers=FlowLevers(conversion_share=conversion), **args
        )
    )
    new = flows[flows["measure"] == "new_plans"].set_index("year")["children"]
    new_plans = new.loc[2022:2024].mean()  # the fitted rate: the last three years' mean
    assert base.iloc[0] - halved.iloc[0] == pytest.approx(new_plans / 2, rel=0.01)
    assert (halved < base).all()
    rising = _total(
        forecast_demand(
            history, population, flow_levers=FlowLevers(requests_growth_per_year=0.1), **args
        )
    )
    # requests 10% above the last published year's (2024) in the first flow year, at the
    # fitted conversion; more every year after
    assert rising.iloc[0] - base.iloc[0] == pytest.approx(1.1 * new.loc[2024] - new_plans)
    assert (np.diff((rising - base).to_numpy()) > 0).all()
    later = _total(
        forecast_demand(
            history,
            population,
            flow_levers=FlowLevers(requests_growth_per_year=0.1, requests_from_year=2027),
            **args,
        )
    )
    assert later.iloc[:2].to_numpy() == pytest.approx(base.iloc[:2].to_numpy())
    assert later.iloc[2] > base.iloc[2]


def test_flow_levers_and_method_errors_are_located(process) -> None:  # type: ignore[no-untyped-def]
    history, flows, population = process
    levers = FlowLevers(requests_growth_per_year=0.1)
    with pytest.raises(ForecastError, match=r"levers.requests: acts on the flow model"):
        forecast_demand(history, population, horizon=2, flow_levers=levers)
    with pytest.raises(ForecastError, match=r"levers.requests: .*'flows' or 'auto'"):
        forecast_demand(
            history, population, horizon=2, method="drift", flows=flows, flow_levers=levers
        )
    no_requests = flows[flows["measure"] != "requests"]
    with pytest.raises(ForecastError, match=r"levers.requests: .*add requests rows"):
        forecast_demand(
            history, population, horizon=2, method="flows", flows=no_requests, flow_levers=levers
        )
    with pytest.raises(ForecastError, match=r"forecast.method: flows needs a flows table"):
        forecast_demand(history, population, horizon=2, method="flows")
    with pytest.raises(ForecastError, match=r"forecast.method: flows needs new plans"):
        forecast_demand(
            history, population, horizon=2, method="flows", flows=flows[flows["year"] >= 2025]
        )


def test_bad_flow_tables_are_located_errors(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text(
        "year,measure,age,age_band,children\n"
        "2022,requests,,,790\n"
        "2022,Requests,,,790\n"  # repeats row 2
        "2022,referrals,,,10\n"  # unknown measure
        "2022,new_plans,,,-3\n"  # negative
        "2022,ceased_plans,,,inf\n"  # not finite
        "2023,new_plans,4,0-4,5\n"  # clash: fine (4 is in 0-4)
        "2023,new_plans,12,0-4,5\n",  # age outside its band
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        read_flows(path)
    text = str(err.value)
    assert f"{path}, row 3: repeats row 2 (year 2022, measure requests)" in text
    assert f"{path}, row 4, column 'measure': unknown measure 'referrals'" in text
    assert f"{path}, row 5, column 'children': -3 is below the minimum 0" in text
    assert f"{path}, row 6, column 'children': not a finite number" in text
    assert f"{path}, row 8, column 'age_band': age band '0-4' does not contain age 12" in text
    overlap = pd.DataFrame(
        {
            "year": [2022, 2022, 2022, 2023, 2023],
            "measure": ["new_plans"] * 3 + ["requests"] * 2,
            "age": [None, 3, None, 20, None],
            "age_band": [None, None, "0-4", None, "20-25"],
            "children": [1.0, 5.0, 3.0, 1.0, 1.0],
        }
    )
    with pytest.raises(DataError) as err:
        read_flows(overlap)
    assert [str(p) for p in err.value.problems] == [
        "flows table, row 1: age 3 is inside age band 0-4 given in row 2 for new_plans in "
        "2022: give one or the other",
        "flows table, row 0, column 'children': new_plans in 2022: the rows by age add up to "
        "8.0, more than this all-ages row (1.0)",
        "flows table, row 3: age 20 is inside age band 20-25 given in row 4 for requests in "
        "2023: give one or the other",
    ]
    with pytest.raises(DataError, match=r"missing column"):
        read_flows(pd.DataFrame({"year": [2022], "children": [1]}))


def test_scenario_flow_levers_need_flows_and_a_flow_forecast() -> None:
    root = Path(__file__).resolve().parents[2]
    base = root / "scenarios" / "baseline.yaml"  # poisson_glm, no flows table
    flows = str(root / "src" / "sufficiency" / "example" / "ashworth" / "data" / "flows.csv")
    lever = {"levers.requests": {"requests_growth_per_year": 0.1}}
    with pytest.raises(ScenarioError, match=r"levers.requests acts on the flow model: give data"):
        sufficiency.load_scenario(base, set_values={**lever, "forecast.method": "auto"})
    with_flows = {**lever, "data.flows": flows}
    with pytest.raises(ScenarioError, match=r"levers.requests acts on the flow model: forecast"):
        sufficiency.load_scenario(base, set_values=with_flows)
    with pytest.raises(ScenarioError, match=r"levers.conversion: 2020 is before the base year"):
        sufficiency.load_scenario(
            base,
            set_values={
                "data.flows": flows,
                "levers.conversion": {"conversion_share": 0.6, "by_year": 2020},
                "forecast.method": "flows",
            },
        )
    sc = sufficiency.load_scenario(base, set_values={**with_flows, "forecast.method": "flows"})
    assert sc.levers.flow_levers and not sc.levers.active  # placements untouched
    shipped = sufficiency.load_scenario(root / "scenarios" / "requests_and_conversion.yaml")
    assert shipped.data.flows is not None and shipped.data.flows.name == "flows.csv"
    assert shipped.data.caseload.is_file()  # the rest of data from the baseline


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    stocks=st.lists(st.floats(50.0, 5000.0), min_size=3, max_size=5),
    new=st.lists(st.floats(0.0, 800.0), min_size=5, max_size=5),
    conversion=st.floats(0.05, 1.0),
    growth=st.floats(-0.5, 1.0),
)
def test_flow_projection_keeps_the_identity_and_levers_move_new_plans_in_proportion(
    stocks: list[float], new: list[float], conversion: float, growth: float
) -> None:
    """For any published stocks and flows: plans stay non-negative, next January = this
    January - exits + new exactly, and the levers scale new plans by requests and
    conversion relative to the fitted ones (so more requests never mean fewer plans)."""
    years = list(range(2018, 2018 + len(stocks)))
    totals = pd.DataFrame({"year": years, "children": stocks})
    flows = pd.DataFrame({"year": years, "children": new[: len(years)]})
    requests = pd.DataFrame({"year": years, "requests": [n / 0.5 + 1.0 for n in new[: len(years)]]})
    fit = fit_flows(totals, flows, requests=requests)
    base = project_flows(fit, 3)
    held = totals["children"].iloc[-1]
    for _, year in base.groupby("year"):
        assert (year["children"] >= -1e-9).all()
        assert year["children"].sum() == pytest.approx(
            held - year["exits"].sum() + year["new_plans"].sum(), rel=1e-9, abs=1e-6
        )
        held = year["children"].sum()
    first = base[base["year"] == years[-1] + 1]["new_plans"].sum()
    assume(first > 1e-6 and fit.conversion)
    moved = project_flows(fit, 1, conversion=conversion)["new_plans"].sum()
    assert moved == pytest.approx(first * conversion / fit.conversion, rel=1e-9)
    more = project_flows(fit, 1, requests_growth=growth)["new_plans"].sum()
    less = project_flows(fit, 1, requests_growth=growth - 0.1)["new_plans"].sum()
    assert more >= less - 1e-9
