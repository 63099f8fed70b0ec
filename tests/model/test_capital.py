"""Capital options on small boroughs with hand-computable answers, and shadow prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_levers import INFL, borough, run

import sufficiency
from sufficiency.config.capital import Capital
from sufficiency.model.arrays import gap_child_years
from sufficiency.postprocess.capital import capital_value

from conftest import tiny_scenario_dict, tiny_tables

OUT = {
    "setting": "OUT",
    "tier": "special_school",
    "cost_per_place": 60_000,
    "in_area": "no",
    "places": 100,
}
ANNUAL = Capital().annual_cost  # 3.5% over 40 years


def option(name: str, capital: float, **extra: object) -> dict:
    return {
        "name": name,
        "creates": {"tier": "special_school", "age_min": 4, "age_max": 19},
        "places": 10,
        "earliest_year": 2026,
        "capital_cost_gbp": capital,
        "cost_per_place_gbp": 30_000,
        **extra,
    }


def run_capital(
    options: list[dict],
    horizon: int = 2,
    levers: dict | None = None,
    allocation: dict | None = None,
    out_places: int = 100,
    **capital: object,
) -> sufficiency.Result:
    # 10 children aged 15 each year: all at a transfer point, so free to move
    tables = borough([{**OUT, "places": out_places}], {"OUT": 10}, age=15)
    if horizon != 2:
        tables["population"] = pd.DataFrame(
            [
                {"year": y, "age": a, "population": 1000}
                for y in range(2023, 2026 + horizon)
                for a in range(26)
            ]
        )
        tables["cost_assumptions"] = pd.DataFrame(
            [
                {"year": y, "tier": "", "inflation": INFL - 1, "transport_inflation": 0.0}
                for y in range(2026, 2026 + horizon)
            ]
        )
    scenario = {
        "name": "capital",
        "data": {k: f"{k}.csv" for k in tables},
        "base_year": 2025,
        "horizon_years": horizon,
        "forecast": {"method": "naive"},
        "capital": {"options": options, **capital},
        "levers": levers or {},
        "allocation": allocation or {},
    }
    return sufficiency.run(scenario, tables=tables)


def builds(r: sufficiency.Result) -> pd.DataFrame:
    return r.builds.set_index("option")


def test_annualised_cost_formula() -> None:
    assert ANNUAL(1_000_000) == pytest.approx(1_000_000 * 0.035 / (1 - 1.035**-40))
    assert Capital(discount_rate=0.0, asset_life_years=20).annual_cost(1e6) == pytest.approx(5e4)


def test_economic_option_built_and_uneconomic_not() -> None:
    # A: £1m → £46.8k a year for 10 places: £34.7k a place against £61.8k out of area
    # B: £100m → £4.7m a year: £498k a place
    r = run_capital([option("A", 1e6), option("B", 1e8)])
    b = builds(r)
    assert bool(b.loc["A", "built"]) and b.loc["A", "open_year"] == 2026
    assert not bool(b.loc["B", "built"])
    assert r.summary["capital"]["mip_gap"] is not None
    served = r.placements.groupby(["year", "setting"], observed=True)["children"].sum()
    assert served[(2026, "A")] == pytest.approx(10) and served[(2027, "A")] == pytest.approx(10)
    placement_cost = 10 * 30_000 * (INFL + INFL**2)
    assert r.summary["objective"] == pytest.approx(placement_cost + 2 * ANNUAL(1e6), abs=0.02)
    # A saves the out-of-area fee, less its capital charge
    assert b.loc["A", "running_cost_saving"] == pytest.approx(10 * 30_000 * (INFL + INFL**2))
    assert b.loc["A", "net_saving"] == pytest.approx(
        10 * 30_000 * (INFL + INFL**2) - 2 * ANNUAL(1e6)
    )
    assert b.loc["A", "out_of_area_avoided"] == pytest.approx(20)
    assert b.loc["A", "payback_years"] == pytest.approx(1e6 / (10 * 30_000 * (INFL + INFL**2) / 2))


def test_lead_time_delays_opening() -> None:
    r = run_capital([option("A", 1e6, lead_time_years=2)], horizon=4)
    b = builds(r)
    assert b.loc["A", "open_year"] == 2028  # decided in 2026 at the earliest: 2025 + 1 + 2
    served = r.placements.groupby(["year", "setting"], observed=True)["children"].sum()
    assert served.get((2027, "A"), 0.0) == 0.0 and served[(2028, "A")] == pytest.approx(10)


def test_capital_budget_binds() -> None:
    r = run_capital([option("A", 1e6)], budget_gbp=500_000)
    assert not bool(builds(r).loc["A", "built"])
    r2 = run_capital([option("A", 1e6)], budget_by_year_gbp={2026: 0, 2027: 2e6})
    assert builds(r2).loc["A", "open_year"] == 2027


def test_exclusive_options() -> None:
    r = run_capital([option("A", 1e6), option("A2", 1.1e6)], exclusive=[["A", "A2"]])
    b = builds(r)
    assert bool(b.loc["A", "built"]) and not bool(b.loc["A2", "built"])


def test_forced_build_equals_lp_with_the_capacity() -> None:
    forced = run_capital([option("A", 1e8, decision="build")])
    assert bool(builds(forced).loc["A", "built"])
    # the same places as an ordinary setting of the register
    tables = borough(
        [OUT, {"setting": "A", "tier": "special_school", "cost_per_place": 30_000, "places": 10}],
        {"OUT": 10},
        age=15,
    )
    plain = run(tables)
    assert forced.summary["total_cost"] == pytest.approx(plain.summary["total_cost"], abs=0.02)
    assert forced.summary["objective"] == pytest.approx(
        plain.summary["objective"] + 2 * ANNUAL(1e8), abs=0.02
    )


def test_never_leaves_option_out() -> None:
    r = run_capital([option("A", 1.0, decision="never")])
    assert r.builds.empty and "A" not in set(r.placements["setting"])


def test_shadow_price_equals_saving_from_one_more_place() -> None:
    """Special school full in 2026 (7 places, 10 level-5 children): one more place there
    saves the difference between independent and special school; re-solving agrees."""
    tables = tiny_tables()
    tables["settings"].loc[1, "places"] = 7
    base = sufficiency.run(tiny_scenario_dict(), tables=tables)
    sp = base.shadow_prices.set_index(["year", "setting"])
    value = sp.loc[(2026, "SS1"), "value_per_place"]
    assert value == pytest.approx(82_600 - 37_140)
    assert sp.loc[(2026, "IND1"), "value_per_place"] == pytest.approx(0)  # spare places
    more = {k: v.copy() for k, v in tables.items()}
    more["setting_places"] = pd.DataFrame(
        {"setting": ["SS1", "SS1"], "year": [2026, 2027], "places": [8, 7]}
    )
    plus_one = sufficiency.run(tiny_scenario_dict(), tables=more)
    saving = base.summary["objective"] - plus_one.summary["objective"]
    assert saving == pytest.approx(value, rel=1e-6)
    names = [p["setting"] for p in base.summary["most_valuable_places"]]
    assert names[0] == "SS1"


def test_cost_avoided_matches_a_direct_search() -> None:
    r = run_capital([])
    arrays = r.extras["arrays"]
    ca = r.cost_avoided
    for g, row in ca.iterrows():
        pairs = np.flatnonzero(arrays.pair_group == g)
        in_area = arrays.settings["in_area"].to_numpy(bool)[arrays.pair_setting[pairs]]
        local = arrays.unit_cost[pairs][in_area]
        away = arrays.unit_cost[pairs][~in_area]
        assert row["local_unit_cost"] == pytest.approx(
            local.min() if len(local) else np.nan, nan_ok=True
        )
        assert row["out_of_area_unit_cost"] == pytest.approx(away.min(), nan_ok=True)


def test_market_prices_from_the_scenario() -> None:
    """The most specific row applies: a level-6 ASD child aged 11-15 pays the
    communication-and-interaction secondary price, not the catch-all."""
    tables = tiny_tables()
    tables["settings"].loc[2, "places"] = 1  # independent full: one child goes to the market
    sc = tiny_scenario_dict()
    sc["allocation"] = {
        "market": {
            "prices": [
                {"fee_per_place_gbp": 100_000, "transport_per_place_gbp": 0},
                {
                    "need_group": "communication_and_interaction",
                    "phase": "secondary",
                    "fee_per_place_gbp": 120_000,
                    "transport_per_place_gbp": 10_000,
                },
                {"phase": "secondary", "fee_per_place_gbp": 90_000, "transport_per_place_gbp": 0},
            ]
        }
    }
    r = sufficiency.run(sc, tables=tables)
    assert r.summary["total_shortfall"] == pytest.approx(2)  # one child a year, two years
    m = r.placements[(r.placements["setting"] == "MARKET") & (r.placements["year"] == 2026)]
    assert m["children"].sum() == pytest.approx(1)
    assert m["unit_cost"].iloc[0] == pytest.approx(120_000 * 1.03 + 10_000 * 1.04)


def test_market_price_rows_must_be_unambiguous() -> None:
    sc = tiny_scenario_dict()
    sc["allocation"] = {
        "market": {
            "prices": [
                {"level": "independent", "fee_per_place_gbp": 1, "transport_per_place_gbp": 0}
            ]
        }
    }
    with pytest.raises(sufficiency.ScenarioError, match="catch-all"):
        sufficiency.run(sc, tables=tiny_tables())
    sc["allocation"] = {
        "market": {"prices": [{"fee_per_place_gbp": -5, "transport_per_place_gbp": 0}]}
    }
    with pytest.raises(
        sufficiency.ScenarioError, match=r"allocation\.market\.prices\.0\.fee_per_place_gbp"
    ):
        sufficiency.run(sc, tables=tiny_tables())
    sc["allocation"] = {"spot_purchase": {"cost_per_place_gbp": 1}}
    with pytest.raises(
        sufficiency.ScenarioError, match="'spot_purchase' was removed: replaced by 'market'"
    ):
        sufficiency.run(sc, tables=tiny_tables())


def test_losing_build_is_not_built_unless_forced() -> None:
    """An out-of-area target's policy weight (£200k a child-year) would pull in a £30m
    option that saves only £0.6m of real money over two years: it is not built; forced, it
    is, and its negative net saving is reported."""
    target = {"reduce_by": 1.0, "by_year": 2026}
    r = run_capital([option("A", 3e7)], levers={"out_of_area": target})
    b = builds(r)
    assert not bool(b.loc["A", "built"])
    assert r.summary["by_year"][0]["out_of_area_target_missed"] == pytest.approx(10)
    forced = run_capital([option("A", 3e7, decision="build")], levers={"out_of_area": target})
    fb = builds(forced)
    assert bool(fb.loc["A", "built"]) and fb.loc["A", "net_saving"] < 0


def test_economic_build_kept_under_the_rule() -> None:
    r = run_capital([option("A", 1e6)], levers={"out_of_area": {"reduce_by": 1.0, "by_year": 2026}})
    assert bool(builds(r).loc["A", "built"]) and builds(r).loc["A", "net_saving"] > 0


def test_option_errors_name_the_yaml_path() -> None:
    with pytest.raises(sufficiency.ScenarioError, match=r"capital.options\[0\].expands"):
        run_capital([{**option("A", 1e6), "creates": None, "expands": "NOPE"}])
    with pytest.raises(sufficiency.ScenarioError, match="exactly one of"):
        run_capital([{**option("A", 1e6), "expands": "OUT"}])


def _market(fee: float) -> dict:
    return {"market": {"prices": [{"fee_per_place_gbp": fee, "transport_per_place_gbp": 0}]}}


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fee=st.floats(20_000, 150_000),
    dearer=st.floats(1.0, 3.0),
    out_places=st.integers(0, 10),
    capital=st.floats(1e5, 2e7),
)
def test_dearer_market_never_lowers_the_places_wanted(
    fee: float, dearer: float, out_places: int, capital: float
) -> None:
    """With a dearer market the model builds at least as many places, and a place is
    worth at least as much."""
    runs = [
        run_capital([option("A", capital)], allocation=_market(f), out_places=out_places)
        for f in (fee, fee * dearer)
    ]
    built = [float(builds(r)["places"].sum()) for r in runs]
    assert built[1] >= built[0]
    for r in runs:
        assert r.summary["total_no_place"] == 0
        assert (r.builds.loc[r.builds["built"].astype(bool), "net_saving"] >= -1e-6).all()


def test_child_years_avoided_are_never_floating_point_residue() -> None:
    """A build that avoids no gap says 0, not -0.0: two solves' floating point (-6.8e-12
    child-years on a Kirklees starter) is not children; a real difference is kept."""
    r = run_capital([option("A", 1e6)])
    arrays, allocation = r.extras["arrays"], r.extras["plan"].allocation
    built = [i for i, b in enumerate(r.builds["built"].astype(bool)) if b]
    assert built
    x = allocation.solution.placed
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    short = gap_child_years(arrays, x, allocation.solution.unmet)
    ooa = float(x[~in_area].sum())
    cost = float(x @ arrays.unit_cost)
    residue = {i: (cost, short - 7e-12, ooa - 5e-13, 0.0) for i in built}
    table = capital_value(arrays, allocation, residue)
    for i in built:
        assert table.loc[i, "shortfall_avoided"] == 0.0
        assert table.loc[i, "out_of_area_avoided"] == 0.0
        assert f"{table.loc[i, 'shortfall_avoided']:,.1f}" == "0.0"
    real = {i: (cost, short + 0.5, ooa + 2.0, 0.0) for i in built}
    table = capital_value(arrays, allocation, real)
    for i in built:
        assert table.loc[i, "shortfall_avoided"] == pytest.approx(0.5)
        assert table.loc[i, "out_of_area_avoided"] == pytest.approx(2.0)
