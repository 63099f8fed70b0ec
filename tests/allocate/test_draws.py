"""The allocation over forecast draws: probabilities, quantiles, reproducibility, the model
re-solved with only demand changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sufficiency
from sufficiency.datasets import example_path
from sufficiency.postprocess.draws import QUANTILES, WHOLE_CHILD
from sufficiency.solve.draws import DemandResolver

DRAWS = 16


def _roomy_tables() -> dict[str, pd.DataFrame]:
    """The bundled register with 1.8× places and a cheap independent setting for every need
    and age (150 places): places to spare early, not once demand has grown enough."""
    data = Path(example_path()).parent / "data"
    settings = pd.read_csv(data / "settings.csv")
    settings["places"] = np.ceil(settings["places"] * 1.8)
    extra = settings.iloc[[-1]].assign(
        setting="CATCH",
        name="Catch-all independent school",
        tier="independent",
        needs="ALL",
        age_min=0,
        age_max=25,
        places=150,
        in_area="no",
        cost_per_place=20_000,
        transport_per_place=0,
    )
    return {
        "settings": pd.concat([settings, extra], ignore_index=True),
        "setting_places": pd.DataFrame(columns=["setting", "year", "places"]),
    }


def _run(**values: object) -> sufficiency.Result:
    set_values = {"horizon_years": 6, "uncertainty.draws": DRAWS, **values}
    return sufficiency.run(example_path(), tables=_roomy_tables(), set_values=set_values)


@pytest.fixture(scope="module")
def roomy() -> sufficiency.Result:
    return _run()


def test_places_suffice_with_room_and_less_as_demand_grows(roomy: sufficiency.Result) -> None:
    assert roomy.uncertainty is not None
    p = roomy.uncertainty.by_year.set_index("year")["p_suffice"]
    # 2029-2030: the grown register has room for every draw; by 2031 demand outgrows it
    assert p[2029] == 1.0 and p[2030] == 1.0
    assert p[2031] < p[2030]
    draws = roomy.uncertainty.draws
    assert (draws.gap[:, 3:5] < WHOLE_CHILD).all()
    # more demand (+25% from 2029) makes places less likely to suffice from then on
    # (earlier years can move either way: continuity links a year to the next)
    shocked = _run(**{"levers.demand": [{"multiplier": 1.25, "from_year": 2029}]})
    assert shocked.uncertainty is not None
    q = shocked.uncertainty.by_year.set_index("year")["p_suffice"]
    assert (q[q.index >= 2029] <= p[p.index >= 2029] + 1e-12).all()
    assert q[2030] < p[2030]


def test_quantiles_are_monotone(roomy: sufficiency.Result) -> None:
    u = roomy.uncertainty
    assert u is not None
    names = [f"p{round(100 * q)}" for q in QUANTILES]
    for frame in (u.by_year, u.by_group, u.settings):
        stems = {c.rsplit("_", 1)[0] for c in frame.columns if c.endswith("_p50")}
        assert stems
        for stem in stems:
            values = frame[[f"{stem}_{n}" for n in names]].to_numpy()
            assert (np.diff(values, axis=1) >= -1e-9).all(), stem
    # the cost quantiles rise with the places to commission across futures
    assert (u.by_year["total_cost_p95"] >= u.by_year["hnb_cost_p95"]).all()


def test_every_draw_places_every_child(roomy: sufficiency.Result) -> None:
    d = roomy.uncertainty.draws  # type: ignore[union-attr]
    placed = d.placed.sum(axis=2) + d.no_place  # places are shared by both provisions
    np.testing.assert_allclose(placed, d.children + d.sen_support, rtol=1e-7, atol=1e-5)
    finite = np.isfinite(d.places)
    assert (d.placed[:, finite] <= d.places[finite] + 1e-5).all()
    assert d.children.std(axis=0).min() > 0  # the draws differ


def test_same_seed_same_table_and_workers_do_not_matter(roomy: sufficiency.Result) -> None:
    again = _run(**{"uncertainty.workers": 2})
    pd.testing.assert_frame_equal(again.uncertainty.by_year, roomy.uncertainty.by_year)  # type: ignore[union-attr]
    other = _run(**{"uncertainty.seed": 7})
    assert not np.allclose(
        other.uncertainty.by_year["children_p50"],  # type: ignore[union-attr]
        roomy.uncertainty.by_year["children_p50"],  # type: ignore[union-attr]
    )


def test_resolver_on_the_mean_gives_the_plan_objective(roomy: sufficiency.Result) -> None:
    plan = roomy.extras["plan"]
    model = plan.allocation.model
    resolver = DemandResolver(plan.arrays, model.matrix, plan.allocation.solution.columns)
    values = resolver.solve(plan.arrays.groups["children"].to_numpy(float))
    assert float(model.matrix.cost @ values) == pytest.approx(
        plan.allocation.solution.objective, rel=1e-7
    )
    with pytest.raises(ValueError, match="shape"):
        resolver.solve(np.zeros(3))


def test_outputs_written(roomy: sufficiency.Result, tmp_path: Path) -> None:
    out = roomy.write(tmp_path / "out", report=False)
    table = pd.read_csv(out / "uncertainty.csv")
    assert list(table["year"]) == list(range(2026, 2032))
    assert (table["draws"] == DRAWS).all()
    draws = pd.read_csv(out / "uncertainty_draws.csv")
    assert len(draws) == DRAWS * 6
    assert {"uncertainty_groups.csv", "uncertainty_settings.csv"} <= {p.name for p in out.iterdir()}
