"""The register of establishments: settings keyed by URN, units beside their host, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sufficiency import taxonomy
from sufficiency.errors import DataError, DataWarning
from sufficiency.example.sen2_export import REGISTER_COLUMNS
from sufficiency.sources.council import read_costs
from sufficiency.sources.gias import read_gias, read_places


def _row(urn: int, la: str, name: str, kind: str, low: int, high: int, **extra: object) -> dict:
    row = dict.fromkeys(REGISTER_COLUMNS, "")
    row.update(
        {
            "URN": urn,
            "LA (code)": la,
            "EstablishmentName": name,
            "TypeOfEstablishment (name)": kind,
            "EstablishmentStatus (name)": "Open",
            "StatutoryLowAge": low,
            "StatutoryHighAge": high,
        }
    )
    row.update(extra)
    return row


@pytest.fixture
def register(tmp_path: Path) -> Path:
    asd = {"SEN1 (name)": "ASD - Autistic Spectrum Disorder"}
    sld = {
        "SEN1 (name)": "SLD - Severe Learning Difficulty",
        "SEN2 (name)": "PMLD - Profound and Multiple Learning Difficulty",
    }
    closed = {"EstablishmentStatus (name)": "Closed"}
    rows = [
        _row(100001, "900", "St Bartholomew's Primary", "Voluntary aided school", 4, 11),
        _row(
            100002, "900", "Brackley Academy", "Academy converter", 11, 18,
            ResourcedProvisionCapacity=14, SenUnitCapacity=8, **asd,
        ),
        _row(
            100003, "900", "Hollins Special", "Community special school", 2, 19,
            SchoolCapacity=120, **sld,
        ),
        _row(
            100004, "901", "Moorside Independent", "Other independent special school", 8, 19,
            SchoolCapacity=40,
        ),
        _row(100005, "901", "Far Primary", "Community school", 4, 11),
        _row(100006, "900", "Ashworth College", "Further education", 14, 99),
        _row(100007, "900", "Old School", "Community school", 4, 11, **closed),
        _row(100008, "900", "Café Nursery", "Local authority nursery school", 2, 5),
    ]  # fmt: skip
    path = tmp_path / "edubasealldata20250101.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="cp1252")
    return path


def test_settings_from_the_register(register: Path) -> None:
    s = read_gias(register, "900", attended=["100004"]).set_index("setting")
    # in the LA and open, plus the out-of-area school attended; not the far or closed ones
    assert set(s.index) == {
        "100001", "100002", "100002-RP", "100002-SU", "100003", "100004", "100006", "100008",
    }  # fmt: skip
    assert s.loc["100001", "tier"] == "sen_support"
    assert s.loc["100001", "establishment_type"] == "mainstream_la_maintained"
    assert (s.loc["100001", "age_min"], s.loc["100001", "age_max"]) == (4, 10)
    assert pd.isna(s.loc["100001", "places"])
    assert s.loc["100002-RP", "tier"] == "enhanced_resource"
    assert s.loc["100002-RP", "places"] == 14 and s.loc["100002-SU", "places"] == 8
    assert s.loc["100002-SU", "establishment_type"] == "mainstream_academy_senunit"
    assert s.loc["100002-RP", "needs"] == "ASD"
    # the register's SEN names predate DS (2025): a school for learning difficulties meets it
    assert s.loc["100003", "needs"] == "SLD;PMLD;DS" and s.loc["100003", "places"] == 120
    assert s.loc["100003", "tier"] == "special_school"
    assert s.loc["100004", "in_area"] == "no" and s.loc["100004", "tier"] == "independent"
    # FE colleges take no one under 16 whatever the register says
    assert (s.loc["100006", "age_min"], s.loc["100006", "age_max"]) == (16, 25)
    assert s.loc["100008", "name"] == "Café Nursery"  # Windows-1252 as published
    for e in s["establishment_type"]:
        assert e in taxonomy.ESTABLISHMENT_TYPES


def test_place_numbers_win(register: Path, tmp_path: Path) -> None:
    f = tmp_path / "places.csv"
    f.write_text("URN,places,needs\n100003,96,SLD;PMLD;ASD\n100002-RP,10,\n")
    s = read_gias(register, "900", places=read_places(f)).set_index("setting")
    # place numbers naming no DS predate the code: learning-difficulty places meet DS
    assert s.loc["100003", "places"] == 96 and s.loc["100003", "needs"] == "SLD;PMLD;ASD;DS"
    assert s.loc["100002-RP", "places"] == 10 and s.loc["100002-RP", "needs"] == "ASD"
    assert s.loc["100003", "places_from"] == "place numbers"
    # a table naming DS anywhere is read as written
    f.write_text("URN,places,needs\n100003,96,SLD;PMLD\n100002-RP,10,ASD;DS\n")
    s = read_gias(register, "900", places=read_places(f)).set_index("setting")
    assert s.loc["100003", "needs"] == "SLD;PMLD" and s.loc["100002-RP", "needs"] == "ASD;DS"


def test_places_on_the_host_of_a_unit_are_refused(register: Path, tmp_path: Path) -> None:
    """A council's list of resourced places by school URN: 100002 is the mainstream
    academy, its resourced provision 100002-RP. Read as given, 14 places would cap the
    academy's children with plans (38 pushed out in a year, on the bundled borough)."""
    f = tmp_path / "places.csv"
    f.write_text("URN,places\n100003,96\n100002,14\n")
    with pytest.raises(DataError) as raised:
        read_gias(register, "900", places=read_places(f))
    (problem,) = raised.value.problems
    assert problem.where == f"{f}, row 3"
    assert "100002-RP" in problem.message and "100002-SU" in problem.message
    # beside a row for its unit, the school's own row is meant: read as given
    f.write_text("URN,places\n100002,300\n100002-RP,12\n")
    s = read_gias(register, "900", places=read_places(f)).set_index("setting")
    assert s.loc["100002", "places"] == 300 and s.loc["100002-RP", "places"] == 12
    # a school without a unit: its row is its own
    f.write_text("URN,places\n100001,30\n")
    assert (
        read_gias(register, "900", places=read_places(f))
        .set_index("setting")
        .loc["100001", "places"]
        == 30
    )


