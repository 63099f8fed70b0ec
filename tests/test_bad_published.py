"""Bad published files and odd paths, as a new council would meet them (issue 24).

Each case spoils a small copy of the DfE release (or the ONS fixtures, or the bundled
example) the way a download, an edit or a typo does, and checks that the answer is either
exact or refused with one message naming the file, row or option: never silently
doubled, never moved to "not placed", never a traceback or a half-written folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sufficiency.cli import main
from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.datasets import write_example
from sufficiency.errors import DataError, DataWarning
from sufficiency.sources.dfe_columns import GEOGRAPHY
from sufficiency.sources.dfe_release import read_dfe_release
from sufficiency.sources.ons import read_ons_population

from conftest import SHARED_DATA

RELEASE = SHARED_DATA / "dfe_release_2025_to_2023"
ONS = Path(__file__).parent / "sources" / "fixtures" / "ons"
DUDLEY = "E08000027"
needs_data = pytest.mark.skipif(
    not (RELEASE / "caseload.csv").is_file(),
    reason=f"DfE published files not found in {RELEASE} (they are not copied into the repo)",
)


def copy_release(folder: Path, *names: str) -> Path:
    """A writable copy of some of the release's files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or ("caseload", "requests"):
        shutil.copy(RELEASE / f"{name}.csv", folder / f"{name}.csv")
        (folder / f"{name}.csv").chmod(0o644)
    return folder


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    change(frame)
    frame.to_csv(path, index=False)


def dudley_row(frame: pd.DataFrame, period: str = "202223") -> int:
    hits = frame.index[(frame["new_la_code"] == DUDLEY) & (frame["time_period"] == period)]
    return int(hits[0])


def suppress(column: str):  # type: ignore[no-untyped-def]
    """Put ``c`` in Dudley's January 2023 cell of ``column``."""

    def change(frame: pd.DataFrame) -> None:
        frame.loc[dudley_row(frame), column] = "c"

    return change


