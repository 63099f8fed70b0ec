"""The sweep-task benchmark still runs: one council measured part by part (smoke)."""

from __future__ import annotations

import pytest

from benchmarks.sweep_tasks import RELEASE, STAGES, markdown, measure


@pytest.mark.skipif(
    not (RELEASE / "caseload.csv").is_file(), reason=f"the DfE release is not in {RELEASE}"
)
def test_a_sweeps_task_is_measured_part_by_part() -> None:
    record = measure(RELEASE, every=76, count=1)  # a warm-up council, then one measured
    assert record["councils"] == 1
    assert list(record["wall_s"]) == ["starter", *STAGES, "tables and summary"]
    assert all(s >= 0 for s in record["wall_s"].values()) and record["cpu_s_a_task"] > 0
    text = markdown(record, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0))
    assert "| starter |" in text and "CPU a task" in text
