"""Placement continuity: the base-year stock and how children carry over from year to year.

A child stays in their setting next year unless their plan ceases or they reach a phase
transfer — starting reception (age 4), Year 7 (11), Year 12 (16) or age 19 — when they
may move. With age bands, the share of a band's children who stay in the same setting next
year is

    carry(n, b → b') = Σ over ages a in b with a + 1 in b' and a + 1 not a transfer age of
                       share(n, a | b) × continuation(a)

where ``share(n, a | b)`` is the base-year share of need-n children in band b who are aged
a, and ``continuation(a)`` is the chance that a plan held at age a is still held at a + 1.
Continuation is estimated from single-year history as the cohort ratio
Σ_y N(a+1, y+1) / Σ_y N(a, y), capped at 1: new plans at a + 1 inflate the ratio, so this
understates ceasing where many plans start (young ages) and measures it where few do
(16 and over, where ceasing is concentrated). No plan continues past 25. With only age
bands, ages are taken as evenly spread within each band and continuation as 1 below 25.

The allocation's groups are age segments (:mod:`sufficiency.model.segments`: the bands cut
at the age limits of the settings that could take the need and level), and the same
formula gives the carry between segments, with ``share(n, a | s)`` the need's base-year
share of segment s at age a. Since segments are consecutive ages, a child aged a in
segment s is in s next year if a < last(s) and in the segment starting at last(s) + 1 if
a = last(s). A child stays in their setting only where the setting serves the segment
they are carried into (it serves all or none of a segment's ages), so nobody is carried
past a setting's ``age_max``: an 18-year-old in a 2–18 school is not kept there at 19.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import taxonomy
from ..data.inputs import NOT_IN_SCHOOL, Inputs
from .coding import codes as _codes
from .segments import (
    SEGMENT,
    AgeSegments,
    age_segments,
    segment_ages,
    split_by_segment,
)

#: Ages at which a child starts a new phase and may change setting.
TRANSFER_AGES: tuple[int, ...] = (4, 11, 16, 19)


@dataclass
class CarryRates:
    """Year-on-year carry-over rates.

    Attributes:
        continuation: Chance a plan held at age a is held at a + 1, shape (26,).
        age_share: Share of a band's children at each age, by need, shape (needs, 26).
        carry: Share of band-b children of need n still in the same setting next year and
            in band b', shape (needs, bands, bands).
        stay: Measured share of continuing plans at each age in the same setting next
            year, shape (26,), or None for the defaults (:meth:`staying`).
    """

    continuation: np.ndarray
    age_share: np.ndarray
    carry: np.ndarray
    stay: np.ndarray | None = None

    def staying(self) -> np.ndarray:
        """Share of a plan held at age a that is in the same setting at a + 1, (26,):
        measured where the scenario's continuity table gives it, else 1 between transfer
        points and 0 at them."""
        if self.stay is not None:
            return self.stay
        return default_stay()


def default_stay() -> np.ndarray:
    """1 where a + 1 is not a transfer age, else 0 (and 0 at 25), shape (26,)."""
    ages = np.array(taxonomy.AGES)
    out = np.zeros(len(ages))
    out[:-1] = ~np.isin(ages[1:], TRANSFER_AGES)
    return out


def continuation_by_age(caseload: pd.DataFrame, first_year: int | None = None) -> np.ndarray:
    """Cohort-ratio estimate of plan continuation by single year of age (see module doc)."""
    cont = np.ones(len(taxonomy.AGES))
    cont[-1] = 0.0
    single = caseload[caseload["age"] >= 0]
    if first_year is not None:
        single = single[single["year"] >= first_year]
    if single.empty:
        return cont
    table = (
        single.groupby(["year", "age"])["children"]
        .sum()
        .unstack()
        .fillna(0.0)
        .reindex(columns=list(taxonomy.AGES), fill_value=0.0)
    )
    years = table.index.to_numpy()
    values = table.to_numpy(dtype=float)
    follows = np.flatnonzero(np.isin(years + 1, years))
    if len(follows) == 0:
        return cont
    nxt = np.searchsorted(years, years[follows] + 1)
    now = values[follows, :-1].sum(axis=0)
    later = values[nxt, 1:].sum(axis=0)
    ratio = np.divide(later, now, out=np.ones_like(now), where=now > 0)
    cont[:-1] = np.clip(ratio, 0.0, 1.0)
    return cont


def age_shares(caseload: pd.DataFrame, base_year: int) -> np.ndarray:
    """Share of each need's band total at each single age in the base year, (needs, 26).

    Needs with no single-age data in a band use the all-needs profile, then an even spread.
    """
    needs = list(taxonomy.NEEDS)
    band_of_age = taxonomy.age_band_of(np.array(taxonomy.AGES))
    base = caseload[(caseload["year"] == base_year) & (caseload["age"] >= 0)]
    counts = np.zeros((len(needs), len(taxonomy.AGES)))
    if not base.empty:
        need_idx = pd.Categorical(base["need"].astype(str), categories=needs).codes
        np.add.at(
            counts,
            (need_idx, base["age"].to_numpy(dtype=int)),
            base["children"].to_numpy(dtype=float),
        )
    overall = counts.sum(axis=0)
    shares = np.zeros_like(counts)
    for band in taxonomy.AGE_BAND_LABELS:
        cols = band_of_age == band
        even = np.full(cols.sum(), 1.0 / cols.sum())
        all_total = overall[cols].sum()
        fallback = overall[cols] / all_total if all_total > 0 else even
        for i in range(len(needs)):
            total = counts[i, cols].sum()
            shares[i, cols] = counts[i, cols] / total if total > 0 else fallback
    return shares


def carry_rates(inputs: Inputs, base_year: int, first_year: int | None = None) -> CarryRates:
    """Carry-over rates between age bands for every need (see module doc)."""
    cont = continuation_by_age(inputs.caseload[inputs.caseload["year"] <= base_year], first_year)
    stay = None
    measured = getattr(inputs, "continuity", None)
    if measured is not None and len(measured):
        cont, stay = measured_rates(measured, cont)
    share = age_shares(inputs.caseload, base_year)
    bands = list(taxonomy.AGE_BAND_LABELS)
    band_idx = np.array([bands.index(b) for b in taxonomy.age_band_of(np.array(taxonomy.AGES))])
    carry = np.zeros((len(taxonomy.NEEDS), len(bands), len(bands)))
    stays = default_stay() if stay is None else stay
    for a in taxonomy.AGES[:-1]:
        carry[:, band_idx[a], band_idx[a + 1]] += share[:, a] * cont[a] * stays[a]
    return CarryRates(continuation=cont, age_share=share, carry=carry, stay=stay)


def measured_rates(table: pd.DataFrame, cont: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Continuation and stay rates by age from the scenario's ``continuity`` table (rates
    measured between SEN2 returns), the defaults where an age has no measured children."""
    cont = cont.copy()
    stay = default_stay()
    for age, n, c, s in table[["age", "children", "continuation", "stay_rate"]].itertuples(
        index=False
    ):
        a = int(age)
        if not 0 <= a < len(cont) - 1 or not n > 0:
            continue
        if np.isfinite(c):
            cont[a] = float(c)
        if np.isfinite(s):
            stay[a] = float(s)
    return cont, stay


