"""The README's scenario reference is the one generated from the schema."""

import re
from pathlib import Path

import pytest

from sufficiency.config import reference_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_schema_reference_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- schema:start -->\n(.*?)<!-- schema:end -->", text, re.S)
    assert found, "README lacks the schema markers"
    assert found.group(1) == reference_markdown(), (
        "README scenario reference is stale: paste `sufficiency schema --markdown` between "
        "the schema markers"
    )


def test_readme_commands_name_real_paths() -> None:
    text = README.read_text(encoding="utf-8")
    assert "sufficiency run scenarios/baseline.yaml --out out" in text
    assert ".venv/bin/python -m pytest" in text
    assert (README.parent / "scenarios" / "baseline.yaml").is_file()


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


#: Shell lines the suite cannot run inside itself: making the venv and installing (the
#: suite runs in it) and the test command (the suite is running).
_SKIP = ("python3 -m venv", "pip install", "-m pytest")


@pytest.mark.slow
def test_readme_shell_examples_run(tmp_path: Path) -> None:
    import shlex
    import subprocess
    import sys

    lines = [line for block in _blocks("bash") for line in block.splitlines() if line.strip()]
    ran = 0
    for line in lines:
        for command in line.split("&&"):
            command = command.strip()
            if any(s in command for s in _SKIP):
                continue
            argv = shlex.split(command)
            assert argv[0].endswith("sufficiency"), command
            argv[1:] = [
                str(README.parent / a) if a.startswith("scenarios/") else a for a in argv[1:]
            ]
            done = subprocess.run(
                [sys.executable, "-m", "sufficiency.cli", *argv[1:]],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"{command}\n{done.stderr}"
            ran += 1
    assert ran >= 1
    assert (tmp_path / "out" / "workbook.xlsx").is_file()


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.datasets import write_example

    write_example(tmp_path, scenarios=True)  # scenarios/baseline.yaml, outside a checkout
    monkeypatch.chdir(tmp_path)
    (code,) = _blocks("python")
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "out" / "report.html").is_file()
