"""The reference panel shipped with the package: England's and its regions' plans by age band.

Children with a statement or EHC plan in January, England and its nine regions, by age
band, 2010–2022, and the 2023 totals (``reference/ehcp_by_age_band.csv``; rebuilt from the
published files by ``benchmarks/build_reference_panel.py``). Source: Department for
Education, "Education, health and care plans", Open Government Licence v3.0.

The ``pooled`` method shrinks an area's trend toward these (see :mod:`.pooled`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import get_args

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.forecast_options import Region

#: Credit to show wherever the reference panel's figures are used.
CREDIT = "Department for Education, 'Education, health and care plans' (OGL v3.0)"
ENGLAND = "England"
#: The nine regions of England (the scenario schema's ``forecast.reference_region``).
REGIONS: tuple[str, ...] = get_args(Region)
TOTAL = "total"


@lru_cache(maxsize=1)
def reference_panel() -> pd.DataFrame:
    """The panel: ``area``, ``year``, ``age_band`` (``total`` for all ages), ``children``."""
    path = resources.files("sufficiency.forecast") / "reference" / "ehcp_by_age_band.csv"
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#")


@lru_cache(maxsize=1)
def _grid() -> pd.DataFrame:
    """The panel by (area, age band) and year (read-only: callers reindex a copy)."""
    return reference_panel().pivot_table(
        index=["area", "age_band"], columns="year", values="children"
    )


def _band(key: Mapping[Hashable, object], by: Sequence[str]) -> str:
    """Reference age band of a series: its band, the band of its single age, or the total."""
    if "age_band" in by and key["age_band"] != "*":
        return str(key["age_band"])
    if "age" in by and key["age"] != "*":
        return str(taxonomy.age_band_of(np.array([int(str(key["age"]))]))[0])
    return TOTAL


def reference_lead(years: np.ndarray) -> int:
    """Published years of the panel before ``years[0]`` (the first history year): they are
    known at every origin, so a short history still reads the national series behind it."""
    first = int(min(_grid().columns)) if len(years) else 0
    return max(0, int(years[0]) - first) if len(years) else 0


def reference_arrays(
    keys: pd.DataFrame, by: Sequence[str], years: np.ndarray, region: str | None
) -> np.ndarray:
    """``(S, R, lead + n)``: the region's (if given) and England's series for each series'
    ages, over the panel's published years before ``years`` (:func:`reference_lead`) and
    ``years``.

    Years the panel does not cover are NaN (the method uses the latest years it has).
    """
    areas = [a for a in (region, ENGLAND) if a]
    lead = reference_lead(years)
    span = np.arange(int(years[0]) - lead, int(years[-1]) + 1) if len(years) else years
    bands = [_band(key, by) if by else TOTAL for key in keys.to_dict("records")]
    if not bands:
        return np.full((0, len(areas), len(span)), np.nan)
    # every series' rows at once: (series, area) in order, NaN where the panel has none
    rows = pd.MultiIndex.from_tuples(
        [(area, band) for band in bands for area in areas], names=["area", "age_band"]
    )
    grid = _grid().reindex(index=rows, columns=span)
    return grid.to_numpy(dtype=float).reshape(len(keys), len(areas), len(span))


def published_totals(areas: Sequence[str | None], last_year: int) -> list[np.ndarray]:
    """All-ages totals of each area given (skipping ``None`` and unknown areas), every
    published year up to ``last_year``."""
    grid = _grid()
    known = grid.reindex(columns=[y for y in grid.columns if int(y) <= last_year])
    return [
        np.asarray(known.loc[[(a, TOTAL)]], dtype=float)[0]
        for a in areas
        if a and (a, TOTAL) in known.index
    ]
