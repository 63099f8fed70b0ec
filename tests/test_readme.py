"""The README's scenario reference is the one generated from the schema."""

import re
from pathlib import Path

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
