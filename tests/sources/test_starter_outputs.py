"""A scenario written by either starter, run as a council analyst would: every output lists
the assumptions in force, reads "not modelled" where no input covers a figure (never 0),
and nobody is placed outside a setting's ages, or under 16 in a college.

One run of each starter (with its report): the published-data starter for one small council
from the DfE's shared release, and the own-data starter from the bundled borough's SEN2
exports and register extract.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sufficiency.cli import main
from sufficiency.errors import DataWarning
from sufficiency.example._writing import EXAMPLE_DIR
from sufficiency.report import labels
from sufficiency.sources.council import write_council_starter
from sufficiency.sources.starter import write_starter

from conftest import SHARED_DATA

RELEASE = SHARED_DATA / "dfe_release_2025_to_2023"
#: Under 16: the DSG plan's age groups no college or post-16 place may hold.
UNDER_16 = ("under_5", "age_5_10", "age_11_15")


def _starter(kind: str, folder: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # estimated figures, places raised: said
        if kind == "published":
            if not (RELEASE / "caseload.csv").is_file():
                pytest.skip(f"DfE published files not found in {RELEASE}")
            return write_starter("Rutland", RELEASE, folder)
        return write_council_starter(EXAMPLE_DIR / "sen2", EXAMPLE_DIR / "gias.csv", folder)


def _text(page: str) -> str:
    """The words of an HTML page, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _cells(path: Path, sheet: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def _column(rows: list[tuple[object, ...]], header: str, table: str = "") -> list[object]:
    """The body of the column headed ``header`` of the first table whose header row holds
    ``table`` too (default: the first such column), down to its first blank."""
    for i, row in enumerate(rows):
        if header in row and (table or header) in row:
            j = row.index(header)
            body = [r[j] for r in rows[i + 1 :]]
            return body[: body.index(None)] if None in body else body
    raise AssertionError(f"no column {header!r}")


def _assumptions_everywhere(summary: dict, out: Path, said: str, page: str) -> None:
    whats = [a["what"] for a in summary["assumptions"]]
    assert whats and all(tuple(a) == ("what", "value", "why", "how_to_replace")
                         for a in summary["assumptions"])  # fmt: skip
    assert f"{len(whats)} assumptions in force: {', '.join(whats)}; see the report" in said
    assert "Assumptions" in page and all(w in page for w in whats)
    about = _column(_cells(out / "workbook.xlsx", "About"), "What")
    assert about[: len(whats)] == whats


def _not_modelled_everywhere(summary: dict, out: Path, said: str, page: str) -> None:
    missing = summary["not_modelled"]
    assert [m["what"] for m in missing] == ["children on SEN support",
                                            "schools' notional SEN budgets"]  # fmt: skip
    for key in ("total_school_cost", "total_all_payers_cost"):
        assert summary[key] is None
    for row in [*summary["by_year"], *summary["by_financial_year"]]:
        assert row["school_cost"] is None and row["all_payers_cost"] is None
    assert all(r["sen_support_placed"] is None for r in summary["by_year"])
    assert summary["total_cost"] > 0
    # the command
    assert "schools' notional SEN budgets not modelled" in said
    assert "not modelled: children on SEN support" in said
    # the report: the reasons, and the words where the figures would be
    assert "Not modelled" in page and all(m["why"] in page for m in missing)
    money = page[page.index("Cost by payer") : page.index("Cost by component")]
    assert money.count(labels.NOT_MODELLED) >= 2 * len(summary["plan_years"])
    assert f"Schools' notional SEN budgets over the plan years {labels.NOT_MODELLED}" in page
    # the workbook: the Summary sheet's columns, the SEN support sheet and the About sheet
    rows = _cells(out / "workbook.xlsx", "Summary")
    for key in ("school_cost", "all_payers_cost"):
        body = _column(rows, labels.label(key))
        assert body == [labels.NOT_MODELLED] * (len(summary["plan_years"]) + 1)  # with total
    support = _column(_cells(out / "workbook.xlsx", "SEN support by tier"), labels.label("total"))
    assert set(support) == {labels.NOT_MODELLED}
    about = _cells(out / "workbook.xlsx", "About")
    assert _column(about, "What", "How to model it") == [m["what"] for m in missing]
    assert _column(about, "Why", "How to model it") == [m["why"] for m in missing]
    assert ("Schools' notional SEN budgets over the plan years", labels.NOT_MODELLED) in [
        r[:2] for r in about
    ]


def _within_ages(folder: Path, out: Path) -> None:
    settings = pd.read_csv(folder / "data" / "settings.csv", dtype={"setting": str})
    s = settings.set_index("setting")
    college = settings.loc[
        settings["establishment_type"].isin(
            ["general_fe_tertiary_colleges", "specialist_post_16_institutions", "ukrlp_provider"]
        ),
        "setting",
    ]
    assert len(college) and (s.loc[college, "age_min"] >= 16).all()
    # the history as written (the base year recorded): within each setting's ages
    caseload = pd.read_csv(folder / "data" / "caseload.csv", dtype={"setting": str})
    at = caseload[caseload["setting"].isin(s.index) & (caseload["children"] > 0)]
    assert (at["age"] >= at["setting"].map(s["age_min"])).all()
    assert (at["age"] <= at["setting"].map(s["age_max"])).all()
    # every placement, recorded and projected: its band meets the setting's ages
    placed = pd.read_csv(out / "placements.csv", dtype={"setting": str})
    placed = placed[placed["children"] > 1e-6]
    lo = placed["age_band"].str.split("-").str[0].astype(int)
    hi = placed["age_band"].str.split("-").str[1].astype(int)
    known = placed["setting"].isin(s.index)
    assert (hi[known] >= placed.loc[known, "setting"].map(s["age_min"])).all()
    assert (lo[known] <= placed.loc[known, "setting"].map(s["age_max"])).all()
    post16 = placed["dsg_category"] == "post16_fe"
    assert post16.any() and (lo[post16] >= 16).all()
    # the DSG management plan's post-16 and FE row: nobody under 16
    dsg = pd.read_csv(out / "dsg_plan.csv")
    row = dsg[(dsg["section"] == "children_by_category_and_age") & (dsg["line"] == "post16_fe")]
    assert len(row) and row.loc[row["column"].isin(UNDER_16), "value"].abs().max() < 1e-9
    assert row.loc[row["column"] == "total", "value"].sum() > 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["published", "own"])
