"""Charts of a run, drawn with matplotlib's object interface (no pyplot, no global state).

Each chart is a :class:`matplotlib.figure.Figure`; :func:`charts` returns them by name,
for a notebook to show or a report to save. Nothing here changes matplotlib's settings.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from .. import taxonomy
from . import labels, tables

if TYPE_CHECKING:
    from ..results import Result

#: Tier colours, least to most specialist (colour-blind safe, Okabe–Ito).
TIER_COLOURS: dict[str, str] = {
    "mainstream": "#56B4E9",
    "sen_support": "#009E73",
    "partnership": "#F0E442",
    "enhanced_resource": "#E69F00",
    "special_school": "#0072B2",
    "independent": "#D55E00",
}
#: Need colours: thirteen distinct hues (the largest needs get the strongest), NSA pale.
NEED_COLOURS: dict[str, str] = {
    "ASD": "#1f77b4",
    "SEMH": "#d62728",
    "SLCN": "#ff7f0e",
    "MLD": "#2ca02c",
    "SLD": "#9467bd",
    "PMLD": "#e377c2",
    "SPLD": "#17becf",
    "HI": "#7f7f7f",
    "VI": "#8c564b",
    "MSI": "#222222",
    "PD": "#ffd92f",
    "DS": "#bcbd22",
    "OTH": "#c7c7c7",
    "NSA": "#e5e5e5",
}
_GAP = "#CC79A7"
_SIZE = (8.0, 4.5)
#: Resolution of the saved PNG files (print quality); an SVG copy is saved beside each.
DPI = 200

#: Chart names in report order, with their titles.
CHARTS: dict[str, str] = {
    "ehc_plans": "Children and young people with an EHC plan",
    "placements_by_tier": "Where children with an EHC plan are placed, by tier",
    "cost": "Cost of placements",
    "sufficiency_gap": "Sufficiency gap: children placed by the market, by need",
}


class Chart(Figure):
    """A matplotlib figure that shows itself in Jupyter (as PNG) with no ``%matplotlib``
    magic and no pyplot: return it from a cell and the picture appears."""

    def _repr_png_(self) -> bytes:
        return png(self)


class _Numbers(Formatter):
    """Tick labels with thousands separators and the decimals the ticks' step needs: ticks
    fall on 1, 2 or 5 × 10^k (:func:`_figure`), so a step of 0.2 reads 0.2, 0.4, … where
    whole numbers read 0, 0, 0, 1 (a small council's chart)."""

    _ticks: tuple[float, ...] = ()

    def set_locs(self, locs: Sequence[float]) -> None:
        self._ticks = tuple(float(v) for v in locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        locs = np.sort(np.asarray(self._ticks, dtype=float))
        steps = np.diff(locs)
        step = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
        decimals = max(0, int(-np.floor(np.log10(step) + 1e-9)))
        return f"{x:,.{decimals}f}"


def _figure(title: str) -> tuple[Figure, Axes]:
    fig = Chart(figsize=_SIZE)
    # fixed margins: a layout engine would cost more time than the whole chart
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.09)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(_Numbers())
    return fig, ax


def _money_unit(largest: float) -> tuple[float, str]:
    """Divisor and axis label for pounds a year whose largest bar is ``largest``: £ million,
    or £ thousand below £1 million (a small council's costs read 0, 0, 0 in millions)."""
    return (1e6, "£ million a year") if largest >= 1e6 else (1e3, "£ thousand a year")


def ehc_plans(result: Result) -> Figure:
    """EHC plans: recorded history (where the inputs are at hand) and the projection with
    its interval."""
    fig, ax = _figure(CHARTS["ehc_plans"])
    by_year = tables.headline(result)
    years = by_year["year"].to_numpy()
    inputs = result.extras.get("inputs")
    if inputs is not None:
        history = inputs.caseload.groupby("year")["children"].sum()
        history = history[history.index <= result.summary["base_year"]]
        # above the projection, which starts from the base year's count: a history of one
        # January is that one point, and the projection's marker hid it
        ax.plot(
            history.index,
            history.to_numpy(),
            color="black",
            marker="o",
            label="Recorded",
            zorder=3,
        )
        # join the projection to the base year's count
        years = np.concatenate([[history.index[-1]], years])
        base = float(history.iloc[-1])
    else:
        base = None

    def joined(column: str) -> np.ndarray:
        values = by_year[column].to_numpy(dtype=float)
        return values if base is None else np.concatenate([[base], values])

    ax.fill_between(
        years,
        joined("ehc_plans_lower"),
        joined("ehc_plans_upper"),
        color="#0072B2",
        alpha=0.2,
        label=labels.interval_name(tables.interval_level(result)).capitalize()
        + " of the projection",
    )
    ax.plot(years, joined("ehc_plans"), color="#0072B2", marker="o", label="Projected")
    ax.set_ylabel("Children")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
    return fig


def placements_by_tier(result: Result) -> Figure:
    """Children placed in each tier per plan year (stacked), and any with no place at all."""
    fig, ax = _figure(CHARTS["placements_by_tier"])
    table = tables.by_tier(result)
    years = table["year"].to_numpy()
    bottom = np.zeros(len(years))
    last = int(years[-1])
    empty = tables.empty_tiers(table)
    for tier in taxonomy.TIERS:
        if tier in empty:  # a tier empty by construction is said once, in the report
            continue
        values = table[tier].to_numpy(dtype=float)
        # a thin band is still seen: white edges between bands, its size in the legend
        ax.bar(
            years,
            values,
            bottom=bottom,
            color=TIER_COLOURS[tier],
            edgecolor="white",
            linewidth=0.6,
            label=f"{labels.PLAN_TIER_LABELS[tier]} ({values[-1]:,.0f} in {last})",
        )
        bottom += values
    short = result.shortfall
    gap = (
        short.groupby("year")["no_place"].sum().reindex(years, fill_value=0.0).to_numpy(float)
        if "no_place" in short
        else np.zeros(len(years))
    )
    if gap.max(initial=0.0) >= 0.5:
        ax.bar(
            years, gap, bottom=bottom, color="white", edgecolor=_GAP, hatch="//", label="No place"
        )
    ax.set_ylabel("Children")
    ax.set_xticks(years)
    ax.legend(frameon=False, ncols=2, fontsize=7, loc="upper left")  # long labels: 2 columns
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.35)
    return fig


