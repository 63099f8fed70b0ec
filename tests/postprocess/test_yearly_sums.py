"""The headline's sums by year equal what a pass over each year's rows gives, to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.postprocess.headline import _Yearly


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(2026, 2030),
            st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.just(float("nan"))),
            st.booleans(),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_a_years_sum_is_the_sum_of_its_rows_in_their_order(
    rows: list[tuple[int, float, bool, bool]],
) -> None:
    frame = pd.DataFrame(rows, columns=["year", "cost", "kept", "chosen"])
    frame["year"] = frame["year"].astype(int)
    kept, chosen = frame["kept"].to_numpy(dtype=bool), frame["chosen"].to_numpy(dtype=bool)
    sums = _Yearly(frame, kept)
    for year in range(2025, 2032):
        alone = frame[(frame["year"] == year) & kept & chosen]
        assert sums.sum(year, "cost", chosen) == float(alone["cost"].sum())
        assert _Yearly(frame).sum(year, "cost") == float(
            frame.loc[frame["year"] == year, "cost"].sum()
        )
    np.testing.assert_array_equal(frame["kept"].to_numpy(dtype=bool), kept)  # not changed
