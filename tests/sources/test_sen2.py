"""The SEN2 Blade export reader: a simulated council's truth recovered, bad input located."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.errors import DataError, DataWarning
from sufficiency.example.sen2_export import Council, census_date, simulate_council, write_blade
from sufficiency.sources.sen2 import read_sen2


def _age(birth: pd.Timestamp, when: pd.Timestamp) -> int:
    """Age at 31 August on or before ``when``, by hand."""
    aug = date(when.year, 8, 31)
    if date(when.year, when.month, when.day) < aug:
        aug = date(when.year - 1, 8, 31)
    b = date(birth.year, birth.month, birth.day)
    return aug.year - b.year - ((b.month, b.day) > (aug.month, aug.day))


def _truth_caseload(c: Council) -> pd.Series:
    return c.states.groupby(["year", "need", "age", "setting"]).size().astype(float).sort_index()


def _truth_flows(c: Council) -> dict[tuple[int, str], int]:
    years = {y - 1 for y in c.years}
    out: dict[tuple[int, str], int] = {}
    for kind, col in (
        ("requests", "request"),
        ("assessments", "assessment"),
        ("new_plans", "start"),
        ("ceased_plans", "cease"),
    ):
        for v in c.people[col].dropna():
            if v.year in years:
                out[(v.year, kind)] = out.get((v.year, kind), 0) + 1
    return out


def _truth_outcomes(c: Council) -> dict[str, int]:
    out: dict[str, int] = {}
    s = c.states.set_index(["year", "child"])
    for y in c.years[:-1]:
        now = s.loc[y] if y in s.index.get_level_values(0) else pd.DataFrame()
        nxt = s.loc[y + 1] if y + 1 in s.index.get_level_values(0) else pd.DataFrame()
        for child in set(now.index) | set(nxt.index):
            if child not in nxt.index:
                k = "left"
            elif child not in now.index:
                k = "joined"
            elif now.loc[child, "setting"] == nxt.loc[child, "setting"]:
                k = "stayed"
            elif nxt.loc[child, "age"] in (4, 11, 16, 19):
                k = "moved_transfer"
            else:
                k = "moved_midphase"
            out[k] = out.get(k, 0) + 1
    return out


def _cease_recorded(c: Council) -> pd.Series:
    """Whether some return records each child's plan with its cease date and reason.

    Every plan ceased in the calendar year before a census is in that return. One ceased
    after 31 December but before the census is in it too when the child is there for
    another reason (a request, an assessment or a plan started in the year before): its
    plan then shows the cease, with the reason. Otherwise no return has it yet.
    """
    p = c.people.set_index("child")
    out = pd.Series(False, index=p.index)
    for y in c.years:
        day = census_date(y)
        in_year = [p[col].dt.year == y - 1 for col in ("request", "assessment", "start", "cease")]
        listed = (in_year[0] | in_year[1] | in_year[2] | in_year[3]) & (p["request"] <= day)
        planned = (p["assessment"] <= day) & (p["start"] <= day)
        out |= listed & planned & (p["cease"] <= day)
    return out


def _check(c: Council, tmp: Path, workbook: bool = False) -> None:
    sen2 = read_sen2(write_blade(c, tmp / "sen2", workbook=workbook))
    assert sen2.la == c.la
    assert list(sen2.returns["year"]) == list(c.years)
    got = sen2.caseload.set_index(["year", "need", "age", "setting"])["children"].sort_index()
    pd.testing.assert_series_equal(got, _truth_caseload(c), check_names=False)
    totals = sen2.flows[sen2.flows["age"].isna()]
    flows = {(int(y), m): int(n) for y, m, n in totals[["year", "measure", "children"]].values}
    assert flows == _truth_flows(c)
    # new plans by age at start, exactly
    starts = c.people.dropna(subset=["start"])
    starts = starts[starts["start"].dt.year.isin([y - 1 for y in c.years])]
    want = (
        pd.Series([_age(b, s) for b, s in zip(starts["birth"], starts["start"], strict=True)])
        .groupby(starts["start"].dt.year.to_numpy())
        .value_counts()
        .sort_index()
    )
    aged = sen2.flows[(sen2.flows["measure"] == "new_plans") & sen2.flows["age"].notna()]
    got_age = aged.set_index(["year", "age"])["children"].astype(int).sort_index()
    assert dict(got_age) == {(int(y), int(a)): int(n) for (y, a), n in want.items()}
    # ceased by reason
    ceased = c.people.dropna(subset=["cease"])
    ceased = ceased[ceased["cease"].dt.year.isin([y - 1 for y in c.years])]
    assert dict(sen2.ceased.groupby("reason")["children"].sum()) == dict(
        ceased["reason"].value_counts()
    )
    outcomes = sen2.transitions["outcome"].value_counts().to_dict()
    assert outcomes == _truth_outcomes(c)
    left = sen2.transitions[sen2.transitions["outcome"] == "left"]
    upn = c.people.set_index("child")["upn"]
    why = c.people.set_index("child")["reason"]
    covered = _cease_recorded(c)
    keyed = {
        ("upn:" + upn[k]) if upn[k] else k: why[k] if covered[k] else "unknown" for k in why.index
    }
    for child, reason in zip(left["child"], left["reason"], strict=True):
        if child.startswith("upn:"):
            assert reason == keyed[child]


def test_reader_recovers_a_simulated_council(tmp_path: Path) -> None:
    c = simulate_council(seed=3, n_children=400)
    _check(c, tmp_path)
    sen2 = read_sen2(tmp_path / "sen2")
    cont = sen2.continuity
    assert (cont["children"] == cont["continued"] + cont["left"]).all()
    assert ((cont["continuation"] >= 0) & (cont["continuation"] <= 1)).all()
    # a child's transfer-age move is counted as such
    moves = sen2.transitions[sen2.transitions["outcome"] == "moved_transfer"]
    assert len(moves) > 0


def test_workbook_of_modules_reads_the_same(tmp_path: Path) -> None:
    c = simulate_council(seed=5, n_children=60, years=(2024, 2025))
    _check(c, tmp_path, workbook=True)


def test_children_after_a_return_with_no_plan_joined(tmp_path: Path) -> None:
    """A census in which no child held a plan is still a census: every child with a plan in
    the next one joined (found by the random councils below: seed 203)."""
    c = simulate_council(seed=203, n_children=5, years=(2019, 2020), upn_share=0.0)
    assert set(c.states["year"]) == {2020}  # nobody held a plan in January 2019
    _check(c, tmp_path)
    sen2 = read_sen2(tmp_path / "sen2")
    assert sen2.transitions["outcome"].tolist() == ["joined"] * 3


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 80),
    first=st.integers(2019, 2024),
    k=st.integers(1, 3),
    upn=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_random_councils_recovered_exactly(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, first: int, k: int, upn: float
) -> None:
    c = simulate_council(
        seed=seed, n_children=n, years=tuple(range(first, first + k)), upn_share=upn
    )
    _check(c, tmp_path_factory.mktemp("council"))


# --- bad input -------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    c = simulate_council(seed=11, n_children=50, years=(2025,))
    return write_blade(c, tmp_path / "sen2") / "2025"


def _module(folder: Path, name: str) -> Path:
    return next(folder.glob(f"Blade-Export_*_{name}.csv"))


def _edit(folder: Path, name: str, fn) -> None:
    path = _module(folder, name)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(frame).to_csv(path, index=False)


def test_module_missing_is_named(folder: Path) -> None:
    _module(folder, "senneed").unlink()
    with pytest.raises(DataError, match="module missing: senneed"):
        read_sen2(folder)


def test_a_module_given_twice_is_an_error(folder: Path) -> None:
    """Two files of one module in one return (names differing only in case) are one file
    given twice: which to read is not the reader's guess."""
    src = _module(folder, "person")
    (folder / src.name.replace("_person", "_Person")).write_bytes(src.read_bytes())
    with pytest.raises(DataError, match="the person module of this return is given twice"):
        read_sen2(folder)