def cost(result: Result) -> Figure:
    """Cost per plan year (£ million, or £ thousand below £1 million) by payer: the
    council's (High Needs Block and transport) stacked, schools' notional SEN budgets
    (children on SEN support) hatched on top, beside the unmitigated run's cost to the
    council."""
    fig, ax = _figure(CHARTS["cost"])
    by_year = tables.headline(result)
    years = by_year["year"].to_numpy()
    hnb = by_year["hnb_cost"].to_numpy(dtype=float)
    transport = by_year["transport_cost"].to_numpy(dtype=float)
    # schools' notional SEN budgets: drawn where modelled and above 0 ("not modelled": NaN)
    given = pd.to_numeric(by_year.get("school_cost", pd.Series(dtype=float)), errors="coerce")
    schools = given.reindex(by_year.index).fillna(0.0).to_numpy(dtype=float)
    unmitigated = (
        by_year["unmitigated_cost"].to_numpy(dtype=float)
        if "unmitigated_cost" in by_year.columns
        else None
    )
    tops = [hnb + transport + schools] + ([unmitigated] if unmitigated is not None else [])
    scale, unit = _money_unit(float(np.nanmax(np.concatenate(tops), initial=0.0)))
    hnb, transport, schools = hnb / scale, transport / scale, schools / scale
    ax.bar(years, hnb, color="#0072B2", label="High Needs Block")
    ax.bar(years, transport, bottom=hnb, color="#56B4E9", label="Transport (general fund)")
    if float(schools.sum()) > 0:
        ax.bar(
            years,
            schools,
            bottom=hnb + transport,
            color="#FFFFFF",
            edgecolor="#009E73",
            hatch="//",
            label="Schools' notional SEN budgets (not the council's)",
        )
    ax.legend(frameon=False, loc="upper left")
    if unmitigated is not None:
        ax.plot(
            years,
            unmitigated / scale,
            color="#D55E00",
            marker="o",
            label="Unmitigated cost to the council (no levers, no new places)",
        )
        ax.legend(frameon=False, loc="upper left")
    ax.set_ylabel(unit)
    ax.set_xticks(years)
    return fig


