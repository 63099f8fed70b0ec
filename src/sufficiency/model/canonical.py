"""The inputs in one canonical row order, so that results never depend on input row order.

Equal-cost allocations are common (two special schools at the same price), and which one
an engine picks depends on the order of the model's columns, which follows the order of
the settings and demand rows. Sorting every table by its keys before the model is built
makes the same question give the same model, and so the same answer.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..data.inputs import Inputs

#: Sort keys of each input table. Settings go by tier, then id, so outputs keep the
#: register in tier order. Rows with equal keys keep their order (a stable sort), so a rule
#: such as "the later row for a year wins" reads the same rows as before.
KEYS: dict[str, tuple[str, ...]] = {
    "caseload": ("year", "need", "age", "age_band", "setting"),
    "population": ("year", "age", "age_band"),
    "settings": ("tier_number", "setting"),
    "cost_assumptions": ("year", "tier"),
    "sen_support": ("year", "need", "age", "age_band"),
    "sen_support_placements": ("need", "age_band", "setting"),
    "setting_places": ("setting", "year"),
}


def _sorted(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    by = [k for k in keys if k in frame.columns]
    if not by or len(frame) < 2:
        return frame.reset_index(drop=True)
    return frame.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)


def canonical(inputs: Inputs) -> Inputs:
    """``inputs`` with every table sorted by its :data:`KEYS` (a new object; idempotent)."""
    tables: dict[str, pd.DataFrame] = {
        name: _sorted(frame, keys)
        for name, keys in KEYS.items()
        if (frame := getattr(inputs, name)) is not None
    }
    return dataclasses.replace(inputs, **tables)  # type: ignore[arg-type]
