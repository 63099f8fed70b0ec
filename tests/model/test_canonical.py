"""Same answer for the same question: results do not depend on input row order, and two
runs with the same seed write byte-identical tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import sufficiency
from sufficiency.datasets import example_path
from sufficiency.example._writing import TABLES as TABLES_WRITTEN
from sufficiency.results import TABLES

SHORT = {"horizon_years": 4}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in frame.columns if frame[c].dtype.kind not in "f"]
    return frame.sort_values(keys).reset_index(drop=True) if keys else frame


def test_shuffled_input_rows_give_the_same_allocation(tmp_path: Path) -> None:
    folder = example_path().parent / "data"
    rng = np.random.default_rng(12)
    shuffled, tables = {}, {}
    for name in TABLES_WRITTEN:
        table = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        order = rng.permutation(len(table))
        assert (order != np.arange(len(table))).any()
        tables[name] = table
        shuffled[name] = table.iloc[order].reset_index(drop=True)
    # the same tables both ways (a table given is used: flows.csv feeds the forecast's floor)
    first = sufficiency.run(example_path(), set_values=SHORT, tables=tables)
    mixed = sufficiency.run(example_path(), set_values=SHORT, tables=shuffled)
    for name in ("placements", "shortfall", "capacity", "demand", "shadow_prices"):
        pd.testing.assert_frame_equal(
            _sorted(getattr(mixed, name)), _sorted(getattr(first, name)), check_exact=True
        )
    assert mixed.summary["total_cost"] == first.summary["total_cost"]

    # the same run again: byte-identical files, the summary apart from timings and time
    again = sufficiency.run(example_path(), set_values=SHORT, tables=tables)
    a = first.write(tmp_path / "a", report=False)
    b = again.write(tmp_path / "b", report=False)
    for name in TABLES:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name

    def stable(folder: Path) -> dict:
        summary = json.loads((folder / "summary.json").read_text())
        del summary["timings"], summary["provenance"]["created"]
        return summary

    assert stable(a) == stable(b)
