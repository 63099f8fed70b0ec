"""Funding bands: the optional tables of band top-ups and each group's base-year band mix.

Many councils pay top-up by band (core / core plus, or A–E) rather than one figure per
setting. Two tables describe it, both optional and given together:

- ``funding_bands``: ``band``, the ``tier`` (one or several, separated by ``;``) *or* the
  ``setting`` the row prices, and ``top_up_per_place_gbp`` (£ per child per year,
  base-year prices). The rows of one scope (a tier, or one setting) are that scope's band
  scale; a setting's own rows win over its tier's.
- ``band_mix``: the share of each demand group's children at each band, keyed by
  ``need``, ``age_band`` and ``level``, given as base-year ``children`` per band (shares
  derived; groups with none borrow coarser mixes) or as ``share`` directly (blank keys
  match every value; the most specific key wins).

Validation follows the other tables: every problem is collected, each naming the file,
row and column, and raised once (:func:`read_bands`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import Problem
from .checks import duplicate_keys
from .tables import Column, RawTable

#: Largest top-up of one band, £ per child per year (as the register's cost_per_place).
MAX_TOP_UP_GBP = 5_000_000
#: Largest count of children in one band-mix row.
MAX_BAND_CHILDREN = 100_000
#: How far a group's band shares may sum from 1 (they are then rescaled to sum to 1).
SHARE_TOLERANCE = 0.001
#: Band name of top-ups at settings no band scale covers, in ``top_up_by_band`` (reserved).
UNBANDED = "unbanded"
#: Rank of a band-mix key's columns: a level beats a need, which beats an age band.
_RANK = {"level": 4, "need": 2, "age_band": 1}
KEYS = ("need", "age_band", "level")

FUNDING_BANDS_COLUMNS = (
    Column("band", "text"),
    Column("tier", "text", required=False, blank_ok=True),
    Column("setting", "text", required=False, blank_ok=True),
    Column(
        "top_up_per_place_gbp",
        "float",
        minimum=0,
        maximum=MAX_TOP_UP_GBP,
        unit="£ per child per year",
    ),
)
BAND_MIX_COLUMNS = (
    Column("need", "need", required=False, blank_ok=True),
    Column("age_band", "age_band", required=False, blank_ok=True),
    Column("level", "tier", required=False, blank_ok=True),
    Column("band", "text"),
    Column("share", "float", required=False, minimum=0, maximum=1, unit="fraction"),
    Column(
        "children",
        "float",
        required=False,
        minimum=0,
        maximum=MAX_BAND_CHILDREN,
        unit="children",
    ),
)


@dataclass(frozen=True)
class FundingBands:
    """Validated band top-ups and band mixes.

    Attributes:
        bands: Band names in the order ``funding_bands`` first gives them.
        top_ups: One row per band and scope: ``band, tier, setting, top_up_per_place_gbp``
            (``tier`` "" for a setting's row, ``setting`` "" for a tier's row).
        mix: One row per key and band: ``need, age_band, level, band, share`` ("" = every
            value); the shares of one key sum to 1.
        register: Ids of the register the bands were checked against; settings added
            later (capital options, the market) keep their own prices.
    """

    bands: tuple[str, ...]
    top_ups: pd.DataFrame
    mix: pd.DataFrame
    register: frozenset[str]


def _tiers(text: str) -> tuple[list[str], list[str]]:
    """Tier codes of a ``;``-separated cell, and the parts that are not tiers."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        code = taxonomy.lookup("tier", part)
        if code is None:
            unknown.append(part)
        else:
            codes.append(code)
    return list(dict.fromkeys(codes)), unknown


