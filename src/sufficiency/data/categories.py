"""The reporting categories of settings: DSG plan category, SCAP type, phase, residential and
planning area, derived from the DfE establishment type unless the register gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import Problem
from .tables import Column, RawTable

#: The register's optional reporting columns.
CATEGORY_COLUMNS = (
    Column("establishment_type", "text", required=False, blank_ok=True),
    Column("dsg_category", "text", required=False, blank_ok=True),
    Column("scap_type", "text", required=False, blank_ok=True),
    Column("phase", "text", required=False, blank_ok=True),
    Column("residential", "bool", required=False),
    Column("planning_area", "text", required=False, blank_ok=True),
)

#: The reporting columns every register has once loaded, in order.
REPORTING = (
    "establishment_type",
    "dsg_category",
    "scap_type",
    "phase",
    "residential",
    "planning_area",
)

_ACCEPTED: dict[str, tuple[str, ...]] = {
    "establishment_type": tuple(taxonomy.ESTABLISHMENT_TYPES),
    "dsg_category": taxonomy.DSG_CATEGORIES,
    "scap_type": taxonomy.SCAP_TYPES,
    "phase": taxonomy.SETTING_PHASES,
}


def check_categories(settings: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> None:
    """Append a problem for every reporting code the vocabulary does not have.

    Codes are matched exactly (lower case; SCAP types upper case), like the other
    register columns; blank cells are derived (:func:`with_categories`).
    """
    for column, accepted in _ACCEPTED.items():
        if column not in settings.columns:
            continue
        values = settings[column].astype(str).to_numpy()
        bad = np.flatnonzero((values != "") & ~np.isin(values, accepted))
        for i in bad[:20]:
            problems.append(
                Problem(
                    raw.where(int(i), column),
                    f"unknown {column.replace('_', ' ')} {values[i]!r}; accepted: "
                    + ", ".join(accepted),
                )
            )


def with_categories(settings: pd.DataFrame) -> pd.DataFrame:
    """``settings`` (a copy) with every reporting column filled.

    Blank or missing cells are derived: the establishment type from the tier and ages
    (:func:`~sufficiency.taxonomy.establishment_from_tier`), the DSG category and SCAP type
    from the establishment type (:data:`~sufficiency.taxonomy.ESTABLISHMENT_TYPES`), the
    phase from the ages (:func:`~sufficiency.taxonomy.setting_phase`), ``residential``
    false and ``planning_area`` blank. Vectorised over the register.
    """
    out = settings.copy()
    n = len(out)

    def given(column: str) -> np.ndarray:
        if column not in out.columns:
            return np.full(n, "", dtype=object)
        return out[column].fillna("").astype(str).to_numpy(dtype=object)

    est = given("establishment_type")
    blank = est == ""
    if blank.any():
        est[blank] = taxonomy.establishment_from_tier(
            out["tier"].astype(str).to_numpy()[blank], out["age_min"].to_numpy()[blank]
        )
    out["establishment_type"] = est
    dsg = given("dsg_category")
    scap = given("scap_type")
    mapped = [taxonomy.ESTABLISHMENT_TYPES.get(e, ("other", "none")) for e in est]
    out["dsg_category"] = np.where(dsg == "", [m[0] for m in mapped], dsg)
    out["scap_type"] = np.where(scap == "", [m[1] for m in mapped], scap)
    phase = given("phase")
    derived = taxonomy.setting_phase(out["age_min"].to_numpy(), out["age_max"].to_numpy())
    out["phase"] = np.where(phase == "", derived, phase)
    if "residential" in out.columns:
        out["residential"] = out["residential"].fillna(False).astype(bool)
    else:
        out["residential"] = False
    out["planning_area"] = given("planning_area")
    return out
