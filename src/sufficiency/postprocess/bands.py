"""Top-up by funding band: the unit top-up of every pair, and the placements' top-up by band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..data.bands import UNBANDED
from ..data.inputs import MARKET
from ..model.arrays import AllocationArrays
from ..solve.checks import NOISE

#: ``top_up_basis`` of a pair: a band mix-weighted top-up, the setting's flat top-up, or a
#: fee (independent places and the market of last resort have no top-up).
BASES = ("band", "flat", "fee")


def _fee(arrays: AllocationArrays) -> np.ndarray:
    """Whether each pair's High Needs Block cost is a fee, shape (K,)."""
    sett = arrays.settings
    fee = (sett["tier"].astype(str) == "independent").to_numpy() | (
        sett["setting"].to_numpy() == MARKET
    )
    return fee[arrays.pair_setting]


def unit_top_up(arrays: AllocationArrays) -> tuple[np.ndarray, np.ndarray]:
    """The top-up the model used for each pair (£ per child per year) and its basis.

    Returns:
        ``(top_up, basis)``, each of shape (K,): the High Needs Block unit cost less place
        funding (0 for a fee), and ``band``, ``flat`` or ``fee``.
    """
    fee = _fee(arrays)
    top_up = np.where(fee, 0.0, arrays.unit_hnb - arrays.unit_place_funding)
    basis = np.where(fee, "fee", "flat").astype(object)
    if arrays.bands is not None:
        basis[arrays.bands.pairs] = "band"
    return top_up, basis


def with_unit_top_up(costs: pd.DataFrame, arrays: AllocationArrays) -> pd.DataFrame:
    """``costs`` (one row per pair, in pair order) with ``top_up_unit_cost`` and
    ``top_up_basis`` after ``place_funding_unit_cost``."""
    top_up, basis = unit_top_up(arrays)
    out = costs.copy()
    at = list(out.columns).index("place_funding_unit_cost") + 1
    out.insert(at, "top_up_unit_cost", top_up)
    out.insert(at + 1, "top_up_basis", basis)
    return out


def top_up_by_band(arrays: AllocationArrays, placed: np.ndarray) -> pd.DataFrame | None:
    """Children and top-up by year, funding band and tier, or None when no bands are given.

    A banded placement's children and top-up are split by its group's band mix: children
    here are the band-mix shares of placed children, and the top-up of each band is those
    children times the band's top-up in the setting's scale. Placements at settings no
    band scale covers appear as band ``unbanded`` with their flat top-up; fees (independent
    places, the market) are not top-up and are left out. So each year's ``top_up_cost``
    adds up to the placements' ``top_up_cost``, and ``children`` to the children placed
    outside independent places and the market.

    Args:
        arrays: The arrays the model was built from (``arrays.bands`` set when banded).
        placed: Children placed in each pair, shape (K,).

    Returns:
        ``year, band, tier, children, top_up_cost`` (``band`` ordered as the
        ``funding_bands`` table gives the bands, then ``unbanded``), rows with children.
    """
    bands = arrays.bands
    if bands is None:
        return None
    # solver noise (a pair's children under NOISE) left out as the placements table leaves
    # it; a band row of a real placement is kept however small its share, so no money of
    # the placements' top-up is lost (a share of 1e-12 is the council's to give)
    placed = np.where(placed > NOISE, placed, 0.0)
    top_up, basis = unit_top_up(arrays)
    years = arrays.years[arrays.pair_year]
    tiers = arrays.settings["tier"].astype(str).to_numpy()[arrays.pair_setting]
    p = bands.pairs
    n_bands = len(bands.bands)
    flat = np.flatnonzero(basis == "flat")
    frame = pd.DataFrame(
        {
            "year": np.concatenate([np.repeat(years[p], n_bands), years[flat]]),
            "band": np.concatenate(
                [
                    np.tile(np.asarray(bands.bands, dtype=object), len(p)),
                    np.full(len(flat), UNBANDED),
                ]
            ),
            "tier": np.concatenate([np.repeat(tiers[p], n_bands), tiers[flat]]),
            "children": np.concatenate(
                [(placed[p, None] * bands.shares).reshape(-1), placed[flat]]
            ),
            "top_up_cost": np.concatenate(
                [
                    (placed[p, None] * bands.shares * bands.unit_top_up).reshape(-1),
                    placed[flat] * top_up[flat],
                ]
            ),
        }
    )
    table = frame.groupby(["year", "band", "tier"], sort=False, as_index=False)[
        ["children", "top_up_cost"]
    ].sum()
    table = table[table["children"] > 0.0]
    table["band"] = pd.Categorical(table["band"], categories=[*bands.bands, UNBANDED], ordered=True)
    table["tier"] = table["tier"].astype(taxonomy.TIER_DTYPE)
    return table.sort_values(["year", "band", "tier"], ignore_index=True)
