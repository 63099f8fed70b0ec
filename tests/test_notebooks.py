"""Every notebook in notebooks/ executes without error, and every chart cell shows its
chart (an image output, with no ``%matplotlib`` magic in the notebook)."""

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))

#: A cell that ends by returning a chart: the report's figures or a forecast's plot.
CHART_MARKERS = ("figures[", "charts(", ".plot(")


SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path) -> None:
    if "your_council" in path.stem and not (SHARED_DATA / "dfe_release_2025_to_2023").is_dir():
        pytest.skip(f"DfE published files not found in {SHARED_DATA}")
    nb = jupytext.read(path)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any("%matplotlib" in c.source for c in code), "charts must show without magic"
    charts = [c for c in code if any(m in c.source.strip().splitlines()[-1] for m in CHART_MARKERS)]
    for cell in charts:
        kinds = {k for out in cell.get("outputs", []) for k in out.get("data", {})}
        assert "image/png" in kinds, f"chart cell showed no picture:\n{cell.source}"
    for cell in code:  # no solver banner, no 265,000-character repr
        for out in cell.get("outputs", []):
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert "Running HiGHS" not in text, cell.source
            assert len(text) < 20_000, cell.source


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS
    chart_cells = [
        line
        for path in NOTEBOOKS
        for line in path.read_text(encoding="utf-8").splitlines()
        if any(m in line for m in CHART_MARKERS)
    ]
    assert chart_cells  # the check above has something to check
