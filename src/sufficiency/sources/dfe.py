"""Reader of the DfE's published EHC plan statistics, in the library's vocabulary.

The Department for Education publishes "Education, health and care plans" (Explore
Education Statistics, Open Government Licence v3.0) for England, its regions and every
local authority (LA). :func:`read_dfe_ehcp` reads the caseload (stock at January) in every
layout those files have had:

* **by age** (January 2010–2022): ``characteristic_age`` (Under 5, Age 5 to 10, …) with
  counts of statements (``Total_st``), EHC plans (``Total_ehc``) and both (``Total_all``);
* **by establishment** (January 2010–2022): ``establishment_group`` and
  ``establishment_type`` (44 types) with the same three counts;
* the same two as published on Explore Education Statistics in 2024 (``age`` or
  ``establishment_type``, ``ehcp_or_statement``, ``num_caseload``): the ``Total`` rows;
* **caseload** (January 2019 on, ``time_period`` 201819 …): one row per area with a
  column per placement type (``mainstream_*``, ``special_*``, ``ap_pru_*``, FE, NEET …),
  in the 2019–2023 file and in the current release's ``caseload.csv`` (byte-order mark,
  CRLF, ``time_identifier``, ``country_*``, ``old_la_code``, ``await_prov_2022``,
  ``perm_ex_2022``). Columns the release's data guidance does not document are named in
  one :class:`~sufficiency.errors.DataWarning` and skipped.

The release's other files (flows, 2024+ breakdowns by age and need) are read by
:mod:`sufficiency.sources.dfe_release`. An area may be named by its new code
(``E08000027``), its old three-digit LA number where the file carries ``old_la_code``
(``332``) or its name (``Dudley``).

It returns a long frame a council can hand to :func:`sufficiency.forecast_demand` as
history, and says in ``frame.attrs`` (and the log) which symbols it met and which
boundary changes it applied.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import DataError, DataWarning, Problem
from .dfe_columns import PLACEMENT_TIER, unknown_columns
from .parsing import (
    SYMBOLS,
    area_key,
    area_suggestions,
    cached,
    cached_frame,
    numbers,
    numbers_of,
    parsed_counts,
    read_text_csv,
    refuse_duplicates,
    refuse_header_alone,
    repeated_rows,
    row_of,
)

log = logging.getLogger(__name__)

Boundaries = Literal["current", "combined", "as_published"]

#: Code and name the reader gives the national rows (the files leave them blank).
ENGLAND = ("E92000001", "England")

NOT_PLACED = "not_placed"


@dataclass(frozen=True)
class BoundaryChange:
    """One change of LA boundaries or codes between January snapshots.

    Attributes:
        first_year: First January snapshot published under the new codes.
        old: Codes that stop.
        new: Codes that start.
        kind: ``recode`` (same area under a new code: the series continue) or
            ``reorganised`` (areas split or merged across old borders: the published
            figures cannot be apportioned, so series stop and start).
        note: What happened.
    """

    first_year: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    kind: Literal["recode", "reorganised"]
    note: str


#: Boundary and code changes of English LAs that these files span (GSS codes).
BOUNDARY_CHANGES: tuple[BoundaryChange, ...] = (
    BoundaryChange(
        2014, ("E08000020",), ("E08000037",), "recode", "Gateshead: new code, same area (2013)"
    ),
    BoundaryChange(
        2014,
        ("E06000048",),
        ("E06000057",),
        "recode",
        "Northumberland: new code, same area (2013)",
    ),
    BoundaryChange(
        2020,
        ("E06000028", "E06000029", "E10000009"),
        ("E06000058", "E06000059"),
        "reorganised",
        "Bournemouth, Poole and Dorset county (which included Christchurch) became "
        "Bournemouth, Christchurch and Poole and the Dorset unitary (April 2019)",
    ),
    BoundaryChange(
        2021,
        ("E10000002",),
        ("E06000060",),
        "recode",
        "Buckinghamshire: the county became a unitary council, same area (April 2020)",
    ),
    BoundaryChange(
        2022,
        ("E10000021",),
        ("E06000061", "E06000062"),
        "reorganised",
        "Northamptonshire split into North and West Northamptonshire (April 2021)",
    ),
    BoundaryChange(
        2024,
        ("E10000006",),
        ("E06000063", "E06000064"),
        "reorganised",
        "Cumbria split into Cumberland and Westmorland and Furness (April 2023)",
    ),
    BoundaryChange(
        2024,
        ("E10000023",),
        ("E06000065",),
        "recode",
        "North Yorkshire: the county became a unitary council, same area (April 2023)",
    ),
    BoundaryChange(
        2024,
        ("E10000027",),
        ("E06000066",),
        "recode",
        "Somerset: the county became a unitary council, same area (April 2023)",
    ),
)

# establishment_type (2010–2022 files) -> tier. Mainstream schools and general FE cannot be
# told apart by top-up in the published tables, so they are all `sen_support`.
_ESTABLISHMENT_TIER: dict[str, str] = {
    "AP/PRU - Academy": "partnership",
    "AP/PRU - Free school": "partnership",
    "AP/PRU - LA maintained": "partnership",
    "Hospital School": "partnership",
    "Mainstream - Academy": "sen_support",
    "Mainstream - Free school": "sen_support",
    "Mainstream - Independent": "sen_support",
    "Mainstream - LA maintained": "sen_support",
    "Mainstream - Academy - Resourced Provision": "enhanced_resource",
    "Mainstream - Academy - SEN unit": "enhanced_resource",
    "Mainstream - Free school - Resourced provision": "enhanced_resource",
    "Mainstream - Free school - SEN unit": "enhanced_resource",
    "Mainstream - LA maintained - Resourced provision": "enhanced_resource",
    "Mainstream - LA maintained - SEN unit": "enhanced_resource",
    "Special - Academy": "special_school",
    "Special - Academy/free": "special_school",
    "Special - Free school": "special_school",
    "Special - LA maintained": "special_school",
    "Special - Independent": "independent",
    "Special - Non-maintained": "independent",
    "General FE and tertiary colleges/HE": "sen_support",
    "Other FE": "sen_support",
    "Sixth form college": "sen_support",
    "Independent specialist providers": "independent",
    "Specialist post-16 institutions": "independent",
    "Non-maintained early years": "sen_support",
    "Apprenticeship": "sen_support",
    "Supported Internship": "sen_support",
    "Traineeship": "sen_support",
    "Work-based learning": "sen_support",
    "NEET": NOT_PLACED,
    "Other": NOT_PLACED,
    "Elective home education": NOT_PLACED,
    "Other arrangements by local authority": NOT_PLACED,
    "Other arrangements by parents": NOT_PLACED,
    "Permanently excluded": NOT_PLACED,
    "Awaiting provision - total": NOT_PLACED,
    "Awaiting provision - above compulsory school age and in education": NOT_PLACED,
    "Awaiting provision - above compulsory school age and not in education": NOT_PLACED,
    "Awaiting provision - below compulsory school age and in education": NOT_PLACED,
    "Awaiting provision - below compulsory school age and not in education": NOT_PLACED,
    "Awaiting provision - compulsory school age and in education": NOT_PLACED,
    "Awaiting provision - compulsory school age and not in education": NOT_PLACED,
}

# column (2019+ caseload files) -> tier: the documented placement columns
_CASELOAD_TIER: dict[str, str] = PLACEMENT_TIER
#: Placement label of the plans the caseload file counts but lists under no column
#: (awaiting provision and permanently excluded, in 2019–2022).
UNLISTED = "unlisted (ehcplans minus the listed placements)"

#: What :func:`read_dfe_ehcp` reads of a file (:func:`located`): its cells, the 2024
#: layout's as the older files have them (:func:`_ees_long`).
HISTORY = "EHC plan history"

_GEO = ["time_period", "geographic_level", "region_code", "region_name", "new_la_code", "la_name"]


def read_dfe_ehcp(
    path: str | Path,
    la: str | Sequence[str] | None = None,
    *,
    boundaries: Boundaries = "current",
) -> pd.DataFrame:
    """Read a published DfE EHC plan file as history in the library's vocabulary.

    Layout (by age, by establishment, or the 2019–2023 caseload) is recognised from the
    columns.

    Counts. In the 2010–2022 files the children count is ``Total_all``: statements of SEN
    plus EHC plans. Statements were converted to plans between 2014 and 2018, so only the
    sum is a continuous series of children with a statutory plan; ``Total_ehc`` alone
    would show a spurious ramp. The caseload file counts plans (``ehcplans``).

    Age bands. ``Under 5`` … ``Age 20 to 25`` become ``0-4`` … ``20-25``; the published
    ``Total`` rows are dropped (they are the sum). The 20–25 band is published only from
    2015 (the 2014 reforms extended plans to 25): earlier years have no row for it, and it
    ramps up to about 2020 — a structural break to declare when forecasting (see
    ``series_start`` in :func:`sufficiency.forecast_demand`).

    Tiers. Placement types map to the six-tier vocabulary: resourced provision and SEN
    units are ``enhanced_resource``; state special schools (LA maintained, academy, free)
    ``special_school``; independent and non-maintained special schools, independent
    specialist providers and specialist post-16 institutions ``independent``; AP/PRU and
    hospital schools ``partnership``. The published tables cannot tell top-up from no
    top-up, so mainstream schools (including independent mainstream), general FE and
    sixth-form colleges, non-maintained early years, apprenticeships, supported
    internships, traineeships, work-based learning and UKRLP training providers are all
    ``sen_support`` (none is ``mainstream``). NEET, educated elsewhere, elective home
    education, other arrangements (by the LA or parents), permanently excluded, awaiting
    provision, other and unknown placements are ``not_placed``. (The 2015–2016 releases
    list apprenticeships, supported internships, traineeships and work-based learning
    under a group called "Unknown"; the placement itself is known — education or
    training with support, like general FE — so they are ``sen_support``.) In the caseload file,
    plans counted in ``ehcplans`` but in no listed column (awaiting provision and
    permanently excluded, 2019–2022) become one ``not_placed`` row labelled
    :data:`UNLISTED`. Where the 2010–2022 file gives both "Awaiting provision - total" and
    its parts, only the parts are kept.

    Symbols. ``z``, ``x``, ``c``, ``low``, ``u`` (see :data:`SYMBOLS`) become missing
    values, never 0; how many of each the reader met in the rows it returns is in
    ``frame.attrs["symbols"]`` and the log. Any other text in a count is an error.

    Boundaries (see :data:`BOUNDARY_CHANGES`):

    * ``"current"``: areas that only changed code (Gateshead and Northumberland 2013,
      Buckinghamshire 2020, North Yorkshire and Somerset 2023) carry one series under the
      newest code found in the file. Areas reorganised across old borders (Bournemouth,
      Poole and Dorset into BCP and Dorset in 2019; Northamptonshire into North and West
      in 2021; Cumbria in 2023) keep their published codes, so their series stop and
      start.
    * ``"combined"``: as ``"current"``, and each reorganised group is summed into one area
      whose code joins the new codes with ``+`` (Bournemouth + Poole + Dorset county =
      BCP + Dorset), so every series runs over all years.
    * ``"as_published"``: no change.

    The changes applied are in ``frame.attrs["boundary_changes"]``.

    Args:
        path: The CSV file.
        la: Areas to return: LA codes or names (case-insensitive), region codes or names,
            or ``"England"``; ``None`` for every local authority.
        boundaries: How to handle boundary and code changes (above).

    Returns:
        Long frame: ``la_code``, ``la_name``, ``year`` (January of the snapshot), then
        ``age_band`` (age file) or ``tier`` and ``placement`` (the published label; the
        other two files), and ``children`` (float; missing where the file had a symbol).

    Raises:
        DataError: If the file is missing or of an unknown layout, a count holds unknown
            text, or an area in ``la`` is not in the file.
    """
    if boundaries not in ("current", "combined", "as_published"):
        raise DataError(
            f"unknown boundaries option {boundaries!r}; use current, combined or as_published"
        )
    p = Path(path)
    raw = _ees_long(read_text_csv(p, "DfE"))
    missing = [c for c in _GEO if c not in raw.columns]
    if missing:
        raise DataError(
            f"{p}: not a DfE EHC plan file", [Problem(str(p), "missing " + ", ".join(missing))]
        )
    raw = rows_of(p, HISTORY, lambda: raw, la, boundaries)
    if "characteristic_age" in raw.columns:
        layout, long = "by_age", _by_age(raw, p)
    elif "establishment_type" in raw.columns:
        layout, long = "by_establishment", _by_establishment(raw, p)
    elif "ehcplans" in raw.columns:
        layout, long = "caseload", _caseload(raw, p)
    else:
        raise DataError(
            f"{p}: unknown DfE layout",
            [Problem(str(p), "expected characteristic_age, establishment_type or ehcplans")],
        )
    symbols = long.attrs.pop("symbols", {})
    estimated = long.attrs.pop("estimated", [])
    key = "age_band" if layout == "by_age" else "placement"
    frame, applied = _apply_boundaries(long, boundaries, key)
    frame = frame.sort_values(["la_code", "year", key], ignore_index=True)
    if layout == "by_age":
        frame["age_band"] = frame["age_band"].astype(taxonomy.AGE_BAND_DTYPE)
        frame = frame.sort_values(["la_code", "year", "age_band"], ignore_index=True)
    frame.attrs = {
        "source": str(p),
        "layout": layout,
        "children_column": "ehcplans" if layout == "caseload" else "Total_all",
        "symbols": symbols,
        "boundary_changes": applied,
        "estimated": estimated,
    }
    if symbols:
        log.info(
            "%s: %s as missing values",
            p.name,
            ", ".join(f"{n} × {s!r} ({SYMBOLS[s]})" for s, n in sorted(symbols.items())),
        )
    for note in applied:
        log.info("%s: %s", p.name, note)
    return frame


def _ees_long(raw: pd.DataFrame) -> pd.DataFrame:
    """The 2024 Explore Education Statistics layout, as the 2010–2022 files have it.

    Those files carry one row per ``ehcp_or_statement`` (EHCP, Statement, Total) with the
    count in ``num_caseload`` and the age band in ``age``: the ``Total`` rows are the
    children with a statutory plan, as ``Total_all`` is in the older files.
    """
    if not {"ehcp_or_statement", "num_caseload"} <= set(raw.columns):
        return raw
    out = raw[raw["ehcp_or_statement"].str.strip().str.lower() == "total"]
    out = out.rename(columns={"num_caseload": "Total_all", "age": "characteristic_age"})
    return out.drop(columns=["ehcp_or_statement"])


def _geography(raw: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """Add ``la_code``/``la_name`` for every row (national and regional rows too).

    Raises:
        DataError: If the file has no rows (a header alone: a download cut short), or a
            ``time_period`` is not a year, naming ``path`` and the rows.
    """
    refuse_header_alone(raw, str(path or "a DfE file"))
    level = raw["geographic_level"].str.strip().str.lower()
    code = raw["new_la_code"].str.strip()
    name = raw["la_name"].str.strip()
    regional = level == "regional"
    national = level == "national"
    code = code.mask(regional, raw["region_code"].str.strip()).mask(national, ENGLAND[0])
    name = name.mask(regional, raw["region_name"].str.strip()).mask(national, ENGLAND[1])
    out = raw.assign(la_code=code, la_name=name, _level=level)
    out["year"] = _year(out["time_period"], path)
    return out


def _year(period: pd.Series, path: Path | None = None) -> pd.Series:
    """Calendar year of the January snapshot: 2019 or 201819 -> 2019."""
    text = period.str.strip()
    bad = ~text.str.fullmatch(r"\d{4}|\d{6}")
    if bad.any():
        where = f"{path}, " if path is not None else ""
        raise DataError(
            f"{where or 'a DfE file: '}time_period values that are not a year (2023) or an "
            "academic year (202223)",
            [
                Problem(f"{where}row {row_of(i)}, column 'time_period'", repr(text[i]))
                for i in text.index[bad][:5]
            ],
        )
    return text.map(lambda s: int(s) if len(s) == 4 else int(s[:2] + s[4:])).astype(int)


@dataclass(frozen=True)
class _Areas:
    """The areas of one file's rows (after :func:`_geography`), found once per file.

    Attributes:
        lookup: Area code, name and old LA number, lower-cased: the codes they name.
        names_of: Names as compared (:func:`~.parsing.area_key`): the names they are.
        rows: Positions of each code's rows, in the file's order.
        repeated: Labels of rows whose keys another row repeats (:func:`~.parsing.repeated_rows`).
    """

    lookup: dict[str, set[str]]
    names_of: dict[str, set[str]]
    rows: dict[str, np.ndarray]
    repeated: pd.Index

    @classmethod
    def of(cls, raw: pd.DataFrame) -> _Areas:
        lookup: dict[str, set[str]] = {}
        pairs = raw[["la_code", "la_name"]].drop_duplicates()  # once per area, not per row
        for c, n in zip(pairs["la_code"], pairs["la_name"], strict=True):
            lookup.setdefault(c.lower(), set()).add(c)
            lookup.setdefault(n.lower(), set()).add(c)  # a name may have had several codes
        if "old_la_code" in raw.columns:  # the three-digit LA number, e.g. 332 for Dudley
            olds = pd.DataFrame(
                {"la_code": raw["la_code"], "old": raw["old_la_code"].str.strip()}
            ).drop_duplicates()
            for c, old in zip(olds["la_code"], olds["old"], strict=True):
                if old:
                    lookup.setdefault(old.lower(), set()).add(c)
        lookup.setdefault("england", set()).add(ENGLAND[0])
        lookup.setdefault("national", set()).add(ENGLAND[0])
        names_of: dict[str, set[str]] = {}
        for n in set(pairs["la_name"]) - {""}:
            names_of.setdefault(area_key(n), set()).add(n)
        codes, where = np.unique(raw["la_code"].to_numpy(dtype=object), return_inverse=True)
        order = np.argsort(where, kind="stable")
        bounds = np.cumsum(np.bincount(where, minlength=len(codes)))[:-1]
        rows = dict(zip(codes, np.split(order, bounds), strict=True))
        return cls(lookup, names_of, rows, repeated_rows(raw))


def located(path: Path, what: str, text: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, _Areas]:
    """The file's rows with their areas (:func:`_geography` of ``text()``, the file's cells
    as ``what`` reads them) and its index of areas, made once per version of the file in
    this process (:func:`~.parsing.cached`): a sweep's worker picks each council's rows
    from them."""
    frame = cached_frame(path, f"DfE areas: {what}", lambda: _geography(text(), path))
    return frame, cached(path, f"DfE area index: {what}", lambda: _Areas.of(frame))


def counts_of(
    path: Path,
    what: str,
    text: Callable[[], pd.DataFrame],
    rows: pd.DataFrame,
    columns: list[str],
    symbols: dict[str, int],
) -> list[np.ndarray]:
    """:func:`~.parsing.numbers_of` of ``rows`` (some of the file's, as :func:`rows_of`
    picked them from :func:`located` with the same ``what`` and ``text``): the whole
    file's counts are parsed once a process (:func:`~.parsing.cached`) and the rows'
    taken; a file with a cell that is no count is parsed area by area, so the error
    names the area's rows."""
    frame, _ = located(path, what, text)
    parsed = cached(
        path, f"DfE counts: {what}: " + ",".join(columns), lambda: parsed_counts(frame, columns)
    )
    at = frame.index.get_indexer(rows.index)
    if parsed is None or (at < 0).any():  # (rows not of the file: parsed as they are)
        return numbers_of(rows, columns, path, symbols)
    return parsed.take(at, symbols)


