"""Fan charts of the allocation over forecast draws: cost, and places needed against places."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data.inputs import MARKET
from ..postprocess.draws import Uncertainty
from .plots import _figure, _money_unit

#: Chart names with their titles.
FAN_CHARTS: dict[str, str] = {
    "uncertainty_cost": "Cost of provision across forecast futures",
    "uncertainty_places": "Children needing a limited place, against those places",
}

#: Bands drawn, widest first: (lower, upper) quantiles and opacity.
_BANDS = ((0.05, 0.95, 0.15), (0.2, 0.8, 0.3))


def _fan(ax: Axes, years: np.ndarray, values: np.ndarray, colour: str, what: str) -> None:
    for lo, hi, alpha in _BANDS:
        low, high = np.quantile(values, [lo, hi], axis=0)
        label = f"{round(100 * lo)}–{round(100 * hi)}% of futures ({what})"
        ax.fill_between(years, low, high, color=colour, alpha=alpha, lw=0, label=label)
    ax.plot(years, np.median(values, axis=0), color=colour, marker="o", label=f"Median ({what})")


def fan_charts(result: Uncertainty) -> dict[str, Figure]:
    """The fan charts by name (see :data:`FAN_CHARTS`)."""
    draws = result.draws
    years = draws.years
    fig_cost, ax = _figure(FAN_CHARTS["uncertainty_cost"])
    scale, unit = _money_unit(float(np.nanmax(draws.total_cost, initial=0.0)))
    _fan(ax, years, draws.total_cost / scale, "#0072B2", "cost to the council")
    _fan(ax, years, draws.hnb_cost / scale, "#009E73", "High Needs Block")
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    fig_places, ax = _figure(FAN_CHARTS["uncertainty_places"])
    # children needing a place where places are limited (not unlimited mainstream), the
    # gap included, against those places: like against like
    limited = np.isfinite(draws.places) & (draws.settings != MARKET)[None, :]
    needing = (draws.placed * limited[None, :, :]).sum(axis=2) + draws.market + draws.no_place
    _fan(ax, years, needing, "#0072B2", "children needing a limited place")
    places = result.by_year["register_places"].to_numpy(dtype=float)
    ax.step(
        years,
        places,
        where="mid",
        color="black",
        label="Places in settings with a limit (mainstream has none)",
    )
    _fan(ax, years, draws.gap, "#CC79A7", "places to commission")
    ax.set_ylabel("Children")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return {"uncertainty_cost": fig_cost, "uncertainty_places": fig_places}
