"""A starter scenario for any English LA, from the DfE's published figures alone.

:func:`write_starter` (``sufficiency init``) reads an area's figures with
:func:`~sufficiency.sources.dfe_release.read_dfe_release` and writes a folder that runs as
written: history, a settings register scaffold, cost assumptions, population and a
``scenario.yaml`` whose comments name every assumption to replace with local knowledge.

What is published and what is assumed:

* **Plans at January** (``ehcplans``) are published for every year: the history's yearly
  totals equal them exactly.
* **Placement** (type of setting attended) is published from January 2019 (2010–2022 in
  the older by-establishment file): the history's placements equal it, except plans the
  return recorded no placement for and plans in schools of types the DfE does not name,
  which are apportioned over the placements and listed (:func:`recorded_placements`).
* **Age** is published in SEN2 bands for 2010–2022 (by-age file) and by single year from
  January 2024. Years without it take the nearest published year's shape (or the national
  shape of January 2025); bands are split into single years by the national single-year
  shape (:data:`~sufficiency.forecast.methods.flows.NATIONAL_AGE_PROFILE`). Age × placement is
  not published before 2024: it is fitted to both totals (iterative proportional
  fitting), with the ages each type of setting takes (:data:`CATEGORIES`).
* **Primary need** by age is published from January 2024; before that the national need
  mix by age band (:data:`NATIONAL_NEED_MIX`, from ``DOMAIN.md``) is assumed. The release
  counts Down syndrome (DS, a SEN2 code from 2025) under OTH, so the history has no DS.
* **Settings**: one row per placement category, in and out of area. The in-area row has
  the base-year use as places (mainstream and FE without a limit); the out-of-area row of a
  limited category has no commissioned places, so growth beyond today's places is bought on
  the market of last resort and shows as the sufficiency gap.
  The split of today's children between in and out of area is not published: all are put
  in area.
* **Prices** are national figures (:data:`CATEGORIES`, ``DOMAIN.md``, 2024/25), inflation
  3% a year (4.5% independent), transport 5%.
* **Population**: from ONS files when given; otherwise a flat, clearly-labelled
  approximation (:func:`approximate_population`) that must be replaced.
* **Flows** (``data/flows.csv``, :func:`build_flows`): requests, assessments, new plans
  (by age at start) and ceased plans (by age) as published, for the ``flows`` forecast
  method and the levers on requests and conversion.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import DataError, DataWarning, SufficiencyError
from ..forecast.methods.flows import NATIONAL_AGE_PROFILE, NATIONAL_EXIT_AGE, NATIONAL_START_AGE
from ..guard import guard_inputs, guard_replace, record_written
from .assumed import FLAT_POPULATION, INFLATION, yaml_block
from .dfe import BOUNDARY_CHANGES, UNLISTED, BoundaryChange
from .dfe_release import DfeRelease, read_dfe_release
from .ons import read_ons_population

log = logging.getLogger(__name__)

#: The published needs (:data:`~sufficiency.taxonomy.PUBLISHED_EHCP_NEEDS`: no DS, which
#: the release counts under OTH), in the order of :data:`NATIONAL_NEED_MIX`'s shares.
_NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SLD", "PD", "SPLD", "HI", "PMLD", "OTH", "VI", "MSI")
#: Share of plans by primary need in each SEN2 band, England (≈ January 2025, DOMAIN.md:
#: ASD ≈30–33% at every age; SLCN ≈50% at 3–5 falling to ≈12% at 15–19; SEMH ≈3% at 4
#: rising to ≈30% at 15–16; MLD and SLD a larger share after 19).
NATIONAL_NEED_MIX: dict[str, tuple[float, ...]] = {
    "0-4": (30, 45, 3, 4, 4, 6, 0.5, 2, 2, 2, 1, 0.5),
    "5-10": (33, 26, 15, 9, 4, 4, 2, 1.5, 1.3, 1.5, 0.8, 0.3),
    "11-15": (32, 14, 29, 11, 3.5, 3.3, 3, 1.3, 1, 1, 0.7, 0.2),
    "16-19": (30, 12, 24, 15, 5, 4, 3.5, 1.5, 1.5, 1.5, 0.8, 0.2),
    "20-25": (28, 10, 18, 20, 9, 5, 3, 1.5, 2.5, 1.5, 1, 0.5),
}


@dataclass(frozen=True)
class Category:
    """A placement category of the register scaffold.

    Attributes:
        key: Setting id stem (``SPEC`` -> ``SPEC_IN`` and ``SPEC_OUT``).
        name: Display name.
        tier: Tier of the graduated model.
        columns: The DfE placement columns it gathers.
        ages: First and last age it takes.
        cost: £ per place per year in area (national figure, 2024/25).
        cost_out: £ per place per year out of area.
        transport: £ per child per year in area.
        transport_out: £ per child per year out of area.
        limited: Whether its in-area places are limited to the base-year use.
    """

    key: str
    name: str
    tier: str
    columns: tuple[str, ...]
    ages: tuple[int, int]
    cost: float
    cost_out: float
    transport: float
    transport_out: float
    limited: bool


#: The register scaffold's categories. Prices: DOMAIN.md "Costs per place per year" (HNB,
#: 2024/25): mainstream EHC top-up £6k–9k (one council's mean £8.7k), resourced provision
#: £15k–22k, state special £24k–34k, independent/non-maintained special £64k national mean;
#: out of area takes the top of the range. Transport ≈£8,100 per pupil (2023-24) for
#: specialist placements, half as much again out of area (judgement); none for mainstream.
#: Ages are at 31 August, as the register's statutory ages read (``StatutoryLowAge`` to
#: ``StatutoryHighAge - 1``, :mod:`.gias`): early years providers take children below
#: compulsory school age (to 4: a child of 5 at 31 August is in Year 1, at school); schools
#: take pupils to the end of the year in which they turn 19 (18 at 31 August); FE colleges
#: and post-16 institutions take young people of 16 to 25 (a few colleges enrol 14-16
#: year-olds, rarely: a council that commissions them says so in its register).
CATEGORIES: tuple[Category, ...] = (
    Category(
        "EY", "Early years providers (non-maintained)", "sen_support",
        ("nm_early_years",), (0, 4), 7_500, 9_000, 0, 0, False,
    ),
    Category(
        "MAIN", "Mainstream schools (EHC plan top-up)", "sen_support",
        ("mainstream_la_maintained", "mainstream_academy", "mainstream_free_school",
         "mainstream_independent"),
        (3, 18), 7_500, 9_000, 0, 4_000, False,
    ),
    Category(
        "RP", "Resourced provision and SEN units", "enhanced_resource",
        ("mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
         "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
         "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit"),
        (3, 18), 18_500, 22_000, 8_100, 12_150, True,
    ),
    Category(
        "SPEC", "State special schools (maintained, academy, free)", "special_school",
        ("special_la_maintained", "special_academy_free"),
        (2, 18), 29_000, 34_000, 8_100, 12_150, True,
    ),
    Category(
        "INMSS", "Independent and non-maintained special schools", "independent",
        ("special_independent", "special_non_maintained"),
        (3, 18), 64_000, 70_000, 8_100, 12_150, True,
    ),
    Category(
        "AP", "Alternative provision and pupil referral units", "partnership",
        ("ap_pru_academy", "ap_pru_free_school", "ap_pru_la_maintained"),
        (4, 18), 10_000, 12_000, 8_100, 12_150, True,
    ),
    Category(
        "FE", "FE colleges, sixth forms and training providers", "sen_support",
        ("general_fe_tertiary_colleges", "ukrlp_provider"),
        (16, 25), 7_500, 9_000, 0, 4_000, False,
    ),
    Category(
        "SP16", "Specialist post-16 institutions", "independent",
        ("specialist_post_16_institutions",),
        (16, 25), 64_000, 70_000, 8_100, 12_150, True,
    ),
)  # fmt: skip
_CATEGORY_OF = {c: cat.key for cat in CATEGORIES for c in cat.columns}
NOT_PLACED = "NOT_PLACED"
#: The DfE's placement columns of children not in a school or college, as caseload codes
#: (``sufficiency.data.NOT_IN_SCHOOL``); every other unlisted placement is ``NOT_PLACED``.
_NOT_IN_SCHOOL_OF = {
    "other_arrangements_la": "OTHER_ARRANGEMENTS",
    "elective_home_education": "EHE",
    "neet": "NEET",
    "neet_ntci": "NEET",
    "neet_other": "NEET",
    "neet_other_csa": "NEET",
}
_NOT_IN_SCHOOL = ("OTHER_ARRANGEMENTS", "EHE", "NEET", NOT_PLACED)
#: Residents aged 0–25 per EHC plan, England: 638,745 plans (January 2025) among ≈17.7
#: million residents aged 0–25 (≈3.6%). Used only by the population approximation.
NATIONAL_PLANS_PER_RESIDENT = 0.036
HORIZON = 10


def _reorganised_into(code: str) -> BoundaryChange | None:
    """The reorganisation that created the area ``code`` (None if it was not created so)."""
    for change in BOUNDARY_CHANGES:
        if change.kind == "reorganised" and code in change.new:
            return change
    return None


def with_predecessor(release: DfeRelease, dfe: str | Path) -> tuple[DfeRelease, str]:
    """A council created by a reorganisation, with its predecessors' stock history.

    The years before the council's first published January are the reorganised group's
    published figures (predecessors and successors summed, ``boundaries="combined"``)
    apportioned by the council's share of the group in its first published year: its
    plans at January, their placements and ages. Flows stay the council's own.

    Args:
        release: The council's own figures.
        dfe: The DfE files (read again for the whole group).

    Returns:
        The release with the earlier years added (unchanged if there are none) and a
        sentence for the scenario's comments ("" if unchanged).
    """
    change = _reorganised_into(release.la_code)
    if change is None:
        return release, ""
    group = read_dfe_release(dfe, release.la_code, boundaries="combined")
    own = release.caseload_total.dropna(subset=["children"])
    whole = group.caseload_total.dropna(subset=["children"]).set_index("year")["children"]
    if own.empty:
        return release, ""
    first = int(own["year"].min())
    earlier = sorted(int(y) for y in whole.index if y < first)
    if not earlier or first not in whole.index or not whole[first] > 0:
        return release, ""
    share = float(own.set_index("year")["children"][first]) / float(whole[first])

    def before(frame: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
        part = frame[frame["year"].isin(earlier)].copy()
        part["children"] = part["children"] * share
        return pd.concat([part, mine], ignore_index=True) if len(mine) else part

    release = replace(
        release,
        caseload=before(group.caseload, release.caseload),
        caseload_total=before(group.caseload_total, release.caseload_total),
        caseload_by_age=before(group.caseload_by_age, release.caseload_by_age)
        if len(group.caseload_by_age)
        else release.caseload_by_age,
    )
    span = str(earlier[0]) if len(earlier) == 1 else f"{earlier[0]}-{earlier[-1]}"
    note = (
        f"{change.note}: the January {span} history is the whole "
        f"area's published plans x {share:.4f} (this council's share of them in {first})"
    )
    return release, note


def _years_shape(by_age: pd.DataFrame, years: list[int], total: pd.Series) -> pd.DataFrame:
    """Children by year and single year of age (0–25), summing to each year's total."""
    rows = []
    for year in years:
        published = by_age[by_age["year"] == year]
        if published.empty and len(by_age):  # nearest published year's shape
            near = min(by_age["year"].unique(), key=lambda y: (abs(y - year), -y))
            published = by_age[by_age["year"] == near]
        ages = np.zeros(26)
        if published.empty:
            ages = NATIONAL_AGE_PROFILE.copy()
        else:
            for lo, hi, n in published[["age_min", "age_max", "children"]].itertuples(index=False):
                w = NATIONAL_AGE_PROFILE[lo : hi + 1]
                ages[lo : hi + 1] += (0.0 if np.isnan(n) else n) * w / w.sum()
        if ages.sum() <= 0:
            ages = NATIONAL_AGE_PROFILE.copy()
        rows.append(ages / ages.sum() * float(total[year]))
    return pd.DataFrame(rows, index=years, columns=range(26))


