"""Age segments: each SEN2 age band cut at the age limits of the settings that could take it.

Demand is projected by SEN2 age band, but settings take single years of age (a 2–18
special school takes 18-year-olds and not 19-year-olds, both in band 16–19). The
allocation's groups therefore use *age segments*: for each need and level, each band is cut
at every age where a setting that meets that need at that level or above (capital options
included; the market of last resort takes every age) starts or stops taking children.
With every such limit a cut, a setting that meets a group's need and level serves either
every age of the group's segment or none of them, so eligibility by segment is eligibility
by single year of age. Cutting only at the limits of the settings that could take the
need and level keeps the groups as few as the register allows: adjacent ages that the same
settings take stay together.

A band's children are split into its segments by the base-year single-age shares by need
(:func:`sufficiency.model.stock.age_shares`, which falls back to the all-needs profile,
then an even spread), the same shares the carry rates use, so the segments of a band add
up to the band. Segments whose share is zero for the need hold no children and are left
out. Outputs are by age band again (the segments added back); the segment column stays
inside the model, beside the band.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from .coding import codes

#: Column of the model's group frames that holds a group's age segment.
SEGMENT = "age_segment"


def segment_label(first: int, last: int) -> str:
    """Label of the segment of ages ``first``–``last`` (``"16-18"``, or ``"19"`` for one age)."""
    return f"{first}-{last}" if last > first else f"{first}"


def segment_ages(labels: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """First and last age of each segment (or band) label, as two integer arrays."""
    parts = [str(label).split("-") for label in labels]
    first = np.array([int(p[0]) for p in parts], dtype=int)
    last = np.array([int(p[-1]) for p in parts], dtype=int)
    return first, last


def serves_need(settings: pd.DataFrame) -> np.ndarray:
    """Boolean (needs, S): does setting s meet need n (``taxonomy.NEEDS`` order)?

    A setting serving every need children with plans have also serves NSA (SEN support
    with no specialist assessment: only children on SEN support have it).
    """
    position = {n: i for i, n in enumerate(taxonomy.NEEDS)}
    lists = settings["needs"].tolist()
    counts = np.fromiter((len(c) for c in lists), dtype=int, count=len(lists))
    need = np.fromiter((position[c] for cs in lists for c in cs), dtype=int, count=counts.sum())
    serves = np.zeros((len(taxonomy.NEEDS), len(settings)), dtype=bool)
    serves[need, np.repeat(np.arange(len(lists)), counts)] = True
    every = serves[[position[n] for n in taxonomy.EHCP_NEEDS]].all(axis=0)
    serves[position["NSA"]] |= every
    return serves


def meets_level(settings: pd.DataFrame) -> np.ndarray:
    """Boolean (levels, S): is setting s's tier at or above level l (``taxonomy.TIERS``)?"""
    tier_no = codes(settings["tier"], taxonomy.TIERS) + 1
    return tier_no[None, :] >= np.arange(1, len(taxonomy.TIERS) + 1)[:, None]


@dataclass(frozen=True)
class AgeSegments:
    """The age segments of every (need, level), sorted by need, level and age.

    Attributes:
        need: Need of each segment (position in ``taxonomy.NEEDS``), shape (M,).
        level: Level of each segment (position in ``taxonomy.TIERS``), shape (M,).
        first: First age of each segment, shape (M,).
        last: Last age of each segment, shape (M,).
        band: Its SEN2 band (position in ``taxonomy.AGE_BAND_LABELS``), shape (M,).
        share: Share of the band's children of the need in the segment, shape (M,); the
            segments of a (need, level, band) sum to 1.
    """

    need: np.ndarray
    level: np.ndarray
    first: np.ndarray
    last: np.ndarray
    band: np.ndarray
    share: np.ndarray

    @property
    def dtype(self) -> pd.CategoricalDtype:
        """Categorical dtype of the segment labels, in age order (first age, then last)."""
        pairs = sorted(set(zip(self.first.tolist(), self.last.tolist(), strict=True)))
        return pd.CategoricalDtype([segment_label(a, b) for a, b in pairs], ordered=True)

    def categorical(self, segment: np.ndarray) -> pd.Categorical:
        """The labels of segments ``segment`` (positions), as a categorical of :attr:`dtype`."""
        dtype = self.dtype
        position = {label: i for i, label in enumerate(dtype.categories)}
        label_code = np.array(
            [position[segment_label(a, b)] for a, b in zip(self.first, self.last, strict=True)],
            dtype=np.int64,
        )
        return pd.Categorical.from_codes(label_code[segment], dtype=dtype)

    def at_age(self) -> np.ndarray:
        """Segment of each (need, level, single age), shape (needs, levels, 26)."""
        shape = (len(taxonomy.NEEDS), len(taxonomy.TIERS), len(taxonomy.AGES))
        return np.repeat(np.arange(len(self.first)), self.last - self.first + 1).reshape(shape)


