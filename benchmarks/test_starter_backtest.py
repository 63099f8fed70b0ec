"""The starter backtest's pieces: the release cut to an earlier January, and its scoring."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from benchmarks.starter_backtest import RELEASE, cut_release, january, published, scored, summary

needs_release = pytest.mark.skipif(
    not (RELEASE / "caseload.csv").is_file(), reason=f"the DfE release is not in {RELEASE}"
)


def test_januaries_of_academic_and_calendar_years() -> None:
    assert january("201819") == 2019  # the caseload's academic year: its January
    assert january("2022") == 2022  # flows' calendar year, the older files' January
    assert january(" 202223 ") == 2023


def _years(path) -> set[int]:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {january(r["time_period"]) for r in csv.DictReader(f)}


@needs_release
def test_the_release_is_cut_as_published_at_the_origin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = cut_release(2021, tmp_path / "cut", older=True)
    assert _years(folder / "caseload.csv") == {2019, 2020, 2021}
    assert max(_years(folder / "newplans.csv")) == 2020  # flows to the year before
    assert not (folder / "ceased_plans.csv").exists()  # 2022 only: nothing published yet
    assert max(_years(folder / "dfe_ehcp_by_age_2010_2022.csv")) == 2021
    assert (folder / "data-guidance.txt").is_file()
    plain = cut_release(2022, tmp_path / "plain", older=False)
    assert not (plain / "dfe_ehcp_by_age_2010_2022.csv").exists()
    assert max(_years(plain / "caseload.csv")) == 2022


@needs_release
def test_forecasts_are_scored_on_the_published_plans_after_the_origin() -> None:
    actual = published()
    dudley_2023 = float(actual[("E08000027", 2023)])
    table = pd.DataFrame(
        {
            "la": ["E08000027"] * 3 + ["E99999999"],
            "scenario": ["auto"] * 4,
            "year": [2022, 2023, 2024, 2023],
            "ehc_plans": [1.0, dudley_2023 * 1.1, 5.0, 7.0],
        }
    )
    points = scored(table, actual, 2022).assign(history="h")
    # 2022 is the origin, 2024 is past the release, E99999999 was never published
    assert points[["year", "forecast"]].values.tolist() == [[2023, dudley_2023 * 1.1]]
    row = summary(points).iloc[0]
    assert row["horizon"] == 1 and row["n"] == 1
    assert row["wape"] == pytest.approx(0.1) and row["bias_pct"] == pytest.approx(10.0)
