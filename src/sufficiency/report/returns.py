"""The statutory returns as the workbook and HTML show them: the DSG management plan, the
SCAP SEND return and the commissioning views, under disclosure control when the run asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from . import labels, tables

if TYPE_CHECKING:
    from ..results import Result


def _tables(result: Result) -> dict[str, pd.DataFrame]:
    """The returns tables as published: protected when the run has disclosure control."""
    raw = {n: getattr(result, n) for n in ("dsg_plan", "scap", "commissioning")}
    if "disclosure" in result.summary:
        return {**raw, **result.published().tables}
    return raw


def _words(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` with codes as words (:data:`.labels.CODE_LABELS`)."""
    out = frame.copy()
    for c in columns:
        out[c] = out[c].map(lambda v: labels.CODE_LABELS.get(str(v), str(v)))
    return out


def dsg(result: Result, unit: str) -> pd.DataFrame:
    """The DSG plan's ``children`` (census years) or ``gbp`` (financial years) sections:
    one row per section, period and line, the section's columns across."""
    d = _tables(result)["dsg_plan"]
    if d.empty:
        return d
    d = d[d["unit"] == unit]
    order = list(dict.fromkeys(d["column"]))
    wide = d.pivot_table(
        index=["section", "period", "line"],
        columns="column",
        values="value",
        aggfunc="first",
        sort=False,
    ).reindex(columns=order)
    wide.columns.name = None
    wide = _words(wide.reset_index(), ["section", "line"])
    return wide.rename(columns={c: labels.CODE_LABELS.get(c, c) for c in order})


def wide(result: Result, name: str, key: str, *, areas: bool = True) -> pd.DataFrame:
    """``scap`` or ``commissioning`` with codes as words; ``areas=False`` keeps the
    whole-council rows only."""
    frame = _tables(result)[name]
    if frame.empty:
        return frame
    if not areas:
        frame = frame[frame["planning_area"] == "all"].drop(columns="planning_area")
        return _words(frame, [key]).rename(
            columns={c: labels.CODE_LABELS[c] for c in frame.columns if c in labels.CODE_LABELS}
        )
    out = _words(frame, ["planning_area", key])
    return out.rename(
        columns={c: labels.CODE_LABELS[c] for c in out.columns if c in labels.CODE_LABELS}
    )


def note(result: Result) -> str:
    """The disclosure rule when the run applies it, else a note that it does not."""
    rule = result.summary.get("disclosure")
    if not rule:
        return "Working figures (no disclosure control): not for publication."
    return f"{rule} {result.published().note()}"


#: What the SCAP places table shows, said once above it.
SCAP_NOTE = (
    "Commissioned specialist places (not children) by SCAP provision type and the phase of "
    "the setting: the base year as the register records it, then each plan year with its "
    "change from the register (settings opening, closing or changing places) and from the "
    "capital options built; the sufficiency gap is its own line (children with a plan the "
    "places cannot take, by the type of place their level needs)."
)

#: Words for the lines of the SCAP places table.
SCAP_LINE_LABELS: dict[str, str] = {
    "places_total": "Places: total",
    "change_settings": "Change from the register (settings opening or closing)",
    "change_capital": "Change from capital options built",
    "change_total": "Change in places",
    "gap": "Sufficiency gap (children placed by the market)",
}


def scap_places(result: Result, *, areas: bool = True) -> pd.DataFrame:
    """The SCAP return as places (:attr:`Result.scap_places`) with words for codes; one
    ``line`` column ("Places: primary", "Change from capital options built", …);
    ``areas=False`` keeps the whole council only (and drops the area column)."""
    frame = result.scap_places
    if frame is None or frame.empty:
        return pd.DataFrame()
    if not areas:
        frame = frame[frame["planning_area"] == "all"].drop(columns="planning_area")
    line = [
        f"Places: {labels.CODE_LABELS.get(p, p).lower()}"
        if code == "places"
        else SCAP_LINE_LABELS.get(code, code)
        for code, p in zip(frame["line"], frame["phase"], strict=True)
    ]
    out = frame.drop(columns=["line", "phase"]).copy()
    out.insert(1 if not areas else 2, "line", line)
    if areas:
        out = _words(out, ["planning_area"])
    return out.rename(
        columns={c: labels.CODE_LABELS[c] for c in out.columns if c in labels.CODE_LABELS}
    )


