"""Text storage: pandas' default (pyarrow-backed) and Python-backed text give the same run.

The suite runs with Python-backed text, as the command does (``tests/conftest.py``,
:mod:`sufficiency.text_storage`); a notebook keeps pandas' default. The bundled baseline
run in a fresh interpreter with the default, and by the command there, must write the same
bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sufficiency.cli import main

ROOT = Path(__file__).resolve().parents[1]

#: A notebook's run (pandas' default text), then the command in the same interpreter (its
#: text Python-backed, the library's categories made at import with the default: as every
#: ``sufficiency`` command runs).
SCRIPT = """
import json, sys
import pandas as pd
import sufficiency
from sufficiency.cli import main
before = pd.get_option("mode.string_storage")
result = sufficiency.run(sys.argv[1])
result.write(sys.argv[2], report=False)
after = pd.get_option("mode.string_storage")
code = main(["-q", "run", sys.argv[1], "--out", sys.argv[3], "--no-report"])
print(json.dumps({
    "before": before,
    "after": after,
    "storage": result.placements["setting"].dtype.storage,
    "command": code,
}))
"""


@pytest.mark.slow
def test_pandas_default_text_writes_the_same_bytes(baseline_out: Path, tmp_path: Path) -> None:
    out, command = tmp_path / "default", tmp_path / "command"
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, scenario, str(out), str(command)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # a notebook's default, untouched by the library; the command succeeded
    assert seen == {"before": "auto", "after": "auto", "storage": "pyarrow", "command": 0}
    written = sorted(p.name for p in out.glob("*.csv"))
    assert written == sorted(p.name for p in baseline_out.glob("*.csv"))
    assert written == sorted(p.name for p in command.glob("*.csv"))
    assert len(written) > 10
    for name in written:
        assert (out / name).read_bytes() == (baseline_out / name).read_bytes(), name
        assert (command / name).read_bytes() == (baseline_out / name).read_bytes(), name


def test_the_command_keeps_its_text_storage_to_itself(tmp_path: Path) -> None:
    with pd.option_context("mode.string_storage", "pyarrow"):
        code = main(["--quiet", "validate", str(ROOT / "scenarios" / "baseline.yaml")])
        assert code == 0
        assert pd.get_option("mode.string_storage") == "pyarrow"
