"""``shortfall_avoided`` on builds.csv is the sufficiency gap a build removes: children the
market of last resort would place without it (hand-checked on ``capital_programme``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sufficiency

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "capital_programme.yaml"


def _with_decisions(
    sc: sufficiency.Scenario, decisions: dict[str, str], years: dict[str, int]
) -> sufficiency.Scenario:
    """``sc`` with every option's decision fixed (built ones opening in ``years``)."""
    options = [
        o.model_copy(
            update={"decision": decisions[o.name], "earliest_year": years.get(o.name, 2100)}
        )
        for o in sc.capital.options
    ]
    return sc.model_copy(update={"capital": sc.capital.model_copy(update={"options": options})})


@pytest.fixture(scope="module")
def chosen() -> tuple[sufficiency.Scenario, sufficiency.Result]:
    sc = sufficiency.load_scenario(SCENARIO)
    return sc, sufficiency.run(sc)


def test_every_built_option_avoids_market_child_years(chosen) -> None:
    _, result = chosen
    built = result.builds[result.builds["built"].astype(bool)]
    assert len(built) >= 2
    # each built option takes children the market would otherwise place
    assert (built["shortfall_avoided"] > 1.0).all(), built[["option", "shortfall_avoided"]]
    north = built.set_index("option").loc["semh_free_school_north", "shortfall_avoided"]
    assert north > 100  # 80 places from 2028 (half, then three quarters full, then full)


@pytest.mark.slow
def test_shortfall_avoided_is_the_market_children_the_build_removes(chosen) -> None:
    """By hand: fix every decision as the plan took it, then take one build away; the
    market's child-years rise by exactly ``shortfall_avoided``."""
    sc, result = chosen
    builds = result.builds.set_index("option")
    decisions = {o: ("build" if b else "never") for o, b in builds["built"].items()}
    years = {o: int(y) for o, y in builds["open_year"].dropna().items()}
    fixed = sufficiency.run(_with_decisions(sc, decisions, years), returns=False)
    opened = fixed.builds.set_index("option")
    for option in builds.index[builds["built"].astype(bool)]:
        assert opened.loc[option, "open_year"] == builds.loc[option, "open_year"], option
    with_all = fixed.summary["total_shortfall"]
    assert with_all == pytest.approx(result.summary["total_shortfall"], abs=1e-3)
    option = "expand_greenbank"  # 20 places from 2027: at most 9 × 20 = 180 child-years
    without = sufficiency.run(
        _with_decisions(sc, {**decisions, option: "never"}, years), returns=False
    )
    market = [r["market"] for r in without.summary["by_year"]]
    assert without.summary["total_no_place"] == pytest.approx(0.0, abs=1e-6)
    gap_rise = sum(market) - sum(r["market"] for r in fixed.summary["by_year"])
    assert builds.loc[option, "shortfall_avoided"] == pytest.approx(gap_rise, abs=1e-3)
    assert 0 < builds.loc[option, "shortfall_avoided"] <= 180 + 1e-6


def test_scap_places_change_with_the_options_built(chosen) -> None:
    """SCAP counts places: each year's capital change is the places the options built add
    that year (their fill schedule), by SCAP type; the register's change is its own."""
    sc, result = chosen
    builds = result.builds.set_index("option")
    scap = result.scap_places
    whole = scap[scap["planning_area"] == "all"].set_index(["year", "line"])
    kinds = {"semh_free_school_north": "SS", "asd_base_secondary": "UR", "expand_greenbank": "SS"}
    kinds["post16_centre"] = "IN"  # a specialist post-16 institution

    def places(option, year: int) -> float:
        opened = builds.loc[option.name, "open_year"]
        if not builds.loc[option.name, "built"] or year < opened:
            return 0.0
        k = int(year - opened)
        return option.places * (option.fill[k] if k < len(option.fill) else 1.0)

    for year in sc.plan_years:
        for kind in ("UR", "IN", "SS", "AP"):
            expected = sum(
                places(o, year) - places(o, year - 1)
                for o in sc.capital.options
                if kinds.get(o.name) == kind
            )
            got = whole.loc[(year, "change_capital"), kind]
            assert got == pytest.approx(expected), (year, kind)
        total = whole.loc[(year, "change_total"), "total"]
        parts = (
            whole.loc[(year, "change_settings"), "total"]
            + whole.loc[(year, "change_capital"), "total"]
        )
        assert total == pytest.approx(parts)
        before = whole.loc[(year - 1, "places_total"), "total"]
        assert whole.loc[(year, "places_total"), "total"] == pytest.approx(before + total)
