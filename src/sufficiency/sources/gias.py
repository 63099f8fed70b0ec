"""The register of establishments ("Get information about schools"): settings keyed by URN.

:func:`read_gias` reads the DfE's all-establishments CSV (``edubasealldata<YYYYMMDD>.csv``,
Windows-1252 as published, or an extract of it with the same columns) and gives one
settings row per school a council's children attend or could attend: every open
establishment of the council's LA whose type is a school, college or provider
(:data:`sufficiency.taxonomy.GIAS_TYPES`), and every establishment its children attend,
wherever it is. A row's

* ``setting`` is the URN; a school's resourced provision and SEN unit are settings of their
  own beside it (``<URN>-RP``, ``<URN>-SU``; tier ``enhanced_resource``), from
  ``ResourcedProvisionCapacity`` and ``SenUnitCapacity``;
* ``tier`` and ``establishment_type`` (hence DSG category and SCAP type) come from
  ``TypeOfEstablishment (name)``; ``in_area`` from ``LA (code)`` against the council's;
* ``age_min``/``age_max`` are ages at 31 August: ``StatutoryLowAge`` to
  ``StatutoryHighAge - 1`` (a 4-11 primary school takes ages 4-10), capped at 25; FE
  colleges and post-16 institutions take no one under 16;
* ``places`` come from the council's place numbers (:func:`read_places`) where given, else
  from the capacity of a specialist setting (special, independent special, AP, resourced
  provision, SEN unit); mainstream schools and colleges have no limit (blank);
* ``needs`` are the place numbers' where given, else the ``SEN1``-``SEN13`` needs of a
  specialist setting, else ``ALL``. Lists that never name DS (Down syndrome, a code from
  2025; the register's ``SEN`` names predate it) meet DS wherever they name a learning
  difficulty (:func:`sufficiency.taxonomy.with_down_syndrome`).

The same URN twice is an error naming both rows; a closed establishment the council's
children attend is kept with a :class:`~sufficiency.errors.DataWarning` naming it.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import DataError, DataWarning, Problem
from .parsing import council_columns, english_amounts, read_council_csv, row_of

log = logging.getLogger(__name__)

__all__ = ["REQUIRED_COLUMNS", "read_gias", "read_places"]

#: Columns the reader needs (as the DfE names them).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "URN",
    "LA (code)",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
)
_SPECIALIST = ("special_school", "independent", "partnership", "enhanced_resource")
_POST16 = ("general_fe_tertiary_colleges", "specialist_post_16_institutions")
_UNIT_TYPE = {
    "mainstream_la_maintained": "la_maintained",
    "mainstream_academy": "academy",
    "mainstream_free_school": "free_school",
}
_OPEN = ("open", "open, but proposed to close")


def _int(
    frame: pd.DataFrame, column: str, path: Path, problems: list[Problem], rows: np.ndarray
) -> pd.Series:
    """Whole numbers of ``column`` (blank: NaN); text in a row of ``rows`` is a problem."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    text = frame[column].str.replace(r"\.0+$", "", regex=True)
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & (text != "") & rows
    for i in np.flatnonzero(bad.to_numpy())[:20]:
        problems.append(
            Problem(f"{path}, row {i + 2}, column {column!r}", f"{text.iloc[i]!r} is not a number")
        )
    return num


def _needs_of(frame: pd.DataFrame) -> pd.Series:
    """Needs listed in ``SEN1 (name)``... (``ASD - Autistic Spectrum Disorder``) as codes."""
    cols = [c for c in frame.columns if c.startswith("SEN") and c.endswith("(name)")]
    lists = []
    for values in frame[cols].itertuples(index=False) if cols else [()] * len(frame):
        codes: list[str] = []
        for v in values:
            code = taxonomy.lookup("need", str(v).split(" - ")[0]) if v else None
            if code and code not in codes:
                codes.append(code)
        lists.append(codes)
    out = [";".join(codes) for codes in taxonomy.with_down_syndrome(lists)]
    return pd.Series(out, index=frame.index, dtype=object)


#: The columns of a council's place numbers (:func:`read_places`).
PLACES_COLUMNS = ("urn", "setting", "places", "needs", "year", "academic_year")


