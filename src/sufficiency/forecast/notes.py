"""What a forecast did that its reader must know: fallbacks, rejections, structural starts.

Every departure from the plain path — a method rejected for breaking a bound, a candidate
``auto`` excluded, a method asked for that could not run, a structural start found, a
history year interpolated — is one line in :attr:`DemandForecast.warnings` and a column of
the diagnostics. The pipeline lists the lines in ``summary.json`` and the CLI prints them.

Only series that matter get a line of their own: a series whose latest history values are
all below :data:`WARN_BELOW` children (a need at one age band with a handful of children,
where a jump 1 → 6 or a rejected trend moves the whole forecast by a few children) is
counted in one summary line instead; its events stay in the diagnostics columns. Each
event is said once: a method asked for and rejected is one "asked for, not used" line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ForecastError, Problem
from .final import FinalFit
from .methods.flowmethod import FlowLevers
from .panel import Panel

#: Series whose latest three history values are all below this many children are
#: summarised in one line rather than warned about one by one.
WARN_BELOW = 20.0


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
    quiet: list[str] = []
    for i in rows:
        name = panel.label(i)
        events = _series_events(panel, fits, excluded, method, i)
        if events and _latest_size(panel, i) < WARN_BELOW:
            quiet.append(name)
            continue
        lines += [f"{name}: {e}" for e in events]
    if quiet:
        shown = "; ".join(quiet[:3]) + ("; …" if len(quiet) > 3 else "")
        lines.append(
            f"{len(quiet)} small series (under {WARN_BELOW:g} children in each of their latest "
            f"years: {shown}) had structural starts, rejections or fallbacks: see the "
            "diagnostics (structural_start, rejected, excluded, method)"
        )
    return lines


def _latest_size(panel: Panel, i: int) -> float:
    """Largest of a series' latest three history values (before any structural cut)."""
    raw = panel.raw_values if panel.raw_values is not None else panel.values
    tail = raw[i, -3:]
    tail = tail[np.isfinite(tail)]
    return float(tail.max()) if len(tail) else 0.0


def _series_events(
    panel: Panel, fits: list[FinalFit], excluded: list[list[str]], method: str, i: int
) -> list[str]:
    """What was done on series ``i`` that departs from the plain path, once each."""
    lines: list[str] = []
    k = int(panel.detected_start[i])
    if k >= 0:
        raw = panel.raw_values if panel.raw_values is not None else panel.values
        seen = raw[i, max(k - 2, 0) : k + 1]
        shape = " → ".join(f"{v:,.0f}" for v in np.nan_to_num(seen))
        lines.append(
            f"structural start in {int(panel.years[k])} ({shape}): fitted from "
            f"{int(panel.years[k])} on"
        )
    done = fits[i]
    used = done.fit.method
    if excluded[i]:
        lines.append(f"auto excluded {', '.join(excluded[i])}; used {used}")
    asked = method != "auto" and used not in (method, "zero")
    if asked:
        why = "; ".join(r for r in done.reasons if r.startswith(method)) or "could not run"
        others = [r for r in done.rejected if not r.startswith(f"{method} ")]
        also = f"; rejected {'; '.join(others)}" if others else ""
        lines.append(f"{method} (asked for) not used ({why}{also}); used {used}")
    elif done.rejected:
        lines.append(f"rejected {'; '.join(done.rejected)}; used {used}")
    if "clipped_to_bounds" in done.fit.params:
        lines.append("no method stayed within the bounds; last value held, clipped")
    return lines


def levers_note(fits: Sequence[FinalFit], levers: FlowLevers) -> list[str]:
    """A line saying which series the flow levers moved, where some are forecast otherwise.

    Raises:
        ForecastError: Naming the levers if no series is forecast by the flow model.
    """
    used = sum(f.fit.method == "flows" for f in fits)
    projected = sum(f.fit.method != "zero" for f in fits)
    if used == 0:
        raise ForecastError(
            "the flow levers cannot be applied",
            [
                Problem(p, "no series is forecast by the flow model: set forecast.method: flows")
                for p in levers.paths
            ],
        )
    if used == projected:
        return []
    return [
        f"flow levers ({', '.join(levers.paths)}) apply to the {used} of {projected} series "
        "forecast by the flow model; the others follow their own methods"
    ]
