"""`sufficiency init --sen2 --gias`: a simulated council's truth in the written scenario."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sufficiency.cli import main
from sufficiency.errors import DataError, DataWarning
from sufficiency.example.sen2_export import (
    Council,
    simulate_council,
    write_blade,
    write_register,
)
from sufficiency.sources.council import UNKNOWN_SCHOOL, write_council_starter
from sufficiency.sources.dfe_release import read_dfe_release
from sufficiency.sources.starter import build_history

_CODES = {"OLA": "OTHER_ARRANGEMENTS", "NIEC": "NOT_PLACED", "NIEO": "NOT_PLACED"}


def _files(c: Council, tmp: Path) -> tuple[Path, Path]:
    return write_blade(c, tmp / "sen2"), write_register(c, tmp / "gias.csv")


def _init(c: Council, tmp: Path, *extra: str) -> Path:
    sen2, gias = _files(c, tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # places raised, ages: said, not tested
        code = main(["init", "--sen2", str(sen2), "--gias", str(gias), str(tmp / "out"), *extra])
    assert code == 0
    return tmp / "out"


def _truth_base(c: Council) -> pd.DataFrame:
    base = c.states[c.states["year"] == c.years[-1]].copy()
    base["setting"] = base["setting"].map(lambda s: _CODES.get(s, s))
    return base


def _check(c: Council, out: Path) -> None:
    caseload = pd.read_csv(out / "data" / "caseload.csv", dtype={"setting": str})
    setting = pd.read_csv(out / "data" / "settings.csv", dtype={"setting": str})
    base = caseload[caseload["year"] == c.years[-1]]
    truth = _truth_base(c)
    # base-year plans, children per URN, single-age counts and need mix: exactly the return's
    assert base["children"].sum() == len(truth)
    assert dict(base.groupby("setting")["children"].sum()) == dict(truth["setting"].value_counts())
    assert dict(base.groupby("age")["children"].sum()) == dict(truth["age"].value_counts())
    assert dict(base.groupby("need")["children"].sum()) == dict(truth["need"].value_counts())
    # out of area: children in schools of another LA
    la_of = dict(zip(c.schools["urn"], c.schools["la"], strict=True))
    truth_out = sum(1 for s in truth["setting"] if la_of.get(s, c.la) != c.la)
    in_area = setting.set_index("setting")["in_area"]
    got_out = base.loc[base["setting"].map(in_area) == "no", "children"].sum()
    assert got_out == truth_out
    # every URN attended has a settings row keyed by it, with its statutory ages
    schools = c.schools.set_index("urn")
    s = setting.set_index("setting")
    for urn in set(truth["setting"]) & set(schools.index):
        assert s.loc[urn, "age_min"] == max(
            schools.loc[urn, "low"], 16 if schools.loc[urn, "kind"] == "fe" else 0
        )
        assert s.loc[urn, "age_max"] == min(schools.loc[urn, "high"] - 1, 25)
    fe = s[s["establishment_type"] == "general_fe_tertiary_colleges"]
    assert (fe["age_min"] >= 16).all()
    # flows: totals exactly
    flows = pd.read_csv(out / "data" / "flows.csv")
    totals = flows[flows["age"].isna()].set_index(["year", "measure"])["children"]
    people = c.people
    for measure, col in (
        ("requests", "request"),
        ("new_plans", "start"),
        ("ceased_plans", "cease"),
    ):
        for y in {y - 1 for y in c.years}:
            n = int((people[col].dt.year == y).sum())
            assert totals.get((y, measure), 0) == n


def test_init_sen2_recovers_the_return(tmp_path: Path) -> None:
    c = simulate_council(seed=7, n_children=400)
    out = _init(c, tmp_path)
    _check(c, out)
    text = (out / "scenario.yaml").read_text()
    assert "continuity: data/continuity.csv" in text and "base_year: 2025" in text
    # continuity: the measured rates, exactly
    cont = pd.read_csv(out / "data" / "continuity.csv")
    st_ = c.states.pivot(index="child", columns="year", values="setting")
    ages = c.states.pivot(index="child", columns="year", values="age")
    rows = []
    for y in c.years[:-1]:
        here = st_[y].notna()
        for child in st_.index[here]:
            a = int(ages.loc[child, y])
            nxt = st_.loc[child, y + 1]
            rows.append((a, pd.notna(nxt), pd.notna(nxt) and nxt == st_.loc[child, y]))
    want = pd.DataFrame(rows, columns=["age", "cont", "stay"]).groupby("age")
    got = cont.set_index("age")
    assert (got["children"] == want.size().reindex(got.index)).all()
    assert (got["continued"] == want["cont"].sum().reindex(got.index)).all()
    assert (got["stayed"] == want["stay"].sum().reindex(got.index)).all()
    np.testing.assert_allclose(
        got["continuation"], want["cont"].mean().reindex(got.index), atol=1e-6
    )


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 5000), n=st.integers(20, 120), k=st.integers(2, 3))
def test_random_councils(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, k: int
) -> None:
    c = simulate_council(seed=seed, n_children=n, years=tuple(range(2025 - k + 1, 2026)))
    if c.states.empty or (c.states["year"] == 2025).sum() == 0:
        return
    tmp = tmp_path_factory.mktemp("c")
    _check(c, _init(c, tmp))


def test_ds_before_2025_is_matched_from_the_first_return_recording_it(tmp_path: Path) -> None:
    """Returns before January 2025 have no DS code: a child a 2025 return records with DS is
    counted DS in the earlier returns too; children who left before 2025 stay as recorded."""
    c = simulate_council(seed=31, n_children=400)
    sen2, gias = _files(c, tmp_path)
    for f in Path(sen2).glob("202[34]/*_senneed.csv"):  # as the 2023 and 2024 returns were
        need = pd.read_csv(f, dtype=str, keep_default_na=False)
        need["sentype"] = need["sentype"].replace("DS", "SLD")
        need.to_csv(f, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        write_council_starter(sen2, gias, tmp_path / "out")
    caseload = pd.read_csv(tmp_path / "out" / "data" / "caseload.csv", dtype={"setting": str})
    got = caseload.groupby(["year", "need"])["children"].sum()
    ds_2025 = set(c.states.loc[(c.states["year"] == 2025) & (c.states["need"] == "DS"), "child"])
    assert ds_2025 and got[(2025, "DS")] == len(ds_2025)
    for year in (2023, 2024):
        here = c.states[c.states["year"] == year]
        matched = int((here["need"].eq("DS") & here["child"].isin(ds_2025)).sum())
        left = int((here["need"].eq("DS") & ~here["child"].isin(ds_2025)).sum())
        assert matched and got.get((year, "DS"), 0) == matched
        assert got[(year, "SLD")] == int((here["need"] == "SLD").sum()) + left
        assert caseload.loc[caseload["year"] == year, "children"].sum() == len(here)
    text = (tmp_path / "out" / "scenario.yaml").read_text()
    assert "Down syndrome before the code" in text


def test_unknown_urn_is_placed_not_dropped(tmp_path: Path) -> None:
    c = simulate_council(seed=9, n_children=200, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    reg = pd.read_csv(gias, dtype=str, encoding="cp1252", keep_default_na=False)
    base = _truth_base(c)
    gone = base["setting"][base["setting"].str.isdigit()].value_counts().index[0]
    reg[reg["URN"] != gone].to_csv(gias, index=False, encoding="cp1252")
    n = int((base["setting"] == gone).sum())
    every = int((c.states["setting"] == gone).sum())
    with pytest.warns(DataWarning, match=rf"URN\(s\) not in the register .*{gone} \({every}\)"):
        write_council_starter(sen2, gias, tmp_path / "out")
    caseload = pd.read_csv(tmp_path / "out" / "data" / "caseload.csv", dtype={"setting": str})
    b = caseload[caseload["year"] == 2025]
    assert b["children"].sum() == len(base)
    assert b.loc[b["setting"] == UNKNOWN_SCHOOL, "children"].sum() == n


def test_nothing_written_on_error(tmp_path: Path) -> None:
    c = simulate_council(seed=4, n_children=40, years=(2025,))
    sen2, gias = _files(c, tmp_path)
    next(Path(sen2).rglob("*_senneed.csv")).unlink()
    assert main(["init", "--sen2", str(sen2), "--gias", str(gias), str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_needs_wider_than_the_designation_given_are_said(tmp_path: Path) -> None:
    """Place numbers naming a school's needs: the school still takes the needs its children
    have today (so the base year is possible), and that widening is now said, as raised
    places are, naming the school and the needs added."""
    from sufficiency.sources.council import write_council_starter

    c = simulate_council(seed=24, n_children=150, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    base = _truth_base(c)
    school, held = next(
        (s, set(g["need"]))
        for s, g in base.groupby("setting")
        if str(s).isdigit() and len(set(g["need"])) > 1
    )
    given = sorted(held)[0]
    places = tmp_path / "places.csv"
    places.write_text(
        f"urn,places,needs\n{school},{len(base[base['setting'] == school]) + 5},{given}\n"
    )
    with pytest.warns(DataWarning) as said:
        write_council_starter(sen2, gias, tmp_path / "out", places=places)
    text = [str(w.message) for w in said if "needs widened" in str(w.message)]
    assert text and f"{school} (+{', '.join(sorted(held - {given}))})" in text[0]
    settings_ = pd.read_csv(tmp_path / "out" / "data" / "settings.csv", dtype={"setting": str})
    needs = settings_.set_index("setting").loc[str(school), "needs"].split(";")
    assert needs[0] == given and set(needs) == held


def test_init_needs_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--sen2", str(tmp_path / "sen2"), str(tmp_path / "out")]) == 2
    assert "needs both --sen2 and --gias" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "out")]) == 2


def test_bad_costs_located(tmp_path: Path) -> None:
    c = simulate_council(seed=4, n_children=40, years=(2025,))
    sen2, gias = _files(c, tmp_path)
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,top_up\n{c.schools['urn'].iloc[0]},lots\n")
    with pytest.raises(DataError, match=r"costs.csv, row 2, column 'top_up': 'lots'"):
        write_council_starter(sen2, gias, tmp_path / "out", costs=costs)
    # saved by Excel where a comma is the decimal separator: said so, not "no urn column"
    costs.write_text(f"urn;top_up\n{c.schools['urn'].iloc[0]};12000,50\n")
    with pytest.raises(DataError, match=r"costs.csv: the columns are separated by semicolons"):
        write_council_starter(sen2, gias, tmp_path / "out", costs=costs)
    # an empty file (saved before anything was pasted in): said so, not pandas' words
    costs.write_bytes(b"")
    with pytest.raises(DataError, match=r"costs.csv: the costs file is empty \(0 bytes\)"):
        write_council_starter(sen2, gias, tmp_path / "out", costs=costs)
    empty_register = tmp_path / "gias_empty.csv"
    empty_register.write_bytes(b"")
    with pytest.raises(DataError, match=r"gias_empty.csv: the register .* is empty"):
        write_council_starter(sen2, empty_register, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_child_twice_in_costs_per_child_is_located(tmp_path: Path) -> None:
    """Costs per child are summed into the council's own base-year total: a child given
    twice (a duplicated row, or a move in the year on two rows) counted twice there."""
    from sufficiency.sources.council import read_costs

    costs = tmp_path / "costs.csv"
    costs.write_text(
        "child,urn,top_up\nA1,100001,12000\nB2,100002,9000\nA1,100003,3000\n,100002,500\n"
    )
    with pytest.raises(DataError) as raised:
        read_costs(costs)
    where = [p.where for p in raised.value.problems]
    assert where == [f"{costs}, row 2, column 'child'", f"{costs}, row 4, column 'child'"]
    assert "A1 twice: one row per child" in raised.value.problems[0].message
    costs.write_text("child,urn,top_up\nA1,100001,12000\nB2,100002,9000\n,100002,500\n")
    assert read_costs(costs)["top_up"].sum() == 21500  # blank ids are not compared


def test_run_holds_the_base_year_and_ages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per-child costs: the modelled base-year HNB cost equals the council's total within 1%;
    no plan year places anyone in a school outside its ages, or under 16 in a college."""
    c = simulate_council(seed=24, n_children=150, years=(2024, 2025))  # 2 DS in 2025
    base = _truth_base(c)
    rng = np.random.default_rng(0)
    per_child = pd.DataFrame(
        {
            "child": np.arange(len(base)),
            "urn": base["setting"].to_numpy(),
            "place_funding": np.where(base["setting"].str.isdigit(), 6000, 0),
            "top_up": rng.integers(2000, 30000, len(base)),
            "transport": rng.integers(0, 9000, len(base)),
        }
    )
    per_child = per_child[~per_child["urn"].isin(["EHE", "NEET", "NOT_PLACED"])]
    costs = tmp_path / "costs.csv"
    per_child.to_csv(costs, index=False)
    out = _init(c, tmp_path, "--costs", str(costs))
    assert main(["run", str(out / "scenario.yaml"), "--out", str(tmp_path / "run"), "-q"]) == 0
    said = capsys.readouterr().out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    whats = [a["what"] for a in summary["assumptions"]]
    assert all(
        list(a) == ["what", "value", "why", "how_to_replace"] for a in summary["assumptions"]
    )
    assert "flat population" in whats and "forecast method national" in whats
    assert f"{len(whats)} assumptions in force: {', '.join(whats)}; see the report" in said
    assert "schools' notional SEN budgets not modelled" in said
    assert "the council's own £" in said
    council = float((per_child["place_funding"] + per_child["top_up"]).sum())
    assert summary["council_base_year_hnb_cost"] == pytest.approx(council, abs=0.01)
    assert summary["base_year_hnb_cost"] == pytest.approx(council, rel=0.01)
    placed = pd.read_csv(tmp_path / "run" / "placements.csv", dtype={"setting": str})
    s = pd.read_csv(out / "data" / "settings.csv", dtype={"setting": str}).set_index("setting")
    placed = placed[placed["setting"].isin(s.index)]
    lo = placed["age_band"].str.split("-").str[0].astype(int)
    hi = placed["age_band"].str.split("-").str[1].astype(int)
    assert (hi >= placed["setting"].map(s["age_min"])).all()
    assert (lo <= placed["setting"].map(s["age_max"])).all()
    fe = placed["setting"].map(s["establishment_type"]) == "general_fe_tertiary_colleges"
    assert (hi[fe] >= 16).all() and fe.any()
    # DS is a need of its own: recorded as the return has it, and placed in the plan years
    # only where a setting meets it
    ds = placed[placed["need"] == "DS"]
    assert ds.loc[ds["status"] == "recorded", "children"].sum() == (base["need"] == "DS").sum() > 0
    plan = ds[ds["status"] != "recorded"]
    assert plan["children"].sum() > 0
    meets = plan["setting"].map(s["needs"]).map(lambda n: n == "ALL" or "DS" in n.split(";"))
    assert meets.all()


