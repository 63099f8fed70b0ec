"""Issue 11: physical bounds, structural starts, rejections, interpolation, option errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sufficiency.errors import ForecastError
from sufficiency.forecast import forecast_demand
from sufficiency.forecast.base import SeriesData, Settings
from sufficiency.forecast.bounds import BoundError, check, growth_ceiling

from conftest import SHARED_DATA

BANDS = {"5-10": 900.0, "11-15": 800.0, "16-19": 420.0}


def ramp_history(years: range = range(2021, 2026)) -> pd.DataFrame:
    """A caseload of ≈2,150 plans whose 20-25 band ramps 1 → 6 → 40 in its last years."""
    rows = []
    ramp = [0.0] * (len(years) - 3) + [1.0, 6.0, 40.0]
    for t, y in enumerate(years):
        for band, base in BANDS.items():
            rows.append({"year": y, "age_band": band, "children": round(base * 1.08**t)})
        rows.append({"year": y, "age_band": "20-25", "children": ramp[t]})
    return pd.DataFrame(rows)


def band_population(years: range, per_age: float = 3500.0) -> pd.DataFrame:
    return pd.DataFrame(
        [{"year": y, "age": a, "population": per_age} for y in years for a in range(26)]
    )


@pytest.mark.parametrize("method", ["auto", "poisson_glm", "drift"])
@pytest.mark.parametrize("n_years", [3, 5])
def test_ramp_never_breaks_population_or_growth(method: str, n_years: int) -> None:
    years = range(2026 - n_years, 2026)
    hist = ramp_history(years)
    pop = band_population(range(years[0], 2036))
    f = forecast_demand(hist, pop, horizon=10, method=method, by=("age_band",))
    band = f.frame[f.frame["age_band"] == "20-25"].sort_values("year")
    residents = 6 * 3500.0
    assert (band["mean"] <= 0.25 * residents + 1e-6).all()
    # growth bound: at most 3x the recorded growth (≥5%), from the last value of 40
    settings = Settings()
    worst = 40 * (1 + settings.max_growth_multiple * 1.0) ** np.arange(1, 11)
    assert (band["mean"].to_numpy() <= worst).all()
    assert f.frame["mean"].sum() < 10 * 2153 * 3  # nothing explodes
    assert any("20-25" in w and "structural start" in w for w in f.warnings)


def test_population_bound_rejects_a_method() -> None:
    data = SeriesData(
        y=np.array([100.0, 200.0, 400.0]),
        t=np.array([2023.0, 2024.0, 2025.0]),
        exposure=np.full(3, 1000.0),
        future_exposure=np.full(3, 1000.0),
    )
    with pytest.raises(BoundError, match="per head"):
        check(np.array([200.0, 260.0, 300.0]), data, Settings(), np.arange(2026, 2029))
    check(np.array([200.0, 240.0, 250.0]), data, Settings(), np.arange(2026, 2029))


def test_growth_bound_follows_recorded_growth() -> None:
    data = SeriesData(y=np.array([100.0, 110.0, 121.0, 133.1]), t=np.arange(2022.0, 2026.0))
    cap = growth_ceiling(data, 3, Settings())
    assert cap[0] == pytest.approx(133.1 * (1 + 3 * 0.1), rel=0.01)
    with pytest.raises(BoundError, match="growth bound"):
        check(np.array([200.0, 300.0, 400.0]), data, Settings(), np.arange(2026, 2029))


def test_a_rejected_method_is_recorded_and_replaced() -> None:
    # doubling every year in a band of 600 residents: a rate trend soon passes 25% of them
    rows = [
        {"year": y, "age_band": "20-25", "children": 10.0 * 2**t}
        for t, y in enumerate(range(2021, 2026))
    ]
    pop = band_population(range(2021, 2036), per_age=100.0)
    f = forecast_demand(
        pd.DataFrame(rows), pop, horizon=5, method="poisson_glm", by=("age_band",), pool_below=0
    )
    d = f.diagnostics.iloc[0]
    assert d["method"] != "poisson_glm" and "poisson_glm" in d["rejected"]
    assert (f.frame["mean"] <= 0.25 * 600 + 1e-6).all()
    assert any("20-25" in w and "poisson_glm" in w and "used" in w for w in f.warnings)


def test_auto_excludes_candidates_whose_backtest_broke_a_bound() -> None:
    rng = np.random.default_rng(0)
    years = range(2014, 2026)
    # a series that jumps about: trend methods overshoot at some origins
    rows = [{"year": y, "children": float(rng.choice([20, 90]))} for y in years]
    f = forecast_demand(
        pd.DataFrame(rows), None, horizon=4, by=(), max_growth_multiple=1.0, ramp_ratio=None
    )
    d = f.diagnostics.iloc[0]
    assert d["excluded"]
    excluded = [part.split(" (")[0] for part in d["excluded"].split("), ")]
    assert d["method"] not in excluded


def test_requested_method_that_cannot_run_is_an_error() -> None:
    hist = ramp_history(range(2020, 2026))
    with pytest.raises(ForecastError) as err:
        forecast_demand(hist, None, horizon=3, method="ets_log", by=("age_band",))
    assert "forecast.method" in str(err.value) and "8" in str(err.value)
    with pytest.raises(ForecastError, match=r"forecast\.method"):
        forecast_demand(hist, None, horizon=3, method="poisson_glm", by=("age_band",))


def test_missing_history_year_is_interpolated_and_reported() -> None:
    hist = ramp_history(range(2016, 2026))
    full = forecast_demand(hist, None, horizon=5, by=("age_band",), method="drift")
    gap = forecast_demand(
        hist[hist["year"] != 2022], None, horizon=5, by=("age_band",), method="drift"
    )
    assert any("2022" in w and "interpolated" in w for w in gap.warnings)
    assert (gap.diagnostics["n_missing"] == 1).all()
    total = gap.frame["mean"].sum() / full.frame["mean"].sum()
    assert total == pytest.approx(1.0, rel=0.05)
    with pytest.raises(ForecastError, match="gap too long"):
        forecast_demand(
            hist[~hist["year"].isin([2019, 2020, 2021])], None, horizon=3, by=("age_band",)
        )


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"series_start": {"20-52": 2020}}, "forecast.series_start.20-52"),
        ({"series_start": {"20-25": 2030}}, "forecast.series_start.20-25"),
        ({"series_start": {"need=ASD": 2020}}, "forecast.series_start.need=ASD"),
        ({"breaks": [2031]}, "forecast.breaks.0"),
        ({"breaks": [2016]}, "forecast.breaks.0"),
        ({"candidates": ["cohort", "drift"]}, "forecast.candidates"),
        ({"reference_region": "Wessex"}, "forecast.reference_region"),
    ],
)
def test_options_that_match_nothing_are_errors(options: dict, path: str) -> None:
    with pytest.raises(ForecastError) as err:
        forecast_demand(
            ramp_history(range(2016, 2026)), None, horizon=3, by=("age_band",), **options
        )
    assert path in str(err.value)


def test_dudley_intervals_are_not_degenerate() -> None:
    data = SHARED_DATA / "dfe_ehcp_by_age_2010_2022.csv"
    if not data.is_file():
        pytest.skip("shared DfE data not present")
    from sufficiency.datasets import read_dfe_ehcp

    hist = read_dfe_ehcp(data, la="E08000027")
    f = forecast_demand(hist, None, horizon=10, by=("age_band",), method="auto")
    total = f.aggregate(())
    assert (total["lower"] > 0).all()
    assert (total["lower"] < total["mean"]).all() and (total["mean"] < total["upper"]).all()
    width = (total["upper"] - total["lower"]).to_numpy()
    assert (np.diff(width) > 0).all()


def test_national_20_25_band_2015_to_2017_stays_bounded() -> None:
    data = SHARED_DATA / "dfe_ehcp_by_age_2010_2022.csv"
    if not data.is_file():
        pytest.skip("shared DfE data not present")
    from sufficiency.datasets import read_dfe_ehcp

    hist = read_dfe_ehcp(data, la="England")
    hist = hist[(hist["year"] >= 2015) & (hist["year"] <= 2017)]
    f = forecast_demand(hist, None, horizon=5, by=("age_band",), method="auto")
    band = f.frame[f.frame["age_band"] == "20-25"].sort_values("year")["mean"].to_numpy()
    last = float(hist.loc[hist["age_band"] == "20-25", "children"].iloc[-1])
    assert (band <= max(last, 1.0) * (1 + 3 * 1.0) ** np.arange(1, 6)).all()
    assert band[-1] < 10 * last
    assert any("20-25" in w for w in f.warnings)


def test_run_with_a_ramp_exits_0_and_warns(
    write_tiny, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sufficiency.cli import main

    from conftest import tiny_scenario_dict, tiny_tables

    tables = tiny_tables()
    rows = []
    for year, n in ((2021, 0), (2022, 0), (2023, 1), (2024, 6), (2025, 40)):
        if n:
            rows.append({"year": year, "need": "ASD", "age": 21, "setting": "IND1", "children": n})
    tables["caseload"] = pd.concat([tables["caseload"], pd.DataFrame(rows)], ignore_index=True)
    scenario = tiny_scenario_dict() | {"forecast": {"method": "auto"}}
    path = write_tiny(tables, scenario)
    assert main(["--quiet", "run", str(path), "--out", str(tmp_path / "out")]) == 0
    # the CLI shows warning log records on stderr (``WARNING sufficiency.pipeline: …``)
    shown = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("20-25" in m and "structural start" in m for m in shown)
    import json

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert any("20-25" in w for w in summary["forecast_warnings"])
