"""Fuzzing the scenario file and the tables: any mutation is accepted or refused cleanly.

A mutated scenario or table must either validate (exit 0) or be refused with exit 2 and a
message; any other exception escapes ``main`` and fails the test.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.cli import main

from conftest import tiny_scenario_dict, tiny_tables

_counter = itertools.count()

TOKENS = [
    "",
    "~",
    ".nan",
    ".inf",
    "-.inf",
    "-1",
    "0",
    "1e6",
    "1e300",
    "2025",
    "yes",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "*a",
    "&a 1",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGk=",
    "'x'",
    '"\\u0000"',
    "NOT_PLACED",
    "SS1",
    "ASD",
    "special_school",
    "hard",
    "2026: 5",
    "- 1",
    ": :",
    "[",
    "1,5",
    "29.610,00",
]

CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    ".nan",
    "-1",
    "0",
    "1e6",
    "1,5",
    "1,234",
    "29.610,00",
    "£5",
    " 7 ",
    "2.5",
    "TRUE",
    "yes",
    "maybe",
    "ALL",
    "ASD",
    "Autism",
    "NOT_PLACED",
    "SS1",
    "2025",
    "2099",
    "5-10",
    "=1+1",
    "x;y",
    "\u00e9",
]


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "data").mkdir()
    for name, frame in tiny_tables().items():
        frame.to_csv(root / "data" / f"{name}.csv", index=False)
    return root


def _validate(path: Path) -> int:
    return main(["--quiet", "validate", str(path)])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 40),
            st.sampled_from(["value", "delete", "duplicate", "insert", "indent"]),
            st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_scenario_is_accepted_or_refused_cleanly(
    borough: Path, edits: list[tuple[int, str, str]]
) -> None:
    text = yaml.safe_dump(
        {
            **tiny_scenario_dict(),
            "levers": {"budget": {"gbp_by_year": {2026: 1.0e6}, "mode": "soft"}},
            "overrides": {"long": {"horizon_years": 2}},
        },
        sort_keys=False,
    )
    lines = text.splitlines()
    for at, how, token in edits:
        i = at % len(lines)
        key, sep, _ = lines[i].partition(":")
        if how == "value" and sep:
            lines[i] = f"{key}: {token}"
        elif how == "delete" and len(lines) > 1:
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "insert":
            lines.insert(i, f"{key.rstrip() or 'x'}_{len(token)}: {token}")
        else:
            lines[i] = "  " + lines[i]
    path = borough / f"scenario-{next(_counter)}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _validate(path) in (0, 2)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["caseload", "population", "settings", "cost_assumptions"]),
            st.integers(0, 200),
            st.integers(0, 10),
            st.one_of(st.sampled_from(CELLS), st.text(max_size=5)),
            st.sampled_from(["cell", "cell", "cell", "repeat", "drop_row", "drop_column"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_tables_are_accepted_or_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, int, int, str, str]]
) -> None:
    root = tmp_path_factory.mktemp("tables")
    (root / "data").mkdir()
    frames = {k: v.astype(str).replace("nan", "") for k, v in tiny_tables().items()}
    for table, row, column, value, how in edits:
        frame: pd.DataFrame = frames[table]
        if frame.empty:
            continue
        r, c = row % len(frame), column % len(frame.columns)
        if how == "cell":
            frame.iloc[r, c] = value
        elif how == "repeat":
            frame = pd.concat([frame, frame.iloc[[r]]], ignore_index=True)
        elif how == "drop_row":
            frame = frame.drop(index=frame.index[r]).reset_index(drop=True)
        else:
            frame = frame.drop(columns=frame.columns[c])
        frames[table] = frame
    for name, frame in frames.items():
        frame.to_csv(root / "data" / f"{name}.csv", index=False)
    path = root / "scenario.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario_dict()), encoding="utf-8")
    assert _validate(path) in (0, 2)