@pytest.mark.filterwarnings("ignore::sufficiency.errors.DataWarning")
def test_published_history_extends_before_the_first_return(tmp_path: Path) -> None:
    """--dfe adds the published January 2025 before returns of 2026-2027, exactly."""
    import shutil

    dfe = tmp_path / "dfe"
    shutil.copytree(Path(__file__).parent / "fixtures" / "release_2025", dfe)
    c = simulate_council(seed=12, n_children=150, years=(2026, 2027), la="332")
    out = _init(c, tmp_path, "--dfe", str(dfe))
    caseload = pd.read_csv(out / "data" / "caseload.csv", dtype={"setting": str})
    totals = caseload.groupby("year")["children"].sum()
    assert totals[2025] == pytest.approx(100.0)  # the published ehcplans
    assert set(caseload.loc[caseload["year"] == 2025, "setting"]) == {"PUBLISHED_HISTORY"}
    assert totals[2027] == (c.states["year"] == 2027).sum()
    settings_ = pd.read_csv(out / "data" / "settings.csv", dtype={"setting": str})
    assert settings_.set_index("setting").loc["PUBLISHED_HISTORY", "places"] == 0
    text = (out / "scenario.yaml").read_text()
    assert "published history before the first return" in text
    # the release counts DS under OTH: its OTH split by the first return's DS share
    first = c.states[c.states["year"] == 2026]
    share = (first["need"] == "DS").sum() / first["need"].isin(["DS", "OTH"]).sum()
    published = build_history(read_dfe_release(dfe, "332"))
    oth = published.loc[(published["year"] == 2025) & (published["need"] == "OTH"), "children"]
    early = caseload[caseload["year"] == 2025].groupby("need")["children"].sum()
    assert early["DS"] == pytest.approx(oth.sum() * share, abs=0.01)
    assert early["DS"] + early["OTH"] == pytest.approx(oth.sum(), abs=1e-6)
    assert "Down syndrome in the published history" in text