def test_a_second_download_of_a_module_is_not_skipped_silently(folder: Path) -> None:
    """A browser saves a second download as '..._person (1).csv': it was skipped without a
    word, whichever of the two held the council's corrections."""
    src = _module(folder, "person")
    (folder / src.name.replace(".csv", " (1).csv")).write_bytes(src.read_bytes())
    with pytest.raises(DataError, match=r"person \(1\)\.csv: a Blade export whose name is not"):
        read_sen2(folder)


def test_a_sheet_given_twice_or_copied_is_an_error(tmp_path: Path) -> None:
    c = simulate_council(seed=5, n_children=20, years=(2025,))
    book = write_blade(c, tmp_path / "sen2", workbook=True) / "2025.xlsx"
    sheets = pd.read_excel(book, sheet_name=None, dtype=str, keep_default_na=False)
    for extra, message in (
        ("2025_person", "the person module is given twice \\(also sheet 'person'\\)"),
        ("person (2)", "a copy of the person sheet"),
    ):
        with pd.ExcelWriter(book) as xl:
            for name, frame in {**sheets, extra: sheets["person"]}.items():
                frame.to_excel(xl, sheet_name=name, index=False)
        with pytest.raises(DataError, match=message):
            read_sen2(book)


@pytest.mark.parametrize("kept", [0, 10])
def test_an_active_plan_whose_child_is_not_in_the_person_module_is_located(
    folder: Path, kept: int
) -> None:
    """A person module cut short (or a header alone) dropped its children from the
    caseload without a word; each active plan's child must be in it."""
    _edit(folder, "person", lambda f: f.iloc[:kept])
    said = "no rows in the person module" if kept == 0 else "is not in the person module"
    with pytest.raises(DataError, match=said):
        read_sen2(folder)