def _scopes(
    frame: pd.DataFrame, raw: RawTable, settings: pd.DataFrame, problems: list[Problem]
) -> pd.DataFrame:
    """``funding_bands`` exploded to one row per band and scope, each scope checked."""
    tier_of = dict(zip(settings["setting"], settings["tier"].astype(str), strict=True))
    tiers = frame["tier"] if "tier" in frame else pd.Series("", index=frame.index)
    ids = frame["setting"] if "setting" in frame else pd.Series("", index=frame.index)
    rows: list[tuple[str, str, str, float, int]] = []
    for i, (band, tier, setting, gbp) in enumerate(
        zip(frame["band"], tiers, ids, frame["top_up_per_place_gbp"], strict=True)
    ):
        if band == UNBANDED:
            problems.append(Problem(raw.where(i, "band"), f"{UNBANDED!r} is reserved"))
        if gbp == 0:
            problems.append(
                Problem(
                    raw.where(i, "top_up_per_place_gbp"),
                    "a band's top-up must be above £0 per child per year; leave out a band "
                    "that pays none",
                )
            )
        if bool(tier) == bool(setting):
            problems.append(
                Problem(
                    raw.where(i, "tier" if tier else "setting"),
                    "give either the tier(s) or the setting the band applies to, not "
                    + ("both" if tier else "neither"),
                )
            )
            continue
        if setting:
            if setting not in tier_of:
                problems.append(
                    Problem(
                        raw.where(i, "setting"),
                        f"setting {setting!r} is not in the settings register",
                    )
                )
            elif tier_of[setting] == "independent":
                problems.append(
                    Problem(
                        raw.where(i, "setting"),
                        f"{setting!r} is independent: its places are paid as fees, not "
                        "top-ups, so no band applies",
                    )
                )
            else:
                rows.append((band, "", setting, gbp, i))
            continue
        codes, unknown = _tiers(tier)
        for part in unknown:
            problems.append(
                Problem(
                    raw.where(i, "tier"),
                    f"unknown tier {part!r}; accepted: " + ", ".join(taxonomy.TIERS),
                )
            )
        if "independent" in codes:
            problems.append(
                Problem(
                    raw.where(i, "tier"),
                    "independent places are paid as fees, not top-ups: no band applies",
                )
            )
        rows += [(band, code, "", gbp, i) for code in codes if code != "independent"]
    out = pd.DataFrame(rows, columns=["band", "tier", "setting", "top_up_per_place_gbp", "_row"])
    seen: dict[tuple[str, str, str], int] = {}
    for band, tier, setting, row in zip(
        out["band"], out["tier"], out["setting"], out["_row"], strict=True
    ):
        key = (band, tier, setting)
        if key in seen and seen[key] != row:
            scope = f"tier {tier}" if tier else f"setting {setting}"
            problems.append(
                Problem(
                    raw.where(int(row)),
                    f"repeats row {seen[key] + raw.first_row} (band {band}, {scope}); each "
                    "band may be priced once per tier or setting: remove one",
                )
            )
        seen.setdefault(key, int(row))
    return out


def _mix(frame: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> pd.DataFrame:
    """Band shares by key (``need, age_band, level``; "" = every value) from either form."""
    absent = [k for k in KEYS if k not in frame]
    if absent and "children" in frame:
        problems.append(
            Problem(
                raw.label,
                f"missing column(s): {', '.join(absent)}; base-year children per band need the "
                "need, age band and level of every row (give shares instead to use blanks for "
                "'all')",
            )
        )
        return frame.iloc[0:0].assign(share=0.0)
    for key in absent:
        frame[key] = ""
    duplicate_keys(frame, raw, [*KEYS, "band"], problems, "need, age band, level and band")
    for i in np.flatnonzero((frame["level"] == "independent").to_numpy()):
        problems.append(
            Problem(
                raw.where(int(i), "level"),
                "independent places are paid as fees, not top-ups: no band mix applies",
            )
        )
    by_children = "children" in frame
    # the checks above name rows as given; the shares are computed in one canonical order,
    # so that the order of the rows cannot change a figure
    frame = frame.assign(_row=np.arange(len(frame)))
    frame = frame.sort_values([*KEYS, "band"], kind="stable").reset_index(drop=True)
    if by_children and "share" in frame:
        problems.append(Problem(raw.label, "give either a share or a children column, not both"))
        return frame.iloc[0:0].assign(share=0.0)
    if by_children:
        for key in KEYS:
            for i in np.flatnonzero((frame[key] == "").to_numpy()):
                problems.append(
                    Problem(
                        raw.where(int(frame["_row"].iloc[i]), key),
                        "empty cell; base-year children per band need the need, age band and "
                        "level of every row (give shares instead to use blanks for 'all')",
                    )
                )
        given = frame.groupby(list(KEYS), sort=False)["children"].transform("sum")
        _report_keys(frame, raw, given <= 0, "children", problems, "has no children at any band")
        # groups with no children borrow: the same need and level over all ages, then the
        # level over all needs and ages, then every child in the table
        pieces = [frame[given > 0]]
        for kept in (("need", "level"), ("level",), ()):
            coarse = frame.groupby([*kept, "band"], sort=False, as_index=False)["children"].sum()
            pieces.append(coarse.assign(**{k: "" for k in KEYS if k not in kept}))
        counts = pd.concat(pieces, ignore_index=True)
        total = counts.groupby(list(KEYS), sort=False)["children"].transform("sum")
        counts = counts[total > 0]
        return counts[[*KEYS, "band"]].assign(share=(counts["children"] / total[total > 0]))
    sums = frame.groupby(list(KEYS), sort=False)["share"].transform("sum")
    off = (sums - 1.0).abs() > SHARE_TOLERANCE
    _report_keys(
        frame,
        raw,
        off,
        "share",
        problems,
        f"has band shares summing to {{total:.4g}}; a group's shares must sum to 1 (within "
        f"{SHARE_TOLERANCE})",
        sums,
    )
    return frame[[*KEYS, "band"]].assign(share=(frame["share"] / sums).to_numpy())


def _report_keys(
    frame: pd.DataFrame,
    raw: RawTable,
    bad: pd.Series,
    column: str,
    problems: list[Problem],
    what: str,
    totals: pd.Series | None = None,
) -> None:
    """One problem per band-mix key with a bad row, at its first such row (``_row``: the
    row's position in the table as given)."""
    reported: set[tuple[str, ...]] = set()
    for i in np.flatnonzero(bad.to_numpy()):
        key = tuple(str(frame[k].iloc[i]) for k in KEYS)
        if key in reported:
            continue
        reported.add(key)
        shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in zip(KEYS, key, strict=True) if v)
        text = what.format(total=float(totals.iloc[i])) if totals is not None else what
        who = f"the group {shown}" if shown else "the catch-all (every need, age band and level)"
        problems.append(Problem(raw.where(int(frame["_row"].iloc[i]), column), f"{who} {text}"))


