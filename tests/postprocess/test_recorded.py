"""The base year's recorded placements: in placements.csv, priced, never in plan-year sums."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sufficiency


def test_recorded_placements_of_the_tiny_borough(write_tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = sufficiency.run(write_tiny())
    rec = result.recorded.set_index("setting")
    assert set(rec["status"]) == {"recorded"} and set(rec["year"]) == {2025}
    # the caseload's 2025 children in the register's settings (NOT_PLACED is not a placement)
    assert rec["children"].to_dict() == {"IND1": 2.0, "MS1": 5.0, "SS1": 10.0}
    assert rec.loc["SS1", "hnb_cost"] == 300_000 and rec.loc["SS1", "transport_cost"] == 60_000
    assert rec.loc["SS1", "place_funding_cost"] == 100_000  # £10,000 default for special
    assert rec.loc["SS1", "top_up_cost"] == 200_000
    assert rec.loc["IND1", "fee_cost"] == 120_000 and rec.loc["IND1", "place_funding_cost"] == 0
    assert rec.loc["MS1", "unit_cost"] == 8_000
    assert list(result.recorded.columns) == list(result.placements.columns)
    # the plan years' placements hold no base-year row: their sums are the plan years'
    assert 2025 not in set(result.placements["year"])
    assert result.summary["base_year_hnb_cost"] == pytest.approx(rec["hnb_cost"].sum())
    out = result.write(tmp_path / "out", report=False)
    written = pd.read_csv(out / "placements.csv")
    assert written["status"].iloc[:3].tolist() == ["recorded"] * 3
    plan = written[written["status"] != "recorded"]
    assert plan["total_cost"].sum() == pytest.approx(result.placements["total_cost"].sum())