def sufficiency_gap(result: Result) -> Figure:
    """The sufficiency gap per plan year (children placed by the market), by primary need."""
    fig, ax = _figure(CHARTS["sufficiency_gap"])
    table = tables.gap_by_need(result)
    years = table["year"].to_numpy()
    needs = [c for c in table.columns if c not in ("year", "total")]
    ax.set_xticks(years)
    ax.set_ylabel("Children")
    if table["total"].max() < 0.5:
        total = float(table["total"].sum())
        said = (
            "Every child has a place"
            if total < 0.05
            else f"Under half a child a year placed by the market ({total:,.1f} child-years)"
        )
        ax.text(0.5, 0.5, said, ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])  # no scale for nothing drawn
        if len(years):
            ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        return fig
    bottom = np.zeros(len(years))
    for need in needs:
        values = table[need].to_numpy(dtype=float)
        if values.max() < 0.05:
            continue
        ax.bar(
            years,
            values,
            bottom=bottom,
            color=NEED_COLOURS.get(need, "#999999"),
            edgecolor="white",
            linewidth=0.4,
            label=need,
        )
        bottom += values
    ax.legend(frameon=False, ncols=6, fontsize=8, loc="upper left")
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.2)
    return fig


_DRAW = {
    "ehc_plans": ehc_plans,
    "placements_by_tier": placements_by_tier,
    "cost": cost,
    "sufficiency_gap": sufficiency_gap,
}


def charts(result: Result) -> dict[str, Figure]:
    """Every chart of a run, by name (see :data:`CHARTS`)."""
    return {name: _DRAW[name](result) for name in CHARTS}


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (100 dpi for a screen; :data:`DPI` to print)."""
    buffer = io.BytesIO()
    # light compression: a third faster than the default, files a little larger
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def save_charts(figures: dict[str, Figure], folder: Path) -> dict[str, bytes]:
    """Write each figure as ``<folder>/<name>.png`` (at :data:`DPI`) and
    ``<folder>/<name>.svg``; returns the PNG bytes by name."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, fig in figures.items():
        data = png(fig, dpi=DPI)
        (folder / f"{name}.png").write_bytes(data)
        with rc_context({"svg.fonttype": "none"}):  # text as text: editable, and faster
            fig.savefig(folder / f"{name}.svg", format="svg", metadata={"Date": None})
        out[name] = data
    return out


def forecast_chart(
    forecast: object, history: pd.DataFrame | None = None, by: str | None = None
) -> Figure:
    """A demand forecast's projection with its interval, whole years on the axis and the
    recorded history before it: the total, or one line per value of ``by`` ("age_band",
    "need").

    Args:
        forecast: A :class:`~sufficiency.forecast.DemandForecast` (``aggregate``, ``level``).
        history: The recorded caseload (``year``, ``children`` and ``by``), if at hand.
        by: Column to draw one line for each value of; None for the total.
    """
    level = float(getattr(forecast, "level", 0.8))
    coverage = labels.interval_name(level)
    fig, ax = _figure(f"Children with an EHC plan: recorded and projected ({coverage})")
    keys: tuple[str, ...] = (by,) if by else ()
    projected = forecast.aggregate(keys)  # type: ignore[attr-defined]
    groups = projected.groupby(by, observed=True, sort=True) if by else [(None, projected)]
    recorded = None
    if history is not None:
        past = history.assign(year=history["year"].astype(int))
        recorded = past.groupby(["year", *keys], observed=True)["children"].sum().reset_index()
    for key, part in groups:
        name = "Total" if key is None else str(key)
        line = ax.plot(part["year"], part["mean"], marker="o", ms=3, label=f"{name}, projected")[0]
        colour = line.get_color()
        ax.fill_between(part["year"], part["lower"], part["upper"], alpha=0.15, color=colour)
        if recorded is not None:
            mine = recorded if key is None else recorded[recorded[by].astype(str) == str(key)]
            ax.plot(mine["year"], mine["children"], color=colour, ls="--", marker=".", ms=3)
    if recorded is not None:
        ax.plot([], [], color="grey", ls="--", marker=".", label="Recorded (January census)")
    ax.set_ylabel("Children")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, ncols=3 if by else 1, loc="upper left")
    ax.set_ylim(top=ax.get_ylim()[1] * (1.25 if by else 1.1))
    return fig
