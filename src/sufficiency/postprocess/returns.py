"""The statutory returns' shapes: the DSG management plan, the SCAP SEND return and the
commissioning views, with costs converted from census years to financial years.

**Census years and financial years.** A census year ``y`` is the January ``y`` count; it
falls in academic year ``y-1/y`` (September ``y-1`` to August ``y``), and a census year's
cost is that academic year's. Financial year ``y/y+1`` (April ``y`` to March ``y+1``) holds
April–August ``y`` (5 months of academic year ``y-1/y``) and September ``y`` to March ``y+1``
(7 months of academic year ``y/y+1``), so

    cost(FY y/y+1) = 5/12 × cost(census year y) + 7/12 × cost(census year y+1).

Only financial years both of whose census years are plan years are shown: the first plan
year's April–August and the last plan year's September–March fall outside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.returns import ReturnsOptions, financial_year_label
from ..data.inputs import MARKET, Inputs
from .allocation import Allocation

#: Share of a financial year ``y/y+1`` taken from census year ``y`` and from ``y+1``.
FROM_CENSUS_YEAR = 5 / 12
FROM_NEXT_CENSUS_YEAR = 7 / 12

#: Columns of ``dsg_plan.csv``.
DSG_COLUMNS = ("section", "period", "line", "column", "unit", "value")

TOTAL = "total"
#: Provision type columns of ``scap.csv`` and phase columns of ``commissioning.csv``.
SCAP_COLUMNS: tuple[str, ...] = taxonomy.SCAP_TYPES[:-1]
NEED_PHASES: tuple[str, ...] = tuple(dict.fromkeys(taxonomy.BAND_PHASE.values()))


def to_financial_years(frame: pd.DataFrame, values: list[str], keys: list[str]) -> pd.DataFrame:
    """Census-year figures as financial-year figures (see the module docstring).

    Args:
        frame: Rows with ``year`` (census year), ``keys`` and ``values``.
        values: Columns to convert (money, or child-years).
        keys: Columns kept beside the financial year.

    Returns:
        ``financial_year`` (``"2026-27"``), ``keys`` and ``values``, one row per financial
        year whose two census years are both in ``frame``.
    """
    years = sorted(frame["year"].astype(int).unique())
    summed = frame.groupby([*keys, "year"], observed=True, as_index=False)[values].sum()
    this = summed.assign(start=summed["year"].astype(int))
    this[values] = this[values] * FROM_CENSUS_YEAR
    last = summed.assign(start=summed["year"].astype(int) - 1)
    last[values] = last[values] * FROM_NEXT_CENSUS_YEAR
    both = pd.concat([this, last], ignore_index=True)
    both = both[both["start"].isin(years[:-1])]
    out = both.groupby([*keys, "start"], observed=True, as_index=False)[values].sum()
    out = out.sort_values(["start", *keys], kind="stable")
    out.insert(0, "financial_year", [financial_year_label(int(s)) for s in out["start"]])
    return out.drop(columns="start").reset_index(drop=True)


#: The High Needs Block cost of a placement split by what pays it (placements.csv columns).
COMPONENTS = ("place_funding_cost", "top_up_cost", "fee_cost")

#: The DSG management plan's high-needs expenditure lines (the s251 lines councils report,
#: by provider type) in the template's order: (line, DSG category, components in it).
#: Lines with no category are not modelled: left blank for the council's own figures.
EXPENDITURE_LINES: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("mainstream_top_up", "mainstream", COMPONENTS),
    ("resourced_provision_place_funding", "resourced_provision", ("place_funding_cost",)),
    ("resourced_provision_top_up", "resourced_provision", ("top_up_cost", "fee_cost")),
    ("special_place_funding", "special", ("place_funding_cost",)),
    ("special_top_up", "special", ("top_up_cost", "fee_cost")),
    ("independent_special_fees", "independent_special", COMPONENTS),
    ("post16_fe_place_funding", "post16_fe", ("place_funding_cost",)),
    ("post16_fe_top_up", "post16_fe", ("top_up_cost", "fee_cost")),
    ("hospital_ap_place_funding", "hospital_ap", ("place_funding_cost",)),
    ("hospital_ap_top_up", "hospital_ap", ("top_up_cost", "fee_cost")),
    ("other_arrangements", "other", COMPONENTS),
    ("sen_support_services", None, ()),
    ("hospital_education_services", None, ()),
    ("support_for_inclusion", None, ()),
    ("therapies_and_health", None, ()),
    ("direct_payments", None, ()),
    ("other_high_needs_not_modelled", None, ()),
)


def _expenditure(frame: pd.DataFrame) -> pd.DataFrame:
    """High Needs Block cost by census year and expenditure line (modelled lines only)."""
    parts = []
    for line, category, components in EXPENDITURE_LINES:
        if category is None:
            continue
        mine = frame[frame["dsg_category"] == category]
        values = mine[list(components)].sum(axis=1) if len(mine) else pd.Series(dtype=float)
        parts.append(pd.DataFrame({"year": mine["year"].to_numpy(), "line": line, "cost": values}))
    out = pd.concat(parts, ignore_index=True)
    years = sorted(frame["year"].unique())
    grid = pd.MultiIndex.from_product(
        [years, [line for line, c, _ in EXPENDITURE_LINES if c is not None]], names=["year", "line"]
    )
    summed = out.groupby(["year", "line"])["cost"].sum().reindex(grid, fill_value=0.0)
    return summed.reset_index()


def _financial_summary(
    mitigated: pd.DataFrame, unmitigated: pd.DataFrame, periods: list[str]
) -> pd.DataFrame:
    """The Financial summary's high-needs expenditure lines by financial year, unmitigated
    beside mitigated and their difference, with the lines not modelled blank (NaN) and the
    total of the modelled lines (``total_modelled``, equal to the High Needs Block cost)."""
    if not periods:  # no whole financial year among the plan years
        return pd.DataFrame(columns=["period", "line", "column", "unit", "value"])
    both = pd.concat(
        [
            _expenditure(mitigated).assign(run="mitigated"),
            _expenditure(unmitigated).assign(run="unmitigated"),
        ],
        ignore_index=True,
    )
    fy = to_financial_years(both, ["cost"], ["run", "line"])
    table = fy.pivot_table(
        index=["financial_year", "line"], columns="run", values="cost", aggfunc="sum"
    )
    lines = [line for line, _, _ in EXPENDITURE_LINES]
    full = pd.MultiIndex.from_product([periods, lines], names=["financial_year", "line"])
    table = table.reindex(index=full, columns=["unmitigated", "mitigated"])
    modelled = [line for line, c, _ in EXPENDITURE_LINES if c is not None]
    table.loc[(slice(None), modelled), :] = table.loc[(slice(None), modelled), :].fillna(0.0)
    totals = table.loc[(slice(None), modelled), :].groupby(level="financial_year").sum()
    totals["line"] = "total_modelled"
    table = pd.concat([table.reset_index(), totals.reset_index()], ignore_index=True)
    table["difference"] = table["mitigated"] - table["unmitigated"]
    order = {line: i for i, line in enumerate([*lines, "total_modelled"])}
    table["order"] = table["line"].map(order)
    table["period_order"] = table["financial_year"].map({p: i for i, p in enumerate(periods)})
    table = table.sort_values(["period_order", "order"], kind="stable")
    long = table.melt(
        id_vars=["financial_year", "line", "period_order", "order"],
        value_vars=["unmitigated", "mitigated", "difference"],
        var_name="column",
    ).sort_values(["period_order", "order"], kind="stable")
    return pd.DataFrame(
        {
            "period": long["financial_year"].to_numpy(),
            "line": long["line"].to_numpy(),
            "column": long["column"].to_numpy(),
            "unit": "gbp",
            "value": long["value"].to_numpy(dtype=float),
        }
    )


def _with_categories(placements: pd.DataFrame, not_in_school: pd.DataFrame) -> pd.DataFrame:
    """Children with plans and their High Needs Block cost, by year, category, age band and
    need: placements by their setting's DSG category, children not in a school or college
    in ``other``."""
    cols = ["year", "dsg_category", "age_band", "need", "children", "hnb_cost", *COMPONENTS]
    p = placements.assign(dsg_category=placements["dsg_category"].astype(str))
    for c in COMPONENTS:
        if c not in p:
            p[c] = 0.0
    frames = [p[cols]]
    if len(not_in_school):
        nis = not_in_school.assign(
            dsg_category=taxonomy.NOT_IN_SCHOOL_DSG_CATEGORY,
            place_funding_cost=0.0,
            top_up_cost=not_in_school["hnb_cost"],
            fee_cost=0.0,
        )
        frames.append(nis[cols])
    out = pd.concat(frames, ignore_index=True)
    for c in ("age_band", "need"):
        out[c] = out[c].astype(str)
    return out


def _grid(
    frame: pd.DataFrame, rows: str, columns: str, row_order: list[str], col_order: list[str]
) -> pd.DataFrame:
    """Children by year, ``rows`` × ``columns`` with totals, as long rows of the DSG table."""
    table = frame.pivot_table(
        index=["year", rows], columns=columns, values="children", aggfunc="sum", fill_value=0.0
    )
    years = sorted(frame["year"].unique())
    full = pd.MultiIndex.from_product([years, row_order], names=["year", rows])
    table = table.reindex(index=full, columns=col_order, fill_value=0.0)
    table[TOTAL] = table.sum(axis=1)
    totals = table.groupby(level="year").sum()
    totals[rows] = TOTAL
    table = pd.concat([table.reset_index(), totals.reset_index()], ignore_index=True)
    table["order"] = table[rows].map({r: i for i, r in enumerate([*row_order, TOTAL])})
    table = table.sort_values(["year", "order"], kind="stable").drop(columns="order")
    long = table.melt(id_vars=["year", rows], var_name="column", value_name="value")
    long["column_order"] = long["column"].map({c: i for i, c in enumerate([*col_order, TOTAL])})
    long = long.sort_values(["year", rows, "column_order"], kind="stable")
    long["row_order"] = long[rows].map({r: i for i, r in enumerate([*row_order, TOTAL])})
    long = long.sort_values(["year", "row_order", "column_order"], kind="stable")
    return pd.DataFrame(
        {
            "period": long["year"].astype(int).astype(str).to_numpy(),
            "line": long[rows].to_numpy(),
            "column": long["column"].to_numpy(),
            "unit": "children",
            "value": long["value"].to_numpy(dtype=float),
        }
    )


def dsg_plan(
    placements: pd.DataFrame,
    not_in_school: pd.DataFrame,
    unmitigated: tuple[pd.DataFrame, pd.DataFrame] | None,
    options: ReturnsOptions,
) -> pd.DataFrame:
    """The DSG management plan's high-needs sections as one long table.

    Sections (``section``), each a grid of ``line`` × ``column`` for a ``period``:

    - ``children_by_category_and_age``: children with an EHC plan (January census year) by
      DSG category × age group (under 5, 5–10, 11–15, 16–19, 20–25), with totals;
    - ``children_by_need``: the same children by primary need × DSG category;
    - ``hnb_cost_by_category``: High Needs Block cost (£, financial year) by category,
      ``unmitigated`` beside ``mitigated`` and their ``difference``;
    - ``high_needs_expenditure``: the Financial summary's high-needs lines (the s251 lines:
      place funding and top-up by provider type, fees, other arrangements) by financial
      year, unmitigated beside mitigated; lines the model does not cost (SEN support
      services, hospital education, support for inclusion, therapies, direct payments) are
      blank for the council's own figures; ``total_modelled`` equals the cost below;
    - ``high_needs_block``: by financial year, the allocation (an input), the cost, the
      in-year surplus (+) or deficit (−) and the balance brought and carried forward, for
      the ``mitigated`` and ``unmitigated`` runs.

    Transport is the council's general fund, not the High Needs Block, so it is not here.

    Args:
        placements: Placements with ``dsg_category`` (children with plans).
        not_in_school: Children with plans not in a school or college (``hnb_cost``).
        unmitigated: The unmitigated run's placements and not-in-school table, or None
            when the scenario has no levers (the run is its own unmitigated run).
        options: The High Needs Block allocation and opening balance.

    Returns:
        Columns ``section, period, line, column, unit, value`` (unit ``children`` or ``gbp``).
    """
    mitigated = _with_categories(placements, not_in_school)
    base = mitigated if unmitigated is None else _with_categories(*unmitigated)
    categories = list(taxonomy.DSG_CATEGORIES)
    bands = list(taxonomy.DSG_AGE_GROUPS)
    ages = mitigated.assign(age_band=mitigated["age_band"].map(taxonomy.DSG_AGE_GROUPS))
    by_age = _grid(
        ages, "dsg_category", "age_band", categories, [taxonomy.DSG_AGE_GROUPS[b] for b in bands]
    )
    present = set(mitigated["need"].unique())
    needs = [n for n in taxonomy.NEEDS if n in present]
    by_need = _grid(mitigated, "need", "dsg_category", needs, categories)

    cost = pd.concat(
        [mitigated.assign(run="mitigated"), base.assign(run="unmitigated")], ignore_index=True
    )
    fy = to_financial_years(cost, ["hnb_cost"], ["run", "dsg_category"])
    table = fy.pivot_table(
        index=["financial_year", "dsg_category"], columns="run", values="hnb_cost", aggfunc="sum"
    )
    periods = list(dict.fromkeys(fy["financial_year"]))
    full = pd.MultiIndex.from_product(
        [periods, categories], names=["financial_year", "dsg_category"]
    )
    table = table.reindex(index=full, columns=["unmitigated", "mitigated"], fill_value=0.0)
    table = table.fillna(0.0)
    totals = table.groupby(level="financial_year").sum()
    totals["dsg_category"] = TOTAL
    table = pd.concat([table.reset_index(), totals.reset_index()], ignore_index=True)
    table["difference"] = table["mitigated"] - table["unmitigated"]
    table["order"] = table["dsg_category"].map({c: i for i, c in enumerate([*categories, TOTAL])})
    table["period_order"] = table["financial_year"].map({p: i for i, p in enumerate(periods)})
    table = table.sort_values(["period_order", "order"], kind="stable")
    cost_long = table.melt(
        id_vars=["financial_year", "dsg_category", "period_order", "order"],
        value_vars=["unmitigated", "mitigated", "difference"],
        var_name="column",
    ).sort_values(["period_order", "order"], kind="stable")
    by_cost = pd.DataFrame(
        {
            "period": cost_long["financial_year"].to_numpy(),
            "line": cost_long["dsg_category"].to_numpy(),
            "column": cost_long["column"].to_numpy(),
            "unit": "gbp",
            "value": cost_long["value"].to_numpy(dtype=float),
        }
    )
    spend = totals.reindex(periods)
    block = _balance(periods, spend, options)
    spending = _financial_summary(mitigated, base, periods)
    parts = [
        by_age.assign(section="children_by_category_and_age"),
        by_need.assign(section="children_by_need"),
        by_cost.assign(section="hnb_cost_by_category"),
        spending.assign(section="high_needs_expenditure"),
        block.assign(section="high_needs_block"),
    ]
    return pd.concat(parts, ignore_index=True)[list(DSG_COLUMNS)]


def _balance(periods: list[str], spend: pd.DataFrame, options: ReturnsOptions) -> pd.DataFrame:
    """Allocation, cost, in-year surplus or deficit and the balance, by financial year."""
    given = options.hnb_allocation_gbp_by_financial_year
    allocation = np.array([given.get(p, np.nan) for p in periods], dtype=float)
    rows = []
    for run in ("mitigated", "unmitigated"):
        cost = spend[run].to_numpy(dtype=float)
        in_year = allocation - cost
        # NaN from a missing year's allocation on, and throughout without an opening balance
        opening = np.nan if options.opening_balance_gbp is None else options.opening_balance_gbp
        carried = opening + np.cumsum(in_year)
        brought = np.concatenate([[opening], carried])[: len(periods)]
        for line, values in (
            ("hnb_allocation", allocation),
            ("hnb_cost", cost),
            ("in_year_surplus_or_deficit", in_year),
            ("balance_brought_forward", brought),
            ("balance_carried_forward", carried),
        ):
            rows.append(
                pd.DataFrame(
                    {"period": periods, "line": line, "column": run, "unit": "gbp", "value": values}
                )
            )
    out = pd.concat(rows, ignore_index=True)
    out["order"] = out["period"].map({p: i for i, p in enumerate(periods)})
    return out.sort_values(["order"], kind="stable").drop(columns="order").reset_index(drop=True)


def _area(placements: pd.DataFrame) -> np.ndarray:
    """Planning area of each placement's setting: as given; ``market`` for the market of
    last resort (the gap); ``out_of_area`` or ``not_given`` where the register has none."""
    area = placements["planning_area"].astype(str).to_numpy(dtype=object)
    blank = area == ""
    area[blank] = np.where(
        placements["in_area"].to_numpy(dtype=bool)[blank], "not_given", "out_of_area"
    )
    area[placements["setting"].astype(str).to_numpy() == MARKET] = "market"
    return area


def _blocks(
    frame: pd.DataFrame, rows: str, columns: str, row_order: list[str], col_order: list[str]
) -> pd.DataFrame:
    """Children by ``year, planning_area``: ``rows`` × ``columns`` with a total row and
    column, for every area and ``all`` of them first."""
    every = pd.concat([frame.assign(planning_area="all"), frame], ignore_index=True)
    areas = ["all", *sorted(set(frame["planning_area"]))]
    table = every.pivot_table(
        index=["year", "planning_area", rows],
        columns=columns,
        values="children",
        aggfunc="sum",
        fill_value=0.0,
    )
    years = sorted(frame["year"].unique())
    full = pd.MultiIndex.from_product(
        [years, areas, row_order], names=["year", "planning_area", rows]
    )
    table = table.reindex(index=full, columns=col_order, fill_value=0.0)
    table[TOTAL] = table.sum(axis=1)
    totals = table.groupby(level=["year", "planning_area"], sort=False).sum()
    totals[rows] = TOTAL
    out = pd.concat([table.reset_index(), totals.reset_index()], ignore_index=True)
    out["area_order"] = out["planning_area"].map({a: i for i, a in enumerate(areas)})
    out["row_order"] = out[rows].map({r: i for i, r in enumerate([*row_order, TOTAL])})
    out = out.sort_values(["year", "area_order", "row_order"], kind="stable")
    out.columns.name = None
    return out.drop(columns=["area_order", "row_order"]).reset_index(drop=True)


def _specialist(placements: pd.DataFrame) -> pd.DataFrame:
    """Placements of children with EHC plans in specialist places (SCAP type not none)."""
    p = placements[placements["scap_type"].astype(str) != "none"]
    return pd.DataFrame(
        {
            "year": p["year"].astype(int).to_numpy(),
            "planning_area": _area(p),
            "phase": p["age_band"].astype(str).map(taxonomy.BAND_PHASE).to_numpy(),
            "scap_type": p["scap_type"].astype(str).to_numpy(),
            "need_group": p["need"].astype(str).map(taxonomy.BROAD_AREA).to_numpy(),
            "children": p["children"].to_numpy(dtype=float),
        }
    )


def scap(placements: pd.DataFrame) -> pd.DataFrame:
    """The SCAP SEND return: resident children with an EHC plan needing a specialist place,
    by year, planning area of the place (``all`` first) and phase of the child (SCAP asks
    for primary and secondary; early years and post-16 are shown beside them), with
    provision types ``UR``, ``IN``, ``SS``, ``AP`` as columns and totals.

    Every child in the run is the council's resident (the caseload is its own), so the
    ``all`` block's total is every child with a plan in a specialist place.
    """
    return _blocks(
        _specialist(placements), "phase", "scap_type", list(NEED_PHASES), list(SCAP_COLUMNS)
    )


def commissioning(placements: pd.DataFrame) -> pd.DataFrame:
    """Specialist places needed by need group × phase, by year and planning area (``all``
    first; ``market`` is the places the council lacks, bought on the market of last resort),
    for market position statements and special-school commissioning."""
    return _blocks(
        _specialist(placements),
        "need_group",
        "phase",
        list(taxonomy.NEED_GROUPS),
        list(NEED_PHASES),
    )


#: Money columns of ``summary['by_year']`` shown by financial year too.
FY_COSTS = (
    "hnb_cost",
    "transport_cost",
    "school_cost",
    "total_cost",
    "all_payers_cost",
    "ehc_plan_hnb_cost",
    "not_in_school_cost",
    "unmitigated_cost",
    "unmitigated_all_payers_cost",
)


def by_financial_year(by_year: list[dict[str, object]]) -> list[dict[str, object]]:
    """The money of ``summary['by_year']`` by financial year (``summary['by_financial_year']``)."""
    frame = pd.DataFrame(by_year)
    values = [c for c in FY_COSTS if c in frame.columns]
    if frame.empty or not values:
        return []
    table = to_financial_years(frame, values, [])
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _plans_only(placements: pd.DataFrame) -> pd.DataFrame:
    """The placements of children with EHC plans."""
    if "provision" not in placements:
        return placements
    return placements[(placements["provision"].astype(str) == "ehc_plan").to_numpy()]


def returns_tables(
    placements: pd.DataFrame,
    not_in_school: pd.DataFrame,
    unmitigated: tuple[pd.DataFrame, pd.DataFrame] | None,
    options: ReturnsOptions,
) -> dict[str, pd.DataFrame]:
    """The ``dsg_plan``, ``scap`` and ``commissioning`` tables of a run (see each function).

    The DfE's shapes are of children with EHC plans: placements of children on SEN support
    are left out (as their templates define).
    """
    placements = _plans_only(placements)
    if unmitigated is not None:
        unmitigated = (_plans_only(unmitigated[0]), unmitigated[1])
    return {
        "dsg_plan": dsg_plan(placements, not_in_school, unmitigated, options),
        "scap": scap(placements),
        "commissioning": commissioning(placements),
    }


#: SCAP type of the place a child's level needs (the gap line of the SCAP places table).
LEVEL_SCAP_TYPE: dict[str, str] = {
    "partnership": "AP",
    "enhanced_resource": "UR",
    "special_school": "SS",
    "independent": "IN",
}

#: Lines of the SCAP places table, in order (``places`` once per setting phase first).
SCAP_PLACE_LINES: tuple[str, ...] = (
    "places",
    "places_total",
    "change_settings",
    "change_capital",
    "change_total",
    "gap",
)


def scap_places(
    settings: pd.DataFrame,
    register: np.ndarray,
    capacity: np.ndarray,
    years: list[int],
    shortfall: pd.DataFrame,
) -> pd.DataFrame:
    """The SCAP SEND return as places, not children: commissioned specialist places by
    provision type (``UR``, ``IN``, ``SS``, ``AP``) and the phase of the setting, in the
    base year and each plan year, by planning area (``all`` first), with each year's
    change split into the register's own (settings opening, closing or changing their
    places) and the capital options built, and the sufficiency gap as its own line.

    Args:
        settings: The allocation's settings (register, capital options, market) with
            ``setting, scap_type, phase, planning_area, in_area``.
        register: The register's places by year and setting after dated changes, shape
            (len(years), S), NaN where unlimited; the first year is the base year.
        capacity: Places the allocation had (register and capital options built), the same
            shape; the base year's row equals the register's.
        years: The base year then the plan years.
        shortfall: The gap of children with plans (``year, level, market, no_place``).

    Returns:
        ``year, planning_area, line, phase`` and the type columns with ``total``; ``line``
        is ``places`` (one row per setting phase), ``places_total``, ``change_settings``,
        ``change_capital``, ``change_total`` (against the year before; blank in the base
        year) and ``gap`` (children with plans the places cannot take, by the type of place
        their level needs; ``all`` only).
    """
    scap_type = settings["scap_type"].astype(str).to_numpy()
    keep = (scap_type != "none") & (settings["setting"].astype(str).to_numpy() != MARKET)
    area = settings["planning_area"].fillna("").astype(str).to_numpy(dtype=object)
    blank = area == ""
    in_area = settings["in_area"].to_numpy(dtype=bool)
    area[blank] = np.where(in_area[blank], "not_given", "out_of_area")
    phase = settings["phase"].astype(str).to_numpy()
    reg = np.nan_to_num(np.asarray(register, dtype=float), nan=0.0, posinf=0.0)
    cap = np.nan_to_num(np.asarray(capacity, dtype=float), nan=0.0, posinf=0.0)
    capital = cap - reg
    areas = ["all", *sorted(set(area[keep]))]
    phases = [p for p in taxonomy.SETTING_PHASES if p in set(phase[keep])]
    types = list(SCAP_COLUMNS)
    rows: list[dict[str, object]] = []

    def grid(values: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        out = {t: float(values[mask & (scap_type == t)].sum()) for t in types}
        out[TOTAL] = float(sum(out.values()))
        return out

    for i, year in enumerate(years):
        for a in areas:
            where = keep if a == "all" else keep & (area == a)
            for p in phases:
                rows.append(
                    {"year": year, "planning_area": a, "line": "places", "phase": p}
                    | grid(cap[i], where & (phase == p))
                )
            rows.append(
                {"year": year, "planning_area": a, "line": "places_total", "phase": TOTAL}
                | grid(cap[i], where)
            )
            change = {
                "change_settings": reg[i] - reg[i - 1] if i else None,
                "change_capital": capital[i] - capital[i - 1] if i else None,
                "change_total": cap[i] - cap[i - 1] if i else None,
            }
            for line, values in change.items():
                figures = (
                    grid(values, where)
                    if values is not None
                    else dict.fromkeys([*types, TOTAL], np.nan)
                )
                rows.append(
                    {"year": year, "planning_area": a, "line": line, "phase": TOTAL} | figures
                )
            if a == "all":
                gap = dict.fromkeys([*types, TOTAL], np.nan if i == 0 else 0.0)
                if i:
                    s = shortfall[shortfall["year"] == year]
                    need = s["level"].astype(str).map(LEVEL_SCAP_TYPE).fillna("IN")
                    lacking = s["market"].to_numpy(dtype=float) + s["no_place"].to_numpy(
                        dtype=float
                    )
                    for t in types:
                        gap[t] = float(lacking[(need == t).to_numpy()].sum())
                    gap[TOTAL] = float(sum(gap[t] for t in types))
                rows.append({"year": year, "planning_area": a, "line": "gap", "phase": TOTAL} | gap)
    return pd.DataFrame(rows, columns=["year", "planning_area", "line", "phase", *types, TOTAL])


def scap_places_of_run(
    arrays_settings: pd.DataFrame, inputs: Inputs, allocation: Allocation, base_year: int
) -> pd.DataFrame:
    """:func:`scap_places` of a run: the register's places (after its dated changes) for the
    base year and plan years, and the places the allocation had (capital options built
    included) from its capacity table, over the allocation's settings."""
    capacity, shortfall = allocation.capacity, allocation.shortfall
    plan_years = sorted(int(y) for y in capacity["year"].unique())
    years = [base_year, *plan_years]
    ids = arrays_settings["setting"].astype(str).tolist()
    given = inputs.places_array(years)
    position = {s: i for i, s in enumerate(inputs.settings["setting"].astype(str))}
    register = np.zeros((len(years), len(ids)))
    for j, s in enumerate(ids):
        if s in position:
            register[:, j] = given[:, position[s]]
    had = (
        capacity.assign(setting=capacity["setting"].astype(str))
        .pivot_table(index="year", columns="setting", values="places", aggfunc="sum", dropna=False)
        .reindex(index=plan_years, columns=ids)
        .to_numpy(dtype=float)
    )
    places = np.vstack([register[:1], had])
    plans = _plans_only(shortfall)
    return scap_places(arrays_settings, register, places, years, plans)
