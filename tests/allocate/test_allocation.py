"""The allocation LP: a hand-solved answer, and the contract on generated boroughs."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sufficiency
from sufficiency import taxonomy
from sufficiency.config import load_scenario
from sufficiency.data import load_inputs
from sufficiency.errors import ForecastError
from sufficiency.forecast.methods.flowmethod import FlowLevers
from sufficiency.forecast.scenario import project
from sufficiency.model.canonical import canonical

from conftest import tiny_scenario_dict, tiny_tables
from contract import check_all, check_continuity, check_out_of_area

planning = importlib.import_module("sufficiency.allocate.plan")  # the module, not its plan()


def run_tables(tables: dict[str, pd.DataFrame], **changes: object) -> sufficiency.Result:
    sc = {**tiny_scenario_dict(), **changes}
    return sufficiency.run(sc, tables=tables)


def test_hand_solved_tiny_borough() -> None:
    """10 ASD children fill the special school, 2 level-6 go independent, 5 SEMH mainstream.

    2026 prices: special £30,000×1.03 + £6,000×1.04 = £37,140; independent £60,000×1.03 +
    £20,000×1.04 = £82,600; mainstream top-up £8,000×1.03 = £8,240.
    """
    r = run_tables(tiny_tables())
    check_all(r)
    y26 = r.placements[r.placements["year"] == 2026].set_index("setting")
    assert y26.loc["SS1", "children"] == pytest.approx(10)
    assert y26.loc["SS1", "unit_cost"] == pytest.approx(37_140)
    assert y26.loc["IND1", "unit_cost"] == pytest.approx(82_600)
    assert y26.loc["MS1", "unit_cost"] == pytest.approx(8_240)
    assert r.summary["by_year"][0]["cost"] == pytest.approx(577_800)
    assert r.summary["by_year"][0]["not_placed"] == pytest.approx(1)
    assert r.summary["total_shortfall"] == pytest.approx(0)
    # costs.csv lists every eligible pair, e.g. level-5 ASD may also go independent
    c = r.costs[(r.costs["year"] == 2026) & (r.costs["level"] == "special_school")]
    assert set(c["setting"]) == {"SS1", "IND1", "MARKET"}


def test_gap_placed_by_the_market() -> None:
    """1 independent place for 2 level-6 children: the second is bought on the market.

    Market 2026: £70,000 × 1.03 fee + £18,000 × 1.04 transport (tiny borough's general
    rates; the independent tier has no rates of its own there) = £90,820.
    """
    tables = tiny_tables()
    tables["settings"].loc[2, "places"] = 1  # independent has 1 place for 2 level-6 children
    r = run_tables(tables)
    check_all(r)
    y26 = r.summary["by_year"][0]
    assert y26["shortfall"] == pytest.approx(1)
    assert y26["market"] == pytest.approx(1)
    assert y26["no_place"] == pytest.approx(0)
    row = r.shortfall[r.shortfall["year"] == 2026].iloc[0]
    assert (row["need"], row["age_band"], row["level"]) == ("ASD", "11-15", "independent")
    m = r.placements[(r.placements["setting"] == "MARKET") & (r.placements["year"] == 2026)]
    assert m["children"].sum() == pytest.approx(1)
    assert m["hnb_cost"].sum() == pytest.approx(70_000 * 1.03)
    assert m["transport_cost"].sum() == pytest.approx(18_000 * 1.04)
    assert not m["in_area"].any()
    assert "unlawful" not in r.summary


def test_market_off_leaves_no_place_and_says_unlawful() -> None:
    tables = tiny_tables()
    tables["settings"].loc[2, "places"] = 1
    r = run_tables(tables, allocation={"market": {"enabled": False}})
    check_all(r)
    y26 = r.summary["by_year"][0]
    assert y26["no_place"] == pytest.approx(1)
    assert y26["market"] == pytest.approx(0)
    assert "unlawful" in r.summary
    assert (r.placements["setting"] != "MARKET").all()


def test_overflow_goes_to_next_cheapest_eligible() -> None:
    tables = tiny_tables()
    tables["settings"].loc[1, "places"] = 7  # special school shrinks: 3 level-5 go independent
    r = run_tables(tables)
    check_all(r)
    y = r.placements[(r.placements["year"] == 2026) & (r.placements["level"] == "special_school")]
    assert y.set_index("setting")["children"].to_dict() == pytest.approx({"SS1": 7, "IND1": 3})
    cap = r.capacity[(r.capacity["year"] == 2026) & (r.capacity["setting"] == "SS1")].iloc[0]
    assert cap["value_per_place"] == pytest.approx(82_600 - 37_140)


def test_without_place_values_the_same_allocation_and_no_value() -> None:
    """``place_values=False`` (a sweep) skips the money-only re-solve: the same allocation
    and cost, and no value of a place (NaN, never the objective's duals)."""
    tables = tiny_tables()
    tables["settings"].loc[1, "places"] = 7
    sc = {
        **tiny_scenario_dict(),
        "levers": {"costs": [{"from_year": 2026, "extra_inflation": 0.1}]},
    }
    full = sufficiency.run(sc, tables=tables)
    bare = sufficiency.run(sc, tables=tables, place_values=False)
    assert bare.summary["objective"] == full.summary["objective"]
    pd.testing.assert_frame_equal(bare.placements, full.placements)
    assert full.capacity["value_per_place"].max() > 40_000
    limited = full.capacity["places"].notna()  # an unlimited setting's value is 0 either way
    assert bare.capacity.loc[limited, "value_per_place"].isna().all()
    assert (bare.capacity.loc[~limited, "value_per_place"] == 0).all()
    assert bare.summary["total_cost"] == full.summary["total_cost"]


@pytest.mark.parametrize("engine", ["highs", "cbc", "pulp-highs", "pulp-cbc"])
def test_every_engine_gives_the_same_answer(engine: str) -> None:
    tables = tiny_tables()
    tables["settings"].loc[1, "places"] = 7
    reference = run_tables(tables, allocation={"solver": "highs", "fallback_solver": False})
    r = run_tables(tables, allocation={"solver": engine, "fallback_solver": False})
    assert r.summary["solver"] == engine
    assert r.summary["objective"] == pytest.approx(reference.summary["objective"], rel=1e-9)
    check_all(r)
    cap = r.capacity[(r.capacity["year"] == 2026) & (r.capacity["setting"] == "SS1")].iloc[0]
    assert cap["value_per_place"] == pytest.approx(82_600 - 37_140)


def test_pulp_problem_carries_the_solution() -> None:
    r = run_tables(tiny_tables())
    prob = r.extras["model"].problem
    values = {v.name: v.varValue for v in prob.variables()}
    placed = r.extras["plan"].allocation.solution.placed
    assert [values[f"x{k}"] for k in range(len(placed))] == pytest.approx(placed.tolist())
    assert prob.objective.value() == pytest.approx(r.summary["objective"], abs=0.01)


# ---------------------------------------------------------------- generated boroughs


@st.composite
def boroughs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    n_settings = draw(st.integers(1, 7))
    needs = ["ASD", "SEMH", "SLCN", "MLD"]
    settings_rows = []
    for i in range(n_settings):
        lo = draw(st.integers(0, 20))
        hi = draw(st.integers(lo, 25))
        served = draw(st.lists(st.sampled_from(needs), min_size=1, max_size=4, unique=True))
        places = draw(st.one_of(st.none(), st.integers(0, 30)))
        takes = draw(st.sampled_from(["", "yes", "no"]))  # "" = by tier
        settings_rows.append(
            {
                **({"takes_sen_support": takes} if takes else {}),
                "setting": f"S{i}",
                "tier": draw(st.sampled_from(taxonomy.TIERS)),
                "in_area": draw(st.booleans()),
                "places": "" if places is None else places,
                "needs": ";".join(served),
                "age_min": lo,
                "age_max": hi,
                "cost_per_place": draw(st.integers(0, 90_000)),
                "transport_per_place": draw(st.integers(0, 20_000)),
            }
        )
    ids = [r["setting"] for r in settings_rows] + ["NOT_PLACED"]
    caseload = []
    for year in (2023, 2024, 2025):
        for _ in range(draw(st.integers(1, 6))):
            caseload.append(
                {
                    "year": year,
                    "need": draw(st.sampled_from(needs)),
                    "age": draw(st.integers(0, 25)),
                    "setting": draw(st.sampled_from(ids)),
                    "children": draw(st.integers(0, 25)),
                }
            )
    for year in (2023, 2024):  # every cell present in history so the 2025 mix is used
        caseload += [dict(c, year=year) for c in caseload if c["year"] == 2025]
    population = [
        {"year": y, "age": a, "population": 500} for y in range(2023, 2028) for a in range(26)
    ]
    costs = [
        {"year": y, "tier": "", "inflation": 0.02, "transport_inflation": 0.03}
        for y in (2026, 2027)
    ]
    keys = ["year", "need", "age", "setting"]  # one row per key: draws that repeat add up
    settings_frame = pd.DataFrame(settings_rows)
    if "takes_sen_support" in settings_frame:  # a column given is given on every row
        by_tier = (
            settings_frame["tier"].isin(taxonomy.SEN_SUPPORT_TIERS).map({True: "yes", False: "no"})
        )
        settings_frame["takes_sen_support"] = settings_frame["takes_sen_support"].fillna(by_tier)
    out = {
        "caseload": pd.DataFrame(caseload).groupby(keys, as_index=False)["children"].sum(),
        "population": pd.DataFrame(population),
        "settings": settings_frame,
        "cost_assumptions": pd.DataFrame(costs),
    }
    if draw(st.booleans()):  # children on SEN support, NSA among their needs
        sen = [
            {
                "year": year,
                "need": draw(st.sampled_from([*needs, "NSA"])),
                "age": draw(st.integers(2, 18)),
                "children": draw(st.integers(0, 60)),
            }
            for year in (2023, 2024, 2025)
            for _ in range(draw(st.integers(1, 4)))
        ]
        keys = ["year", "need", "age"]
        out["sen_support"] = pd.DataFrame(sen).groupby(keys, as_index=False)["children"].sum()
    return out


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=boroughs(), method=st.sampled_from(["naive", "drift"]))
def test_contract_on_generated_boroughs(tables: dict[str, pd.DataFrame], method: str) -> None:
    try:
        r = run_tables(tables, forecast={"method": method})
    except ForecastError as error:
        # drift asked for where every SEN support series started in the latest year (the
        # zeros before a jump are not yet started): refused, naming the history and option
        text = str(error)
        assert method == "drift" and "SEN support" in text and "forecast.method" in text, text
        r = run_tables(tables, forecast={"method": "naive"})
        points = r.extras["sen_support_forecast"].diagnostics["n_points"]
        assert points.max() < 2, "drift was refused on a SEN support history it could use"
    check_all(r)
    assert r.summary["status"] == "optimal"
    # children on SEN support are null where not modelled (no sen_support table): none placed
    total = sum(
        row["placed"] + row["no_place"] + (row["sen_support_placed"] or 0.0)
        for row in r.summary["by_year"]
    )
    # summary figures are rounded to 3 decimals per year
    assert total == pytest.approx(float(r.demand["children"].sum()), abs=1e-2)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=boroughs(), extra=st.integers(1, 20), plain=st.booleans())
