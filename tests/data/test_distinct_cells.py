"""A column's cells read once per distinct value: the same as read cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sufficiency import taxonomy
from sufficiency.data import tables

CELLS = st.one_of(
    st.none(),
    st.just(np.nan),
    st.text(alphabet=" \t\u00a0aASDsemh", max_size=4),
    st.sampled_from(["ASD", "asd", " SEMH ", "Autism", "total", ""]),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
)


@given(cells=st.lists(CELLS, max_size=30), text=st.booleans())
def test_blank_cells_as_read_cell_by_cell(cells: list[object], text: bool) -> None:
    values = pd.Series(cells, dtype="str" if text else object)
    plain = values.isna() | (values.astype("string").str.strip() == "").fillna(True)
    assert np.array_equal(tables._blank(values), np.asarray(plain, dtype=bool))


@given(cells=st.lists(CELLS, max_size=30))
def test_labels_as_looked_up_cell_by_cell(cells: list[object]) -> None:
    values = pd.Series(cells, dtype=object, name="need", index=np.arange(len(cells)) * 2)
    col = tables.Column("need", "need")
    raw = tables.RawTable(pd.DataFrame({"need": values}), "caseload.csv", 2)
    text = values.astype("string").fillna("")
    looked = {u: taxonomy.lookup("need", u) for u in pd.unique(text)}
    plain = text.map(lambda v: looked.get(v) or "")
    problems: list[object] = []
    got = tables._parse_labels(raw, col, values, problems)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(got, plain)
    unknown = [u for u, code in looked.items() if code is None]
    assert len(problems) == len(unknown)