def test_same_urn_twice_is_an_error(register: Path) -> None:
    frame = pd.read_csv(register, dtype=str, encoding="cp1252", keep_default_na=False)
    pd.concat([frame, frame.iloc[[2]]]).to_csv(register, index=False, encoding="cp1252")
    with pytest.raises(DataError, match=r"row 4, column 'URN': URN 100003 repeated"):
        read_gias(register, "900")


def test_a_register_with_a_header_alone_is_an_error(register: Path) -> None:
    """Every child would go to a setting not in it (it was a warning per URN); so for
    place numbers and costs given with a header alone (the national figures would stand)."""
    frame = pd.read_csv(register, dtype=str, encoding="cp1252", keep_default_na=False)
    frame.iloc[:0].to_csv(register, index=False, encoding="cp1252")
    with pytest.raises(DataError, match=r"\(register of establishments\): no rows, only a"):
        read_gias(register, "900", attended=["100001"])
    places = register.parent / "places.csv"
    places.write_text("urn,places\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"places.csv \(place numbers\): no rows"):
        read_places(places)
    costs = register.parent / "costs.csv"
    costs.write_text("urn,top_up\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"costs.csv \(costs\): no rows"):
        read_costs(costs)


def test_closed_school_attended_is_a_warning(register: Path) -> None:
    with pytest.warns(DataWarning, match=r"URN 100007 \(Old School, row 8: Closed\)"):
        s = read_gias(register, "900", attended=["100007"])
    assert "100007" in set(s["setting"])


def test_missing_column_named(register: Path) -> None:
    frame = pd.read_csv(register, dtype=str, encoding="cp1252").drop(columns="StatutoryLowAge")
    frame.to_csv(register, index=False, encoding="cp1252")
    with pytest.raises(DataError, match="column 'StatutoryLowAge' missing"):
        read_gias(register, "900")


def test_bad_place_numbers(tmp_path: Path) -> None:
    f = tmp_path / "places.csv"
    f.write_text("urn,places,needs\n1,ten,\n2,3,Autism;XYZ\n2,4,\n")
    with pytest.raises(DataError) as err:
        read_places(f)
    text = str(err.value)
    assert "row 2, column 'places': 'ten'" in text
    assert "row 3, column 'needs': unknown need 'XYZ'" in text
    assert "row 4, column 'urn': 2 twice" in text
    # English thousands are a number; a decimal comma or a stray comma is not
    f.write_text('urn,places\n1,"1,200"\n2,"12,5"\n3,"1,20"\n')
    with pytest.raises(DataError) as err:
        read_places(f)
    assert [p.where.rsplit(", ", 2)[1] for p in err.value.problems] == ["row 3", "row 4"]
    f.write_text('urn,places\n1,"1,200"\n2,12\n')
    assert read_places(f)["places"].tolist() == [1200, 12]


def test_place_numbers_separated_by_semicolons_or_tabs(tmp_path: Path) -> None:
    f = tmp_path / "places.csv"
    for mark, name in ((";", "semicolons"), ("\t", "tabs")):
        f.write_text(f"urn{mark}places{mark}needs\n1{mark}10{mark}Autism,SEMH\n")
        with pytest.raises(DataError, match=f"places.csv: the columns are separated by {name}"):
            read_places(f)
    f.write_text("urn,places,needs\n1,10,Autism;SEMH\n")  # ';' between needs is fine
    assert read_places(f)["places"].tolist() == [10]


def test_place_numbers_with_a_column_twice_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "places.csv"
    f.write_text("urn,places,Places\n1,10,12\n")
    with pytest.raises(DataError, match=r"the column 'places' is given twice \(columns B and C\)"):
        read_places(f)


def test_place_numbers_read_as_the_input_tables_are(tmp_path: Path) -> None:
    """A council's own file goes through the input tables' reader: lines that all end with
    a comma read as without it; one line wider than the header is named."""
    f = tmp_path / "places.csv"
    f.write_text("urn,places\n1,10,\n2,12,\n")
    assert read_places(f)["places"].tolist() == [10, 12]
    f.write_text("urn,places\n1,10,x\n2,12\n")
    with pytest.raises(DataError, match=r"places\.csv: cannot read the place numbers: line 2"):
        read_places(f)


def test_a_total_row_in_place_numbers_is_named(register: Path, tmp_path: Path) -> None:
    """A council's spreadsheet often ends with a total: with no URN it is a row error, with
    'Total' in the URN column the register does not know it; either way the file and row
    are named (before, 'places: setting ' named neither)."""
    f = tmp_path / "places.csv"
    f.write_text("urn,places\n100003,96\n,96\n")
    with pytest.raises(DataError) as raised:
        read_places(f)
    assert [p.where for p in raised.value.problems] == [f"{f}, row 3, column 'urn'"]
    assert "no urn (a total or notes row?" in raised.value.problems[0].message
    f.write_text("urn,places\n100003,96\nTotal,96\n")
    with pytest.raises(DataError) as raised:
        read_gias(register, "900", places=read_places(f))
    assert str(f) in str(raised.value)
    assert [(p.where, p.message) for p in raised.value.problems] == [
        (f"{f}, row 3", "setting Total")
    ]


def test_empty_rows_below_a_councils_file_are_left_out(tmp_path: Path) -> None:
    """Excel keeps the rows once formatted below the data (',,'): they hold nothing and are
    left out of place numbers and costs alike (each was refused as 'no urn'); a blank row
    among the data is still refused at its own row."""
    places = tmp_path / "places.csv"
    places.write_text("urn,places\n100003,96\n100002,10\n,\n , \n")
    assert read_places(places)["places"].tolist() == [96, 10]
    costs = tmp_path / "costs.csv"
    costs.write_text("urn,top_up\n100003,15000\n,\n")
    assert read_costs(costs)["top_up"].tolist() == [15000.0]
    places.write_text("urn,places\n100003,96\n,\n100002,10\n")
    with pytest.raises(DataError) as raised:
        read_places(places)
    assert [p.where for p in raised.value.problems][-1] == f"{places}, row 3, column 'urn'"
    places.write_text("urn,places\n,\n,\n")
    with pytest.raises(DataError, match="no rows, only a header"):
        read_places(places)


def test_place_numbers_from_a_workbook(register: Path, tmp_path: Path) -> None:
    """Place numbers kept in Excel are read as the CSV is (numbers as they show: 96, not
    96.0); a workbook of several sheets names them and how to pick one (before: "'charmap'
    codec can't decode byte 0x8f")."""
    book = tmp_path / "places.xlsx"
    frame = pd.DataFrame({"URN": [100003, "100002-RP"], "Places": [96, 10]})
    frame.to_excel(book, index=False)
    got = read_places(book)
    assert got["setting"].tolist() == ["100003", "100002-RP"]
    assert got["places"].tolist() == [96, 10]
    s = read_gias(register, "900", places=got).set_index("setting")
    assert s.loc["100003", "places"] == 96
    with pd.ExcelWriter(book) as w:
        frame.to_excel(w, sheet_name="2025", index=False)
        frame.assign(Places=[90, 8]).to_excel(w, sheet_name="2024", index=False)
    with pytest.raises(DataError, match=r"2 sheets \('2025', '2024'\): name the one .*#2025"):
        read_places(book)
    assert read_places(Path(f"{book}#2024"))["places"].tolist() == [90, 8]
    # a bad cell is named by the sheet's row, as in the CSV
    frame.assign(Places=[96, "ten"]).to_excel(book, index=False)
    with pytest.raises(DataError, match=r"row 3, column 'places': 'ten'"):
        read_places(book)


def test_place_numbers_by_year(tmp_path: Path) -> None:
    """Places commissioned per school and academic year (planned changes): each row's
    January, the base year's row apart from the later ones; a school twice for one year,
    a year that is not one, and needs that differ between years are named."""
    from sufficiency.sources.gias import split_places

    f = tmp_path / "places.csv"
    f.write_text(
        "urn,academic_year,places,needs\n"
        "1,2023/24,30,ASD\n1,2024/25,32,\n1,2026/27,40,ASD\n2,2025-2026,12,\n3,2027/28,8,\n"
    )
    got = read_places(f)
    assert got["year"].tolist() == [2024, 2025, 2027, 2026, 2028]
    base, later = split_places(got, 2025)
    assert base.set_index("setting")["places"].to_dict() == {"1": 32}
    assert base.set_index("setting").loc["1", "needs"] == "ASD"  # needs given on any row
    assert later.to_dict("records") == [
        {"setting": "1", "year": 2027, "places": 40},
        {"setting": "2", "year": 2026, "places": 12},
        {"setting": "3", "year": 2028, "places": 8},
    ]
    assert later.index.tolist() == [2, 3, 4]  # the file's rows less 2, for messages
    f.write_text("urn,year,places\n1,2025,30\n1,2025,31\n")
    with pytest.raises(DataError, match=r"row 3, column 'urn': 1 twice for January 2025"):
        read_places(f)
    f.write_text("urn,year,places\n1,2025/26,30\n")
    with pytest.raises(DataError, match=r"'2025/26' is not a January, e.g. 2026 \(academic"):
        read_places(f)
    f.write_text("urn,academic_year,places\n1,2025/27,30\n2,2025,3\n")
    with pytest.raises(DataError) as raised:
        read_places(f)
    said = {p.where: p.message for p in raised.value.problems}
    for row, text in ((2, "2025/27"), (3, "2025")):
        assert said[f"{f}, row {row}, column 'academic_year'"] == (
            f"{text!r} is not an academic year, e.g. 2025/26"
        )
    f.write_text("urn,year,places,needs\n1,2025,30,ASD\n1,2026,31,SEMH\n")
    with pytest.raises(DataError, match=r"rows 2, 3, column 'needs'.*1: needs differ"):
        read_places(f)


def test_place_numbers_needs_separated_as_a_spreadsheet_has_them(tmp_path: Path) -> None:
    """'ASD, SLCN' and 'ASD/SEMH' are two needs each, as in a settings table (before, the
    place numbers read ';' alone and refused them as one unknown need)."""
    f = tmp_path / "places.csv"
    f.write_text(
        'urn,places,needs\n100003,96,"ASD, SLCN"\n100004,40,ASD/SEMH\n'
        '100005,10,"Social, emotional and mental health"\n'
    )
    assert read_places(f)["needs"].tolist() == ["ASD;SLCN", "ASD;SEMH", "SEMH"]


def test_a_register_of_the_councils_own_schools_alone_is_refused(
    register: Path, tmp_path: Path
) -> None:
    """An extract of one LA's establishments (the download filtered to the council) lacks
    every out-of-area school its children attend: refused, naming what to give (before,
    those children were kept at an unknown school priced as mainstream)."""
    raw = pd.read_csv(register, dtype=str, keep_default_na=False, encoding="cp1252")
    own = tmp_path / "own.csv"
    raw[raw["LA (code)"] == "900"].to_csv(own, index=False)
    with pytest.raises(DataError, match=r"one LA only \(900\), and 1 URN\(s\) .*\(100004\)"):
        read_gias(own, "900", attended=["100001", "100004"])
    # every child in the council's own schools: the extract holds them all
    assert "100001" in set(read_gias(own, "900", attended=["100001"])["setting"])
    # the whole register: a URN it lacks is kept at an unknown school, as before
    assert "100001" in set(read_gias(register, "900", attended=["100001", "999999"])["setting"])


def test_costs_read_english_thousands_and_refuse_any_other_comma(tmp_path: Path) -> None:
    """'£12,500.50' is £12,500.50; '12,5' and '1,20' are refused at their rows (before,
    every comma was dropped: £125 and £120 without a word)."""
    f = tmp_path / "costs.csv"
    f.write_text('urn,top_up\n1,"£12,500.50"\n2,"1,000,000"\n3,"£ 9,000"\n')
    assert read_costs(f)["top_up"].tolist() == [12500.5, 1_000_000, 9000]
    f.write_text('urn,top_up\n1,"12,5"\n2,"1,20"\n3,"12,500"\n')
    with pytest.raises(DataError) as err:
        read_costs(f)
    assert [p.where.rsplit(", ", 2)[1] for p in err.value.problems] == ["row 2", "row 3"]
