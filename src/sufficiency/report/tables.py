"""The board-level tables of a run, derived from its Result (plain pandas, no formatting).

Every table here is a summary of frames the Result already holds, so the workbook, the
charts and the HTML report all show the same figures as the CSV files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import taxonomy
from ..postprocess.assumptions import not_modelled_figures
from ..postprocess.disclosure import (
    SUPPRESSED,
    protect_columns,
    protect_count,
    protect_grid,
    protect_wide,
)
from . import labels

if TYPE_CHECKING:
    from ..results import Result

#: Headline columns by plan year (``summary['by_year']`` keys), in the order shown; their
#: labels and formats are in :mod:`.labels`.
HEADLINE: tuple[str, ...] = (
    "year",
    "ehc_plans",
    "ehc_plans_lower",
    "ehc_plans_upper",
    "on_sen_support",
    "not_placed",
    "demand",
    "placed",
    "shortfall",
    "no_place",
    "out_of_area",
    "displaced",
    "sen_support_placed",
    "sen_support_kept_in_mainstream",
    "hnb_cost",
    "transport_cost",
    "school_cost",
    "total_cost",
    "all_payers_cost",
    "unmitigated_cost",
)


#: Headline columns renamed from ``summary['by_year']``'s keys: children on SEN support have
#: no plan, so they are not the SEN support tier.
_RENAMED = {"sen_support": "on_sen_support"}


def not_modelled_columns(result: Result) -> set[str]:
    """The headline columns (and summary keys) no input covers (``summary['not_modelled']``):
    they read "not modelled", never 0."""
    figures = not_modelled_figures(result.summary)
    return figures | {_RENAMED[f] for f in figures if f in _RENAMED}


def headline(result: Result) -> pd.DataFrame:
    """Headline figures by plan year: plans, children placed and not, out of area, cost; a
    figure no input covers holds the words "not modelled" (:data:`.labels.NOT_MODELLED`)."""
    frame = pd.DataFrame(result.summary["by_year"]).rename(columns=_RENAMED)
    columns = [c for c in HEADLINE if c in frame.columns]
    extra = [c for c in frame.columns if c.endswith("_cost") and c not in columns]
    out = frame[columns + extra].reset_index(drop=True)
    for column in not_modelled_columns(result) & set(out.columns):
        out[column] = pd.Series(labels.NOT_MODELLED, index=out.index, dtype=object)
    return out


def is_not_modelled(column: pd.Series) -> bool:
    """Whether a column of a shown table reads "not modelled" in every row."""
    return len(column) > 0 and bool((column.astype(object) == labels.NOT_MODELLED).all())


def _plans_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of children with EHC plans (all rows of a frame without ``provision``)."""
    if "provision" not in frame:
        return frame
    return frame[(frame["provision"].astype(str) == "ehc_plan").to_numpy()]


def interval_level(result: Result) -> float | None:
    """Coverage of the forecast interval the run used (0.8), from its provenance."""
    scenario = result.summary.get("provenance", {}).get("scenario", {})
    level = scenario.get("forecast", {}).get("interval_level") if scenario else None
    return None if level is None else float(level)


def with_total(frame: pd.DataFrame, default: str = "text") -> pd.DataFrame:
    """``frame`` with a totals row: the sum over rows of every column that adds up over
    plan years (money, child-years without a place; see :data:`.labels.ADDITIVE`), blank
    elsewhere, and "Total" in the first column.

    Args:
        frame: A table with code-named columns.
        default: Kind of the columns the label table does not know (pivot values).
    """
    if frame.empty:
        return frame
    row: dict[str, object] = {}
    for column in frame.columns:
        additive = labels.kind(column, default) in labels.ADDITIVE
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        row[column] = frame[column].sum() if additive and numeric else None
        if additive and is_not_modelled(frame[column]):
            row[column] = labels.NOT_MODELLED
    row[frame.columns[0]] = "Total"
    total = pd.DataFrame([row], columns=frame.columns)
    return pd.concat([frame.astype(object), total.astype(object)], ignore_index=True)