def test_more_places_never_cost_more(
    tables: dict[str, pd.DataFrame], extra: int, plain: bool
) -> None:
    """The objective never rises with more places; without policy weights (``plain``:
    continuity's, and the weight on keeping children on SEN support in mainstream for want
    of a place) the objective is money, and total cost never rises either (all payers': a
    place can move a child on SEN support from the school's budget to the High Needs
    Block). Each example checks one of the two models (two runs, not four)."""
    more = {k: v.copy() for k, v in tables.items()}
    places = pd.to_numeric(more["settings"]["places"], errors="coerce")
    more["settings"]["places"] = ["" if np.isnan(p) else int(p) + extra for p in places]
    weights = {"continuity": False, "sen_support": {"kept_in_mainstream_weight_gbp": 0.0}}
    allocation = weights if plain else {}
    base = run_tables(tables, forecast={"method": "naive"}, allocation=allocation)
    bigger = run_tables(more, forecast={"method": "naive"}, allocation=allocation)
    assert bigger.summary["objective"] <= base.summary["objective"] + 1e-6 * (
        1 + abs(base.summary["objective"])
    )
    if not plain:
        return

    def money(s: dict) -> float:  # every payer's; the council's where schools' is not modelled
        return s["total_cost"] if s["total_all_payers_cost"] is None else s["total_all_payers_cost"]

    assert money(bigger.summary) <= money(base.summary) + 1e-6 * (1 + money(base.summary))
    assert bigger.summary["total_no_place"] == base.summary["total_no_place"] == 0


