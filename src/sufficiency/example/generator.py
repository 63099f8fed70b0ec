"""Seeded generator of a fictional borough's SEND data: the Metropolitan Borough of Ashworth.

Run ``python -m sufficiency.example.generator`` to regenerate the shipped example in
``sufficiency/example/ashworth/`` with :data:`~sufficiency.datasets.DEFAULT_SEED`.

Everything random is drawn from one :class:`numpy.random.Generator` seeded by the caller, in
a fixed order, so a seed always gives the same tables (with the same numpy version: numpy
may change a sampler's stream between releases, which would change the data, not break it).
The national figures quoted below are DfE statistics for England, January 2025; the numbers
themselves live in :mod:`sufficiency.example._targets`.

Modelling choices
-----------------

**Size.** Ashworth holds 3,300 EHC plans in January 2025 (median English LA ≈3,270) and about
100,000 residents aged 0-25 (the seed metropolitan borough has 97,356 aged 0-24). A borough
of ``n_settings`` settings holds ``n_settings × 3300 / 67`` plans (≈49 a setting, 67 being
Ashworth's register) and a population scaled in proportion.

**Population.** Single years of age 0-25 follow birth cohorts (the national dip around
2002, a peak in the mid-2010s, the fall since), times a net-migration profile (students
leave at 18-21, young adults arrive in their twenties), ≈3,800 per year of age and ≈100,000
in all. Estimates (2016-2025) carry small cohort and year noise; projections (2026-2035) age
the 2025 estimate forward and add new cohorts at a flat, slightly smaller size, so the
primary roll falls through the plan years and the secondary roll rises to about 2027 and
then falls.

**EHC plans, 2025.** A 2025 age × need table is fitted by iterative proportional fitting
(IPF) to the national shares by single year of age (bands 0-4 4.3%, 5-10 33.3%, 11-15 36.5%,
16-19 20.0%, 20-25 5.8%; rise to a plateau at 11-14, -6% from 15 to 16, -13% from 16 to 17,
steep drop after 19) and by need (ASD 31.5% … MSI 0.3%), starting from judged need-by-age
curves (SLCN about half of plans at 3-5 and an eighth at 15-19; SEMH 3% at 4 and 30% at
15-16; ASD near a third at every age; MLD and SLD growing after 19).

**History, 2016-2025.** Totals grow 10% a year (median LA ≈9.9%), so ≈1,400 plans in 2016,
with 1% noise in years before 2025. Each year's age × need mix is the 2025 mix times the
population of each age relative to 2025 (cohort effects), times need trends (autism and
SEMH rising, MLD falling as a share), times a ramp for ages 20-25 from zero in 2015 to full
in 2020 (the 2014 reforms extended plans to 25). Counts before 2025 are multinomial draws
(of the year's total over cells, then of each cell over settings), so small cells are noisy
as real ones are. The 2025 snapshot, which analysts compare with the national figures, is
drawn by randomised systematic rounding instead: every count is the floor or ceiling of its
expectation, so the headline shares sit within a few tenths of a point of their targets.

**Placements.** Plans are placed in eight categories, the DfE groupings: mainstream school
not in a unit (tiers ``mainstream`` and ``sen_support``, 39.7%), resourced provision/units
(``enhanced_resource``, 3.8%), state special schools in and out of area (25.0%), independent
and non-maintained special schools (``independent`` settings taking school-age pupils,
5.3%), general FE colleges (``sen_support`` settings for ages 16-25) and specialist post-16
institutions (``independent`` settings for ages 16-25) together 13.8%, AP/PRU
(``partnership``, 0.8%) and ``NOT_PLACED`` (≈11%: NEET, elective home education, educated
elsewhere; 11.6% here so that shares sum to 100). A judged table of category shares by age
(mainstream ≈63% at 5-10 and 45% at 11-15, independent use peaking at 13-15, FE and
specialist colleges after 16) is raked to hit those headline shares exactly. A second IPF
spreads each age's categories over needs with judged affinities (special schools take most
SLD and PMLD; ≈75% of independent places are autism or SEMH; AP is mostly SEMH), only over
needs and ages some eligible setting can take (needs include the child's need or ALL, ages
include the child's age). In that IPF each resource base and special school is a column of
its own with a third margin, its target size (resource bases ≈14 children, special schools
≈100 in area and ≈20 out of area), so a base for a rarer need draws its children from
mainstream rather than staying empty. Other categories split over their eligible settings
in proportion to a weight (locality size, fee-paying school size). About 5% of
mainstream-school plans are in ``mainstream`` (ordinarily available provision, no top-up),
the rest in ``sen_support`` (EHC top-up). Going back from 2025 the category shares drift:
state special schools held a larger share in 2016 (they grew more slowly than plans and
filled up), independent placements a smaller one (they nearly doubled 2019-2025).

**Capacity.** Mainstream and FE settings have no fixed limit (blank places). In-area special
schools are full: places are their 2025 occupancy plus at most 4% (≥96% occupied). A
resource base's places are its 2025 occupancy or one more. Any earlier year that would
exceed those places moves its excess (chosen at random) to an eligible out-of-area special,
independent or mainstream setting, as a council with full schools does, so no year is over
capacity. Independent settings, the safety valve, get 40-60% more places (plus 2) than the
most children they have held; out-of-area special schools and AP a few more. Planned
changes go in ``setting_places``: an autism special school expanding in 2027, an SEMH school
in 2028, a speech and language unit closing in 2027 and a new autism and SEMH base opening
in 2026 (0 places in the register).

**Costs.** 2025 prices, whole pounds (rounded to £10): £0 for ordinarily available
provision, £6k-9k top-up in mainstream and FE, £8k-12k AP, £15k-22k resource bases,
£24k-34k in-area special schools, £28k-40k out of area, and lognormal independent fees
(median £58k, residential and sensory schools above £100k). Transport per place: up to £800
in mainstream, £3k-5k for resource bases, £6k-9k for in-area special schools, £10k-15k out
of area, £15k-25k for independent settings out of area. ``cost_assumptions`` has blank-tier
inflation of 3.5% then 3% a year (transport 5% then 4%) for 2026-2035, and 4.5% a year for
independent fees.

**SEN support.** 2.3 times the EHC plans in 2025 (14.2% vs 5.3% of pupils), growing 3.5% a
year (SEN support grew more slowly than plans), ages 2-18 with school ages dominant, and the
national mix (SLCN 26%, SEMH 21%, MLD 15%, SpLD 13%, ASD 8%, NSA 5%, OTH 4%, …) with speech
and language needs early and SpLD and SEMH later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..taxonomy import AGES, PUBLISHED_EHCP_NEEDS
from . import _targets as tg
from . import bands as example_bands
from ._flows import derive_flows
from ._register import REFERENCE_SETTINGS, Setting, build_register, layout
from ._writing import EXAMPLE_DESCRIPTION, EXAMPLE_DIR, EXAMPLE_NAME, HEADER, write_borough
from .sen2_export import write_own_files

log = logging.getLogger(__name__)

#: Seed of the shipped example.
DEFAULT_SEED = 20250101
NOT_PLACED = "NOT_PLACED"
# The borough's tables are calibrated to the DfE's published figures, whose needs have no DS
# (counted under OTH): PUBLISHED_EHCP_NEEDS. Its SEN2 exports record DS (sen2_export).
SEN_SUPPORT_NEEDS: tuple[str, ...] = (*PUBLISHED_EHCP_NEEDS, "NSA")

_N_AGES = len(AGES)
_YEARS = np.array(tg.HISTORY_YEARS)
_CAT = {c: i for i, c in enumerate(tg.CATEGORIES)}


def _ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 300) -> np.ndarray:
    """Scale a non-negative matrix to the given row and column sums."""
    x = seed.astype(float).copy()
    for _ in range(iters):
        r = x.sum(axis=1)
        x *= np.divide(rows, r, out=np.zeros_like(r), where=r > 0)[:, None]
        c = x.sum(axis=0)
        x *= np.divide(cols, c, out=np.zeros_like(c), where=c > 0)[None, :]
    return x


def _need_age_mix(
    needs: tuple[str, ...],
    knots: dict[str, tuple[tuple[float, float], ...]],
    need_pct: dict[str, float],
    age_weight: np.ndarray,
    default: dict[str, float] | None = None,
) -> np.ndarray:
    """Age × need shares (summing to 1) fitted to age and need margins from age curves."""
    ages = np.arange(_N_AGES, dtype=float)
    seed = np.column_stack(
        [
            tg.interp_knots(knots[n], ages) if n in knots else np.full(_N_AGES, (default or {})[n])
            for n in needs
        ]
    )
    seed = np.maximum(seed, 1e-6) * (age_weight > 0)[:, None]
    cols = np.array([need_pct[n] for n in needs], dtype=float)
    return _ipf(seed, age_weight / age_weight.sum(), cols / cols.sum())


# --------------------------------------------------------------------------------------------
# population


def _population(scale: float, rng: np.random.Generator) -> np.ndarray:
    """Residents by year (2016-2035) and age (0-25), integers."""
    years = np.arange(tg.HISTORY_START, tg.PLAN_END + 1)
    ages = np.arange(_N_AGES)
    migration = tg.interp_knots(tg.MIGRATION_KNOTS, ages)
    cohorts = np.arange(tg.HISTORY_START - _N_AGES, tg.PLAN_END + 1)
    cohort_noise = dict(
        zip(cohorts, np.exp(0.012 * rng.standard_normal(len(cohorts))), strict=True)
    )
    pop = np.zeros((len(years), _N_AGES))
    base_row = tg.BASE_YEAR - tg.HISTORY_START
    for i, year in enumerate(years[: base_row + 1]):
        born = year - ages
        size = tg.interp_knots(tg.COHORT_KNOTS, born) * np.array([cohort_noise[b] for b in born])
        pop[i] = size * migration * np.exp(0.006 * rng.standard_normal(_N_AGES))
    for i in range(base_row + 1, len(years)):
        k = years[i] - tg.BASE_YEAR
        aged = ages >= k
        pop[i, aged] = pop[base_row, ages[aged] - k] * migration[aged] / migration[ages[aged] - k]
        pop[i, ~aged] = tg.interp_knots(tg.COHORT_KNOTS, years[i] - ages[~aged]) * migration[~aged]
    return np.round(pop * scale).astype(np.int64)


# --------------------------------------------------------------------------------------------
# placement model


@dataclass
class _Placement:
    """2025 probabilities of each category by cell and of each setting within its category."""

    category: np.ndarray  # (ages, needs, categories), rows summing to 1
    within: np.ndarray  # (ages, needs, settings): share of the setting's category
    setting_category: np.ndarray  # (settings,) category index
    weight: np.ndarray  # (settings,) fitted weights

    def probabilities(self, year: int) -> np.ndarray:
        """Probabilities over settings and NOT_PLACED (last), shape (ages, needs, S + 1)."""
        trend = np.array([tg.CATEGORY_TREND.get(c, 0.0) for c in tg.CATEGORIES])
        cat = self.category * np.exp(trend * (year - tg.BASE_YEAR))[None, None, :]
        cat /= cat.sum(axis=2, keepdims=True)
        per_setting = cat[:, :, self.setting_category] * self.within
        return np.concatenate([per_setting, cat[:, :, _CAT["np"], None]], axis=2)


def _eligibility(register: list[Setting]) -> np.ndarray:
    """(ages, needs, settings) bool: the setting can take a child of that age and need."""
    ages = np.arange(_N_AGES)
    elig = np.zeros((_N_AGES, len(PUBLISHED_EHCP_NEEDS), len(register)), dtype=bool)
    for s, setting in enumerate(register):
        t = setting.template
        if t.opens is not None:
            continue
        age_ok = (ages >= t.age_min) & (ages <= t.age_max)
        need_ok = np.array([not t.needs or n in t.needs for n in PUBLISHED_EHCP_NEEDS])
        elig[:, :, s] = age_ok[:, None] & need_ok[None, :]
    return elig


def _placement_model(
    register: list[Setting], demand: np.ndarray, elig: np.ndarray, rng: np.random.Generator
) -> _Placement:
    """Fit the 2025 placement probabilities to the category shares and setting sizes.

    One IPF over ``(age, need, column)`` where a column is either a whole category or, for
    resource bases and special schools, one setting. It matches three margins: the children
    of each age and need; the children of each age in each category; and the target size of
    each resource base and special school. The seed carries the judged category-by-age
    shares, the need affinities and eligibility, so needs and ages no setting can take stay
    empty.
    """
    n_age, n_need = demand.shape
    setting_category = np.array([_CAT[s.kind.category] for s in register])
    opens = np.array([s.template.opens is not None for s in register])
    fitted = np.isin(setting_category, [_CAT["rb"], _CAT["sp"]]) & ~opens
    spread = np.where(fitted, 0.1, 0.3)  # target sizes of fitted settings vary less
    weight = np.array([s.template.size for s in register]) * np.exp(
        spread * rng.standard_normal(len(register))
    )
    weight[opens] = 0.0
    # columns: every category that is not fitted, then every fitted setting
    col_cat: list[int] = [c for c in range(len(tg.CATEGORIES)) if c not in (_CAT["rb"], _CAT["sp"])]
    col_setting: list[int] = [-1] * len(col_cat) + list(np.flatnonzero(fitted))
    col_cat += [int(setting_category[s]) for s in np.flatnonzero(fitted)]
    col_cat_arr = np.array(col_cat)
    avail = np.ones((n_age, n_need, len(col_cat)), dtype=bool)
    for k, (c, s) in enumerate(zip(col_cat, col_setting, strict=True)):
        if s >= 0:
            avail[:, :, k] = elig[:, :, s]
        elif tg.CATEGORIES[c] != "np":
            avail[:, :, k] = elig[:, :, setting_category == c].any(axis=2)
    by_age = tg.placement_by_age()
    cat_avail = np.zeros((n_age, len(tg.CATEGORIES)), dtype=bool)
    for k, c in enumerate(col_cat):
        cat_avail[:, c] |= avail[:, :, k].any(axis=1)
    by_age = by_age * cat_avail
    by_age /= by_age.sum(axis=1, keepdims=True)
    age_cat = demand.sum(axis=1)[:, None] * by_age  # (ages, categories)
    size = np.array([weight[s] if s >= 0 else 1.0 for s in col_setting])
    cat_total = age_cat.sum(axis=0)
    target = np.zeros(len(col_cat))
    for k, (c, s) in enumerate(zip(col_cat, col_setting, strict=True)):
        if s >= 0:
            target[k] = cat_total[c] * weight[s] / weight[fitted & (setting_category == c)].sum()
    x = (
        demand[:, :, None]
        * by_age[:, None, col_cat_arr]
        * tg.need_affinity()[None, :, col_cat_arr]
        * size[None, None, :]
        * avail
    )
    fit_cols = np.array([s >= 0 for s in col_setting])
    for _ in range(300):
        cell = x.sum(axis=2)
        x *= np.divide(demand, cell, out=np.zeros_like(cell), where=cell > 0)[:, :, None]
        agg = np.zeros_like(age_cat)
        np.add.at(agg.T, col_cat_arr, x.sum(axis=1).T)
        ratio = np.divide(age_cat, agg, out=np.zeros_like(agg), where=agg > 0)
        x *= ratio[:, None, col_cat_arr]
        got = x[:, :, fit_cols].sum(axis=(0, 1))
        x[:, :, fit_cols] *= np.divide(target[fit_cols], got, out=np.zeros_like(got), where=got > 0)
    by_cat = np.zeros((n_age, n_need, len(tg.CATEGORIES)))
    np.add.at(by_cat.transpose(2, 0, 1), col_cat_arr, x.transpose(2, 0, 1))
    total = by_cat.sum(axis=2, keepdims=True)
    category = np.divide(by_cat, total, out=np.zeros_like(by_cat), where=total > 0)
    category[total[:, :, 0] == 0, _CAT["np"]] = 1.0

    within = np.zeros(elig.shape)
    for k, s in enumerate(col_setting):
        if s >= 0:
            c_total = by_cat[:, :, col_cat[k]]
            within[:, :, s] = np.divide(
                x[:, :, k], c_total, out=np.zeros_like(c_total), where=c_total > 0
            )
    for c in range(len(tg.CATEGORIES)):
        members = np.flatnonzero((setting_category == c) & ~fitted)
        if members.size and c not in (_CAT["rb"], _CAT["sp"]):
            num = elig[:, :, members] * weight[members]
            den = num.sum(axis=2, keepdims=True)
            within[:, :, members] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return _Placement(category, within, setting_category, weight)


# --------------------------------------------------------------------------------------------
# caseload and capacity


def _draw(
    n: int | np.ndarray, probs: np.ndarray, rng: np.random.Generator, *, balanced: bool
) -> np.ndarray:
    """Split ``n`` (or each row's ``n``) over the last axis of ``probs``.

    A multinomial draw, or with ``balanced`` a randomised systematic rounding: each count is
    the floor or ceiling of its expectation, each row total is kept exactly, and cells are
    visited in a random order so that no margin is favoured.
    """
    if not balanced:
        return rng.multinomial(n, probs)
    probs2 = np.atleast_2d(probs)
    order = rng.permutation(probs2.shape[-1])
    expected = np.asarray(n, dtype=float).reshape(-1, 1) * probs2[:, order]
    cum = np.concatenate([np.zeros((len(expected), 1)), np.cumsum(expected, axis=1)], axis=1)
    # land each row exactly on its integer total, keeping the sums non-decreasing
    cum[:, -1] = np.round(cum[:, -1])
    cum = np.minimum(cum, cum[:, -1:])
    steps = np.floor(cum + rng.uniform(0.0, 1.0, size=(len(expected), 1)))
    counts = np.empty_like(expected, dtype=np.int64)
    counts[:, order] = np.diff(steps, axis=1).astype(np.int64)
    return counts.reshape(np.shape(probs))


def _caseload_counts(
    total: int,
    mix: np.ndarray,
    population: np.ndarray,
    model: _Placement,
    rng: np.random.Generator,
) -> np.ndarray:
    """Children by year, age, need and setting (NOT_PLACED last): (years, ages, needs, S+1)."""
    ages = np.arange(_N_AGES)
    base = population[tg.BASE_YEAR - tg.HISTORY_START].astype(float)
    trend = np.array([tg.NEED_TREND.get(n, 0.0) for n in PUBLISHED_EHCP_NEEDS])
    out = np.zeros((len(_YEARS), *mix.shape, model.within.shape[2] + 1), dtype=np.int64)
    for i, year in enumerate(_YEARS):
        dy = int(year - tg.BASE_YEAR)
        ramp = np.where(ages >= 20, np.clip((year - 2015) / (tg.POST19_RAMP_END - 2015), 0, 1), 1)
        cells = mix * (population[i] / base * ramp)[:, None] * np.exp(trend * dy)[None, :]
        noise = 1.0 if dy == 0 else float(np.exp(0.01 * rng.standard_normal()))
        n_year = round(total * (1 + tg.EHCP_GROWTH) ** dy * noise)
        counts = _draw(n_year, (cells / cells.sum()).reshape(-1), rng, balanced=dy == 0)
        probs = model.probabilities(int(year)).reshape(counts.size, -1)
        out[i] = _draw(counts, probs, rng, balanced=dy == 0).reshape(out.shape[1:])
    return out


def _set_places(
    register: list[Setting],
    counts: np.ndarray,
    model: _Placement,
    elig: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Places per setting (-1 = no limit); moves any earlier-year excess so none is over."""
    occupancy = counts[..., :-1].sum(axis=(1, 2))  # (years, settings)
    places = np.full(len(register), -1, dtype=np.int64)
    base = occupancy[-1]
    for s, setting in enumerate(register):
        if setting.kind.capped != "full":
            continue
        if setting.template.opens is not None:
            places[s] = 0
        elif setting.kind.category == "sp":
            places[s] = base[s] + int(np.floor(base[s] * rng.uniform(0.0, 0.04)))
        else:
            places[s] = base[s] + int(rng.integers(0, 2))
    kinds = np.array([s.kind.key for s in register])
    mainstream = np.isin(kinds, ("ss_ey", "ss_pri", "ss_sec", "fe"))
    fallbacks = {  # where children over a full setting's places went, in order of preference
        "rb": [mainstream],
        "sp": [kinds == "sp_ooa", np.isin(kinds, ("ind", "spi")), mainstream],
    }
    for i in range(len(_YEARS) - 1):
        for over in np.flatnonzero((places >= 0) & (occupancy[i] > places)):
            excess = int(occupancy[i, over] - places[over])
            held = counts[i, :, :, over].reshape(-1)
            moved = rng.multivariate_hypergeometric(held, excess).reshape(counts.shape[1:3])
            counts[i, :, :, over] -= moved
            for a, n in zip(*np.nonzero(moved), strict=True):
                target = len(register)  # NOT_PLACED unless an eligible fallback exists
                for group in fallbacks[register[over].kind.category]:
                    ok = group & elig[a, n] & (places < 0)
                    if ok.any():
                        w = np.where(ok, model.weight + 1e-12, 0.0)
                        target = int(rng.choice(len(register), p=w / w.sum()))
                        break
                counts[i, a, n, target] += moved[a, n]
    occupancy = counts[..., :-1].sum(axis=(1, 2))
    most = occupancy.max(axis=0)
    for s, setting in enumerate(register):
        if setting.kind.capped != "spare":
            continue
        if setting.kind.category in ("ind", "spi"):
            margin = 2 + int(np.ceil(most[s] * rng.uniform(0.4, 0.6)))
        else:
            margin = int(rng.integers(1, 5))
        places[s] = most[s] + margin
    return places


def _setting_places(
    register: list[Setting], places: np.ndarray, rng: np.random.Generator
) -> list[tuple[str, int, int]]:
    rows: list[tuple[str, int, int]] = []
    for s, setting in enumerate(register):
        t = setting.template
        if t.opens is not None:
            rows.append((setting.setting, t.opens, int(rng.integers(12, 17))))
        elif t.change is not None and places[s] > 0:
            year, factor = t.change
            rows.append((setting.setting, year, round(places[s] * factor)))
    return sorted(rows)


def _sen_support(total: int, population: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Children on SEN support by year, age and need (NSA last)."""
    age_weight = np.array([tg.SEN_SUPPORT_AGE.get(a, 0.0) for a in AGES])
    flat = {n: tg.SEN_SUPPORT_NEED_PCT[n] for n in SEN_SUPPORT_NEEDS}
    mix = _need_age_mix(
        SEN_SUPPORT_NEEDS, tg.SEN_SUPPORT_AGE_KNOTS, tg.SEN_SUPPORT_NEED_PCT, age_weight, flat
    )
    base = population[tg.BASE_YEAR - tg.HISTORY_START].astype(float)
    trend = np.array([tg.SEN_SUPPORT_TREND.get(n, 0.0) for n in SEN_SUPPORT_NEEDS])
    out = np.zeros((len(_YEARS), *mix.shape), dtype=np.int64)
    for i, year in enumerate(_YEARS):
        dy = int(year - tg.BASE_YEAR)
        cells = mix * (population[i] / base)[:, None] * np.exp(trend * dy)[None, :]
        noise = 1.0 if dy == 0 else float(np.exp(0.01 * rng.standard_normal()))
        n_year = round(total * tg.SEN_SUPPORT_RATIO * (1 + tg.SEN_SUPPORT_GROWTH) ** dy * noise)
        flat_cells = (cells / cells.sum()).reshape(-1)
        out[i] = _draw(n_year, flat_cells, rng, balanced=dy == 0).reshape(mix.shape)
    return out


# --------------------------------------------------------------------------------------------
# tables


def _long(counts: np.ndarray, axes: list[tuple[str, Sequence[object]]], value: str) -> pd.DataFrame:
    """Non-zero cells of an array as a long table, rows in the order of the axes."""
    index = np.nonzero(counts)
    data: dict[str, object] = {
        name: np.asarray(labels, dtype=object)[idx]
        for (name, labels), idx in zip(axes, index, strict=True)
    }
    data[value] = counts[index].astype(np.int64)
    return pd.DataFrame(data)


def _cost_assumptions() -> pd.DataFrame:
    rows = []
    for year in tg.PLAN_YEARS:
        first = year == tg.PLAN_YEARS[0]
        transport = tg.TRANSPORT_INFLATION_FIRST_YEAR if first else tg.TRANSPORT_INFLATION
        rows.append((year, "", tg.INFLATION_FIRST_YEAR if first else tg.INFLATION, transport))
        rows.append((year, "independent", tg.INDEPENDENT_INFLATION, transport))
    return pd.DataFrame(rows, columns=["year", "tier", "inflation", "transport_inflation"])


#: How children with plans not in a school or college split between arrangements, by the
#: first age of each range (a judgement: other arrangements and home education for
#: school-age children, NEET for young people after 16; the rest not recorded).
_NOT_IN_SCHOOL_SHARES: tuple[tuple[int, dict[str, float]], ...] = (
    (0, {"OTHER_ARRANGEMENTS": 0.6, NOT_PLACED: 0.4}),
    (5, {"EHE": 0.45, "OTHER_ARRANGEMENTS": 0.4, NOT_PLACED: 0.15}),
    (16, {"NEET": 0.55, "OTHER_ARRANGEMENTS": 0.2, "EHE": 0.05, NOT_PLACED: 0.2}),
)


def _not_in_school(caseload: pd.DataFrame) -> pd.DataFrame:
    """Split the ``NOT_PLACED`` children into arrangements, deterministically.

    Within each year and age range the children (in row order) are dealt to arrangements
    by systematic rounding of the shares, so the totals hit the shares to one child and no
    random numbers are drawn. Rows keep their order; a split row's parts take its place.
    """
    frame = caseload.reset_index(drop=True)
    frame["_pos"] = frame.index.astype(float)
    out = frame[frame["setting"] != NOT_PLACED]
    away = frame[(frame["setting"] == NOT_PLACED) & (frame["children"] > 0)]
    starts = [a for a, _ in _NOT_IN_SCHOOL_SHARES]
    rng_of = np.searchsorted(starts, away["age"].to_numpy(), side="right") - 1
    pieces = []
    for (_, r), rows in away.groupby([away["year"], rng_of], sort=True):
        shares = _NOT_IN_SCHOOL_SHARES[int(r)][1]  # type: ignore[call-overload]
        each = rows.loc[rows.index.repeat(rows["children"].astype(int))]
        position = (np.arange(len(each)) + 0.5) / len(each)
        cut = np.cumsum(list(shares.values()))
        pick = np.searchsorted(cut, position, side="right")
        code = np.array(list(shares))[pick]
        pieces.append(each.assign(setting=code, children=1, _pos=each["_pos"] + 0.01 * pick))
    if not pieces:
        return caseload
    split = pd.DataFrame(
        pd.concat(pieces)
        .groupby(["_pos", "year", "need", "age", "setting"], as_index=False)["children"]
        .sum()
    )
    merged = pd.concat([out, split], ignore_index=True)
    merged = merged.sort_values("_pos", kind="stable")
    return merged[list(caseload.columns)].reset_index(drop=True)


def generate_borough(
    seed: int = DEFAULT_SEED, n_settings: int | None = None
) -> dict[str, pd.DataFrame]:
    """Generate the tables of a fictional borough.

    Args:
        seed: Seed of the one random generator every draw comes from.
        n_settings: Size of the settings register. None gives Ashworth (67 settings, 3,300
            EHC plans in 2025); otherwise the caseload and population scale with it
            (≈49 EHC plans per setting). At least 10, so that every tier is present.

    Returns:
        The input tables of ``docs/data-formats.md`` keyed by name: ``caseload``,
        ``sen_support``, ``population``, ``settings``, ``setting_places``,
        ``cost_assumptions`` and ``flows`` (derived from the caseload without a random
        draw, see :mod:`._flows`), with rows in a fixed order.

    Raises:
        ValueError: If ``n_settings`` is below 10.
    """
    rng = np.random.default_rng(seed)
    size = REFERENCE_SETTINGS if n_settings is None else int(n_settings)
    counts_by_kind = layout(size)
    total = tg.EHCP_2025 if n_settings is None else round(size * tg.EHCP_2025 / REFERENCE_SETTINGS)
    register = build_register(counts_by_kind, rng)
    population = _population(total / tg.EHCP_2025, rng)
    mix = _need_age_mix(PUBLISHED_EHCP_NEEDS, tg.NEED_AGE_KNOTS, tg.NEED_SHARE_PCT, tg.age_shares())
    elig = _eligibility(register)
    model = _placement_model(register, mix * total, elig, rng)
    counts = _caseload_counts(total, mix, population[: len(_YEARS)], model, rng)
    places = _set_places(register, counts, model, elig, rng)
    changes = _setting_places(register, places, rng)
    sen = _sen_support(total, population[: len(_YEARS)], rng)
    log.debug("generated %d settings, %d EHC plans in 2025", len(register), counts[-1].sum())

    ids = [s.setting for s in register] + [NOT_PLACED]
    caseload = _not_in_school(
        _long(
            counts.transpose(0, 2, 1, 3),
            [("year", list(_YEARS)), ("need", list(PUBLISHED_EHCP_NEEDS)), ("age", list(AGES)),
             ("setting", ids)],
            "children",
        )
    )  # fmt: skip
    sen_support = _long(
        sen.transpose(0, 2, 1),
        [("year", list(_YEARS)), ("need", list(SEN_SUPPORT_NEEDS)), ("age", list(AGES))],
        "children",
    )
    years = np.arange(tg.HISTORY_START, tg.PLAN_END + 1)
    pop = pd.DataFrame(
        {
            "year": np.repeat(years, _N_AGES),
            "age": np.tile(np.arange(_N_AGES), len(years)),
            "population": population.reshape(-1),
            "kind": np.where(np.repeat(years, _N_AGES) <= tg.BASE_YEAR, "estimate", "projection"),
        }
    )
    settings = pd.DataFrame(
        {
            "setting": [s.setting for s in register],
            "name": [s.name for s in register],
            "tier": [s.kind.tier for s in register],
            "in_area": ["yes" if s.template.in_area else "no" for s in register],
            "places": pd.array([p if p >= 0 else None for p in places], dtype="Int64"),
            "needs": [s.needs_text for s in register],
            "age_min": [s.template.age_min for s in register],
            "age_max": [s.template.age_max for s in register],
            "cost_per_place": [s.cost_per_place for s in register],
            "transport_per_place": [s.transport_per_place for s in register],
            "establishment_type": [s.establishment_type for s in register],
            "residential": ["yes" if s.residential else "no" for s in register],
            "planning_area": [s.planning_area for s in register],
        }
    )
    setting_places = pd.DataFrame(changes, columns=["setting", "year", "places"]).astype(
        {"year": "int64", "places": "int64"}
    )
    for frame in (caseload, sen_support):
        frame["year"] = frame["year"].astype("int64")
        frame["age"] = frame["age"].astype("int64")
        for col in ("need", "setting"):
            if col in frame:
                frame[col] = frame[col].astype(str)
    return {
        "caseload": caseload,
        "sen_support": sen_support,
        "population": pop,
        "settings": settings,
        "setting_places": setting_places,
        "cost_assumptions": _cost_assumptions(),
        "flows": derive_flows(caseload),
    }


def write_example_files(path: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> Path:
    """Regenerate the shipped example (Ashworth) into a folder; returns the scenario path."""
    header = HEADER.format(
        title="Metropolitan Borough of Ashworth: baseline scenario (fictional example data).",
        seed=seed,
        command="python -m sufficiency.example.generator",
    )
    tables = generate_borough(seed)
    tables["funding_bands"] = example_bands.funding_bands()
    tables["band_mix"] = example_bands.band_mix(
        tables["caseload"], tables["settings"], tg.BASE_YEAR
    )
    written = write_borough(
        tables,
        path,
        name=EXAMPLE_NAME,
        description=EXAMPLE_DESCRIPTION,
        header=header,
    )
    # the borough's own files, for `sufficiency init --sen2 ... --gias ...` (fictional)
    write_own_files(written.parent, seed)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    written = write_example_files(EXAMPLE_DIR)
    log.info("example written to %s", written)