#: The DfE's placement column of plans whose placement the council's return did not
#: record ("Placement not recorded"): not children out of school, but a gap in the return.
UNRECORDED = "placement_unknown"
#: The DfE's placement columns of plans awaiting provision or permanently excluded (to
#: January 2022); a file that has them counts every placed plan in a column.
AWAITING_COLUMNS = ("await_prov_2022", "perm_ex_2022")
#: The DfE's placement columns of schools of types it does not name: Welsh schools and
#: establishments, and "other school types" (service children's education, secure units,
#: offshore schools, British schools overseas, "Miscellaneous" establishments).
SCHOOLS_OF_OTHER_TYPES = ("w_settings", "other_schools")
_SCHOOL = "school of another type"
#: A year whose plans without a recorded placement are at most this share gives the
#: council's placement mix for apportioning another year's.
UNRECORDED_REFERENCE_SHARE = 0.02
#: A year with more of its plans without a recorded placement than this share is warned of.
UNRECORDED_WARN_SHARE = 0.05
#: A base-year placement category this many times what the year before's mix gives at
#: the base year's total (or less than its inverse) is warned of …
SHIFT_RATIO = 2.5
#: … where it holds at least this many children either way.
SHIFT_CHILDREN = 200
#: The categories as a warning names them.
_CATEGORY_NAME = {
    **{c.key: c.name for c in CATEGORIES},
    "OTHER_ARRANGEMENTS": "other arrangements",
    "EHE": "elective home education",
    "NEET": "not in education, employment or training",
    NOT_PLACED: "other types of placement, awaiting provision and the rest",
}
#: What a starter's assumptions call plans without a recorded placement, apportioned.
NOT_RECORDED = "placements not recorded"
#: What they call plans in schools of types the DfE does not name, apportioned.
OTHER_TYPES = "schools of other types"
#: Why each was apportioned (the assumption's ``why``).
_WHY_APPORTIONED = {
    NOT_RECORDED: "the council's return recorded no placement for these plans",
    OTHER_TYPES: "the DfE does not say which kind of school these are",
}


