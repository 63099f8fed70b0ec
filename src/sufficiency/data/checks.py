"""Checks across rows and tables: repeated keys, names the scenario uses, plausibility."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..config.schema import Scenario
from ..errors import Problem
from .tables import RawTable

log = logging.getLogger(__name__)


#: A year's total this many times the year before's (or a tenth of it) is reported.
JUMP_FACTOR = 10.0
#: Below this, a specialist place's price a year (a fee, a top-up with place funding, an
#: option's running cost) or a capital cost a place reads as written in £ thousands.
PER_PLACE_FLOOR_GBP = 1_000.0
#: Below this, a budget or a council's whole base-year spend reads as written in £ millions.
BUDGET_FLOOR_GBP = 100_000.0
#: Tiers whose places always cost the High Needs Block thousands of pounds a year (place
#: funding, a top-up or a fee).
SPECIALIST_TIERS = ("enhanced_resource", "special_school", "independent")


def duplicate_keys(
    frame: pd.DataFrame,
    raw: RawTable,
    keys: Sequence[str],
    problems: list[Problem],
    what: str,
    advice: str = "add the rows up or remove one",
) -> None:
    """Append a problem for every row whose ``keys`` repeat an earlier row's, naming both.

    Args:
        frame: The parsed table (labels already mapped to codes, so "ASC" repeats "ASD").
        raw: The table as read, for row numbers.
        keys: Columns that together must be unique.
        problems: Collector.
        what: What one row is, for the message (e.g. "year, need, age and setting").
        advice: What to do, for the message.
    """
    if frame.empty:
        return
    repeated = np.flatnonzero(frame.duplicated(list(keys), keep=False).to_numpy())
    first: dict[tuple[object, ...], int] = {}
    for i in repeated:
        key = tuple(frame[k].iloc[i] for k in keys)
        if key not in first:
            first[key] = int(i)
            continue
        shown = describe_key(dict(zip(keys, key, strict=True)))
        problems.append(
            Problem(
                raw.where(int(i)),
                f"repeats row {first[key] + raw.first_row} ({shown}); each {what} may appear "
                f"once: {advice}",
            )
        )


def describe_key(key: dict[str, object]) -> str:
    """``year 2025, need ASD, age 12`` (a band only where no single age was given)."""
    age = key.get("age")
    if isinstance(age, int | float | np.number) and float(age) >= 0:
        key = {k: v for k, v in key.items() if k != "age_band"}
    parts = []
    for k, v in key.items():
        if v == "" or (k == "age" and v == -1):
            continue
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        parts.append(f"{k} {v}")
    return ", ".join(parts)


def scenario_references(scenario: Scenario, setting_ids: set[str], origin: str) -> list[Problem]:
    """Problems with setting ids the scenario names: levers and capital options.

    These are the checks the allocation makes before it solves, made when the inputs are
    loaded so that ``validate`` reports them too.

    Args:
        scenario: The resolved scenario.
        setting_ids: Ids in the settings register.
        origin: Prefix naming the scenario file (``"path: "``), or "".
    """
    problems = []
    for i, change in enumerate(scenario.levers.settings):
        if change.setting not in setting_ids:
            problems.append(
                Problem(
                    f"{origin}levers.settings[{i}].setting",
                    f"{change.setting!r} is not in the settings register",
                )
            )
    for i, option in enumerate(scenario.capital.options):
        if option.decision == "never":
            continue
        where = f"{origin}capital.options[{i}]"
        if option.name in setting_ids:
            problems.append(Problem(f"{where}.name", f"{option.name!r} is already a setting id"))
        if option.expands is not None and option.expands not in setting_ids:
            problems.append(
                Problem(f"{where}.expands", f"{option.expands!r} is not in the settings register")
            )
    return problems


def _rows(raw: RawTable, index: np.ndarray) -> str:
    shown = ", ".join(str(int(i) + raw.first_row) for i in index[:3])
    return f"row{'s' if len(index) > 1 else ''} {shown}{' …' if len(index) > 3 else ''}"


def warn_implausible(
    caseload: pd.DataFrame,
    caseload_raw: RawTable,
    population: pd.DataFrame,
    population_raw: RawTable,
    tables: Sequence[tuple[str, pd.DataFrame, RawTable, str]],
) -> list[str]:
    """Log a warning for numbers that are allowed but unlikely to be meant.

    More EHC plans than residents of those ages in a year, and a year whose total is ten
    times the year before's (or a tenth of it). Both name the rows to look at.

    Args:
        caseload: Parsed caseload, ``age`` -1 where only a band was given.
        caseload_raw: The caseload as read.
        population: Parsed population (``year, age, population``).
        population_raw: The population as read.
        tables: ``(name, frame, raw, count column)`` of each table whose yearly totals to
            compare (a ``_row`` column, where given, holds each row's position in ``raw``).

    Returns:
        The warnings logged.
    """
    found: list[str] = []
    pop = population.assign(_row=np.arange(len(population)))
    single = caseload[caseload["age"] >= 0].assign(_row=np.flatnonzero(caseload["age"] >= 0))
    if len(single):
        plans = single.groupby(["year", "age"])["children"].sum()
        residents = pop.groupby(["year", "age"])["population"].sum()
        both = pd.concat([plans, residents], axis=1, join="inner")
        for year, age in both.index[both["children"] > both["population"]][:10]:
            cl_rows = single.loc[(single["year"] == year) & (single["age"] == age), "_row"]
            pop_rows = pop.loc[(pop["year"] == year) & (pop["age"] == age), "_row"]
            found.append(
                f"{caseload_raw.label}: {both.loc[(year, age), 'children']:,.0f} EHC plans at "
                f"age {age} in {year} ({_rows(caseload_raw, cl_rows.to_numpy())}), more than "
                f"the {both.loc[(year, age), 'population']:,.0f} residents of that age "
                f"({population_raw.label}, {_rows(population_raw, pop_rows.to_numpy())})"
            )
    for _name, frame, raw, column in tables:
        if frame.empty:
            continue
        totals = frame.groupby("year")[column].sum().sort_index()
        years = totals.index.to_numpy()
        for before, after in itertools.pairwise(years):
            a, b = float(totals[before]), float(totals[after])
            if a <= 0 and b <= 0:
                continue
            ratio = b / a if a > 0 else np.inf
            if ratio >= JUMP_FACTOR or ratio <= 1 / JUMP_FACTOR:
                rows = np.flatnonzero((frame["year"] == after).to_numpy())
                if "_row" in frame.columns:  # a part of its table: the rows as read
                    rows = frame["_row"].to_numpy()[rows]
                found.append(
                    f"{raw.label}: {column} total {b:,.0f} in {after} against {a:,.0f} in "
                    f"{before} (×{ratio:,.1f}); check the {after} rows ({_rows(raw, rows)})"
                )
    for text in found:
        log.warning("implausible input: %s", text)
    return found


def warn_implausible_money(
    scenario: Scenario, settings: pd.DataFrame, settings_raw: RawTable
) -> list[str]:
    """Log a warning for amounts of money that are allowed but read as written in £
    thousands or millions: a specialist place's price a year under £1,000 (the register's,
    the market's, a capital option's running cost), a capital cost under £1,000 a place,
    and a budget or base-year spend under £100,000. Money is pounds throughout; written
    ``25.5`` for £25,500, such an amount makes a place nearly free to the model, and its
    plan a different one. A price of 0 is left alone (said elsewhere where it matters).

    Returns:
        The warnings logged, each naming the YAML path or the rows.
    """
    origin = f"{scenario._sources[-1]}: " if scenario._sources else ""
    found: list[str] = []

    def low(value: float | None, floor: float) -> bool:
        return value is not None and 0.0 < float(value) < floor

    cheap = np.flatnonzero(
        (
            settings["tier"].astype(str).isin(SPECIALIST_TIERS)
            & (settings["cost_per_place"] > 0)
            & (settings["cost_per_place"] < PER_PLACE_FLOOR_GBP)
        ).to_numpy()
    )
    if len(cheap):
        names = ", ".join(settings["setting"].astype(str).iloc[cheap[:5]])
        found.append(
            f"{settings_raw.label}: cost_per_place under £{PER_PLACE_FLOOR_GBP:,.0f} a year at "
            f"{len(cheap)} specialist setting(s) ({names}{' …' if len(cheap) > 5 else ''}; "
            f"{_rows(settings_raw, cheap)}): amounts are £ a place a year, not £ thousands"
        )
    for i, price in enumerate(scenario.allocation.market.prices):
        if low(price.fee_per_place_gbp, PER_PLACE_FLOOR_GBP):
            found.append(
                f"{origin}allocation.market.prices[{i}].fee_per_place_gbp is "
                f"£{price.fee_per_place_gbp:,.2f} a year: amounts are £, not £ thousands"
            )
    for i, option in enumerate(scenario.capital.options):
        where = f"{origin}capital.options[{i}] ({option.name})"
        if low(option.cost_per_place_gbp, PER_PLACE_FLOOR_GBP):
            found.append(
                f"{where}.cost_per_place_gbp is £{option.cost_per_place_gbp:,.2f} a place a "
                "year: amounts are £, not £ thousands"
            )
        if low(option.capital_cost_gbp / option.places, PER_PLACE_FLOOR_GBP):
            found.append(
                f"{where}.capital_cost_gbp is £{option.capital_cost_gbp:,.2f} for "
                f"{option.places} places: amounts are £, not £ millions"
            )
    budgets: list[tuple[str, float | None]] = [
        ("capital.budget_gbp", scenario.capital.budget_gbp),
        *(
            (f"capital.budget_by_year_gbp[{y}]", v)
            for y, v in scenario.capital.budget_by_year_gbp.items()
        ),
        ("reference.base_year_hnb_cost_gbp", scenario.reference.base_year_hnb_cost_gbp),
    ]
    if (budget := scenario.levers.budget) is not None:
        budgets.append(("levers.budget.base_gbp", budget.base_gbp))
        budgets += [(f"levers.budget.gbp_by_year[{y}]", v) for y, v in budget.gbp_by_year.items()]
    for path, value in budgets:
        if low(value, BUDGET_FLOOR_GBP):
            found.append(f"{origin}{path} is £{value:,.2f}: amounts are £, not £ millions")
    for text in found:
        log.warning("implausible input: %s", text)
    return found
