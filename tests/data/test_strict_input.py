"""Strict input that is accepted: declared number formats, English thousands, and the
plausibility checks that warn rather than refuse."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import DataError, ScenarioError

from conftest import tiny_scenario_dict, tiny_tables


def _settings_cost(tables: dict[str, pd.DataFrame], **formats: dict[str, str]) -> pd.Series:
    sc = tiny_scenario_dict()
    sc["data"]["number_formats"] = formats
    inputs = load_inputs(load_scenario(sc), tables=tables)
    return inputs.settings.set_index("setting")["cost_per_place"]


def test_declared_decimal_comma_reads_european_numbers() -> None:
    tables = tiny_tables()
    settings = tables["settings"].astype(str)
    settings["cost_per_place"] = ["8.000,00", "29.610,50", "60000"]
    settings["places"] = ["", "1.000", "50"]
    tables["settings"] = settings
    cost = _settings_cost(tables, settings={"decimal": ","})
    assert cost.to_dict() == {"MS1": 8000.0, "SS1": 29610.5, "IND1": 60000.0}


def test_declared_format_with_space_thousands() -> None:
    tables = tiny_tables()
    settings = tables["settings"].astype(str)
    settings["cost_per_place"] = ["8 000", "29 610,5", "£60 000"]
    tables["settings"] = settings
    cost = _settings_cost(tables, settings={"decimal": ",", "thousands": " "})
    assert cost.to_dict() == {"MS1": 8000.0, "SS1": 29610.5, "IND1": 60000.0}


def test_english_thousands_and_pounds_are_read() -> None:
    tables = tiny_tables()
    settings = tables["settings"].astype(str)
    settings["cost_per_place"] = ["£8,000", "29,610.50", " 1,060,000 "]
    tables["settings"] = settings
    cost = _settings_cost(tables)
    assert cost.to_dict() == {"MS1": 8000.0, "SS1": 29610.5, "IND1": 1_060_000.0}


def test_numbers_in_a_workbook_ignore_the_declared_format(tmp_path) -> None:
    """Numeric cells are numbers already: a declared decimal comma applies to text only."""
    tables = tiny_tables()
    tables["settings"]["cost_per_place"] = [8000.5, 29610.25, 60000.0]
    book = tmp_path / "settings.xlsx"
    tables["settings"].to_excel(book, index=False)
    tables["settings"] = book  # type: ignore[assignment]
    cost = _settings_cost(tables, settings={"decimal": ","})
    assert cost.to_dict() == {"MS1": 8000.5, "SS1": 29610.25, "IND1": 60000.0}


def test_every_problem_of_a_table_is_reported_together() -> None:
    tables = tiny_tables()
    cl = tables["caseload"].astype(str)
    cl.loc[0, "children"] = "1,5"
    cl.loc[1, "children"] = "inf"
    cl.loc[2, "children"] = "2e6"
    tables["caseload"] = cl
    with pytest.raises(DataError) as err:
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    text = str(err.value)
    assert "decimal comma" in text and "not a finite number" in text and "maximum" in text
    assert len(err.value.problems) == 3


def test_non_finite_refused_in_a_scenario_mapping() -> None:
    sc = tiny_scenario_dict()
    sc["allocation"] = {"unmet_penalty_gbp": float("inf")}
    sc["levers"] = {"budget": {"gbp_by_year": {2026: float("nan")}}}
    with pytest.raises(ScenarioError) as err:
        load_scenario(sc)
    text = str(err.value)
    assert "allocation.unmet_penalty_gbp" in text and "finite number" in text
    assert "levers.budget.gbp_by_year.2026" in text


def test_more_plans_than_residents_warns_naming_rows(caplog: pytest.LogCaptureFixture) -> None:
    tables = tiny_tables()
    pop = tables["population"]
    pop.loc[(pop["year"] == 2025) & (pop["age"] == 12), "population"] = 10
    with caplog.at_level(logging.WARNING, logger="sufficiency.data"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    (message,) = [r.getMessage() for r in caplog.records if "residents" in r.getMessage()]
    assert "18 EHC plans at age 12 in 2025" in message
    # DataFrames are named by position (0-based): 2025 is the fifth year of four rows
    assert "caseload table: 18 EHC plans at age 12 in 2025 (rows 16, 17, 18 …)" in message
    assert "the 10 residents of that age (population table, row 116)" in message


def test_a_tenfold_jump_warns_naming_the_year(caplog: pytest.LogCaptureFixture) -> None:
    tables = tiny_tables()
    cl = tables["caseload"]
    cl.loc[cl["year"] == 2024, "children"] *= 12
    with caplog.at_level(logging.WARNING, logger="sufficiency.data"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    jumps = [r.getMessage() for r in caplog.records if "×" in r.getMessage()]
    assert any("216 in 2024 against 18 in 2023 (×12.0)" in m for m in jumps), jumps
    assert any("18 in 2025 against 216 in 2024 (×0.1)" in m for m in jumps), jumps


def test_plausible_inputs_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sufficiency.data"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tiny_tables())
    assert not caplog.records


def test_csv_saved_by_excel_with_a_byte_order_mark(tmp_path) -> None:
    tables: dict = tiny_tables()
    path = tmp_path / "settings.csv"
    path.write_bytes(b"\xef\xbb\xbf" + tables["settings"].to_csv(index=False).encode())
    tables["settings"] = path
    assert _settings_cost(tables)["SS1"] == 30000.0


def test_lines_ending_with_a_comma_read_as_without(tmp_path) -> None:
    """An export that ends every line with a comma: empty cells beyond the header only."""
    tables: dict = tiny_tables()
    text = tables["settings"].to_csv(index=False)
    header, *rows = text.splitlines()
    path = tmp_path / "settings.csv"
    path.write_text("\n".join([header, *(row + "," for row in rows)]) + "\n")
    tables["settings"] = path
    assert _settings_cost(tables)["SS1"] == 30000.0


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # a title above the header
        (lambda header, rows: ["Settings register", "", header, *rows], "line 3 has 10 cells"),
        # one cell with a comma, not in quotes: its line is one cell wider than the others
        (
            lambda header, rows: [
                header,
                rows[0].replace("Mainstream ", "Mainstream, "),
                *rows[1:],
            ],
            "line 2 has 11 cells where the header \\(line 1\\) has 10",
        ),
        # a comma ending one line only: the same, never read by dropping a cell
        (lambda header, rows: [header, rows[0] + ",", *rows[1:]], "line 2 has 11 cells"),
    ],
)
def test_a_line_wider_than_the_header_is_refused_where_it_is(tmp_path, change, said) -> None:
    tables: dict = tiny_tables()
    header, *rows = tables["settings"].to_csv(index=False).splitlines()
    assert len(header.split(",")) == 10 and "Mainstream " in rows[0]
    path = tmp_path / "settings.csv"
    path.write_text("\n".join(change(header, rows)) + "\n")
    tables["settings"] = path
    with pytest.raises(DataError, match=f"settings.csv: cannot read the table: {said}"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)


def _only_problem(tables: dict) -> str:
    """The message of the one problem loading ``tables`` finds."""
    with pytest.raises(DataError) as caught:
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    (problem,) = caught.value.problems
    return problem.message


def test_a_workbook_with_a_title_above_the_header_says_where_the_header_is(tmp_path) -> None:
    tables: dict = tiny_tables()
    path = tmp_path / "settings.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Settings register, January 2025"]]).to_excel(
            writer, index=False, header=False
        )
        tables["settings"].to_excel(writer, index=False, startrow=2)
    tables["settings"] = path
    assert _only_problem(tables).endswith(
        "the table's header looks to be on row 3: delete the rows above it (a title or notes) "
        "so the header is the first row"
    )


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_csv_saved_by_excel_on_windows_in_its_own_encoding(tmp_path, encoding: str) -> None:
    """Excel's plain "CSV (Comma delimited)" is Windows-1252 on an English Windows, its
    "Unicode Text" UTF-16."""
    tables: dict = tiny_tables()
    tables["settings"].loc[0, "name"] = "St Mary’s C of E (£)"
    path = tmp_path / "settings.csv"
    path.write_bytes(tables["settings"].to_csv(index=False).encode(encoding))
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    tables["settings"] = path
    inputs = load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    assert inputs.settings.set_index("setting").loc["MS1", "name"] == "St Mary’s C of E (£)"


def test_a_dataframe_with_one_column_twice_is_refused() -> None:
    tables: dict = tiny_tables()
    tables["settings"] = tables["settings"].assign(**{"Places ": tables["settings"]["places"]})
    with pytest.raises(DataError, match=r"the column 'places' is given twice \(positions 4 and"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)


def test_a_workbook_whose_first_sheet_is_not_the_table_names_its_sheets(tmp_path) -> None:
    tables: dict = tiny_tables()
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notes": ["Settings register, January 2025"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        tables["settings"].to_excel(writer, sheet_name="Settings", index=False)
    tables["settings"] = path
    assert _only_problem(tables).endswith(
        "this is the workbook's first sheet, and it has others (Settings): name the table's "
        "as book.xlsx#Settings"
    )
    tables["settings"] = f"{path}#Settings"
    assert load_inputs(load_scenario(tiny_scenario_dict()), tables=tables).settings is not None


def test_headers_written_with_spaces_or_hyphens_are_the_columns_they_name() -> None:
    """``Planning area`` and ``Transport per place`` are read as ``planning_area`` and
    ``transport_per_place`` (before, the first was left aside without a word: the
    register's planning areas lost from every report)."""
    tables = tiny_tables()
    settings = tables["settings"].copy()
    settings["planning_area"] = ["North", "South", "North"]
    settings = settings.rename(
        columns={"planning_area": "Planning area", "transport_per_place": "Transport-per place"}
    )
    tables["settings"] = settings
    got = load_inputs(load_scenario(tiny_scenario_dict()), tables=tables).settings
    assert got.set_index("setting")["planning_area"].to_dict() == {
        "MS1": "North",
        "SS1": "South",
        "IND1": "North",
    }
    assert (
        got["transport_per_place"].tolist()
        == tiny_tables()["settings"]["transport_per_place"].tolist()
    )


@pytest.mark.parametrize(
    ("rename", "meant"),
    [
        ({"transport_per_place": "transport"}, "'transport_per_place'"),
        ({"place_funding": "place_funding (£k)"}, "'place_funding'"),
        ({"planning_area": "planing_area"}, "'planning_area'"),
    ],
)
def test_a_column_meant_for_one_read_is_refused_in_a_scenario_table(
    rename: dict[str, str], meant: str
) -> None:
    tables = tiny_tables()
    settings = tables["settings"].copy()
    settings["place_funding"] = [0, 10000, 0]
    settings["planning_area"] = ["North", "South", "North"]
    tables["settings"] = settings.rename(columns=rename)
    with pytest.raises(DataError) as caught:
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    first = caught.value.problems[0]  # then, for a required column, that it is missing
    assert first.where.endswith(f"column {next(iter(rename.values())).replace(' ', '_')!r}")
    assert f"did you mean {meant}?" in first.message


def test_a_column_no_table_reads_is_left_aside() -> None:
    """A column like none the table reads (notes) is the user's to keep: no problem."""
    tables = tiny_tables()
    tables["settings"] = tables["settings"].assign(notes=["a", "b", "c"])
    load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)