def by_tier(
    result: Result, value: str = "children", provision: str | None = "ehc_plan"
) -> pd.DataFrame:
    """Children placed (or a cost column) by plan year and tier, tiers as columns, with a
    total; for ``hnb_cost``, ``total_cost`` or ``cost`` the High Needs Block cost of children
    not in a school or college is a column too, so the total is the year's.

    Args:
        result: The run.
        value: The placements' column to add up.
        provision: ``ehc_plan`` (the default) or ``sen_support`` for one provision's
            placements; None for both (money: the year's whole cost).
    """
    p = result.placements
    if provision is not None and "provision" in p:
        p = p[(p["provision"].astype(str) == provision).to_numpy()]
    table = (
        p.assign(tier=p["tier"].astype(str))
        .pivot_table(index="year", columns="tier", values=value, aggfunc="sum", fill_value=0.0)
        .reindex(columns=list(taxonomy.TIERS), fill_value=0.0)
        .reindex(result.summary["plan_years"], fill_value=0.0)
    )
    table.columns = list(taxonomy.TIERS)
    nis = result.not_in_school
    with_plans = provision in (None, "ehc_plan")
    if (
        value in ("hnb_cost", "total_cost", "cost")
        and with_plans
        and len(nis)
        and "hnb_cost" in nis
    ):
        other = nis.groupby("year")["hnb_cost"].sum()
        table["not_in_school"] = other.reindex(table.index, fill_value=0.0).to_numpy()
    table["total"] = table.sum(axis=1)
    table.index.name = "year"
    return table.reset_index()


def sen_support_by_tier(result: Result) -> pd.DataFrame:
    """Children on SEN support placed by plan year and tier of their setting (those kept in
    mainstream for want of a place at their level count in the SEN support tier); where
    they are not modelled, ``year`` and a ``total`` that reads "not modelled"."""
    if "sen_support_placed" in not_modelled_columns(result):
        years = list(result.summary["plan_years"])
        return pd.DataFrame(
            {"year": years, "total": pd.Series([labels.NOT_MODELLED] * len(years), dtype=object)}
        )
    return by_tier(result, "children", "sen_support")


def ehc_plans_by_need(result: Result) -> pd.DataFrame:
    """Projected EHC plans by plan year and primary need, needs as columns, with a total."""
    f = result.forecast
    if "provision" in f.columns:
        f = f[f["provision"] == "ehc_plan"]
    needs = [n for n in taxonomy.EHCP_NEEDS if n in set(f["need"].astype(str))]
    table = (
        f.assign(need=f["need"].astype(str))
        .pivot_table(index="year", columns="need", values="mean", aggfunc="sum", fill_value=0.0)
        .reindex(columns=needs, fill_value=0.0)
    )
    table["total"] = table.sum(axis=1)
    table.index.name = "year"
    table.columns.name = None
    return table.reset_index()


def gap_by_need(result: Result) -> pd.DataFrame:
    """The sufficiency gap: children the register's places cannot take (placed by the market,
    or with no place when the market is off) by plan year and need, with a total. Children
    with EHC plans only (children on SEN support kept in mainstream are in the headline)."""
    s = _plans_only(result.shortfall)
    years = result.summary["plan_years"]
    if s.empty:
        return pd.DataFrame({"year": years, "total": [0.0] * len(years)})
    table = (
        s.assign(need=s["need"].astype(str))
        .pivot_table(index="year", columns="need", values="children", aggfunc="sum", fill_value=0.0)
        .reindex(years, fill_value=0.0)
    )
    order = [n for n in taxonomy.NEEDS if n in table.columns]
    table = table[order]
    table["total"] = table.sum(axis=1)
    table.index.name = "year"
    table.columns.name = None
    return table.reset_index()


def gap_detail(result: Result, threshold: float = 0.5) -> pd.DataFrame:
    """Shortfall rows of children with plans of at least ``threshold`` children, largest
    first within each year."""
    s = _plans_only(result.shortfall)
    cols = ["year", "need", "age_band", "level", "children"]
    if s.empty:
        return pd.DataFrame(columns=cols)
    out = s.loc[s["children"] >= threshold, cols].copy()
    for c in ("need", "age_band"):
        out[c] = out[c].astype(str)
    out["level"] = out["level"].map(lambda t: labels.TIER_LABELS.get(str(t), str(t)))
    return out.sort_values(["year", "children"], ascending=[True, False]).reset_index(drop=True)


