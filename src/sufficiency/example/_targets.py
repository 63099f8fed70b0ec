"""The national figures (DfE, January 2025) the generated boroughs are calibrated to.

Every number here is either a published figure for England quoted in the project's domain
notes, or a modelling judgement marked as such. :mod:`sufficiency.example.generator`
explains how each is used.
"""

from __future__ import annotations

import numpy as np

from ..taxonomy import AGES, PUBLISHED_EHCP_NEEDS

#: First and last census years of history, and the last plan year.
HISTORY_START, BASE_YEAR, PLAN_END = 2016, 2025, 2035
HISTORY_YEARS: tuple[int, ...] = tuple(range(HISTORY_START, BASE_YEAR + 1))
PLAN_YEARS: tuple[int, ...] = tuple(range(BASE_YEAR + 1, PLAN_END + 1))

#: EHC plans held by the reference borough in January 2025 (median English LA ≈3,270).
EHCP_2025 = 3300
#: Yearly growth of EHC plans 2016–2025 (median LA ≈9.9% a year).
EHCP_GROWTH = 0.10
#: SEN support per EHC plan in 2025 (14.2% vs 5.3% of pupils ≈ 2.3).
SEN_SUPPORT_RATIO = 2.3
#: Yearly growth of SEN support 2016–2025 (11.6% → 14.2% of pupils with a slowly growing roll).
SEN_SUPPORT_GROWTH = 0.035

#: Share of 2025 EHC plans at each single year of age 0–25, in %. The band sums are the DfE
#: shares (0-4 4.3, 5-10 33.3, 11-15 36.5, 16-19 20.0, 20-25 5.8); the shape inside a band
#: follows the domain notes: a rise from 4 to a plateau at 11-14, about -6% from 15 to 16 and
#: -13% from 16 to 17, and a steep drop after 19.
AGE_SHARE_PCT: tuple[float, ...] = (
    0.05, 0.20, 0.55, 1.20, 2.30,  # 0-4
    4.00, 4.80, 5.40, 5.90, 6.40, 6.80,  # 5-10
    7.30, 7.40, 7.40, 7.30, 7.10,  # 11-15
    6.67, 5.80, 4.10, 3.43,  # 16-19
    1.90, 1.30, 1.00, 0.70, 0.55, 0.35,  # 20-25
)  # fmt: skip

#: Share of 2025 EHC plans by primary need, in %.
NEED_SHARE_PCT: dict[str, float] = {
    "ASD": 31.5, "SLCN": 21.3, "SEMH": 20.7, "MLD": 10.6, "SLD": 4.0, "PD": 3.9,
    "SPLD": 2.3, "HI": 1.4, "PMLD": 1.3, "OTH": 1.2, "VI": 0.8, "MSI": 0.3,
}  # fmt: skip

#: Relative weight of each need by age before fitting to the margins above: (age, weight)
#: knots, linearly interpolated. They carry the age pattern of the domain notes (SLCN about
#: half of plans at 3-5 and an eighth at 15-19; SEMH 3% at 4 rising to 30% at 15-16; ASD
#: flat near a third; MLD and SLD growing after 19; PMLD, PD and sensory needs identified
#: early).
NEED_AGE_KNOTS: dict[str, tuple[tuple[float, float], ...]] = {
    "SLCN": ((0, 45), (3, 55), (5, 52), (8, 32), (11, 20), (15, 11), (19, 10), (25, 9)),
    "SEMH": ((0, 1), (4, 2.5), (7, 12), (10, 22), (13, 29), (15.5, 32), (18, 19), (21, 12),
             (25, 10)),
    "ASD": ((0, 20), (3, 28), (5, 32), (10, 33), (15, 31), (19, 30), (25, 30)),
    "MLD": ((0, 2), (5, 5), (9, 10), (13, 12), (17, 12), (19, 15), (22, 20), (25, 21)),
    "SLD": ((0, 3), (5, 3.5), (15, 3.5), (18, 4.5), (20, 8), (25, 10)),
    "PMLD": ((0, 5), (4, 2), (10, 1), (18, 1.2), (20, 2.5), (25, 3)),
    "PD": ((0, 12), (4, 5), (10, 3.5), (18, 3.5), (25, 4.5)),
    "SPLD": ((0, 0.01), (5, 0.3), (8, 2.5), (11, 3.5), (15, 3), (19, 2.5), (25, 2)),
    "HI": ((0, 4), (4, 2), (10, 1.3), (25, 1.2)),
    "VI": ((0, 2.5), (4, 1.2), (10, 0.7), (25, 0.7)),
    "MSI": ((0, 1), (4, 0.4), (10, 0.25), (25, 0.25)),
    "OTH": ((0, 3), (4, 1.5), (10, 1.1), (25, 1.2)),
}  # fmt: skip

