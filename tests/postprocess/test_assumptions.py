"""The assumptions in force: listed with exactly four keys, for both starters and the borough."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import DataWarning
from sufficiency.example.bundled import example_path
from sufficiency.postprocess.assumptions import KEYS, assumptions, not_modelled
from sufficiency.sources.starter import write_starter

FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"


def _whats(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    sc = load_scenario(path)
    inputs = load_inputs(sc)
    found = assumptions(sc, inputs)
    for a in found:
        assert tuple(a) == KEYS and a["what"]
    return found, not_modelled(sc, inputs)


def test_published_data_starter_lists_what_it_assumed(tmp_path: Path) -> None:
    dfe = tmp_path / "dfe"
    shutil.copytree(FIXTURES / "release_2025", dfe)
    with pytest.warns(DataWarning):
        path = write_starter("Dudley", dfe, tmp_path / "out")
    found, missing = _whats(path)
    whats = [a["what"] for a in found]
    for w in ("national age shape", "settings by category, all in area", "national prices",
              "inflation", "flat population", "market price", "default continuity"):  # fmt: skip
        assert w in whats
    assert len(whats) == len(set(whats))
    # the starter writes no SEN support: it reads "not modelled", never 0
    assert "children on SEN support" in missing


def test_bundled_borough_lists_the_defaults_in_force() -> None:
    found, _ = _whats(example_path())
    whats = [a["what"] for a in found]
    assert "market price" in whats and "default continuity" in whats
    assert "flat population" not in whats  # its population is given


def test_given_values_are_not_assumed(write_tiny) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import tiny_scenario_dict

    scen = tiny_scenario_dict()
    scen["allocation"] = {
        "market": {"prices": [{"fee_per_place_gbp": 50000, "transport_per_place_gbp": 5000}]},
        "continuity": False,
    }
    found, _ = _whats(write_tiny(scenario=scen))
    assert [a["what"] for a in found] == []
