"""Solver output never reaches stdout or stderr unless asked (``--verbose``)."""

from __future__ import annotations

import logging
import os

import pytest

import sufficiency
from sufficiency.cli import main
from sufficiency.solve import engines


@pytest.mark.parametrize("solver", ["highs", "cbc", "pulp-highs"])
def test_a_run_prints_nothing(write_tiny, solver: str, capfd: pytest.CaptureFixture[str]) -> None:
    path = write_tiny()
    capfd.readouterr()
    sufficiency.run(path, set_values={"allocation.solver": solver})
    out, err = capfd.readouterr()  # file-descriptor level: what compiled code prints too
    assert "HiGHS" not in out + err and out == "" and err == ""


def test_quiet_command_prints_only_its_result(
    write_tiny, tmp_path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = write_tiny()
    capfd.readouterr()
    assert main(["run", "-q", str(path), "--out", str(tmp_path / "o")]) == 0
    out, err = capfd.readouterr()
    assert "Running HiGHS" not in out and err == ""
    assert out.startswith("scenario tiny: wrote")


def test_debug_lets_the_banner_through(capfd: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("sufficiency.solve.engines")
    old = logger.level
    try:
        logger.setLevel(logging.INFO)  # a notebook following a run: no solver output
        with engines.quiet_native_output():
            os.write(1, b"native words at INFO\n")
        logger.setLevel(logging.DEBUG)
        with engines.quiet_native_output():
            os.write(1, b"native words\n")  # as compiled code writes (HiGHS's banner)
    finally:
        logger.setLevel(old)
    assert capfd.readouterr().out == "native words\n"
    with engines.quiet_native_output(), engines.quiet_native_output():  # re-entrant
        os.write(1, b"native words\n")
        engines.highspy.Highs()
    print("stdout is back")
    assert capfd.readouterr().out == "stdout is back\n"


@pytest.mark.parametrize(("flags", "shown"), [(["-v"], False), (["-vv"], True)])
def test_solver_output_only_with_vv(
    write_tiny, tmp_path, capfd: pytest.CaptureFixture[str], flags: list[str], shown: bool
) -> None:
    path = write_tiny()
    capfd.readouterr()
    out_dir = tmp_path / "o"
    assert main(["run", "-q", *flags, str(path), "--out", str(out_dir), "--no-report"]) == 0
    out = capfd.readouterr().out
    assert ("LP has" in out) is shown  # HiGHS's log (its banner comes once a process)
    assert logging.getLogger("sufficiency").level == logging.NOTSET  # put back after
