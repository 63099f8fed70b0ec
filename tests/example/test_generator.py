"""The bundled example borough and the generator: reproducibility, calibration, hard rules."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sufficiency import datasets
from sufficiency.data import NOT_IN_SCHOOL
from sufficiency.taxonomy import AGE_BANDS, EHCP_NEEDS, NEEDS, TIERS, age_band_of

EXAMPLE = datasets.example_path()
DATA = EXAMPLE.parent / "data"
TABLES = ("caseload", "sen_support", "population", "settings", "setting_places",
          "cost_assumptions", "flows")  # fmt: skip
#: Tables the example ships but its scenario file does not use (scenarios/funding_bands.yaml).
BAND_TABLES = ("funding_bands", "band_mix")
SCENARIO_KEYS = {"name", "description", "data", "base_year", "horizon_years", "forecast",
                 "allocation"}  # fmt: skip

# DOMAIN.md, EHC plans in England, January 2025 (%).
AGE_BAND_TARGET = {"0-4": 4.3, "5-10": 33.3, "11-15": 36.5, "16-19": 20.0, "20-25": 5.8}
NEED_TARGET = {"ASD": 31.5, "SLCN": 21.3, "SEMH": 20.7, "MLD": 10.6, "SLD": 4.0, "PD": 3.9,
               "SPLD": 2.3, "HI": 1.4, "PMLD": 1.3, "OTH": 1.2, "VI": 0.8, "MSI": 0.3}  # fmt: skip
PLACEMENT_TARGET = {"mainstream": 39.7, "resourced": 3.8, "state_special": 25.0,
                    "independent": 5.3, "fe_post16": 13.8, "ap_pru": 0.8,
                    "not_placed": 11.0}  # fmt: skip


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a written borough as the library's loader would see it (text, blanks kept)."""
    frames = {t: pd.read_csv(folder / f"{t}.csv", keep_default_na=False) for t in TABLES}
    settings = frames["settings"]
    settings["places"] = pd.to_numeric(settings["places"].replace("", np.nan))
    return frames


def placement_group(caseload: pd.DataFrame, settings: pd.DataFrame) -> pd.Series:
    """DfE placement group of each caseload row (see the generator's docstring)."""
    reg = settings.set_index("setting")
    tier = caseload["setting"].map(reg["tier"])
    post16 = caseload["setting"].map(reg["age_min"]) >= 16
    group = tier.map({"mainstream": "mainstream", "sen_support": "mainstream",
                      "enhanced_resource": "resourced", "special_school": "state_special",
                      "independent": "independent", "partnership": "ap_pru"})  # fmt: skip
    group[tier.isin(["sen_support", "independent"]) & post16] = "fe_post16"
    group[caseload["setting"].isin(list(NOT_IN_SCHOOL))] = "not_placed"
    return group