# --- the DSG management plan as the DfE's template has it --------------------------------

#: Tab names of the DfE's DSG management plan template that the workbook fills (the
#: guidance's "Children and young people summary" tab, with "&" to fit Excel's 31
#: characters).
CYP_TAB = "Children & young people summary"
FINANCIAL_TAB = "Financial summary"

#: Words for the expenditure lines of the Financial summary (s251 high-needs lines).
EXPENDITURE_LABELS: dict[str, str] = {
    "mainstream_top_up": "Mainstream schools and academies: top-up",
    "resourced_provision_place_funding": "Resourced provision and SEN units: place funding",
    "resourced_provision_top_up": "Resourced provision and SEN units: top-up",
    "special_place_funding": "Maintained special schools and special academies: place funding",
    "special_top_up": "Maintained special schools and special academies: top-up",
    "independent_special_fees": "Independent and non-maintained special schools: fees",
    "post16_fe_place_funding": "FE and specialist post-16 institutions: place funding",
    "post16_fe_top_up": "FE and specialist post-16 institutions: top-up and fees",
    "hospital_ap_place_funding": "Alternative provision, PRUs and hospital schools: place funding",
    "hospital_ap_top_up": "Alternative provision, PRUs and hospital schools: top-up",
    "other_arrangements": "Other arrangements (not in a school or college)",
    "sen_support_services": "SEN support services (not modelled: enter the council's figure)",
    "hospital_education_services": "Hospital education services (not modelled)",
    "support_for_inclusion": "Support for inclusion (not modelled)",
    "therapies_and_health": "Therapies and other health-related services (not modelled)",
    "direct_payments": "Direct payments, SEN and disability (not modelled)",
    "other_high_needs_not_modelled": "Other high-needs spend (not modelled)",
    "total_modelled": "Total high-needs expenditure modelled",
    "hnb_allocation": "Income: High Needs Block allocation",
    "in_year_surplus_or_deficit": "In-year surplus (+) or deficit (−)",
    "balance_brought_forward": "Cumulative balance brought forward",
    "balance_carried_forward": "Cumulative balance carried forward",
}


def cyp_summary(result: Result) -> pd.DataFrame:
    """The template's Children and young people summary: children and young people with
    EHC plans by placement category and age group, whole numbers, the base year recorded
    beside the projected plan years; each category's age groups then its total, and a
    total of all categories. Totals are sums of the whole numbers shown."""
    d = result.dsg_plan
    if d.empty:
        return pd.DataFrame()
    d = d[(d["section"] == "children_by_category_and_age") & (d["line"] != "total")]
    d = d[d["column"] != "total"]
    base = tables.base_year_by_category(result)
    years = [str(y) for y in result.summary["plan_years"]]
    base_year = str(result.summary["base_year"])
    categories = [c for c in dict.fromkeys(d["line"])]
    groups = [c for c in dict.fromkeys(d["column"])]
    projected = d.pivot_table(
        index=["line", "column"], columns="period", values="value", aggfunc="sum"
    ).reindex(columns=years, fill_value=0.0)
    recorded = base.set_index(["dsg_category", "age_group"])["children"]
    rows = []
    for category in categories:
        block = []
        for group in groups:
            values = (
                projected.loc[(category, group)] if (category, group) in projected.index else None
            )
            row: dict[str, object] = {
                "category": labels.CODE_LABELS.get(category, category),
                "age_group": labels.CODE_LABELS.get(group, group),
            }
            row[base_year] = (
                round(float(recorded.get((category, group), 0.0))) if len(base) else None
            )
            for y in years:
                row[y] = round(float(values[y])) if values is not None else 0
            block.append(row)
        total: dict[str, object] = {
            "category": labels.CODE_LABELS.get(category, category),
            "age_group": "Total",
        }
        for y in [base_year, *years]:
            got = [int(r[y]) for r in block if r[y] is not None]  # type: ignore[call-overload]
            total[y] = sum(got) if got else None
        rows += [*block, total]
    grand: dict[str, object] = {"category": "All placement categories", "age_group": "Total"}
    for y in [base_year, *years]:
        got = [
            int(r[y])  # type: ignore[call-overload]
            for r in rows
            if r["age_group"] == "Total" and r[y] is not None
        ]
        grand[y] = sum(got) if got else None
    rows.append(grand)
    return pd.DataFrame(rows, columns=["category", "age_group", base_year, *years])