def key_rank(mix: pd.DataFrame) -> np.ndarray:
    """How specific each mix row's key is (a level beats a need, a need an age band)."""
    rank = np.zeros(len(mix), dtype=int)
    for k, r in _RANK.items():
        rank += np.where(mix[k].to_numpy() != "", r, 0)
    return rank


def resolve(mix: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Index into the distinct keys of ``mix`` of the most specific one matching each row.

    Args:
        mix: Band mix (``need, age_band, level``; "" = every value).
        keys: Rows with ``need, age_band, level`` to match.

    Returns:
        For each row of ``keys``, the position of its key in
        ``mix[KEYS].drop_duplicates()``, or -1 where none matches.
    """
    distinct = mix[list(KEYS)].drop_duplicates().reset_index(drop=True)
    rank = key_rank(distinct)
    best = np.full(len(keys), -1)
    values = {k: keys[k].astype(str).to_numpy() for k in KEYS}
    wanted = {k: distinct[k].astype(str).to_numpy() for k in KEYS}
    for j in np.argsort(-rank, kind="stable"):
        hit = best < 0
        for k in KEYS:
            if wanted[k][j] != "":
                hit &= values[k] == wanted[k][j]
        best[hit] = j
    return best


def _coverage(
    mix: pd.DataFrame, scoped: pd.DataFrame, settings: pd.DataFrame, label: str
) -> list[Problem]:
    """Groups a band scale can receive (level at or below a banded tier) with no mix."""
    tier_no = dict(zip(settings["setting"], settings["tier"].astype(str), strict=True))
    banded = [t for t in scoped["tier"] if t] + [tier_no[s] for s in scoped["setting"] if s]
    if not banded or mix.empty:
        return []
    top = max(taxonomy.TIER_NUMBER[t] for t in banded)
    grid = pd.MultiIndex.from_product(
        [taxonomy.EHCP_NEEDS, taxonomy.AGE_BAND_LABELS, taxonomy.TIERS[:top]], names=list(KEYS)
    ).to_frame(index=False)
    missing = grid[resolve(mix, grid) < 0]
    if missing.empty:
        return []
    shown = "; ".join(
        f"need {r.need}, age band {r.age_band}, level {r.level}"
        for r in missing.head(3).itertuples()
    )
    more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
    return [
        Problem(
            label,
            f"no band mix for {shown}{more}: children of these groups can be placed where "
            "bands apply; add their shares, or a catch-all row with need, age_band and level "
            "blank",
        )
    ]


def read_bands(
    bands_frame: pd.DataFrame,
    bands_raw: RawTable,
    mix_frame: pd.DataFrame,
    mix_raw: RawTable,
    settings: pd.DataFrame,
    problems: list[Problem],
) -> FundingBands:
    """Check the two band tables against each other and the register.

    Args:
        bands_frame: ``funding_bands`` parsed with :data:`FUNDING_BANDS_COLUMNS`.
        bands_raw: It as read, for locations.
        mix_frame: ``band_mix`` parsed with :data:`BAND_MIX_COLUMNS`.
        mix_raw: It as read.
        settings: The validated register (``setting, tier``).
        problems: Collector; the caller raises once.

    Returns:
        The bands (meaningless where problems were added).
    """
    register = frozenset(settings["setting"])
    if bands_frame.empty or mix_frame.empty:
        return FundingBands((), bands_frame, mix_frame, register)
    scoped = _scopes(bands_frame.copy(), bands_raw, settings, problems)
    bands = tuple(dict.fromkeys(bands_frame["band"]))
    mix_given = mix_frame.copy()
    for i, band in enumerate(mix_given["band"]):
        if band not in bands:
            problems.append(
                Problem(
                    mix_raw.where(i, "band"),
                    f"unknown band {band!r}; {bands_raw.label} gives: " + ", ".join(bands),
                )
            )
    mix = _mix(mix_given, mix_raw, problems)
    named = list(dict.fromkeys(mix_given["band"]))
    for (tier, setting), scale in scoped.groupby(["tier", "setting"], sort=False):
        absent = [b for b in named if b in bands and b not in set(scale["band"])]
        if absent:
            scope = f"tier {tier}" if tier else f"setting {setting}"
            problems.append(
                Problem(
                    bands_raw.where(int(scale["_row"].iloc[0]), "band"),
                    f"{scope} has no top-up for band(s) " + ", ".join(absent) + f", which "
                    f"{mix_raw.label} uses: every band scale must price every band of the mix",
                )
            )
    if "share" in mix_frame:
        problems += _coverage(mix, scoped, settings, mix_raw.label)
    return FundingBands(bands, scoped.drop(columns="_row"), mix.reset_index(drop=True), register)
