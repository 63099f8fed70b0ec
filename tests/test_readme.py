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


def _runnable(block: str) -> list[str]:
    """The block's commands the suite can run (``&&`` split), in order."""
    commands = [c.strip() for line in block.splitlines() if line.strip() for c in line.split("&&")]
    return [c for c in commands if not any(s in c for s in _SKIP)]


#: The README's shell blocks with a command to run: each block is run on its own (in a
#: folder of its own), so the pytest workers can take them side by side.
_SHELL = [b for b in _blocks("bash") if _runnable(b)]


@pytest.mark.slow
@pytest.mark.parametrize("block", _SHELL, ids=[f"block{i}" for i in range(len(_SHELL))])
def test_readme_shell_examples_run(block: str, tmp_path: Path) -> None:
    import shlex
    import subprocess
    import sys

    for command in _runnable(block):
        argv = shlex.split(command)
        assert argv[0].endswith("sufficiency"), command
        argv[1:] = [str(README.parent / a) if a.startswith("scenarios/") else a for a in argv[1:]]
        done = subprocess.run(
            [sys.executable, "-m", "sufficiency.cli", *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    if "run scenarios/baseline.yaml --out out" in block:
        assert (tmp_path / "out" / "workbook.xlsx").is_file()


def test_the_readme_shell_blocks_are_run() -> None:
    """The set-up's run and the own-files example are among the blocks run above."""
    runnable = [c for b in _SHELL for c in _runnable(b)]
    assert any("run scenarios/baseline.yaml --out out" in c for c in runnable)
    assert any(c.startswith("sufficiency init --sen2") for c in runnable)


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sufficiency.datasets import write_example

    write_example(tmp_path, scenarios=True)  # scenarios/baseline.yaml, outside a checkout
    monkeypatch.chdir(tmp_path)
    (code,) = _blocks("python")
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "out" / "report.html").is_file()