def recorded_placements(
    release: DfeRelease,
) -> tuple[pd.DataFrame, list[tuple[float, str, str]]]:
    """Children by year and category (and ``NOT_PLACED``) as published, with the plans
    whose placement was not recorded (:data:`UNRECORDED`) apportioned over the categories,
    and so the plans of a year's total in no placement column where the file has columns
    for awaiting provision and exclusion (:data:`AWAITING_COLUMNS`): plans not returned,
    as for the councils whose 2024 return gave its total alone.

    A return that records no placement for some of its plans leaves the placements of the
    rest: counting those plans as not placed would put them out of school, at no school's
    cost, and take their places from the settings. They are given the council's own mix
    instead: that of the nearest year (an earlier one first) with at most
    :data:`UNRECORDED_REFERENCE_SHARE` of its plans unrecorded (the year itself if none),
    each category topped up toward its share of that mix of the year's plans where it
    falls short of it (the placements a partial return misses are not a random few), in
    proportion to the shortfall.

    Plans in schools of types the DfE does not name (:data:`SCHOOLS_OF_OTHER_TYPES`) are
    in a school, not out of one: they are first apportioned over the year's school and
    college placements by their mix.

    Returns:
        The children (years × categories) and, for each year apportioned, the share of its
        plans without a recorded placement (0 for schools of other types: never warned of),
        what was apportioned (:data:`NOT_RECORDED` or :data:`OTHER_TYPES`) and a sentence
        saying how.
    """
    cats = [c.key for c in CATEGORIES] + list(_NOT_IN_SCHOOL)
    case = release.caseload
    # the plans of a year's `ehcplans` in no placement column: awaiting provision or
    # excluded in a file that has no column for those (2019-2022), but not returned (a
    # council that sent its total alone) in a file that lists them
    lists_awaiting = case["year"].isin(
        set(case.loc[case["placement"].isin(AWAITING_COLUMNS), "year"])
    )
    unrecorded = (
        (case["placement"] == UNRECORDED) | ((case["placement"] == UNLISTED) & lists_awaiting)
    ).to_numpy()
    category = (
        case["placement"].map(_CATEGORY_OF).fillna(case["placement"].map(_NOT_IN_SCHOOL_OF))
    ).fillna(NOT_PLACED)
    school = case["placement"].isin(SCHOOLS_OF_OTHER_TYPES).to_numpy()
    category = category.mask(school, _SCHOOL)
    known = case.assign(category=category)[~unrecorded]
    by_year = known.groupby(["year", "category"])["children"].sum(min_count=1).unstack()
    years = sorted(set(case["year"]))
    by_year = by_year.reindex(index=years, columns=[*cats, _SCHOOL]).fillna(0.0).astype(float)
    notes = []
    # in a school of a type the DfE does not name (Welsh schools, secure units, service
    # children's schools…): over the year's school and college placements, by their mix
    placed = [c.key for c in CATEGORIES]
    for year in by_year.index[by_year[_SCHOOL] > 0]:
        n, mix = by_year.loc[year, _SCHOOL], by_year.loc[year, placed]
        if not mix.sum() > 0:
            mix = pd.Series(1.0, index=["MAIN"])  # no other school placement: mainstream
        by_year.loc[year, mix.index] += n * mix / mix.sum()
        notes.append(
            (
                0.0,  # placements as published, of a type not named: no warning
                OTHER_TYPES,
                f"{release.la_name}, January {int(year)}: {n:,.0f} EHC plans in Welsh schools "
                "and other school types (w_settings, other_schools) apportioned over the "
                "school and college placements by that year's mix",
            )
        )
    by_year = by_year[cats]
    missing = case[unrecorded].groupby("year")["children"].sum().reindex(by_year.index)
    missing = missing.fillna(0.0)
    plans = by_year.sum(axis=1) + missing
    share = (missing / plans.where(plans > 0)).fillna(0.0)
    for year in by_year.index[missing > 0]:
        refs = [
            y
            for y in by_year.index
            if y != year and share[y] <= UNRECORDED_REFERENCE_SHARE and by_year.loc[y].sum() > 0
        ]
        ref = min(refs, key=lambda y: (abs(y - year), y > year)) if refs else year
        mix = by_year.loc[ref]
        if not mix.sum() > 0:  # no placement recorded in any year: they stay unplaced
            by_year.loc[year, NOT_PLACED] += missing[year]
            continue
        mix = mix / mix.sum()
        short = (mix * plans[year] - by_year.loc[year]).clip(lower=0.0)
        weights = short if short.sum() > 0 else mix
        by_year.loc[year] += missing[year] * weights / weights.sum()
        notes.append(
            (
                float(share[year]),
                NOT_RECORDED,
                f"{release.la_name}, January {int(year)}: {missing[year]:,.0f} of "
                f"{plans[year]:,.0f} EHC plans ({share[year]:.0%}) with no placement recorded "
                f"('Placement not recorded', {UNRECORDED}, or none returned), apportioned "
                "over the placements "
                f"toward the council's {'own' if ref == year else int(ref)} mix, not counted "
                "as out of school",
            )
        )
    return by_year, notes