def repeat_last_dudley_row(path: Path) -> int:
    """Repeat Dudley's last row right below it; return its file row (header = row 1)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    i = int(frame.index[frame["new_la_code"] == DUDLEY][-1])
    pd.concat([frame.iloc[: i + 1], frame.iloc[[i]], frame.iloc[i + 1 :]]).to_csv(path, index=False)
    return i + 2


def init(capsys: pytest.CaptureFixture[str], dfe: Path, out: Path, *more: str) -> tuple[int, str]:
    code = main(["--quiet", "init", "--la", "Dudley", "--dfe", str(dfe), str(out), *more])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --- silent wrong answers: refused or exact --------------------------------------------------


@needs_data
@pytest.mark.parametrize("name", ["caseload", "requests"])
def test_a_repeated_published_row_is_refused_naming_both_rows(tmp_path, capsys, name) -> None:
    dfe = copy_release(tmp_path / "dfe")
    row = repeat_last_dudley_row(dfe / f"{name}.csv")
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1
    assert f"{name}.csv, row {row + 1}: repeats row {row}" in err and DUDLEY in err
    assert not (tmp_path / "out").exists()


@needs_data
def test_a_suppressed_placement_is_estimated_never_moved_to_not_placed(tmp_path) -> None:
    pristine = copy_release(tmp_path / "pristine")
    dfe = copy_release(tmp_path / "dfe")
    edit(dfe / "caseload.csv", suppress("special_la_maintained"))
    with pytest.warns(DataWarning, match=r"special_la_maintained.*estimated as 953"):
        release = read_dfe_release(dfe, "Dudley")
    exact = read_dfe_release(pristine, "Dudley").caseload
    assert release.caseload["children"].sum() == pytest.approx(exact["children"].sum())
    by_place = release.caseload.groupby(["year", "placement"])["children"].sum()
    assert by_place.equals(exact.groupby(["year", "placement"])["children"].sum())
    assert any("special_la_maintained" in e for e in release.estimated)
    # the starter says so among its assumptions
    from sufficiency.sources.starter import write_starter

    with pytest.warns(DataWarning):
        path = write_starter("Dudley", dfe, tmp_path / "starter")
    text = path.read_text(encoding="utf-8")
    assert (
        "estimated, the published figure unusable" in text
        and "special_total less the published" in text
    )


@needs_data
@pytest.mark.parametrize(
    ("value", "expect"), [("-40", "negative count -40"), ("inf", "'inf' is not a finite number")]
)
def test_a_count_that_cannot_be_a_count_is_refused_naming_the_row(
    tmp_path, capsys, value, expect
) -> None:
    dfe = copy_release(tmp_path / "dfe")
    rows: list[int] = []

    def spoil(f: pd.DataFrame) -> None:
        rows.append(dudley_row(f))
        f.loc[rows[0], "special_la_maintained"] = value

    edit(dfe / "caseload.csv", spoil)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1
    assert f"caseload.csv, row {rows[0] + 2}, column 'special_la_maintained'" in err
    assert expect in err and "exceed" not in err
    assert not (tmp_path / "out").exists()


@needs_data
def test_a_suppressed_base_year_total_starts_from_its_placements(tmp_path, capsys) -> None:
    dfe = copy_release(tmp_path / "dfe")
    edit(dfe / "caseload.csv", suppress("ehcplans"))
    with pytest.warns(DataWarning, match="ehcplans suppressed"):
        code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 0, err
    history = pd.read_csv(tmp_path / "out" / "data" / "caseload.csv")
    assert history.groupby("year")["children"].sum()[2023] == pytest.approx(3366, abs=1)
    assert "ehcplans suppressed" in (tmp_path / "out" / "scenario.yaml").read_text()


def _ons(tmp_path: Path) -> dict[str, Path]:
    persons = ONS / "2018 SNPP Population persons.csv"
    males = tmp_path / "2018 SNPP Population males.csv"
    males.write_text(persons.read_text().replace("persons", "males"), encoding="utf-8")
    return {"mye": ONS / "mye_detailed.csv", "persons": persons, "males": males}


def test_population_given_twice_is_refused(tmp_path) -> None:
    files = _ons(tmp_path)
    for twice in ([files["mye"], files["mye"]], [files["persons"], files["persons"]]):
        with pytest.raises(DataError, match="the same residents given twice") as err:
            read_ons_population(twice, "Dudley")
        assert "row 2, column" in str(err.value)


def test_persons_beside_males_uses_the_persons_rows_alone(tmp_path) -> None:
    files = _ons(tmp_path)
    alone = read_ons_population([files["mye"], files["persons"]], "Dudley")
    both = read_ons_population([files["mye"], files["persons"], files["males"]], "Dudley")
    pd.testing.assert_frame_equal(alone, both)


def test_negative_population_is_refused_naming_the_row(tmp_path) -> None:
    bad = tmp_path / "mye.csv"
    lines = (ONS / "mye_detailed.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[-1] = "-40"
    lines[3] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="negative population counts") as err:
        read_ons_population(bad, "Dudley")
    assert "row 4, column 'population_2021'" in str(err.value)


@needs_data
def test_a_tenfold_year_of_flows_warns_naming_the_rows(tmp_path, caplog) -> None:
    dfe = copy_release(tmp_path / "dfe", "caseload", "requests", "newplans")
    code = main(["-q", "init", "--la", "Dudley", "--dfe", str(dfe), str(tmp_path / "s")])
    assert code == 0
    flows = tmp_path / "s" / "data" / "flows.csv"
    frame = pd.read_csv(flows, dtype=str, keep_default_na=False)
    last = frame["year"].astype(int).max()
    whole = (
        (frame["measure"] == "new_plans")
        & (frame["year"].astype(int) == last)
        & (frame["age"] == "")
        & (frame["age_band"] == "")
    )
    frame.loc[whole, "children"] = (frame.loc[whole, "children"].astype(float) * 10).astype(str)
    frame.to_csv(flows, index=False)
    row = int(frame.index[whole][0]) + 2
    with caplog.at_level(logging.WARNING, logger="sufficiency"):
        load_inputs(load_scenario(tmp_path / "s" / "scenario.yaml"))
    text = caplog.text
    assert "implausible input" in text and "new_plans total" in text and f"row {row}" in text


# --- clearer messages -----------------------------------------------------------------------


@needs_data
def test_a_bad_time_period_names_file_and_row(tmp_path, capsys) -> None:
    dfe = copy_release(tmp_path / "dfe")
    rows: list[int] = []

    def spoil(f: pd.DataFrame) -> None:
        rows.append(dudley_row(f))
        f.loc[rows[0], "time_period"] = "2022/23"

    edit(dfe / "caseload.csv", spoil)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and f"caseload.csv, row {rows[0] + 2}, column 'time_period'" in err
    assert "'2022/23'" in err


@needs_data
def test_a_starter_inside_an_old_dfe_folder_is_skipped_with_a_warning(tmp_path, capsys) -> None:
    dfe = copy_release(tmp_path / "dfe")
    assert init(capsys, dfe, tmp_path / "starter")[0] == 0
    shutil.copytree(tmp_path / "starter", dfe / "starter")  # as an older version allowed
    with pytest.warns(DataWarning, match="named like a DfE file but without its columns"):
        code, err = init(capsys, dfe, tmp_path / "again")
    assert code == 0, err


def test_sweep_refuses_negative_draws_once_up_front(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    code = main(["-q", "sweep", str(path), "--draws", "-5", "--out", str(tmp_path / "sw")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("error:") == 1 and "--draws -5" in err
    assert "scenario.yaml" not in err and not (tmp_path / "sw").exists()


def test_out_through_a_missing_folder_and_dotdot_creates_nothing(
    write_tiny, tmp_path, capsys
) -> None:
    path = write_tiny()
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "mine.txt").write_text("mine")
    out = f"{docs}/new/.."
    code = main(["-q", "run", str(path), "--out", out, "--no-report"])
    err = capsys.readouterr().err
    assert code == 2 and "Errno" not in err and str(docs) in err
    assert sorted(p.name for p in docs.iterdir()) == ["mine.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_device_or_pipe_as_data_is_named_as_such(tmp_path, capsys) -> None:
    path = write_example(tmp_path / "ex")
    os.mkfifo(tmp_path / "pipe.csv")
    for target in ("/dev/zero", str(tmp_path / "pipe.csv")):
        text = path.read_text().replace("data/settings.csv", target)
        path.write_text(text)
        code = main(["-q", "validate", str(path)])
        err = capsys.readouterr().err
        assert code == 2 and "data.settings" in err and "not a regular file" in err, err
        assert "file not found" not in err
        path.write_text(text.replace(target, "data/settings.csv"))


def test_a_blank_age_band_beside_age_is_accepted(tmp_path, capsys) -> None:
    path = write_example(tmp_path / "ex")
    caseload = path.parent / "data" / "caseload.csv"
    frame = pd.read_csv(caseload, dtype=str, keep_default_na=False).assign(age_band="")
    frame.to_csv(caseload, index=False)
    assert main(["-q", "validate", str(path)]) == 0, capsys.readouterr().err
    frame.loc[3, "age"] = ""
    frame.to_csv(caseload, index=False)
    assert main(["-q", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "caseload.csv, row 5, column 'age'" in err and "give age or age_band" in err


def test_a_missing_population_file_does_not_hide_a_bad_caseload_row(tmp_path, capsys) -> None:
    path = write_example(tmp_path / "ex")
    (path.parent / "data" / "population.csv").unlink()
    caseload = path.parent / "data" / "caseload.csv"
    frame = pd.read_csv(caseload, dtype=str, keep_default_na=False)
    frame.loc[3, "need"] = "Martian"
    frame.to_csv(caseload, index=False)
    assert main(["-q", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "data.population: file not found" in err
    assert "caseload.csv, row 5, column 'need': unknown need 'Martian'" in err


def test_init_on_a_full_disk_leaves_nothing(tmp_path, capsys, monkeypatch) -> None:
    dfe = tmp_path / "dfe"
    shutil.copytree(Path(__file__).parent / "sources" / "fixtures" / "release_2025", dfe)
    calls = []
    real = pd.DataFrame.to_csv

    def full(self, path=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and "No space left on device" in err and "cannot write the starter" in err
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_starter_written_twice_is_still_its_own(tmp_path, capsys) -> None:
    dfe = tmp_path / "dfe"
    shutil.copytree(Path(__file__).parent / "sources" / "fixtures" / "release_2025", dfe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert init(capsys, dfe, tmp_path / "out")[0] == 0
        assert init(capsys, dfe, tmp_path / "out", "--force")[0] == 0
    doc = yaml.safe_load((tmp_path / "out" / "scenario.yaml").read_text())
    assert doc["forecast"]["method"] in ("flows", "drift")


@needs_data
def test_a_new_plans_total_that_is_its_regions_is_taken_from_its_own_breakdown(tmp_path) -> None:
    """The shared release's 2022 new plans of every Yorkshire and The Humber LA are the
    region's 6,078: each LA's own breakdown by age at start is used (and said)."""
    dfe = copy_release(tmp_path / "dfe", "caseload", "newplans")
    with pytest.warns(DataWarning, match=r"newplans.csv, row 2420: new_ehc_plans of Kingston"):
        release = read_dfe_release(dfe, "E06000010")
    new = release.new_plans.set_index("year")["children"]
    assert new[2022] == 364 and new[2021] == 331
    assert any("6,078" in e for e in release.estimated)


@needs_data
def test_a_repeat_in_one_areas_rows_leaves_the_other_areas_readable(tmp_path) -> None:
    """The repeats of a file are found once for the whole file: an area's rows are refused
    only where they hold one."""
    pristine = copy_release(tmp_path / "pristine")
    dfe = copy_release(tmp_path / "dfe")
    row = repeat_last_dudley_row(dfe / "caseload.csv")
    with pytest.raises(DataError, match=f"row {row + 1}: repeats row {row}"):
        read_dfe_release(dfe, "Dudley")
    other = read_dfe_release(dfe, "Hartlepool")
    exact = read_dfe_release(pristine, "Hartlepool")
    assert other.caseload.equals(exact.caseload) and other.requests.equals(exact.requests)


@needs_data
@pytest.mark.parametrize("name", ["caseload", "requests"])
def test_a_file_with_none_of_its_count_columns_is_refused_naming_it(tmp_path, capsys, name) -> None:
    """A file named as the release names it, with its geography but none of the counts
    the data guidance documents (renamed by hand, or another publication's): one clear
    error naming it and what it should hold, never a traceback, nothing written."""
    dfe = copy_release(tmp_path / "dfe")

    def counts_renamed(frame: pd.DataFrame) -> None:
        frame.columns = [c if c in GEOGRAPHY else f"my_{c}" for c in frame.columns]

    edit(dfe / f"{name}.csv", counts_renamed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the renamed columns are named once
        code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1, err
    assert f"{name}.csv: none of the DfE's count columns for this file" in err
    assert "expected columns such as" in err
    assert not (tmp_path / "out").exists()


@needs_data
@pytest.mark.parametrize("name", ["caseload", "requests"])
def test_a_release_file_with_a_header_alone_is_refused_naming_it(tmp_path, capsys, name) -> None:
    """A download cut short after its header: one clear error naming the file (it was a
    traceback from the reader's index of areas), nothing written."""
    dfe = copy_release(tmp_path / "dfe")
    header = (dfe / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    (dfe / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1, err
    assert f"{name}.csv: no rows, only a header" in err
    assert not (tmp_path / "out").exists()


def _cut_to(path: Path, last_january: int) -> None:
    """Keep the rows of ``path`` (a release's caseload) up to ``last_january``: an older
    release's file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    january = frame["time_period"].str[:4].astype(int) + 1
    frame[january <= last_january].to_csv(path, index=False)


@needs_data
@pytest.mark.parametrize("older_in", ["a_2022", "zz_2022"])
def test_the_newest_release_is_read_whatever_the_folders_are_called(
    tmp_path, capsys, older_in
) -> None:
    """A council keeping last year's download in a subfolder: the release reaching the
    latest January is read, whether its folder sorts before or after (the last path in
    sorted order was read: an old release in 'zz_2022' gave a starter of January 2022)."""
    dfe = copy_release(tmp_path / "dfe")
    old = copy_release(dfe / older_in)
    _cut_to(old / "caseload.csv", 2022)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 0, err
    text = (tmp_path / "out" / "scenario.yaml").read_text(encoding="utf-8")
    assert "base_year: 2023" in text and "(2023: 3,366 plans)" in text
    assert f"{dfe / 'caseload.csv'}" in text and older_in not in text.split("name:")[0]
    from sufficiency.sources.dfe_release import local_authorities

    assert "E08000027" in set(local_authorities(dfe)["la_code"])


@needs_data
def test_two_differing_copies_of_one_release_file_are_refused_naming_both(tmp_path, capsys) -> None:
    """The same release's caseload twice (a copy in a subfolder, one edited by hand): which
    one the figures came from would depend on the names of the files, so neither is read;
    an exact copy reads as one file."""
    dfe = copy_release(tmp_path / "dfe")
    copy = copy_release(dfe / "old")
    code, err = init(capsys, dfe, tmp_path / "same")
    assert code == 0, err
    frame = pd.read_csv(copy / "caseload.csv", dtype=str, keep_default_na=False)
    frame.loc[dudley_row(frame), "ehcplans"] = "3866"  # published: 3366
    frame.to_csv(copy / "caseload.csv", index=False)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1, err
    assert "two caseload files of the same release (to 2023) hold different figures" in err
    assert str(dfe / "caseload.csv") in err and str(copy / "caseload.csv") in err
    assert not (tmp_path / "out").exists()


BY_AGE = SHARED_DATA / "dfe_ehcp_by_age_2010_2022.csv"


def _with_by_age(folder: Path, *names: str) -> Path:
    dfe = copy_release(folder, "caseload")
    for name in names:
        shutil.copy(BY_AGE, dfe / name)
        (dfe / name).chmod(0o644)
    return dfe


@needs_data
def test_an_older_file_given_twice_does_not_double_the_history(tmp_path) -> None:
    """The by-age file beside its '(1)' copy: each January once (the two were added up,
    Dudley's 1,280 plans of January 2016 read as 2,560 and the starter's history fell
    by 40% into 2019), the download named as read."""
    once = read_dfe_release(_with_by_age(tmp_path / "once", BY_AGE.name), DUDLEY)
    twice = read_dfe_release(
        _with_by_age(tmp_path / "twice", BY_AGE.name, f"{BY_AGE.stem} (1).csv"), DUDLEY
    )
    pd.testing.assert_frame_equal(twice.caseload_total, once.caseload_total)
    pd.testing.assert_frame_equal(twice.caseload_by_age, once.caseload_by_age)
    assert once.caseload_total.set_index("year").loc[2016, "children"] == 1280
    assert [Path(f).name for f in twice.files if "by_age" in f] == [BY_AGE.name]


@needs_data
def test_an_older_file_beside_a_differing_copy_is_refused_naming_both(tmp_path, capsys) -> None:
    dfe = _with_by_age(tmp_path / "dfe", BY_AGE.name, "by_age_copy.csv")
    frame = pd.read_csv(dfe / "by_age_copy.csv", dtype=str, keep_default_na=False)
    hit = (frame["new_la_code"] == DUDLEY) & (frame["time_period"] == "2016")
    frame.loc[hit & (frame["characteristic_age"] == "Age 5 to 10"), "Total_all"] = "999"
    frame.to_csv(dfe / "by_age_copy.csv", index=False)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and err.count("error:") == 1, err
    assert "two DfE files of the same kind give Dudley different figures for January 2016" in err
    assert str(dfe / BY_AGE.name) in err and str(dfe / "by_age_copy.csv") in err
    assert not (tmp_path / "out").exists()


@needs_data
def test_an_older_years_file_gives_only_the_januaries_the_newer_lacks(tmp_path) -> None:
    """Last year's by-age download (to 2021) beside this year's (to 2022): the newer one's
    figures for every January it gives, the older file adding nothing (not added up)."""
    dfe = _with_by_age(tmp_path / "dfe", BY_AGE.name, "by_age_2021.csv")
    frame = pd.read_csv(dfe / "by_age_2021.csv", dtype=str, keep_default_na=False)
    frame[frame["time_period"].astype(int) <= 2021].to_csv(dfe / "by_age_2021.csv", index=False)
    both = read_dfe_release(dfe, DUDLEY)
    (dfe / "by_age_2021.csv").unlink()
    alone = read_dfe_release(dfe, DUDLEY)
    pd.testing.assert_frame_equal(both.caseload_total, alone.caseload_total)
    pd.testing.assert_frame_equal(both.caseload_by_age, alone.caseload_by_age)


@needs_data
@pytest.mark.parametrize("copy", ["caseload (1).csv", "caseload - Copy.csv"])
def test_a_second_download_of_a_release_file_is_that_file(tmp_path, capsys, copy) -> None:
    """'caseload (1).csv' beside 'caseload.csv' is the same file downloaded again: read
    once and not listed as read (it was read as an older file, and listed); a second
    download that differs is refused naming both."""
    dfe = copy_release(tmp_path / "dfe")
    shutil.copy(dfe / "caseload.csv", dfe / copy)
    release = read_dfe_release(dfe, DUDLEY)
    assert [Path(f).name for f in release.files if "caseload" in Path(f).name] == ["caseload.csv"]
    frame = pd.read_csv(dfe / copy, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[dudley_row(frame), "ehcplans"] = "3866"
    frame.to_csv(dfe / copy, index=False)
    code, err = init(capsys, dfe, tmp_path / "out")
    assert code == 2 and "two caseload files of the same release (to 2023)" in err, err
    assert str(dfe / copy) in err


def test_empty_rows_below_a_scenarios_tables_are_left_out(tmp_path, capsys) -> None:
    """The rows Excel keeps below a table once formatted (',,,,'): nothing in them, left out
    (26 'empty cell' errors for two such rows below settings.csv and caseload.csv); a
    blank row among the data is still refused at its row."""
    scenario = write_example(tmp_path / "ex")
    before = load_inputs(load_scenario(scenario))
    for name in ("settings", "caseload", "population"):
        path = tmp_path / "ex" / "data" / f"{name}.csv"
        width = len(path.read_text(encoding="utf-8").splitlines()[0].split(","))
        with path.open("a", encoding="utf-8") as f:
            f.write(("," * (width - 1) + "\n") * 2)
    after = load_inputs(load_scenario(scenario))
    pd.testing.assert_frame_equal(after.caseload, before.caseload)
    pd.testing.assert_frame_equal(after.settings, before.settings)
    path = tmp_path / "ex" / "data" / "settings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], "," * (len(lines[0].split(",")) - 1), *lines[1:]]) + "\n")
    assert main(["--quiet", "validate", str(scenario)]) == 2
    assert "settings.csv, row 2, column 'setting'" in capsys.readouterr().err
