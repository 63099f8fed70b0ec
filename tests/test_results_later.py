"""A run's tables that a sweep never reads are made on first read, and are the eager ones."""

from __future__ import annotations

import pandas as pd

import sufficiency
from sufficiency import taxonomy
from sufficiency.model.arrays import cost_comparison
from sufficiency.postprocess.places import local_places
from sufficiency.postprocess.recorded import recorded_placements
from sufficiency.results import Later

DEFERRED = ("recorded", "local_places", "cost_avoided", "not_in_school")


def test_tables_a_sweep_does_not_read_are_made_on_first_read(write_tiny) -> None:
    result = sufficiency.run(write_tiny())
    for name in DEFERRED:  # not made by the run
        assert isinstance(result.__dict__[f"_{name}"], Later), name
    plan = result.extras["plan"]
    sc, inputs = result.extras["scenario"], result.extras["inputs"]
    eager = {
        "recorded": recorded_placements(
            plan.stock, inputs.settings, sc.base_year, plan.allocation.placements
        ),
        "local_places": local_places(plan.arrays, plan.allocation, None),
        "cost_avoided": taxonomy.as_categories(cost_comparison(plan.arrays)),
        "not_in_school": taxonomy.as_categories(plan.not_in_school),
    }
    for name in DEFERRED:
        got = getattr(result, name)
        assert not isinstance(result.__dict__[f"_{name}"], Later), name  # kept once made
        assert getattr(result, name) is got
        pd.testing.assert_frame_equal(got, eager[name], obj=name)
    assert len(result.local_places) and len(result.recorded)  # tables with rows compared
