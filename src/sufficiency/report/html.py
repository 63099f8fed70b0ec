"""The HTML report of a run: one self-contained page (charts embedded) for a board pack.

Every text taken from the scenario or the inputs is escaped; tables come from
:mod:`.tables`, so the page shows the same figures as the workbook and the CSV files.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import labels, returns, tables
from .plots import CHARTS

if TYPE_CHECKING:
    from ..results import Result

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2rem auto;
       max-width: 64rem; color: #1b1b1b; line-height: 1.4; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.lede { color: #444; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 11rem; }
.card b { display: block; font-size: 1.3rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #ddebf7; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; background: #f2f2f2; }
figure { margin: 1rem 0; }
img { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.85rem; }
"""


def _money(value: float) -> str:
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value:,.0f}"


def _table(
    frame: pd.DataFrame,
    *,
    default: str = "text",
    total: bool = False,
    interval: float | None = None,
) -> str:
    """A frame as an HTML table in a scrolling wrapper: plain-English headers
    (:func:`.labels.label`), values formatted by kind (£, years, counts), numbers
    right-aligned and text left-aligned, everything escaped.

    Args:
        frame: The table, with code-named columns.
        default: Kind of the columns the label table does not know (pivot values).
        total: Whether to add a totals row (:func:`.tables.with_total`).
        interval: Coverage of the forecast interval, named in interval headers.
    """
    if total:
        frame = tables.with_total(frame, default)
    kinds = [labels.kind(c, default) for c in frame.columns]
    numeric = [k in labels.EXCEL_FORMATS for k in kinds]
    head = "".join(
        f"<th{' class=num' if num else ''}>{html.escape(labels.label(c, interval=interval))}</th>"
        for c, num in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    last = len(frame) - 1
    for i, values in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f"<td{' class=num' if num else ''}>{html.escape(labels.format_value(v, how))}</td>"
            for v, how, num in zip(values, kinds, numeric, strict=True)
        )
        opening = '<tr class="total">' if total and i == last else "<tr>"
        rows.append(f"{opening}{cells}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _card(label: str, value: str) -> str:
    return f'<div class="card">{html.escape(label)}<b>{html.escape(value)}</b></div>'


def _band_line(banded: pd.DataFrame, year: int) -> str:
    """One line on top-up paid by funding band in ``year`` (its total and each band's)."""
    last = banded[banded["year"] == year].groupby("band", sort=False)["top_up_cost"].sum()
    shares = ", ".join(f"{html.escape(str(b))} {_money(float(v))}" for b, v in last.items())
    return (
        f'<p class="note">Top-up by funding band, {year}: {_money(float(last.sum()))} '
        f"({shares}); every year by band and tier in <code>top_up_by_band.csv</code> and the "
        "workbook's Top-up by band sheet.</p>"
    )


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
    first, last = by_year.iloc[0], by_year.iloc[-1]
    interval = tables.interval_level(result)
    cards = [
        _card(f"EHC plans, {s['base_year']}", f"{s.get('base_year_ehc_plans', 0):,.0f}"),
        _card(
            f"EHC plans, {years[-1]} (projected)",
            f"{last['ehc_plans']:,.0f} ({labels.interval_name(interval)} "
            f"{last['ehc_plans_lower']:,.0f}–{last['ehc_plans_upper']:,.0f})",
        ),
        _card(f"Cost to the council, {years[0]}", _money(float(first["total_cost"]))),
        _card(f"Cost to the council, {years[-1]}", _money(float(last["total_cost"]))),
        _card(
            f"High Needs Block, {years[-1]}",
            _money(float(last.get("hnb_cost", 0.0)))
            + f" (schools' notional SEN budgets {_money(float(last.get('school_cost', 0.0)))})",
        ),
        _card(
            f"Sufficiency gap, {years[0]}–{years[-1]}",
            f"{s.get('total_shortfall', 0):,.1f} child-years placed by the market",
        ),
    ]
    if "unmitigated_total_cost" in s:
        saving = s["unmitigated_total_cost"] - s["total_cost"]
        card = _money(saving)
        schools = float(s.get("school_cost_against_unmitigated", 0.0))
        if abs(schools) >= 0.5:
            card += f" (schools' notional SEN budgets {'+' if schools > 0 else '−'}"
            card += f"{_money(abs(schools))})"
        cards.append(_card("Saving to the council against the unmitigated run", card))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(str(s.get('scenario', '')))} – SEND sufficiency</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>SEND sufficiency: {html.escape(str(s.get('scenario', '')))}</h1>",
        f'<p class="lede">{html.escape(str(s.get("description", "")))}</p>',
        f'<p class="note">Base year {s["base_year"]}; plan years {years[0]}–{years[-1]}. '
        "Children are counts of children and young people with an EHC plan unless said to be "
        "on SEN support (no plan): whole numbers, "
        "except the sufficiency gap and those moved, to one decimal; costs are £ a year at "
        "each year's prices. Intervals are "
        f"{html.escape(labels.interval_name(interval))}s of the projection.</p>",
        f'<div class="cards">{"".join(cards)}</div>',
    ]
    shown = [name for name in CHARTS if name in images]
    if shown:
        parts.append("<h2>Charts</h2>")  # each chart carries its own title
    for name in shown:
        data = base64.b64encode(images[name]).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(CHARTS[name])}" width="800" '
            f'src="data:image/png;base64,{data}"></figure>'
        )
    parts += [
        "<h2>Headline figures by year</h2>",
        _table(shown_by_year, default="children", total=year_totals, interval=interval),
        "<h2>Children with an EHC plan placed by tier</h2>",
        _table(tables.published(result, "by_tier", tables.by_tier(result))[0], default="children"),
    ]
    on_support = tables.sen_support_by_tier(result)
    if float(on_support["total"].sum()) > 0:
        parts += [
            "<h2>Children on SEN support placed by tier</h2>",
            _table(
                tables.published(result, "sen_support_by_tier", on_support)[0],
                default="children",
            ),
        ]
    parts += [
        "<h2>Sufficiency gap by need</h2>",
        _table(gap, default="children_1dp", total=gap_totals),
        "<h2>SCAP SEND return: specialist places by provision type and phase</h2>",
        f'<p class="note">{html.escape(returns.note(result))}</p>',
        _table(returns.wide(result, "scap", "phase", areas=False), default="children"),
        "<h2>Capacity of settings with limited places</h2>",
        _table(tables.published(result, "capacity_by_tier", tables.capacity_by_tier(result))[0]),
    ]
    banded = tables.top_up_by_band(result)
    if not banded.empty:
        parts += ["<h2>Top-up by funding band</h2>", _band_line(banded, years[-1])]
    valuable = tables.valuable_places(result)
    if not valuable.empty:
        parts += [
            "<h2>Most valuable places to add</h2>",
            '<p class="note">£ a year one more place would save: the market price and '
            "transport it avoids, less the local cost, from a money-only solve of each year "
            "(policy weights are never counted as money).</p>",
            _table(valuable),
        ]
    capital = tables.builds(result)
    if not capital.empty:
        parts += ["<h2>Capital options</h2>", _table(capital)]
    spread = result.uncertainty
    if spread is not None and spread.build_draws is not None:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in spread.build_headlines())
        parts += [
            "<h2>Capital options across forecast futures</h2>",
            f'<p class="note">Each option against {spread.draws.n} forecast draws, every other '
            "build as the plan chose (uncertainty_builds.csv has every year).</p>",
            f"<ul>{items}</ul>",
        ]
    notes = result.summary.get("forecast_warnings", [])
    if notes:
        items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notes)
        parts += ["<h2>Forecast warnings</h2>", f"<ul>{items}</ul>"]
    parts += ["<h2>About this run</h2>", _table(tables.about(result)), "</body></html>"]
    return "\n".join(parts)


def write_html(result: Result, path: str | Path, images: dict[str, bytes]) -> Path:
    """Write the report to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render(result, images), encoding="utf-8")
    return path
