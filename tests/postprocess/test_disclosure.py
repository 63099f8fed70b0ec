"""summary.json in a folder meant for publication: whole children, 'c' for counts of 1-4,
money and years as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sufficiency
from sufficiency.postprocess.disclosure import SUPPRESSED, protect_summary

from conftest import WriteBorough, tiny_scenario_dict


def test_protect_summary_by_hand() -> None:
    summary = {
        "base_year": 2025,
        "plan_years": [2026, 2027],
        "total_shortfall": 1.9,
        "total_cost": 3.0,
        "market": True,
        "by_year": [{"year": 2026, "placed_partnership": 1.9, "shortfall": 0.4, "hnb_cost": 2.0}],
        "out_of_area_target_missed": {"2026": 12.6},
        "timings": {"solve": 2.5},
        "model_size": {"settings": 3},
        "assumptions": [{"what": "market price", "value": "£70,000"}],
    }
    out = protect_summary(summary)
    assert out["total_shortfall"] == SUPPRESSED and out["total_cost"] == 3.0
    assert out["by_year"][0] == {
        "year": 2026,
        "placed_partnership": SUPPRESSED,
        "shortfall": 0,
        "hnb_cost": 2.0,
    }
    assert out["out_of_area_target_missed"] == {"2026": 13}
    assert out["base_year"] == 2025 and out["plan_years"] == [2026, 2027] and out["market"]
    assert out["timings"] == {"solve": 2.5} and out["model_size"] == {"settings": 3}
    assert out["assumptions"] == summary["assumptions"]
    assert summary["total_shortfall"] == 1.9  # a copy: the run's summary is as it was


def _counts(node: Any, key: str = "") -> list[tuple[str, Any]]:
    """Every figure of a summary that counts children, with its name."""
    from sufficiency.postprocess.disclosure import SUMMARY_NOT_COUNTS, _is_count

    if isinstance(node, dict):
        return [
            found
            for k, v in node.items()
            if k not in SUMMARY_NOT_COUNTS
            for found in _counts(v, str(k))
        ]
    if isinstance(node, list):
        return [found for v in node for found in _counts(v, key)]
    if isinstance(node, bool) or not isinstance(node, int | float | str):
        return []
    if isinstance(node, str):
        return [(key, node)] if node == SUPPRESSED else []
    return [(key, node)] if _is_count(key) else []


def test_summary_json_in_a_publication_folder_has_no_count_below_5(
    write_tiny: WriteBorough, tmp_path: Path
) -> None:
    """The tiny borough (one child not placed, 2 in an independent school) with disclosure
    control: summary.json beside the published tables holds no count of 1-4."""
    scenario = {**tiny_scenario_dict(), "report": {"disclosure": True}}
    result = sufficiency.run(write_tiny(scenario=scenario))
    raw = _counts(result.summary)
    assert any(isinstance(v, float) and 0 < v < 5 for _, v in raw)  # there are small ones
    out = result.write(tmp_path / "out", report=False)
    assert (out / "published" / "scap.csv").is_file()
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    found = _counts(written)
    assert found and any(v == SUPPRESSED for _, v in found)
    for name, value in found:
        assert value == SUPPRESSED or (isinstance(value, int) and not 0 < value < 5), name
    # without disclosure control summary.json keeps the working figures
    plain = sufficiency.run(write_tiny(folder="plain")).write(tmp_path / "plain_out", report=False)
    kept = _counts(json.loads((plain / "summary.json").read_text(encoding="utf-8")))
    assert any(isinstance(v, float) and 0 < v < 5 for _, v in kept)
    assert not any(v == SUPPRESSED for _, v in kept)