#: Yearly trend of each need's share of EHC plans, going back from 2025 (judgement, in line
#: with national series: autism and SEMH growing fastest, MLD falling as a share).
NEED_TREND: dict[str, float] = {"ASD": 0.015, "SEMH": 0.012, "SLCN": 0.005, "MLD": -0.03}

#: Ages 20-25 were brought into EHC plans by the 2014 reforms: their rate ramps linearly from
#: zero in 2015 to its full level in this year.
POST19_RAMP_END = 2020

#: Placement categories (how the DfE tables group settings) with their 2025 share of all EHC
#: plans in %. ``main`` is mainstream schools not in a unit (tiers mainstream and sen_support);
#: ``rb`` resourced provision and units; ``sp`` state special schools in and out of area;
#: ``ind`` independent and non-maintained special schools; ``fe`` general FE colleges; ``spi``
#: specialist post-16 institutions; ``ap`` alternative provision and PRUs; ``np`` not placed.
#: FE and specialist post-16 (13.8% published together) are split 10.3% and 3.5% by judgement.
#: The published shares sum to 99.4%; the 0.6% left is in ``np`` ("≈11%").
CATEGORIES: tuple[str, ...] = ("main", "rb", "sp", "ind", "fe", "spi", "ap", "np")
CATEGORY_SHARE_PCT: dict[str, float] = {
    "main": 39.7, "rb": 3.8, "sp": 25.0, "ind": 5.3, "fe": 10.3, "spi": 3.5, "ap": 0.8,
    "np": 11.6,
}  # fmt: skip

#: Share of plans in each category at each age (rows sum to 1). Chosen so that, weighted by
#: the age shares above, the categories hit the shares above, with mainstream at about 64% of
#: ages 5-10 and 45% of ages 11-15 and independent use peaking at 13-15.
_PLACEMENT_BY_AGE: tuple[tuple[tuple[int, int], dict[str, float]], ...] = (
    ((0, 1), {"main": 0.20, "np": 0.80}),
    ((2, 3), {"main": 0.30, "sp": 0.15, "np": 0.55}),
    ((4, 4), {"main": 0.45, "rb": 0.02, "sp": 0.28, "np": 0.25}),
    ((5, 10), {"main": 0.64, "rb": 0.06, "sp": 0.225, "ind": 0.025, "ap": 0.005, "np": 0.045}),
    ((11, 12), {"main": 0.48, "rb": 0.05, "sp": 0.31, "ind": 0.06, "ap": 0.015, "np": 0.085}),
    ((13, 15), {"main": 0.44, "rb": 0.045, "sp": 0.30, "ind": 0.10, "ap": 0.025, "np": 0.09}),
    ((16, 16), {"main": 0.05, "sp": 0.30, "ind": 0.05, "fe": 0.30, "spi": 0.05, "np": 0.15}),
    ((17, 17), {"main": 0.03, "sp": 0.28, "ind": 0.04, "fe": 0.36, "spi": 0.08, "np": 0.15}),
    ((18, 18), {"sp": 0.26, "ind": 0.03, "fe": 0.42, "spi": 0.09, "np": 0.18}),
    ((19, 19), {"fe": 0.52, "spi": 0.16, "np": 0.32}),
    ((20, 25), {"fe": 0.45, "spi": 0.20, "np": 0.35}),
)