def test_a_column_describing_one_read_beside_it_is_left_aside() -> None:
    """``need_description`` beside ``need`` describes it (kept aside, no problem);
    ``places_2026`` beside ``places`` is a year's figures in a column of their own
    (refused: one row per setting and year goes in setting_places)."""
    tables = tiny_tables()
    caseload = tables["caseload"]
    tables["caseload"] = caseload.assign(need_description="described")
    load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    tables = tiny_tables()
    tables["settings"] = tables["settings"].assign(places_2026=[None, 5, 5])
    assert "did you mean 'places'?" in _only_problem(tables)


def test_a_settings_need_named_with_a_comma_is_one_need() -> None:
    """'Social, emotional and mental health' is SEMH, not 'Social' (unknown) and the rest
    (before, every comma split the list)."""
    tables = tiny_tables()
    settings = tables["settings"].astype(object)
    settings.loc[1, "needs"] = "Social, emotional and mental health; Autism"
    tables["settings"] = settings
    got = load_inputs(load_scenario(tiny_scenario_dict()), tables=tables).settings
    assert tuple(got.loc[1, "needs"]) == ("SEMH", "ASD")


def test_a_workbook_with_hidden_rows_is_refused(tmp_path) -> None:
    """Rows hidden by a filter are read like the others (by pandas, and in every CSV Excel
    saves): a settings sheet filtered to the open settings counted the closed ones too.
    Refused naming the rows; a hidden row below the data (none read) is not."""
    import openpyxl

    tables = tiny_tables()
    book = tmp_path / "settings.xlsx"
    tables["settings"].to_excel(book, index=False, sheet_name="Settings")
    wb = openpyxl.load_workbook(book)
    wb["Settings"].row_dimensions[3].hidden = True
    wb["Settings"].auto_filter.ref = "A1:B4"
    wb.save(book)
    tables["settings"] = book  # type: ignore[assignment]
    with pytest.raises(DataError, match=r"settings.xlsx: row 3 is hidden \(by a filter"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    tables["settings"] = f"{book}#Settings"  # type: ignore[assignment]
    with pytest.raises(DataError, match=r"settings.xlsx, sheet 'Settings': row 3 is hidden"):
        load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)
    wb["Settings"].row_dimensions[3].hidden = False
    wb["Settings"].row_dimensions[40].hidden = True
    wb.save(book)
    load_inputs(load_scenario(tiny_scenario_dict()), tables=tables)