def rows_of(
    path: Path,
    what: str,
    text: Callable[[], pd.DataFrame],
    la: str | Sequence[str] | None,
    boundaries: Boundaries,
) -> pd.DataFrame:
    """The rows of the areas ``la`` (:func:`_select`) of the file at ``path``
    (:func:`located`), repeats refused (:func:`~.parsing.refuse_duplicates`)."""
    frame, areas = located(path, what, text)
    rows = _select(frame, la, path, boundaries, areas)
    if la is None or not areas.repeated.intersection(rows.index).empty:
        refuse_duplicates(rows, path)
    return rows


def _select(
    raw: pd.DataFrame,
    la: str | Sequence[str] | None,
    path: Path,
    boundaries: Boundaries,
    areas: _Areas | None = None,
) -> pd.DataFrame:
    """Rows of the requested areas (every LA when ``la`` is None), in the file's order;
    ``areas`` is ``raw``'s index of areas where it was made already."""
    if la is None:
        return raw[raw["_level"] == "local authority"].copy()
    areas = areas if areas is not None else _Areas.of(raw)
    lookup, names_of = areas.lookup, areas.names_of
    wanted = [la] if isinstance(la, str) else list(la)
    codes: set[str] = set()
    unknown: list[Problem] = []
    for item in wanted:
        text = str(item).strip()
        found = lookup.get(text.lower())
        if found is None and len(same := names_of.get(area_key(text), set())) == 1:
            found = lookup[next(iter(same)).lower()]  # "St Helens", "Bristol": one area
        if found is None:
            close = area_suggestions(text, raw["la_name"])
            if not close:
                keys = difflib.get_close_matches(text.lower(), sorted(lookup), n=3, cutoff=0.7)
                close = sorted({c for k in keys for c in lookup[k]})[:3]
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            unknown.append(Problem(str(path), f"no area {text!r} in the file{hint}"))
        else:
            codes |= found
    if unknown:
        raise DataError("unknown area(s): give an LA code, old number or name", unknown)
    # include the other codes an area had, so its series can be chained (or combined)
    for change in BOUNDARY_CHANGES:
        group = set(change.old) | set(change.new)
        if codes & group and (change.kind == "recode" or boundaries == "combined"):
            codes |= group
    found_rows = [areas.rows[c] for c in codes if c in areas.rows]
    at = np.sort(np.concatenate(found_rows)) if found_rows else np.zeros(0, dtype=int)
    return raw.iloc[at]


