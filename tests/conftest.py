"""Shared fixtures: a tiny hand-solvable borough written to a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: Where the suite's pandas keeps text: Python-backed, as the command does
#: (:mod:`sufficiency.text_storage`; a third less CPU a small run). Set before the library
#: is imported, so its categories are made the same way. ``SUFFICIENCY_TEST_STRINGS=pyarrow``
#: runs the suite as a notebook with pandas' default does; the notebooks (run in their own
#: kernels) and ``tests/test_text_storage.py`` check that default in every run of the suite.
TEXT_STORAGE = os.environ.get("SUFFICIENCY_TEST_STRINGS", "python")
pd.set_option("mode.string_storage", TEXT_STORAGE)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A borough small enough to solve by hand.

    2025 caseload: 12 ASD children aged 12 in the special school (10 places), 5 SEMH
    children aged 12 in mainstream with top-up, 1 ASD child aged 12 not placed. History is
    flat, so the naive forecast repeats 2025.
    """
    caseload = []
    for year in range(2021, 2026):
        caseload += [
            {"year": year, "need": "ASD", "age": 12, "setting": "SS1", "children": 10},
            {"year": year, "need": "Autism", "age": 12, "setting": "IND1", "children": 2},
            {"year": year, "need": "SEMH", "age": 12, "setting": "MS1", "children": 5},
            {"year": year, "need": "ASD", "age": 12, "setting": "NOT_PLACED", "children": 1},
        ]
    population = [
        {"year": y, "age": a, "population": 1000, "kind": "estimate" if y <= 2025 else "projection"}
        for y in range(2021, 2028)
        for a in range(26)
    ]
    settings = [
        {
            "setting": "MS1",
            "name": "Mainstream secondary",
            "tier": "sen_support",
            "in_area": "yes",
            "places": "",
            "needs": "ALL",
            "age_min": 11,
            "age_max": 15,
            "cost_per_place": 8000,
            "transport_per_place": 0,
        },
        {
            "setting": "SS1",
            "name": "Special school",
            "tier": "special_school",
            "in_area": "yes",
            "places": 10,
            "needs": "ASD;SEMH",
            "age_min": 4,
            "age_max": 18,
            "cost_per_place": 30000,
            "transport_per_place": 6000,
        },
        {
            "setting": "IND1",
            "name": "Independent school",
            "tier": "independent",
            "in_area": "no",
            "places": 50,
            "needs": "ALL",
            "age_min": 5,
            "age_max": 18,
            "cost_per_place": 60000,
            "transport_per_place": 20000,
        },
    ]
    costs = [
        {"year": y, "tier": "", "inflation": 0.03, "transport_inflation": 0.04}
        for y in (2026, 2027)
    ]
    return {
        "caseload": pd.DataFrame(caseload),
        "population": pd.DataFrame(population),
        "settings": pd.DataFrame(settings),
        "cost_assumptions": pd.DataFrame(costs),
    }


def tables_with_sen_support(ap_places: int = 2, **ap: object) -> dict[str, pd.DataFrame]:
    """The tiny borough with an alternative provision (partnership) setting and 25 SEMH
    children aged 12 on SEN support each year: 20 in the mainstream school, 5 in the AP."""
    tables = tiny_tables()
    register = tables["settings"]
    row = {
        "setting": "AP1",
        "name": "Pupil referral unit",
        "tier": "partnership",
        "in_area": "yes",
        "places": ap_places,
        "needs": "SEMH",
        "age_min": 11,
        "age_max": 15,
        "cost_per_place": 9000,
        "transport_per_place": 1000,
        **ap,
    }
    tables["settings"] = pd.concat([register, pd.DataFrame([row])], ignore_index=True)
    if "takes_sen_support" in row:
        tier_default = tables["settings"]["tier"].isin(["mainstream", "sen_support", "partnership"])
        given = tables["settings"]["takes_sen_support"]
        tables["settings"]["takes_sen_support"] = given.fillna(
            tier_default.map({True: "yes", False: "no"})
        )
    sen = []
    for year in range(2021, 2026):
        sen += [
            {"year": year, "need": "SEMH", "age": 12, "setting": "MS1", "children": 20},
            {"year": year, "need": "SEMH", "age": 12, "setting": "AP1", "children": 5},
        ]
    tables["sen_support"] = pd.DataFrame(sen)
    return tables


def tiny_scenario_dict() -> dict:
    return {
        "name": "tiny",
        "description": "hand-solvable test borough",
        "data": {
            "caseload": "data/caseload.csv",
            "population": "data/population.csv",
            "settings": "data/settings.csv",
            "cost_assumptions": "data/cost_assumptions.csv",
        },
        "base_year": 2025,
        "horizon_years": 2,
        "forecast": {"method": "naive"},
        "allocation": {},
    }


WriteBorough = Callable[..., Path]


@pytest.fixture
def write_tiny(tmp_path: Path) -> WriteBorough:
    """Write the tiny borough (optionally altered) and return its scenario path."""

    def write(
        tables: dict[str, pd.DataFrame] | None = None,
        scenario: dict | None = None,
        folder: str = "tiny",
    ) -> Path:
        root = tmp_path / folder
        (root / "data").mkdir(parents=True, exist_ok=True)
        for name, frame in (tables or tiny_tables()).items():
            frame.to_csv(root / "data" / f"{name}.csv", index=False)
        path = root / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario or tiny_scenario_dict(), sort_keys=False))
        return path

    return write


@pytest.fixture(scope="session")
def baseline():  # type: ignore[no-untyped-def]
    """The bundled baseline, run once: it has a sufficiency gap, so every table has rows."""
    import sufficiency

    return sufficiency.run(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline_out(baseline, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """The baseline's output folder, report included."""
    return baseline.write(tmp_path_factory.mktemp("baseline") / "out")
