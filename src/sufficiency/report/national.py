"""The map-free ranking chart of a national sweep: every LA by gap, cost and out of area."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import Chart


def ranking_chart(national: pd.DataFrame, scenario: str = "baseline") -> Figure:
    """Three panels sharing one LA axis, ordered by gap per 1,000 plans (largest on top):
    the gap, the cost per plan and the out-of-area share.

    Args:
        national: :func:`~sufficiency.postprocess.national.national_table` (or
            :func:`~sufficiency.postprocess.national.published_national`: a figure shown
            as ``c`` has no bar).
        scenario: Which scenario's rows to draw.
    """
    figures = ["gap_per_1000_plans", "cost_per_plan", "out_of_area_share"]
    rows = national[national["scenario"] == scenario]
    # a published table's hidden figures ('c'): no bar
    rows = rows.assign(**{c: pd.to_numeric(rows[c], errors="coerce") for c in figures})
    rows = rows.sort_values("gap_per_1000_plans", ascending=True, na_position="first")
    n = max(len(rows), 1)
    fig = Chart(figsize=(11.0, 1.5 + 0.16 * n))
    fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.9 / (1.5 + 0.16 * n), bottom=0.03)
    axes = fig.subplots(1, 3, sharey=True)
    y = np.arange(len(rows))
    panels = (
        ("gap_per_1000_plans", "Sufficiency gap per 1,000 plans", 1.0, "#CC79A7"),
        ("cost_per_plan", "Cost per plan (£k a year)", 1e-3, "#0072B2"),
        ("out_of_area_share", "Out-of-area share (%)", 100.0, "#E69F00"),
    )
    for ax, (column, title, scale, colour) in zip(axes, panels, strict=True):
        ax.barh(y, rows[column].to_numpy(float) * scale, color=colour)
        ax.set_title(title, loc="left", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, rows["la"].astype(str).tolist(), fontsize=7)
    axes[0].set_ylim(-0.6, len(rows) - 0.4)
    fig.suptitle(f"Every LA ranked by sufficiency gap ({scenario})", x=0.01, ha="left")
    return fig
