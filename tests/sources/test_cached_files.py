"""A file read twice in one process is parsed once, and never served stale or shared."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from sufficiency.sources import parsing
from sufficiency.text_storage import python_strings


def test_a_changed_file_is_read_again_and_copies_are_independent(tmp_path: Path) -> None:
    path = tmp_path / "release.csv"
    path.write_text("la_name,count\nDudley,1\n", encoding="utf-8")
    first = parsing.read_text_csv(path, "DfE")
    first.loc[0, "count"] = "changed by the caller"
    again = parsing.read_text_csv(path, "DfE")
    assert again.loc[0, "count"] == "1"  # the caller's change is its own
    path.write_text("la_name,count\nDudley,22\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert parsing.read_text_csv(path, "DfE").loc[0, "count"] == "22"


def test_each_version_is_made_once(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    made: list[int] = []

    def make():  # type: ignore[no-untyped-def]
        made.append(1)
        return parsing.read_text_csv(path, "test")

    for _ in range(3):
        parsing.cached_frame(path, "test make", make)
    assert len(made) == 1


@pytest.mark.parametrize("python_text", [True, False])
def test_no_change_a_caller_makes_reaches_the_kept_frame(tmp_path: Path, python_text: bool) -> None:
    """Every copy is the caller's own, however it is changed: even through ``to_numpy()``,
    a writable view of Python-backed text (why the copies are deep)."""
    with python_strings() if python_text else contextlib.nullcontext():
        _change_a_copy(tmp_path / "release.csv")


def _change_a_copy(path: Path) -> None:
    path.write_text("la_name,count,year\nDudley,1,2022\nSandwell,2,2023\n", encoding="utf-8")
    frame = parsing.read_text_csv(path, "DfE")
    frame.loc[1, "la_name"] = "changed"
    frame["count"] = "new column values"
    frame.iloc[0, 2] = "1999"
    frame.columns = ["name", "n", "when"]
    del frame["name"]
    years = parsing.read_text_csv(path, "DfE")["year"].to_numpy()
    with contextlib.suppress(ValueError):  # a view of the kept cells is read-only, or a copy
        years[0] = "2000"
    again = parsing.read_text_csv(path, "DfE")
    assert again.to_dict("list") == {
        "la_name": ["Dudley", "Sandwell"],
        "count": ["1", "2"],
        "year": ["2022", "2023"],
    }
