"""The vectorised cost arrays against the per-row reference in ``benchmarks/reference_arrays``.

Same eligible pairs, in the same order, and the same unit costs bit for bit, on the bundled
borough, on synthetic boroughs and on generated registers, cost tables and cost levers.
The one exception is the ``extra_inflation`` lever's power ``(1 + r)^n``: numpy's
vectorised power (SIMD, chosen by CPU) and the C library's ``pow`` may round differently
in the last bit, so costs under that lever agree to a few units in the last place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# benchmarks/ is a folder of the repository (on the path via pyproject's pytest pythonpath)
from benchmarks.reference_arrays import reference_arrays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sufficiency
from sufficiency import datasets, taxonomy
from sufficiency.allocate import build_arrays
from sufficiency.config.levers import CostChange
from sufficiency.data import Inputs, load_inputs
from sufficiency.data.tables import TableSource

from conftest import tiny_scenario_dict, tiny_tables

#: Units in the last place allowed under the extra-inflation lever (see module docstring).
POW_ULPS = 4


def demand_grid(years: Sequence[int], seed: int = 0) -> pd.DataFrame:
    """Every need × age band × level in every plan year, plus rows ``build_arrays`` drops.

    Children are positive and random; a ``not_placed`` level and a year before the plan
    are included to check both are left out.
    """
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [
            [years[0] - 1, *years],
            list(taxonomy.NEEDS),
            list(taxonomy.AGE_BAND_LABELS),
            [*taxonomy.TIERS, "not_placed"],
        ],
        names=["year", "need", "age_band", "level"],
    )
    frame = index.to_frame(index=False)
    frame["children"] = rng.uniform(0.1, 40.0, len(frame))
    return frame


def check_against_reference(
    inputs: Inputs,
    demand: pd.DataFrame,
    years: Sequence[int],
    cost_changes: Sequence[CostChange] = (),
) -> None:
    arrays = build_arrays(
        demand,
        inputs,
        base_year=years[0] - 1,
        years=list(years),
        unmet_penalty=1e6,
        cost_changes=cost_changes,
    )
    ref = reference_arrays(demand, inputs, years=years, cost_changes=cost_changes)
    pd.testing.assert_frame_equal(arrays.groups, ref.groups)
    np.testing.assert_array_equal(arrays.pair_group, np.array(ref.pair_group, dtype=int))
    np.testing.assert_array_equal(arrays.pair_setting, np.array(ref.pair_setting, dtype=int))
    expected = np.array(ref.unit_cost, dtype=float)
    if any(c.extra_inflation for c in cost_changes):
        np.testing.assert_array_max_ulp(arrays.unit_cost, expected, maxulp=POW_ULPS)
    else:
        np.testing.assert_array_equal(arrays.unit_cost, expected)


def scenario_inputs(path: Path) -> tuple[sufficiency.Scenario, Inputs]:
    sc = sufficiency.load_scenario(path)
    return sc, load_inputs(sc)


@pytest.fixture(scope="module")
def bundled() -> tuple[sufficiency.Scenario, Inputs]:
    return scenario_inputs(datasets.example_path())


def test_bundled_borough(bundled: tuple[sufficiency.Scenario, Inputs]) -> None:
    sc, inputs = bundled
    check_against_reference(inputs, demand_grid(sc.plan_years), sc.plan_years)


def test_bundled_borough_with_cost_levers(bundled: tuple[sufficiency.Scenario, Inputs]) -> None:
    sc, inputs = bundled
    years = sc.plan_years
    levers = [
        CostChange(tiers=["independent"], from_year=years[2], place_cost_factor=1.2),
        CostChange(in_area=False, from_year=years[0], transport_factor=0.8),
        CostChange(
            tiers=["special_school", "independent"],
            from_year=years[4],
            place_cost_factor=0.9,
            transport_factor=1.3,
        ),
    ]
    check_against_reference(inputs, demand_grid(years, seed=1), years, levers)
    levers.append(CostChange(from_year=years[3], extra_inflation=0.037))
    check_against_reference(inputs, demand_grid(years, seed=2), years, levers)


@pytest.mark.parametrize(("n_settings", "seed"), [(12, 5), (90, 6)])
def test_synthetic_boroughs(n_settings: int, seed: int, tmp_path: Path) -> None:
    sc, inputs = scenario_inputs(datasets.synthetic_borough(n_settings, seed=seed, path=tmp_path))
    check_against_reference(inputs, demand_grid(sc.plan_years, seed=seed), sc.plan_years)


# ---------------------------------------------------------------- generated registers

YEARS = [2026, 2027, 2028, 2029]
NEEDS = list(taxonomy.EHCP_NEEDS)
RATES = st.floats(-0.2, 0.3, allow_nan=False, allow_subnormal=False)


@st.composite
def registers(draw: st.DrawFn) -> list[dict[str, object]]:
    rows = []
    for i in range(draw(st.integers(3, 9))):
        lo = draw(st.integers(0, 25))
        served = draw(st.lists(st.sampled_from(NEEDS), min_size=1, max_size=5, unique=True))
        rows.append(
            {
                "setting": f"S{i}",
                "tier": draw(st.sampled_from(taxonomy.TIERS)),
                "in_area": draw(st.booleans()),
                "places": draw(st.one_of(st.just(""), st.integers(0, 30))),
                "needs": draw(st.one_of(st.just("ALL"), st.just(";".join(served)))),
                "age_min": lo,
                "age_max": draw(st.integers(lo, 25)),
                "cost_per_place": draw(st.floats(0, 120_000, allow_subnormal=False)),
                "transport_per_place": draw(st.floats(0, 30_000, allow_subnormal=False)),
            }
        )
    return rows


@st.composite
def cost_tables(draw: st.DrawFn) -> pd.DataFrame:
    """A blank-tier row for every plan year and some tier rows (one per year and tier)."""
    rows = [
        {"year": y, "tier": "", "inflation": draw(RATES), "transport_inflation": draw(RATES)}
        for y in YEARS
    ]
    for _ in range(draw(st.integers(0, 8))):
        rows.append(
            {
                "year": draw(st.sampled_from(YEARS)),
                "tier": draw(st.sampled_from(["", *taxonomy.TIERS])),
                "inflation": draw(RATES),
                "transport_inflation": draw(RATES),
            }
        )
    return pd.DataFrame(rows).drop_duplicates(["year", "tier"], keep="last")


cost_changes = st.lists(
    st.builds(
        CostChange,
        tiers=st.lists(st.sampled_from(taxonomy.TIERS), max_size=3, unique=True),
        in_area=st.sampled_from([None, True, False]),
        from_year=st.sampled_from([2025, *YEARS, 2031]),
        extra_inflation=st.sampled_from([0.0, 0.0, 0.05, -0.03]),
        place_cost_factor=st.floats(0.5, 2.0),
        transport_factor=st.floats(0.0, 2.0),
    ),
    max_size=3,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(register=registers(), costs=cost_tables(), levers=cost_changes)
def test_generated_registers(
    register: list[dict[str, object]], costs: pd.DataFrame, levers: list[CostChange]
) -> None:
    tiny = tiny_tables()
    tables: dict[str, TableSource] = {
        "caseload": tiny["caseload"]
        .assign(setting="NOT_PLACED", need=tiny["caseload"]["need"].replace("Autism", "ASD"))
        .groupby(["year", "need", "age", "setting"], as_index=False)["children"]
        .sum(),
        "population": pd.DataFrame(
            [
                {"year": y, "age": a, "population": 1000}
                for y in range(2021, 2030)
                for a in range(26)
            ]
        ),
        "settings": pd.DataFrame(register),
        "cost_assumptions": costs,
    }
    sc = sufficiency.load_scenario({**tiny_scenario_dict(), "horizon_years": len(YEARS)})
    inputs = load_inputs(sc, tables=tables)
    check_against_reference(inputs, demand_grid(sc.plan_years), sc.plan_years, levers)
