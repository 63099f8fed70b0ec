"""Outputs can never destroy input: what --out accepts, --force, example, temporary folders
on every exit path (exceptions, SIGINT, SIGTERM), stale temporary folders, --write-mps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import sufficiency
from sufficiency import outputs
from sufficiency.cli import main
from sufficiency.errors import SufficiencyError
from sufficiency.outputs import MANIFEST


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--quiet", *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def leftovers(parent: Path, name: str = "out") -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def test_out_holding_the_scenario_is_refused_even_with_force(write_tiny, capsys) -> None:
    path = write_tiny()
    root = path.parent
    before = snapshot(root)
    for out in (root, root / "data", root.parent):
        code, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report")
        assert code == 2 and err.count("error:") == 1 and "output folder" in err
        code, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report", "--force")
        assert code == 2 and err.count("error:") == 1
        assert "holds the input" in err and "--force does not override this" in err
    assert snapshot(root) == before


def test_out_holding_the_current_folder_is_refused(write_tiny, tmp_path, monkeypatch, capsys):
    path = write_tiny()
    work = tmp_path / "work" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    code, err = cli(capsys, "run", str(path), "--out", str(tmp_path / "work"), "--force")
    assert code == 2 and "holds the current folder" in err and work.is_dir()


def test_foreign_folder_refused_unless_force(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    code, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report")
    assert code == 2 and "was not written by sufficiency" in err and "--force" in err
    assert (out / "notes.txt").read_text() == "my notes"
    code, _ = cli(capsys, "run", str(path), "--out", str(out), "--no-report", "--force")
    assert code == 0 and not (out / "notes.txt").exists() and (out / "placements.csv").is_file()
    assert not leftovers(tmp_path, "mine")


def test_own_folder_replaced_but_not_with_added_files(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    out = tmp_path / "out"
    beside = tmp_path / "beside.txt"
    beside.write_text("keep")
    assert cli(capsys, "run", str(path), "--out", str(out), "--no-report")[0] == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert "placements.csv" in manifest["files"] and "summary.json" in manifest["files"]
    assert cli(capsys, "run", str(path), "--out", str(out))[0] == 0  # ours: replaced
    assert (
        "charts/" + next(iter(sorted((out / "charts").iterdir()))).name
        in json.loads((out / MANIFEST).read_text())["files"]
    )
    (out / "my-analysis.xlsx").write_text("work")
    code, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report")
    assert code == 2 and "did not write, or edited since it wrote them (my-analysis.xlsx)" in err
    assert (out / "my-analysis.xlsx").read_text() == "work"
    assert beside.read_text() == "keep" and not leftovers(tmp_path)


def test_an_edited_output_file_is_not_replaced_without_force(write_tiny, tmp_path, capsys):
    """An analyst adds a column of notes to a run's table in Excel and saves it (or a sheet
    to its workbook): the next run into the folder deleted it, because the manifest knew the
    file's name only."""
    path = write_tiny()
    out = tmp_path / "out"
    run = ["run", str(path), "--out", str(out), "--no-report"]
    assert cli(capsys, *run)[0] == 0
    table = out / "placements.csv"
    table.write_bytes(table.read_bytes() + b"the council's notes\n")
    edited = table.read_bytes()
    code, err = cli(capsys, *run)
    assert code == 2 and "(placements.csv, edited since)" in err and "--force" in err
    assert table.read_bytes() == edited and not leftovers(tmp_path)
    assert cli(capsys, *run, "--force")[0] == 0
    assert table.read_bytes() != edited
    assert cli(capsys, *run)[0] == 0  # as written: replaced


def test_a_manifest_of_names_only_still_guards_later_edits(write_tiny, tmp_path, capsys):
    """A folder written by an earlier version lists names only: a file modified after its
    manifest was written counts as edited."""
    path = write_tiny()
    out = tmp_path / "out"
    assert cli(capsys, "run", str(path), "--out", str(out), "--no-report")[0] == 0
    manifest = out / MANIFEST
    names = sorted(json.loads(manifest.read_text())["files"])
    manifest.write_text(json.dumps({"written_by": "sufficiency", "files": names}))
    stamp = manifest.stat().st_mtime
    for f in names:  # as the earlier version left them: written before the manifest
        os.utime(out / f, (stamp - 10, stamp - 10))
    assert cli(capsys, "run", str(path), "--out", str(out), "--no-report")[0] == 0
    manifest.write_text(json.dumps({"written_by": "sufficiency", "files": names}))
    stamp = manifest.stat().st_mtime
    for f in names:
        os.utime(out / f, (stamp - 10, stamp - 10))
    os.utime(out / "placements.csv", (stamp + 10, stamp + 10))
    code, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report")
    assert code == 2 and "placements.csv, edited since" in err


