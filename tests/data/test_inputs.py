"""Input tables: age bands instead of ages, dated place changes, tier-specific inflation."""

import numpy as np
import pandas as pd
import pytest
import yaml

import sufficiency
from sufficiency.config import load_scenario
from sufficiency.data import load_inputs

from conftest import WriteBorough, tiny_scenario_dict, tiny_tables


def test_caseload_by_age_band_only() -> None:
    tables = tiny_tables()
    cl = tables["caseload"].drop(columns=["age"])
    cl["age_band"] = "Age 11 to 15"
    tables["caseload"] = cl
    r = sufficiency.run(tiny_scenario_dict(), tables=tables)
    assert r.summary["by_year"][0]["cost"] == pytest.approx(577_800)
    assert not r.extras["inputs"].single_year_ages


def test_setting_places_changes_and_tier_inflation() -> None:
    tables = tiny_tables()
    tables["setting_places"] = pd.DataFrame(
        {"setting": ["SS1", "SS1"], "year": [2026, 2027], "places": [8, 12]}
    )
    tables["cost_assumptions"] = pd.concat(
        [
            tables["cost_assumptions"],
            pd.DataFrame(
                [
                    {
                        "year": 2026,
                        "tier": "independent",
                        "inflation": 0.10,
                        "transport_inflation": 0.0,
                    }
                ]
            ),
        ]
    )
    sc = load_scenario(tiny_scenario_dict())
    inputs = load_inputs(sc, tables=tables)
    places = inputs.places([2026, 2027]).set_index(["year", "setting"])["places"]
    assert places[(2026, "SS1")] == 8 and places[(2027, "SS1")] == 12
    assert np.isnan(places[(2026, "MS1")])
    r = sufficiency.run(tiny_scenario_dict(), tables=tables)
    p = r.placements[r.placements["year"] == 2026].set_index(["setting", "level"])
    # independent: £60,000 × 1.10 + £20,000 × 1.00 in 2026
    assert p.loc[("IND1", "independent"), "unit_cost"] == pytest.approx(86_000)
    assert p.loc[("IND1", "special_school"), "children"] == pytest.approx(2)


def test_age_and_band_disagree() -> None:
    tables = tiny_tables()
    tables["caseload"]["age_band"] = "5-10"
    with pytest.raises(sufficiency.DataError, match="does not contain age 12"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)


# --- one source given for two tables: read twice, its rows would count twice


def _sen_support_like(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The tiny caseload with every child in a registered setting: valid as SEN support."""
    caseload = tables["caseload"]
    return caseload[caseload["setting"] != "NOT_PLACED"].reset_index(drop=True)


def test_one_dataframe_for_two_tables_is_refused() -> None:
    tables = tiny_tables()
    same = _sen_support_like(tables)
    tables["caseload"] = tables["sen_support"] = same
    with pytest.raises(sufficiency.DataError) as caught:
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    assert caught.value.summary.startswith("the same data is given for two tables")
    (problem,) = caught.value.problems
    assert problem.where == "data.caseload and data.sen_support"
    assert "one DataFrame is given for two tables" in problem.message
    # equal rows in two frames: the same table given twice
    tables["sen_support"] = same.copy()
    with pytest.raises(sufficiency.DataError, match="hold the same rows: one table given twice"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    # the same children as SEN support, counted otherwise, is data of its own
    tables["sen_support"] = same.assign(children=same["children"] + 1)
    assert load_inputs(load_scenario(tiny_scenario_dict()), tables=tables).sen_support is not None


def test_a_link_to_the_same_file_is_the_same_file(write_tiny: WriteBorough) -> None:
    tables = tiny_tables()
    tables["caseload"] = _sen_support_like(tables)
    path = write_tiny(tables)
    (path.parent / "data" / "link.csv").symlink_to(path.parent / "data" / "caseload.csv")
    scenario = tiny_scenario_dict()
    scenario["data"]["sen_support"] = "data/../data/link.csv"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    with pytest.raises(sufficiency.DataError) as caught:
        load_inputs(load_scenario(path))
    (problem,) = caught.value.problems
    assert problem.where.endswith("scenario.yaml: data.caseload and data.sen_support")
    assert "caseload.csv) is given for two tables" in problem.message


def test_two_sheets_of_one_workbook_are_two_tables(write_tiny: WriteBorough) -> None:
    tables = tiny_tables()
    path = write_tiny(tables)
    book = path.parent / "data" / "book.xlsx"
    support = _sen_support_like(tables).assign(children=3)
    with pd.ExcelWriter(book) as writer:
        tables["caseload"].to_excel(writer, sheet_name="plans", index=False)
        support.to_excel(writer, sheet_name="support", index=False)
    scenario = tiny_scenario_dict()
    scenario["data"]["caseload"] = "data/book.xlsx#plans"
    scenario["data"]["sen_support"] = "data/book.xlsx#support"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    inputs = load_inputs(load_scenario(path))
    assert inputs.sen_support is not None
    assert inputs.sen_support["children"].sum() == 3 * len(support)
    scenario["data"]["sen_support"] = "data/book.xlsx#plans"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    with pytest.raises(sufficiency.DataError, match=r"book.xlsx, sheet 'plans'\) is given for two"):
        load_inputs(load_scenario(path))


# --- single ages beside rows by band: read by band


def test_single_ages_beside_a_band_row_are_read_by_band() -> None:
    tables = tiny_tables()
    caseload = tables["caseload"].assign(age_band="")
    band_row = {"year": 2025, "need": "SEMH", "age": None, "age_band": "16-19"}
    mixed = pd.concat(
        [caseload, pd.DataFrame([{**band_row, "setting": "MS1", "children": 3}])],
        ignore_index=True,
    )
    tables["caseload"] = mixed
    inputs = load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    assert set(inputs.caseload["age_band"].astype(str)) == {"11-15", "16-19"}
    assert inputs.caseload["children"].sum() == mixed["children"].sum()
    # a second single age of the same band, need, setting and year: one cell given twice
    extra = {"year": 2025, "need": "ASD", "age": 13, "age_band": "", "setting": "SS1"}
    tables["caseload"] = pd.concat([mixed, pd.DataFrame([{**extra, "children": 1}])])
    with pytest.raises(sufficiency.DataError) as caught:
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    (problem,) = caught.value.problems  # not one "repeats row" for each pair of ages
    assert problem.where == "caseload table"  # a DataFrame's rows count from 0
    assert problem.message.startswith(
        "row 21 (age 13) and row 16 (age 12) fall in one age band (year 2025, need ASD, "
        "setting SS1, age_band 11-15), and row 20 gives an age band only"
    )