def unrecorded_placements(
    release: DfeRelease, recorded: tuple[pd.DataFrame, list[tuple[float, str, str]]]
) -> list[tuple[str, str]]:
    """What :func:`recorded_placements` apportioned (what, and a sentence a year), each
    year with more than :data:`UNRECORDED_WARN_SHARE` of its plans unrecorded warned of
    (:class:`~sufficiency.errors.DataWarning`); and a warning where a base-year placement
    moved far from the year before's (:func:`_check_base_year_shift`). ``recorded`` is
    :func:`recorded_placements` of ``release`` (made once, for the history too)."""
    by_year, notes = recorded
    for share, _, note in notes:
        if share > UNRECORDED_WARN_SHARE:
            warnings.warn(f"incomplete published placements: {note}", DataWarning, stacklevel=3)
    if len(by_year) >= 2:
        _check_base_year_shift(release.la_name, by_year)
    return [(what, note) for _, what, note in notes]


def _check_base_year_shift(la_name: str, by_year: pd.DataFrame) -> None:
    """Warn where a placement category's base-year children are :data:`SHIFT_RATIO` times
    (or less than its inverse) what the year before's would be at the base year's total,
    with at least :data:`SHIFT_CHILDREN` children either way: in the returns of January
    2023 many councils recorded placements differently (colleges under other types of
    placement, other arrangements by hundreds). Kept as published, for the analyst to check:
    the base year's placements are the settings' places."""
    before, now = by_year.iloc[-2], by_year.iloc[-1]
    if not before.sum() > 0:
        return
    expected = before * now.sum() / before.sum()
    ratio = (now + 1.0) / (expected + 1.0)
    moved = (np.maximum(expected, now) >= SHIFT_CHILDREN) & (
        (ratio >= SHIFT_RATIO) | (ratio <= 1.0 / SHIFT_RATIO)
    )
    if not moved.any():
        return
    order = ratio[moved].map(lambda r: abs(np.log(r))).sort_values(ascending=False).index
    years = [int(y) for y in by_year.index[-2:]]
    shifts = "; ".join(
        f"{_CATEGORY_NAME[k]} {now[k]:,.0f} against {before[k]:,.0f}" for k in order[:3]
    )
    warnings.warn(
        f"check the published placements: {la_name}, January {years[1]} against "
        f"{years[0]} (plans ×{now.sum() / before.sum():.2f}): {shifts}. Kept as published "
        "(the base year's placements are the settings' places)",
        DataWarning,
        stacklevel=4,
    )


def _placements(by_year: pd.DataFrame, years: list[int], total: pd.Series) -> pd.DataFrame:
    """Children by year and category (and ``NOT_PLACED``), summing to each year's total,
    in the shares of ``by_year`` (:func:`recorded_placements`: plans without a recorded
    placement apportioned)."""
    cats = [c.key for c in CATEGORIES] + list(_NOT_IN_SCHOOL)
    out = pd.DataFrame(0.0, index=years, columns=cats)
    for year in years:
        if year in by_year.index and by_year.loc[year].sum() > 0:
            shares = by_year.loc[year]
        elif len(by_year):
            near = min(by_year.index, key=lambda y: (abs(y - year), -y))
            shares = by_year.loc[near]
        else:  # no placement published: all in mainstream (said in the scenario)
            shares = pd.Series(0.0, index=cats)
            shares["MAIN"] = 1.0
        out.loc[year] = shares / shares.sum() * float(total[year])
    return out


def _mask() -> np.ndarray:
    """``(26, K)``: whether each category takes each age (not in school: every age)."""
    m = np.zeros((26, len(CATEGORIES) + len(_NOT_IN_SCHOOL)), dtype=bool)
    for k, cat in enumerate(CATEGORIES):
        m[cat.ages[0] : cat.ages[1] + 1, k] = True
    m[:, len(CATEGORIES) :] = True
    return m