def test_empty_folder_accepted_and_file_refused(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(capsys, "run", str(path), "--out", str(empty), "--no-report")[0] == 0
    a_file = tmp_path / "out"
    a_file.write_text("not a folder")
    for force in ([], ["--force"]):
        code, err = cli(capsys, "run", str(path), "--out", str(a_file), "--no-report", *force)
        assert code == 2 and "is an existing file, not a folder" in err
    assert a_file.read_text() == "not a folder" and not leftovers(tmp_path)


def test_compare_and_forecast_refuse_input_folders(write_tiny, capsys) -> None:
    path = write_tiny()
    before = snapshot(path.parent)
    code, err = cli(capsys, "compare", str(path), "--out", str(path.parent / "data"), "--force")
    assert code == 2 and "holds the input" in err
    code, err = cli(capsys, "forecast", str(path), "--out", str(path.parent), "--force")
    assert code == 2 and "holds the input" in err
    assert snapshot(path.parent) == before


def test_python_api_refuses_the_data_folder(write_tiny) -> None:
    path = write_tiny()
    result = sufficiency.run(path)
    before = snapshot(path.parent)
    with pytest.raises(SufficiencyError, match="holds the input"):
        result.write(path.parent / "data", report=False, force=True)
    assert snapshot(path.parent) == before


def test_example_refuses_a_non_empty_folder_and_a_file(tmp_path, capsys) -> None:
    target = tmp_path / "ex"
    assert cli(capsys, "example", str(target))[0] == 0
    scenario = target / "scenario.yaml"
    scenario.write_text(scenario.read_text() + "# my edit\n")
    code, err = cli(capsys, "example", str(target))
    assert code == 2 and "is not empty" in err and "--force" in err
    assert scenario.read_text().endswith("# my edit\n")
    # --force writes over the library's own files, never over the council's edits to them
    code, err = cli(capsys, "example", str(target), "--force")
    assert code == 2 and "scenario.yaml, edited since sufficiency wrote it" in err
    assert scenario.read_text().endswith("# my edit\n")
    scenario.rename(tmp_path / "my-scenario.yaml")  # moved away: nothing of theirs is left
    assert cli(capsys, "example", str(target), "--force")[0] == 0
    assert not scenario.read_text().endswith("# my edit\n")
    assert cli(capsys, "example", str(target), "--force")[0] == 0  # unedited: rewritten
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    code, err = cli(capsys, "example", str(a_file))
    assert code == 2 and "is a file, not a folder" in err and a_file.read_text() == "x"


def test_failure_while_writing_leaves_nothing(write_tiny, tmp_path, monkeypatch, capsys) -> None:
    path = write_tiny()
    calls = []

    def broken(frame, where):
        calls.append(where)
        if len(calls) == 3:
            raise ValueError("disk full")
        frame.to_csv(where)

    monkeypatch.setattr(outputs, "write_csv", broken)
    code, err = cli(capsys, "run", str(path), "--out", str(tmp_path / "out"), "--no-report")
    assert code == 2 and "cannot write the output folder" in err and "disk full" in err
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


@pytest.mark.parametrize(
    ("interrupt", "code"),
    [("sigint", 130), ("sigterm", 128 + signal.SIGTERM)],
)
def test_interrupt_while_writing_leaves_nothing(
    interrupt, code, write_tiny, tmp_path, monkeypatch, capsys
) -> None:
    path = write_tiny()
    real = outputs.write_csv
    calls = []

    def interrupted(frame, where):
        calls.append(where)
        real(frame, where)
        if len(calls) == 2:
            if interrupt == "sigint":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)  # the handler raises before the next line

    monkeypatch.setattr(outputs, "write_csv", interrupted)
    handler = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "out"
    got, err = cli(capsys, "run", str(path), "--out", str(out), "--no-report")
    assert got == code and ("interrupted" in err or "terminated" in err)
    assert len(calls) == 2 and not out.exists() and not leftovers(tmp_path)
    assert signal.getsignal(signal.SIGTERM) == handler  # restored after the command


def test_stale_temporary_folders_of_dead_processes_are_removed(write_tiny, tmp_path, capsys):
    path = write_tiny()
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    dead, alive = tmp_path / ".out.dead1234", tmp_path / ".out.alive123"
    for folder, pid in ((dead, done.pid), (alive, os.getpid())):
        folder.mkdir()
        (folder / ".sufficiency-pid").write_text(str(pid))
        (folder / "placements.csv").write_text("half written")
    old = tmp_path / f".out.old-{done.pid}-0"
    old.mkdir()
    (old / MANIFEST).write_text('{"files": []}')
    users = tmp_path / ".out.mine"  # same naming, but not ours: no marker
    users.mkdir()
    assert cli(capsys, "run", str(path), "--out", str(tmp_path / "out"), "--no-report")[0] == 0
    assert sorted(leftovers(tmp_path)) == [".out.alive123", ".out.mine"]


def test_write_mps_into_a_missing_folder_fails_before_solving(
    write_tiny, tmp_path, monkeypatch, capsys
) -> None:
    path = write_tiny()
    monkeypatch.setattr(
        "sufficiency.pipeline.run", lambda *a, **k: pytest.fail("ran before checking")
    )
    out = tmp_path / "out"
    mps = tmp_path / "nowhere" / "m.mps"
    code, err = cli(capsys, "run", str(path), "--out", str(out), "--write-mps", str(mps))
    assert code == 2 and "--write-mps" in err and "does not exist" in err
    assert not out.exists() and not mps.parent.exists()
    code, err = cli(capsys, "run", str(path), "--out", str(out), "--write-mps", str(path))
    assert code == 2 and "is the scenario file itself" in err
