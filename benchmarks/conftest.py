"""pytest-benchmark fixtures: the sizes chosen by environment variables, loaded once each.

- ``SUFFICIENCY_BENCH_SIZES``: comma-separated sizes, or ``all`` (default: the sizes that
  are not slow).
- ``SUFFICIENCY_BENCH_SMOKE=1``: every size on tiny boroughs (CI, with
  ``--benchmark-disable`` so each benchmark runs once).
- ``SUFFICIENCY_BENCH_LAS``: boroughs of multi-borough sizes (default 5; 0 = all 153).
- ``SUFFICIENCY_BENCH_ROUNDS``: rounds per benchmark (default: the size's ``repeat``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.drivers import Case, export_mps, prepare
from benchmarks.sizes import Size, select

SMOKE = os.environ.get("SUFFICIENCY_BENCH_SMOKE", "") not in ("", "0")
_las = os.environ.get("SUFFICIENCY_BENCH_LAS")
SELECTED = select(
    os.environ.get("SUFFICIENCY_BENCH_SIZES"),
    smoke=SMOKE,
    las=int(_las) if _las else None,
)


@pytest.fixture(scope="session", params=SELECTED, ids=[s.name for s in SELECTED])
def size(request: pytest.FixtureRequest) -> Size:
    """One benchmark size."""
    return request.param


@pytest.fixture(scope="session")
def rounds(size: Size) -> int:
    """Rounds per benchmark."""
    return int(os.environ.get("SUFFICIENCY_BENCH_ROUNDS") or size.repeat)


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the synthetic boroughs are written (once per session)."""
    return tmp_path_factory.mktemp("boroughs")


@pytest.fixture(scope="session")
def prepared() -> dict[tuple[str, tuple[str, ...]], Case]:
    """Boroughs already loaded, by label and ``--set`` values (smoke sizes share some)."""
    return {}


@pytest.fixture(scope="session")
def cases(
    size: Size, folder: Path, prepared: dict[tuple[str, tuple[str, ...]], Case]
) -> list[Case]:
    """The size's boroughs, loaded and projected."""
    out = []
    for b in size.boroughs:
        key = (b.label, size.set_values)
        if key not in prepared:
            prepared[key] = prepare(b, folder, size.set_values)
        out.append(prepared[key])
    return out


@pytest.fixture(scope="session")
def mps_files(
    size: Size, cases: list[Case], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Each borough's model as an MPS file."""
    root = tmp_path_factory.mktemp(f"mps-{size.name}")
    return [export_mps(c.matrix, root / f"{i}.mps") for i, c in enumerate(cases)]


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Benchmarks time one process: the test suite's ``-n auto`` (pyproject) is not theirs."""
    if getattr(config.option, "numprocesses", None):
        config.option.numprocesses = None
        config.option.dist = "no"
