"""The floor from plans already held, on a history shaped like the witan.send demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sufficiency.forecast import forecast_demand
from sufficiency.forecast.floor import FLOOR_EXIT_RATE, held_by_age, held_floor, survival
from sufficiency.forecast.methods.flows import NATIONAL_AGE_PROFILE

#: Plans at January: a short, steadily rising history (witan.send's demo: 2,153 in 2017).
TOTALS = {2014: 1640, 2015: 1810, 2016: 1975, 2017: 2153}
#: New plans and ceased plans by calendar year (the stock identity holds with them).
NEW = {2014: 390, 2015: 420, 2016: 450}
CEASED = {2014: 220, 2015: 255, 2016: 272}


@pytest.fixture(scope="module")
def witan() -> tuple[pd.DataFrame, pd.DataFrame]:
    """History by single age and the flows table of a witan.send-shaped borough."""
    rng = np.random.default_rng(2017)
    rows = []
    for year, total in TOTALS.items():
        # the national age shape, each age a little off it (as a real borough's is)
        shape = NATIONAL_AGE_PROFILE * rng.lognormal(0.0, 0.15, len(NATIONAL_AGE_PROFILE))
        counts = np.round(total * shape / shape.sum()).astype(int)
        counts[14] += total - counts.sum()
        rows += [{"year": year, "age": a, "children": int(n)} for a, n in enumerate(counts)]
    flows = [{"year": y, "measure": "new_plans", "children": n} for y, n in NEW.items()]
    flows += [{"year": y, "measure": "ceased_plans", "children": n} for y, n in CEASED.items()]
    return pd.DataFrame(rows), pd.DataFrame(flows)


@pytest.fixture(scope="module")
def forecast(witan):  # type: ignore[no-untyped-def]
    history, flows = witan
    return forecast_demand(history, None, horizon=5, by=("age_band",), flows=flows, seed=3)


def test_survival_ends_plans_at_25() -> None:
    surv = survival(FLOOR_EXIT_RATE, 3)
    assert np.all(surv[:, 0] <= 1.0) and surv[0].tolist() == [1.0] * 26
    assert surv[1, 25] == 0.0 and surv[3, 23:].sum() == 0.0
    assert np.all(np.diff(surv, axis=0) <= 1e-12)  # fewer plans survive as years pass


def test_one_year_lower_end_holds_the_surviving_plans_and_the_fewest_new(forecast) -> None:  # type: ignore[no-untyped-def]
    total = forecast.aggregate(()).set_index("year")
    last = TOTALS[2017]
    # the recorded exits (ceased plans and moves) as a share of the plans held
    exit_share = max(c / TOTALS[y] for y, c in CEASED.items())
    surviving = last * (1.0 - exit_share)
    assert total.loc[2018, "lower"] >= surviving + min(NEW.values()) - 1e-6
    assert total.loc[2018, "lower"] >= last * 0.95  # not 12% below the plans held


def test_five_year_interval_is_narrower_than_a_factor_2_2(forecast) -> None:  # type: ignore[no-untyped-def]
    total = forecast.aggregate(()).set_index("year")
    assert total.loc[2022, "upper"] / total.loc[2022, "lower"] < 2.2


def test_floor_holds_on_every_path(witan, forecast) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.data.flows import read_flows
    from sufficiency.forecast.base import Settings
    from sufficiency.forecast.methods.flowmethod import FlowModel, stock_by_age
    from sufficiency.forecast.panel import build_panel
    from sufficiency.forecast.project import _floor

    history, flows = witan
    panel = build_panel(
        _banded(history), None, by=("age_band",), first_year=2014, last_year=2017, horizon=5
    )
    model = FlowModel(panel, stock_by_age(history, panel.years), read_flows(flows), Settings())
    floor = _floor(panel, _banded(history), 5, model)  # (S, H)
    order = [list(panel.keys["age_band"]).index(str(b)) for b in forecast._keys["age_band"]]
    paths = forecast._paths  # (S, draws, H)
    assert np.all(paths >= floor[order][:, None, :] - 1e-6)
    assert np.all(paths.sum(0) >= floor.sum(0)[None, :] - 1e-6)
    assert floor[:, 0].sum() >= TOTALS[2017] * 0.85


def _banded(history: pd.DataFrame) -> pd.DataFrame:
    bands = pd.cut(history["age"], [-1, 4, 10, 15, 19, 25], labels=False)
    labels = np.array(["0-4", "5-10", "11-15", "16-19", "20-25"])
    return history.assign(age_band=labels[bands.to_numpy()])


def test_floor_without_flows_is_the_survivors_of_the_held_plans(witan) -> None:  # type: ignore[no-untyped-def]
    history, _ = witan
    fc = forecast_demand(history, None, horizon=5, by=("age_band",), seed=1)
    total = fc.aggregate(()).set_index("year")
    # no lower end below the plans surviving at England's exit rates
    rate = FLOOR_EXIT_RATE
    held = history[history["year"] == 2017]["children"].to_numpy(dtype=float)
    surv = survival(rate, 5)
    for h, year in enumerate(range(2018, 2023), start=1):
        floor = float((held[: 26 - h] * surv[h, : 26 - h]).sum())
        assert total.loc[year, "lower"] >= floor * (1 - 1e-9)


def test_floors_of_bands_add_up_to_the_total(witan) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.forecast.panel import build_panel

    history, _ = witan
    kw = {"first_year": 2014, "last_year": 2017, "horizon": 4}
    bands = build_panel(_banded(history), None, by=("age_band",), **kw)
    total = build_panel(history, None, by=(), **kw)
    held_bands = held_by_age(_banded(history), bands.keys, bands.by)
    held_total = held_by_age(history, total.keys, total.by)
    # the plans held by single age, whatever the series
    np.testing.assert_allclose(held_total[0], history[history["year"] == 2017]["children"])
    np.testing.assert_allclose(
        held_floor(bands, 4, held_bands).sum(0), held_floor(total, 4, held_total)[0]
    )


def test_held_by_age_is_each_groups_stock_in_the_last_january() -> None:
    """Each series' row is the plans its group (its need, all bands) held in the last
    January by single age: single ages where given, bands spread by the national shape."""
    from sufficiency.forecast.methods.flowmethod import stock_by_age
    from sufficiency.forecast.panel import build_panel

    rng = np.random.default_rng(5)
    rows = []
    for year in (2021, 2022):
        for need in ("ASD", "SEMH", "SLCN"):
            for band in ("0-4", "5-10", "11-15", "16-19", "20-25"):
                rows.append(
                    {"year": year, "need": need, "age_band": band, "children": rng.integers(20, 90)}
                )
    history = pd.DataFrame(rows)
    panel = build_panel(
        history, None, by=("need", "age_band"), first_year=2021, last_year=2022, horizon=2
    )
    held = held_by_age(history, panel.keys, panel.by)
    last = history[history["year"] == 2022]
    for i, need in enumerate(panel.keys["need"].astype(str)):
        mine = stock_by_age(last[last["need"] == need], np.array([2022]))[:, 0]
        np.testing.assert_array_equal(held[i], mine)
    assert held.sum() == pytest.approx(last["children"].sum() * len(panel.keys) / 3)
