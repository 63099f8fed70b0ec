"""Input tables: age bands instead of ages, dated place changes, tier-specific inflation."""

import numpy as np
import pandas as pd
import pytest

import sufficiency
from sufficiency.config import load_scenario
from sufficiency.data import load_inputs

from conftest import tiny_scenario_dict, tiny_tables


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