def _by_age(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    rows = raw[raw["characteristic_age"].str.strip().str.lower() != "total"]
    symbols: dict[str, int] = {}
    bands = [taxonomy.age_band_label(v) for v in rows["characteristic_age"]]
    out = pd.DataFrame(
        {
            "la_code": rows["la_code"].to_numpy(),
            "la_name": rows["la_name"].to_numpy(),
            "year": rows["year"].to_numpy(),
            "age_band": bands,
            "children": numbers(rows["Total_all"], "Total_all", path, symbols),
        }
    )
    out.attrs["symbols"] = symbols
    return out


def _by_establishment(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    kind = raw["establishment_type"].str.strip()
    group = raw["establishment_group"].str.strip()
    rows = raw[(kind != "Total") & (group != "Total")].copy()
    rows["placement"] = rows["establishment_type"].str.strip()
    unknown = sorted(set(rows["placement"]) - set(_ESTABLISHMENT_TIER))
    if unknown:
        raise DataError(
            f"{path}: establishment types with no tier",
            [Problem(str(path), ", ".join(repr(u) for u in unknown))],
        )
    # drop "Awaiting provision - total" where its parts are published too
    awaiting = rows["placement"].str.startswith("Awaiting provision")
    total = rows["placement"] == "Awaiting provision - total"
    with_parts = set(
        zip(
            rows.loc[awaiting & ~total, "la_code"], rows.loc[awaiting & ~total, "year"], strict=True
        )
    )
    keys = list(zip(rows["la_code"], rows["year"], strict=True))
    rows = rows[~(total.to_numpy() & np.array([k in with_parts for k in keys], dtype=bool))]
    symbols: dict[str, int] = {}
    out = pd.DataFrame(
        {
            "la_code": rows["la_code"].to_numpy(),
            "la_name": rows["la_name"].to_numpy(),
            "year": rows["year"].to_numpy(),
            "tier": rows["placement"].map(_ESTABLISHMENT_TIER).to_numpy(),
            "placement": rows["placement"].to_numpy(),
            "children": numbers(rows["Total_all"], "Total_all", path, symbols),
        }
    )
    out.attrs["symbols"] = symbols
    return out


def _caseload(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    symbols: dict[str, int] = {}
    own = {"la_code", "la_name", "year"}
    unknown_columns([c for c in raw.columns if c not in own], "caseload", str(path))
    if "breakdown_topic" in raw.columns:
        raw = raw[raw["breakdown_topic"].str.strip().str.lower() == "all ehc plans"]
    placements = [c for c in _CASELOAD_TIER if c in raw.columns]
    total, *counts = counts_of(
        path,
        HISTORY,
        lambda: _ees_long(read_text_csv(path, "DfE")),
        raw,
        ["ehcplans", *placements],
        symbols,
    )
    cells = dict(zip(placements, counts, strict=True))
    estimated = _estimate_suppressed(raw, total, cells, path, symbols)
    listed = np.zeros(len(raw))
    for values in cells.values():
        listed += np.nan_to_num(values)
    rest = total - listed
    if (rest < -0.5).any():
        i = int(np.argmax(rest < -0.5))
        raise DataError(
            f"{path}: listed placements exceed ehcplans",
            [
                Problem(
                    f"{path}, row {row_of(raw.index[i])}",
                    f"{raw['la_name'].iloc[i]} ({raw['la_code'].iloc[i]}), "
                    f"{raw['year'].iloc[i]}: the placement columns add up to "
                    f"{listed[i]:,.0f}, {-rest[i]:,.0f} more than ehcplans {total[i]:,.0f}",
                )
            ],
        )
    # one long frame, placement by placement, then the rest not placed (in one piece: a
    # frame for each of some 35 columns, joined, cost more than the rows they hold)
    columns = [*cells, UNLISTED]
    tiers = [*(_CASELOAD_TIER[c] for c in cells), NOT_PLACED]
    n, k = len(raw), len(columns)
    out = pd.DataFrame(
        {
            "la_code": np.tile(raw["la_code"].to_numpy(), k),
            "la_name": np.tile(raw["la_name"].to_numpy(), k),
            "year": np.tile(raw["year"].to_numpy(), k),
            "tier": np.repeat(np.array(tiers, dtype=object), n),
            "placement": np.repeat(np.array(columns, dtype=object), n),
            "children": np.concatenate([*cells.values(), np.maximum(rest, 0.0)]),
        }
    )
    out.attrs["symbols"] = symbols
    out.attrs["estimated"] = estimated
    return out


#: Subtotal columns of the caseload file and the placement columns each adds up.
_SUBTOTALS: dict[str, tuple[str, ...]] = {
    "mainstream_total": tuple(c for c in _CASELOAD_TIER if c.startswith("mainstream_")),
    "special_total": tuple(c for c in _CASELOAD_TIER if c.startswith("special_")),
    "ap_pru_total": tuple(c for c in _CASELOAD_TIER if c.startswith("ap_pru_")),
    "fe_total": (
        "general_fe_tertiary_colleges",
        "specialist_post_16_institutions",
        "ukrlp_provider",
    ),
}


def _estimate_suppressed(
    raw: pd.DataFrame,
    total: np.ndarray,
    cells: dict[str, np.ndarray],
    path: Path,
    symbols: Mapping[str, int],
) -> list[str]:
    """Fill suppressed (``c``) placement cells in place with an estimate, never 0.

    A suppressed cell is its subtotal (``special_total``…) less the published cells of
    that subtotal; without a published subtotal, ``ehcplans`` less every published cell.
    Several suppressed cells share the remainder equally. Each estimate is named in one
    :class:`~sufficiency.errors.DataWarning` and returned (for the assumptions). Cells are
    looked at only where the counts met a ``c`` (``symbols``: the symbols they met).
    """
    if "c" not in symbols:
        return []
    suppressed = {
        c: (raw[c].str.strip().str.lower() == "c").to_numpy() for c in cells if c in raw.columns
    }
    if not any(m.any() for m in suppressed.values()):
        return []
    notes: list[str] = []
    for i in np.flatnonzero(np.logical_or.reduce(list(suppressed.values()))):
        hidden = [c for c, m in suppressed.items() if m[i]]
        groups: list[tuple[list[str], float, str]] = []
        for sub, members in _SUBTOTALS.items():
            mine = [c for c in hidden if c in members]
            if not mine or sub not in raw.columns:
                continue
            sub_value = pd.to_numeric(raw[sub].iloc[i].strip(), errors="coerce")
            if not np.isfinite(sub_value):
                continue
            shown = sum(float(np.nan_to_num(cells[c][i])) for c in members if c in cells)
            groups.append((mine, float(sub_value) - shown, sub))
        rest = [c for c in hidden if not any(c in g for g, _, _ in groups)]
        if rest:
            shown = sum(float(np.nan_to_num(v[i])) for v in cells.values())
            shown += sum(r for _, r, _ in groups)
            groups.append((rest, float(total[i]) - shown, "ehcplans"))
        for group, remainder, source in groups:
            each = max(remainder, 0.0) / len(group)
            for c in group:
                cells[c][i] = each
                area = f"{raw['la_name'].iloc[i]}, {raw['year'].iloc[i]}"
                notes.append(
                    f"{path}, row {row_of(raw.index[int(i)])}, column {c!r} ({area}): "
                    f"suppressed (c), estimated as {each:g}, "
                    f"{source} less the published cells it adds up"
                )
    warnings.warn(
        "suppressed placement counts estimated: "
        + "; ".join(notes[:5])
        + (f" and {len(notes) - 5} more" if len(notes) > 5 else ""),
        DataWarning,
        stacklevel=4,
    )
    return notes


def _apply_boundaries(
    frame: pd.DataFrame, boundaries: Boundaries, key: str
) -> tuple[pd.DataFrame, list[str]]:
    """Chain recoded areas and (``combined``) merge reorganised ones; say what was done."""
    code_map, name_map, applied = boundary_maps(frame, boundaries)
    return merge_areas(frame, code_map, name_map, key), applied


def boundary_maps(
    frame: pd.DataFrame, boundaries: Boundaries
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """What :func:`_apply_boundaries` does to the areas of ``frame``: each area code to
    merge and the code it goes into, the merged areas' names, and what is said of it (an
    empty map: every row stays as it is)."""
    applied: list[str] = []
    code_map: dict[str, str] = {}
    name_map: dict[str, str] = {}
    if boundaries == "as_published":
        return code_map, name_map, applied
    present = set(frame["la_code"])
    met = [
        (change, old, new)
        for change in BOUNDARY_CHANGES
        if (old := [c for c in change.old if c in present])
        and (new := [c for c in change.new if c in present])
    ]
    if not met:  # (most councils: their names are not looked up)
        return code_map, name_map, applied
    latest_name = (
        frame.sort_values("year").groupby("la_code", sort=False)["la_name"].last().to_dict()
    )
    for change, old, new in met:
        if change.kind == "recode":
            for c in old:
                code_map[c] = new[0]
            name_map[new[0]] = latest_name[new[0]]
            applied.append(f"chained {', '.join(old)} into {new[0]}: {change.note}")
        elif boundaries == "combined":
            code = "+".join(change.new)
            name = " + ".join(latest_name.get(c, c) for c in change.new)
            for c in (*change.old, *change.new):
                code_map[c] = code
            name_map[code] = name
            applied.append(
                f"combined {', '.join(change.old + change.new)} as {code}: {change.note}"
            )
        else:
            applied.append(
                f"series of {', '.join(old)} stop in {change.first_year - 1} and those of "
                f"{', '.join(new)} start in {change.first_year}: {change.note}"
            )
    return code_map, name_map, applied


def merge_areas(
    frame: pd.DataFrame, code_map: dict[str, str], name_map: dict[str, str], key: str
) -> pd.DataFrame:
    """``frame`` with the areas of ``code_map`` merged (:func:`boundary_maps`): the same
    frame where the map is empty; rows of one merged area, year and ``key`` summed."""
    if not code_map:
        return frame
    moved = frame["la_code"].isin(code_map).to_numpy()
    out = frame[moved].copy()
    out["la_code"] = out["la_code"].map(code_map)
    out["la_name"] = out["la_code"].map(name_map)
    keys = ["la_code", "la_name", "year", key] + (["tier"] if "tier" in out.columns else [])
    grouped = out.groupby(keys, sort=False, dropna=False, observed=True)["children"]
    sums = grouped.sum(min_count=1)
    # a sum over areas is missing if any part is (never a partial total)
    sums[grouped.count() < grouped.size()] = np.nan
    merged = pd.concat([frame[~moved], sums.reset_index()], ignore_index=True)
    merged.attrs = {}
    return merged
