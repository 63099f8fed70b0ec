"""Eligibility by single year of age: age segments, their demand, eligibility and continuity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sufficiency
from sufficiency import taxonomy
from sufficiency.data import load_inputs
from sufficiency.model.arrays import build_arrays
from sufficiency.model.segments import age_segments, segment_ages, split_by_segment
from sufficiency.model.stock import age_shares

from conftest import tiny_scenario_dict, tiny_tables
from contract import check_all, check_continuity

TIER = {t: i for i, t in enumerate(taxonomy.TIERS)}


def register(rows: list[tuple[str, str, str, int, int, float]]) -> pd.DataFrame:
    """Settings ``(setting, tier, needs, age_min, age_max, cost)``; needs ``;``-separated."""
    return pd.DataFrame(
        [
            {
                "setting": s,
                "name": s,
                "tier": tier,
                "in_area": "yes",
                "places": 10,
                "needs": needs,
                "age_min": lo,
                "age_max": hi,
                "cost_per_place": cost,
                "transport_per_place": 0,
            }
            for s, tier, needs, lo, hi, cost in rows
        ]
    )


def caseload(rows: list[tuple[str, int, str, int]]) -> pd.DataFrame:
    """The same ``(need, age, setting, children)`` every year 2021–2025 (flat history)."""
    return pd.DataFrame(
        [
            {"year": y, "need": n, "age": a, "setting": s, "children": c}
            for y in range(2021, 2026)
            for n, a, s, c in rows
        ]
    )


def run(tables: dict[str, pd.DataFrame], **changes: object) -> sufficiency.Result:
    return sufficiency.run({**tiny_scenario_dict(), **changes}, tables=tables)


def test_bands_cut_at_the_limits_of_the_settings_that_take_the_need_and_level() -> None:
    settings = register(
        [
            ("SS", "special_school", "ASD", 2, 18, 30_000),
            ("FE", "sen_support", "ALL", 16, 25, 9_000),
        ]
    ).assign(needs=[["ASD"], list(taxonomy.EHCP_NEEDS)])
    share = np.full((len(taxonomy.NEEDS), len(taxonomy.AGES)), 1.0)
    seg = age_segments(settings, share / 5)

    def labels(need: str, level: str, band: str) -> list[str]:
        hit = (
            (seg.need == taxonomy.NEEDS.index(need))
            & (seg.level == TIER[level])
            & (seg.band == taxonomy.AGE_BAND_LABELS.index(band))
        )
        return [
            f"{a}-{b}" if b > a else f"{a}"
            for a, b in zip(seg.first[hit], seg.last[hit], strict=True)
        ]

    # the 2-18 school takes ASD at special level and below: 16-19 is cut after 18
    assert labels("ASD", "special_school", "16-19") == ["16-18", "19"]
    assert labels("ASD", "special_school", "0-4") == ["0-1", "2-4"]
    assert labels("ASD", "sen_support", "16-19") == ["16-18", "19"]
    # the FE college alone meets SEMH: the band stays whole
    assert labels("SEMH", "sen_support", "16-19") == ["16-19"]
    # nothing meets independent level: every band whole
    assert labels("ASD", "independent", "16-19") == ["16-19"]


def test_nineteen_year_olds_never_in_a_two_to_eighteen_school() -> None:
    """Band 16-19 with children aged 18 and 19 only: the 2-18 special school (10 places)
    takes the six 18-year-olds; the six 19-year-olds go to the market, although the school
    has room (by age band they would have filled its 10 places)."""
    tables = tiny_tables()
    tables["caseload"] = caseload([("ASD", 18, "SS1", 6), ("ASD", 19, "SS1", 6)])
    r = run(tables)
    check_all(r)
    arrays = r.extras["arrays"]
    placed = r.extras["plan"].allocation.solution.placed
    segment = arrays.groups["age_segment"].astype(str).to_numpy()[arrays.pair_group]
    setting = arrays.settings["setting"].to_numpy()[arrays.pair_setting]
    year = arrays.years[arrays.pair_year]
    assert set(segment) == {"16-18", "19"}
    assert not ((segment == "19") & (setting == "SS1")).any()  # not even eligible
    first = year == 2026
    assert placed[first & (segment == "16-18") & (setting == "SS1")].sum() == pytest.approx(6)
    assert placed[first & (segment == "19") & (setting == "MARKET")].sum() == pytest.approx(6)
    y26 = r.placements[r.placements["year"] == 2026].groupby("setting", observed=True)
    assert y26["children"].sum().to_dict() == pytest.approx({"SS1": 6, "MARKET": 6})
    assert r.summary["by_year"][0]["shortfall"] == pytest.approx(6)


def test_continuity_never_carries_a_child_past_a_settings_age_max() -> None:
    """Four ASD children aged 16 and four aged 17 in a 2-17 school, four aged 18 in a 16-25
    one (flat history: every plan continues). Next year the 16-year-olds (now 17) stay;
    the 17-year-olds (now 18) cannot: their carry into the 2-17 school has no row."""
    tables = tiny_tables()
    tables["settings"] = register(
        [
            ("S17", "special_school", "ASD", 2, 17, 20_000),
            ("S25", "special_school", "ASD", 16, 25, 40_000),
        ]
    )
    tables["caseload"] = caseload(
        [("ASD", 16, "S17", 4), ("ASD", 17, "S17", 4), ("ASD", 18, "S25", 4)]
    )
    r = run(tables)
    check_all(r)
    check_continuity(r)
    arrays = r.extras["arrays"]
    cont = arrays.continuity
    target = cont.target
    segment = arrays.groups["age_segment"].astype(str).to_numpy()[arrays.pair_group[target]]
    setting = arrays.settings["setting"].to_numpy()[arrays.pair_setting[target]]
    year = arrays.years[arrays.pair_year[target]]
    last = segment_ages(segment)[1]
    age_max = arrays.settings["age_max"].to_numpy()[arrays.pair_setting[target]]
    assert (last <= age_max).all()
    into_s17 = (setting == "S17") & (year == 2026)
    assert set(segment[into_s17]) == {"16-17"}
    assert cont.const[into_s17].sum() == pytest.approx(4)  # the 16-year-olds, not all 8
    p = r.placements
    stay = p[(p["year"] == 2026) & (p["setting"] == "S17") & (p["status"] == "continuing")]
    assert stay["children"].sum() == pytest.approx(4)


@st.composite
def registers(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for i in range(draw(st.integers(1, 7))):
        lo = draw(st.integers(0, 25))
        needs = draw(st.lists(st.sampled_from(taxonomy.EHCP_NEEDS), min_size=1, unique=True))
        rows.append(
            (
                f"S{i}",
                draw(st.sampled_from(taxonomy.TIERS)),
                ";".join(needs),
                lo,
                draw(st.integers(lo, 25)),
                float(draw(st.integers(0, 90_000))),
            )
        )
    return register(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(settings_rows=registers(), seed=st.integers(0, 2**16))
def test_eligibility_by_single_age_on_random_registers(
    settings_rows: pd.DataFrame, seed: int
) -> None:
    """For any register: a pair exists exactly when the setting meets the need and level
    and takes every age of the segment; a setting that meets the need and level takes all
    or none of a segment's ages; each band's children are conserved by the split."""
    rng = np.random.default_rng(seed)
    tables = tiny_tables()
    tables["settings"] = settings_rows
    ages = rng.choice(26, size=8, replace=False)
    needs = rng.choice(["ASD", "SEMH", "MLD"], size=8)
    tables["caseload"] = caseload(
        [
            (str(n), int(a), "NOT_PLACED", int(rng.integers(1, 9)))
            for n, a in zip(needs, ages, strict=True)
        ]
    )
    sc = sufficiency.load_scenario(tiny_scenario_dict())
    inputs = load_inputs(sc, tables=dict(tables))
    index = pd.MultiIndex.from_product(
        [[2026], ["ASD", "SEMH", "MLD"], taxonomy.AGE_BAND_LABELS, taxonomy.TIERS],
        names=["year", "need", "age_band", "level"],
    )
    demand = index.to_frame(index=False).assign(children=rng.uniform(0.5, 9.0, len(index)))
    arrays = build_arrays(demand, inputs, base_year=2025, years=[2026], unmet_penalty=1e6)
    g = arrays.groups
    reg = arrays.settings
    first, last = segment_ages(g["age_segment"].astype(str))
    amin, amax = reg["age_min"].to_numpy(), reg["age_max"].to_numpy()
    meets = np.array(
        [
            [
                str(need) in served and TIER[str(tier)] >= TIER[str(level)]
                for served, tier in zip(reg["needs"], reg["tier"], strict=True)
            ]
            for need, level in zip(g["need"], g["level"], strict=True)
        ]
    )
    all_ages = (amin[None, :] <= first[:, None]) & (amax[None, :] >= last[:, None])
    no_age = (amin[None, :] > last[:, None]) | (amax[None, :] < first[:, None])
    assert (all_ages | no_age)[meets].all(), "a setting takes part of a segment"
    expected = meets & all_ages
    paired = np.zeros_like(expected)
    paired[arrays.pair_group, arrays.pair_setting] = True
    np.testing.assert_array_equal(paired, expected)
    # the segments of a band add up to the band; they lie in it, apart, and hold every age
    # of the band with a share
    keys = ["year", "need", "age_band", "level"]
    split = g.astype({"need": str, "age_band": str, "level": str}).groupby(keys)["children"]
    total = split.sum()
    given_demand = demand.set_index(keys)["children"].reindex(total.index)
    np.testing.assert_allclose(total.to_numpy(), given_demand.to_numpy(), rtol=1e-12)
    assert len(total) == len(demand)
    shares = age_shares(inputs.caseload, 2025)
    for (_, need, band, _), rows in g.groupby(keys, observed=True):
        lo, hi = taxonomy.band_ages(str(band))
        covered = np.zeros(26, dtype=int)
        for a, b in zip(*segment_ages(rows["age_segment"].astype(str)), strict=True):
            covered[a : b + 1] += 1
        share = shares[taxonomy.NEEDS.index(str(need))]
        assert (covered <= 1).all() and not covered[:lo].any() and not covered[hi + 1 :].any()
        assert (covered[lo : hi + 1] == 1)[share[lo : hi + 1] > 0].all()


def test_split_keeps_other_columns_and_conserves_children() -> None:
    settings = register([("SS", "special_school", "ASD", 2, 18, 1.0)]).assign(needs=[["ASD"]])
    share = np.zeros((len(taxonomy.NEEDS), 26))
    share[:, 16:20] = [0.1, 0.2, 0.3, 0.4]
    seg = age_segments(settings, share)
    frame = pd.DataFrame(
        {
            "year": [2026, 2026],
            "need": ["ASD", "SEMH"],
            "age_band": ["16-19", "16-19"],
            "level": ["special_school", "special_school"],
            "provision": ["ehc_plan", "ehc_plan"],
            "children": [10.0, 5.0],
        }
    )
    out = split_by_segment(frame, seg)
    assert list(out.columns) == [
        "year",
        "need",
        "age_band",
        "age_segment",
        "level",
        "provision",
        "children",
    ]
    asd = out[out["need"] == "ASD"]
    assert asd["age_segment"].astype(str).tolist() == ["16-18", "19"]
    assert asd["children"].tolist() == pytest.approx([6.0, 4.0])
    assert out.loc[out["need"] == "SEMH", "age_segment"].astype(str).tolist() == ["16-19"]
    assert out.groupby("need")["children"].sum().to_dict() == pytest.approx(
        {"ASD": 10.0, "SEMH": 5.0}
    )
