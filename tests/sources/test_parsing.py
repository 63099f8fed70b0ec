"""Counts parsed several columns at a time give what column-by-column parsing gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.errors import DataError
from sufficiency.sources import dfe, parsing
from sufficiency.sources.dfe_release import _is_dfe


def _frame() -> pd.DataFrame:
    # row labels as a council's rows of a release file keep them (row = label + 2)
    return pd.DataFrame(
        {
            "a": [" 3", "c", "", "7", "x"],
            "b": ["1", "2", "c", "c", " 0 "],
            "c": ["", "", "low", "4.5", "z"],
        },
        index=[10, 11, 40, 41, 90],
    )


def test_together_equals_one_by_one() -> None:
    frame = _frame()
    together: dict[str, int] = {}
    apart: dict[str, int] = {}
    got = parsing.numbers_of(frame, ["a", "b", "c"], Path("f.csv"), together)
    want = [parsing.numbers(frame[c], c, Path("f.csv"), apart) for c in ("a", "b", "c")]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    assert together == apart == {"c": 3, "x": 1, "low": 1, "z": 1, "(blank)": 3}
    assert parsing.numbers_of(frame, [], Path("f.csv"), {}) == []


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.lists(
            st.sampled_from(["0", " 3", "12", "4.5", "", "c", "x", "low", "z"]),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=12,
    ),
    picked=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_rows_taken_from_the_whole_files_counts_are_those_parsed_alone(
    cells: list[list[str]], picked: list[bool]
) -> None:
    """A release file's counts parsed once for every area: an area's rows taken from them
    give its counts and symbols, counted in the same order, as parsing its rows alone."""
    frame = pd.DataFrame(cells, columns=["a", "b", "c"], index=range(5, 5 + len(cells)))
    at = np.flatnonzero(picked[: len(cells)])
    whole = parsing.parsed_counts(frame, ["a", "b", "c"])
    assert whole is not None
    taken: dict[str, int] = {}
    alone: dict[str, int] = {}
    got = whole.take(at, taken)
    want = parsing.numbers_of(frame.iloc[at], ["a", "b", "c"], Path("f.csv"), alone)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    assert list(taken.items()) == list(alone.items())


def test_a_file_with_a_cell_that_is_no_count_is_not_parsed_whole() -> None:
    frame = _frame()
    frame.loc[41, "b"] = "seven"
    assert parsing.parsed_counts(frame, ["a", "b", "c"]) is None


@pytest.mark.parametrize(
    ("cell", "message"),
    [("seven", "unknown text in count column 'b'"), ("-2", "cannot be counts in column 'b'")],
)
def test_a_bad_cell_is_named_as_one_by_one(cell: str, message: str) -> None:
    """The first column in order with a bad cell is named, with its row, whichever pass
    found it; a later column's problem waits for the first's."""
    frame = _frame()
    frame.loc[41, "b"] = cell
    frame.loc[90, "c"] = "inf"
    with pytest.raises(DataError, match=message) as together:
        parsing.numbers_of(frame, ["a", "b", "c"], Path("f.csv"), {})
    with pytest.raises(DataError) as apart:
        for c in ("a", "b", "c"):
            parsing.numbers(frame[c], c, Path("f.csv"), {})
    assert str(together.value) == str(apart.value)
    assert "row 43" in str(together.value)


def test_header_check_reads_the_first_line(tmp_path: Path) -> None:
    """A DfE file is known by its first line's geography columns (a byte-order mark,
    padded names and CRLF line ends as the release has them)."""
    good = tmp_path / "caseload.csv"
    good.write_text("\ufeff" + ", ".join(f" {c} " for c in dfe._GEO) + ",ehcplans\r\n1,2\r\n")
    assert _is_dfe(good)
    short = tmp_path / "newplans.csv"
    short.write_text(",".join(dfe._GEO[:-1]) + ",ehcplans\n")
    assert not _is_dfe(short)
    mine = tmp_path / "mine.csv"
    mine.write_text("year,need,children\n2025,ASD,3\n")
    assert not _is_dfe(mine)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert _is_dfe(empty)  # unreadable: the reader says what is wrong with it


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("St Helens", "St. Helens"),
        ("bristol", "Bristol, City of"),
        ("Herefordshire", "Herefordshire, County of"),
        ("brighton & hove", "Brighton and Hove"),
        ("  KINGSTON UPON HULL ", "Kingston upon Hull, City of"),
    ],
)
def test_area_names_compare_as_a_user_types_them(typed: str, name: str) -> None:
    assert parsing.area_key(typed) == parsing.area_key(name)


def test_areas_holding_the_words_typed_are_suggested_first() -> None:
    names = ["Kingston upon Hull, City of", "Kingston upon Thames", "Solihull", "Islington"]
    assert parsing.area_suggestions("Hull", names)[0] == "Kingston upon Hull, City of"
    assert parsing.area_suggestions("Kingston", names)[:2] == [
        "Kingston upon Hull, City of",
        "Kingston upon Thames",
    ]
    assert parsing.area_key("Bedford") != parsing.area_key("Central Bedfordshire")


def test_an_area_typed_without_its_punctuation_is_found(tmp_path: Path) -> None:
    """'St Helens' for 'St. Helens', 'Bristol' for 'Bristol, City of': the one area whose
    name compares equal (before: "no area 'St Helens'; did you mean 'St. Helens'?")."""
    from sufficiency.sources.ons import read_ons_population

    f = tmp_path / "2018 SNPP Population persons.csv"
    rows = ['"AREA_CODE","AREA_NAME","COMPONENT","SEX","AGE_GROUP","2021","2022"']
    for code, area, n in (("E08000013", "St. Helens", 100), ("E06000023", "Bristol, City of", 300)):
        rows += [f'{code},"{area}",Population,persons,{a},{n},{n + 1}' for a in range(26)]
    f.write_text("\n".join(rows) + "\n")
    for typed, total in (("St Helens", 26 * 201), ("bristol", 26 * 601)):
        pop = read_ons_population(f, typed)
        assert len(pop) == 52 and pop["population"].sum() == total, typed
    with pytest.raises(DataError, match="did you mean 'Bristol, City of'"):
        read_ons_population(f, "Bristo")


def test_scenario_names_from_area_names_have_single_hyphens() -> None:
    from sufficiency.sources.starter import name_slug

    assert name_slug("Bristol, City of") == "bristol-city-of"
    assert name_slug("St. Helens") == "st-helens"
