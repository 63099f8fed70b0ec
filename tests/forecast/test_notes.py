"""Forecast warnings: about the series that matter, each event once."""

from __future__ import annotations

import pandas as pd

from sufficiency.forecast import forecast_demand
from sufficiency.forecast.notes import WARN_BELOW


def _history() -> pd.DataFrame:
    big = [0, 0, 1, 6, 40, 80, 120, 160]  # a band created by a reform, now large
    small = [0, 0, 1, 6, 8, 9, 10, 11]  # the same jump on a handful of children
    return pd.DataFrame(
        [
            {"year": 2015 + k, "age_band": band, "children": float(v)}
            for band, values in (("20-25", big), ("16-19", small))
            for k, v in enumerate(values)
        ]
    )


def test_small_series_are_summarised_large_ones_named() -> None:
    f = forecast_demand(_history(), None, horizon=3, by=("age_band",), method="drift")
    assert any(w.startswith("age_band=20-25: structural start") for w in f.warnings)
    assert not any(w.startswith("age_band=16-19") for w in f.warnings)
    summary = [w for w in f.warnings if "small series" in w]
    assert len(summary) == 1
    assert f"under {WARN_BELOW:g} children" in summary[0] and "age_band=16-19" in summary[0]
    # the diagnostics still record the small series' structural start
    d = f.diagnostics.set_index(f.diagnostics["age_band"].astype(str))
    assert d.loc["16-19", "structural_start"] == 2018


def test_bundled_borough_warns_about_cells_that_matter_once() -> None:
    """The example borough (poisson_glm asked for): small rejected cells in one line each
    forecast, and no series has both a "rejected" and an "asked for, not used" line."""
    from pathlib import Path

    import sufficiency
    from sufficiency.data import load_inputs
    from sufficiency.forecast.scenario import forecast_warnings, project

    root = Path(__file__).resolve().parents[2]
    scenario = sufficiency.load_scenario(root / "scenarios" / "baseline.yaml")
    lines = forecast_warnings(*project(scenario, load_inputs(scenario)))
    assert len(lines) <= 4
    named = [w for w in lines if "small series" not in w]
    rejected = {":".join(w.split(": ")[:2]) for w in named if ": rejected " in w}
    asked = {":".join(w.split(": ")[:2]) for w in named if "(asked for) not used" in w}
    assert not rejected & asked