def capacity_by_tier(result: Result) -> pd.DataFrame:
    """Places, places used and settings full, by plan year and tier: settings with a limited
    number of places only (no unlimited mainstream, no out-of-area line without places)."""
    c = result.capacity
    # settings with places: rows with none (an out-of-area line with no commissioned
    # places, the market of last resort) have no places to fill
    limited = c[(c["places"].fillna(0.0) > 0).to_numpy()].copy()
    limited["tier"] = limited["tier"].astype(str)
    limited["full"] = (limited["spare"] < 0.5).astype(int)
    limited["settings"] = 1
    table = (
        limited.groupby(["year", "tier"], sort=False)[["places", "used", "settings", "full"]]
        .sum()
        .reset_index()
    )
    table["order"] = table["tier"].map({t: i for i, t in enumerate(taxonomy.TIERS)})
    table = table.sort_values(["year", "order"]).drop(columns="order")
    table["tier"] = table["tier"].map(labels.TIER_LABELS)
    return table.reset_index(drop=True)


def valuable_places(result: Result) -> pd.DataFrame:
    """The most valuable places to add (``summary['most_valuable_places']``)."""
    rows = result.summary.get("most_valuable_places", [])
    frame = pd.DataFrame(
        rows,
        columns=[
            "setting",
            "name",
            "tier",
            "in_area",
            "value_per_place",
            "year_of_highest_value",
            "first_year_valuable",
        ],
    )
    frame["tier"] = frame["tier"].map(lambda t: labels.TIER_LABELS.get(str(t), str(t)))
    return frame


def top_up_by_band(result: Result) -> pd.DataFrame:
    """Children and top-up (£) by year, funding band and tier; empty when no bands are given."""
    if result.top_up_by_band is None:
        return pd.DataFrame()
    return result.top_up_by_band.astype({"band": str, "tier": str}).reset_index(drop=True)


def builds(result: Result) -> pd.DataFrame:
    """Capital options considered, as in ``builds.csv`` (empty without a capital section)."""
    return result.builds.copy()


def about(result: Result) -> pd.DataFrame:
    """What was run: scenario, years, solver, model size, timings and input files.

    Values are text, formatted for reading (£ with separators, counts whole).
    """
    s = result.summary
    missing = not_modelled_columns(result)

    def money(value: object, how: str, key: str = "") -> str:
        return labels.NOT_MODELLED if key in missing else labels.format_value(value, how)

    rows: list[tuple[str, str]] = [
        ("Scenario", str(s.get("scenario", ""))),
        ("Description", str(s.get("description", ""))),
        ("Base year", str(s.get("base_year", ""))),
        ("Plan years", f"{s['plan_years'][0]}–{s['plan_years'][-1]}"),
        ("Solver", str(s.get("solver", ""))),
        ("Status", str(s.get("status", ""))),
        (
            "Total cost to the council over the plan years (High Needs Block and transport)",
            money(s.get("total_cost"), "money"),
        ),
        ("High Needs Block over the plan years", money(s.get("total_hnb_cost"), "money")),
        (
            "Transport over the plan years (general fund)",
            money(s.get("total_transport_cost"), "money"),
        ),
        (
            "Schools' notional SEN budgets over the plan years",
            money(s.get("total_school_cost"), "money", "total_school_cost"),
        ),
        (
            "All payers' cost over the plan years (council and schools)",
            money(s.get("total_all_payers_cost"), "money", "total_all_payers_cost"),
        ),
        (
            "Sufficiency gap (child-years placed by the market)",
            money(s.get("total_shortfall"), "children_1dp"),
        ),
        (
            "Children with no place at all (child-years; unlawful)",
            money(s.get("total_no_place"), "children_1dp"),
        ),
    ]
    if "unmitigated_total_cost" in s:
        rows.append(("Total cost unmitigated", money(s["unmitigated_total_cost"], "money")))
        if "unmitigated_all_payers_cost" in s:
            rows.append(
                (
                    "All payers' cost unmitigated",
                    money(s["unmitigated_all_payers_cost"], "money", "unmitigated_all_payers_cost"),
                )
            )
    level = interval_level(result)
    if level is not None:
        rows.append(("Projection interval", labels.interval_name(level)))
    for key, value in s.get("model_size", {}).items():
        rows.append((f"Model: {key.replace('_', ' ')}", money(value, "whole")))
    for key, value in s.get("timings", {}).items():
        rows.append((f"Seconds: {key}", f"{float(value):.2f}"))
    provenance = s.get("provenance", {})
    for name, entry in provenance.get("input_files", {}).items():
        rows.append(
            (f"Input: {name}", f"{entry.get('path', '')} (sha256 {entry.get('sha256', '')})")
        )
    for key, label in (("package_version", "sufficiency version"), ("created", "Created")):
        if key in provenance:
            rows.append((label, str(provenance[key])))
    rows.append(
        (
            "Units",
            "EHC plans, children placed and places are whole numbers; children without a "
            "place and children moved are to one decimal (the linear programme places "
            "fractions of a child); costs are £ a year at each year's prices.",
        )
    )
    return pd.DataFrame(rows, columns=["Item", "Value"])


