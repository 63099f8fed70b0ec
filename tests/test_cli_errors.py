"""Bad input: one clear message naming the place, a non-zero exit, no traceback, no output."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sufficiency.cli import main

from conftest import tiny_scenario_dict, tiny_tables


def run_cli(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    out = tmp_path / "out"
    code = main(["--quiet", "run", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert not out.exists(), "a failed run must not leave an output folder"
    assert "Traceback" not in err
    return code, err


def test_misspelt_key(write_tiny, tmp_path, capsys) -> None:
    sc = tiny_scenario_dict()
    sc["allocation"] = {"solvr": "highs"}
    code, err = run_cli(write_tiny(scenario=sc), tmp_path, capsys)
    assert code == 2
    assert "scenario.yaml: allocation.solvr" in err and "did you mean 'solver'" in err


def test_unknown_need_label(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["caseload"].loc[3, "need"] = "Dragon riding"
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2
    assert "caseload.csv, row 5, column 'need'" in err and "'Dragon riding'" in err
    assert "accepted" in err and "SEMH" in err


def test_negative_capacity(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["settings"].loc[1, "places"] = -4
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2
    assert "settings.csv, row 3, column 'places'" in err and "below the minimum 0" in err


def test_missing_data_file(write_tiny, tmp_path, capsys) -> None:
    sc = tiny_scenario_dict()
    sc["data"]["population"] = "data/nowhere.csv"
    code, err = run_cli(write_tiny(scenario=sc), tmp_path, capsys)
    assert code == 2
    assert "data.population" in err and "nowhere.csv" in err and "not found" in err


def test_missing_column(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["settings"] = tables["settings"].drop(columns=["cost_per_place"])
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2
    assert "settings.csv" in err and "missing column(s): cost_per_place" in err


def test_non_numeric_count(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["caseload"]["children"] = tables["caseload"]["children"].astype(object)
    tables["caseload"].loc[6, "children"] = "twelve"
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2
    assert "caseload.csv, row 8, column 'children'" in err and "'twelve'" in err


def test_every_problem_reported_at_once(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["caseload"]["children"] = tables["caseload"]["children"].astype(object)
    tables["caseload"].loc[0, "children"] = "x"
    tables["caseload"].loc[1, "need"] = "Dragons"
    tables["settings"].loc[0, "age_min"] = 40
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2
    assert "row 2, column 'children'" in err and "'Dragons'" in err and "age_min" in err


def test_unknown_setting_in_caseload(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    tables["caseload"].loc[0, "setting"] = "ZZZ"
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2 and "'ZZZ' is not in the settings register" in err


def test_population_gap(write_tiny, tmp_path, capsys) -> None:
    tables = tiny_tables()
    pop = tables["population"]
    tables["population"] = pop[pop["year"] != 2027]
    code, err = run_cli(write_tiny(tables), tmp_path, capsys)
    assert code == 2 and "population" in err and "2027" in err


def test_validate_ok_and_failure(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    assert main(["--quiet", "validate", str(path)]) == 0
    assert "is valid" in capsys.readouterr().out
    sc = yaml.safe_load(path.read_text())
    sc["base_year"] = "soon"
    path.write_text(yaml.safe_dump(sc))
    assert main(["--quiet", "validate", str(path)]) == 2
    assert "base_year" in capsys.readouterr().err


def test_excel_and_parquet_inputs(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    data = path.parent / "data"
    pd.read_csv(data / "settings.csv").to_excel(data / "settings.xlsx", index=False)
    pd.read_csv(data / "caseload.csv").to_parquet(data / "caseload.parquet")
    sc = yaml.safe_load(path.read_text())
    sc["data"]["settings"] = "data/settings.xlsx"
    sc["data"]["caseload"] = "data/caseload.parquet"
    path.write_text(yaml.safe_dump(sc))
    out = tmp_path / "ok"
    assert main(["--quiet", "run", str(path), "--out", str(out), "--no-report"]) == 0
    assert (out / "placements.csv").is_file()


def _options_taking_one_value() -> list[tuple[str, str, str, str]]:
    """Each command's options that take one value, with two values each accepts."""
    import argparse

    from sufficiency.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = []
    for command, p in sub.choices.items():
        for action in p._actions:
            if type(action).__name__ != "_Once" and not (
                isinstance(action, argparse._StoreAction) and action.option_strings
            ):
                continue
            values = (
                [str(c) for c in list(action.choices)[:2]]
                if action.choices
                else ["1", "2"]
                if action.type in (int, float)
                else ["first", "second"]
            )
            out.append((command, action.option_strings[-1], *values))
    return out


@pytest.mark.parametrize(("command", "option", "first", "second"), _options_taking_one_value())
def test_an_option_taking_one_value_given_twice_is_refused(
    command: str, option: str, first: str, second: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--costs A --costs B`` read B alone (argparse keeps the last), A left aside without
    a word: every option of every command that takes one value is refused when repeated,
    naming both values, before anything is read or written."""
    with pytest.raises(SystemExit) as stop:
        main([command, option, first, option, second])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert f"{option} given twice ({first} and {second}): give it once" in said


def test_options_taking_one_value_are_found() -> None:
    """The list above is not empty by accident: the council's files are among it."""
    found = {(c, o) for c, o, _, _ in _options_taking_one_value()}
    assert {("init", "--costs"), ("init", "--places"), ("run", "--out")} <= found


@pytest.mark.parametrize("command", ["run", "validate", "forecast", "compare", "sweep"])
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("forecast.method=auto", "forecast.method=flows"),
        ("forecast={method: auto}", "forecast.method=flows"),
        ("forecast.method=flows", "forecast={method: auto}"),
    ],
)
def test_a_key_set_twice_is_refused(
    command: str, first: str, second: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Of two --set for one key (or a key and one inside it), the last silently won."""
    with pytest.raises(SystemExit) as stop:
        main([command, "x.yaml", "--set", first, "--set", second])
    assert stop.value.code == 2
    key = second.partition("=")[0]
    said = capsys.readouterr().err
    assert f"--set {key} given twice ({first} and {second}): give each key once" in said