def financial_summary(result: Result) -> pd.DataFrame:
    """The template's Financial summary for the High Needs Block: the expenditure lines by
    provider type (lines not modelled blank and labelled), their total, the income (the
    High Needs Block allocation), the in-year surplus or deficit and the cumulative
    balance; one row per line, each financial year's unmitigated and mitigated columns."""
    d = result.dsg_plan
    if d.empty:
        return pd.DataFrame()
    spend = d[(d["section"] == "high_needs_expenditure") & (d["column"] != "difference")]
    block = d[
        (d["section"] == "high_needs_block")
        & d["line"].isin(
            [
                "hnb_allocation",
                "in_year_surplus_or_deficit",
                "balance_brought_forward",
                "balance_carried_forward",
            ]
        )
    ]
    both = pd.concat([spend, block], ignore_index=True)
    periods = list(dict.fromkeys(both["period"]))
    lines = list(dict.fromkeys(both["line"]))
    both = both.assign(key=both["period"] + " " + both["column"])
    wide = both.pivot_table(
        index="line", columns="key", values="value", aggfunc="first", dropna=False
    )
    keys = [f"{p} {run}" for p in periods for run in ("unmitigated", "mitigated")]
    wide = wide.reindex(index=lines, columns=keys)
    wide.columns.name = None
    wide.index = [EXPENDITURE_LABELS.get(line, line) for line in wide.index]
    wide.index.name = "line"
    return wide.reset_index()


def scap_by_year(result: Result) -> pd.DataFrame:
    """The SCAP places of the whole council in brief, one row a year: places by provision
    type and their total, the year's change from the register and from capital options
    built, and the gap (children with plans placed by the market) beside them. The phase
    detail and the planning areas are in the workbook's SCAP sheet and ``scap_places.csv``."""
    frame = result.scap_places
    if frame is None or frame.empty:
        return pd.DataFrame()
    whole = frame[frame["planning_area"] == "all"]
    places = whole[whole["line"] == "places_total"].set_index("year")
    out = pd.DataFrame({"year": places.index})
    for kind in ("UR", "IN", "SS", "AP", "total"):
        out[f"places_{kind}"] = places[kind].to_numpy()
    for line in ("change_settings", "change_capital", "gap"):
        values = whole[whole["line"] == line].set_index("year")["total"]
        out[line] = values.reindex(out["year"]).to_numpy()
    return out


#: Headers of :func:`scap_by_year`.
SCAP_BY_YEAR_HEADERS: dict[str, str] = {
    "year": "Year",
    "places_UR": "Places UR: unit or resourced provision",
    "places_IN": "Places IN: independent or non-maintained special",
    "places_SS": "Places SS: state special",
    "places_AP": "Places AP: alternative provision",
    "places_total": "Places: total",
    "change_settings": "Change from the register",
    "change_capital": "Change from capital options built",
    "gap": "Sufficiency gap (children placed by the market)",
}