def assert_borough_rules(tables: dict[str, pd.DataFrame], n_settings: int | None) -> None:
    """The hard consistency rules the allocation relies on."""
    caseload, settings = tables["caseload"], tables["settings"]
    reg = settings.set_index("setting")
    assert settings["setting"].is_unique
    assert set(settings["tier"]) == set(TIERS)
    if n_settings is None:
        assert 60 <= len(settings) <= 100
    else:
        assert len(settings) == n_settings
    assert set(settings["in_area"]) <= {"yes", "no"}
    assert (settings["age_min"] <= settings["age_max"]).all()
    assert settings["age_min"].between(0, 25).all() and settings["age_max"].between(0, 25).all()
    assert (settings["cost_per_place"] >= 0).all() and (settings["transport_per_place"] >= 0).all()
    for needs in settings["needs"]:
        assert needs == "ALL" or set(needs.split(";")) <= set(EHCP_NEEDS), needs
    blank = settings["places"].isna()
    assert set(settings.loc[blank, "tier"]) <= {"mainstream", "sen_support"}
    assert (settings.loc[~blank, "places"] >= 0).all()

    # counts are positive integers, one row per combination
    for name in ("caseload", "sen_support"):
        frame = tables[name]
        assert pd.api.types.is_integer_dtype(frame["children"])
        assert (frame["children"] > 0).all()
        assert not frame.duplicated([c for c in frame.columns if c != "children"]).any()
        assert frame["age"].between(0, 25).all()
        assert set(frame["year"]) == set(range(2016, 2026))
    assert set(caseload["need"]) <= set(EHCP_NEEDS)
    assert set(tables["sen_support"]["need"]) <= set(NEEDS)

    # ids and eligibility
    placed = caseload[~caseload["setting"].isin(list(NOT_IN_SCHOOL))]
    assert set(placed["setting"]) <= set(reg.index)
    needs = placed["setting"].map(reg["needs"])
    need_ok = [
        n == "ALL" or need in n.split(";") for n, need in zip(needs, placed["need"], strict=True)
    ]
    assert all(need_ok)
    assert (
        placed["age"]
        .between(placed["setting"].map(reg["age_min"]), placed["setting"].map(reg["age_max"]))
        .all()
    )

    # capacity in every year
    occupancy = placed.groupby(["setting", "year"])["children"].sum().unstack(fill_value=0)
    capped = reg["places"].dropna()
    over = occupancy.loc[occupancy.index.intersection(capped.index)].gt(
        capped.reindex(occupancy.index.intersection(capped.index)), axis=0
    )
    assert not over.any().any(), over[over.any(axis=1)]

    # in-area special schools are full in 2025; independent places have room
    occ25 = occupancy.get(2025, pd.Series(dtype=int))
    special = reg[(reg["tier"] == "special_school") & (reg["in_area"] == "yes")]
    special = special[special["places"] > 0]
    assert len(special) >= 1
    full = occ25.reindex(special.index, fill_value=0) / special["places"]
    assert (full >= 0.95).all() and (full <= 1.0).all(), full
    independent = reg[reg["tier"] == "independent"]
    assert (occ25.reindex(independent.index, fill_value=0) < independent["places"]).all()

    # population, dated changes and costs cover what they must
    pop = tables["population"]
    assert set(pop["year"]) == set(range(2016, 2036)) and set(pop["age"]) == set(range(26))
    assert (pop.loc[pop["year"] <= 2025, "kind"] == "estimate").all()
    assert (pop.loc[pop["year"] > 2025, "kind"] == "projection").all()
    changes = tables["setting_places"]
    assert set(changes["setting"]) <= set(reg.index)
    costs = tables["cost_assumptions"]
    blank_tier = costs[costs["tier"].fillna("") == ""]
    assert sorted(blank_tier["year"]) == list(range(2026, 2036))


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    return read_tables(DATA)


