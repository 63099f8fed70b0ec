"""Outputs are safe to open: no text cell starts a formula (CSV and Excel), no absolute
machine path, and summary.json is strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from sufficiency.cells import safe_cells
from sufficiency.cli import main
from sufficiency.outputs import json_safe, write_json

from conftest import tiny_scenario_dict, tiny_tables

EVIL = '=HYPERLINK("http://x","click")'


def test_safe_cells_escapes_text_only() -> None:
    frame = pd.DataFrame(
        {
            "name": ["=1+2", "+44 20", "-x", "@SUM(A1)", "\tx", "plain", "0-4"],
            "tier": pd.Categorical(["=a", "b", "b", "b", "b", "b", "b"]),
            "children": [-1.5, 2, 3, 4, 5, 6, 7],
        }
    )
    safe = safe_cells(frame)
    assert safe["name"].tolist() == ["'=1+2", "'+44 20", "'-x", "'@SUM(A1)", "'\tx", "plain", "0-4"]
    assert safe["tier"].tolist()[0] == "'=a"
    assert safe["children"].tolist() == frame["children"].tolist()  # numbers stay numbers
    assert safe_cells(safe.iloc[5:]) is not None and frame["name"][0] == "=1+2"  # no mutation


def test_summary_json_is_strict(tmp_path: Path) -> None:
    content = {"a": float("nan"), "b": [np.float64("inf"), np.int64(3)], "c": np.bool_(True)}
    assert json_safe(content) == {"a": None, "b": [None, 3], "c": True}
    write_json(tmp_path / "s.json", content)

    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    assert json.loads((tmp_path / "s.json").read_text(), parse_constant=refuse)["b"][1] == 3


def test_formula_names_escaped_and_paths_relative(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["settings"].loc[tables["settings"]["setting"] == "SS1", "name"] = EVIL
    sc = tiny_scenario_dict()
    sc["description"] = "=cmd|' /C calc'!A0"
    path = write_tiny(tables, sc)
    out = tmp_path / "out"
    assert main(["--quiet", "run", str(path), "--out", str(out)]) == 0
    capsys.readouterr()
    capacity = (out / "capacity.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in capacity and ",=HYPERLINK" not in capacity
    assert pd.read_csv(out / "capacity.csv")["places"].dtype.kind == "f"  # still numbers
    book = load_workbook(out / "workbook.xlsx")
    texts = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(str(c.value).startswith("=cmd") for c in texts)  # the description is shown…
    assert not [c.coordinate for c in texts if c.data_type == "f"]  # …but never as a formula
    machine = str(tmp_path)
    for name in ("summary.json", "report.html"):
        assert machine not in (out / name).read_text(encoding="utf-8"), name
    assert not [c.value for c in texts if machine in str(c.value)]
    summary = json.loads((out / "summary.json").read_text(), parse_constant=float)
    provenance = summary["provenance"]
    assert provenance["scenario_files"] == ["scenario.yaml"]
    assert provenance["input_files"]["settings"]["path"] == "data/settings.csv"
    assert provenance["scenario"]["data"]["caseload"] == "data/caseload.csv"
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in summary.values())