def test_hidden_rows_of_a_sheet_written_with_prefixed_tags(tmp_path) -> None:
    """Writers other than Excel (the Open XML SDK) prefix their tags (<x:row>)."""
    import zipfile

    from sufficiency.data.tables import hidden_rows

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<x:workbook xmlns:x="{main}" xmlns:r="{rel}"><x:sheets>'
            '<x:sheet name="Data" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId7" Target="worksheets/data.xml" Type="worksheet"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/data.xml",
            f'<x:worksheet xmlns:x="{main}"><x:sheetData><x:row r="1"/>'
            '<x:row r="2" hidden="1"/><x:row r="3"/><x:row r="4" hidden="true"/>'
            "</x:sheetData><x:rowBreaks/></x:worksheet>",
        )
    assert hidden_rows(book, "Data") == [2, 4] == hidden_rows(book, 0)
    assert hidden_rows(book, "Other") == [] and hidden_rows(tmp_path / "none.xlsx") == []


def test_money_written_in_thousands_or_millions_warns(caplog: pytest.LogCaptureFixture) -> None:
    """Money is pounds: a special school's place at £29.6 a year (meant £29,600), a
    capital cost of £14 (meant £14m) or a budget of £60 (meant £60m) would make places
    nearly free, or every year over budget. Allowed, and each said, naming where."""
    tables = tiny_tables()
    settings = tables["settings"] = tables["settings"].astype({"cost_per_place": float})
    special = settings.index[settings["tier"] == "special_school"][0]
    settings.loc[special, "cost_per_place"] = 29.6
    sc = tiny_scenario_dict()
    sc["levers"] = {"budget": {"base_gbp": 60}}
    sc["capital"] = {
        "options": [
            {
                "name": "new_special",
                "expands": str(settings.loc[special, "setting"]),
                "places": 60,
                "earliest_year": 2026,
                "capital_cost_gbp": 14,
                "cost_per_place_gbp": 27,
            }
        ]
    }
    with caplog.at_level(logging.WARNING, logger="sufficiency.data"):
        load_inputs(load_scenario(sc), tables=tables)
    said = [r.getMessage() for r in caplog.records if "implausible input" in r.getMessage()]
    assert len(said) == 4, said
    assert f"1 specialist setting(s) ({settings.loc[special, 'setting']};" in said[0]
    assert "capital.options[0] (new_special).cost_per_place_gbp is £27.00" in said[1]
    assert "capital.options[0] (new_special).capital_cost_gbp is £14.00 for 60 places" in said[2]
    assert "levers.budget.base_gbp is £60.00: amounts are £, not £ millions" in said[3]