@pytest.mark.slow
def test_regenerating_the_example_reproduces_every_file(tmp_path: Path) -> None:
    from sufficiency.example.generator import write_example_files

    written = write_example_files(tmp_path)
    assert written == tmp_path / "scenario.yaml"
    names = ["scenario.yaml"] + [f"data/{t}.csv" for t in (*TABLES, *BAND_TABLES)]
    _, mismatch, errors = filecmp.cmpfiles(EXAMPLE.parent, tmp_path, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_example_scenario_file_has_exactly_the_schema_keys() -> None:
    scenario = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert set(scenario) == SCENARIO_KEYS
    assert scenario["name"] == "ashworth-baseline"
    assert scenario["base_year"] == 2025 and scenario["horizon_years"] == 10
    assert scenario["forecast"] == {"method": "poisson_glm", "interval_level": 0.8,
                                    "history_start": 2020}  # fmt: skip
    assert scenario["allocation"] == {"solver": "auto", "unmet_penalty_gbp": 1000000,
                                      "time_limit_seconds": 60}  # fmt: skip
    for table, rel in scenario["data"].items():
        assert (EXAMPLE.parent / rel).is_file(), table


def test_example_files_are_plain_utf8_with_newline_endings() -> None:
    for path in [EXAMPLE, *DATA.glob("*.csv")]:
        raw = path.read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw and raw.endswith(b"\n")


def test_generated_frames_match_the_written_files(example: dict[str, pd.DataFrame]) -> None:
    tables = datasets.generate_borough()
    for name in ("caseload", "sen_support", "population"):
        pd.testing.assert_frame_equal(
            tables[name].reset_index(drop=True), example[name], check_dtype=False
        )


def test_example_obeys_the_hard_rules(example: dict[str, pd.DataFrame]) -> None:
    assert_borough_rules(example, None)


def test_example_total_growth_and_sen_support_ratio(example: dict[str, pd.DataFrame]) -> None:
    totals = example["caseload"].groupby("year")["children"].sum()
    assert abs(totals[2025] - 3300) <= 0.05 * 3300
    growth = (totals[2025] / totals[2016]) ** (1 / 9) - 1
    assert 0.085 <= growth <= 0.115
    assert (totals.diff().dropna() > 0).all()
    sen = example["sen_support"].groupby("year")["children"].sum()
    assert 2.1 <= sen[2025] / totals[2025] <= 2.5
    school_age = example["sen_support"].query("year == 2025 and 4 <= age <= 18")["children"]
    assert school_age.sum() / sen[2025] > 0.95


def _shares(frame: pd.DataFrame, by: pd.Series | str) -> dict[str, float]:
    counts = frame.groupby(by)["children"].sum()
    return (100 * counts / counts.sum()).to_dict()


def test_example_2025_age_need_and_placement_shares(example: dict[str, pd.DataFrame]) -> None:
    c25 = example["caseload"].query("year == 2025").reset_index(drop=True)
    bands = _shares(c25, pd.Series(age_band_of(c25["age"])))
    assert set(bands) == {b for b, _, _ in AGE_BANDS}
    for band, target in AGE_BAND_TARGET.items():
        assert abs(bands[band] - target) <= 2.0, (band, bands[band])
    needs = _shares(c25, "need")
    for need, target in NEED_TARGET.items():
        assert abs(needs.get(need, 0.0) - target) <= 2.0, (need, needs.get(need))
    groups = _shares(c25, placement_group(c25, example["settings"]))
    for group, target in PLACEMENT_TARGET.items():
        assert abs(groups.get(group, 0.0) - target) <= 2.0, (group, groups.get(group))


def test_example_age_patterns(example: dict[str, pd.DataFrame]) -> None:
    c25 = example["caseload"].query("year == 2025").reset_index(drop=True)
    group = placement_group(c25, example["settings"])
    band = pd.Series(age_band_of(c25["age"]))
    main = c25["children"].where(group == "mainstream", 0).groupby(band).sum()
    share = main / c25.groupby(band)["children"].sum()
    assert share["5-10"] > 0.58 and 0.38 < share["11-15"] < 0.52 and share["5-10"] > share["11-15"]
    ind = c25[group == "independent"]
    by_age = ind.groupby("age")["children"].sum()
    assert by_age.idxmax() in (13, 14, 15)
    assert 0.68 <= ind[ind["need"].isin(["ASD", "SEMH"])]["children"].sum() / by_age.sum() <= 0.85
    young = c25.query("3 <= age <= 5")
    assert young.query("need == 'SLCN'")["children"].sum() / young["children"].sum() >= 0.40
    post19 = example["caseload"].query("age >= 20").groupby("year")["children"].sum()
    assert post19.get(2016, 0) < 0.35 * post19[2020]


def test_example_population(example: dict[str, pd.DataFrame]) -> None:
    pop = example["population"]
    by_year = pop.groupby("year")["population"].sum()
    assert 95_000 <= by_year[2025] <= 105_000
    primary = pop.query("4 <= age <= 10").groupby("year")["population"].sum()
    secondary = pop.query("11 <= age <= 15").groupby("year")["population"].sum()
    assert primary[2035] < primary[2025]
    assert secondary[2025] < secondary.loc[2026:2035].max() and secondary.idxmax() < 2032
    assert secondary[2035] < secondary.loc[2026:2035].max()


def test_example_costs_are_in_published_ranges(example: dict[str, pd.DataFrame]) -> None:
    reg = example["settings"]
    cost = reg.groupby("tier")["cost_per_place"]
    assert cost.max()["mainstream"] == 0 and cost.min()["special_school"] >= 24_000
    assert 6_000 <= cost.mean()["sen_support"] <= 9_000
    assert 54_000 <= cost.mean()["independent"] <= 70_000
    assert cost.max()["independent"] > 100_000
    assert (reg["cost_per_place"] % 1 == 0).all()
    changes = example["setting_places"]
    assert {2026, 2027, 2028} <= set(changes["year"])


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("n_settings", [15, 300])
def test_synthetic_borough_obeys_the_rules(tmp_path: Path, n_settings: int, seed: int) -> None:
    path = datasets.synthetic_borough(n_settings, seed=seed, path=tmp_path / "a")
    tables = read_tables(path.parent / "data")
    assert_borough_rules(tables, n_settings)
    plans = tables["caseload"].query("year == 2025")["children"].sum()
    assert 45 * n_settings <= plans <= 50 * n_settings
    again = datasets.synthetic_borough(n_settings, seed=seed, path=tmp_path / "b")
    for name in ["scenario.yaml"] + [f"data/{t}.csv" for t in TABLES]:
        assert (path.parent / name).read_bytes() == (again.parent / name).read_bytes(), name


def test_synthetic_borough_differs_by_seed_and_rejects_tiny_sizes(tmp_path: Path) -> None:
    a = datasets.generate_borough(1, n_settings=12)
    b = datasets.generate_borough(2, n_settings=12)
    assert not a["caseload"].equals(b["caseload"])
    assert_borough_rules(a, 12)
    with pytest.raises(ValueError, match="at least"):
        datasets.generate_borough(0, n_settings=9)


def test_write_example_copies_the_shipped_files(tmp_path: Path) -> None:
    path = datasets.write_example(tmp_path / "copy")
    assert path.name == "scenario.yaml"
    assert path.read_bytes() == EXAMPLE.read_bytes()
    for table in (*TABLES, *BAND_TABLES):
        assert (path.parent / "data" / f"{table}.csv").read_bytes() == (
            DATA / f"{table}.csv"
        ).read_bytes()


def test_write_borough_leaves_out_absent_tables(tmp_path: Path) -> None:
    tables = datasets.generate_borough(3, n_settings=12)
    del tables["sen_support"]
    path = datasets.write_borough(tables, tmp_path, name="small: #1", description="A test.")
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "sen_support" not in scenario["data"] and set(scenario) == SCENARIO_KEYS
    assert scenario["name"] == "small: #1" and scenario["description"] == "A test."
    assert not (tmp_path / "data" / "sen_support.csv").exists()


def test_example_flows_keep_the_stock_identity() -> None:
    """The derived flows table reads cleanly and ties January to January: plans a year on
    = plans - ceased + new, within rounding (one child per age and band)."""
    from sufficiency.data.flows import read_flows

    flows = read_flows(DATA / "flows.csv")
    caseload = pd.read_csv(DATA / "caseload.csv")
    stock = caseload.groupby("year")["children"].sum()
    by = flows.groupby(["year", "measure"], observed=True)["children"].sum().unstack()
    for year in by.index:
        implied = stock[year] - by.loc[year, "ceased_plans"] + by.loc[year, "new_plans"]
        assert implied == pytest.approx(stock[year + 1], abs=26 + 5)
    assert (by["requests"] > by["new_plans"]).all() and (by["assessments"] > 0).all()


def test_example_band_mix_is_the_base_year_caseload_by_band() -> None:
    """Every base-year child of levels 1-5 is at one band, A-E, in whole children."""
    caseload = pd.read_csv(DATA / "caseload.csv")
    settings = pd.read_csv(DATA / "settings.csv").set_index("setting")
    base = caseload[caseload["year"] == 2025].assign(
        level=lambda f: f["setting"].map(settings["tier"])
    )
    banded = base[base["level"].isin(TIERS[:5])]["children"].sum()
    mix = pd.read_csv(DATA / "band_mix.csv")
    assert mix["children"].sum() == banded
    assert set(mix["band"]) == set("ABCDE") and (mix["children"] > 0).all()
    bands = pd.read_csv(DATA / "funding_bands.csv", keep_default_na=False)
    scales = bands.groupby(["tier", "setting"])["band"].apply(lambda b: "".join(sorted(b)))
    assert (scales == "ABCDE").all() and len(scales) == 3