def test_a_starter_run_shows_its_assumptions_and_what_it_does_not_model(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _starter(kind, tmp_path / "starter")
    capsys.readouterr()
    assert main(["run", str(scenario), "--out", str(tmp_path / "run"), "-q"]) == 0
    said = capsys.readouterr().out
    out = tmp_path / "run"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    page = _text((out / "report.html").read_text(encoding="utf-8"))
    _assumptions_everywhere(summary, out, said, page)
    _not_modelled_everywhere(summary, out, said, page)
    _within_ages(scenario.parent, out)


def test_fixed_decimals_write_what_pandas_float_format_writes(tmp_path: Path) -> None:
    """The starter's caseload is written with its numbers made text in one pass: the same
    bytes as pandas' ``float_format``, blanks, signs, halves and large numbers included."""
    from sufficiency.sources.starter import _with_fixed_decimals

    frame = pd.DataFrame(
        {
            "year": [2022, 2022, 2023, 2023, 2024, 2024],
            "need": ["ASD", "SEMH", "ASD", "SEMH", "ASD", "MLD"],
            "children": [0.0005, float("nan"), -0.0, 1234567.89051, 2.675, 1e-7],
            "share": [0.1, 0.25, float("nan"), 1 / 3, 2 / 3, 0.0],
        }
    )
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    _with_fixed_decimals(frame, "%.3f").to_csv(ours, index=False)
    frame.to_csv(theirs, index=False, float_format="%.3f")
    assert ours.read_bytes() == theirs.read_bytes()