def segment_carry(
    rates: CarryRates, need: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Carry-over rates of children in the age segments ``first``–``last`` of ``need``.

    The module doc's formula with ``share(n, a | s)`` the need's base-year share of the
    segment at age a: a child aged a stays in the segment next year if a < last, and moves
    to the segment starting at ``last + 1`` if a = last.

    Returns:
        ``(stay, move)``: the share of a segment's children in the same setting next year
        in the same segment, and in the next one, each shaped like ``need``.
    """
    staying = rates.age_share * (rates.continuation * rates.staying())[None, :]
    staying[:, -1] = 0.0  # no plan continues past 25

    def running(values: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros((len(values), 1)), np.cumsum(values, axis=1)], axis=1)

    # adding a zero leaves a running sum as it is: a sum of zero terms comes out as 0
    total = running(rates.age_share)
    carried = running(staying)
    size = total[need, last + 1] - total[need, first]
    stay = carried[need, last] - carried[need, first]
    move = staying[need, last]
    ok = size > 0
    return (
        np.divide(stay, size, out=np.zeros(len(need)), where=ok),
        np.divide(move, size, out=np.zeros(len(need)), where=ok),
    )


def base_stock(inputs: Inputs, base_year: int) -> pd.DataFrame:
    """Base-year placements: ``need, age_band, age, level, setting, children``.

    ``level`` is the setting's tier; ``age`` is the single year of age (-1 where the
    caseload has age bands only).
    """
    base = inputs.caseload[
        (inputs.caseload["year"] == base_year)
        & ~inputs.caseload["setting"].isin(list(NOT_IN_SCHOOL))
    ]
    tier_of = dict(
        zip(inputs.settings["setting"], inputs.settings["tier"].astype(str), strict=True)
    )
    out = (
        base.assign(
            need=base["need"].astype(str),
            age_band=base["age_band"].astype(str),
            level=base["setting"].map(tier_of),
        )
        .groupby(["need", "age_band", "age", "level", "setting"])["children"]
        .sum()
        .reset_index()
    )
    return out[out["children"] > 0].reset_index(drop=True)


@dataclass
class Continuity:
    """Lower bounds that keep continuing children in their setting, as sparse rows.

    Row r reads: ``x[target[r]] + displaced[r] ≥ const[r] + Σ rate · x[source]`` over the
    row's sources (placements of the previous plan year), ``const`` being the children
    carried over from the base year's actual placements.

    Attributes:
        target: Pair index of each row, shape (R,).
        const: Children carried from the base year, shape (R,).
        indptr: Row r's sources are ``source[indptr[r]:indptr[r+1]]``, shape (R+1,).
        source: Pair index of each source, shape (nnz,).
        rate: Carry rate of each source, shape (nnz,).
        penalty: £ per child displaced in the last plan year (see :meth:`row_penalties`).
    """

    target: np.ndarray
    const: np.ndarray
    indptr: np.ndarray
    source: np.ndarray
    rate: np.ndarray
    penalty: float

    def row_penalties(self, pair_year: np.ndarray, n_years: int) -> np.ndarray:
        """Penalty of each row's displacement: ``penalty × (years left in the plan)``.

        Displacing a child earlier than necessary would lower the next year's carried
        children and save on placement costs; making each earlier year cost one more
        multiple of the penalty means children move only when, and only as far as, a
        closure or falling demand forces it.
        """
        return self.penalty * (n_years - pair_year[self.target]).astype(float)

    def carried(self, placed: np.ndarray) -> np.ndarray:
        """Children carried into each row's pair, given the placements ``placed`` (K,)."""
        rows = np.repeat(np.arange(len(self.target)), np.diff(self.indptr))
        flow = np.bincount(
            rows, weights=self.rate * placed[self.source], minlength=len(self.target)
        )
        return self.const + flow