def test_a_total_row_in_costs_is_named(tmp_path: Path) -> None:
    """A total row at the foot of the costs: with no URN a row error, with 'Total' a
    setting neither in the register nor a SEN2 code; the file and row named either way."""
    from sufficiency.sources.council import read_costs

    c = simulate_council(seed=4, n_children=40, years=(2025,))
    sen2, gias = _files(c, tmp_path)
    urn = c.schools["urn"].iloc[0]
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,top_up\n{urn},12000\n,12000\n")
    with pytest.raises(DataError) as raised:
        read_costs(costs)
    assert [p.where for p in raised.value.problems] == [f"{costs}, row 3, column 'urn'"]
    assert "no urn (a total or notes row? one row per school" in raised.value.problems[0].message
    costs.write_text(f"urn,top_up\n{urn},12000\nTotal,12000\n")
    with pytest.raises(DataError) as raised:
        write_council_starter(sen2, gias, tmp_path / "out", costs=costs)
    assert [(p.where, p.message) for p in raised.value.problems] == [
        (f"{costs}, row 3", "setting Total")
    ]
    assert not (tmp_path / "out").exists()


def test_costs_columns_not_given_keep_their_national_figures(tmp_path: Path) -> None:
    """Costs giving only a special school's top-up: the place funding it is paid on top of
    is the national rate, and the transport not given stays the national figure, each listed
    as an assumption (before, both were £0: the school's £10,000 a place and its transport
    vanished, and the council's own base-year total was the top-ups alone)."""
    import yaml

    from sufficiency.data.inputs import DEFAULT_PLACE_FUNDING

    c = simulate_council(seed=24, n_children=400, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    warnings.simplefilter("ignore", DataWarning)  # places raised, ages: said, not tested
    write_council_starter(sen2, gias, tmp_path / "plain")
    plain = pd.read_csv(tmp_path / "plain" / "data" / "settings.csv", dtype={"setting": str})
    special = plain[(plain["tier"] == "special_school") & plain["setting"].str.isdigit()]
    school = special.sort_values("places").iloc[-1]
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,top_up\n{school['setting']},15000\n")
    out = tmp_path / "out"
    write_council_starter(sen2, gias, out, costs=costs)
    got = pd.read_csv(out / "data" / "settings.csv", dtype={"setting": str}).set_index("setting")
    row = got.loc[school["setting"]]
    rate = DEFAULT_PLACE_FUNDING["special_school"]
    assert row["cost_per_place"] == rate + 15000 and row["place_funding"] == rate
    assert row["transport_per_place"] == school["transport_per_place"]
    scenario = yaml.safe_load((out / "scenario.yaml").read_text())
    whats = [a["what"] for a in scenario["assumptions"]]
    assert "national place funding" in whats and "national transport" in whats
    # one school of many priced: no council total set beside the model's whole base year
    assert "base_year_hnb_cost_gbp" not in (scenario.get("reference") or {})
    # every priced setting holding a child costed: the council's total, the special
    # school's places funded at the national rate and top-ups for the children held
    caseload = pd.read_csv(out / "data" / "caseload.csv", dtype={"setting": str})
    held = caseload[caseload["year"] == 2025].groupby("setting")["children"].sum()
    priced = plain.set_index("setting")["cost_per_place"]
    others = [str(k) for k in held.index if priced.get(k, 0) > 0 and k != school["setting"]]
    lines = [f"{school['setting']},15000"] + [f"{k},0" for k in others]
    costs.write_text("urn,top_up\n" + "\n".join(lines) + "\n")
    write_council_starter(sen2, gias, tmp_path / "all", costs=costs)
    scenario = yaml.safe_load((tmp_path / "all" / "scenario.yaml").read_text())
    assert scenario["reference"]["base_year_hnb_cost_gbp"] == pytest.approx(
        school["places"] * rate + held[school["setting"]] * 15000
    )
    # transport alone, or place funding alone (a part of the price): the national price
    # stands, the council's figure is used, and no base-year total is claimed
    for column, value in (("transport_per_place", 9000), ("place_funding", 10000)):
        given = "transport" if column == "transport_per_place" else column
        costs.write_text(f"urn,{given}\n{school['setting']},{value}\n")
        write_council_starter(sen2, gias, tmp_path / given, costs=costs)
        got = pd.read_csv(tmp_path / given / "data" / "settings.csv", dtype={"setting": str})
        row = got.set_index("setting").loc[school["setting"]]
        assert row["cost_per_place"] == school["cost_per_place"] and row[column] == value
        scenario = yaml.safe_load((tmp_path / given / "scenario.yaml").read_text())
        assert "base_year_hnb_cost_gbp" not in (scenario.get("reference") or {})


def test_a_cost_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    from sufficiency.sources.council import read_costs

    costs = tmp_path / "costs.csv"
    costs.write_text("urn,top_up\n100001,inf\n100002,1e999\n")
    with pytest.raises(DataError) as raised:
        read_costs(costs)
    assert [p.where for p in raised.value.problems] == [
        f"{costs}, row 2, column 'top_up'",
        f"{costs}, row 3, column 'top_up'",
    ]


def test_costs_for_part_of_the_children_claim_no_council_total(tmp_path: Path) -> None:
    """Costs per child for some of a school's children only: the council's own base-year
    total would be a part set beside the model's whole base year (it read '+458%'), so it
    is not recorded, and the warning says how many children the costs cover."""
    import yaml

    c = simulate_council(seed=24, n_children=400, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    base = _truth_base(c)
    school = base["setting"].value_counts().index[0]
    costs = tmp_path / "costs.csv"
    costs.write_text(f"child,urn,top_up\nA1,{school},12000\nA2,{school},9000\n")
    with pytest.warns(DataWarning, match=r"total is not compared .*covers 2 of the \d+"):
        write_council_starter(sen2, gias, tmp_path / "out", costs=costs)
    scenario = yaml.safe_load((tmp_path / "out" / "scenario.yaml").read_text())
    assert "base_year_hnb_cost_gbp" not in (scenario.get("reference") or {})


def test_one_return_makes_a_starter_that_runs_and_reads_the_national_wave(
    tmp_path: Path,
) -> None:
    """A council with its first SEN2 return only: the starter runs (it wrote history_start
    equal to the base year, which the run refused), and its forecast moves the base year
    with England's published series (the reference panel's years before the return are
    known: before, a one-year history cut them away and the forecast fell back to flat)."""
    import yaml

    c = simulate_council(seed=7, n_children=600, years=(2025,))
    out = _init(c, tmp_path)
    scenario = yaml.safe_load((out / "scenario.yaml").read_text())
    assert scenario["forecast"]["method"] == "national"
    assert "history_start" not in scenario["forecast"]
    assert main(["run", str(out / "scenario.yaml"), "--out", str(tmp_path / "run"), "-q"]) == 0
    fc = pd.read_csv(tmp_path / "run" / "forecast.csv")
    fc = fc[fc["provision"] == "ehc_plan"]
    assert set(fc["method"]) == {"national"}
    by_year = fc.groupby("year")["mean"].sum()
    base = len(_truth_base(c))
    assert by_year.loc[2026] > base and by_year.loc[2030] > by_year.loc[2026]


def test_a_register_saved_as_a_workbook_makes_the_same_starter(tmp_path: Path) -> None:
    """The register filtered in Excel and saved as .xlsx: the same starter as from the CSV
    (before, its column names were read in lower case, 'URN' missing; and the LA's name was
    read again from the file as a Windows-1252 CSV)."""
    c = simulate_council(seed=4, n_children=120, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    frame = pd.read_csv(gias, dtype=str, encoding="cp1252", keep_default_na=False)
    book = tmp_path / "gias.xlsx"
    frame.to_excel(book, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        write_council_starter(sen2, gias, tmp_path / "csv")
        write_council_starter(sen2, book, tmp_path / "xlsx")
    for name in ("scenario.yaml", "data/settings.csv", "data/caseload.csv"):
        csv_text = (tmp_path / "csv" / name).read_text()
        assert csv_text == (tmp_path / "xlsx" / name).read_text(), name
    name = frame.loc[frame["LA (code)"] == str(c.la), "LA (name)"].iloc[0]
    assert f"# {name} ({c.la})" in (tmp_path / "csv" / "scenario.yaml").read_text()


def test_place_numbers_by_year_become_planned_changes(tmp_path: Path) -> None:
    """Place numbers by academic year: the base year's places on the settings, the later
    years as the scenario's dated changes (data/setting_places.csv), which the run holds
    (before: every school given for two years was 'twice'); a later year at a school the
    register does not hold is named by its row."""
    import yaml

    c = simulate_council(seed=24, n_children=400, years=(2024, 2025))
    base = _truth_base(c)
    school = next(s for s in base["setting"].value_counts().index if str(s).isdigit())
    held = int((base["setting"] == school).sum())
    places = tmp_path / "places.csv"
    places.write_text(
        "urn,academic_year,places\n"
        f"{school},2024/25,{held + 2}\n{school},2026/27,{held + 10}\n{school},2029/30,{held}\n"
    )
    out = _init(c, tmp_path, "--places", str(places))
    scenario = yaml.safe_load((out / "scenario.yaml").read_text())
    assert scenario["data"]["setting_places"] == "data/setting_places.csv"
    changes = pd.read_csv(out / "data" / "setting_places.csv", dtype={"setting": str})
    assert changes.to_dict("records") == [
        {"setting": str(school), "year": 2027, "places": held + 10},
        {"setting": str(school), "year": 2030, "places": held},
    ]
    settings_ = pd.read_csv(out / "data" / "settings.csv", dtype={"setting": str})
    assert settings_.set_index("setting").loc[str(school), "places"] == held + 2
    assert main(["run", str(out / "scenario.yaml"), "--out", str(tmp_path / "run"), "-q"]) == 0
    cap = pd.read_csv(tmp_path / "run" / "capacity.csv", dtype={"setting": str})
    by_year = cap[cap["setting"] == str(school)].set_index("year")["places"]
    assert by_year.loc[2026] == held + 2 and by_year.loc[2027] == held + 10
    assert by_year.loc[2030] == held and by_year.loc[2035] == held
    places.write_text(f"urn,academic_year,places\n{school},2024/25,{held}\n999999,2027/28,5\n")
    with pytest.raises(DataError) as raised:
        write_council_starter(*_files(c, tmp_path / "again"), tmp_path / "out2", places=places)
    assert [(p.where, p.message) for p in raised.value.problems] == [
        (f"{places}, row 3", "setting 999999")
    ]


def test_headers_as_a_spreadsheet_writes_them_are_read(tmp_path: Path) -> None:
    """``Place Funding``, ``Top-up`` and ``URN `` are the columns they name (before, the two
    were left aside without a word: the blank ``Fee`` column then priced a special school
    at £0 a place)."""
    from sufficiency.sources.council import read_costs
    from sufficiency.sources.gias import read_places

    costs = tmp_path / "costs.csv"
    costs.write_text(
        "URN ,School name,Place Funding,Top-up,Fee,Transport,Notes\n"
        "100001,Oak Special,10000,15500,,8100,agreed 2025\n"
    )
    row = read_costs(costs).iloc[0]
    assert (row["place_funding"], row["top_up"], row["fee"], row["transport"]) == (
        10000,
        15500,
        0,
        8100,
    )
    places = tmp_path / "places.csv"
    places.write_text("URN,Academic Year,Places\n100001,2025/26,120\n100001,2026/27,130\n")
    got = read_places(places)
    assert got["year"].tolist() == [2026, 2027] and got["places"].tolist() == [120, 130]
    # one column written two ways: which one is meant? refused, naming both
    costs.write_text("urn,top_up,Top up\n100001,15500,16000\n")
    with pytest.raises(DataError, match=r"the column 'top_up' is given twice \(columns B and C\)"):
        read_costs(costs)


@pytest.mark.parametrize(
    ("what", "text", "column", "meant"),
    [
        (
            "costs",
            "urn,place_funding,Top up (£k),transport\n100001,10000,15.5,8100\n",
            "top_up_(£k)",
            "'top_up'",
        ),
        (
            "costs",
            "urn,top_up,transport cost\n100001,15500,8100\n",
            "transport_cost",
            "'transport'",
        ),
        ("costs", "urn,top_up,trasnport\n100001,15500,8100\n", "trasnport", "'transport'"),
        (
            "places",
            "urn,Places 2025/26,Places 2026/27\n100001,120,130\n",
            "places_2025/26",
            "'places'",
        ),
        (
            "places",
            "urn,places,designation needs\n100001,120,ASD\n",
            "designation_needs",
            "'needs'",
        ),
        # the trade's words: a designation is the needs met, element 3 the top-up
        ("places", "URN,Places,Designation\n100001,120,ASD\n", "designation", "'needs'"),
        ("costs", "URN,Element 3,Transport\n100001,15500,8100\n", "element_3", "'top_up'"),
    ],
)
def test_a_column_meant_for_one_read_is_refused(
    tmp_path: Path, what: str, text: str, column: str, meant: str
) -> None:
    """A column that looks meant for one the reader reads, but is not it, would be left
    aside: a national price, the base year's places or the register's designation would
    stand for the council's figure without a word. Refused, naming it."""
    from sufficiency.sources.council import read_costs
    from sufficiency.sources.gias import read_places

    path = tmp_path / f"{what}.csv"
    path.write_text(text)
    with pytest.raises(DataError) as raised:
        (read_costs if what == "costs" else read_places)(path)
    problem = raised.value.problems[0]
    assert problem.where == f"{path}, column {column!r}"
    assert f"did you mean {meant}?" in problem.message
    if what == "places" and "2025" in column:
        assert "one row per year" in problem.message


def _plain_starter(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    """A simulated council's files and the settings of its starter without places or
    costs (its warnings silenced: said, not tested)."""
    c = simulate_council(seed=24, n_children=400, years=(2024, 2025))
    sen2, gias = _files(c, tmp_path)
    warnings.simplefilter("ignore", DataWarning)
    write_council_starter(sen2, gias, tmp_path / "plain")
    plain = pd.read_csv(tmp_path / "plain" / "data" / "settings.csv", dtype={"setting": str})
    return sen2, gias, plain


def _a_unit(plain: pd.DataFrame) -> tuple[str, str]:
    """A resourced provision or SEN unit of the starter's settings, and its school."""
    units = plain.loc[plain["tier"] == "enhanced_resource", "setting"]
    unit = next(u for u in units if u.endswith("-RP") or u.endswith("-SU"))
    return unit, unit.rpartition("-")[0]


def _said(containing: str, sen2: Path, gias: Path, out: Path, **files: Path) -> list[str]:
    """The warnings containing ``containing`` that writing the starter gives."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", DataWarning)
        write_council_starter(sen2, gias, out, **files)
    return [str(w.message) for w in said if containing in str(w.message)]


def test_a_specialist_setting_priced_at_nothing_is_warned_of(tmp_path: Path) -> None:
    """A costs row left blank is £0 a place: a special school's children then cost the
    model nothing. Said, naming the school; a school with a price is not named."""
    sen2, gias, plain = _plain_starter(tmp_path)
    special = plain[(plain["tier"] == "special_school") & plain["setting"].str.isdigit()]
    free, paid = special.sort_values("places")["setting"].iloc[-2:]
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,place_funding,top_up,fee\n{free},,,\n{paid},10000,15000,\n")
    text = _said("at £0 a place", sen2, gias, tmp_path / "out", costs=costs)
    assert len(text) == 1 and f"{free} (" in text[0] and f"{paid} (" not in text[0]
    costs.write_text(f"urn,place_funding,top_up,fee\n{free},10000,0,\n{paid},10000,15000,\n")
    assert not _said("at £0 a place", sen2, gias, tmp_path / "priced", costs=costs)


def test_a_mainstream_school_numbered_below_its_children_is_raised(tmp_path: Path) -> None:
    """Place numbers for a mainstream school below the children with plans it holds: its
    places are raised to them and said, as for a special school (before, only specialist
    settings were: the school's children were pushed out in the first plan year)."""
    sen2, gias, plain = _plain_starter(tmp_path)
    caseload = pd.read_csv(tmp_path / "plain" / "data" / "caseload.csv", dtype={"setting": str})
    held = caseload[caseload["year"] == 2025].groupby("setting")["children"].sum()
    units = {s.split("-")[0] for s in plain["setting"] if "-" in s}
    mainstream = plain[
        ~plain["tier"].isin(["special_school", "independent", "partnership", "enhanced_resource"])
        & plain["setting"].str.isdigit()
        & ~plain["setting"].isin(units)
        & plain["setting"].map(held).gt(1)
    ]
    school = mainstream["setting"].iloc[0]
    places = tmp_path / "places.csv"
    places.write_text(f"urn,places\n{school},1\n")
    text = _said("places raised", sen2, gias, tmp_path / "out", places=places)
    assert text and f"{school} (1 place, {int(held[school])} children)" in text[0]
    got = pd.read_csv(tmp_path / "out" / "data" / "settings.csv", dtype={"setting": str})
    assert got.set_index("setting").loc[school, "places"] == held[school]


def test_costs_on_the_host_of_a_unit_are_warned_of(tmp_path: Path) -> None:
    """Costs on a mainstream school's URN, none on its resourced provision: said, naming
    the school (the unit's top-up would price the school's children); with a row for the
    unit beside it, the school's own row is meant, and nothing is said."""
    sen2, gias, plain = _plain_starter(tmp_path)
    unit, host = _a_unit(plain)
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,top_up\n{host},12000\n")
    text = _said(
        "resourced provision or SEN unit has none", sen2, gias, tmp_path / "a", costs=costs
    )
    assert len(text) == 1 and f"({host})" in text[0]
    costs.write_text(f"urn,top_up\n{host},3000\n{unit},12000\n")
    assert not _said("has none", sen2, gias, tmp_path / "b", costs=costs)


def test_later_places_on_the_host_of_a_unit_are_refused(tmp_path: Path) -> None:
    """A planned change of places given on a school's URN where its unit is meant is
    refused as the base year's is (before, only the base year's rows were checked); beside
    a row for the unit in any year, it is read as given."""
    sen2, gias, plain = _plain_starter(tmp_path)
    unit, host = _a_unit(plain)
    places = tmp_path / "places.csv"
    places.write_text(f"urn,year,places\n{host},2027,20\n")
    with pytest.raises(DataError, match=rf"{host} is a mainstream school with {unit}"):
        write_council_starter(sen2, gias, tmp_path / "a", places=places)
    places.write_text(f"urn,year,places\n{unit},2025,8\n{host},2027,400\n")
    write_council_starter(sen2, gias, tmp_path / "b", places=places)
    later = pd.read_csv(tmp_path / "b" / "data" / "setting_places.csv", dtype={"setting": str})
    assert later.to_dict("records") == [{"setting": host, "year": 2027, "places": 400}]


@pytest.mark.parametrize(
    ("said", "tier", "warned", "fine"),
    [
        # a top-up of 15.5 (meant £15,500) at a special school
        ("not £ thousands", "special_school", "10000,15.5", "10000,15500"),
        # element 2 (a mainstream school's own £6,000) given as place funding
        ("element 2", "host", "6000,4000", "0,4000"),
    ],
)
def test_costs_that_read_wrong_are_warned_of(
    tmp_path: Path, said: str, tier: str, warned: str, fine: str
) -> None:
    """Said, naming the row; the same row written right is not."""
    sen2, gias, plain = _plain_starter(tmp_path)
    if tier == "host":
        school = _a_unit(plain)[1]
    else:
        mine = plain[(plain["tier"] == tier) & plain["setting"].str.isdigit()]
        school = mine["setting"].iloc[0]
    costs = tmp_path / "costs.csv"
    costs.write_text(f"urn,place_funding,top_up\n{school},{warned}\n")
    text = _said(said, sen2, gias, tmp_path / "a", costs=costs)
    assert len(text) == 1 and "(row 2)" in text[0]
    costs.write_text(f"urn,place_funding,top_up\n{school},{fine}\n")
    assert not _said(said, sen2, gias, tmp_path / "b", costs=costs)
