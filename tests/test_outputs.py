"""The CSV files hold the run's figures in full: checks on them hold from the files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sufficiency.data import NOT_IN_SCHOOL
from sufficiency.outputs import RESIDUE, clean_residues


def test_csv_round_trips_and_adds_up_to_the_summary(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = baseline.write(tmp_path / "out", report=False)
    placements = pd.read_csv(out / "placements.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # full precision: every payer's cost is children × unit cost to the penny, not to 6
    # figures
    np.testing.assert_allclose(
        placements["all_payers_cost"], placements["children"] * placements["unit_cost"], rtol=1e-12
    )
    # the base year's recorded placements come first (status ``recorded``), then the plan
    # years' rows exactly as the result holds them
    recorded = placements["status"] == "recorded"
    assert (placements.loc[recorded, "year"] == summary["base_year"]).all()
    caseload = baseline.extras["inputs"].caseload
    base = caseload[caseload["year"] == summary["base_year"]]
    in_settings = base[~base["setting"].astype(str).isin(list(NOT_IN_SCHOOL))]
    assert placements.loc[recorded, "children"].sum() == pytest.approx(
        in_settings["children"].sum()
    )
    assert placements.loc[recorded, "hnb_cost"].sum() > 0
    assert not (placements.loc[~recorded, "year"] == summary["base_year"]).any()
    placements = placements[~recorded]
    children = baseline.placements["children"]
    kept = baseline.placements[(children.abs() >= RESIDUE) | (children == 0)]
    np.testing.assert_array_equal(placements["children"].to_numpy(), kept["children"].to_numpy())
    not_in_school = pd.read_csv(out / "not_in_school.csv").groupby("year")["hnb_cost"].sum()
    by_year = placements.groupby("year")["total_cost"].sum().add(not_in_school, fill_value=0)
    expected = pd.Series({row["year"]: row["total_cost"] for row in summary["by_year"]})
    np.testing.assert_allclose(by_year, expected.reindex(by_year.index), rtol=1e-9)
    assert placements["children"].abs().min() >= RESIDUE  # no 2e-08 children


def test_residues_are_dropped_not_rounded() -> None:
    frame = pd.DataFrame({"children": [2.2e-8, 0.0, 0.5, -3e-9], "used": [1e-9, 1.0, 0.0, 2.0]})
    cleaned = clean_residues(frame)
    assert cleaned["children"].tolist() == [0.0, 0.5]
    used = clean_residues(frame.drop(columns="children"))["used"].tolist()
    assert used == [0.0, 1.0, 0.0, 2.0]


def test_forecast_age_bands_in_age_order(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sufficiency import taxonomy

    assert baseline.forecast["age_band"].dtype == taxonomy.AGE_BAND_DTYPE
    out = baseline.write(tmp_path / "out", report=False)
    forecast = pd.read_csv(out / "forecast.csv")
    asd = forecast[(forecast["provision"] == "ehc_plan") & (forecast["need"] == "ASD")]
    assert asd["age_band"].drop_duplicates().tolist() == [b[0] for b in taxonomy.AGE_BANDS]
