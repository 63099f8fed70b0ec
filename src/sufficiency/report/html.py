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

from . import tables
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
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #ddebf7; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.85rem; }
"""


def _money(value: float) -> str:
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value:,.0f}"


def _table(frame: pd.DataFrame, money: tuple[str, ...] = (), decimals: int = 0) -> str:
    """A frame as an HTML table: numbers rounded, £ columns as pounds, text escaped."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        if column in money or "£" in str(column):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"£{v:,.0f}")
        elif str(column).lower() in ("year", "year of highest value", "first year valuable"):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{int(v)}")
        else:
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.{decimals}f}")
    return shown.to_html(index=False, escape=True, border=0, na_rep="")


def _card(label: str, value: str) -> str:
    return f'<div class="card">{html.escape(label)}<b>{html.escape(value)}</b></div>'


def render(result: Result, images: dict[str, bytes]) -> str:
    """The report as an HTML string.

    Args:
        result: The run.
        images: PNG bytes of the charts by name (see :data:`.plots.CHARTS`).
    """
    s = result.summary
    years = s["plan_years"]
    by_year = tables.headline(result)
    first, last = by_year.iloc[0], by_year.iloc[-1]
    cards = [
        _card(f"EHC plans, {s['base_year']}", f"{s.get('base_year_ehc_plans', 0):,.0f}"),
        _card(
            f"EHC plans, {years[-1]} (projected)",
            f"{last['EHC plans']:,.0f} ({last['EHC plans (low)']:,.0f}–"
            f"{last['EHC plans (high)']:,.0f})",
        ),
        _card(f"Cost, {years[0]}", _money(float(first["Cost (£)"]))),
        _card(f"Cost, {years[-1]}", _money(float(last["Cost (£)"]))),
        _card(
            f"Without a place, {years[0]}–{years[-1]}",
            f"{s.get('total_shortfall', 0):,.0f} child-years",
        ),
    ]
    if "unmitigated_total_cost" in s:
        saving = s["unmitigated_total_cost"] - s["total_cost"]
        cards.append(_card("Saving against the unmitigated run", _money(saving)))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(str(s.get('scenario', '')))} – SEND sufficiency</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>SEND sufficiency: {html.escape(str(s.get('scenario', '')))}</h1>",
        f'<p class="lede">{html.escape(str(s.get("description", "")))}</p>',
        f'<p class="note">Base year {s["base_year"]}; plan years {years[0]}–{years[-1]}. '
        "Children are counts of children and young people with an EHC plan; costs are £ a "
        "year at each year's prices. Figures are rounded.</p>",
        f'<div class="cards">{"".join(cards)}</div>',
    ]
    for name, title in CHARTS.items():
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(f"<h2>{html.escape(title)}</h2>")
            parts.append(f'<img alt="{html.escape(title)}" src="data:image/png;base64,{data}">')
    parts += [
        "<h2>Headline figures by year</h2>",
        _table(by_year),
        "<h2>Children placed by tier</h2>",
        _table(tables.by_tier(result)),
        "<h2>Sufficiency gap by need</h2>",
        _table(tables.gap_by_need(result), decimals=1),
        "<h2>Capacity of settings with limited places</h2>",
        _table(tables.capacity_by_tier(result)),
    ]
    valuable = tables.valuable_places(result)
    if not valuable.empty:
        parts += [
            "<h2>Most valuable places to add</h2>",
            '<p class="note">£ a year one more place would save, from the shadow prices of '
            "the allocation (where a place also spares a child from going without a place, "
            "the value includes that penalty).</p>",
            _table(valuable),
        ]
    capital = tables.builds(result)
    if not capital.empty:
        parts += ["<h2>Capital options</h2>", _table(capital, decimals=1)]
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