def published(result: Result, name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A working table as published when the run has disclosure control, and whether a
    totals row may still be added (grids bring their own; lists get none).

    ``name`` is the table's function in this module (``headline``, ``by_tier``,
    ``ehc_plans_by_need``, ``gap_by_need``, ``gap_detail``, ``capacity_by_tier``,
    ``top_up_by_band``). Without
    disclosure control (or for other tables) the frame comes back as it is.
    """
    if "disclosure" not in result.summary or frame.empty:
        return frame, True
    if name != "headline" and all(is_not_modelled(frame[c]) for c in frame.columns[1:]):
        return frame, True  # nothing to protect: no figure
    if name in ("by_tier", "sen_support_by_tier", "ehc_plans_by_need", "gap_by_need"):
        inner = [c for c in frame.columns if c not in ("year", "total")]
        return protect_wide(frame, "year", inner), False
    if name == "headline":  # every count column; money is not suppressed
        counts = [
            c
            for c in frame.columns
            if c != "year"
            and labels.kind(c, "children") in ("children", "children_1dp")
            and not is_not_modelled(frame[c])
        ]
        return protect_columns(frame, counts), False
    if name in ("gap_detail", "top_up_by_band"):
        return protect_columns(frame, ["children"]), False
    if name == "capacity_by_tier":
        return protect_columns(frame, [c for c in ("used",) if c in frame.columns]), False
    return frame, True


# --- the council's report: the one-page summary, narrow tables and the assumptions -------


def summary_years(result: Result) -> list[int]:
    """The plan years the summary shows beside the base year: five and ten years on (the
    last plan year where the horizon is shorter), without repeats."""
    years = result.summary["plan_years"]
    base = int(result.summary["base_year"])
    picked = [y if y in years else years[-1] for y in (base + 5, base + 10)]
    return list(dict.fromkeys(picked))


def _inputs(result: Result) -> object | None:
    return result.extras.get("inputs")


def base_year_recorded(result: Result) -> dict[str, float | None]:
    """The base year's recorded January figures (None where the inputs do not record one):
    ``ehc_plans``, ``on_sen_support``, ``out_of_area`` and ``not_placed`` (children with a
    plan not in a school or college), from the scenario's caseload and settings."""
    s = result.summary
    base = int(s["base_year"])
    out: dict[str, float | None] = {
        "ehc_plans": s.get("base_year_ehc_plans"),
        "out_of_area": s.get("base_year_out_of_area"),
        "on_sen_support": None,
        "not_placed": None,
    }
    inputs = _inputs(result)
    if inputs is None:
        return out
    caseload = inputs.caseload  # type: ignore[attr-defined]
    now = caseload[caseload["year"] == base]
    out["ehc_plans"] = float(now["children"].sum())
    settings = set(inputs.settings["setting"].astype(str))  # type: ignore[attr-defined]
    out["not_placed"] = float(now.loc[~now["setting"].astype(str).isin(settings), "children"].sum())
    support = inputs.sen_support  # type: ignore[attr-defined]
    if support is not None:
        out["on_sen_support"] = float(support.loc[support["year"] == base, "children"].sum())
    return out


def base_year_by_category(result: Result) -> pd.DataFrame:
    """The base year's recorded children with EHC plans by DSG category and DSG age group
    (``dsg_category, age_group, children``), from the caseload and the register; empty
    without the inputs at hand. Children with no setting in the register (other
    arrangements, EHE, NEET) are ``other``."""
    inputs = _inputs(result)
    if inputs is None:
        return pd.DataFrame(columns=["dsg_category", "age_group", "children"])
    caseload = inputs.caseload  # type: ignore[attr-defined]
    now = caseload[caseload["year"] == int(result.summary["base_year"])]
    settings = inputs.settings  # type: ignore[attr-defined]
    category = settings.assign(setting=settings["setting"].astype(str)).set_index("setting")[
        "dsg_category"
    ]
    cat = now["setting"].astype(str).map(category).astype(object)
    cat = cat.where(cat.notna(), taxonomy.NOT_IN_SCHOOL_DSG_CATEGORY).astype(str)
    frame = pd.DataFrame(
        {
            "dsg_category": cat.to_numpy(),
            "age_group": now["age_band"].astype(str).map(taxonomy.DSG_AGE_GROUPS).to_numpy(),
            "children": now["children"].to_numpy(dtype=float),
        }
    )
    summed = frame.groupby(["dsg_category", "age_group"])["children"].sum()
    return summed.reset_index()


