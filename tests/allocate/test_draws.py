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


@pytest.mark.slow
def test_places_suffice_with_room_and_less_as_demand_grows(roomy: sufficiency.Result) -> None:
    assert roomy.uncertainty is not None
    p = roomy.uncertainty.by_year.set_index("year")["p_suffice"]
    # 2029: the grown register has room for every draw; from 2030 the draws' spread (the
    # part of the errors the series share widens the totals) outgrows it in some futures
    assert p[2029] == 1.0 and p[2030] < 1.0
    assert p[2031] <= p[2030]
    draws = roomy.uncertainty.draws
    assert (draws.gap[:, 3] < WHOLE_CHILD).all()
    # more demand (+25% from 2029) makes places less likely to suffice from then on
    # (earlier years can move either way: continuity links a year to the next)
    shocked = _run(**{"levers.demand": [{"multiplier": 1.25, "from_year": 2029}]})
    assert shocked.uncertainty is not None
    q = shocked.uncertainty.by_year.set_index("year")["p_suffice"]
    assert (q[q.index >= 2029] <= p[p.index >= 2029] + 1e-12).all()
    # and strictly less in some of those years (with 16 draws a year may keep its count)
    assert q[q.index >= 2029].sum() < p[p.index >= 2029].sum()


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


@pytest.mark.slow
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


