"""The SEN-support catch-all's policy weight: in the objective, never in money or duals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sufficiency

from conftest import tables_with_sen_support, tiny_scenario_dict
from contract import check_all


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ap_places=st.integers(0, 8),
    weight=st.floats(0.0, 50_000.0),
    continuity=st.booleans(),
)
def test_weight_is_policy_not_money(ap_places: int, weight: float, continuity: bool) -> None:
    """Objective = money + the weight × children kept in mainstream (+ other policy terms,
    none here without continuity); costs and values of places are money only; a free
    alternative provision place is used whenever the weight exceeds its extra cost."""
    scenario = {
        **tiny_scenario_dict(),
        "allocation": {
            "continuity": continuity,
            "sen_support": {"kept_in_mainstream_weight_gbp": weight},
        },
    }
    r = sufficiency.run(scenario, tables=tables_with_sen_support(ap_places))
    check_all(r)
    arrays = r.extras["arrays"]
    solution = r.extras["plan"].allocation.solution
    money = float(solution.placed @ arrays.unit_cost)
    policy = float(solution.placed @ arrays.pair_weight)
    kept = float(r.shortfall["kept_in_mainstream"].sum())
    assert policy == pytest.approx(weight * kept, rel=1e-9, abs=1e-6)
    if not continuity:
        assert r.summary["objective"] == pytest.approx(money + policy, rel=1e-9, abs=0.01)
    placed = r.placements
    assert float(placed["all_payers_cost"].sum()) == pytest.approx(money, rel=1e-9)
    # one more AP place saves money only: at most the dearest money saving of a child
    # moved there (never the weight)
    ap = r.capacity[r.capacity["setting"] == "AP1"]
    ap_cost = arrays.unit_cost[
        arrays.pair_setting
        == int(np.flatnonzero(arrays.settings["setting"].to_numpy() == "AP1")[0])
    ]
    assert (ap["value_per_place"] <= float(arrays.unit_cost.max() - ap_cost.min()) + 1e-6).all()
    # the AP's extra cost over a school's own support is ≈£3,700 a year (2026 prices)
    extra = (9_000 - 6_000) * 1.03 + 1_000 * 1.04
    level_partnership = 5.0  # a fifth of the 25 children on SEN support each year
    used_2026 = float(ap.loc[ap["year"] == 2026, "used"].iloc[0])
    if weight > extra + 1:
        assert used_2026 == pytest.approx(min(ap_places, level_partnership), abs=1e-6)
    elif weight < extra - 1:
        assert used_2026 == pytest.approx(0.0, abs=1e-6)
