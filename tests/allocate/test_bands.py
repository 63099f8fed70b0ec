"""Top-up by funding band on the tiny borough: hand-priced, reconciled, and used by the LP.

The tiny borough (conftest): MS1 mainstream with top-up (sen_support, £8,000 flat), SS1
special school (£30,000 = £10,000 default place funding + £20,000 flat top-up, 10 places),
IND1 independent (£60,000 fee). Inflation 3% a year for place costs, so 2026 = ×1.03.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sufficiency
from sufficiency.data.bands import UNBANDED

from conftest import tiny_scenario_dict, tiny_tables
from contract import check_all

BANDS = pd.DataFrame(
    {
        "band": ["A", "B", "A", "B"],
        "tier": ["sen_support", "sen_support", "special_school", "special_school"],
        "top_up_per_place_gbp": [5_000, 9_000, 15_000, 25_000],
    }
)
#: Level-5 ASD: a quarter at A, three quarters at B; every other group half and half.
SHARES = pd.DataFrame(
    {
        "need": ["ASD", "ASD", "", ""],
        "age_band": ["", "", "", ""],
        "level": ["special_school", "special_school", "", ""],
        "band": ["A", "B", "A", "B"],
        "share": [0.25, 0.75, 0.5, 0.5],
    }
)


def run(
    bands: pd.DataFrame | None = BANDS, mix: pd.DataFrame | None = SHARES, **allocation: object
) -> sufficiency.Result:
    """The tiny borough with ``bands`` and ``mix`` passed as DataFrames (the Python API)."""
    tables: dict[str, pd.DataFrame] = tiny_tables()
    if bands is not None:
        tables["funding_bands"] = bands
    if mix is not None:
        tables["band_mix"] = mix
    return sufficiency.run({**tiny_scenario_dict(), "allocation": allocation}, tables=tables)


def _2026(result: sufficiency.Result) -> pd.DataFrame:
    p = result.placements
    return p[p["year"] == 2026].groupby("setting", observed=True).sum(numeric_only=True)


def test_banded_top_up_is_the_band_mix_weighted_band_top_up() -> None:
    """SS1: £10,000 place funding + (0.25 × £15,000 + 0.75 × £25,000) = £32,500, ×1.03.
    MS1: 0.5 × £5,000 + 0.5 × £9,000 = £7,000, ×1.03. IND1 stays a £60,000 fee."""
    r = run()
    check_all(r)
    y26 = _2026(r)
    assert y26.loc["SS1", "children"] == pytest.approx(10)
    assert y26.loc["SS1", "place_funding_cost"] == pytest.approx(10 * 10_000 * 1.03)
    assert y26.loc["SS1", "top_up_cost"] == pytest.approx(10 * 22_500 * 1.03)
    assert y26.loc["MS1", "top_up_cost"] == pytest.approx(5 * 7_000 * 1.03)
    assert y26.loc["IND1", "fee_cost"] == pytest.approx(2 * 60_000 * 1.03)
    p = r.placements
    parts = p["place_funding_cost"] + p["top_up_cost"] + p["fee_cost"]
    np.testing.assert_allclose(parts, p["hnb_cost"], rtol=1e-12)
    # costs.csv: the unit top-up the model used, and on what basis
    c = r.costs[(r.costs["year"] == 2026)].set_index(["level", "setting"])
    assert c.loc[("special_school", "SS1"), "top_up_unit_cost"] == pytest.approx(22_500 * 1.03)
    assert c.loc[("special_school", "SS1"), "top_up_basis"] == "band"
    assert c.loc[("special_school", "IND1"), "top_up_basis"] == "fee"
    assert c.loc[("special_school", "MARKET"), "top_up_unit_cost"] == 0
    np.testing.assert_allclose(
        r.costs["hnb_unit_cost"],
        r.costs["place_funding_unit_cost"]
        + r.costs["top_up_unit_cost"]
        + np.where(r.costs["top_up_basis"] == "fee", r.costs["hnb_unit_cost"], 0.0),
    )


def test_top_up_by_band_reconciles_with_the_placements() -> None:
    r = run()
    table = r.top_up_by_band
    assert table is not None
    assert list(table.columns) == ["year", "band", "tier", "children", "top_up_cost"]
    by_year = table.groupby("year")["top_up_cost"].sum()
    placed = r.placements.groupby("year")["top_up_cost"].sum()
    np.testing.assert_allclose(by_year.to_numpy(), placed.to_numpy(), rtol=1e-12)
    ss = table[(table["year"] == 2026) & (table["tier"] == "special_school")].set_index("band")
    assert ss.loc["A", "children"] == pytest.approx(2.5)
    assert ss.loc["B", "top_up_cost"] == pytest.approx(7.5 * 25_000 * 1.03)
    # children: the band shares of every child placed outside fees
    not_fee = r.placements[r.placements["fee_cost"] == 0].groupby("year")["children"].sum()
    np.testing.assert_allclose(table.groupby("year")["children"].sum(), not_fee, rtol=1e-12)


def test_settings_no_scale_covers_keep_their_flat_top_up() -> None:
    """Only special schools banded: MS1 keeps £8,000 and shows as 'unbanded'."""
    r = run(bands=BANDS[BANDS["tier"] == "special_school"])
    y26 = _2026(r)
    assert y26.loc["MS1", "top_up_cost"] == pytest.approx(5 * 8_000 * 1.03)
    t = r.top_up_by_band
    assert t is not None
    row = t[(t["year"] == 2026) & (t["band"] == UNBANDED)]
    assert row["children"].sum() == pytest.approx(5)
    assert row["top_up_cost"].sum() == pytest.approx(5 * 8_000 * 1.03)


def test_a_setting_scale_wins_over_its_tier() -> None:
    own = pd.DataFrame(
        {"band": ["A", "B"], "setting": ["SS1", "SS1"], "top_up_per_place_gbp": [11_000, 21_000]}
    )
    r = run(bands=pd.concat([BANDS, own], ignore_index=True))
    assert _2026(r).loc["SS1", "top_up_cost"] == pytest.approx(
        10 * (0.25 * 11_000 + 0.75 * 21_000) * 1.03
    )


def test_children_per_band_give_the_same_answer_as_their_shares() -> None:
    """3 and 9 level-5 ASD children at A and B are shares 0.25 and 0.75; the level-2 SEMH
    group gives 1 and 1 (half and half). Groups with none borrow the whole table's mix."""
    counts = pd.DataFrame(
        {
            "need": ["ASD", "ASD", "SEMH", "SEMH"],
            "age_band": ["11-15"] * 4,
            "level": ["special_school", "special_school", "sen_support", "sen_support"],
            "band": ["A", "B", "A", "B"],
            "children": [3, 9, 1, 1],
        }
    )
    by_count, by_share = _2026(run(mix=counts)), _2026(run())
    for column in ("top_up_cost", "hnb_cost"):
        assert by_count[column].to_numpy() == pytest.approx(by_share[column].to_numpy())


