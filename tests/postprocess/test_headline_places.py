"""Postprocessing on plain frames: comparison table, shadow prices, most valuable places."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sufficiency.postprocess.comparison import COMPARED, comparison_table
from sufficiency.postprocess.places import most_valuable_places, shadow_prices


def _summary(name: str, cost: float) -> dict:
    row = {c: 1.0 for c in COMPARED if not c.startswith("placed_")}
    row.update(
        {
            f"placed_{t}": 2.0
            for t in (
                "mainstream",
                "sen_support",
                "partnership",
                "enhanced_resource",
                "special_school",
                "independent",
            )
        }
    )
    return {"scenario": name, "by_year": [{**row, "year": 2026, "cost": cost}]}


def test_comparison_differences_against_the_first() -> None:
    table = comparison_table([_summary("a", 10.0), _summary("b", 14.5)])
    assert list(table["scenario"]) == ["a", "b"]
    assert list(table["cost_diff"]) == [0.0, 4.5]
    assert table["placed_independent"].tolist() == [2.0, 2.0]


def _capacity() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2026, 2027, 2026, 2027, 2026],
            "setting": ["A", "A", "B", "B", "C"],
            "name": ["a", "a", "b", "b", "c"],
            "tier": ["special_school"] * 5,
            "in_area": [True] * 5,
            "places": [10.0, 10.0, 5.0, 5.0, np.nan],
            "used": [10.0, 10.0, 5.0, 4.0, 3.0],
            "spare": [0.0, 0.0, 0.0, 1.0, np.nan],
            "value_per_place": [100.0, 300.0, 50.0, 0.0, 0.0],
        }
    )


def test_shadow_prices_keep_limited_settings_only() -> None:
    shadow = shadow_prices(_capacity())
    assert set(shadow["setting"]) == {"A", "B"}
    assert "spare" not in shadow.columns


def test_most_valuable_places_ranked_with_first_year() -> None:
    best = most_valuable_places(shadow_prices(_capacity()))
    assert [b["setting"] for b in best] == ["A", "B"]
    assert best[0]["value_per_place"] == 300.0
    assert best[0]["year_of_highest_value"] == 2027
    assert best[0]["first_year_valuable"] == 2026
    assert most_valuable_places(shadow_prices(_capacity()), n=1)[0]["setting"] == "A"
