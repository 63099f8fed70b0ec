"""The assumptions in force: listed with exactly four keys, for both starters and the borough."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import sufficiency
from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import DataWarning
from sufficiency.example.bundled import example_path
from sufficiency.postprocess.assumptions import KEYS, assumptions, not_modelled
from sufficiency.postprocess.comparison import comparison_table
from sufficiency.sources.starter import write_starter

FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"


def _whats(path: Path) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    sc = load_scenario(path)
    inputs = load_inputs(sc)
    found = assumptions(sc, inputs)
    for a in found:
        assert tuple(a) == KEYS and a["what"]
        # `sufficiency run` lists them joined by commas, after their count
        assert "," not in a["what"], a["what"]
    return found, not_modelled(sc, inputs)


def test_published_data_starter_lists_what_it_assumed(tmp_path: Path) -> None:
    dfe = tmp_path / "dfe"
    shutil.copytree(FIXTURES / "release_2025", dfe)
    with pytest.warns(DataWarning):
        path = write_starter("Dudley", dfe, tmp_path / "out")
    found, missing = _whats(path)
    whats = [a["what"] for a in found]
    for w in ("national age shape", "settings by category and all in area", "national prices",
              "inflation", "flat population", "market price", "default continuity"):  # fmt: skip
        assert w in whats
    assert len(whats) == len(set(whats))
    # the starter writes no SEN support: it reads "not modelled", never 0
    assert [m["what"] for m in missing] == [
        "children on SEN support",
        "schools' notional SEN budgets",
    ]
    assert all(m["why"] and m["how_to_model"] and m["figures"] for m in missing)


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


def test_not_modelled_figures_are_null_never_0(write_tiny) -> None:  # type: ignore[no-untyped-def]
    """No SEN support in the inputs: its children, schools' notional SEN budgets and every
    payer's cost are null wherever they appear, with the reason in ``not_modelled``; a budget
    no year of which is given has no overrun either."""
    from tests.conftest import tiny_scenario_dict

    scen = tiny_scenario_dict()
    scen["levers"] = {"budget": {"gbp_by_year": {2026: 500_000}}}
    s = sufficiency.run(write_tiny(scenario=scen)).summary
    named = {f for m in s["not_modelled"] for f in m["figures"]}
    assert {"school_cost", "all_payers_cost", "sen_support_placed", "total_school_cost"} <= named
    assert s["total_school_cost"] is None and s["total_all_payers_cost"] is None
    assert s["total_cost"] > 0
    for row in [*s["by_year"], *s["by_financial_year"]]:
        assert all(row[k] is None for k in named & set(row))
        assert row.get("total_cost", 1) > 0
    by_year = {r["year"]: r for r in s["by_year"]}
    assert by_year[2026]["budget_overrun"] is not None and by_year[2027]["budget_overrun"] is None
    # side by side, a figure not modelled is NaN, never 0
    table = comparison_table([s, s])
    assert table["school_cost"].isna().all() and table["school_cost_diff"].isna().all()
    assert (table["total_cost_diff"] == 0).all()


def test_sen_support_given_is_modelled(write_tiny) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import tables_with_sen_support, tiny_scenario_dict

    scen = tiny_scenario_dict()
    scen["data"]["sen_support"] = "data/sen_support.csv"
    s = sufficiency.run(write_tiny(tables=tables_with_sen_support(), scenario=scen)).summary
    assert s["not_modelled"] == []
    assert s["total_school_cost"] > 0 and s["by_year"][0]["sen_support_placed"] > 0