def test_row_order_of_the_band_tables_changes_nothing() -> None:
    counts = pd.DataFrame(
        {
            "need": ["ASD", "ASD", "SEMH", "SEMH", "SEMH"],
            "age_band": ["11-15"] * 5,
            "level": ["special_school"] * 2 + ["sen_support"] * 3,
            "band": ["A", "B", "A", "B", "C"],
            "children": [3, 7, 1, 1, 1],
        }
    )
    scales = pd.concat(
        [BANDS, BANDS.iloc[[0, 2]].assign(band="C", top_up_per_place_gbp=[7_007, 19_019])]
    )
    a = run(bands=scales, mix=counts)
    b = run(bands=scales.iloc[::-1], mix=counts.iloc[::-1])
    pd.testing.assert_frame_equal(a.costs, b.costs)
    pd.testing.assert_frame_equal(a.placements, b.placements)


def test_without_bands_nothing_changes() -> None:
    r = run(bands=None, mix=None)
    assert r.top_up_by_band is None
    assert set(r.costs["top_up_basis"]) == {"flat", "fee"}
    assert _2026(r).loc["SS1", "top_up_cost"] == pytest.approx(10 * 20_000 * 1.03)


def test_the_lp_prices_with_the_banded_top_up() -> None:
    """A dearer special-school band mix makes SS1 (£10,000 + £120,000 × 1.03 = £133,900 +
    transport) dearer than the independent school (£82,600 with transport), so the LP
    places the level-5 ASD children there instead; a cheaper mix lowers the total cost."""
    dear = BANDS.assign(
        top_up_per_place_gbp=np.where(BANDS["tier"] == "special_school", 120_000, 5_000)
    )
    moved = _2026(run(bands=dear, continuity=False))  # free to move the children
    assert moved.loc["IND1", "children"] == pytest.approx(12)
    assert "SS1" not in moved.index or moved.loc["SS1", "children"] == pytest.approx(0)
    cheap_mix = SHARES.assign(share=[0.75, 0.25, 0.5, 0.5])  # level-5 ASD mostly at band A
    cheap, usual = run(mix=cheap_mix), run()
    assert cheap.summary["total_cost"] < usual.summary["total_cost"]
    saving = 10 * (0.5 * 10_000) * (1.03 + 1.03**2)  # £5,000 less a child each year
    assert usual.summary["total_cost"] - cheap.summary["total_cost"] == pytest.approx(saving)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=st.floats(0.0, 1.0),
    top_ups=st.lists(st.integers(1, 60_000), min_size=4, max_size=4),
)
# a share so small its band's children were under 1e-9: that row's top-up was dropped
@example(a=3.560632259948722e-12, top_ups=[1, 1, 1, 1])
def test_banded_cost_is_shares_times_band_top_ups(a: float, top_ups: list[int]) -> None:
    """Any band mix and top-ups: each banded pair's unit top-up is Σ share × band top-up ×
    the price index, and the band table adds up to the placements' top-up."""
    mix = SHARES.assign(share=[a, 1 - a, 0.5, 0.5])
    r = run(bands=BANDS.assign(top_up_per_place_gbp=top_ups), mix=mix)
    arrays = r.extras["arrays"]
    b = arrays.bands
    index = np.where(arrays.pair_year[b.pairs] == 0, 1.03, 1.03**2)
    tiers = arrays.settings["tier"].to_numpy()[arrays.pair_setting[b.pairs]]
    scale = np.where((tiers == "special_school")[:, None], [top_ups[2:]], [top_ups[:2]]).astype(
        float
    )
    np.testing.assert_allclose(b.unit, (b.shares * scale).sum(1) * index, rtol=1e-12)
    assert np.allclose(b.shares.sum(1), 1.0)
    t = r.top_up_by_band
    assert t is not None
    assert t["top_up_cost"].sum() == pytest.approx(r.placements["top_up_cost"].sum(), rel=1e-12)


