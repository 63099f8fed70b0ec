"""Continuity and every lever on small boroughs solved by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sufficiency

from contract import check_all

INFL = 1.03  # place-cost inflation per plan year in these boroughs (transport is zero)


def borough(
    settings: list[dict],
    placed: dict[str, int],
    *,
    age: int = 12,
    need: str = "ASD",
) -> dict[str, pd.DataFrame]:
    """A borough whose base-year (2025) children of one age sit in the given settings.

    History ages them one year a year (so plans continue), and the naive forecast keeps
    the band's demand flat.
    """
    rows = []
    for year in (2023, 2024, 2025):
        for setting, n in placed.items():
            rows.append(
                {
                    "year": year,
                    "need": need,
                    "age": age - (2025 - year),
                    "setting": setting,
                    "children": n,
                }
            )
    register = pd.DataFrame(
        [
            {
                "name": s["setting"],
                "in_area": "yes",
                "places": "",
                "needs": "ALL",
                "age_min": 4,
                "age_max": 19,
                "transport_per_place": 0,
                **s,
            }
            for s in settings
        ]
    )
    return {
        "caseload": pd.DataFrame(rows),
        "population": pd.DataFrame(
            [
                {"year": y, "age": a, "population": 1000}
                for y in range(2023, 2028)
                for a in range(26)
            ]
        ),
        "settings": register,
        "cost_assumptions": pd.DataFrame(
            [
                {"year": y, "tier": "", "inflation": INFL - 1, "transport_inflation": 0.0}
                for y in (2026, 2027)
            ]
        ),
    }


def run(
    tables: dict[str, pd.DataFrame], levers: dict | None = None, allocation: dict | None = None
) -> sufficiency.Result:
    scenario = {
        "name": "hand",
        "data": {k: f"{k}.csv" for k in ("caseload", "population", "settings", "cost_assumptions")},
        "base_year": 2025,
        "horizon_years": 2,
        "forecast": {"method": "naive"},
        "allocation": allocation or {},
        "levers": levers or {},
    }
    result = sufficiency.run(scenario, tables=tables)
    check_all(result)
    return result


def placed(result: sufficiency.Result, year: int, **filters: str) -> dict[str, float]:
    p = result.placements[result.placements["year"] == year]
    for k, v in filters.items():
        p = p[p[k].astype(str) == v]
    return p.groupby("setting", observed=True)["children"].sum().round(9).to_dict()


SPECIAL_A = {"setting": "A", "tier": "special_school", "cost_per_place": 30_000}
SPECIAL_B = {"setting": "B", "tier": "special_school", "cost_per_place": 20_000}


# ------------------------------------------------------------------------- continuity


def test_continuing_children_stay_in_a_dearer_setting() -> None:
    tables = borough([SPECIAL_A, SPECIAL_B], {"A": 10}, age=12)
    r = run(tables)
    # aged 13 and 14 in the plan years: no transfer, so they stay in A
    assert placed(r, 2026) == {"A": pytest.approx(10)}
    assert placed(r, 2027) == {"A": pytest.approx(10)}
    assert set(r.placements["status"]) == {"continuing"}
    assert r.totals()["cost"].tolist() == pytest.approx([10 * 30_000 * INFL, 10 * 30_000 * INFL**2])


def test_without_continuity_everyone_moves_to_the_cheapest() -> None:
    tables = borough([SPECIAL_A, SPECIAL_B], {"A": 10}, age=12)
    r = run(tables, allocation={"continuity": False})
    assert placed(r, 2026) == {"B": pytest.approx(10)}


def test_children_at_a_transfer_point_may_move() -> None:
    # aged 15 in 2025: they start Year 12 (age 16) in 2026 and leave the 11-15 band;
    # the band's projected demand in 2026 is new children, placed where it is cheapest
    tables = borough([SPECIAL_A, SPECIAL_B], {"A": 10}, age=15)
    r = run(tables)
    assert placed(r, 2026) == {"B": pytest.approx(10)}
    assert set(r.placements["status"]) == {"new"}


def test_closure_displaces_continuing_children() -> None:
    tables = borough([SPECIAL_A, SPECIAL_B], {"A": 10}, age=12)
    r = run(tables, levers={"settings": [{"setting": "A", "places": 4, "from_year": 2027}]})
    assert placed(r, 2026) == {"A": pytest.approx(10)}
    assert placed(r, 2027) == {"A": pytest.approx(4), "B": pytest.approx(6)}
    assert r.totals().set_index("year").loc[2027, "displaced"] == pytest.approx(6)
    assert r.displaced["children"].sum() == pytest.approx(6)


# ------------------------------------------------------------------------- out of area

OUT = {"setting": "OUT", "tier": "special_school", "cost_per_place": 25_000, "in_area": "no"}


def test_out_of_area_cap_with_glide_path() -> None:
    # 10 out of area in 2025 (aged 15, so free to move); local school dearer but has room
    tables = borough([{**SPECIAL_A, "places": 20}, OUT], {"OUT": 10}, age=15)
    base = run(tables)
    assert placed(base, 2026) == {"OUT": pytest.approx(10)}
    r = run(tables, levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027}})
    # cap: 10 × (1 − 0.3 × ½) = 8.5 in 2026, 7 in 2027
    assert placed(r, 2026) == {"OUT": pytest.approx(8.5), "A": pytest.approx(1.5)}
    assert placed(r, 2027) == {"OUT": pytest.approx(7), "A": pytest.approx(3)}
    assert r.summary["base_year_out_of_area"] == pytest.approx(10)
    assert r.totals()["out_of_area_target_missed"].tolist() == pytest.approx([0, 0])
    assert r.totals()["cost"].iloc[0] == pytest.approx((8.5 * 25_000 + 1.5 * 30_000) * INFL)
    assert r.totals()["unmitigated_cost"].iloc[0] == pytest.approx(10 * 25_000 * INFL)
    lp = r.local_places.set_index(["year", "tier"])
    assert lp.loc[(2027, "special_school"), "extra_local_places"] == pytest.approx(3)


def test_out_of_area_miss_is_reported_not_infeasible() -> None:
    tables = borough([{**SPECIAL_A, "places": 0}, OUT], {"OUT": 10}, age=15)
    r = run(tables, levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027}})
    t = r.totals().set_index("year")
    assert t["out_of_area_target_missed"].tolist() == pytest.approx([1.5, 3])
    assert r.summary["out_of_area_target_missed"] == {
        "2026": pytest.approx(1.5),
        "2027": pytest.approx(3),
    }
    assert t.loc[2027, "out_of_area"] <= t.loc[2027, "out_of_area_cap"] + 3 + 1e-6
    lp = r.local_places.set_index(["year", "tier"])
    assert lp.loc[(2027, "special_school"), "further_places_to_meet_target"] == pytest.approx(3)


def test_continuing_out_of_area_children_are_not_moved_to_meet_the_cap() -> None:
    tables = borough([{**SPECIAL_A, "places": 20}, OUT], {"OUT": 10}, age=12)
    r = run(tables, levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027}})
    assert placed(r, 2027) == {"OUT": pytest.approx(10)}
    assert r.totals()["out_of_area_target_missed"].tolist() == pytest.approx([1.5, 3])


def test_out_of_area_cap_on_new_placements_only() -> None:
    # continuing children are exempt; every 2026 child is continuing, so nothing is capped
    tables = borough([{**SPECIAL_A, "places": 20}, OUT], {"OUT": 10}, age=12)
    r = run(
        tables, levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027, "applies_to": "new"}}
    )
    assert r.totals()["out_of_area_target_missed"].tolist() == pytest.approx([0, 0])
    assert placed(r, 2027) == {"OUT": pytest.approx(10)}


def test_independent_only_cap_ignores_other_out_of_area_settings() -> None:
    tables = borough([{**SPECIAL_A, "places": 20}, OUT], {"OUT": 10}, age=15)
    r = run(
        tables,
        levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027, "independent_only": True}},
    )
    assert placed(r, 2027) == {"OUT": pytest.approx(10)}
    assert r.summary["base_year_out_of_area"] == pytest.approx(10)


# ------------------------------------------------------------------------- inclusion


#: Half of new special-school-level placements met in a resource base from 2026.
HALF_TO_RESOURCE_BASE = {
    "from_level": "special_school",
    "to_level": "enhanced_resource",
    "share": 0.5,
    "from_year": 2026,
}
ERP = {"setting": "ERP", "tier": "enhanced_resource", "cost_per_place": 18_000}


def test_inclusion_moves_share_of_new_demand_down_a_level() -> None:
    tables = borough([SPECIAL_A, ERP], {"A": 10}, age=15)  # all transfer: every place new
    r = run(
        tables,
        levers={"inclusion": [HALF_TO_RESOURCE_BASE]},
    )
    assert placed(r, 2026) == {"A": pytest.approx(5), "ERP": pytest.approx(5)}
    d = r.demand[r.demand["year"] == 2026].set_index("level")["children"]
    assert d["special_school"] == pytest.approx(5) and d["enhanced_resource"] == pytest.approx(5)


def test_inclusion_phases_in_as_the_caseload_turns_over() -> None:
    tables = borough([SPECIAL_A, ERP], {"A": 10}, age=12)  # nobody transfers
    r = run(
        tables,
        levers={"inclusion": [HALF_TO_RESOURCE_BASE]},
    )
    # the band's stay rate is 1, so no place turns over and nothing moves
    assert placed(r, 2027) == {"A": pytest.approx(10)}


# ------------------------------------------------------------------------- demand, costs


def test_demand_shock() -> None:
    tables = borough([SPECIAL_A, SPECIAL_B], {"A": 10}, age=15)
    r = run(
        tables, levers={"demand": [{"needs": ["Autism"], "multiplier": 1.2, "from_year": 2027}]}
    )
    assert r.totals()["demand"].tolist() == pytest.approx([10, 12])
    other = run(
        tables, levers={"demand": [{"needs": ["SEMH"], "multiplier": 2.0, "from_year": 2026}]}
    )
    assert other.totals()["demand"].tolist() == pytest.approx([10, 10])


def test_cost_changes() -> None:
    tables = borough([SPECIAL_A], {"A": 10}, age=12)
    r = run(
        tables,
        levers={
            "costs": [{"tiers": ["special_school"], "from_year": 2027, "extra_inflation": 0.10}]
        },
    )
    u = r.placements.groupby("year")["unit_cost"].first()
    assert u[2026] == pytest.approx(30_000 * INFL)
    assert u[2027] == pytest.approx(30_000 * INFL**2 * 1.10)
    r2 = run(
        tables, levers={"costs": [{"in_area": True, "from_year": 2026, "place_cost_factor": 0.5}]}
    )
    assert r2.placements.groupby("year")["unit_cost"].first()[2026] == pytest.approx(15_000 * INFL)


def test_setting_change_unknown_setting_is_a_scenario_error() -> None:
    tables = borough([SPECIAL_A], {"A": 10})
    with pytest.raises(sufficiency.ScenarioError, match=r"levers.settings\[0\].setting"):
        run(tables, levers={"settings": [{"setting": "NOPE", "places": 1, "from_year": 2026}]})


# ------------------------------------------------------------------------- budget


def test_budget_never_leaves_a_child_without_a_place() -> None:
    """The budget is compared with High Needs Block spending; every child is placed."""
    tables = borough([SPECIAL_A], {"A": 10}, age=15)
    r = run(tables, levers={"budget": {"base_gbp": 200_000, "growth": 0.1}})
    t = r.totals().set_index("year")
    assert t["shortfall"].sum() == pytest.approx(0)
    assert t["placed"].tolist() == pytest.approx([10, 10])
    assert t.loc[2026, "budget"] == pytest.approx(200_000)
    assert t.loc[2027, "budget"] == pytest.approx(220_000)
    hnb = t.loc[2026, "hnb_cost"]
    assert t.loc[2026, "budget_overrun"] == pytest.approx(hnb - 200_000)


def test_hard_budget_mode_is_refused_with_the_reason() -> None:
    tables = borough([SPECIAL_A], {"A": 10}, age=15)
    with pytest.raises(sufficiency.ScenarioError, match="never leaves a child without a place"):
        run(tables, levers={"budget": {"base_gbp": 200_000, "mode": "hard"}})


def test_penalty_order_is_validated() -> None:
    tables = borough([SPECIAL_A], {"A": 10})
    with pytest.raises(sufficiency.ScenarioError, match="miss_penalty_gbp"):
        run(
            tables,
            levers={"out_of_area": {"reduce_by": 0.3, "by_year": 2027, "miss_penalty_gbp": 5e5}},
        )
    assert np.isfinite(1.0)


def test_cost_lever_that_started_before_the_plan_has_compounded() -> None:
    tables = borough([SPECIAL_A], {"A": 10}, age=12)
    r = run(tables, levers={"costs": [{"from_year": 2025, "extra_inflation": 0.10}]})
    u = r.placements.groupby("year")["unit_cost"].first()
    assert u[2026] == pytest.approx(30_000 * INFL * 1.1 * 1.1)
    assert u[2027] == pytest.approx(30_000 * INFL**2 * 1.1**3)
