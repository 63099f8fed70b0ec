"""Text storage: pandas' default (pyarrow-backed) and Python-backed text give the same run.

The suite runs with Python-backed text, as the command does (``tests/conftest.py``,
:mod:`sufficiency.text_storage`); a notebook keeps pandas' default. The bundled baseline
run in a fresh interpreter with the default must write the same bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from sufficiency.cli import main

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
import pandas as pd
import sufficiency
before = pd.get_option("mode.string_storage")
result = sufficiency.run(sys.argv[1])
result.write(sys.argv[2], report=False)
print(json.dumps({
    "before": before,
    "after": pd.get_option("mode.string_storage"),
    "storage": result.placements["setting"].dtype.storage,
}))
"""


def test_pandas_default_text_writes_the_same_bytes(baseline_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "default"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "scenarios" / "baseline.yaml"), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # a notebook's default, untouched by the library
    assert seen == {"before": "auto", "after": "auto", "storage": "pyarrow"}
    written = sorted(p.name for p in out.glob("*.csv"))
    assert written == sorted(p.name for p in baseline_out.glob("*.csv"))
    assert len(written) > 10
    for name in written:
        assert (out / name).read_bytes() == (baseline_out / name).read_bytes(), name


def test_the_command_keeps_its_text_storage_to_itself(tmp_path: Path) -> None:
    with pd.option_context("mode.string_storage", "pyarrow"):
        code = main(["--quiet", "validate", str(ROOT / "scenarios" / "baseline.yaml")])
        assert code == 0
        assert pd.get_option("mode.string_storage") == "pyarrow"
