"""A file read twice in one process is parsed once, and never served stale or shared."""

from __future__ import annotations

import os
from pathlib import Path

from sufficiency.sources import parsing


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