def read_places(path: str | Path) -> pd.DataFrame:
    """The council's place numbers: ``urn`` (or ``setting``: a URN, ``<URN>-RP`` or
    ``<URN>-SU``), ``places``, optional ``needs`` (``ALL`` or codes separated by ``;``),
    optional year: ``year`` (the January the places hold at, as every table here counts
    years) or ``academic_year`` (``2025/26``: January 2026), one row per school and year
    (planned changes; :func:`split_places`).

    Returns:
        ``setting, places, needs, year`` (``needs`` blank where not given; ``year`` the
        January, NaN without a year column). The index is the file's row less 2.

    Raises:
        DataError: A column missing, a column that looks meant for one of these but is
            not it (:func:`~.parsing.council_columns`: ``Places 2026/27``), a place number
            that is not a whole number >= 0, an
            unknown need, a year that is not one, a school twice (for one year), or a
            school's needs that differ between its years.
    """
    p = Path(path)
    raw = council_columns(read_council_csv(p, "place numbers"), p, "place numbers", PLACES_COLUMNS)
    key = "urn" if "urn" in raw.columns else "setting" if "setting" in raw.columns else None
    if key is None or "places" not in raw.columns:
        raise DataError(
            f"{p}: place numbers need columns 'urn' (or 'setting') and 'places'",
            [Problem(str(p), f"found: {', '.join(raw.columns)}")],
        )
    problems: list[Problem] = []
    setting = raw[key].str.replace(r"\.0+$", "", regex=True)
    places = pd.to_numeric(english_amounts(raw["places"]), errors="coerce")  # 1,200
    for i in np.flatnonzero((places.isna() | (places < 0) | (places % 1 != 0)).to_numpy()):
        problems.append(
            Problem(
                f"{p}, row {i + 2}, column 'places'",
                f"{raw['places'].iloc[i]!r} is not a whole number of places >= 0",
            )
        )
    year = _place_years(raw, p, problems)
    blank = (setting.str.strip() == "").to_numpy()
    for i in np.flatnonzero(blank)[:20]:
        problems.append(
            Problem(
                f"{p}, row {i + 2}, column {key!r}",
                f"no {key} (a total or notes row? one row per school, nothing else)",
            )
        )
    keyed = pd.DataFrame({"setting": setting, "year": year.fillna(-1)})
    dup = keyed.duplicated(keep=False).to_numpy() & ~blank
    for i in np.flatnonzero(dup):
        when = "" if np.isnan(year.iloc[i]) else f" for January {int(year.iloc[i])}"
        problems.append(
            Problem(f"{p}, row {i + 2}, column {key!r}", f"{setting.iloc[i]} twice{when}")
        )
    needs = raw["needs"] if "needs" in raw.columns else pd.Series("", index=raw.index)
    lists: list[list[str]] = []
    for k, text in enumerate(needs):
        if text.strip().upper() in ("", "ALL"):
            lists.append([text.strip().upper()])
            continue
        codes, unknown = taxonomy.need_list(text)
        for part in unknown:
            problems.append(
                Problem(
                    f"{p}, row {k + 2}, column 'needs'",
                    f"unknown need {part!r}; accepted: ALL or {', '.join(taxonomy.NEEDS)}",
                )
            )
        lists.append(codes)
    # place numbers naming no DS predate the code: learning-difficulty places meet DS
    tidy = pd.Series([";".join(codes) for codes in taxonomy.with_down_syndrome(lists)])
    given = pd.DataFrame({"setting": setting, "needs": tidy.to_numpy()})[tidy.to_numpy() != ""]
    for sid, group in given.groupby("setting", sort=False):
        if group["needs"].nunique() > 1:
            rows = ", ".join(str(int(i) + 2) for i in group.index[:5])
            problems.append(
                Problem(f"{p}, rows {rows}, column 'needs'", f"{sid}: needs differ between years")
            )
    if problems:
        raise DataError(f"{p}: {len(problems)} problem(s) in the place numbers", problems)
    out = pd.DataFrame(
        {"setting": setting, "places": places.astype(int), "needs": tidy.to_numpy(), "year": year}
    )
    out.attrs["path"] = str(p)  # rows are the file's (row = index + 2), for later messages
    return out


_ACADEMIC_YEAR = re.compile(r"^(\d{4})\s*[/\-–]\s*(\d{2}|\d{4})$")


