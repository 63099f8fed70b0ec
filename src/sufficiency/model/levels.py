"""Need levels: splitting projected demand by the least specialist tier that can meet it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..data.inputs import NOT_IN_SCHOOL, NOT_PLACED

#: Level label for children with a plan and no recorded education placement.
NOT_PLACED_LEVEL = NOT_IN_SCHOOL[NOT_PLACED]
#: Level labels of children with a plan not in a school or college (not allocated).
NOT_IN_SCHOOL_LEVELS: tuple[str, ...] = tuple(NOT_IN_SCHOOL.values())
LEVELS: tuple[str, ...] = (*taxonomy.TIERS, *NOT_IN_SCHOOL_LEVELS)


def level_shares(caseload: pd.DataFrame, settings: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Base-year mix of levels per need and age band.

    A child's level is the tier of the setting they are placed in in the base year (the
    least specialist tier their needs are being met in); children not in a school or
    college get their arrangement (:data:`NOT_IN_SCHOOL_LEVELS`). Cells with no children
    in the base year borrow the need's mix over all ages, then the overall mix.

    Args:
        caseload: Validated caseload (``year, need, age_band, setting, children``).
        settings: Validated register (``setting, tier``).
        base_year: The base year.

    Returns:
        Frame ``need, age_band, level, share`` with shares summing to 1 per need and band,
        for every EHC plan need and age band.
    """
    base = caseload[caseload["year"] == base_year]
    tier_of = dict(zip(settings["setting"], settings["tier"].astype(str), strict=True))
    tier_of.update(NOT_IN_SCHOOL)
    levels = list(LEVELS)
    needs, bands = list(taxonomy.EHCP_NEEDS), list(taxonomy.AGE_BAND_LABELS)
    # codes of each base-year row (-1: a setting, need or band outside the lists)
    level = pd.Index(levels).get_indexer(pd.Index(base["setting"].map(tier_of)))
    need = pd.Index(needs).get_indexer(pd.Index(base["need"].astype(str)))
    band = pd.Index(bands).get_indexer(pd.Index(base["age_band"].astype(str)))
    children = base["children"].to_numpy(dtype=float)
    known = level >= 0
    of_need = known & (need >= 0)
    of_cell = of_need & (band >= 0)
    overall = _sums(level, children, known, len(levels))
    by_need = _sums(need * len(levels) + level, children, of_need, len(needs) * len(levels))
    cell = _sums(
        (need * len(bands) + band) * len(levels) + level,
        children,
        of_cell,
        len(needs) * len(bands) * len(levels),
    )

    index = pd.MultiIndex.from_product([needs, bands], names=["need", "age_band"])
    # column-major, as a frame's values are: row sums add up in the same order
    counts = np.asfortranarray(cell.reshape(len(needs) * len(bands), len(levels)))
    need_counts = np.asfortranarray(
        np.repeat(by_need.reshape(len(needs), len(levels)), len(bands), axis=0)
    )
    overall_counts = np.broadcast_to(overall, counts.shape)
    chosen = np.where(
        counts.sum(1, keepdims=True) > 0,
        counts,
        np.where(need_counts.sum(1, keepdims=True) > 0, need_counts, overall_counts),
    )
    totals = chosen.sum(1, keepdims=True)
    shares = np.divide(chosen, totals, out=np.zeros_like(chosen), where=totals > 0)
    wide = pd.DataFrame(shares, index=index, columns=levels).reset_index()
    return wide.melt(
        id_vars=["need", "age_band"], var_name="level", value_name="share"
    ).sort_values(["need", "age_band", "level"], ignore_index=True)


def _sums(code: np.ndarray, values: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """``values`` of the ``rows`` summed by ``code`` into an array of ``size`` (pandas'
    grouped sum, compensated as a pivot table's is, so the same to the last bit)."""
    summed = pd.Series(values[rows]).groupby(code[rows]).sum()
    out = np.zeros(size)
    out[summed.index.to_numpy()] = summed.to_numpy()
    return out


def demand_by_level(forecast: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Split projected children per need and age band into levels.

    Args:
        forecast: ``year, need, age_band, mean`` (projected children).
        shares: Output of :func:`level_shares`.

    Returns:
        Frame ``year, need, age_band, level, children`` including rows of children not in
        a school or college.
    """
    f = forecast[["year", "need", "age_band", "mean"]].assign(
        need=forecast["need"].astype(str), age_band=forecast["age_band"].astype(str)
    )
    merged = f.merge(shares, on=["need", "age_band"], how="left")
    merged["children"] = merged["mean"] * merged["share"].fillna(0.0)
    merged = merged[merged["children"] > 0]
    out = merged[["year", "need", "age_band", "level", "children"]].reset_index(drop=True)
    return out.sort_values(["year", "need", "age_band", "level"], ignore_index=True)