#: Affinity of each need for each category (judgement, relative within a category): special
#: schools take most SLD and PMLD; independent places are mostly autism and SEMH (75%); AP is
#: mostly SEMH; specific learning difficulties stay in mainstream and FE.
NEED_AFFINITY: dict[str, dict[str, float]] = {
    "main": {"SPLD": 4.0, "MLD": 1.2, "SLD": 0.12, "PMLD": 0.05, "SEMH": 1.0, "SLCN": 1.6,
             "HI": 1.5, "VI": 1.6, "MSI": 0.6, "PD": 1.3, "ASD": 0.9, "OTH": 1.4},
    "rb": {"SPLD": 0.5, "MLD": 1.2, "SLD": 0.3, "PMLD": 0.05, "SEMH": 0.6, "SLCN": 1.5,
           "HI": 5.0, "VI": 2.0, "MSI": 1.0, "PD": 1.0, "ASD": 1.5, "OTH": 0.5},
    "sp": {"SPLD": 0.05, "MLD": 1.3, "SLD": 8.0, "PMLD": 15.0, "SEMH": 0.9, "SLCN": 0.4,
           "HI": 0.6, "VI": 0.5, "MSI": 2.0, "PD": 1.4, "ASD": 1.2, "OTH": 0.7},
    "ind": {"SPLD": 1.5, "MLD": 1.2, "SLD": 2.4, "PMLD": 2.4, "SEMH": 2.0, "SLCN": 1.2,
            "HI": 4.5, "VI": 4.5, "MSI": 4.5, "PD": 1.8, "ASD": 1.8, "OTH": 1.8},
    "fe": {"SPLD": 2.0, "MLD": 1.6, "SLD": 0.5, "PMLD": 0.1, "SEMH": 0.9, "SLCN": 1.2,
           "HI": 1.3, "VI": 1.3, "MSI": 0.6, "PD": 1.2, "ASD": 0.9, "OTH": 1.2},
    "spi": {"SPLD": 0.2, "MLD": 1.0, "SLD": 2.5, "PMLD": 2.5, "SEMH": 0.8, "SLCN": 0.6,
            "HI": 1.0, "VI": 1.0, "MSI": 2.0, "PD": 1.0, "ASD": 1.5, "OTH": 0.8},
    "ap": {"SPLD": 0.4, "MLD": 0.4, "SLD": 0.0, "PMLD": 0.0, "SEMH": 6.0, "SLCN": 0.4,
           "HI": 0.2, "VI": 0.2, "MSI": 0.0, "PD": 0.2, "ASD": 0.7, "OTH": 0.4},
    "np": {"SPLD": 1.0, "MLD": 1.0, "SLD": 0.8, "PMLD": 0.6, "SEMH": 1.6, "SLCN": 1.0,
           "HI": 1.0, "VI": 1.0, "MSI": 1.0, "PD": 1.0, "ASD": 1.0, "OTH": 1.0},
}  # fmt: skip

#: Yearly trend of each category's share going back from 2025 (judgement). State special
#: schools filled up over the decade and grew more slowly than plans, so their share was
#: higher in 2016; independent use roughly doubled from 2019 to 2025 (share up ≈2.5% a year).
CATEGORY_TREND: dict[str, float] = {"sp": -0.045, "ind": 0.025, "spi": 0.02, "main": 0.01}

#: SEN support mix by need in % (domain notes; SLD, PMLD and MSI "small" set by judgement).
SEN_SUPPORT_NEED_PCT: dict[str, float] = {
    "SLCN": 26.0, "SEMH": 21.0, "MLD": 15.0, "SPLD": 13.0, "ASD": 8.0, "NSA": 5.0,
    "OTH": 4.0, "PD": 2.0, "HI": 1.5, "VI": 1.0, "SLD": 0.4, "MSI": 0.2, "PMLD": 0.1,
}  # fmt: skip

#: SEN support by single year of age (relative): school pupils 4-18, a few in early years.
SEN_SUPPORT_AGE: dict[int, float] = {
    2: 0.3, 3: 1.0, 4: 4.5, 5: 6.0, 6: 7.2, 7: 8.2, 8: 8.8, 9: 9.0, 10: 9.0, 11: 8.6,
    12: 8.2, 13: 7.8, 14: 7.4, 15: 7.0, 16: 1.8, 17: 1.4, 18: 0.3,
}  # fmt: skip