def _fit(rows: np.ndarray, cols: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Tables with row and column sums ``rows``/``cols`` on ``mask`` (IPF; columns exact).

    Args:
        rows: ``(Y, A)`` each table's row sums (children by age).
        cols: ``(Y, K)`` each table's column sums (children by placement).
        mask: ``(A, K)`` the cells that may hold children.

    Returns:
        ``(Y, A, K)``: every year's table fitted at once (each as fitted alone, to the
        bit: 2 ms against 9 ms for a council's years one at a time).
    """
    table = np.where(mask, np.maximum(rows[:, :, None] * cols[:, None, :], 1e-9), 0.0)
    for _ in range(200):
        r = table.sum(axis=2)
        table *= np.divide(rows, r, out=np.zeros_like(rows), where=r > 0)[:, :, None]
        c = table.sum(axis=1)
        table *= np.divide(cols, c, out=np.zeros_like(cols), where=c > 0)[:, None, :]
    return table


def _need_shares(release: DfeRelease, year: int) -> np.ndarray:
    """``(26, 12)``: share of each need at each age, published where possible."""
    shares = np.zeros((26, len(_NEEDS)))
    for a in range(26):
        shares[a] = NATIONAL_NEED_MIX[str(taxonomy.age_band_of([a])[0])]
    nb = release.need_by_age
    if len(nb):
        near = min(nb["year"].unique(), key=lambda y: (abs(y - year), -y))
        part = nb[(nb["year"] == near) & nb["need"].isin(_NEEDS)]
        for (lo, hi), g in part.groupby(["age_min", "age_max"]):
            counts = g.groupby("need")["children"].sum().reindex(_NEEDS).fillna(0.0).to_numpy()
            if counts.sum() > 0:
                shares[lo : hi + 1] = counts
    return shares / shares.sum(axis=1, keepdims=True)


def build_history(release: DfeRelease, placements: pd.DataFrame | None = None) -> pd.DataFrame:
    """The caseload history: ``year, need, age, setting, children`` (ids ``<KEY>_IN``).

    Each year's children sum to the published plans at January, and its placements to
    the published placement counts (see the module docstring for what is assumed):
    ``placements``, :func:`recorded_placements` of ``release`` (made here if not given).
    """
    total = release.caseload_total.set_index("year")["children"].dropna()
    years = sorted(int(y) for y in total.index)
    ages = _years_shape(release.caseload_by_age, years, total)
    if placements is None:
        placements, _ = recorded_placements(release)
    places = _placements(placements, years, total)
    mask = _mask()
    names = [f"{c.key}_IN" for c in CATEGORIES] + list(_NOT_IN_SCHOOL)
    parts = []
    tables = _fit(ages.loc[years].to_numpy(float), places.loc[years].to_numpy(float), mask)
    for year, table in zip(years, tables, strict=True):
        need = _need_shares(release, year)
        cells = table[:, :, None] * need[:, None, :]  # age × setting × need
        a, s, n = np.nonzero(cells > 5e-4)
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "need": np.array(_NEEDS)[n],
                    "age": a,
                    "setting": np.array(names)[s],
                    "children": cells[a, s, n],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    # round to 1/1000 of a child, keeping each year's total exactly the published one
    out["children"] = out["children"].round(3)
    for year in years:
        rows = out.index[out["year"] == year]
        gap = round(float(total[year]) - out.loc[rows, "children"].sum(), 3)
        biggest = out.loc[rows, "children"].idxmax()
        out.loc[biggest, "children"] = round(out.loc[biggest, "children"] + gap, 3)
    return out


def _flow_rows(
    measure: str, by_age: pd.DataFrame, totals: pd.Series, weights: np.ndarray
) -> list[dict[str, object]]:
    """Rows of one measure by age: single ages as ``age``, SEN2 bands as ``age_band``, other
    published ranges split into single ages by ``weights``; a year's rows scaled down to its
    published total where they add up to more (they give the shape only)."""
    rows: list[dict[str, object]] = []
    bands = {taxonomy.band_ages(b): b for b in taxonomy.AGE_BAND_LABELS}
    for year, part in by_age.dropna(subset=["children"]).groupby("year"):
        cells: list[tuple[int | None, str, float]] = []
        for lo, hi, n in part[["age_min", "age_max", "children"]].itertuples(index=False):
            if lo == hi:
                cells.append((int(lo), "", float(n)))
            elif (lo, hi) in bands:
                cells.append((None, bands[(lo, hi)], float(n)))
            else:
                w = weights[lo : hi + 1] / weights[lo : hi + 1].sum()
                cells += [(int(lo) + k, "", float(n) * float(w[k])) for k in range(len(w))]
        total = float(totals.get(year, np.nan))
        got = sum(c[2] for c in cells)
        scale = total / got if np.isfinite(total) and got > total else 1.0
        rows += [
            {"year": int(part["year"].iloc[0]), "measure": measure, "age": age, "age_band": band,
             "children": round(n * scale, 3)}
            for age, band, n in cells
        ]  # fmt: skip
    return rows


def build_flows(release: DfeRelease) -> pd.DataFrame:
    """The flows table (``docs/data-formats.md``) as published: yearly totals of requests,
    assessments, new plans and ceased plans, new plans by age at start and ceased plans by
    age where published (an empty frame where the release has no flows)."""
    totals = {
        "requests": release.requests.set_index("year")["requests"]
        if len(release.requests)
        else pd.Series(dtype=float),
        "assessments": release.assessments.set_index("year")["assessments"]
        if len(release.assessments)
        else pd.Series(dtype=float),
        "new_plans": release.new_plans.set_index("year")["children"],
        "ceased_plans": release.ceased.groupby("year")["children"].sum(min_count=1),
    }
    rows: list[dict[str, object]] = []
    for measure, series in totals.items():
        rows += [
            {"year": y, "measure": measure, "age": None, "age_band": "", "children": n}
            for y, n in zip(
                series.dropna().index.astype(int).tolist(),
                series.dropna().astype(float).tolist(),
                strict=True,
            )
        ]
    ceased_by_age = pd.DataFrame(
        release.ceased_by_age.groupby(
            ["year", "age_min", "age_max"], as_index=False, observed=True
        )["children"].sum(min_count=1)
    )
    rows += _flow_rows(
        "new_plans", release.new_plans_by_age, totals["new_plans"], NATIONAL_START_AGE
    )
    rows += _flow_rows(
        "ceased_plans",
        ceased_by_age,
        totals["ceased_plans"],
        NATIONAL_EXIT_AGE * NATIONAL_AGE_PROFILE,
    )
    out = pd.DataFrame(rows, columns=["year", "measure", "age", "age_band", "children"])
    out["age"] = out["age"].astype("Int64")
    order = {m: k for k, m in enumerate(totals)}
    return out.sort_values(
        ["year", "measure", "age", "age_band"],
        key=lambda c: c.map(order) if c.name == "measure" else c,
        na_position="first",
        kind="stable",
    ).reset_index(drop=True)


def build_settings(history: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """One row per category in and out of area; in-area places = base-year use; each row's
    establishment type is its category's first DfE placement column.

    Out of area, a limited category has no commissioned places (the DfE does not publish
    the split, so today's children are all counted in area): growth beyond today's places
    is bought on the market of last resort and shows as the sufficiency gap. Mainstream,
    FE and early years have no limit in or out of area.
    """
    used = history[history["year"] == base_year].groupby("setting")["children"].sum()
    rows = []
    for cat in CATEGORIES:
        places = int(np.ceil(used.get(f"{cat.key}_IN", 0.0) - 1e-9))
        for where, cost, transport in (
            ("IN", cat.cost, cat.transport),
            ("OUT", cat.cost_out, cat.transport_out),
        ):
            rows.append(
                {
                    "setting": f"{cat.key}_{where}",
                    "name": f"{cat.name}, {'in area' if where == 'IN' else 'out of area'}",
                    "tier": cat.tier,
                    "in_area": "yes" if where == "IN" else "no",
                    "places": (places if where == "IN" else 0) if cat.limited else "",
                    "needs": "ALL",
                    "age_min": cat.ages[0],
                    "age_max": cat.ages[1],
                    "cost_per_place": cost,
                    "transport_per_place": transport,
                    # the category's main DfE establishment type gives its DSG category
                    # and SCAP type (sufficiency.taxonomy.ESTABLISHMENT_TYPES)
                    "establishment_type": cat.columns[0],
                }
            )
    return pd.DataFrame(rows)


def build_costs(base_year: int, horizon: int = HORIZON) -> pd.DataFrame:
    """Inflation for every plan year: 3% (independent 4.5%), transport 5% (DOMAIN.md)."""
    rows = []
    for year in range(base_year + 1, base_year + horizon + 1):
        rows.append({"year": year, "tier": "", "inflation": 0.03, "transport_inflation": 0.05})
        rows.append(
            {"year": year, "tier": "independent", "inflation": 0.045, "transport_inflation": 0.05}
        )
    return pd.DataFrame(rows)


def approximate_population(
    history: pd.DataFrame, first_year: int, last_year: int, base_year: int
) -> pd.DataFrame:
    """A flat population: the same residents at every age and year. An approximation.

    Residents aged 0–25 = base-year plans / :data:`NATIONAL_PLANS_PER_RESIDENT`, spread
    evenly over the 26 ages and held flat over the years: rates per head then trend as
    the counts do. Replace with ONS estimates and projections (``--population``).
    """
    plans = float(history.loc[history["year"] == base_year, "children"].sum())
    per_age = round(plans / NATIONAL_PLANS_PER_RESIDENT / 26.0)
    return pd.DataFrame(
        [
            {
                "year": y,
                "age": a,
                "population": per_age,
                "kind": "estimate" if y <= base_year else "projection",
            }
            for y in range(first_year, last_year + 1)
            for a in range(26)
        ]
    )


def starter_population(
    history: pd.DataFrame,
    population: str | Path | Sequence[str | Path] | None,
    area: str,
    name: str,
    years: tuple[int, int, int],
    base_year: int,
) -> tuple[pd.DataFrame, str]:
    """The starter's population: ONS files when given, else the flat approximation.

    Args:
        history: The starter's caseload history (for the approximation).
        population: ONS mid-year estimates and/or SNPP files, or ``None``.
        area: The LA's ONS code or name in those files.
        name: The LA's name, for messages.
        years: The first year the history is used from, the first year of the history
            and the last plan year.
        base_year: The base year.

    Returns:
        The population (``year, age, population, kind``) and a note for the scenario's
        comments.

    Raises:
        DataError: If the ONS files lack a year the history or the plan years need.
    """
    used_from, first, last = years
    if population is None:
        note = (
            "APPROXIMATION, NOT DATA: a flat population (the same residents at every\n"
            "#     age and year, base-year plans / 3.6% national prevalence). REPLACE with\n"
            "#     ONS mid-year estimates and SNPP projections (sufficiency init --population)."
        )
        return approximate_population(history, first, last, base_year), note
    pop = read_ons_population(population, area)
    lacking = sorted(set(range(used_from, last + 1)) - set(pop["year"]))
    if lacking:
        raise DataError(
            f"the ONS population for {name} lacks years {', '.join(map(str, lacking))}: give "
            f"estimates for the history from {used_from} and projections to {last}"
        )
    return pop[pop["year"].between(first, last)], "ONS estimates and projections (given to init)."


def name_slug(name: str) -> str:
    """A scenario name from an area's: ``Bristol, City of`` is ``bristol-city-of``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _scenario_text(
    release: DfeRelease,
    base_year: int,
    history_start: int,
    population_note: str,
    flows: pd.DataFrame | None = None,
    *,
    real_population: bool = False,
    history_note: str = "",
    unrecorded: Sequence[tuple[str, str]] = (),
) -> str:
    name = release.la_name
    slug = name_slug(name)
    files = "\n".join(f"#   {f}" for f in release.files)
    published = float(release.caseload_total.set_index("year")["children"].loc[base_year])
    flows_line = ""
    flows_note = ""
    if flows is not None and len(flows):
        flows_line = "  flows: data/flows.csv\n"
        years = sorted(set(flows["year"]))
        flows_note = (
            f"#   - flows (data/flows.csv): requests, assessments, new plans and ceased plans as\n"
            f"#     published for {years[0]}-{years[-1]} (new plans by age at start and ceased\n"
            "#     plans by age where published). They drive forecast.method 'flows' (next\n"
            "#     January's plans = this January's, aged, less ceased plus new) and the levers\n"
            "#     levers.requests and levers.conversion; 'auto' considers 'flows' where they\n"
            "#     cover its backtest. Kept exactly; add your own years (SEN2) to extend them.\n"
        )
    if real_population:
        method_text = (
            "  # Rate per head of the ONS population by need and age band with a damped\n"
            "  # trend. REPLACE with 'auto' to backtest every method and pick per series.\n"
            "  method: poisson_glm_damped\n"
        )
    elif flows is not None and len(flows):
        method_text = (
            "  # The published flows (data/flows.csv): next January's plans = this January's,\n"
            "  # aged, less ceased plus new. It needs no population (the one here is\n"
            "  # invented). REPLACE with 'auto' once the population is real (it backtests\n"
            "  # every method, the rates per head among them, and picks per series).\n"
            "  method: flows\n"
        )
    else:
        method_text = (
            "  # Each series' recorded yearly change, carried on: it needs no population\n"
            "  # (the one here is invented). REPLACE with 'auto' once the population is real.\n"
            "  method: drift\n"
        )
    estimated_note = "".join(
        f"#   - estimated, the published figure unusable: {line}\n" for line in release.estimated
    ) + "".join(
        "\n".join(
            textwrap.wrap(line, 88, initial_indent=f"#   - {what}: ", subsequent_indent="#     ")
        )
        + "\n"
        for what, line in unrecorded
    )
    if history_note:
        lines = textwrap.wrap(
            history_note,
            88,
            initial_indent="#   - history of a reorganised council: ",
            subsequent_indent="#     ",
        )
        history_note = "\n".join(lines) + "\n"
    est = (
        "published (sen_needs_all_plans.csv)"
        if len(release.need_by_age)
        else "NOT published for these years: the national mix by age band (DOMAIN.md)"
    )
    return f"""\
# {name} ({release.la_code}): starter scenario written by `sufficiency init`.
#
# Built from the DfE's published EHC plan statistics alone (Department for Education,
# "Education, health and care plans", Open Government Licence v3.0), read from:
{files}
# It runs as written. It is a first, honest baseline: every line marked REPLACE below is
# an assumption to replace with local knowledge (your SEN2 return, settings register,
# top-up bands, ONS population). Paths are relative to this file.
#
# What is published (kept exactly):
#   - EHC plans at January of every year in data/caseload.csv: the yearly totals equal
#     the published `ehcplans` ({base_year}: {published:,.0f} plans).
#   - the type of setting attended (placement columns), from January 2019 (earlier years
#     from the older by-establishment file where it was in the folder); plans with no
#     placement recorded are apportioned over the placements (listed below if any).
# What is assumed (REPLACE):
#   - age: SEN2 bands (or single years from 2024) where published, split into single
#     years by the national shape; age x setting fitted to both totals.
#   - primary need: {est}.
#   - settings (data/settings.csv): one row per placement category, in area (places =
#     children there in {base_year}; mainstream and FE without a limit) and out of area
#     (no commissioned places for specialist categories: beyond the register, children
#     are placed by the market of last resort at allocation.market's prices, and that is
#     the sufficiency gap). All of today's children are counted in area: the DfE does not
#     publish the split. REPLACE with your register: one row per school, unit or provider,
#     with its places, needs and ages, including the out-of-area places you commission.
#   - children not in school: the DfE's other arrangements, elective home education and
#     NEET columns become OTHER_ARRANGEMENTS, EHE and NEET (other arrangements cost
#     allocation.not_in_school.other_arrangements_gbp, default £20,000: REPLACE).
#   - prices (cost_per_place, transport_per_place): national figures for 2024/25 from
#     DOMAIN.md, used as {base_year} prices. REPLACE with your top-up bands and fees.
#   - inflation (data/cost_assumptions.csv): 3% a year (independent 4.5%), transport 5%.
#     REPLACE with your medium-term financial plan's rates.
#   - population (data/population.csv):
#     {population_note}
{estimated_note}{flows_note}{history_note}name: {slug}-starter
council: {json.dumps(name, ensure_ascii=False)}
description: >-
  Starter baseline for {name} from the DfE's published figures (init); unmitigated,
  on today's placements. Replace the assumptions named in the comments.
data:
  caseload: data/caseload.csv
  population: data/population.csv
  settings: data/settings.csv
  cost_assumptions: data/cost_assumptions.csv
{flows_line}base_year: {base_year}
horizon_years: {HORIZON}
forecast:
{method_text}  interval_level: 0.8
  # Statements of SEN were converted to EHC plans until 2018 and the 20-25 band ramped
  # up after the 2014 reforms: the trend is fitted from {history_start} on (the DfE's
  # series start). Earlier years stay in data/caseload.csv: set an earlier year to use them.
  history_start: {history_start}
allocation:
  solver: auto
  unmet_penalty_gbp: 1000000
  time_limit_seconds: 60
"""


def starter_assumptions(
    release: DfeRelease,
    flat_population: bool,
    history_note: str = "",
    unrecorded: Sequence[tuple[str, str]] = (),
) -> list[dict[str, str]]:
    """What this starter assumes (the scenario's ``assumptions``; module docstring): the
    national shapes and prices, each published figure it had to estimate, plans without a
    recorded placement apportioned (``unrecorded``: :func:`unrecorded_placements`), and a
    predecessor's history (``history_note``) for a council made by a reorganisation."""
    own = "sufficiency init --sen2 (your SEN2 returns) and --gias (the register)"
    out = [
        {
            "what": "national age shape",
            "value": "published age bands split into single years by the national shape; "
            "age x setting fitted to both totals",
            "why": "the DfE publishes ages in bands and not by setting",
            "how_to_replace": own,
        },
        {
            "what": "settings by category and all in area",
            "value": "one register row per placement category; every child counted in area",
            "why": "the DfE publishes neither schools nor the out-of-area split",
            "how_to_replace": own,
        },
        {
            "what": "national prices",
            "value": "place costs and transport of 2024/25 national figures (DOMAIN.md)",
            "why": "the council's top-up bands and fees are not published",
            "how_to_replace": "edit data/settings.csv, or init --sen2 with --costs",
        },
        dict(INFLATION),
        {
            "what": "Down syndrome within OTH",
            "value": "children with Down syndrome (DS) are forecast and placed within other "
            "difficulty/disability (OTH)",
            "why": "the DfE's release counts DS under OTH",
            "how_to_replace": own,
        },
    ]
    if not len(release.need_by_age):
        out.insert(
            1,
            {
                "what": "national need mix",
                "value": "primary need by age band as England's (DOMAIN.md)",
                "why": "need by age is not published for these years",
                "how_to_replace": own,
            },
        )
    if flat_population:
        out.append(dict(FLAT_POPULATION))
    for line in release.estimated:
        out.append(
            {
                "what": "estimated published figure",
                "value": line,
                "why": "the published figure is suppressed or unusable",
                "how_to_replace": own,
            }
        )
    for what, line in unrecorded:
        out.append(
            {"what": what, "value": line, "why": _WHY_APPORTIONED[what], "how_to_replace": own}
        )
    if history_note:
        out.append(
            {
                "what": "predecessor's history",
                "value": " ".join(history_note.split()),
                "why": "the council was created by a reorganisation; earlier Januaries are its "
                "predecessors'",
                "how_to_replace": own,
            }
        )
    return out


def write_starter(
    la: str,
    dfe: str | Path,
    out: str | Path,
    *,
    population: str | Path | Sequence[str | Path] | None = None,
    force: bool = False,
) -> Path:
    """Write a starter scenario folder for one LA from the DfE's published files.

    Args:
        la: The LA: new code (``E08000027``), old number (``332``) or name (``Dudley``).
        dfe: Folder holding one or more releases' files as downloaded.
        out: Folder to write (``scenario.yaml`` and ``data/``).
        population: ONS mid-year estimates and/or SNPP files; ``None`` writes a flat,
            labelled approximation.
        force: Write into a non-empty ``out``, replacing only files an earlier starter
            wrote there and nobody edited since (:func:`~sufficiency.guard.guard_replace`).

    Returns:
        Path of the written ``scenario.yaml``.

    Raises:
        DataError: If ``out`` is not empty (without ``force``), the area is unknown, or
            the population does not cover the history and plan years.
    """
    target = starter_folder(out, force)
    populations = (
        []
        if population is None
        else [population]
        if isinstance(population, str | Path)
        else list(population)
    )
    guard_inputs(target, [dfe, *populations])
    release, history_note = with_predecessor(read_dfe_release(dfe, la), dfe)
    recorded = recorded_placements(release)
    history = build_history(release, recorded[0])
    unrecorded = unrecorded_placements(release, recorded)
    base_year = release.base_year
    first = int(history["year"].min())
    last = base_year + HORIZON
    # the DfE's own time series starts in 2019, once statements were converted to plans;
    # older years stay in the history (set history_start earlier to use them)
    history_start = min(max(first, 2019), base_year - 1)
    pop, note = starter_population(
        history,
        population,
        release.la_code.split("+")[0],
        release.la_name,
        (history_start, first, last),
        base_year,
    )
    settings = build_settings(history, base_year)
    flows = build_flows(release)
    text = _scenario_text(
        release,
        base_year,
        history_start,
        note,
        flows,
        real_population=population is not None,
        history_note=history_note,
        unrecorded=unrecorded,
    ) + yaml_block(starter_assumptions(release, population is None, history_note, unrecorded))
    files: dict[str, Callable[[Path], object]] = {
        "data/caseload.csv": lambda p: _with_fixed_decimals(history, "%.3f").to_csv(p, index=False),
        "data/population.csv": lambda p: pop.to_csv(p, index=False),
        "data/settings.csv": lambda p: settings.to_csv(p, index=False),
        "data/cost_assumptions.csv": lambda p: build_costs(base_year).to_csv(p, index=False),
        "scenario.yaml": lambda p: p.write_text(text, encoding="utf-8"),
    }
    if len(flows):
        files["data/flows.csv"] = lambda p: flows.to_csv(p, index=False)
    write_files(target, files)
    scenario = target / "scenario.yaml"
    log.info("wrote a starter for %s (%s) to %s", release.la_name, release.la_code, target)
    return scenario


def _with_fixed_decimals(frame: pd.DataFrame, spec: str) -> pd.DataFrame:
    """``frame`` with its float columns as text, each number as ``spec`` writes it (blank
    where missing): what ``to_csv(float_format=spec)`` writes, made in one pass (pandas
    formats cell by cell through its own formatter: 0.031 against 0.021 s for a
    starter's 12,000-row caseload, the same bytes)."""
    floats = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    return frame.assign(
        **{c: [spec % v if v == v else "" for v in frame[c].tolist()] for c in floats}
    )


def starter_folder(out: str | Path, force: bool) -> Path:
    """The folder a starter is written into, checked before any work is done.

    Raises:
        DataError: If ``out`` is a file, or a folder that is not empty (without ``force``).
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise DataError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise DataError(
            f"{target} is not empty; choose a new folder or pass --force to write into it"
        )
    return target


def write_files(target: Path, files: dict[str, Callable[[Path], object]]) -> None:
    """Write ``files`` (relative path -> writer) into ``target`` all or nothing.

    Each is written into a hidden temporary folder beside ``target`` first, then moved into
    place; a failure (a full disk) leaves ``target`` as it was (removed if it was new).

    Raises:
        DataError: If ``target`` holds files of the same names the library did not write,
            or the files cannot be written.
    """
    try:
        guard_replace(target, files)
    except SufficiencyError as exc:
        raise DataError(str(exc)) from None
    created = not target.exists()
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        for name, write in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            write(tmp / name)
        for name in files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, target / name)
        record_written(target, files)
    except OSError as exc:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise DataError(f"cannot write the starter into {target}: {exc}") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
