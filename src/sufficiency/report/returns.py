"""The statutory returns as the workbook and HTML show them: the DSG management plan, the
SCAP SEND return and the commissioning views, under disclosure control when the run asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..postprocess.disclosure import publish
from . import labels

if TYPE_CHECKING:
    from ..results import Result


def _tables(result: Result) -> dict[str, pd.DataFrame]:
    """The returns tables as published: protected when the run has disclosure control."""
    raw = {n: getattr(result, n) for n in ("dsg_plan", "scap", "commissioning")}
    if "disclosure" in result.summary:
        return {**raw, **publish(raw)}
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
    return str(rule) if rule else "Working figures (no disclosure control): not for publication."