# ---------------------------------------------------------------- levers on generated boroughs


@st.composite
def lever_sets(draw: st.DrawFn) -> dict:
    levers: dict = {}
    if draw(st.booleans()):
        levers["out_of_area"] = {
            "reduce_by": draw(st.floats(0.05, 1.0)),
            "by_year": draw(st.sampled_from([2026, 2027])),
            "applies_to": draw(st.sampled_from(["all", "new"])),
            "independent_only": draw(st.booleans()),
        }
    if draw(st.booleans()):
        levers["inclusion"] = [
            {
                "from_level": "special_school",
                "to_level": "enhanced_resource",
                "share": draw(st.floats(0.05, 1.0)),
                "from_year": 2026,
            }
        ]
    if draw(st.booleans()):
        levers["fewer_plans"] = [
            {
                "share": draw(st.floats(0.05, 1.0)),
                "from_year": 2026,
                "levels": draw(
                    st.lists(
                        st.sampled_from(["mainstream", "sen_support", "partnership"]),
                        min_size=1,
                        unique=True,
                    )
                ),
            }
        ]
    if draw(st.booleans()):
        levers.setdefault("inclusion", []).append(
            {
                "from_level": "partnership",
                "to_level": "sen_support",
                "share": draw(st.floats(0.05, 1.0)),
                "from_year": 2026,
                "provision": "sen_support",
            }
        )
    if draw(st.booleans()):
        levers["demand"] = [
            {"needs": ["ASD"], "multiplier": draw(st.floats(0.0, 3.0)), "from_year": 2027}
        ]
    if draw(st.booleans()):
        levers["costs"] = [{"from_year": 2026, "extra_inflation": draw(st.floats(-0.2, 0.5))}]
    if draw(st.booleans()):
        levers["budget"] = {"base_gbp": draw(st.floats(1e4, 5e6))}
    return levers


