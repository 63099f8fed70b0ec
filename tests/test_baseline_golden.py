"""The bundled baseline's headline numbers, pinned with tolerances.

If a deliberate change moves them, update the figures here and say why in the commit.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import sufficiency
from sufficiency.cli import main


@pytest.fixture(scope="module")
def result(baseline: sufficiency.Result) -> sufficiency.Result:
    """The suite's session run of the bundled baseline (conftest.py), not run again."""
    return baseline


def test_headline_figures(result: sufficiency.Result) -> None:
    t = result.totals().set_index("year")
    assert result.summary["base_year_ehc_plans"] == pytest.approx(3300, abs=1)
    # ≈9% a year growth continues in the unmitigated baseline
    assert t.loc[2026, "ehc_plans"] == pytest.approx(3580, rel=0.02)
    assert t.loc[2035, "ehc_plans"] == pytest.approx(7656, rel=0.05)
    assert (
        t.loc[2026, "ehc_plans_lower"] < t.loc[2026, "ehc_plans"] < t.loc[2026, "ehc_plans_upper"]
    )
    # special schools are full, so a gap opens: the market places what the register cannot
    # (eligibility by single year of age: 19-year-olds no longer fill 2-18 schools' places,
    # so the 2026 gap went from 5.6 to 8.9 children, 2035 from 1,423 to 1,429)
    assert t.loc[2026, "shortfall"] == pytest.approx(8.9, abs=2)
    assert t.loc[2035, "shortfall"] == pytest.approx(1470, rel=0.05)
    assert (t["market"] == t["shortfall"]).all() and (t["no_place"] == 0).all()
    # continuing children stay in their (sometimes dearer) settings; the council's cost
    # (High Needs Block and transport) is as before children on SEN support were placed
    # (they add ≈£0.1m a year of alternative provision), schools' costs come on top:
    # total_cost is the council's spend, all_payers_cost adds the schools'
    council = t["total_cost"]
    assert (t["all_payers_cost"] - t["total_cost"] - t["school_cost"]).abs().max() < 0.05
    assert council[2026] == pytest.approx(79.9e6, rel=0.03)  # other arrangements incl.
    assert council[2035] == pytest.approx(339.2e6, rel=0.05)
    assert t.loc[2026, "school_cost"] == pytest.approx(48.1e6, rel=0.03)
    assert t.loc[2035, "school_cost"] == pytest.approx(81.2e6, rel=0.05)
    # every child on SEN support is placed, nearly all in mainstream with SEN support
    assert (abs(t["sen_support_placed"] - t["sen_support_demand"]) < 1e-2).all()
    assert (t["sen_support_placed_sen_support"] > 0.98 * t["sen_support_placed"]).all()
    assert t.loc[2026, "placed_new"] < 0.4 * t.loc[2026, "placed"]
    assert result.summary["status"] == "optimal"


def test_run_time_recorded(result: sufficiency.Result) -> None:
    assert set(result.summary["timings"]) >= {"load", "forecast", "arrays", "build", "solve"}


def test_example_and_schema_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", str(tmp_path / "mine")]) == 0
    copied = tmp_path / "mine" / "scenario.yaml"
    assert copied.is_file() and (tmp_path / "mine" / "data" / "settings.csv").is_file()
    assert main(["--quiet", "validate", str(copied)]) == 0
    capsys.readouterr()
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "allocation" in schema["properties"]


def test_every_child_placed_and_priced_within_hand_bounds(result: sufficiency.Result) -> None:
    """Each year's cost lies between every child at their cheapest eligible price (places
    ignored) and every child at the market price, equals the placements' costs, and is
    split by payer."""
    arrays = result.extras["arrays"]
    market = arrays.pair_setting == arrays.market
    groups = arrays.groups
    cheapest = np.full(len(groups), np.inf)
    np.minimum.at(cheapest, arrays.pair_group, arrays.unit_cost)
    # the dearest place: the market for children with plans, the mainstream catch-all (or
    # their dearest setting) for children on SEN support, whom the market does not take
    market_price = np.zeros(len(groups))
    np.maximum.at(market_price, arrays.pair_group, arrays.unit_cost)
    market_price[arrays.pair_group[market]] = arrays.unit_cost[market]
    children = groups["children"].to_numpy()
    year = groups["year"].to_numpy()
    nis = result.not_in_school.groupby("year")["hnb_cost"].sum()
    placed = result.placements.groupby("year")[["hnb_cost", "transport_cost", "total_cost"]].sum()
    for row in result.summary["by_year"]:
        y = row["year"]
        here = year == y
        lower = float((children * cheapest)[here].sum()) + float(nis.get(y, 0.0))
        upper = float((children * market_price)[here].sum()) + float(nis.get(y, 0.0))
        assert row["no_place"] == 0
        assert row["placed"] == pytest.approx(row["demand"], abs=1e-2)
        # unit costs are every payer's (schools' notional SEN budgets included)
        assert lower - 1 <= row["all_payers_cost"] <= upper + 1
        assert row["total_cost"] == pytest.approx(
            placed.loc[y, "total_cost"] + nis.get(y, 0.0), abs=1
        )
        assert row["hnb_cost"] + row["transport_cost"] == pytest.approx(row["total_cost"], abs=1)
        money = row["hnb_cost"] + row["transport_cost"] + row["school_cost"]
        assert money == pytest.approx(row["all_payers_cost"], abs=1)
        assert row["hnb_cost"] == pytest.approx(placed.loc[y, "hnb_cost"] + nis.get(y, 0.0), abs=1)


def test_value_of_a_place_is_money(result: sufficiency.Result) -> None:
    """No value per place exceeds the dearest market price less the cheapest local cost of
    the groups the setting can take."""
    arrays = result.extras["arrays"]
    market = arrays.pair_setting == arrays.market
    in_area = arrays.settings["in_area"].to_numpy(dtype=bool)[arrays.pair_setting]
    year_of = arrays.years[arrays.pair_year]
    cap = result.capacity[result.capacity["value_per_place"] > 1e-6]
    ids = arrays.settings["setting"].to_numpy()
    assert len(cap) > 0
    for row in cap.itertuples():
        s = int(np.flatnonzero(ids == row.setting)[0])
        groups = np.unique(arrays.pair_group[(arrays.pair_setting == s) & (year_of == row.year)])
        take = np.isin(arrays.pair_group, groups)
        dearest_market = arrays.unit_cost[take & market].max()
        cheapest_local = arrays.unit_cost[take & in_area].min()
        assert row.value_per_place <= dearest_market - cheapest_local + 1e-6, row
