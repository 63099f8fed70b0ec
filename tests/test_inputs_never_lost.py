"""Data never lost: no command that writes (run, compare, forecast, sweep, init, example)
may overwrite or delete an input, even with --force: a scenario, its data (wherever they
are), a --dfe folder, a --population file, or a folder the user wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sufficiency.cli import main
from sufficiency.datasets import write_example
from sufficiency.errors import SufficiencyError
from sufficiency.sweep import Sweep, Task

FIXTURES = Path(__file__).parent / "sources" / "fixtures"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--quiet", *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def two_councils(write_tiny) -> tuple[Path, Path]:
    return write_tiny(folder="north"), write_tiny(folder="south")


@pytest.fixture
def dfe(tmp_path: Path) -> Path:
    folder = tmp_path / "dfe"
    shutil.copytree(FIXTURES / "release_2025", folder)
    return folder


def test_sweep_out_holding_a_scenario_is_refused_even_with_force(two_councils, capsys) -> None:
    north, south = two_councils
    before = snapshot(north.parent)
    code, err = cli(capsys, "sweep", str(north), str(south), "--out", str(north.parent), "--force")
    assert code == 2 and err.count("error:") == 1
    assert "holds the input" in err and "--force does not override this" in err
    assert snapshot(north.parent) == before


def test_sweep_out_holding_data_kept_elsewhere_is_refused(write_tiny, tmp_path, capsys) -> None:
    path = write_tiny(folder="council")
    tables = tmp_path / "tables"
    shutil.move(path.parent / "data", tables)
    doc = yaml.safe_load(path.read_text())
    doc["data"] = {k: f"../tables/{Path(v).name}" for k, v in doc["data"].items()}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    before = snapshot(tables)
    for command in (["sweep"], ["compare"], ["forecast"], ["run"]):
        code, err = cli(capsys, *command, str(path), "--out", str(tables), "--force")
        assert code == 2 and "holds the input" in err, (command, err)
    assert snapshot(tables) == before


def test_sweep_out_at_the_dfe_folder_is_refused_even_with_force(dfe, capsys) -> None:
    before = snapshot(dfe)
    for out in (dfe, dfe.parent):
        code, err = cli(capsys, "sweep", "--dfe", str(dfe), "--la", "Dudley", "--out", str(out))
        assert code == 2 and "holds the input" in err
        code, err = cli(
            capsys, "sweep", "--dfe", str(dfe), "--la", "Dudley", "--out", str(out), "--force"
        )
        assert code == 2 and "holds the input" in err
    code, err = cli(capsys, "sweep", "--dfe", str(dfe), "--la", "Dudley", "--out", str(dfe / "x"))
    assert code == 2 and "inside the input folder" in err
    assert snapshot(dfe) == before


def test_sweep_write_from_python_refuses_its_inputs(two_councils, dfe) -> None:
    north, _ = two_councils
    done = Sweep(
        table=pd.DataFrame(columns=["la"]),
        errors=pd.DataFrame(columns=["la", "scenario", "error"]),
        tasks=[
            Task("north", "baseline", str(north)),
            Task("Dudley", "baseline", "x", (), str(dfe)),
        ],
    )
    before = snapshot(north.parent), snapshot(dfe)
    for out in (north.parent, north.parent / "data", dfe):
        with pytest.raises(SufficiencyError, match="holds the input"):
            done.write(out, force=True)
    assert (snapshot(north.parent), snapshot(dfe)) == before


def test_init_never_writes_into_its_inputs(dfe, tmp_path, capsys) -> None:
    before = snapshot(dfe)
    args = ["init", "--la", "Dudley", "--dfe", str(dfe)]
    code, err = cli(capsys, *args, str(dfe), "--force")
    assert code == 2 and "holds the input" in err
    # a starter inside the DfE folder would be read back as DfE files next time
    code, err = cli(capsys, *args, str(dfe / "starter"))
    assert code == 2 and "inside the input folder" in err
    assert snapshot(dfe) == before and not (dfe / "starter").exists()
    population = tmp_path / "pop" / "mye.csv"
    population.parent.mkdir()
    shutil.copy(FIXTURES / "ons" / "mye_detailed.csv", population)
    pop = ["--population", str(population)]
    code, err = cli(capsys, *args, *pop, str(population.parent), "--force")
    assert code == 2 and "holds the input" in err
    assert population.read_bytes() == (FIXTURES / "ons" / "mye_detailed.csv").read_bytes()


def test_init_and_example_never_replace_a_councils_own_scenario(
    write_tiny, dfe, capsys, recwarn
) -> None:
    path = write_tiny(folder="mine")
    before = snapshot(path.parent)
    code, err = cli(capsys, "example", str(path.parent), "--force")
    assert code == 2 and "which sufficiency did not write" in err and "scenario.yaml" in err
    init = ["init", "--la", "Dudley", "--dfe", str(dfe)]
    code, err = cli(capsys, *init, str(path.parent), "--force")
    assert code == 2 and "which sufficiency did not write" in err
    assert snapshot(path.parent) == before
    # their own earlier files are replaced, as --force says, unless edited since
    ex = write_example(path.parent.parent / "ex")
    assert cli(capsys, "example", str(ex.parent), "--force")[0] == 0
    ex.write_text(ex.read_text() + "# edited\n")
    code, err = cli(capsys, "example", str(ex.parent), "--force")
    assert code == 2 and "scenario.yaml, edited since sufficiency wrote it" in err
    assert ex.read_text().endswith("# edited\n")


def test_compare_and_forecast_refuse_a_scenario_folder(two_councils, capsys) -> None:
    north, south = two_councils
    before = snapshot(north.parent)
    out = ["--out", str(north.parent), "--force"]
    code, err = cli(capsys, "compare", str(north), str(south), *out)
    assert code == 2 and "holds the input" in err
    code, err = cli(capsys, "forecast", str(south), "--out", str(north.parent.parent), "--force")
    assert code == 2 and "holds the input" in err
    assert snapshot(north.parent) == before
