"""The vectorised reading of plain number columns gives what the full cell-by-cell reading
gives (numbers, blanks, no problems), and leaves every other column to the full reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.config.schema import NumberFormat
from sufficiency.data.tables import (
    Column,
    RawTable,
    _parse_number,
    _plain_text_numbers,
    _text_numbers,
)

_PLAIN = st.one_of(
    st.integers(-(10**7), 10**7).map(str),
    st.floats(-1e7, 1e7, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.floats(0, 1e6, allow_nan=False).map(lambda v: f"{v:.2e}"),
    st.sampled_from(["", " ", " 12 ", "+3", "-.5", "7.", "1e999", "0012"]),
)
_ANY = st.one_of(
    _PLAIN, st.sampled_from(["1,234", "£5", "nan", "inf", "x", "1.234,5", "1,5", "3.5%"])
)
_FORMATS = st.sampled_from(
    [NumberFormat(), NumberFormat(decimal=","), NumberFormat(decimal=",", thousands=" ")]
)


def _full(cells: list[str], fmt: NumberFormat) -> tuple[np.ndarray, np.ndarray, list[str]]:
    raw = RawTable(pd.DataFrame({"n": cells}, dtype=str), "t.csv", 2)
    problems: list = []
    numbers, blank, _bad, _direct = _text_numbers(
        raw, Column("n", "float"), raw.frame["n"], problems, fmt, "t"
    )
    return numbers, blank, [str(p) for p in problems]


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(_ANY, min_size=1, max_size=30), fmt=_FORMATS)
def test_fast_reading_agrees_with_the_full_one(cells: list[str], fmt: NumberFormat) -> None:
    values = pd.Series(cells, dtype=str)
    fast = _plain_text_numbers(values, fmt)
    numbers, blank, problems = _full(cells, fmt)
    if fast is None:
        return  # the full reading runs, as before
    assert problems == []
    np.testing.assert_array_equal(fast[1], blank)
    np.testing.assert_array_equal(fast[0], numbers)  # NaN where blank, equal elsewhere


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(_PLAIN, min_size=1, max_size=30))
def test_plain_english_columns_take_the_fast_reading(cells: list[str]) -> None:
    assert _plain_text_numbers(pd.Series(cells, dtype=str), NumberFormat()) is not None


def test_other_columns_take_the_full_reading_with_its_messages() -> None:
    assert _plain_text_numbers(pd.Series([1.0, 2.0]), NumberFormat()) is None
    assert _plain_text_numbers(pd.Series(["1", True], dtype=object), NumberFormat()) is None
    raw = RawTable(pd.DataFrame({"n": ["1", "1,5", "2"]}, dtype=str), "t.csv", 2)
    problems: list = []
    out = _parse_number(raw, Column("n", "float"), raw.frame["n"], problems, NumberFormat(), "t")
    assert np.isnan(out.iloc[1]) and out.iloc[[0, 2]].tolist() == [1.0, 2.0]
    assert len(problems) == 1 and "t.csv, row 3, column 'n'" in str(problems[0])
    assert "decimal comma" in str(problems[0])
