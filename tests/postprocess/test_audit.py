"""The attacker's audit of the tables published together: per-table suppression leaves
counts of 1-4 that can be narrowed down; hiding more cells protects every one of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sufficiency
from sufficiency.datasets import synthetic_borough
from sufficiency.postprocess.audit import audit, collect, protect_together
from sufficiency.postprocess.disclosure import SUPPRESSED, publish

NAMES = ("dsg_plan", "scap", "commissioning")


@pytest.fixture(scope="module")
def small_council(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A council of 12 settings (about 650 children with plans, a fifth of the bundled
    borough): its returns tables for the first plan year."""
    path = synthetic_borough(n_settings=12, seed=1, path=tmp_path_factory.mktemp("small"))
    result = sufficiency.run(Path(path))
    year = int(result.summary["by_year"][0]["year"])
    raw = {n: getattr(result, n) for n in NAMES}
    raw["scap"] = raw["scap"][raw["scap"]["year"] == year].reset_index(drop=True)
    raw["commissioning"] = raw["commissioning"][raw["commissioning"]["year"] == year]
    raw["commissioning"] = raw["commissioning"].reset_index(drop=True)
    d = raw["dsg_plan"]
    raw["dsg_plan"] = d[d["period"].astype(str) == str(year)].reset_index(drop=True)
    return raw


@pytest.mark.slow
def test_per_table_suppression_can_be_unpicked(small_council: dict[str, pd.DataFrame]) -> None:
    found = audit(small_council, publish(small_council))
    small = found[(found["value"] >= 1) & (found["value"] <= 4)]
    assert len(small)
    assert (~small["protected"]).any()  # the finding, before the audit's remedy
    assert (found["low"] <= found["value"]).all() and (found["value"] <= found["high"]).all()


@pytest.mark.slow
def test_every_suppressed_count_covers_0_to_4_when_published_together(
    small_council: dict[str, pd.DataFrame],
) -> None:
    shown = protect_together(small_council, publish(small_council))
    found = audit(small_council, shown)
    assert found["protected"].all()
    small = found[(found["value"] >= 1) & (found["value"] <= 4)]
    assert (small["low"] <= 0).all() and (small["high"] >= 4).all()
    cells = collect(small_council, shown).frame
    visible = cells[~cells["hidden"]]
    assert not ((visible["value"] >= 1) & (visible["value"] <= 4)).any()
    # what is shown is what the per-table rule showed: the audit only hides more
    for name in NAMES:
        before = publish(small_council)[name].astype(str).to_numpy()
        after = shown[name].astype(str).to_numpy()
        kept = after != SUPPRESSED
        assert np.array_equal(after[kept], before[kept])