def age_segments(settings: pd.DataFrame, age_share: np.ndarray) -> AgeSegments:
    """The segments of every (need, level) of ``settings`` (see the module doc).

    A setting taking ages ``age_min``–``age_max`` starts a segment at ``age_min`` and at
    ``age_max + 1`` for every need it meets at its tier and below; a band is cut at each
    such age inside it.

    Args:
        settings: The register (``needs``, ``tier``, ``age_min``, ``age_max``), capital
            options and market included.
        age_share: Share of each need's band total at each single age, shape (needs, 26)
            (:func:`sufficiency.model.stock.age_shares`).
    """
    n_ages, n_levels = len(taxonomy.AGES), len(taxonomy.TIERS)
    limits = np.zeros((len(settings), n_ages + 1), dtype=np.int64)
    rows = np.arange(len(settings))
    limits[rows, settings["age_min"].to_numpy(dtype=int)] = 1
    limits[rows, settings["age_max"].to_numpy(dtype=int) + 1] = 1
    takes = serves_need(settings)[:, None, :] & meets_level(settings)[None, :, :]  # (N, L, S)
    starts = (takes.astype(np.int64) @ limits[:, :n_ages]) > 0  # (N, L, 26)
    starts[:, :, [lo for _, lo, _ in taxonomy.AGE_BANDS]] = True
    need, level, first = np.nonzero(starts)  # sorted by need, level, age
    combo = need * n_levels + level
    same = np.append(combo[1:] == combo[:-1], False)
    last = np.where(same, np.append(first[1:], 0) - 1, n_ages - 1)
    cumulative = np.concatenate(
        [np.zeros((age_share.shape[0], 1)), np.cumsum(age_share, axis=1)], axis=1
    )
    # adding a zero share leaves the running sum as it is: a segment of zero shares is 0
    share = cumulative[need, last + 1] - cumulative[need, first]
    band = codes(pd.Series(taxonomy.age_band_of(first)), taxonomy.AGE_BAND_LABELS)
    return AgeSegments(need=need, level=level, first=first, last=last, band=band, share=share)


def split_by_segment(frame: pd.DataFrame, segments: AgeSegments) -> pd.DataFrame:
    """``frame``'s rows by age segment: each row once per segment of its need, level and band.

    Children are split by the need's share of the band in each segment; segments with no
    share are left out, so a band's rows add up to the band's children. Every other
    column is kept; ``age_segment`` (categorical, age order) goes beside ``age_band``.

    Args:
        frame: Rows with ``need``, ``age_band``, ``level`` (a tier) and ``children`` (e.g.
            demand groups or the base-year stock).
        segments: The register's segments (:func:`age_segments`).
    """
    n_bands, n_levels = len(taxonomy.AGE_BAND_LABELS), len(taxonomy.TIERS)
    n_keys = len(taxonomy.NEEDS) * n_levels * n_bands

    def key(need: np.ndarray, level: np.ndarray, band: np.ndarray) -> np.ndarray:
        return (need * n_levels + level) * n_bands + band

    row_key = key(
        codes(frame["need"], taxonomy.NEEDS),
        codes(frame["level"], taxonomy.TIERS),
        codes(frame["age_band"], taxonomy.AGE_BAND_LABELS),
    )
    # segments are sorted by need, level and age, hence by key
    per_key = np.bincount(key(segments.need, segments.level, segments.band), minlength=n_keys)
    key_start = np.cumsum(per_key) - per_key
    count = per_key[row_key]
    row = np.repeat(np.arange(len(frame)), count)
    seg = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    seg += key_start[row_key][row]
    share = segments.share[seg]
    keep = share > 0
    row, seg, share = row[keep], seg[keep], share[keep]
    out = frame.iloc[row].reset_index(drop=True)
    out["children"] = out["children"].to_numpy(dtype=float) * share
    out.insert(list(out.columns).index("age_band") + 1, SEGMENT, segments.categorical(seg))
    return out
