"""Banded top-ups: the band mix-weighted top-up of every (group, setting) pair a band scale covers.

Where a council pays top-up by band, the top-up of a child in a setting is the band top-up
of the setting's scale (its own rows, else its tier's) at the child's band. A demand group
is a mix of bands (its base-year band mix), so the group's unit top-up in that setting is
the mix-weighted sum of the scale's band top-ups, moved with the setting's place-cost
index (inflation and cost levers). Settings no scale covers keep the register's flat
top-up; independent places and the market of last resort are fees and are never banded;
nor are settings added after loading (capital options keep their own cost per place).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.bands import KEYS, FundingBands, resolve
from ..data.inputs import MARKET
from ..errors import DataError, Problem


@dataclass
class BandedTopUps:
    """The band detail of the pairs a band scale covers.

    Attributes:
        bands: Band names (column b of the matrices).
        pairs: Positions of the banded pairs among the model's pairs, shape (P,).
        shares: Share of the pair's group at each band, shape (P, B); rows sum to 1.
        unit_top_up: £ per child per year at each band in the pair's setting and year
            (that year's prices, cost levers applied), shape (P, B); 0 where the scale has
            no such band (its share is then 0).
    """

    bands: tuple[str, ...]
    pairs: np.ndarray
    shares: np.ndarray
    unit_top_up: np.ndarray

    @property
    def unit(self) -> np.ndarray:
        """Band mix-weighted top-up of each banded pair, £ per child per year, shape (P,)."""
        # summed in order of size, so the bands' order in the table cannot move the last digit
        return np.sort(self.shares * self.unit_top_up, axis=1).sum(axis=1)


def _scales(bands: FundingBands, settings: pd.DataFrame) -> np.ndarray:
    """Base-year top-up of each setting at each band, shape (S, B); NaN rows = not banded."""
    band_pos = {b: j for j, b in enumerate(bands.bands)}
    ids = settings["setting"].to_numpy()
    tiers = settings["tier"].astype(str).to_numpy()
    out = np.full((len(settings), len(bands.bands)), np.nan)
    eligible = np.isin(ids, list(bands.register)) & (ids != MARKET) & (tiers != "independent")
    table = bands.top_ups
    for scope, column in (("tier", tiers), ("setting", ids)):  # a setting's own rows win
        rows = table[table[scope] != ""]
        for value, scale in rows.groupby(scope, sort=False):
            hit = np.flatnonzero(eligible & (column == value))
            if not len(hit):
                continue
            values = np.zeros(len(bands.bands))
            cols = [band_pos[b] for b in scale["band"]]
            values[cols] = scale["top_up_per_place_gbp"].to_numpy(dtype=float)
            out[hit] = values
    return out


def group_shares(bands: FundingBands, groups: pd.DataFrame) -> np.ndarray:
    """Band shares of every demand group, shape (G, B); NaN rows where no mix matches."""
    keys = groups[list(KEYS)].astype(str)
    distinct = bands.mix[list(KEYS)].drop_duplicates().reset_index(drop=True)
    wide = (
        bands.mix.pivot_table(index=list(KEYS), columns="band", values="share", aggfunc="sum")
        .reindex(columns=list(bands.bands), fill_value=0.0)
        .fillna(0.0)
    )
    matrix = wide.reindex(pd.MultiIndex.from_frame(distinct)).to_numpy(dtype=float)
    uniq, inverse = np.unique(keys.to_numpy(dtype=str), axis=0, return_inverse=True)
    found = resolve(bands.mix, pd.DataFrame(uniq, columns=list(KEYS)))
    per_key = np.where(found[:, None] >= 0, matrix[np.maximum(found, 0)], np.nan)
    return per_key[inverse.reshape(-1)]


def banded_top_ups(
    bands: FundingBands,
    groups: pd.DataFrame,
    settings: pd.DataFrame,
    pair_group: np.ndarray,
    pair_setting: np.ndarray,
    price_index: np.ndarray,
) -> BandedTopUps | None:
    """The banded top-up of every pair of a group with a plan whose setting a band scale
    covers (children on SEN support have no top-up: see :mod:`.sen_support`).

    Args:
        bands: Validated bands (:func:`sufficiency.data.bands.read_bands`).
        groups: Demand groups with ``need, age_band, level``.
        settings: The register as the model has it (market and capital options included).
        pair_group: Group of each eligible pair, shape (K,).
        pair_setting: Setting of each eligible pair, shape (K,).
        price_index: Factor on base-year place costs of each pair (inflation and cost
            levers), shape (K,).

    Returns:
        The banded pairs, or None when no pair is banded.

    Raises:
        DataError: If a banded pair's group has no band mix (the load checks rule it out).
    """
    scale = _scales(bands, settings)
    # bands price the top-up of children with plans; children on SEN support have none
    with_plan = (
        (groups["provision"].astype(str) == "ehc_plan").to_numpy()
        if "provision" in groups
        else np.ones(len(groups), dtype=bool)
    )
    banded = np.flatnonzero(~np.isnan(scale[pair_setting, 0]) & with_plan[pair_group])
    if not len(banded):
        return None
    shares = group_shares(bands, groups)[pair_group[banded]]
    if np.isnan(shares).any():
        g = int(pair_group[banded][np.isnan(shares).any(axis=1)][0])
        row = groups.iloc[g]
        where = ", ".join(f"{k} {row[k]}" for k in KEYS)
        raise DataError("band mix incomplete", [Problem("band_mix", f"no band mix for {where}")])
    unit = scale[pair_setting[banded]] * price_index[banded, None]
    return BandedTopUps(bands.bands, banded, shares, unit)