def test_resolver_holds_a_model_that_does_not_split_whole(
    roomy: sufficiency.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model in one piece (a council's starter from its own SEN2 return) is held whole:
    its draws' tie-break reads every row, not only the first block's (it stopped with
    'matmul: dimension mismatch')."""
    import sufficiency.solve.draws as draws_module

    monkeypatch.setattr(draws_module, "split_model", lambda m: None)
    plan = roomy.extras["plan"]
    model = plan.allocation.model
    resolver = DemandResolver(plan.arrays, model.matrix, plan.allocation.solution.columns)
    mean = plan.arrays.groups["children"].to_numpy(float)
    for scale in (1.0, 1.2):
        values = resolver.solve(mean * scale)
        assert not resolver.violations(mean * scale, values)
    assert float(model.matrix.cost @ resolver.solve(mean)) == pytest.approx(
        plan.allocation.solution.objective, rel=1e-7
    )


def test_outputs_written(roomy: sufficiency.Result, tmp_path: Path) -> None:
    out = roomy.write(tmp_path / "out", report=False)
    table = pd.read_csv(out / "uncertainty.csv")
    assert list(table["year"]) == list(range(2026, 2032))
    assert (table["draws"] == DRAWS).all()
    draws = pd.read_csv(out / "uncertainty_draws.csv")
    assert len(draws) == DRAWS * 6
    assert {"uncertainty_groups.csv", "uncertainty_settings.csv"} <= {p.name for p in out.iterdir()}


def test_fan_chart_of_cost_reads_at_a_small_councils_size(roomy: sufficiency.Result) -> None:
    """The cost fan chart was in £m whatever the size: a council spending under £1m a year
    read 0.2, 0.4, … there; it is in £ thousand then, as the report's cost chart is."""
    from dataclasses import replace

    from sufficiency.report.uncertainty import fan_charts

    spread = roomy.uncertainty
    assert spread is not None
    assert fan_charts(spread)["uncertainty_cost"].axes[0].get_ylabel() == "£ million a year"
    small = replace(
        spread.draws,
        hnb_cost=spread.draws.hnb_cost / 1000,
        transport_cost=spread.draws.transport_cost / 1000,
    )
    fig = fan_charts(replace(spread, draws=small))["uncertainty_cost"]
    assert fig.axes[0].get_ylabel() == "£ thousand a year"


def test_resolver_options_keep_the_optimum(roomy: sufficiency.Result) -> None:
    """The re-solve options (devex, row-wise PRICE) find the same optimum as HiGHS's
    defaults from scratch, on a few draws."""
    plan = roomy.extras["plan"]
    matrix = plan.allocation.model.matrix
    values = plan.allocation.solution.columns
    tuned = DemandResolver(plan.arrays, matrix, values)
    plain = DemandResolver(plan.arrays, matrix, values, options={})
    draws = roomy.uncertainty.draws  # type: ignore[union-attr]
    rng = np.random.default_rng(3)
    mean = plan.arrays.groups["children"].to_numpy(float)
    for scale in (0.8, 1.0, 1.3):
        demand = mean * scale * rng.uniform(0.9, 1.1, len(mean))
        a, b = tuned.solve(demand), plain.solve(demand)
        assert float(matrix.cost @ a) == pytest.approx(float(matrix.cost @ b), rel=1e-6)
    assert draws.n == DRAWS


@pytest.mark.parametrize("with_sen_support", [False, True])
def test_demand_map_equals_levers_draw_by_draw(with_sen_support: bool) -> None:
    """The draws' demand as one affine map of the forecast cells equals each draw run
    through the levers (here with an inclusion lever, a demand shock and, with children on
    SEN support placed too, a fewer-plans lever: their mean is the map's constant)."""
    from sufficiency.allocate.plan import plan as make_plan
    from sufficiency.config import load_scenario
    from sufficiency.data import load_inputs
    from sufficiency.forecast.scenario import project
    from sufficiency.model.canonical import canonical
    from sufficiency.model.draws import demand_map as _demand_map
    from sufficiency.model.draws import draw_by_draw as _draw_by_draw
    from sufficiency.model.levels import level_shares

    levers = {
        "horizon_years": 4,
        "levers.demand": [{"multiplier": 1.2, "from_year": 2027, "needs": ["ASD"]}],
        "levers.inclusion": [
            {
                "from_level": "special_school",
                "to_level": "enhanced_resource",
                "share": 0.3,
                "from_year": 2027,
            }
        ],
    }
    if with_sen_support:
        levers["levers.fewer_plans"] = [{"share": 0.2, "from_year": 2027}]
    sc = load_scenario(example_path(), set_values=levers)
    inputs = canonical(load_inputs(sc))
    ehcp, sen = project(sc, inputs)
    sen_frame = sen.frame if with_sen_support and sen is not None else None
    assert (sen_frame is not None) == with_sen_support
    plan = make_plan(sc, inputs, ehcp.frame, sen_support=sen_frame)
    shares = level_shares(inputs.caseload, inputs.settings, sc.base_year)
    paths = ehcp.samples(5, np.random.default_rng(0))
    extra = (plan.sen_support_forecast, plan.sen_support_levels)
    linear = _demand_map(sc, inputs, paths, shares, plan.rates, *extra)
    assert linear is not None
    assert (linear.constant is not None) == with_sen_support
    direct = _draw_by_draw(sc, inputs, paths, shares, plan.rates, *extra)
    keys = ["year", "provision", "need", "age_band", "level"]
    groups = pd.concat([linear.groups(), direct.groups()])[keys]
    groups = groups.astype(str).drop_duplicates().astype({"year": int}).reset_index(drop=True)
    vectors = direct.vectors(groups)
    assert (vectors > 0).sum() > 100
    np.testing.assert_allclose(linear.vectors(groups), vectors, rtol=1e-12, atol=1e-9)
    years = np.asarray(sc.plan_years)
    for column in ("children", "hnb_cost"):
        np.testing.assert_allclose(
            linear.by_year(years, column), direct.by_year(years, column), rtol=1e-12, atol=1e-6
        )


def test_resolver_is_independent_of_order(roomy: sufficiency.Result) -> None:
    """Every draw starts from the plan's basis: the same draws solved in another order (as
    another share of them would be) give the same values bit for bit, and the optimum a
    solve from scratch finds."""
    plan = roomy.extras["plan"]
    matrix = plan.allocation.model.matrix
    values = plan.allocation.solution.columns
    mean = plan.arrays.groups["children"].to_numpy(float)
    rng = np.random.default_rng(11)
    demands = [mean * s * rng.uniform(0.85, 1.15, len(mean)) for s in (0.7, 1.0, 1.4, 1.1)]
    forward = DemandResolver(plan.arrays, matrix, values)
    backward = DemandResolver(plan.arrays, matrix, values)
    scratch = DemandResolver(plan.arrays, matrix, values, start="scratch")
    ahead = [forward.solve(d) for d in demands]
    behind = [backward.solve(d) for d in reversed(demands)][::-1]
    for a, b, d in zip(ahead, behind, demands, strict=True):
        np.testing.assert_array_equal(a, b)
        cold = scratch.solve(d)
        assert float(matrix.cost @ a) == pytest.approx(float(matrix.cost @ cold), rel=1e-9)
    with pytest.raises(ValueError, match="start"):
        DemandResolver(plan.arrays, matrix, values, start="nearest")


def test_a_draws_split_is_unique(roomy: sufficiency.Result) -> None:
    """With the tie-break (solve.tiebreak), a draw's allocation is the one answer: from the
    plan's basis or from scratch the same values, and at the plan's demand the plan's."""
    plan = roomy.extras["plan"]
    matrix = plan.allocation.model.matrix
    values = plan.allocation.solution.columns
    mean = plan.arrays.groups["children"].to_numpy(float)
    warm = DemandResolver(plan.arrays, matrix, values)
    cold = DemandResolver(plan.arrays, matrix, values, start="scratch")
    x = matrix.columns["x"]
    np.testing.assert_allclose(warm.solve(mean)[x], plan.allocation.solution.placed, atol=1e-6)
    rng = np.random.default_rng(5)
    for scale in (0.8, 1.3):
        demand = mean * scale * rng.uniform(0.85, 1.15, len(mean))
        np.testing.assert_allclose(warm.solve(demand)[x], cold.solve(demand)[x], atol=1e-6)


def test_a_nudge_that_trades_money_is_corrected(
    roomy: sufficiency.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run nudged so far toward the tie-break score that its optimum costs more
    (a nudge of £1,000 a unit of score, above the least cost gap between two placements)
    still gives the one answer: the plan's allocation at its demand and, for a draw, the
    allocation of least score among the cheapest (what no nudge at all gives)."""
    import sufficiency.solve.draws as draws_module

    plan = roomy.extras["plan"]
    matrix = plan.allocation.model.matrix
    values = plan.allocation.solution.columns
    mean = plan.arrays.groups["children"].to_numpy(float)
    demand = mean * 1.2 * np.random.default_rng(9).uniform(0.85, 1.15, len(mean))
    x = matrix.columns["x"]
    usual = DemandResolver(plan.arrays, matrix, values).solve(demand)
    for nudge in (1_000.0, 0.0):
        monkeypatch.setattr(draws_module, "TIE_NUDGE", nudge)
        resolver = DemandResolver(plan.arrays, matrix, values)
        big = max(resolver._parts, key=lambda p: len(p.cols))
        nudged = big.matrix.cost + nudge * big.weights
        np.testing.assert_array_equal(big.nudged, nudged)
        np.testing.assert_allclose(
            resolver.solve(mean)[x], plan.allocation.solution.placed, atol=1e-6
        )
        got = resolver.solve(demand)
        assert float(matrix.cost @ got) == pytest.approx(float(matrix.cost @ usual), rel=1e-9)
        np.testing.assert_allclose(got[x], usual[x], atol=1e-6)


#: A large, cheap local school for most needs and every age (it takes every child of those
#: needs the register cannot), and a dear two-place hearing-impairment unit nobody needs.
_OPTIONS = {
    "options": [
        {
            "name": "big_local",
            "creates": {
                "tier": "independent",
                "in_area": True,
                "needs": ["ASD", "SLCN", "SEMH", "MLD", "SPLD"],
                "age_min": 2,
                "age_max": 25,
                "transport_per_place": 0,
            },
            "places": 20000,
            "earliest_year": 2027,
            "capital_cost_gbp": 1000,
            "cost_per_place_gbp": 1000,
            "decision": "build",
        },
        {
            "name": "dear_hi_unit",
            "creates": {
                "tier": "enhanced_resource",
                "needs": ["HI"],
                "age_min": 4,
                "age_max": 10,
                "transport_per_place": 0,
            },
            "places": 2,
            "earliest_year": 2027,
            "capital_cost_gbp": 1000,
            "cost_per_place_gbp": 5_000_000,
            "decision": "build",
        },
    ]
}


@pytest.mark.slow
def test_capital_options_against_the_draws(tmp_path: Path) -> None:
    result = sufficiency.run(
        example_path(),
        # without continuity: children the market placed before the school opens would
        # otherwise stay there until their next phase transfer (a gap the school cannot
        # remove), which is the continuity policy, not what this test is about
        set_values={
            "horizon_years": 4,
            "uncertainty.draws": 4,
            "capital": _OPTIONS,
            "allocation.continuity": False,
        },
    )
    u = result.uncertainty
    assert u is not None and u.builds is not None
    table = u.builds.set_index(["option", "year"])
    big, dear = table.loc["big_local"], table.loc["dear_hi_unit"]
    assert (big["compared"] == "without").all() and big["built"].all()
    # from its opening, the big school leaves its children no gap in any future, and by the
    # last year they have one in every future without it
    opened = big.index >= 2027
    assert (big.loc[opened, "p_gap_with"] == 0).all()
    assert (big.loc[opened, "p_removes_gap"] == big.loc[opened, "p_gap_without"]).all()
    assert big.loc[2029, "p_removes_gap"] == 1.0
    assert (big.loc[opened, "running_cost_saving_p50"] > 1e6).all()
    # the dear unit changes nothing
    assert (dear["p_removes_gap"] == 0).all()
    assert np.allclose(dear.filter(like="running_cost_saving").to_numpy(), 0.0, atol=1e-3)
    names = [f"running_cost_saving_p{round(100 * q)}" for q in QUANTILES]
    assert (np.diff(u.builds[names].to_numpy(), axis=1) >= -1e-6).all()
    lines = u.build_headlines()
    assert len(lines) == 2 and "removes that gap in 100% of futures" in lines[0]
    out = result.write(tmp_path / "out")
    written = pd.read_csv(out / "uncertainty_builds.csv")
    assert len(written) == 2 * 4 and set(written["option"]) == {"big_local", "dear_hi_unit"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Capital options across forecast futures" in page and "big_local (built" in page


def test_uncertainty_benchmark_runs() -> None:
    """The benchmark script runs end to end (a smoke pass: 2 draws, short horizon)."""
    from benchmarks import uncertainty as bench

    record = bench.main(
        [
            "--draws",
            "2",
            "--workers",
            "1",
            "--repeat",
            "1",
            "--set",
            "horizon_years=4",
            "--no-write",
        ]
    )
    (run,) = record["runs"]
    assert run["draws"] == 2 and run["wall_s"] > 0 and run["cpu_s"] > 0
    assert record["machine"]["cores"] >= 1
