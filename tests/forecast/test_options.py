"""Options of forecast_demand and of the scenario's forecast section; warnings; evaluation."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import ForecastError, ScenarioError
from sufficiency.forecast import forecast_demand
from sufficiency.forecast.evaluate import backtest_table, summarise_backtest
from sufficiency.forecast.scenario import project

from conftest import WriteBorough, tiny_scenario_dict


def population(years: range) -> pd.DataFrame:
    return pd.DataFrame(
        [{"year": y, "age": a, "population": 4000.0} for y in years for a in range(26)]
    )


def growing(years: range = range(2014, 2026), seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for y in years:
        t = y - years[0]
        for need, band, base in (
            ("ASD", "5-10", 300),
            ("ASD", "11-15", 400),
            ("SEMH", "5-10", 150),
            ("SEMH", "11-15", 250),
        ):
            rows.append(
                {"year": y, "need": need, "age_band": band, "children": rng.poisson(base * 1.08**t)}
            )
    return pd.DataFrame(rows)


def test_statsmodels_warnings_are_captured_not_shown() -> None:
    hist = pd.DataFrame(
        {"year": list(range(2014, 2026)), "age_band": "5-10", "children": 50.0}
    )  # a flat series: ETS's optimiser does not converge
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        f = forecast_demand(hist, None, horizon=3, by=("age_band",), method="ets_add")
    assert shown == []
    d = f.diagnostics.iloc[0]
    assert d["n_warnings"] > 0 and "ConvergenceWarning" in d["warnings"]


def test_series_start_history_window_and_missing_values() -> None:
    hist = growing()
    # a band that only exists from 2020 (absent rows before are not zeros to fit)
    hist.loc[(hist["age_band"] == "11-15") & (hist["year"] < 2020), "children"] = 0
    f = forecast_demand(hist, None, horizon=2, by=("age_band",), series_start={"11-15": 2020})
    d = f.diagnostics.set_index(f.diagnostics["age_band"].astype(str))
    assert d.loc["11-15", "first_year"] == 2020 and d.loc["5-10", "first_year"] == 2014
    assert d.loc["11-15", "n_points"] == 6
    g = forecast_demand(hist, None, horizon=2, by=("age_band",), trend_years=5)
    assert (g.diagnostics["first_year"] == 2021).all()
    # missing children (a suppressed count) are interpolated and counted, never zero
    gap = growing()
    gap["children"] = gap["children"].astype(float)
    gap.loc[
        (gap["year"] == 2020) & (gap["need"] == "ASD") & (gap["age_band"] == "5-10"), "children"
    ] = np.nan
    m = forecast_demand(gap, None, horizon=2, method="drift")
    row = m.diagnostics[(m.diagnostics["need"] == "ASD") & (m.diagnostics["age_band"] == "5-10")]
    assert int(row["n_missing"].iloc[0]) == 1


@pytest.mark.parametrize("how", ["ols", "wls_struct", "mint_shrink"])
def test_optimal_reconciliation(how: str) -> None:
    f = forecast_demand(growing(), population(range(2014, 2031)), horizon=5, reconcile=how)
    assert f.reconciliation.startswith(how)
    nodes = f.node_diagnostics
    assert nodes is not None and len(nodes) == 1 + 2 + 2  # total, 2 needs, 2 bands
    assert {"*"} <= set(nodes["need"].astype(str))
    total = f.aggregate(())
    assert np.allclose(total["mean"], f.frame.groupby("year")["mean"].sum().to_numpy())
    base = forecast_demand(growing(), population(range(2014, 2031)), horizon=5)
    # reconciled totals stay close to the bottom-up ones on a coherent, smooth history
    assert total["mean"].to_numpy() == pytest.approx(base.aggregate(())["mean"], rel=0.1)


def test_bad_options() -> None:
    hist = growing()
    with pytest.raises(ForecastError, match="reconciliation"):
        forecast_demand(hist, horizon=2, reconcile="top_down")
    with pytest.raises(ForecastError, match="candidate"):
        forecast_demand(hist, horizon=2, candidates=["prophet"])
    with pytest.raises(ForecastError, match="unknown forecast method"):
        forecast_demand(hist, horizon=2, method="prophet")
    with pytest.raises(ForecastError, match="level"):
        forecast_demand(hist, horizon=2, interval_level=1.5)


def test_candidates_and_fixed_methods_record_baselines() -> None:
    f = forecast_demand(growing(), None, horizon=3, candidates=["share", "drift"])
    assert {p for m in f.diagnostics["method"] for p in m.split("+")} <= {"share", "drift", "naive"}
    g = forecast_demand(growing(), None, horizon=3, method="ets_add")
    # naive and drift are always backtested and reported
    assert {"mase_naive", "mase_drift", "mape_naive", "mape_drift", "mase_ets_add"} <= set(
        g.diagnostics.columns
    )
    assert set(g.diagnostics["method"]) == {"ets_add"}
    summary = f.backtest_summary()
    assert {"auto", "naive", "drift", "share"} <= set(summary["method"])
    assert list(summary.columns) == ["method", "horizon", "n", "mase", "mape"]
    per_series = f.backtest_summary(by_series=True)
    assert {"need", "age_band"} <= set(per_series.columns)


def test_evaluation_table_and_summary() -> None:
    hist = growing()
    table = backtest_table(hist, None, origins=[2020, 2022], horizon=3, by=("age_band",))
    assert set(table["method"]) == {"auto", "naive", "drift"}
    assert table["horizon"].between(1, 3).all() and (table["year"] <= 2025).all()
    s = summarise_backtest(table)
    assert list(s.columns) == ["method", "horizon", "n", "mase", "mape", "coverage"]
    assert s["coverage"].between(0, 1).all()
    r = s.set_index(["method", "horizon"])
    # steady 8% growth: a trend beats carrying the last value forward
    assert r.loc[("auto", 3), "mase"] < r.loc[("naive", 3), "mase"]


def test_scenario_forecast_section_reaches_the_forecast(write_tiny: WriteBorough) -> None:
    scenario = tiny_scenario_dict()
    scenario["forecast"] = {
        "method": "auto",
        "interval_level": 0.9,
        "candidates": ["drift", "naive"],
        "reconcile": "wls_struct",
        "backtest_origins": 3,
        "backtest_horizon": 2,
        "damping": 0.8,
        "pool_below": 5,
        "sample_paths": 200,
        "series_start": {"11-15": 2021},
    }
    sc = load_scenario(write_tiny(scenario=scenario))
    inputs = load_inputs(sc)
    ehcp, sen = project(sc, inputs)
    assert sen is None
    assert ehcp.level == 0.9 and ehcp.reconciliation.startswith("wls_struct")
    assert ehcp._paths.shape[1] == 200
    assert {p for m in ehcp.frame["method"] for p in m.split("+")} <= {"drift", "naive"}


def test_scenario_forecast_section_is_strict(tmp_path: Path, write_tiny: WriteBorough) -> None:
    for bad in ({"reconcile": "magic"}, {"series_start": {"20-25": 1800}}, {"candidate": []},
                {"candidates": ["auto"]}):  # fmt: skip
        scenario = tiny_scenario_dict()
        scenario["forecast"] = {"method": "naive", **bad}
        with pytest.raises(ScenarioError):
            load_scenario(write_tiny(scenario=scenario, folder=f"bad{len(str(bad))}"))


def test_old_argument_names_still_work_with_a_warning() -> None:
    """``level`` and ``n_draws`` were renamed to the scenario's names; they still work for
    one release and say so."""
    hist = pd.DataFrame({"year": [2019, 2020, 2021, 2022], "children": [10.0, 12.0, 13.0, 15.0]})
    new = forecast_demand(hist, horizon=2, by=(), method="drift", interval_level=0.9,
                          sample_paths=50)  # fmt: skip
    with pytest.warns(DeprecationWarning, match="interval_level|sample_paths") as caught:
        old = forecast_demand(hist, horizon=2, by=(), method="drift", level=0.9, n_draws=50)
    said = " ".join(str(w.message) for w in caught)
    assert "interval_level" in said and "sample_paths" in said
    pd.testing.assert_frame_equal(new.frame, old.frame)
