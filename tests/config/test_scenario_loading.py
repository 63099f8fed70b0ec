import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency.config import json_schema, load_scenario, scenario_provenance
from sufficiency.errors import ScenarioError

BASE = {
    "name": "base",
    "data": {
        "caseload": "d/caseload.csv",
        "population": "d/population.csv",
        "settings": "d/settings.csv",
        "cost_assumptions": "d/costs.csv",
    },
    "base_year": 2025,
}


def write(path: Path, content: dict) -> Path:
    path.write_text(yaml.safe_dump(content))
    return path


def test_paths_resolved_relative_to_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    s = load_scenario(write(tmp_path / "sub" / "a.yaml", BASE))
    assert s.data.caseload == (tmp_path / "sub" / "d" / "caseload.csv").resolve()
    assert s.horizon_years == 10 and s.plan_years[0] == 2026


@pytest.mark.skipif(os.sep != "/", reason="Windows reads its own separators")
def test_paths_written_on_windows_read_where_slash_separates(tmp_path: Path) -> None:
    """A scenario written on a council's Windows desktop runs on a Linux server unchanged;
    a file whose very name holds the backslash is still the one named."""
    (tmp_path / "sub").mkdir()
    write(tmp_path / "base.yaml", BASE)
    top = tmp_path / "sub" / "a.yaml"
    top.write_text("extends: ..\\base.yaml\ndata:\n  caseload: d\\plans.csv\n")
    s = load_scenario(top)
    assert s.data.caseload == (tmp_path / "sub" / "d" / "plans.csv").resolve()
    assert s.data.settings == (tmp_path / "d" / "settings.csv").resolve()  # from base.yaml
    (tmp_path / "sub" / "d\\plans.csv").write_text("")  # a file of that very name
    assert load_scenario(top).data.caseload == (tmp_path / "sub" / "d\\plans.csv").resolve()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_scenario_read_in_the_encoding_it_was_saved_in(tmp_path: Path, encoding: str) -> None:
    """Notepad saves "UTF-8", "UTF-8 with BOM", "Unicode" (UTF-16) or "ANSI" (Windows-1252):
    a scenario with a £ in it reads the same from each (it stopped at 'utf-8' codec can't
    decode byte 0xff / 0xa3 before)."""
    path = tmp_path / "a.yaml"
    text = yaml.safe_dump({**BASE, "description": "£2m from 2027"}, allow_unicode=True)
    assert "£" in text
    path.write_text(text, encoding=encoding)
    assert load_scenario(path).description == "£2m from 2027"


def test_unknown_key_named_with_suggestion(tmp_path: Path) -> None:
    bad = {**BASE, "forecast": {"mehtod": "drift"}}
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path / "a.yaml", bad))
    text = str(err.value)
    assert "forecast.mehtod" in text and "did you mean 'method'" in text and "a.yaml" in text


def test_frozen(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path / "a.yaml", BASE))
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        s.base_year = 2020  # type: ignore[misc]


def test_extends_and_overrides(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", {**BASE, "horizon_years": 5})
    child = {
        "extends": parent.name,
        "name": "child",
        "overrides": {
            "glm": {"forecast": {"method": "poisson_glm"}},
            "long": {"horizon_years": 12},
            "naive": {"forecast.method": "naive"},
        },
        "scenarios": {"long_glm": ["glm", "long"], "clash": ["glm", "naive"]},
    }
    path = write(tmp_path / "child.yaml", child)
    s = load_scenario(path)
    assert s.name == "child" and s.horizon_years == 5
    assert s.data.caseload == (tmp_path / "d" / "caseload.csv").resolve()
    s2 = load_scenario(path, scenario="long_glm")
    assert s2.horizon_years == 12 and s2.forecast.method == "poisson_glm"
    assert s2.name == "long_glm"
    assert scenario_provenance(s2)["applied_overrides"] == ["glm", "long"]
    # --set beats overrides
    s3 = load_scenario(path, scenario="long_glm", set_values=["horizon_years=7"])
    assert s3.horizon_years == 7
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, scenario="clash")
    assert "forecast.method" in str(err.value) and "'glm'" in str(err.value)
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'"):
        load_scenario(path, scenario="nope")


def test_extends_loop(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", {**BASE, "extends": "b.yaml"})
    write(tmp_path / "b.yaml", {**BASE, "extends": "a.yaml"})
    with pytest.raises(ScenarioError, match="loop"):
        load_scenario(tmp_path / "a.yaml")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nbase_year: [2025\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert "bad.yaml, line" in str(err.value)


def test_value_error_names_path_and_value(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path / "a.yaml", {**BASE, "horizon_years": -3}))
    assert "horizon_years" in str(err.value) and "-3" in str(err.value)


def test_schema_documents_units() -> None:
    schema = json_schema()
    props = schema["$defs"]["AllocationOptions"]["properties"]
    assert "£" in props["unmet_penalty_gbp"]["description"]
    assert "seconds" in props["time_limit_seconds"]["description"]
    assert schema["additionalProperties"] is False


@settings(max_examples=30, deadline=None)
@given(
    horizon=st.integers(1, 30),
    level=st.floats(0.05, 0.95),
    method=st.sampled_from(["poisson_glm", "naive", "drift", "auto"]),
)
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, horizon: int, level: float, method: str
) -> None:
    d = tmp_path_factory.mktemp("rt")
    s = load_scenario(
        write(
            d / "a.yaml",
            {
                **BASE,
                "horizon_years": horizon,
                "forecast": {"method": method, "interval_level": level},
            },
        )
    )
    again = load_scenario(write(d / "b.yaml", s.model_dump(mode="json")))
    assert again.model_dump() == s.model_dump()
