"""Every scenario in scenarios/ loads, runs on the bundled data and honours the contract."""

from pathlib import Path

import pandas as pd
import pytest

import sufficiency
from sufficiency.cli import against_unmitigated, main
from sufficiency.results import TABLES

from contract import check_all, check_continuity, check_out_of_area

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_runs(path: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # the baseline is the suite's session run (conftest.py), not run and written again
    session = path.stem == "baseline"
    result = request.getfixturevalue("baseline") if session else sufficiency.run(path)
    check_all(result)
    check_continuity(result)
    check_out_of_area(result)
    assert result.summary["status"] == "optimal"
    # every child with a plan has a placement and a cost: the market takes what the
    # register cannot, and nothing is left with no place at all
    assert result.summary["total_no_place"] == 0 and "unlawful" not in result.summary
    for row in result.summary["by_year"]:
        assert row["placed"] == pytest.approx(row["demand"], abs=1e-2)
        assert row["sen_support_placed"] == pytest.approx(row["sen_support_demand"], abs=1e-2)
        assert row["hnb_cost"] + row["transport_cost"] == pytest.approx(row["total_cost"], abs=1)
        money = row["hnb_cost"] + row["transport_cost"] + row["school_cost"]
        assert money == pytest.approx(row["all_payers_cost"], abs=1)
    # a build that loses money over its life is never chosen unless forced
    built = result.builds[result.builds["built"].astype(bool)]
    losing = built[(built["decision"] != "build") & (built["net_saving"] < -1e-6)]
    assert losing.empty, losing
    if path.stem == "inclusion_mainstream":
        t = result.totals().set_index("year")
        lever_years = t.index >= 2027
        assert (t.loc[lever_years, "total_cost"] < t.loc[lever_years, "unmitigated_cost"]).all()
        assert (t.loc[~lever_years, "total_cost"] <= t.loc[~lever_years, "unmitigated_cost"]).all()
        check_fewer_plans(result)
    if path.stem == "reduce_out_of_area":
        check_reduce_out_of_area(result)
    if path.stem == "capital_programme":
        check_capital_programme(result)
    if path.stem == "budget_cap":
        t = result.totals().set_index("year")
        assert (t["budget_overrun"] >= 0).all() and t["budget_overrun"].max() > 0
        over = (t["hnb_cost"] - t["budget"]).clip(lower=0)
        assert t["budget_overrun"].to_numpy() == pytest.approx(over.to_numpy(), abs=0.02)
    if path.stem == "funding_bands":  # top-up by band, reconciled with the placements
        bands = result.top_up_by_band
        assert bands is not None and set(bands["band"]) == {"A", "B", "C", "D", "E", "unbanded"}
        by_year = bands.groupby("year")["top_up_cost"].sum()
        placed = result.placements.groupby("year")["top_up_cost"].sum()
        assert by_year.to_numpy() == pytest.approx(placed.to_numpy(), rel=1e-9)
    else:
        assert result.top_up_by_band is None
    out = request.getfixturevalue("baseline_out") if session else result.write(tmp_path / "out")
    assert (out / "top_up_by_band.csv").is_file() == (path.stem == "funding_bands")
    contract = {"demand", "placements", "shortfall", "costs", "capacity"}  # DESIGN.md
    assert contract <= set(TABLES)
    for name in TABLES:
        assert (out / f"{name}.csv").is_file()
    assert (out / "summary.json").is_file()
    assert (out / "workbook.xlsx").is_file() and (out / "report.html").is_file()


def check_fewer_plans(result: sufficiency.Result) -> None:
    """The fewer-plans lever moves children from plans to SEN support: the SEND total is
    unchanged each year, and money moves from the High Needs Block to schools."""
    mitigated = result.placements
    unmitigated = result.extras["unmitigated"].allocation.placements

    def by(frame: pd.DataFrame, column: str, provision: str) -> pd.Series:
        rows = frame[frame["provision"].astype(str) == provision]
        return rows.groupby("year")[column].sum()

    send = by(mitigated, "children", "ehc_plan") + by(mitigated, "children", "sen_support")
    send_before = by(unmitigated, "children", "ehc_plan") + by(
        unmitigated, "children", "sen_support"
    )
    assert send.to_numpy() == pytest.approx(send_before.to_numpy(), rel=1e-9)
    later = send.index >= 2028
    moved = by(mitigated, "children", "sen_support") - by(unmitigated, "children", "sen_support")
    assert (moved[later] > 1).all()  # children on SEN support instead of a plan
    school = by(mitigated, "school_cost", "sen_support") - by(
        unmitigated, "school_cost", "sen_support"
    )
    hnb = by(mitigated, "hnb_cost", "ehc_plan") - by(unmitigated, "hnb_cost", "ehc_plan")
    assert (school[later] > 0).all() and (hnb[later] < 0).all()
    # schools pay for each child moved what SEN support in mainstream costs them (£6,000
    # in base-year prices, inflated)
    per_child = school[later] / moved[later]
    assert ((per_child > 6_000) & (per_child < 6_000 * 1.5)).all(), per_child
    # the council's saving and the cost passed to schools are both in the summary
    rows = pd.DataFrame(result.summary["by_year"]).set_index("year")
    school_before = unmitigated.groupby("year")["school_cost"].sum()
    passed = rows["unmitigated_all_payers_cost"] - rows["unmitigated_cost"]
    assert passed.to_numpy() == pytest.approx(school_before.to_numpy(), abs=1)
    assert (rows.loc[later, "total_cost"] < rows.loc[later, "unmitigated_cost"]).all()
    assert (rows.loc[later, "school_cost"] > passed[later]).all()
    # the run's sentence says schools pay more, by the sum of the yearly differences
    more = float((rows["school_cost"] - passed).sum())
    assert more > 0
    assert result.summary["school_cost_against_unmitigated"] == pytest.approx(more, abs=1)
    sentence = against_unmitigated(result.summary)
    shown = result.summary["school_cost_against_unmitigated"]
    assert f"schools' notional SEN budgets £{shown:,.0f} more" in sentence, sentence
    assert "less spent by the council" in sentence


def test_cli_run_writes_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    # the tables of the contract (the report is checked in tests/report and by the README's
    # commands in tests/test_readme.py)
    assert main(["--quiet", "run", str(SCENARIOS[0]), "--out", str(out), "--no-report"]) == 0
    assert "wrote" in capsys.readouterr().out
    import json

    import pandas as pd

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["timings"]) >= {"load", "forecast", "arrays", "build", "solve", "write"}
    assert summary["provenance"]["input_files"]["caseload"]["sha256"]
    placements = pd.read_csv(out / "placements.csv")
    assert {
        "year",
        "need",
        "age_band",
        "level",
        "setting",
        "tier",
        "in_area",
        "children",
        "unit_cost",
        "cost",
    } <= set(placements.columns)
    capacity = pd.read_csv(out / "capacity.csv")
    assert {"year", "setting", "tier", "in_area", "places", "used"} <= set(capacity.columns)