def test_a_child_displaced_out_of_area_counts_as_new_against_a_cap_on_new_placements() -> None:
    """Found by the property below (a fresh seed): children displaced from an out-of-area
    setting and placed out of area again were netted off as carried over in the LP's cap
    row, so the miss it reported (24.3 a year) fell short of the new placements counted
    against the cap (34 − 3.7 = 30.3)."""
    settings = pd.DataFrame(
        {
            "setting": [f"S{i}" for i in range(6)],
            "tier": ["mainstream"] * 6,
            "in_area": [False] * 6,
            "places": [""] * 6,
            "needs": ["ASD;SEMH", "ASD", "ASD;SEMH", "ASD;SEMH;SLCN;MLD", "ASD", "ASD"],
            "age_min": [18, 0, 0, 0, 0, 0],
            "age_max": [18, 0, 0, 0, 0, 0],
            "cost_per_place": [0] * 6,
            "transport_per_place": [0] * 6,
        }
    )
    caseload = pd.DataFrame(
        [
            {"year": y, "need": n, "age": a, "setting": "S0", "children": c}
            for y in (2023, 2024, 2025)
            for n, a, c in (("ASD", 0, 0), ("ASD", 18, 23), ("SEMH", 17, 11), ("SEMH", 18, 5))
        ]
    )
    population = pd.DataFrame(
        [{"year": y, "age": a, "population": 500} for y in range(2023, 2028) for a in range(26)]
    )
    costs = pd.DataFrame(
        {"year": [2026, 2027], "tier": ["", ""], "inflation": 0.02, "transport_inflation": 0.03}
    )
    tables = {
        "caseload": caseload,
        "population": population,
        "settings": settings,
        "cost_assumptions": costs,
    }
    lever = {"reduce_by": 0.8671861102805672, "by_year": 2026, "applies_to": "new"}
    r = run_tables(
        tables,
        forecast={"method": "naive"},
        levers={"out_of_area": lever},
        allocation={"continuity": True},
    )
    check_all(r)
    check_out_of_area(r)
    policy = r.extras["plan"].allocation.policy
    assert (policy["displaced"] > 1).all()  # children displaced from S0 each year
    over = policy["out_of_area"] - policy["out_of_area_cap"]
    assert (over > 1).all()
    assert policy["out_of_area_target_missed"].to_numpy() == pytest.approx(over.to_numpy())


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=boroughs(), levers=lever_sets(), continuity=st.booleans())
def test_contract_holds_with_every_lever(tables, levers, continuity) -> None:
    r = run_tables(
        tables, forecast={"method": "naive"}, levers=levers, allocation={"continuity": continuity}
    )
    check_all(r)
    check_continuity(r)
    check_out_of_area(r)
    if "fewer_plans" in levers or "inclusion" in levers:
        # moving children between plans and SEN support, or between levels, keeps the
        # SEND cohort whole: the same children to place as without levers, every year (the
        # unmitigated plan is a run without levers: tests/solve/test_beside.py)
        plain = r.extras["unmitigated"]
        with_levers = r.demand.groupby("year")["children"].sum()
        without = plain.demand.groupby("year")["children"].sum()
        if "demand" not in levers:
            assert with_levers.to_numpy() == pytest.approx(without.to_numpy(), rel=1e-9, abs=1e-9)


