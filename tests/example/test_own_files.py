"""The bundled borough's own files (SEN2 returns and register extract): shipped, reproducible,
and `init --sen2` then `run` holds the base year to the return."""

from __future__ import annotations

import filecmp
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from sufficiency.cli import main
from sufficiency.errors import DataWarning
from sufficiency.example._writing import EXAMPLE_DIR
from sufficiency.example.generator import DEFAULT_SEED
from sufficiency.example.sen2_export import ASHWORTH_LA, write_own_files
from sufficiency.sources.sen2 import read_sen2

SEN2 = EXAMPLE_DIR / "sen2"
GIAS = EXAMPLE_DIR / "gias.csv"


@pytest.mark.slow
def test_shipped_own_files_are_the_generators(tmp_path: Path) -> None:
    write_own_files(tmp_path, DEFAULT_SEED)
    names = [str(p.relative_to(EXAMPLE_DIR)) for p in SEN2.rglob("*.csv")] + ["gias.csv"]
    assert len(names) == 3 * 9 + 1
    _, mismatch, errors = filecmp.cmpfiles(EXAMPLE_DIR, tmp_path, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


@pytest.mark.slow
def test_init_sen2_then_run_on_bundled_files(tmp_path: Path) -> None:
    out = tmp_path / "own"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # places raised, ages: said, not tested
        assert main(["init", "--sen2", str(SEN2), "--gias", str(GIAS), str(out)]) == 0
    run = ["run", str(out / "scenario.yaml"), "--out", str(tmp_path / "run"), "-q", "--no-report"]
    assert main(run) == 0  # the tables are checked here, the report in tests/report
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    sen2 = read_sen2(SEN2)
    base = sen2.children[sen2.children["year"] == 2025]
    register = pd.read_csv(GIAS, dtype=str, encoding="cp1252")
    la_of = dict(zip(register["URN"], register["LA (code)"], strict=True))
    out_of_area = sum(
        1 for s in base["setting"] if la_of.get(s.split("-")[0], ASHWORTH_LA) != ASHWORTH_LA
    )
    assert summary["base_year"] == 2025
    assert summary["base_year_ehc_plans"] == len(base)
    assert summary["base_year_out_of_area"] == out_of_area
    caseload = pd.read_csv(out / "data" / "caseload.csv", dtype={"setting": str})
    written = caseload[caseload["year"] == 2025].groupby("setting")["children"].sum()
    recorded = base["setting"].map(lambda s: {"OLA": "OTHER_ARRANGEMENTS"}.get(s, s))
    recorded = recorded.replace({"NIEC": "NOT_PLACED", "NIEO": "NOT_PLACED"}).value_counts()
    assert written.sort_index().to_dict() == recorded.sort_index().to_dict()
