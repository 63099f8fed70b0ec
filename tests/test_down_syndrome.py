"""Down syndrome (DS, a need code from 2025) is a need of the model like any other: demand,
placements in the settings that meet it, and a forecast with no DS history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sufficiency
from sufficiency import taxonomy

from conftest import WriteBorough, tiny_scenario_dict, tiny_tables


def test_ds_is_an_ehc_plan_need_of_cognition_and_learning() -> None:
    assert "DS" in taxonomy.NEEDS and "DS" in taxonomy.EHCP_NEEDS
    assert "DS" not in taxonomy.PUBLISHED_EHCP_NEEDS  # the DfE counts it under OTH
    assert taxonomy.BROAD_AREA["DS"] == "cognition_and_learning"
    assert set(taxonomy.BROAD_AREA) == set(taxonomy.NEEDS)
    for spelling in ("DS", "Down syndrome", "Down's Syndrome", "DS - Down Syndrome"):
        assert taxonomy.need_code(spelling) == "DS"


def test_lists_naming_no_ds_meet_it_where_they_meet_a_learning_difficulty() -> None:
    every = taxonomy.EHCP_NEEDS
    lists = [("SLD", "PMLD"), ("ASD",), every, ("MLD", "SEMH")]
    assert taxonomy.with_down_syndrome(lists) == [
        ("SLD", "PMLD", "DS"),
        ("ASD",),
        every,  # ALL names every need, DS among them: not a table that names DS
        ("MLD", "SEMH", "DS"),
    ]
    # a table naming DS anywhere is read as written
    named = [("SLD", "PMLD"), ("ASD", "DS")]
    assert taxonomy.with_down_syndrome(named) == named


def _with_ds(write_tiny: WriteBorough, method: str) -> Path:
    """The tiny borough with 3 DS children aged 12 in 2025 only (no DS history) at a
    special school for SLD and PMLD (its list predates DS)."""
    tables = tiny_tables()
    ds = {"year": 2025, "need": "Down syndrome", "age": 12, "setting": "SS2", "children": 3}
    tables["caseload"] = pd.concat([tables["caseload"], pd.DataFrame([ds])], ignore_index=True)
    special = {
        "setting": "SS2", "name": "Special school (learning difficulties)",
        "tier": "special_school", "in_area": "yes", "places": 4, "needs": "SLD;PMLD",
        "age_min": 4, "age_max": 18, "cost_per_place": 28000, "transport_per_place": 5000,
    }  # fmt: skip
    tables["settings"] = pd.concat([tables["settings"], pd.DataFrame([special])], ignore_index=True)
    scenario = tiny_scenario_dict()
    scenario["forecast"] = {"method": method}
    return write_tiny(tables=tables, scenario=scenario, folder=method)


@pytest.mark.parametrize("method", ["naive", "pooled"])
def test_ds_children_are_demand_and_placements_with_no_ds_history(
    write_tiny: WriteBorough, method: str
) -> None:
    """``pooled`` borrows from the reference panel, which has no need at all: DS's single
    year of history is enough."""
    result = sufficiency.run(_with_ds(write_tiny, method))
    forecast = result.forecast[result.forecast["need"].astype(str) == "DS"]
    assert set(forecast["year"]) == {2026, 2027} and (forecast["mean"] > 2.5).all()
    demand = result.demand[result.demand["need"].astype(str) == "DS"]
    assert demand["children"].sum() == pytest.approx(forecast["mean"].sum())
    recorded = result.recorded[result.recorded["need"].astype(str) == "DS"]
    assert recorded["setting"].tolist() == ["SS2"] and recorded["children"].sum() == 3
    plan = result.placements[result.placements["need"].astype(str) == "DS"]
    # the special school for learning difficulties meets DS; the ASD/SEMH one does not
    assert "SS1" not in set(plan["setting"])
    for year in (2026, 2027):
        here = plan[plan["year"] == year]
        assert here["children"].sum() == pytest.approx(
            forecast.loc[forecast["year"] == year, "mean"].sum()
        )
        assert here.loc[here["setting"] == "SS2", "children"].sum() == pytest.approx(
            min(4.0, here["children"].sum())
        )


def test_a_new_school_for_learning_difficulties_meets_ds(write_tiny: WriteBorough) -> None:
    from sufficiency.config import load_scenario
    from sufficiency.config.capital import Capital
    from sufficiency.data import load_inputs
    from sufficiency.model.capital import add_capital_settings

    inputs = load_inputs(load_scenario(write_tiny()))

    def new(name: str, needs: list[str]) -> dict[str, object]:
        creates = {"tier": "special_school", "age_min": 4, "age_max": 18, "needs": needs}
        return {"name": name, "creates": creates, "places": 10, "earliest_year": 2026,
                "capital_cost_gbp": 1e6, "cost_per_place_gbp": 30_000}  # fmt: skip

    capital = Capital.model_validate({"options": [new("LD", ["SLD", "PMLD"]), new("AS", ["ASD"])]})
    needs = add_capital_settings(inputs, capital).settings.set_index("setting")["needs"]
    assert "DS" in needs["LD"] and "DS" not in needs["AS"]