#: Age pattern of SEN support needs (knots as above): speech and language early, specific
#: learning difficulties and SEMH later.
SEN_SUPPORT_AGE_KNOTS: dict[str, tuple[tuple[float, float], ...]] = {
    "SLCN": ((2, 60), (4, 50), (6, 38), (9, 24), (12, 16), (15, 12), (18, 10)),
    "SEMH": ((2, 8), (4, 10), (7, 16), (10, 21), (13, 27), (15, 30), (18, 26)),
    "MLD": ((2, 4), (5, 8), (9, 17), (13, 19), (16, 18), (18, 18)),
    "SPLD": ((2, 0.2), (5, 2), (8, 12), (11, 18), (14, 20), (16, 20), (18, 18)),
    "ASD": ((2, 6), (5, 8), (10, 8), (15, 8.5), (18, 8)),
    "PD": ((2, 4), (6, 2.2), (18, 1.8)),
    "SLD": ((2, 1), (8, 0.4), (18, 0.3)),
}

#: Trend of SEN support needs going back from 2025 (judgement: autism, SEMH and SLCN rising,
#: MLD falling).
SEN_SUPPORT_TREND: dict[str, float] = {
    "ASD": 0.05, "SEMH": 0.02, "SLCN": 0.02, "MLD": -0.04, "SPLD": -0.01,
}  # fmt: skip

#: Birth cohort size of the reference borough by year of birth (knots): the national dip
#: around 2002, a peak in the mid-2010s (a little later than England's 2012 peak) and the fall
#: since, then flat in the projection. The peak reaches secondary age in the late 2020s.
COHORT_KNOTS: tuple[tuple[float, float], ...] = (
    (1985, 3780), (1996, 3800), (2002, 3660), (2008, 3980), (2012, 4100), (2015, 4160),
    (2018, 4020), (2021, 3760), (2024, 3640), (2030, 3600), (2040, 3600),
)  # fmt: skip
#: Net migration by age (knots, multiplier on the birth cohort): students leave at 18-21 and
#: young adults move into a metropolitan borough in their twenties.
MIGRATION_KNOTS: tuple[tuple[float, float], ...] = (
    (0, 1.0), (17, 1.0), (18, 0.98), (19, 0.93), (21, 0.93), (23, 1.03), (25, 1.05),
)  # fmt: skip

#: Inflation of place costs and transport for plan years (blank tier), with a faster rise of
#: independent fees (judgement: band costs rise ≈2-5% a year).
INFLATION_FIRST_YEAR, INFLATION = 0.035, 0.030
TRANSPORT_INFLATION_FIRST_YEAR, TRANSPORT_INFLATION = 0.050, 0.040
INDEPENDENT_INFLATION = 0.045


def interp_knots(knots: tuple[tuple[float, float], ...], xs: np.ndarray) -> np.ndarray:
    """Linear interpolation through ``(x, y)`` knots, flat beyond the ends."""
    kx = np.array([k[0] for k in knots], dtype=float)
    ky = np.array([k[1] for k in knots], dtype=float)
    return np.interp(np.asarray(xs, dtype=float), kx, ky)


def age_shares() -> np.ndarray:
    """2025 share of EHC plans at each single year of age, summing to 1."""
    shares = np.array(AGE_SHARE_PCT, dtype=float)
    return shares / shares.sum()


def placement_by_age() -> np.ndarray:
    """Category shares by age, shape ``(len(AGES), len(CATEGORIES))``, rows summing to 1.

    The judged table above is raked (iterative proportional fitting) so that, weighted by
    :func:`age_shares`, every category hits :data:`CATEGORY_SHARE_PCT` exactly while each
    age keeps its profile.
    """
    table = np.zeros((len(AGES), len(CATEGORIES)))
    for (lo, hi), shares in _PLACEMENT_BY_AGE:
        for cat, share in shares.items():
            table[lo : hi + 1, CATEGORIES.index(cat)] = share
    rows = age_shares()
    cols = np.array([CATEGORY_SHARE_PCT[c] for c in CATEGORIES]) / 100.0
    cols = cols / cols.sum()
    x = table * rows[:, None]
    for _ in range(200):
        x *= (cols / x.sum(axis=0))[None, :]
        x *= (rows / x.sum(axis=1))[:, None]
    return x / x.sum(axis=1, keepdims=True)


def need_affinity() -> np.ndarray:
    """Need affinity, shape ``(len(PUBLISHED_EHCP_NEEDS), len(CATEGORIES))``."""
    return np.array([[NEED_AFFINITY[c][n] for c in CATEGORIES] for n in PUBLISHED_EHCP_NEEDS])