def _money_or_blank(value: object) -> object:
    return None if value is None else value


def summary_figures(result: Result) -> pd.DataFrame:
    """The headline figures as rows, the base year recorded beside the projections five and
    ten years on (``figure``, ``kind`` and one column per year, code names; text such as
    "not modelled" where a year has no figure)."""
    s = result.summary
    base = int(s["base_year"])
    by_year = {int(r["year"]): r for r in s["by_year"]}
    years = summary_years(result)
    recorded = base_year_recorded(result)
    interval = labels.interval_name(interval_level(result))
    missing = not_modelled_columns(result)
    rows: list[tuple[str, str, object, list[object]]] = []

    def row(
        figure: str,
        how: str,
        base_value: object,
        key: str | None,
        values: list[object] | None = None,
    ) -> None:
        got: list[object] = (
            [labels.NOT_MODELLED for _ in years]
            if key in missing
            else values
            if values is not None
            else [by_year[y].get(key) for y in years]
        )
        rows.append((figure, how, base_value, got))

    row(
        "Children and young people with an EHC plan", "children", recorded["ehc_plans"], "ehc_plans"
    )
    row(
        f"EHC plans, {interval} of the projection",
        "text",
        "recorded",
        None,
        [
            f"{by_year[y]['ehc_plans_lower']:,.0f}–{by_year[y]['ehc_plans_upper']:,.0f}"
            for y in years
        ],
    )
    if (
        recorded["on_sen_support"] is not None
        or "sen_support" in missing
        or any(by_year[y].get("sen_support") for y in years)
    ):
        row(
            "Children on SEN support (no plan)",
            "children",
            recorded["on_sen_support"],
            "sen_support",
        )
    row("With a plan, not in a school or college", "children", recorded["not_placed"], "not_placed")
    row("With a plan, placed out of area", "children", recorded["out_of_area"], "out_of_area")
    row(
        "Sufficiency gap: placed by the market, no local place",
        "children_1dp",
        None,
        "shortfall",
    )
    if float(s.get("total_no_place", 0.0)) > 1e-6:
        row("No place at all (unlawful)", "children_1dp", None, "no_place")
    row(
        "Cost to the council (High Needs Block and transport), £ a year",
        "money",
        None,
        "total_cost",
    )
    # the base year's recorded placements at the model's prices (summary base_year_hnb_cost)
    row("High Needs Block cost, £ a year", "money", s.get("base_year_hnb_cost"), "hnb_cost")
    row("Transport (general fund), £ a year", "money", None, "transport_cost")
    if any(by_year[y].get("unmitigated_cost") is not None for y in years):
        row("Cost to the council unmitigated, £ a year", "money", None, "unmitigated_cost")
    if "disclosure" in s:  # counts as published: whole children, 1-4 shown as c
        intervals: list[object] = [
            f"{published_text(by_year[y]['ehc_plans_lower'])}–"
            f"{published_text(by_year[y]['ehc_plans_upper'])}"
            for y in years
        ]
        rows = [
            (figure, how, base_value, intervals)
            if figure == f"EHC plans, {interval} of the projection"
            else (figure, "children", _published_count(base_value), list(map(_published_count, v)))
            if how in ("children", "children_1dp")
            else (figure, how, base_value, v)
            for figure, how, base_value, v in rows
        ]
    out = pd.DataFrame(
        {
            "figure": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            str(base): [r[2] for r in rows],
            **{str(y): [r[3][i] for r in rows] for i, y in enumerate(years)},
        }
    )
    return out


def _published_count(value: object) -> object:
    """A count of children as a table meant for publication shows it (words and blanks
    kept)."""
    if value is None or isinstance(value, str):
        return value
    return protect_count(float(value))  # type: ignore[arg-type]


def published_text(value: float) -> str:
    """A published count as text: ``c``, or the whole number with thousands separators."""
    count = protect_count(float(value))
    return count if isinstance(count, str) else f"{count:,.0f}"


