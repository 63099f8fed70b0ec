"""The ``national`` method: an area's latest value moved with England's and its region's series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sufficiency.forecast import forecast_demand
from sufficiency.forecast.base import MethodUnavailableError, SeriesData, Settings
from sufficiency.forecast.methods.national import (
    backtested_damping,
    national,
    national_growth,
    national_mean,
    reference_path,
)


def test_follows_the_reference_damped_linear_trend() -> None:
    # too short for the damping's backtest (three years): the damping given
    ref = np.array([110.0, 120.0, 130.0])
    data = SeriesData(y=ref / 10, t=np.arange(2020.0, 2023.0), reference=ref[None, :])
    fit = national(data, 3, Settings(damping=0.9))
    steps = np.cumsum(0.9 ** np.arange(1, 4))
    assert fit.mean == pytest.approx((130.0 + 10.0 * steps) / 10)
    assert fit.params["damping"] == 0.9


def test_damping_is_chosen_by_backtesting_the_reference() -> None:
    # a straight line: undamped; a slowing wave (growth halving each year): damped hard
    line = np.arange(100.0, 180.0, 10.0)
    assert backtested_damping(line[None, :], 0.9) == 1.0
    slowing = 100.0 + np.cumsum(40.0 * 0.5 ** np.arange(8))
    assert backtested_damping(slowing[None, :], 0.9) <= 0.7
    data = SeriesData(y=line / 10, t=np.arange(2015.0, 2023.0), reference=line[None, :])
    assert national(data, 3, Settings(damping=0.9)).mean == pytest.approx([18.0, 19.0, 20.0])


def test_national_growth_is_the_reference_compound_growth_of_three_years() -> None:
    ref = np.array([50.0, 100.0, 110.0, 121.0, 133.1])  # 10% a year over the last three
    region = np.array([50.0, 100.0, 120.0, 144.0, 172.8])  # 20% a year
    data = SeriesData(
        y=np.full(5, 10.0), t=np.arange(2018.0, 2023.0), reference=np.stack([ref, region])
    )
    fit = national_growth(data, 2, Settings())
    assert fit.params["reference_growth_per_year"] == pytest.approx(0.15)
    assert fit.mean == pytest.approx([11.5, 13.225])
    both = national_mean(data, 2, Settings())
    assert both.mean == pytest.approx((fit.mean + national(data, 2, Settings()).mean) / 2)


def test_reference_structural_start_and_gap() -> None:
    # a band created by the reforms (10 -> 1064 -> 7708) is fitted from after its start
    row = np.array([np.nan, 10.0, 1064.0, 7708.0, 14176.0, np.nan])
    got = reference_path(row, 2, 1.0)
    assert got is not None
    level, future = got
    # the one-year gap is bridged by the trend of the years after the start
    slope = 14176.0 - 7708.0
    assert level == pytest.approx(14176.0 + slope)
    assert future == pytest.approx(14176.0 + slope * np.array([2.0, 3.0]))
    assert reference_path(np.array([np.nan, np.nan, 5.0]), 2, 1.0) is None


def test_needs_a_reference() -> None:
    data = SeriesData(y=np.array([5.0, 6.0]), t=np.array([2021.0, 2022.0]))
    with pytest.raises(MethodUnavailableError):
        national(data, 2, Settings())


def test_uses_no_reference_year_after_the_origin() -> None:
    """A history cut at 2018 moves with England's band up to 2018 only (the panel runs on)."""
    rows = [
        {"year": y, "age_band": b, "children": c * 1.1 ** (y - 2010)}
        for y in range(2010, 2019)
        for b, c in (("5-10", 300.0), ("11-15", 400.0))
    ]
    f = forecast_demand(pd.DataFrame(rows), None, horizon=3, by=("age_band",), method="national")
    assert set(f.diagnostics["method"]) == {"national"}
    # England's 5-10 band, 2016-2018: 92213, 97379, 105689 (mean of the 2- and 3-year slopes)
    slope = np.mean([105689.0 - 97379.0, (105689.0 - 92213.0) / 2])
    ratio = (105689.0 + slope * 0.9) / 105689.0
    got = f.frame[(f.frame["age_band"] == "5-10") & (f.frame["year"] == 2019)]["mean"].iloc[0]
    assert got == pytest.approx(300.0 * 1.1**8 * ratio, rel=1e-6)


def test_a_history_of_one_year_reads_the_published_years_before_it() -> None:
    """The reference panel's published years are known at every origin: a series whose
    history is one January still moves with England's series for its ages (before, the
    reference was cut at the history's first year, and `national` was unavailable)."""
    from sufficiency.forecast.reference import reference_panel

    ref = reference_panel()
    eng = ref[(ref["area"] == "England") & (ref["age_band"] == "5-10")].set_index("year")
    history = pd.DataFrame({"year": [2022], "age_band": ["5-10"], "children": [1000.0]})
    for method in ("national", "national_growth"):
        fc = forecast_demand(history, None, horizon=2, method=method, by=("age_band",))
        assert set(fc.frame["method"]) == {method}
    fc = forecast_demand(history, None, horizon=2, method="national_growth", by=("age_band",))
    growth = (eng.loc[2022, "children"] / eng.loc[2019, "children"]) ** (1 / 3)
    assert fc.frame["mean"].iloc[0] == pytest.approx(1000.0 * growth, rel=1e-6)
