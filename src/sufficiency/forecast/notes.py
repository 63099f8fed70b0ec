"""What a forecast did that its reader must know: fallbacks, rejections, structural starts.

Every departure from the plain path — a method rejected for breaking a bound, a candidate
``auto`` excluded, a method asked for that could not run, a structural start found, a
history year interpolated — is one line in :attr:`DemandForecast.warnings` and a column of
the diagnostics. The pipeline lists the lines in ``summary.json`` and the CLI prints them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .final import FinalFit
from .panel import Panel


def annotate(
    diag: pd.DataFrame, panel: Panel, fits: list[FinalFit], excluded: list[list[str]]
) -> pd.DataFrame:
    """Add ``structural_start``, ``rejected`` and ``excluded`` columns to the diagnostics."""
    out = diag.copy()
    out["structural_start"] = [
        int(panel.years[k]) if k >= 0 else np.nan for k in panel.detected_start
    ]
    out["rejected"] = ["; ".join(f.rejected) for f in fits]
    out["excluded"] = ["; ".join(e) for e in excluded]
    return out


def forecast_warnings(
    panel: Panel,
    fits: list[FinalFit],
    excluded: list[list[str]],
    method: str,
    rows: range,
) -> list[str]:
    """One line per series and event, naming the series and what was done.

    Args:
        panel: The series forecast.
        fits: Their final fits.
        excluded: Per series, candidates ``auto`` excluded.
        method: The method asked for.
        rows: Series to report (the cells).
    """
    lines: list[str] = []
    if panel.missing_years:
        years = ", ".join(map(str, panel.missing_years))
        lines.append(f"history has no rows for {years}: interpolated between the years beside")
    for i in rows:
        name = panel.label(i)
        k = int(panel.detected_start[i])
        if k >= 0:
            raw = panel.raw_values if panel.raw_values is not None else panel.values
            seen = raw[i, max(k - 2, 0) : k + 1]
            shape = " → ".join(f"{v:,.0f}" for v in np.nan_to_num(seen))
            lines.append(
                f"{name}: structural start in {int(panel.years[k])} ({shape}): fitted from "
                f"{int(panel.years[k])} on"
            )
        done = fits[i]
        used = done.fit.method
        if excluded[i]:
            lines.append(f"{name}: auto excluded {', '.join(excluded[i])}; used {used}")
        if done.rejected:
            lines.append(f"{name}: rejected {'; '.join(done.rejected)}; used {used}")
        if method != "auto" and used not in (method, "zero"):
            why = "; ".join(r for r in done.reasons if r.startswith(method)) or "could not run"
            lines.append(f"{name}: {method} (asked for) not used ({why}); used {used}")
        if "clipped_to_bounds" in done.fit.params:
            lines.append(f"{name}: no method stayed within the bounds; last value held, clipped")
    return lines