def _stock_by_segment(stock: pd.DataFrame, segments: AgeSegments) -> pd.DataFrame:
    """The base-year stock by age segment: by single age where known, else by shares."""
    aged = stock["age"].to_numpy(dtype=int) >= 0 if "age" in stock else np.zeros(len(stock), bool)
    by_share = split_by_segment(stock[~aged], segments)
    if not aged.any():
        return by_share
    known = stock[aged].reset_index(drop=True)
    need = _codes(known["need"], taxonomy.NEEDS)
    level = _codes(known["level"], taxonomy.TIERS)
    seg = segments.at_age()[need, level, known["age"].to_numpy(dtype=int)]
    known[SEGMENT] = segments.categorical(seg)
    return pd.concat([by_share, known], ignore_index=True)


def continuity_arrays(
    groups: pd.DataFrame,
    settings: pd.DataFrame,
    pair_group: np.ndarray,
    pair_setting: np.ndarray,
    group_year: np.ndarray,
    stock: pd.DataFrame,
    rates: CarryRates,
    penalty: float,
    segments: AgeSegments | None = None,
) -> Continuity:
    """Build the continuity rows for eligible pairs, vectorised over pairs.

    A placement in plan year y of a group (need, age segment, level) in a setting carries
    into year y + 1 in the same setting: to the same segment at its ``stay`` rate and to
    the next segment (starting a year after its last age) at its ``move`` rate
    (:func:`segment_carry`). Rows exist only where the target pair is eligible, so nobody
    is carried into ages a setting does not take. The base-year stock goes into the segment
    of each child's single year of age; where the caseload has age bands only, it is split
    into segments by the same single-age shares as demand. Only children with EHC plans carry
    over (groups of ``provision`` ``sen_support`` have no rows).

    Args:
        groups: Demand groups ``need, age_segment, level`` and ``provision`` (row = group).
        settings: The register (row = setting).
        pair_group, pair_setting: The eligible pairs.
        group_year: Plan-year index of each group.
        stock: Base-year placements (:func:`base_stock`).
        rates: Carry rates (:func:`carry_rates`).
        penalty: £ per child per year displaced.
        segments: The age segments of the groups
            (:func:`~sufficiency.model.segments.age_segments`); without them, the groups
            are by age band and the bands are the segments.
    """
    if segments is None:  # the bands uncut are the segments
        segments = age_segments(settings.iloc[0:0], rates.age_share)
        groups = groups.assign(**{SEGMENT: groups["age_band"]})
    n_n, n_a, n_l, n_s = len(taxonomy.NEEDS), len(taxonomy.AGES), len(taxonomy.TIERS), len(settings)

    def codes(
        year: np.ndarray,
        need: np.ndarray,
        first: np.ndarray,
        level: np.ndarray,
        setting: np.ndarray,
    ) -> np.ndarray:
        # a segment is known by its first age within its need and level
        return (((year * n_n + need) * n_a + first) * n_l + level) * n_s + setting

    def coded(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        need = _codes(frame["need"], taxonomy.NEEDS)
        level = _codes(frame["level"], taxonomy.TIERS)
        index, labels = pd.factorize(frame[SEGMENT])
        first, last = segment_ages(labels)
        return need, level, first[index], last[index]

    g_need, g_level, g_first, g_last = coded(groups)
    p_year = group_year[pair_group].astype(np.int64)
    p_need, p_level = g_need[pair_group], g_level[pair_group]
    p_first, p_last = g_first[pair_group], g_last[pair_group]
    p_set = pair_setting.astype(np.int64)
    pair_codes = codes(p_year, p_need, p_first, p_level, p_set)
    # children on SEN support are placed afresh each year (no base-year stock by setting;
    # mostly in their mainstream school, where places do not bind): no rows of theirs
    ehc = np.ones(len(groups), dtype=bool)
    if "provision" in groups:
        ehc = (groups["provision"].astype(str) == "ehc_plan").to_numpy()
    p_ehc = ehc[pair_group]
    pair_codes = np.where(p_ehc, pair_codes, -1)
    order = np.argsort(pair_codes)
    sorted_codes = pair_codes[order]

    def find(target_codes: np.ndarray) -> np.ndarray:
        if not len(sorted_codes):
            return np.full(len(target_codes), -1)
        pos = np.minimum(np.searchsorted(sorted_codes, target_codes), len(sorted_codes) - 1)
        return np.where(sorted_codes[pos] == target_codes, order[pos], -1)

    n_years = int(group_year.max()) + 1 if len(group_year) else 0
    p_rates = segment_carry(rates, p_need, p_first, p_last)
    if len(stock):
        stock = _stock_by_segment(stock, segments)
        s_need, s_level, s_first, s_last = coded(stock)
        s_set = (
            stock["setting"]
            .map({s: i for i, s in enumerate(settings["setting"])})
            .to_numpy(dtype=np.int64)
        )
        s_rates = segment_carry(rates, s_need, s_first, s_last)
        s_children = stock["children"].to_numpy(dtype=float)
    tgt_list, src_list, rate_list = [], [], []
    const_t, const_v = [], []
    for step in (0, 1):  # same segment, next segment
        target_first = p_last + 1 if step else p_first
        rate = p_rates[step]
        ok = (target_first < n_a) & (p_year + 1 < n_years) & (rate > 0) & p_ehc
        tgt = find(codes(p_year[ok] + 1, p_need[ok], target_first[ok], p_level[ok], p_set[ok]))
        keep = tgt >= 0
        tgt_list.append(tgt[keep])
        src_list.append(np.flatnonzero(ok)[keep])
        rate_list.append(rate[ok][keep])

        # the base year's actual placements carry into the first plan year
        if len(stock):
            first = s_last + 1 if step else s_first
            r = s_rates[step]
            okb = (first < n_a) & (r > 0)
            zeros = np.zeros(int(okb.sum()), dtype=np.int64)
            tb = find(codes(zeros, s_need[okb], first[okb], s_level[okb], s_set[okb]))
            kb = tb >= 0
            const_t.append(tb[kb])
            const_v.append((r[okb] * s_children[okb])[kb])

    tgt_all = np.concatenate(tgt_list + const_t) if tgt_list else np.array([], dtype=np.int64)
    rows = np.unique(tgt_all)
    const = np.zeros(len(rows))
    for t, v in zip(const_t, const_v, strict=True):
        np.add.at(const, np.searchsorted(rows, t), v)
    tgt = np.concatenate(tgt_list)
    src = np.concatenate(src_list)
    rate = np.concatenate(rate_list)
    row_idx = np.searchsorted(rows, tgt)
    sort = np.lexsort((src, row_idx))
    row_idx, src, rate = row_idx[sort], src[sort], rate[sort]
    indptr = np.searchsorted(row_idx, np.arange(len(rows) + 1))
    return Continuity(
        target=rows, const=const, indptr=indptr, source=src, rate=rate, penalty=float(penalty)
    )