def _place_years(raw: pd.DataFrame, p: Path, problems: list[Problem]) -> pd.Series:
    """The January each row's places hold at (NaN throughout without a year column)."""
    columns = [c for c in ("year", "academic_year") if c in raw.columns]
    if len(columns) > 1:
        problems.append(Problem(str(p), "both 'year' and 'academic_year': give one"))
    if not columns:
        return pd.Series(np.nan, index=raw.index, dtype=float)
    column = columns[0]
    out = []
    for i, text in enumerate(raw[column].str.strip()):
        found = _ACADEMIC_YEAR.match(text)
        if column == "year" and text.isdigit() and len(text) == 4:
            out.append(float(text))
            continue
        if column == "academic_year" and found:
            first, second = int(found.group(1)), int(found.group(2))
            if second % 100 == (first + 1) % 100 and (second < 100 or second == first + 1):
                out.append(float(first + 1))
                continue
        out.append(np.nan)
        advice = (
            "a January, e.g. 2026 (academic years go in a column 'academic_year')"
            if column == "year"
            else "an academic year, e.g. 2025/26"
        )
        problems.append(
            Problem(f"{p}, row {i + 2}, column {column!r}", f"{text!r} is not {advice}")
        )
    return pd.Series(out, index=raw.index, dtype=float)


