"""Measured continuity (the scenario's ``continuity`` table) in place of the defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import tiny_scenario_dict, tiny_tables

from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import DataError
from sufficiency.model.stock import (
    TRANSFER_AGES,
    carry_rates,
    default_stay,
    measured_rates,
    segment_carry,
)


def test_default_stay_is_the_transfer_rule() -> None:
    stay = default_stay()
    for a in range(25):
        assert stay[a] == (0.0 if a + 1 in TRANSFER_AGES else 1.0)
    assert stay[25] == 0.0


@settings(max_examples=30, deadline=None)
@given(
    ages=st.lists(st.integers(0, 24), min_size=1, max_size=10, unique=True),
    data=st.data(),
)
def test_measured_rates_replace_defaults_where_measured(
    ages: list[int], data: st.DataObject
) -> None:
    rates = [data.draw(st.tuples(st.floats(0, 1), st.floats(0, 1))) for _ in ages]
    children = [data.draw(st.integers(0, 5)) for _ in ages]
    table = pd.DataFrame(
        {
            "age": ages,
            "children": children,
            "continuation": [r[0] for r in rates],
            "stay_rate": [r[1] for r in rates],
        }
    )
    base = np.linspace(0.5, 1.0, 26)
    cont, stay = measured_rates(table, base)
    for a, n, (c, s) in zip(ages, children, rates, strict=True):
        assert cont[a] == (c if n > 0 else base[a])
        assert stay[a] == (s if n > 0 else default_stay()[a])
    others = [a for a in range(26) if a not in ages]
    np.testing.assert_array_equal(cont[others], base[others])


def test_carry_uses_the_table(write_tiny) -> None:  # type: ignore[no-untyped-def]
    tables = tiny_tables()
    path = write_tiny(tables)
    sc = load_scenario(path)
    inputs = load_inputs(sc)
    default = carry_rates(inputs, 2025)
    assert default.stay is None
    tables["continuity"] = pd.DataFrame(
        {"age": [12], "children": [10], "continuation": [0.8], "stay_rate": [0.5]}
    )
    scen = tiny_scenario_dict()
    scen["data"]["continuity"] = "data/continuity.csv"
    measured = load_inputs(load_scenario(write_tiny(tables, scen, folder="m")))
    rates = carry_rates(measured, 2025)
    assert rates.continuation[12] == pytest.approx(0.8)
    assert rates.staying()[12] == pytest.approx(0.5)
    # every child is aged 12 (band 11-15): carried share = continuation × stay
    need = np.array([list(rates.age_share.sum(axis=1) > 0).index(True)])
    stay, _ = segment_carry(rates, need, np.array([11]), np.array([15]))
    stay0, _ = segment_carry(default, need, np.array([11]), np.array([15]))
    assert stay[0] == pytest.approx(0.4)
    assert stay0[0] == pytest.approx(default.continuation[12])


def test_bad_continuity_is_located(write_tiny) -> None:  # type: ignore[no-untyped-def]
    tables = tiny_tables()
    tables["continuity"] = pd.DataFrame(
        {"age": [12, 12], "children": [10, 3], "continuation": [1.5, 0.5], "stay_rate": [0.5, ""]}
    )
    scen = tiny_scenario_dict()
    scen["data"]["continuity"] = "data/continuity.csv"
    with pytest.raises(DataError, match=r"continuity.csv, row 2, column 'continuation'"):
        load_inputs(load_scenario(write_tiny(tables, scen)))