def gap_by_need_and_phase(result: Result) -> pd.DataFrame:
    """The sufficiency gap (children with plans placed by the market, or with no place) by
    primary need and phase of the child, in each summary year (:func:`summary_years`):
    needs as rows, ``<phase> <year>`` columns, a total row; needs with under a twentieth of
    a child in the gap in those columns are left out as rows, but counted in the total
    (which is the gap of every need, as the headline figures give it)."""
    s = _plans_only(result.shortfall)
    years = summary_years(result)
    phases = list(dict.fromkeys(taxonomy.BAND_PHASE.values()))
    if s.empty:
        return pd.DataFrame(columns=["need"])
    s = s[s["year"].isin(years)]
    frame = s.assign(
        need=s["need"].astype(str),
        phase=s["age_band"].astype(str).map(taxonomy.BAND_PHASE),
    )
    table = frame.pivot_table(
        index="need", columns=["year", "phase"], values="children", aggfunc="sum", fill_value=0.0
    )
    full = pd.MultiIndex.from_product([years, phases], names=["year", "phase"])
    table = table.reindex(columns=full, fill_value=0.0)
    order = [n for n in taxonomy.NEEDS if n in table.index]
    table = table.reindex(order)
    names = [f"{labels.CODE_LABELS.get(str(c[1]), c[1])} {c[0]}" for c in table.columns]
    if "disclosure" in result.summary:
        return _published_gap_grid(table, names, len(phases))
    total = table.sum(axis=0)  # every need's: the rows left out below still count
    table = table[table.sum(axis=1) >= 0.05]
    table.columns = names
    table.loc["Total"] = total.to_numpy()
    table.index.name = "need"
    return table.reset_index()


def _published_gap_grid(table: pd.DataFrame, names: list[str], phases: int) -> pd.DataFrame:
    """The gap by need and phase under disclosure control: each summary year's needs ×
    phases a grid of its own (:func:`~sufficiency.postprocess.disclosure.protect_grid`,
    with its row totals counted as published though not shown: summing a year's phases is
    a total a reader can make), whole children, 1-4 and what would reveal them ``c``; needs
    with no child in the gap in any year left out (a row of zeros adds nothing to a total)."""
    values = table.to_numpy(dtype=float)
    blocks, masks = [], []
    for k in range(0, values.shape[1], phases):
        grid, hidden = protect_grid(values[:, k : k + phases])
        blocks.append(grid[:, :-1])
        masks.append(hidden[:, :-1])
    grid, hidden = np.hstack(blocks), np.hstack(masks)
    shown = np.where(hidden, SUPPRESSED, grid.astype(int).astype(object))
    # a row with a hidden cell stays, zeros and all: leaving it out would say it holds none
    keep = np.append((grid[:-1] != 0).any(axis=1) | hidden[:-1].any(axis=1), True)
    out = pd.DataFrame(shown[keep], columns=names)
    out.insert(0, "need", [*table.index[keep[:-1]], "Total"])
    return out


def hnb_against_cost(result: Result) -> pd.DataFrame:
    """The High Needs Block allocation against its cost by financial year (the mitigated
    run; the DSG plan's ``high_needs_block`` section): allocation, cost, in-year surplus or
    deficit and the balance carried forward; allocations not given are blank."""
    d = result.dsg_plan
    if d.empty:
        return pd.DataFrame()
    block = d[(d["section"] == "high_needs_block") & (d["column"] == "mitigated")]
    wide = block.pivot_table(
        index="period", columns="line", values="value", aggfunc="first", sort=False, dropna=False
    )
    lines = [
        "hnb_allocation",
        "hnb_cost",
        "in_year_surplus_or_deficit",
        "balance_carried_forward",
    ]
    wide = wide.reindex(columns=lines)
    wide.columns.name = None
    wide.index.name = "financial_year"
    return wide.reset_index()


#: Money columns of the headline by payer (the rest split the High Needs Block).
PAYER_COLUMNS: tuple[str, ...] = (
    "hnb_cost",
    "transport_cost",
    "total_cost",
    "school_cost",
    "all_payers_cost",
    "unmitigated_cost",
    "unmitigated_all_payers_cost",
    "budget",
    "budget_overrun",
)


