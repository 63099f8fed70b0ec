"""The HTML report of a run: one self-contained page (charts embedded) for a board pack.

The page opens with a one-page summary in the council's terms (the headline figures, the
base year recorded beside the projections five and ten years on, the sufficiency gap by
need and phase, the High Needs Block, the most valuable places, the capital options chosen),
then the detail, the assumptions, and an appendix on how the run was made. Every table is
narrow enough for a 1,280-pixel screen and an A4 landscape page (wide tables are split or
have years as rows); a print stylesheet puts each section on its own page.

Every text taken from the scenario or the inputs is escaped; tables come from
:mod:`.tables`, so the page shows the same figures as the workbook and the CSV files.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..postprocess.comparison import TOTAL, difference
from ..postprocess.headline import optimality
from . import labels, returns, tables
from .plots import CHARTS

if TYPE_CHECKING:
    from ..results import Result

#: Screen and print styles. Tables never scroll: they wrap their headers and fit the page
#: (A4 landscape less margins is 273 mm, about 1,030 CSS pixels).
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 1.5rem auto;
       max-width: 72rem; color: #1b1b1b; line-height: 1.35; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #0072B2; }
h3 { font-size: 1.02rem; margin: 1.1rem 0 0.3rem; }
.lede { color: #444; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.8rem 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 10rem;
        max-width: 22rem; }
.card b { display: block; font-size: 1.2rem; }
.grid { display: grid; grid-template-columns: minmax(0, 6fr) minmax(0, 5fr); gap: 0 1.2rem; }
.grid > div { min-width: 0; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.4rem 0; max-width: 100%; }
.grid table { width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.15rem 0.4rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
.grid td:not(.num) { overflow-wrap: break-word; }
th { background: #ddebf7; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
tr.total td { font-weight: bold; background: #f2f2f2; }
figure { margin: 0.8rem 0; }
img { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.82rem; }
@media screen and (max-width: 60rem) { .grid { grid-template-columns: minmax(0, 1fr); } }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; line-height: 1.25; }
  h1 { font-size: 15pt; margin: 0; }
  h2 { font-size: 12pt; margin-top: 0; }
  h3 { font-size: 9.5pt; margin: 2mm 0 1mm; }
  .lede, .note { font-size: 8pt; margin: 1mm 0; }
  table { font-size: 7.5pt; }
  .first table { font-size: 7pt; margin: 0.5mm 0; }
  .first th, .first td { padding: 0.2mm 1.2mm; line-height: 1.15; }
  .first .note { margin: 0.5mm 0; }
  .first h2 { margin-top: 2mm; }
  .cards { margin: 1mm 0; }
  .card { padding: 1mm 3mm; }
  .card b { font-size: 10pt; }
  section { break-before: page; }
  section.first { break-before: auto; }
  h2, h3 { break-after: avoid; }
  table, figure, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  figure { display: inline-block; width: 49%; margin: 0; vertical-align: top; }
  img { width: 100%; }
}
"""


def _optimality_sentence(capital: dict) -> str:
    """The capital plan's distance from optimal, as a sentence (empty when unknown)."""
    words = optimality(capital).lstrip(", ")
    return f" The plan chosen is {words}." if words else ""


def _money(value: float) -> str:
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value:,.0f}"