def test_band_sheet_and_line_only_with_bands_and_under_disclosure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The workbook's Top-up by band sheet and the page's line appear only with bands; with
    disclosure control the sheet's children are whole and never 1-4 (money is untouched)."""
    from openpyxl import load_workbook

    tables = {**tiny_tables(), "funding_bands": BANDS, "band_mix": SHARES}
    scenario = {**tiny_scenario_dict(), "report": {"disclosure": True}}
    out = sufficiency.run(scenario, tables=tables).write(tmp_path / "banded")
    book = load_workbook(out / "workbook.xlsx", read_only=True)
    rows = list(book["Top-up by band"].iter_rows(min_row=4, values_only=True))
    book.close()
    children = [r[3] for r in rows if r[0] != "Total"]
    assert "c" in children  # 2.5 children at band A: suppressed
    assert all(v == "c" or (v == round(v) and not 1 <= v <= 4) for v in children)
    assert "Top-up by funding band" in (out / "report.html").read_text(encoding="utf-8")
    plain = sufficiency.run(tiny_scenario_dict(), tables=tiny_tables()).write(tmp_path / "flat")
    assert "Top-up by band" not in load_workbook(plain / "workbook.xlsx").sheetnames
    assert "Top-up by funding band" not in (plain / "report.html").read_text(encoding="utf-8")
    assert not (plain / "top_up_by_band.csv").exists()
