"""The reader of the DfE's published EHC plan statistics, on the real files and on tiny ones."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sufficiency import datasets, forecast_demand
from sufficiency.errors import DataError
from sufficiency.sources.dfe import NOT_PLACED, UNLISTED
from sufficiency.taxonomy import AGE_BAND_LABELS, TIERS

from conftest import SHARED_DATA

BY_AGE = SHARED_DATA / "dfe_ehcp_by_age_2010_2022.csv"
BY_ESTABLISHMENT = SHARED_DATA / "dfe_ehcp_by_establishment_2010_2022.csv"
CASELOAD = SHARED_DATA / "dfe_ehcp_caseload_2019_2023.csv"

needs_data = pytest.mark.skipif(
    not BY_AGE.is_file(),
    reason=f"DfE published files not found in {SHARED_DATA} (they are not copied into the repo)",
)

GEO = "time_period,geographic_level,region_code,region_name,new_la_code,la_name"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@needs_data
def test_by_age_one_la_in_library_vocabulary() -> None:
    frame = datasets.read_dfe_ehcp(BY_AGE, la="Hartlepool")
    assert list(frame.columns) == ["la_code", "la_name", "year", "age_band", "children"]
    assert set(frame["age_band"].astype(str)) == set(AGE_BAND_LABELS)
    assert frame["year"].min() == 2010 and frame["year"].max() == 2022
    # published totals (Total_all = statements + EHC plans), Hartlepool
    totals = frame.groupby("year")["children"].sum()
    assert totals[2010] == 332 and totals[2015] == 385 and totals[2022] == 740
    # the 20-25 band exists from 2015 only
    band = frame[frame["age_band"] == "20-25"]
    assert band["year"].min() == 2015
    assert frame.attrs["children_column"] == "Total_all"


@needs_data
def test_every_la_and_boundary_changes() -> None:
    current = datasets.read_dfe_ehcp(BY_AGE)
    combined = datasets.read_dfe_ehcp(BY_AGE, boundaries="combined")
    published = datasets.read_dfe_ehcp(BY_AGE, boundaries="as_published")
    # Gateshead's 2013 code change is chained: one series under the new code
    gateshead = current[current["la_name"] == "Gateshead"]
    assert set(gateshead["la_code"]) == {"E08000037"}
    assert gateshead["year"].nunique() == 13
    assert {"E08000020", "E08000037"} <= set(published["la_code"])
    # Dorset/BCP and Northamptonshire are reorganised: separate series in "current", one
    # over all years in "combined", with the totals conserved
    assert {"E10000009", "E06000058", "E06000059"} <= set(current["la_code"])
    nh = combined[combined["la_code"] == "E06000061+E06000062"]
    assert nh["year"].nunique() == 13
    parts = published[published["la_code"].isin(["E10000021", "E06000061", "E06000062"])]
    assert nh["children"].sum() == pytest.approx(parts["children"].sum())
    assert current["children"].sum() == pytest.approx(published["children"].sum())
    assert combined["children"].sum() == pytest.approx(published["children"].sum())
    assert any("combined" in note for note in combined.attrs["boundary_changes"])
    every_year = combined.groupby("la_code")["year"].nunique()
    assert (every_year == 13).all() and len(every_year) == 150


@needs_data
def test_establishment_types_map_to_tiers() -> None:
    frame = datasets.read_dfe_ehcp(BY_ESTABLISHMENT, la="E06000001")
    assert set(frame["tier"]) <= {*TIERS, NOT_PLACED}
    assert "mainstream" not in set(frame["tier"])  # top-up cannot be told apart
    tier = frame.groupby(["year", "tier"])["children"].sum().unstack()
    # every child is counted once: tiers add up to the published total
    assert tier.sum(axis=1)[2022] == 740
    kinds = dict(zip(frame["placement"], frame["tier"], strict=False))
    assert kinds["Special - Independent"] == "independent"
    assert kinds["Mainstream - Academy - SEN unit"] == "enhanced_resource"
    assert kinds["AP/PRU - LA maintained"] == "partnership"
    assert kinds["General FE and tertiary colleges/HE"] == "sen_support"
    assert kinds["Elective home education"] == NOT_PLACED


@needs_data
def test_caseload_layout_symbols_and_unlisted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sufficiency.sources.dfe"):
        frame = datasets.read_dfe_ehcp(CASELOAD, la=["Hartlepool", "England"])
    assert set(frame["la_code"]) == {"E06000001", "E92000001"}
    assert sorted(frame["year"].unique()) == [2019, 2020, 2021, 2022, 2023]
    # 'x' (not available) is missing, never 0, and counted
    assert frame.attrs["symbols"].get("x", 0) > 0
    assert "as missing values" in caplog.text
    ukrlp = frame[(frame["placement"] == "ukrlp_provider") & (frame["year"] == 2019)]
    assert ukrlp["children"].isna().all()
    # the children counted in ehcplans and in no column are not placed, and totals match
    hart = frame[frame["la_code"] == "E06000001"]
    assert hart.groupby("year")["children"].sum()[2019] == pytest.approx(585)
    unlisted = hart[hart["placement"] == UNLISTED]
    assert (unlisted["tier"] == NOT_PLACED).all() and (unlisted["children"] >= 0).all()
    # the same placements as the 2010–2022 file in their common years
    old = datasets.read_dfe_ehcp(BY_ESTABLISHMENT, la="Hartlepool")
    a = old.groupby(["year", "tier"])["children"].sum()
    b = hart.groupby(["year", "tier"])["children"].sum()
    for tier in ("special_school", "independent", "enhanced_resource", "partnership"):
        assert a[(2021, tier)] == pytest.approx(b[(2021, tier)])


@needs_data
def test_a_name_with_several_codes_returns_each() -> None:
    dorset = datasets.read_dfe_ehcp(BY_AGE, la="Dorset")
    spans = dorset.groupby("la_code")["year"].agg(["min", "max"])
    assert spans.loc["E10000009"].tolist() == [2010, 2019]
    assert spans.loc["E06000059"].tolist() == [2020, 2022]
    assert any("stop in 2019" in note for note in dorset.attrs["boundary_changes"])


@needs_data
def test_unknown_area_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="did you mean 'Hartlepool'"):
        datasets.read_dfe_ehcp(BY_AGE, la="Hartlepol")


def test_symbols_become_missing_and_unknown_text_is_an_error(tmp_path: Path) -> None:
    header = f"{GEO},characteristic_age,Total_st,Total_st_pc,Total_ehc,Total_ehc_pc,Total_all"
    rows = [
        f"2021,Local authority,E1,R,E06000999,Tinytown,{age},z,z,c,z,{v}"
        for age, v in (
            ("Total", "c"),
            ("Under 5", "c"),
            ("Age 5 to 10", "12"),
            ("Age 11 to 15", "x"),
            ("Age 16 to 19", "4"),
            ("Age 20 to 25", "low"),
        )
    ]
    path = _write(tmp_path, "age.csv", "\n".join([header, *rows]) + "\n")
    frame = datasets.read_dfe_ehcp(path)
    by_band = frame.set_index(frame["age_band"].astype(str))["children"]
    assert np.isnan(by_band["0-4"]) and np.isnan(by_band["11-15"]) and np.isnan(by_band["20-25"])
    assert by_band["5-10"] == 12 and by_band["16-19"] == 4
    assert frame.attrs["symbols"] == {"c": 1, "x": 1, "low": 1}
    bad = _write(tmp_path, "bad.csv", "\n".join([header, rows[2].replace(",12", ",twelve")]))
    with pytest.raises(DataError, match="unknown text in count column 'Total_all'"):
        datasets.read_dfe_ehcp(bad)


def test_not_a_dfe_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        datasets.read_dfe_ehcp(tmp_path / "missing.csv")
    path = _write(tmp_path, "other.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match="not a DfE EHC plan file"):
        datasets.read_dfe_ehcp(path)
    with pytest.raises(DataError, match="boundaries"):
        datasets.read_dfe_ehcp(path, boundaries="latest")  # type: ignore[arg-type]


def test_history_feeds_the_forecast(tmp_path: Path) -> None:
    header = f"{GEO},characteristic_age,Total_st,Total_st_pc,Total_ehc,Total_ehc_pc,Total_all"
    rows = []
    for year in range(2014, 2023):
        for age, base in (("Age 5 to 10", 100.0), ("Age 11 to 15", 150.0)):
            v = round(base * 1.08 ** (year - 2014))
            rows.append(f"{year},Local authority,E1,R,E06000999,Tinytown,{age},z,z,{v},z,{v}")
    path = _write(tmp_path, "age.csv", "\n".join([header, *rows]) + "\n")
    frame = datasets.read_dfe_ehcp(path)
    fc = forecast_demand(frame, horizon=3, by=("age_band",))
    assert len(fc.frame) == 6 and (fc.frame["mean"] > pd.Series([100.0] * 6)).all()


@needs_data
def test_an_area_is_found_as_a_user_types_it() -> None:
    """'St Helens', 'Bristol', 'Herefordshire': one area whose name compares equal is the
    area; 'Hull' and 'Kingston' are suggested the areas holding the word first."""
    for typed, name in (("St Helens", "St. Helens"), ("Bristol", "Bristol, City of")):
        got = datasets.read_dfe_ehcp(BY_AGE, la=typed)
        assert set(got["la_name"]) == {name}
    with pytest.raises(DataError, match="did you mean 'Kingston upon Hull, City of'"):
        datasets.read_dfe_ehcp(BY_AGE, la="Hull")


@needs_data
@pytest.mark.parametrize("boundaries", ["current", "combined"])
def test_an_areas_rows_are_those_of_its_codes_in_the_files_order(boundaries: str) -> None:
    """Each area's rows are picked by the file's index of areas (made once a file): the
    same rows, in the same order, as a pass over the whole file picks, by code, name or
    old number, with the other codes an area had (Buckinghamshire's two)."""
    from sufficiency.sources import dfe
    from sufficiency.sources.parsing import read_text_csv

    frame, areas = dfe.located(BY_AGE, "test", lambda: read_text_csv(BY_AGE, "DfE"))
    la_rows = frame[frame["_level"] == "local authority"]
    for code in la_rows["la_code"].unique():
        picked = dfe._select(frame, code, BY_AGE, boundaries, areas)  # type: ignore[arg-type]
        codes = {code}
        for change in dfe.BOUNDARY_CHANGES:
            group = set(change.old) | set(change.new)
            if code in group and (change.kind == "recode" or boundaries == "combined"):
                codes |= group
        expected = frame[frame["la_code"].isin(codes)]
        assert picked.index.equals(expected.index), code
        assert picked.equals(expected), code
    named = dfe._select(frame, "Buckinghamshire", BY_AGE, "current", areas)
    assert set(named["la_code"]) == {"E10000002", "E06000060"} & set(frame["la_code"])
    assert dfe._select(frame, "Dudley", BY_AGE, "current", areas).index.equals(
        dfe._select(frame, "E08000027", BY_AGE, "current", areas).index
    )
