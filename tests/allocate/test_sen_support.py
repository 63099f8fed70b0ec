"""Children on SEN support in the allocation: levels, places shared with plans, payers, the
mainstream catch-all, and levers moving children between plans and SEN support."""

from __future__ import annotations

import pandas as pd
import pytest

import sufficiency
from sufficiency.errors import DataError, ForecastError

from conftest import tables_with_sen_support, tiny_scenario_dict, tiny_tables
from contract import check_all

#: 2026 prices in the tiny borough: every tier inflates 3% a year, transport 4%.
SCHOOL_2026 = 6_000 * 1.03
AP_2026 = 9_000 * 1.03


def run(tables: dict[str, pd.DataFrame], **changes: object) -> sufficiency.Result:
    return sufficiency.run({**tiny_scenario_dict(), **changes}, tables=tables)


def test_levels_from_settings_places_shared_and_payers() -> None:
    """20% of children on SEN support are at level partnership (the AP's share in the base
    year); the AP has 2 places, so 2 go there (paid by the High Needs Block) and 3 stay in
    mainstream school; every other child on SEN support is in the mainstream school, paid
    from its notional SEN budget."""
    r = run(tables_with_sen_support())
    check_all(r)
    y = r.placements[(r.placements["year"] == 2026) & (r.placements["provision"] == "sen_support")]
    by_setting = y.groupby("setting", observed=True)["children"].sum()
    assert by_setting["AP1"] == pytest.approx(2)
    assert by_setting["MAINSTREAM"] == pytest.approx(3)
    assert by_setting["MS1"] == pytest.approx(20)
    ap = y[y["setting"] == "AP1"].iloc[0]
    assert ap["hnb_cost"] == pytest.approx(2 * AP_2026)
    assert ap["school_cost"] == 0 and ap["transport_cost"] == pytest.approx(2 * 1000 * 1.04)
    ms = y[y["setting"] == "MS1"].iloc[0]
    assert ms["school_cost"] == pytest.approx(20 * SCHOOL_2026)
    assert ms["hnb_cost"] == 0 and ms["transport_cost"] == 0
    row = r.summary["by_year"][0]
    assert row["sen_support_placed"] == pytest.approx(25)
    assert row["sen_support_kept_in_mainstream"] == pytest.approx(3)
    assert row["school_cost"] == pytest.approx(23 * SCHOOL_2026)
    # children with plans are as they were: SEN support does not take their places
    plans = run(tiny_tables()).summary["by_year"][0]
    for key in ("placed", "shortfall", "placed_special_school", "placed_independent"):
        assert row[key] == pytest.approx(plans[key])
    assert row["hnb_cost"] == pytest.approx(plans["hnb_cost"] + 2 * AP_2026)


def test_a_setting_that_does_not_take_sen_support() -> None:
    r = run(tables_with_sen_support(takes_sen_support="no"))
    check_all(r)
    y = r.placements[(r.placements["year"] == 2026) & (r.placements["provision"] == "sen_support")]
    assert "AP1" not in set(y["setting"].astype(str))
    assert r.summary["by_year"][0]["sen_support_kept_in_mainstream"] == pytest.approx(5)


def test_switched_off_places_plans_only() -> None:
    r = run(tables_with_sen_support(), allocation={"sen_support": {"enabled": False}})
    assert set(r.placements["provision"].astype(str)) == {"ehc_plan"}
    # switched off: schools' notional SEN budgets are not modelled (null), never 0
    assert r.summary["by_year"][0]["school_cost"] is None
    assert [m["what"] for m in r.summary["not_modelled"]] == [
        "placements of children on SEN support",
        "schools' notional SEN budgets",
    ]
    assert r.summary["by_year"][0]["sen_support"] > 0  # projected all the same


def test_fewer_plans_moves_children_and_money_between_funders() -> None:
    """The 5 SEMH children with plans in mainstream move to SEN support (share 1, no
    continuity so the whole share moves at once): the SEND total is unchanged, the High
    Needs Block pays 5 top-ups less and schools 5 notional SEN budgets more."""
    tables = tables_with_sen_support()
    plain = {"continuity": False}
    before = run(tables, allocation=plain).summary["by_year"][0]
    lever = {"fewer_plans": [{"share": 1.0, "from_year": 2026}]}
    r = run(tables, allocation=plain, levers=lever)
    check_all(r)
    after = r.summary["by_year"][0]
    assert after["demand"] + after["sen_support_demand"] == pytest.approx(
        before["demand"] + before["sen_support_demand"]
    )
    assert after["demand"] == pytest.approx(before["demand"] - 5)
    assert after["sen_support_placed"] == pytest.approx(before["sen_support_placed"] + 5)
    assert after["hnb_cost"] == pytest.approx(before["hnb_cost"] - 5 * 8_000 * 1.03)
    assert after["school_cost"] == pytest.approx(before["school_cost"] + 5 * SCHOOL_2026)
    assert after["unmitigated_cost"] == pytest.approx(before["total_cost"])


def test_unknown_setting_in_sen_support_is_a_located_error() -> None:
    tables = tables_with_sen_support()
    tables["sen_support"].loc[3, "setting"] = "NOPE"
    with pytest.raises(DataError) as caught:
        run(tables)
    text = str(caught.value)
    assert "sen_support" in text and "'NOPE'" in text and "row" in text


def test_reserved_catch_all_id() -> None:
    tables = tables_with_sen_support()
    tables["settings"].loc[0, "setting"] = "MAINSTREAM"
    tables["caseload"]["setting"] = tables["caseload"]["setting"].replace("MS1", "MAINSTREAM")
    tables["sen_support"]["setting"] = tables["sen_support"]["setting"].replace("MS1", "")
    with pytest.raises(DataError, match="reserved"):
        run(tables)


def test_a_method_the_sen_support_history_cannot_take_is_refused_naming_it() -> None:
    """Drift asked for where SEN support was recorded only from the latest January (0 before
    it): the plans' history takes drift, SEN support's cannot, and the refusal says which
    (it read as if about the plans before; found by the generated boroughs, seed 32)."""
    tables = tables_with_sen_support()
    sen = tables["sen_support"]
    tables["sen_support"] = sen.assign(children=sen["children"].where(sen["year"] == 2025, 0))
    with pytest.raises(ForecastError) as caught:
        run(tables, forecast={"method": "drift"})
    text = str(caught.value)
    assert text.startswith("children on SEN support (data.sen_support): drift cannot be used")
    assert "forecast.method: in the SEN support history, drift needs at least 2" in text
    check_all(run(tables_with_sen_support(), forecast={"method": "drift"}))  # a longer one
