"""Capital options as model data: new settings, build-decision columns and their costs.

Each option that may be built becomes a setting of its own (an expansion becomes a
satellite of the setting it expands, with the same tier, area, needs and ages) with no
places unless built. For every possible opening year there is a binary column ``b``: the
option's places in plan year y are ``Σ b[open year t] × places × fill(y − t)``. Its
objective coefficient is the equivalent annual capital cost (see
:mod:`sufficiency.config.capital`) times the plan years it is open.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.capital import Capital, CapitalOption
from ..data.categories import REPORTING, with_categories
from ..data.inputs import DEFAULT_PLACE_FUNDING, Inputs
from ..errors import Problem, ScenarioError


@dataclass
class CapitalArrays:
    """Build decisions, one binary column per (option, opening year).

    Attributes:
        options: The options that may be built (``decision`` not ``never``).
        setting: Register position of each option's setting, (O,).
        col_option: Option index of each column, (J,).
        col_year: Opening year of each column, (J,).
        places: Places each column provides in each plan year, (J, Y).
        forced: Whether the column is forced open (``decision: build``), (J,).
        annual_cost: Equivalent annual capital cost of each option, £, (O,).
        objective: Objective coefficient of each column (annual cost × open plan years), (J,).
        capital_cost: Capital cost of each option, £, (O,).
        exclusive: Groups of option indices of which at most one may be built.
        budget_total: Total capital budget, £, or None.
        budget_by_year: Capital budget by opening year, £.
        mip_gap: Relative gap to stop at.
        excluded: Options ruled out after a solve because, built, they would lose money over
            their life (negative whole-life net saving), (O,).
    """

    options: list[CapitalOption]
    setting: np.ndarray
    col_option: np.ndarray
    col_year: np.ndarray
    places: np.ndarray
    forced: np.ndarray
    annual_cost: np.ndarray
    objective: np.ndarray
    capital_cost: np.ndarray
    exclusive: list[list[int]]
    budget_total: float | None
    budget_by_year: dict[int, float]
    mip_gap: float
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.excluded) != len(self.options):
            self.excluded = np.zeros(len(self.options), dtype=bool)


def active_options(capital: Capital) -> list[CapitalOption]:
    """Options the model may build."""
    return [o for o in capital.options if o.decision != "never"]


def add_capital_settings(inputs: Inputs, capital: Capital) -> Inputs:
    """A copy of ``inputs`` whose register has a setting (no places yet) for each option.

    Raises:
        ScenarioError: If an option expands an unknown setting or its name is already a
            setting id.
    """
    options = active_options(capital)
    if not options:
        return inputs
    reg = inputs.settings
    known = dict(zip(reg["setting"], range(len(reg)), strict=True))
    problems = []
    rows = []
    for i, o in enumerate(capital.options):
        if o.decision == "never":
            continue
        where = f"capital.options[{i}]"
        if o.name in known:
            problems.append(Problem(f"{where}.name", f"{o.name!r} is already a setting id"))
            continue
        if o.expands is not None:
            if o.expands not in known:
                problems.append(
                    Problem(f"{where}.expands", f"{o.expands!r} is not in the settings register")
                )
                continue
            base: dict[Any, Any] = reg.iloc[[known[o.expands]]].to_dict("records")[0]
            rows.append(
                {
                    "setting": o.name,
                    "name": f"{base['name']} (expansion: {o.name})",
                    "tier": str(base["tier"]),
                    "in_area": bool(base["in_area"]),
                    "places": 0.0,
                    "needs": base["needs"],
                    "age_min": int(base["age_min"]),
                    "age_max": int(base["age_max"]),
                    "cost_per_place": o.cost_per_place_gbp,
                    "transport_per_place": float(base["transport_per_place"]),
                    "expands": o.expands,
                }
            )
        else:
            new = o.creates
            assert new is not None
            rows.append(
                {
                    "setting": o.name,
                    "name": o.description or o.name,
                    "tier": new.tier,
                    "in_area": new.in_area,
                    "places": 0.0,
                    "needs": tuple(new.needs) if new.needs else taxonomy.EHCP_NEEDS,
                    "age_min": new.age_min,
                    "age_max": new.age_max,
                    "cost_per_place": o.cost_per_place_gbp,
                    "transport_per_place": new.transport_per_place,
                    "expands": None,
                }
            )
    if problems:
        raise ScenarioError("invalid scenario", problems)
    # new settings' needs as the register's: lists naming no DS meet it with a learning
    # difficulty (taxonomy.with_down_syndrome); expansions keep their setting's
    created = [r for r in rows if r.get("expands") is None]
    lists = taxonomy.with_down_syndrome([r["needs"] for r in created])
    for r, needs in zip(created, lists, strict=True):
        r["needs"] = needs
    added = pd.DataFrame(rows)
    for i, row in enumerate(rows):  # an expansion reports as the setting it expands
        if row.get("expands") is not None:
            for column in (c for c in REPORTING if c in reg.columns):
                added.loc[i, column] = reg[column].iloc[known[row["expands"]]]
    added = with_categories(added.drop(columns="expands"))
    added["tier_number"] = added["tier"].map(taxonomy.TIER_NUMBER).astype(int)
    added = added.reindex(columns=reg.columns)  # register columns the option does not set
    if "place_funding" in added:  # an option's place funding follows its tier's default
        funding = added["tier"].map(DEFAULT_PLACE_FUNDING).fillna(0.0)
        added["place_funding"] = np.minimum(funding, added["cost_per_place"].astype(float))
    settings = pd.concat([reg, added], ignore_index=True)
    settings["tier"] = settings["tier"].astype(str)
    out = copy.copy(inputs)
    out.settings = settings
    return out


def capital_arrays(
    capital: Capital, settings: pd.DataFrame, years: np.ndarray, base_year: int
) -> CapitalArrays | None:
    """Build-decision columns for every option and possible opening year (None if none)."""
    options = active_options(capital)
    if not options:
        return None
    index = {s: i for i, s in enumerate(settings["setting"])}
    cols_o, cols_y, forced = [], [], []
    for i, o in enumerate(options):
        first = max(o.earliest_year, base_year + 1 + o.lead_time_years)
        open_years = [int(y) for y in years if y >= first]
        if o.decision == "build":
            open_years = open_years[:1]
        for y in open_years:
            cols_o.append(i)
            cols_y.append(y)
            forced.append(o.decision == "build")
    col_option = np.array(cols_o, dtype=int)
    col_year = np.array(cols_y, dtype=int)
    places = np.zeros((len(col_option), len(years)))
    for j, (i, t) in enumerate(zip(col_option, col_year, strict=True)):
        o = options[i]
        since = years - t
        fill = np.ones(len(years))
        for k, share in enumerate(o.fill):
            fill[since == k] = share
        places[j] = np.where(since >= 0, o.places * fill, 0.0)
    annual = np.array([capital.annual_cost(o.capital_cost_gbp) for o in options])
    open_plan_years = (years[None, :] >= col_year[:, None]).sum(axis=1)
    names = {o.name: i for i, o in enumerate(options)}
    return CapitalArrays(
        options=options,
        setting=np.array([index[o.name] for o in options], dtype=int),
        col_option=col_option,
        col_year=col_year,
        places=places,
        forced=np.array(forced, dtype=bool),
        annual_cost=annual,
        objective=annual[col_option] * open_plan_years if len(col_option) else np.zeros(0),
        capital_cost=np.array([o.capital_cost_gbp for o in options]),
        exclusive=[[names[n] for n in g if n in names] for g in capital.exclusive],
        budget_total=capital.budget_gbp,
        budget_by_year={int(k): float(v) for k, v in capital.budget_by_year_gbp.items()},
        mip_gap=capital.mip_gap,
    )