def split_places(places: pd.DataFrame, base_year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place numbers by year (:func:`read_places`) as the base year's and later changes.

    Returns:
        The places at the base year (per school, its latest row at or before it; every
        row where the file gives no years), and the rows after it: ``setting, year,
        places`` (the scenario's dated changes, ``data.setting_places``). A school's needs
        given only on later rows are kept with its base-year row where it has one.
    """
    if places["year"].isna().all():
        return places, places.iloc[0:0][["setting", "year", "places"]]
    later = places[places["year"] > base_year]
    upto = places[places["year"] <= base_year].sort_values("year", kind="stable")
    base = upto.groupby("setting", sort=False).tail(1).copy()
    needs = places[places["needs"] != ""].groupby("setting")["needs"].first().to_dict()
    base["needs"] = [needs.get(sid, "") for sid in base["setting"]]
    base.attrs["path"] = places.attrs.get("path")
    changes = later[["setting", "year", "places"]].astype({"year": int})
    changes.attrs["path"] = places.attrs.get("path")
    return base, changes


def refuse_unknown_places(places: pd.DataFrame, known: Iterable[str]) -> None:
    """Refuse place numbers (:func:`read_places`, or a part of them) for settings not
    among ``known``, naming each by its file's row (by its entry for a frame built in
    code, which has no file).

    Raises:
        DataError: If any setting is not known.
    """
    unknown = ~places["setting"].isin(set(known))
    if not unknown.any():
        return
    source = places.attrs.get("path")
    where = (
        [f"{source}, row {row_of(i)}" for i in places.index]
        if source
        else [f"place numbers, entry {n + 1}" for n in range(len(places))]
    )
    raise DataError(
        f"{source or 'place numbers'}: place numbers for settings not in the register "
        "(or not kept from it: open, of the council's LA, or attended by its children)",
        [
            Problem(w, f"setting {sid}")
            for w, sid, bad in zip(where, places["setting"], unknown, strict=True)
            if bad
        ][:20],
    )


def units_by_host(register: pd.DataFrame) -> dict[str, list[str]]:
    """Each school's resourced provision and SEN unit among the ``register``'s settings
    (``<URN>-RP``, ``<URN>-SU``), by the school's URN."""
    units: dict[str, list[str]] = {}
    for sid in register.loc[register["tier"] == "enhanced_resource", "setting"].astype(str):
        host, _, suffix = sid.rpartition("-")
        if suffix in ("RP", "SU"):
            units.setdefault(host, []).append(sid)
    return units


def refuse_places_of_a_host(
    places: pd.DataFrame, register: pd.DataFrame, also_named: Iterable[str] = ()
) -> None:
    """Refuse place numbers given on the URN of a mainstream school whose resourced
    provision or SEN unit is a setting of its own (``<URN>-RP``, ``<URN>-SU``) while none
    are given for the unit: a council's list of specialist places names the school, but the
    URN is the mainstream school, whose places for children with plans are not limited. Read
    as given, they would cap the school and push its children out in the first plan year.

    ``also_named``: settings given places elsewhere (the base year's rows, for the later
    years' changes).

    Raises:
        DataError: Naming each such row, its unit and how to give the unit's places.
    """
    units = units_by_host(register)
    tiers = register.set_index("setting")["tier"]
    named = set(places["setting"]) | set(also_named)
    source = places.attrs.get("path")
    problems = []
    for n, (i, sid) in enumerate(zip(places.index, places["setting"], strict=True)):
        own = units.get(str(sid), [])
        if not own or tiers.get(sid) == "enhanced_resource" or named & set(own):
            continue
        where = f"{source}, row {row_of(i)}" if source else f"place numbers, entry {n + 1}"
        problems.append(
            Problem(
                where,
                f"{sid} is a mainstream school with {' and '.join(own)} (its resourced "
                "provision or SEN unit, a setting of its own): give that provision's places "
                f"as {own[0]}; a row for {sid} itself limits the mainstream school's places "
                "for children with plans, and is read so only beside a row for its unit",
            )
        )
    if problems:
        raise DataError(
            f"{source or 'place numbers'}: place numbers on a school's URN where its "
            "resourced provision or SEN unit is meant?",
            problems[:20],
        )


def _refuse_one_las_extract(p: Path, la_code: pd.Series, urn: pd.Series, wanted: set[str]) -> None:
    """Refuse a register that holds one LA's establishments only when the council's
    children attend schools not in it: an extract of the council's own schools (a filter
    on the download), which leaves out every out-of-area school. Read as given, each of
    those children would be kept at an unknown school, priced as a mainstream place: the
    independent and out-of-area special places, the costliest, would vanish from the
    costs (a quarter of the bundled borough's ten-year cost).

    Raises:
        DataError: Naming the LA, the URNs missing and the file to give instead.
    """
    las = sorted(set(la_code[la_code != ""]))
    missing = sorted(wanted - set(urn))
    if len(las) != 1 or not missing:
        return
    listed = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
    raise DataError(
        f"{p}: the register holds the establishments of one LA only ({las[0]}), and "
        f"{len(missing)} URN(s) where the council's children are placed are not in it "
        f"({listed}): it looks like an extract of the council's own schools, without the "
        "out-of-area ones. Give the register of all establishments (Get Information about "
        "Schools, 'all establishment data': edubasealldata<date>.csv)"
    )


def read_gias(
    path: str | Path,
    la: str,
    *,
    attended: Iterable[str] = (),
    places: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Settings from the register of establishments (see the module docstring).

    Args:
        path: The all-establishments CSV (or an extract with its columns).
        la: The council's 3-digit LA number (``LA (code)``).
        attended: Setting ids the council's children attend (URNs, ``<URN>-RP``,
            ``<URN>-SU``): kept whatever their LA, type or status.
        places: Place numbers (:func:`read_places`), or ``None``.

    Returns:
        ``setting, urn, ukprn, name, tier, in_area, places, places_from, needs, age_min,
        age_max, establishment_type, la, status``: one row per setting.

    Raises:
        DataError: No rows (:func:`~.parsing.read_council_csv`), a column missing, the
            same URN twice, or statutory ages that are not numbers (or missing for a
            school kept).
    """
    p = Path(path)
    raw = read_council_csv(p, "register of establishments")
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{p}: not the register of establishments: columns missing",
            [Problem(str(p), f"column {c!r} missing") for c in missing],
        )
    urn = raw["URN"].str.replace(r"\.0+$", "", regex=True)
    dup = urn.duplicated(keep=False) & (urn != "")
    if dup.any():
        rows = [int(i) + 2 for i in np.flatnonzero(dup.to_numpy())]
        raise DataError(
            f"{p}: the same URN on more than one row",
            [
                Problem(f"{p}, row {r}, column 'URN'", f"URN {urn.iloc[r - 2]} repeated")
                for r in rows[:20]
            ],
        )
    wanted = {str(a).split("-")[0] for a in attended}
    la_code = raw["LA (code)"].str.replace(r"\.0+$", "", regex=True)
    _refuse_one_las_extract(p, la_code, urn, wanted)
    status = raw["EstablishmentStatus (name)"]
    etype = raw["TypeOfEstablishment (name)"].map(taxonomy.GIAS_TYPES)
    is_open = status.str.lower().isin(_OPEN)
    keep = urn.isin(wanted) | ((la_code == str(la)) & is_open & etype.notna())
    problems: list[Problem] = []
    low = _int(raw, "StatutoryLowAge", p, problems, keep.to_numpy())
    high = _int(raw, "StatutoryHighAge", p, problems, keep.to_numpy())
    cap = _int(raw, "SchoolCapacity", p, problems, keep.to_numpy())
    rp = _int(raw, "ResourcedProvisionCapacity", p, problems, keep.to_numpy())
    su = _int(raw, "SenUnitCapacity", p, problems, keep.to_numpy())
    etype = etype.fillna("other_schools")
    post16 = etype.isin(_POST16)
    low = low.where(~post16, np.maximum(low.fillna(16), 16))
    high = high.where(~post16 | high.notna(), 26)
    for i in np.flatnonzero((keep & (low.isna() | high.isna())).to_numpy())[:20]:
        problems.append(
            Problem(
                f"{p}, row {i + 2}, columns 'StatutoryLowAge', 'StatutoryHighAge'",
                f"URN {urn.iloc[i]} ({raw['EstablishmentName'].iloc[i]}): statutory ages missing",
            )
        )
    if problems:
        raise DataError(f"{p}: {len(problems)} problem(s) in the register", problems)
    closed = keep & urn.isin(wanted) & ~is_open
    if closed.any():
        named = [
            f"URN {u} ({n}, row {int(i) + 2}: {s})"
            for i, u, n, s in zip(
                np.flatnonzero(closed.to_numpy()),
                urn[closed],
                raw["EstablishmentName"][closed],
                status[closed],
                strict=True,
            )
        ]
        warnings.warn(
            f"{p}: {len(named)} establishment(s) the council's children attend are not open "
            f"(kept as settings): {'; '.join(named[:10])}",
            DataWarning,
            stacklevel=2,
        )
    k = keep.to_numpy()
    tier = etype.map(taxonomy.ESTABLISHMENT_TIER)
    base = pd.DataFrame(
        {
            "setting": urn,
            "urn": urn,
            "ukprn": raw["UKPRN"].str.replace(r"\.0+$", "", regex=True)
            if "UKPRN" in raw.columns
            else "",
            "name": raw["EstablishmentName"],
            "tier": tier,
            "in_area": np.where(la_code == str(la), "yes", "no"),
            "capacity": cap.where(tier.isin(_SPECIALIST)),
            "needs": _needs_of(raw).where(tier.isin(_SPECIALIST), "ALL"),
            "age_min": low.clip(0, 25),
            "age_max": (high - 1).clip(0, 25),
            "establishment_type": etype,
            "la": la_code,
            "status": status,
        }
    )[k]
    units = []
    for suffix, capacity, unit in (("RP", rp, "resourced_provision"), ("SU", su, "senunit")):
        has = keep & (capacity.fillna(0) > 0) | urn.isin(
            [a.split("-")[0] for a in map(str, attended) if a.endswith("-" + suffix)]
        )
        part = base[has[k].to_numpy()].copy()
        if part.empty:
            continue
        kind = part["establishment_type"].map(_UNIT_TYPE).fillna("la_maintained")
        part["setting"] = part["urn"] + "-" + suffix
        part["name"] = part["name"] + (
            " (resourced provision)" if suffix == "RP" else " (SEN unit)"
        )
        part["tier"] = "enhanced_resource"
        part["capacity"] = capacity[k][has[k].to_numpy()].to_numpy()
        part["needs"] = _needs_of(raw)[k][has[k].to_numpy()].to_numpy()
        part["establishment_type"] = "mainstream_" + kind + "_" + unit
        units.append(part)
    out = pd.concat([base, *units], ignore_index=True)
    out["needs"] = out["needs"].replace("", "ALL")
    out["places"] = out["capacity"]
    out["places_from"] = np.where(out["capacity"].notna(), "capacity", "")
    if places is not None and len(places):
        given = places.set_index("setting")
        refuse_unknown_places(places, out["setting"])
        refuse_places_of_a_host(places, out)
        hit = out["setting"].isin(given.index)
        out.loc[hit, "places"] = out.loc[hit, "setting"].map(given["places"]).astype(float)
        out.loc[hit, "places_from"] = "place numbers"
        need = out.loc[hit, "setting"].map(given["needs"])
        out.loc[hit & (need != "").reindex(out.index, fill_value=False), "needs"] = need[need != ""]
    out["age_min"] = out["age_min"].astype(int)
    out["age_max"] = out["age_max"].astype(int)
    log.info("register %s: %d settings for LA %s", p, len(out), la)
    out = out.drop(columns="capacity").sort_values("setting", kind="stable").reset_index(drop=True)
    # the council's name as the register gives it (the starter's name and population area)
    if "LA (name)" in raw.columns:
        la_names = raw.loc[(la_code == str(la)).to_numpy(), "LA (name)"]
        la_names = la_names[la_names != ""]
        out.attrs["la_name"] = str(la_names.iloc[0]) if len(la_names) else ""
    return out