def headline_parts(result: Result, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The headline by year split into tables narrow enough for a page: children with
    plans, money by payer, the High Needs Block by component, and children on SEN support
    (when there are any); each keeps ``year``."""
    money = [c for c in frame.columns if c != "year" and labels.kind(c) == "money"]
    payers = [c for c in PAYER_COLUMNS if c in money]
    components = [c for c in money if c not in payers and c != "cost"]  # cost = total_cost
    support = [
        c
        for c in ("on_sen_support", "sen_support_placed", "sen_support_kept_in_mainstream")
        if c in frame.columns
    ]
    plans = [c for c in frame.columns if c not in ("year", *money, *support)]
    parts = {"children": frame[["year", *plans]], "money": frame[["year", *payers]]}
    if components:
        parts["hnb_components"] = frame[["year", *components]]
    shown = [
        c
        for c in support
        if is_not_modelled(frame[c]) or pd.to_numeric(frame[c], errors="coerce").fillna(0).sum() > 0
    ]
    if shown:
        parts["sen_support"] = frame[["year", *shown]]
    return parts


def empty_tiers(frame: pd.DataFrame) -> list[str]:
    """Tier columns of a by-tier table that hold nothing in any year."""

    def empty(column: pd.Series) -> bool:
        values = pd.to_numeric(column, errors="coerce")  # a suppressed "c" is not empty
        return bool(values.notna().all() and float(values.abs().sum()) < 1e-9)

    return [t for t in taxonomy.TIERS if t in frame.columns and empty(frame[t])]


#: Columns of the capital options' summary (one row per option), in order.
BUILD_COLUMNS: tuple[str, ...] = (
    "option",
    "decision",
    "built",
    "open_year",
    "places",
    "capital_cost",
    "annualised_cost",
    "running_cost_saving",
    "net_saving",
    "shortfall_avoided",
    "out_of_area_avoided",
    "payback_years",
)


def builds_summary(result: Result, built_only: bool = False) -> pd.DataFrame:
    """The capital options, one row each: built or not, when, places, costs, savings, the
    gap and out-of-area child-years avoided, payback (the children served each year are
    :func:`builds_served`)."""
    b = result.builds
    if b.empty:
        return b
    if built_only:
        b = b[b["built"].astype(bool).to_numpy()]
    out = b[[c for c in BUILD_COLUMNS if c in b.columns]].reset_index(drop=True)
    if "disclosure" in result.summary:  # child-years count children: whole, 1-4 as c
        counts = [c for c in ("shortfall_avoided", "out_of_area_avoided") if c in out.columns]
        out = protect_columns(out, counts)
    return out


def builds_served(result: Result) -> pd.DataFrame:
    """Children served by each built option by plan year: years as rows, options as columns."""
    b = result.builds
    if b.empty:
        return pd.DataFrame()
    built = b[b["built"].astype(bool).to_numpy()]
    served = [c for c in b.columns if c.startswith("served_")]
    if built.empty or not served:
        return pd.DataFrame()
    table = built.set_index("option")[served].T
    table.index = [int(c[len("served_") :]) for c in served]
    table.index.name = "year"
    table.columns.name = None
    table = table.reset_index()
    if "disclosure" in result.summary:  # children served: whole, 1-4 as c (no totals shown)
        table = protect_columns(table, [c for c in table.columns if c != "year"])
    return table


#: Keys of an assumption (``summary['assumptions']``), in the order shown.
ASSUMPTION_KEYS: tuple[str, ...] = ("what", "value", "why", "how_to_replace")


def assumptions(result: Result) -> pd.DataFrame:
    """The values the model used that the council's data did not give
    (``summary['assumptions']``): ``what, value, why, how_to_replace``; empty when none
    are listed."""
    rows = result.summary.get("assumptions", []) or []
    frame = pd.DataFrame(
        [{k: str(r.get(k, "")) for k in ASSUMPTION_KEYS} for r in rows if isinstance(r, dict)],
        columns=list(ASSUMPTION_KEYS),
    )
    return frame


#: Keys of a quantity not modelled (``summary['not_modelled']``) shown, in order.
NOT_MODELLED_KEYS: tuple[str, ...] = ("what", "why", "how_to_model")


def not_modelled(result: Result) -> pd.DataFrame:
    """The quantities no input covers (``summary['not_modelled']``): ``what, why,
    how_to_model``; empty when the inputs cover everything."""
    rows = result.summary.get("not_modelled", []) or []
    return pd.DataFrame(
        [{k: str(r.get(k, "")) for k in NOT_MODELLED_KEYS} for r in rows if isinstance(r, dict)],
        columns=list(NOT_MODELLED_KEYS),
    )