def plan_objectives(
    tables: dict[str, pd.DataFrame], variants: list[dict], **changes: object
) -> list[float]:
    """The allocation stage's objective for each variant of the scenario (top-level keys
    such as ``levers``), on the inputs loaded and the demand forecast once: the levers
    varied here (the out-of-area cap, demand multipliers) act after the forecast."""
    base = load_scenario({**tiny_scenario_dict(), **changes})
    inputs = canonical(load_inputs(base, tables=tables))
    ehcp, sen = project(base, inputs)
    out = []
    for variant in variants:
        scenario = load_scenario({**tiny_scenario_dict(), **changes, **variant})
        assert FlowLevers.from_levers(scenario.levers) is None  # the forecast is the same
        made = planning.plan(
            scenario, inputs, ehcp.frame, sen_support=sen.frame if sen is not None else None
        )
        assert made.allocation.solution.status.value == "optimal"
        out.append(made.allocation.solution.objective)
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=boroughs(),
    tight=st.floats(0.1, 1.0),
    slack=st.floats(0.0, 0.9),
    applies_to=st.sampled_from(["all", "new"]),
)
def test_looser_cap_never_costs_more(tables, tight, slack, applies_to) -> None:
    def lever(reduce_by: float) -> dict:
        cap = {"reduce_by": reduce_by, "by_year": 2027, "applies_to": applies_to}
        return {"levers": {"out_of_area": cap}}

    looser = max(tight * (1 - slack), 1e-3)
    cost_looser, cost_tight = plan_objectives(
        tables, [lever(looser), lever(tight)], forecast={"method": "naive"}
    )
    assert cost_looser <= cost_tight + 1e-6 * (1 + abs(cost_tight))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=boroughs(), more=st.floats(1.0, 3.0))
def test_more_demand_never_costs_less(tables, more) -> None:
    """Without continuity (where more demand can spare a forced move) cost rises with demand."""

    def lever(multiplier: float) -> dict:
        return {"levers": {"demand": [{"multiplier": multiplier, "from_year": 2026}]}}

    cost_more, cost_same = plan_objectives(
        tables,
        [lever(more), lever(1.0)],
        forecast={"method": "naive"},
        allocation={"continuity": False},
    )
    assert cost_more >= cost_same - 1e-6 * (1 + abs(cost_same))


def test_cost_components_by_payer() -> None:
    """Special school £30,000 a place: £10,000 place funding (the default for special
    schools) + £20,000 top-up, each ×1.03 in 2026; the independent place is a fee;
    transport is not High Needs Block spend."""
    r = run_tables(tiny_tables())
    y26 = (
        r.placements[r.placements["year"] == 2026]
        .groupby("setting", observed=True)
        .sum(numeric_only=True)
    )
    ss = y26.loc["SS1"]
    assert ss["place_funding_cost"] == pytest.approx(10 * 10_000 * 1.03)
    assert ss["top_up_cost"] == pytest.approx(10 * 20_000 * 1.03)
    assert ss["fee_cost"] == 0
    assert ss["transport_cost"] == pytest.approx(10 * 6_000 * 1.04)
    ind = y26.loc["IND1"]
    assert ind["fee_cost"] == pytest.approx(ind["hnb_cost"]) and ind["place_funding_cost"] == 0
    row = r.summary["by_year"][0]
    assert row["place_funding_cost"] + row["top_up_cost"] + row["fee_cost"] == pytest.approx(
        row["hnb_cost"] - row["not_in_school_cost"], abs=0.05
    )


def test_place_funding_given_in_the_register() -> None:
    tables = tiny_tables()
    tables["settings"]["place_funding"] = ["", 12_000, ""]
    r = run_tables(tables)
    ss = r.placements[(r.placements["year"] == 2026) & (r.placements["setting"] == "SS1")]
    assert ss["place_funding_cost"].sum() == pytest.approx(10 * 12_000 * 1.03)
    tables["settings"]["place_funding"] = ["", 40_000, ""]
    with pytest.raises(sufficiency.DataError, match="place_funding"):
        run_tables(tables)