def _table(
    frame: pd.DataFrame,
    *,
    default: str = "text",
    total: bool = False,
    interval: float | None = None,
    headers: Mapping[str, str] | None = None,
    kinds: list[str] | None = None,
) -> str:
    """A frame as an HTML table: plain-English headers (:func:`.labels.label`, or
    ``headers``), values formatted by kind (£, years, counts), numbers right-aligned and
    text left-aligned, everything escaped.

    Args:
        frame: The table, with code-named columns.
        default: Kind of the columns the label table does not know (pivot values).
        total: Whether to add a totals row (:func:`.tables.with_total`).
        interval: Coverage of the forecast interval, named in interval headers.
        headers: Headers to use instead of the label table's, by column.
        kinds: Each row's kind for every value column (a table of figures as rows).
    """
    if total:
        frame = tables.with_total(frame, default)
    headers = headers or {}
    col_kinds = [labels.kind(c, default) for c in frame.columns]
    numeric = [k in labels.EXCEL_FORMATS for k in col_kinds]
    if kinds is not None:  # figures as rows: the first column is text, the rest by row
        numeric = [False] + [True] * (len(frame.columns) - 1)
    head = "".join(
        f"<th{' class=num' if num else ''}>"
        f"{html.escape(headers.get(str(c)) or labels.label(c, interval=interval))}</th>"
        for c, num in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    last = len(frame) - 1
    for i, values in enumerate(frame.itertuples(index=False)):
        hows = col_kinds if kinds is None else [col_kinds[0]] + [kinds[i]] * (len(values) - 1)
        cells = "".join(
            f"<td{' class=num' if num else ''}>{html.escape(labels.format_value(v, how))}</td>"
            for v, how, num in zip(values, hows, numeric, strict=True)
        )
        opening = '<tr class="total">' if total and i == last else "<tr>"
        rows.append(f"{opening}{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _card(label: str, value: str) -> str:
    return f'<div class="card">{html.escape(label)}<b>{html.escape(value)}</b></div>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _band_line(banded: pd.DataFrame, year: int) -> str:
    """One line on top-up paid by funding band in ``year`` (its total and each band's)."""
    last = banded[banded["year"] == year].groupby("band", sort=False)["top_up_cost"].sum()
    shares = ", ".join(f"{html.escape(str(b))} {_money(float(v))}" for b, v in last.items())
    return (
        f'<p class="note">Top-up by funding band, {year}: {_money(float(last.sum()))} '
        f"({shares}); every year by band and tier in <code>top_up_by_band.csv</code> and the "
        "workbook's Top-up by band sheet.</p>"
    )


def title(summary: Mapping[str, object]) -> str:
    """The report's title: the council's name where the scenario gives it, else the
    scenario's."""
    council = str(summary.get("council") or "").strip()
    return council or str(summary.get("scenario", ""))


def _figures_table(result: Result) -> str:
    """The headline figures as rows: base year recorded, then five and ten years on."""
    figures = tables.summary_figures(result)
    base = str(result.summary["base_year"])
    shown = figures.drop(columns="kind").astype(object)
    shown[base] = [
        "not modelled" if v is None and k != "text" else v
        for v, k in zip(shown[base], figures["kind"], strict=True)
    ]
    headers = {"figure": "Figure", base: f"{base} (recorded, January)"}
    for y in tables.summary_years(result):
        headers[str(y)] = f"{y} (projected)"
    return _table(shown, headers=headers, kinds=list(figures["kind"]))


def _base_year_cost_note(s: Mapping[str, Any]) -> str:
    """What the base year's money is: its recorded placements at the model's prices
    (``base_year_hnb_cost``), beside the council's own figure where the scenario gives it."""
    if s.get("base_year_hnb_cost") is None:
        return "The base year is recorded; the model does not cost it."
    text = (
        "The base year is recorded: its High Needs Block cost is its recorded placements at "
        "the model's prices (its transport is not costed)"
    )
    council = s.get("council_base_year_hnb_cost")
    if council is None:
        return (
            text + "; the scenario gives no council figure to check it against "
            "(reference.base_year_hnb_cost_gbp)."
        )
    text += f"; the council's own figure is {_money(float(council))}"
    diff = s.get("base_year_hnb_cost_difference")
    if diff is not None:
        text += f", the model {abs(diff):.1%} {'above' if diff >= 0 else 'below'} it"
    return text + "."


def _summary(result: Result, interval: float | None) -> list[str]:
    """The one-page summary: headline figures beside the High Needs Block, the gap by need
    and phase beside the most valuable places and the capital options chosen."""
    s = result.summary
    years = s["plan_years"]
    parts = ['<section class="first">', "<h2>Summary</h2>"]
    public = "disclosure" in s  # child-years count children: 1-4 shown as c

    def child_years(key: str, places: int) -> str:
        value = float(s.get(key, 0.0))
        return tables.published_text(value) if public else f"{value:,.{places}f}"

    cards = [
        _card(
            f"Sufficiency gap, {years[0]}–{years[-1]}",
            f"{child_years('total_shortfall', 0)} child-years placed by the market",
        ),
        _card(
            f"Cost to the council, {years[0]}–{years[-1]}",
            _money(float(s.get("total_cost", 0.0))),
        ),
    ]
    if "unmitigated_total_cost" in s:
        saving = float(s["unmitigated_total_cost"]) - float(s["total_cost"])
        card = _money(saving)
        schools = float(s.get("school_cost_against_unmitigated") or 0.0)  # null: not modelled
        if abs(schools) >= 0.5:
            card += f" (schools' notional SEN budgets {'+' if schools > 0 else '−'}"
            card += f"{_money(abs(schools))})"
        cards.append(_card("Saving to the council against the unmitigated run", card))
    if "unlawful" in s:
        cards.append(
            _card("No place at all (unlawful)", f"{child_years('total_no_place', 1)} child-years")
        )
    parts.append(f'<div class="cards">{"".join(cards)}</div>')
    figures = [
        "<h3>Headline figures</h3>",
        _figures_table(result),
        _note(
            "January census counts of children and young people with an EHC plan unless said "
            f"to be on SEN support (no plan). {_base_year_cost_note(result.summary)} "
            "£ a year at each year's prices."
        ),
    ]
    block = tables.hnb_against_cost(result)
    money = ["<h3>Cost to the council against the High Needs Block</h3>"]
    if not block.empty:
        money.append(_table(block, default="money"))
        if block["hnb_allocation"].isna().all():
            money.append(
                _note(
                    "No High Needs Block allocation given (returns."
                    "hnb_allocation_gbp_by_financial_year): the balance is unknown."
                )
            )
        elif block["balance_carried_forward"].isna().all():
            money.append(
                _note(
                    "No opening balance given (returns.opening_balance_gbp: the reserve or "
                    "deficit brought forward): the cumulative balance is unknown, the "
                    "in-year surplus or deficit stands."
                )
            )
    else:
        money.append(_note("The DfE returns were not made for this run."))
    gap = tables.gap_by_need_and_phase(result)
    need = ["<h3>Sufficiency gap by need and phase (children placed by the market)</h3>"]
    if len(gap) > 1:  # published: whole children (disclosure control)
        need.append(_table(gap, default="children" if "disclosure" in s else "children_1dp"))
    elif "disclosure" in s:  # counts rounded to whole children
        need.append(_note("No whole child with a plan is in the gap in these years."))
    else:
        need.append(_note("Every child with a plan has a local place in these years."))
    valuable = tables.valuable_places(result).head(3)
    built = tables.builds_summary(result, built_only=True)
    places = ["<h3>The three most valuable places to add</h3>"]
    if valuable.empty:
        places.append(_note("No setting with limited places is full."))
    else:
        places.append(_table(valuable[["name", "tier", "value_per_place", "first_year_valuable"]]))
    places.append("<h3>Capital options chosen</h3>")
    if built.empty:
        places.append(_note("No capital option is built (or the scenario has none)."))
    else:
        cols = ["option", "open_year", "places", "capital_cost", "net_saving", "payback_years"]
        places.append(_table(built[[c for c in cols if c in built.columns]]))
    for left, right in ((figures, money), (need, places)):
        parts.append(
            f'<div class="grid"><div>{"".join(left)}</div><div>{"".join(right)}</div></div>'
        )
    parts.append("</section>")
    return parts


def _by_tier(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A by-tier table without an empty mainstream column, and whether it was dropped."""
    empty = "mainstream" in tables.empty_tiers(frame)
    return (frame.drop(columns="mainstream") if empty else frame), empty


def _assumptions(result: Result) -> list[str]:
    frame = tables.assumptions(result)
    parts = ["<section>", "<h2>Assumptions</h2>"]
    if frame.empty:
        parts.append(
            "<p>None listed: the run's summary names no value the model used in place of "
            "the council's data.</p>"
        )
    else:
        parts.append(
            _note(
                "Values the model used that the council's data did not give, and how to "
                "replace each with the council's own."
            )
        )
        parts.append(
            _table(
                frame,
                headers={
                    "what": "What",
                    "value": "Value used",
                    "why": "Why",
                    "how_to_replace": "How to replace it",
                },
            )
        )
    missing = tables.not_modelled(result)
    if not missing.empty:
        parts += [
            "<h3>Not modelled</h3>",
            _note(
                "Quantities no input covers: every table reads them as "
                f"\u201c{labels.NOT_MODELLED}\u201d, never 0."
            ),
            _table(
                missing,
                headers={"what": "What", "why": "Why", "how_to_model": "How to model it"},
            ),
        ]
    notes = result.summary.get("forecast_warnings", [])
    if notes:
        items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notes)
        parts += ["<h3>Forecast warnings</h3>", f"<ul>{items}</ul>"]
    parts.append("</section>")
    return parts


def render(result: Result, images: dict[str, bytes]) -> str:
    """The report as an HTML string.

    Args:
        result: The run.
        images: PNG bytes of the charts by name (see :data:`.plots.CHARTS`).
    """
    s = result.summary
    years = s["plan_years"]
    by_year = tables.headline(result)
    shown_by_year, year_totals = tables.published(result, "headline", by_year)
    gap, gap_totals = tables.published(result, "gap_by_need", tables.gap_by_need(result))
    interval = tables.interval_level(result)
    name = title(s)
    scenario = str(s.get("scenario", ""))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(name)}: SEND sufficiency</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(name)}: SEND sufficiency and high needs</h1>",
        f'<p class="lede">Scenario <b>{html.escape(scenario)}</b>'
        f"{': ' + html.escape(str(s.get('description', ''))) if s.get('description') else ''}"
        "</p>",
        f'<p class="note">Base year {s["base_year"]} (January census, recorded); plan years '
        f"{years[0]}–{years[-1]}. Children are counts of children and young people with an "
        "EHC plan unless said to be on SEN support (no plan): whole numbers, except the "
        "sufficiency gap and children moved, to one decimal; costs are £ a year at each "
        f"year's prices. Intervals are {html.escape(labels.interval_name(interval))}s of the "
        "projection.</p>",
    ]
    parts += _summary(result, interval)
    shown = [n for n in CHARTS if n in images]
    if shown:
        parts += ["<section>", "<h2>Charts</h2>"]  # each chart carries its own title
        for chart in shown:
            data = base64.b64encode(images[chart]).decode("ascii")
            parts.append(
                f'<figure><img alt="{html.escape(CHARTS[chart])}" width="800" '
                f'src="data:image/png;base64,{data}"></figure>'
            )
        parts.append("</section>")
    heads = tables.headline_parts(result, shown_by_year)
    plans = heads["children"]
    if "no_place" in plans and _all_zero(plans["no_place"]):  # the market places everyone
        heads["children"] = plans.drop(columns="no_place")
    parts += [
        "<section>",
        "<h2>Headline figures by year</h2>",
        "<h3>Children with an EHC plan</h3>",
        _table(heads["children"], default="children", total=year_totals, interval=interval),
        "<h3>Cost by payer (£ a year)</h3>",
        _table(heads["money"], default="money", total=year_totals, interval=interval),
    ]
    if "hnb_components" in heads:
        parts += [
            "<h3>Cost by component (£ a year)</h3>",
            _table(heads["hnb_components"], default="money", total=year_totals),
        ]
    if "sen_support" in heads:
        parts += [
            "<h3>Children on SEN support (no plan)</h3>",
            _table(heads["sen_support"], default="children", interval=interval),
        ]
    parts.append("</section>")
    plans, dropped = _by_tier(tables.published(result, "by_tier", tables.by_tier(result))[0])
    parts += [
        "<section>",
        "<h2>Where children are placed</h2>",
        "<h3>Children with an EHC plan placed by tier</h3>",
        _table(plans, default="children", headers=labels.PLAN_TIER_LABELS),
    ]
    if dropped:
        parts.append(_note(labels.EMPTY_MAINSTREAM_NOTE))
    on_support = tables.sen_support_by_tier(result)  # not modelled: said in the headline
    if float(pd.to_numeric(on_support["total"], errors="coerce").fillna(0.0).sum()) > 0:
        support = tables.published(result, "sen_support_by_tier", on_support)[0]
        support = support.drop(
            columns=[t for t in tables.empty_tiers(support) if t != "sen_support"]
        )
        parts += [
            "<h3>Children on SEN support (no plan) placed by tier</h3>",
            _table(support, default="children", headers=labels.SUPPORT_TIER_LABELS),
            _note(
                "Tiers with no child on SEN support are left out. Those kept in mainstream "
                "for want of a place at their level count in the SEN support tier."
            ),
        ]
    capacity = tables.published(result, "capacity_by_tier", tables.capacity_by_tier(result))[0]
    parts += [
        "<h3>Capacity of settings with limited places</h3>",
        _note(
            "Settings with a number of places only: mainstream schools without a limit and "
            "out-of-area lines with no commissioned places are not counted, so 'full' means "
            "places all used."
        ),
        _table(capacity),
        "</section>",
        "<section>",
        "<h2>Sufficiency gap</h2>",
        _note(
            "Children with a plan the register's commissioned places cannot take, placed by "
            "the market of last resort (independent or out-of-area places at the market "
            "price), by primary need and year."
        ),
        _table(
            gap.drop(columns=[c for c in gap.columns if _all_zero(gap[c])]),
            default="children_1dp",
            total=gap_totals,
        ),
        "<h3>SCAP SEND return: commissioned specialist places by provision type</h3>",
        _note(returns.note(result)),
    ]
    scap = returns.scap_by_year(result)
    if "disclosure" in s and not scap.empty:  # the gap counts children: not published
        scap = scap.drop(columns="gap")
    if not scap.empty:
        parts.append(
            _note(
                f"{returns.SCAP_NOTE} The whole council by year; by phase and planning area in "
                "the workbook's SCAP sheet and scap_places.csv."
            )
        )
        parts.append(_scap_table(scap))
    valuable = tables.valuable_places(result)
    if not valuable.empty:
        parts += [
            "<h3>Most valuable places to add</h3>",
            _note(
                "£ a year one more place would save: the market price and transport it "
                "avoids, less the local cost, from a money-only solve of each year (policy "
                "weights are never counted as money)."
            ),
            _table(valuable),
        ]
    banded = tables.top_up_by_band(result)
    if not banded.empty:
        parts += ["<h3>Top-up by funding band</h3>", _band_line(banded, years[-1])]
    parts.append("</section>")
    capital = tables.builds_summary(result)
    if not capital.empty:
        parts += [
            "<section>",
            "<h2>Capital options</h2>",
            _note(
                "Savings are £ over the plan years against the same plan without the option "
                "(the other decisions as taken); the gap avoided is the child-years the market "
                "of last resort would place without it (with no place at all where the market "
                "is off); payback is capital cost over the yearly running-cost saving."
                + _optimality_sentence(result.summary.get("capital", {}))
            ),
            _table(capital),
        ]
        served = tables.builds_served(result)
        if not served.empty:
            parts += [
                "<h3>Children served by each option built</h3>",
                _table(
                    served,
                    default="children" if "disclosure" in result.summary else "children_1dp",
                    headers={c: c for c in served.columns[1:]},
                ),
            ]
        spread = result.uncertainty
        if spread is not None and spread.build_draws is not None:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in spread.build_headlines())
            parts += [
                "<h3>Capital options across forecast futures</h3>",
                _note(
                    f"Each option against {spread.draws.n} forecast draws, every other build "
                    "as the plan chose (uncertainty_builds.csv has every year)."
                ),
                f"<ul>{items}</ul>",
            ]
        parts.append("</section>")
    parts += _assumptions(result)
    parts += [
        '<section class="appendix">',
        "<h2>Appendix: how this run was made</h2>",
        _note("Solver, model size, timings and the input files' hashes, for checking."),
        _table(tables.about(result), headers={"Item": "Item", "Value": "Value"}),
        "</section>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _scap_table(frame: pd.DataFrame) -> str:
    """The SCAP places by year: places whole, the gap (children) to one decimal, the base
    year's changes blank."""
    shown = frame.astype(object)
    for column in frame.columns[1:]:
        how = "children_1dp" if column == "gap" else "whole"
        shown[column] = [labels.format_value(v, how) for v in frame[column]]
    return _table(shown, default="whole", headers=returns.SCAP_BY_YEAR_HEADERS)


def _all_zero(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce")
    return bool(values.notna().all() and (values.abs() < 0.05).all())


def write_html(result: Result, path: str | Path, images: dict[str, bytes]) -> Path:
    """Write the report to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render(result, images), encoding="utf-8")
    return path


def _places_last_year(result: Result) -> float:
    """Places in settings with a limited number of places in the last plan year (the
    register's and the capital options built; the market's none)."""
    c = result.capacity
    last = c[(c["year"] == c["year"].max()) & (c["places"].fillna(0.0) > 0)]
    return float(last["places"].sum())


def comparison_figures(
    results: list[Result], published: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Scenarios side by side over the plan years: one row per figure (cost, the gap, out
    of area, places), one column per scenario, and each scenario against the first. With
    ``published`` (the comparison under disclosure control) its counts of children are
    those published figures, and their differences are between them."""
    rows: list[tuple[str, str, list[Any]]] = []

    def add(figure: str, how: str, values: list[Any]) -> None:
        rows.append((figure, how, values))

    s = [r.summary for r in results]
    if published is not None:

        def public(column: str, year: object) -> list[Any]:
            at = published[published["year"].astype(str) == str(year)].set_index("scenario")
            return [at.loc[str(x["scenario"]), column] for x in s]

        last = s[0]["plan_years"][-1]
        gap, away = public("shortfall", TOTAL), public("out_of_area", last)
        plans = public("ehc_plans", last)
    else:
        gap = [x["total_shortfall"] for x in s]
        away = [x["by_year"][-1]["out_of_area"] for x in s]
        plans = [x["by_year"][-1]["ehc_plans"] for x in s]
    add("Cost to the council over the plan years, £", "money", [x["total_cost"] for x in s])
    add("High Needs Block over the plan years, £", "money", [x["total_hnb_cost"] for x in s])
    add(
        "Transport over the plan years (general fund), £",
        "money",
        [x["total_transport_cost"] for x in s],
    )
    add(
        "Sufficiency gap over the plan years (child-years placed by the market)",
        "children_1dp" if published is None else "children",
        gap,
    )
    add(f"Placed out of area in {s[0]['plan_years'][-1]}", "children", away)
    add(f"Children with an EHC plan in {s[0]['plan_years'][-1]}", "children", plans)
    add(
        f"Places in settings with a limit in {s[0]['plan_years'][-1]}",
        "whole",
        [_places_last_year(r) for r in results],
    )
    add(
        "Places added by capital options built",
        "whole",
        [
            float(r.builds.loc[r.builds["built"].astype(bool), "places"].sum())
            if not r.builds.empty
            else 0.0
            for r in results
        ],
    )
    names = [str(x["scenario"]) for x in s]
    frame = pd.DataFrame(
        {
            "figure": [r[0] for r in rows],
            **{n: [r[2][i] for r in rows] for i, n in enumerate(names)},
        }
    )
    for name in names[1:]:
        frame[f"{name} against {names[0]}"] = [
            difference(a, b) for a, b in zip(frame[name], frame[names[0]], strict=True)
        ]
    frame.attrs["kinds"] = [r[1] for r in rows]
    return frame


def render_comparison(
    results: list[Result], table: pd.DataFrame, published: pd.DataFrame | None = None
) -> str:
    """The comparison of scenarios as one page: the figures side by side, then cost, the
    gap and out of area by year (years as rows, scenarios across).

    Args:
        results: The runs, the first the reference.
        table: The comparison table (one row per scenario and year).
        published: The comparison under disclosure control, where the scenarios are under
            it (:func:`~sufficiency.postprocess.comparison.published_comparison`): its
            counts of children are shown instead of the working figures.
    """
    first = results[0].summary
    name = title(first)
    figures = comparison_figures(results, published)
    scenarios = [str(r.summary["scenario"]) for r in results]
    wide = len(scenarios) * 2 > 9  # too many columns beside each other: differences apart
    disclosed = any("disclosure" in r.summary for r in results)  # the page is not
    shown = figures[["figure", *scenarios]] if wide else figures
    headers = {"figure": "Figure", **{c: c for c in figures.columns[1:]}}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(name)}: scenarios compared</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(name)}: scenarios compared</h1>",
        '<p class="lede">'
        + ", ".join(f"<b>{html.escape(n)}</b>" for n in scenarios)
        + f"; differences against <b>{html.escape(scenarios[0])}</b>.</p>",
        *([_note(_disclosure_words(published))] if disclosed else []),
        '<section class="first">',
        "<h2>Side by side</h2>",
        _table(shown, headers=headers, kinds=figures.attrs["kinds"]),
    ]
    if wide:
        diffs = figures[["figure", *[c for c in figures.columns if " against " in c]]]
        parts += [
            "<h3>Against the first</h3>",
            _table(diffs, headers=headers, kinds=figures.attrs["kinds"]),
        ]
    parts.append("</section>")
    for column, words, how in (
        ("total_cost", "Cost to the council by year (£)", "money"),
        ("shortfall", "Sufficiency gap by year (children placed by the market)", "children_1dp"),
        ("out_of_area", "Placed out of area by year", "children"),
    ):
        source = table
        if published is not None and column != "total_cost":  # counts: as published
            source = published[published["year"].astype(str) != TOTAL]
            how = "children"
        by_year = source.pivot(index="year", columns="scenario", values=column)
        by_year = by_year.reindex(columns=scenarios).reset_index()
        by_year.columns.name = None
        parts += [
            "<section>",
            f"<h2>{html.escape(words)}</h2>",
            _table(by_year, default=how, headers={n: n for n in scenarios}),
            "</section>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def _disclosure_words(published: pd.DataFrame | None) -> str:
    """What the page of disclosed scenarios says of its figures."""
    if published is None:  # the working figures of disclosed scenarios (a notebook's page)
        return labels.WORKING_FIGURES
    from ..postprocess.comparison import PUBLISHED_NOTE

    return PUBLISHED_NOTE


def write_comparison_html(
    results: list[Result],
    table: pd.DataFrame,
    path: str | Path,
    published: pd.DataFrame | None = None,
) -> Path:
    """Write the comparison page to ``path`` (UTF-8); returns the path. ``published`` as
    for :func:`render_comparison`."""
    path = Path(path)
    path.write_text(render_comparison(results, table, published), encoding="utf-8")
    return path