@pytest.mark.parametrize(
    "module", ["requests", "assessment", "namedplan", "placementdetail", "senneed"]
)
def test_a_module_cut_to_its_header_is_refused(folder: Path, module: str) -> None:
    """A return with active plans and a module of no rows: its placements, plans or events
    went without a word (a placement module cut short: every child 'not in education')."""
    _edit(folder, module, lambda f: f.iloc[:0])
    with pytest.raises(DataError, match=rf"no rows, only a header[\s\S]*no rows in the {module}"):
        read_sen2(folder)


def test_person_twice_is_located(folder: Path) -> None:
    def dup(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[3, "persontableid"] = f.loc[2, "persontableid"]
        return f

    _edit(folder, "person", dup)
    with pytest.raises(DataError, match=r"person.csv, rows 4, 5, column 'persontableid'"):
        read_sen2(folder)


@pytest.mark.parametrize(
    ("module", "column", "noun"),
    [
        ("requests", "requeststableid", "request"),
        ("assessment", "assessmenttableid", "assessment"),
        ("namedplan", "namedplantableid", "named plan"),
        ("activeplans", "activeplanstableid", "active plan"),
    ],
)
def test_a_row_given_twice_is_located(folder: Path, module: str, column: str, noun: str) -> None:
    """A request given twice with another date (an edited copy left beside the original)
    counted as two requests in the flows; every module's own key is now one row."""

    def again(f: pd.DataFrame) -> pd.DataFrame:
        copy = f.iloc[[0]].copy()
        dates = [c for c in f.columns if "date" in c.lower() and copy[c].iloc[0]]
        if dates:
            copy[dates[0]] = "2024-Feb-01 00:00:00"
        return pd.concat([f, copy], ignore_index=True)

    _edit(folder, module, again)
    rows = len(pd.read_csv(_module(folder, module), dtype=str))
    with pytest.raises(DataError) as raised:
        read_sen2(folder)
    said = "\n".join(p.where + ": " + p.message for p in raised.value.problems)
    assert f"rows 2, {rows + 1}, column {column!r}" in said
    assert f"appears more than once (one row per {noun})" in said


def test_two_open_rank_one_placements(folder: Path) -> None:
    def twice(f: pd.DataFrame) -> pd.DataFrame:
        row = f[f["leavingdate"] == ""].iloc[[0]].copy()
        return pd.concat([f, row], ignore_index=True)

    _edit(folder, "placementdetail", twice)
    with pytest.raises(DataError, match="two rank-1 placements open on the census date 2025-01-16"):
        read_sen2(folder)


def test_entry_after_leaving(folder: Path) -> None:
    def backwards(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "leavingdate"] = "2020-Jan-01 00:00:00"
        f.loc[0, "entrydate"] = "2021-01-01"
        return f

    _edit(folder, "placementdetail", backwards)
    with pytest.raises(
        DataError, match=r"placementdetail.csv, row 2, column 'entrydate'.*after leaving"
    ):
        read_sen2(folder)


@pytest.mark.parametrize(
    ("module", "column", "value"),
    [("senneed", "sentype", "AUT"), ("placementdetail", "sensetting", "HOME")],
)
def test_unknown_codes(folder: Path, module: str, column: str, value: str) -> None:
    def bad(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[1, column] = value
        return f

    _edit(folder, module, bad)
    with pytest.raises(
        DataError, match=rf"{module}.csv, row 3, column '{column}': unknown .*'{value}'"
    ):
        read_sen2(folder)


def test_bad_date_is_located(folder: Path) -> None:
    def bad(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "personbirthdate"] = "31/31/2015"
        return f

    _edit(folder, "person", bad)
    with pytest.raises(
        DataError, match=r"person.csv, row 2, column 'personbirthdate': '31/31/2015' is not a date"
    ):
        read_sen2(folder)


def test_no_open_placement_is_counted_not_dropped(folder: Path) -> None:
    before = read_sen2(folder)

    def close(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f.index[0], "leavingdate"] = "2024-Dec-01 00:00:00"
        f.loc[f.index[0], "entrydate"] = "2024-Nov-01 00:00:00"
        return f

    _edit(folder, "placementdetail", close)
    with pytest.warns(
        DataWarning, match=r"activeplans.csv: 1 active plan\(s\) with no rank-1"
    ) as said:
        after = read_sen2(folder)
    assert after.caseload["children"].sum() == before.caseload["children"].sum()
    assert "placement module is complete" not in str(said[0].message)  # one plan of many


def test_many_plans_without_a_placement_ask_whether_the_export_is_complete(
    folder: Path,
) -> None:
    def drop_most(f: pd.DataFrame) -> pd.DataFrame:
        return f.iloc[: len(f) // 3]

    _edit(folder, "placementdetail", drop_most)
    with pytest.warns(DataWarning, match=r"% of the return's plans: check that the export's"):
        read_sen2(folder)


def test_dates_in_both_layouts(tmp_path: Path) -> None:
    c = simulate_council(seed=2, n_children=30, years=(2025,))
    folder = write_blade(c, tmp_path / "s") / "2025"
    before = read_sen2(folder).caseload

    def iso(f: pd.DataFrame) -> pd.DataFrame:
        f["personbirthdate"] = pd.to_datetime(
            f["personbirthdate"], format="%Y-%b-%d %H:%M:%S"
        ).dt.strftime("%Y-%m-%d")
        return f

    _edit(folder, "person", iso)
    pd.testing.assert_frame_equal(read_sen2(folder).caseload, before)
    assert census_date(2025) == pd.Timestamp("2025-01-16")


def test_a_return_opened_in_excel_and_saved_reads_the_same(tmp_path: Path) -> None:
    """Excel, saving a Blade CSV on a UK machine, writes its dates as 18/01/2024 00:00 (with
    a byte-order mark and CRLF): the reader stopped at the census date."""
    c = simulate_council(seed=2, n_children=30, years=(2024, 2025))
    root = write_blade(c, tmp_path / "s")
    before = read_sen2(root)
    for path in root.rglob("*.csv"):
        f = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in [c for c in f.columns if "date" in c.lower()]:
            when = pd.to_datetime(f[column], format="%Y-%b-%d %H:%M:%S", errors="coerce")
            f[column] = when.dt.strftime("%d/%m/%Y %H:%M").fillna("")
        f.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    after = read_sen2(root)
    pd.testing.assert_frame_equal(after.caseload, before.caseload)
    pd.testing.assert_frame_equal(after.flows, before.flows)
    pd.testing.assert_frame_equal(after.transitions, before.transitions)


def test_a_workbook_that_cannot_be_read_is_said_so(tmp_path: Path) -> None:
    """A SEN2 workbook with a password to open it (an encrypted compound file, not a zip)
    stopped with an ImportError traceback; a CSV file renamed .xlsx with pandas' words."""
    locked = tmp_path / "sen2_2025.xlsx"
    locked.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    with pytest.raises(DataError, match="protected by a password"):
        read_sen2(locked)
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not an Excel workbook, whatever its name"):
        read_sen2(renamed)


def test_empty_rows_saved_below_a_module_are_left_out(folder: Path) -> None:
    """Excel keeps the rows once formatted below a module's data (',,,,'): they hold
    nothing and are left out (each was refused as a child with a blank birth date and a
    plan of no request); a blank row among the data is still read, and refused at its row."""
    before = read_sen2(folder)
    for name in ("person", "activeplans", "sen2"):
        path = _module(folder, name)
        width = len(path.read_text(encoding="utf-8").splitlines()[0].split(","))
        with path.open("a", encoding="utf-8") as f:
            f.write(("," * (width - 1) + "\n") * 3)
    after = read_sen2(folder)
    pd.testing.assert_frame_equal(after.caseload, before.caseload)
    pd.testing.assert_frame_equal(after.children, before.children)

    def blank_second_row(frame: pd.DataFrame) -> pd.DataFrame:
        frame.iloc[1] = ""
        return frame

    _edit(folder, "person", blank_second_row)
    with pytest.raises(DataError) as err:
        read_sen2(folder)
    assert "person.csv, row 3" in str(err.value.problems)


def test_a_sheet_with_hidden_rows_is_refused(tmp_path: Path) -> None:
    """A module filtered in Excel (last year's children hidden, say) and saved: the hidden
    rows are read like the others. Refused, naming the sheet and rows; unhidden, read."""
    import openpyxl

    c = simulate_council(seed=5, n_children=20, years=(2025,))
    book = write_blade(c, tmp_path / "sen2", workbook=True) / "2025.xlsx"
    wb = openpyxl.load_workbook(book)
    wb["person"].row_dimensions[3].hidden = True
    wb["person"].row_dimensions[4].hidden = True
    wb.save(book)
    with pytest.raises(DataError, match=r"2025.xlsx, sheet 'person': rows 3, 4 are hidden"):
        read_sen2(book)
    wb["person"].row_dimensions[3].hidden = False
    wb["person"].row_dimensions[4].hidden = False
    wb.save(book)
    assert read_sen2(book).base_year == 2025


def test_dates_written_month_first_are_said_so(folder: Path) -> None:
    """An export saved on a computer set to US dates (01/18/2015): a date it cannot be
    is refused saying why, since every other date of the file (03/04) is in doubt."""

    def us(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "personbirthdate"] = "01/18/2015"
        f.loc[1, "personbirthdate"] = "31/31/2015"
        return f

    _edit(folder, "person", us)
    with pytest.raises(DataError) as raised:
        read_sen2(folder)
    said = {p.where.rsplit(", ", 2)[1]: p.message for p in raised.value.problems}
    assert "written month first" in said["row 2"]
    assert "month first" not in said["row 3"]