def check_reduce_out_of_area(r: sufficiency.Result) -> None:
    """The bundled reduce_out_of_area scenario (run once, in :func:`test_scenario_runs`)."""
    check_out_of_area(r)
    t = r.totals().set_index("year")
    unmitigated = r.extras["unmitigated"]
    # the lever never moves a child mid-phase: displacement is what the baseline forces too
    base_displaced = unmitigated.allocation.policy.set_index("year")["displaced"]
    # (the totals are rounded to 3 decimals, the policy table is not)
    assert (t["displaced"] <= base_displaced.reindex(t.index) + 5e-4 + 1e-6).all()
    # out-of-area children fall to the cap, or the miss is reported
    assert (
        t["out_of_area_counted"] <= t["out_of_area_cap"] + t["out_of_area_target_missed"] + 1e-6
    ).all()
    assert t.loc[2028, "out_of_area_cap"] == pytest.approx(0.7 * r.summary["base_year_out_of_area"])
    # cost beside the baseline, and the local places needed, every year
    assert t["unmitigated_cost"].notna().all()
    places = r.local_places.groupby("year")[
        ["extra_local_places", "further_places_to_meet_target"]
    ].sum()
    needed = places.sum(axis=1)
    assert needed.loc[2028] == pytest.approx(
        t.loc[2028, "out_of_area_target_missed"] + places.loc[2028, "extra_local_places"],
        abs=0.01,
    )


def test_write_mps_exports_the_model_solved(tmp_path: Path) -> None:
    import highspy

    mps = tmp_path / "model.mps"
    out = tmp_path / "out"
    assert (
        main(
            [
                "-q",
                "run",
                str(SCENARIOS[0]),
                "--out",
                str(out),
                "--write-mps",
                str(mps),
                "--no-report",
            ]
        )
        == 0
    )
    import json

    summary = json.loads((out / "summary.json").read_text())
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(summary["objective"], rel=1e-7)


def check_capital_programme(r: sufficiency.Result) -> None:
    """The bundled capital_programme scenario (run once, in :func:`test_scenario_runs`)."""
    capital = r.summary["capital"]
    assert capital["mip_gap_tolerance"] == 1e-3  # the default, stated beside the gap reached
    assert capital["mip_gap"] is not None and capital["mip_gap"] <= capital["mip_gap_tolerance"]
    b = r.builds.set_index("option")
    assert bool(b.loc["expand_greenbank", "built"])  # forced
    assert not bool(b.loc["tiny_hi_unit", "built"])  # clearly uneconomic
    assert not (
        b.loc["semh_free_school_north", "built"] and b.loc["semh_free_school_south", "built"]
    )
    built = b[b["built"].astype(bool)]
    assert (built["open_year"] >= 2027).all()
    assert r.summary["capital"]["capital_cost"] <= 30_000_000
    assert len(r.summary["most_valuable_places"]) <= 10


def test_named_scenario_with_falling_demand_places_every_child() -> None:
    """The pessimistic variant (drift) makes some groups shrink, so a child placed by the
    market one year could be displaced the next: the market still places every child
    (the no-place column is closed when the market is on, whatever the policy weights)."""
    path = next(p for p in SCENARIOS if p.stem == "baseline")
    r = sufficiency.run(path, scenario="pessimistic")
    check_all(r)
    assert r.summary["total_no_place"] == 0 and "unlawful" not in r.summary
