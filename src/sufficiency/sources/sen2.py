"""The SEN2 person-level return, as COLLECT's "Blade" export: children, flows and moves.

A council files the SEN2 return every January (``../shared/SOURCES.md``): one record per
child or young person with an EHC plan or a request in the year. COLLECT's Blade export
writes it as nine CSV files, ``Blade-Export_<DD-MM-YYYY>_<module>.csv`` (modules
:data:`MODULES`), linked by table ids; a council may also keep the modules as the sheets of
one workbook. :func:`read_sen2` reads one return or several (a folder of returns) and gives:

* **children** at each census: one row per child with an EHC plan active at the census,
  with age at 31 August before the census (as the DfE counts), primary need
  (``sentyperank`` 1) and setting: the URN of the rank-1 placement open on the census date
  (``<URN>-RP`` in its resourced provision, ``<URN>-SU`` in its SEN unit, ``UKPRN:<n>``
  for a provider known by UKPRN only), or the ``sensetting`` code
  (:data:`SEN_SETTINGS`) for a child not in a school;
* the **caseload** (``year, need, age, setting, children``) those children add up to;
* **flows** by calendar year in the layout of the scenario's ``flows`` table: requests
  received, assessments (by outcome date), new plans (by age at 31 August before the start)
  and ceased plans (by age at 31 August before the cease date), each event counted once
  however many returns repeat it; ceased plans by reason beside them;
* **transitions** of every child between consecutive returns, matched on the person (UPN,
  else birth date, sex and postcode): stayed in the same setting, moved at a phase transfer
  (starting reception, Year 7, Year 12 or age 19), moved mid-phase, left (with the reason
  the plan ceased, where the return gives it) or joined; summarised by age as the
  continuation and stay rates the allocation's continuity uses.

Bad input is one :class:`~sufficiency.errors.DataError` naming file, row, column and value
(a module missing, a person twice, two rank-1 placements open on the census date, a
placement entered after it was left, an unknown ``sentype`` or ``sensetting``, a date that
is not one). Row numbers count the header as row 1, as a spreadsheet does.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.tables import not_a_workbook, refuse_hidden_rows, without_empty_rows_below
from ..errors import DataError, DataWarning, Problem

log = logging.getLogger(__name__)

__all__ = [
    "MODULES",
    "NEEDS",
    "SEN_SETTINGS",
    "TRANSFER_AGES",
    "Sen2",
    "read_sen2",
]

#: Share of a return's plans without a placement on the census date above which the
#: warning asks whether the export's placement module is complete.
UNPLACED_CHECK_SHARE = 0.05

#: The Blade export's modules (file suffixes, or sheet names of a workbook).
MODULES: tuple[str, ...] = (
    "sen2",
    "person",
    "requests",
    "assessment",
    "namedplan",
    "plandetail",
    "activeplans",
    "placementdetail",
    "senneed",
)
#: The modules the reader takes figures from besides ``activeplans`` (``sen2`` is the
#: return's one row; ``plandetail`` is not read).
_READ: tuple[str, ...] = tuple(m for m in MODULES if m not in ("sen2", "plandetail", "activeplans"))
#: Each module's own key, one row per key: (module, column, what the key names, what a
#: row is).
_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("person", "persontableid", "person", "child"),
    ("requests", "requeststableid", "request", "request"),
    ("assessment", "assessmenttableid", "assessment", "assessment"),
    ("namedplan", "namedplantableid", "named plan", "named plan"),
    ("activeplans", "activeplanstableid", "active plan", "active plan"),
)
#: Columns each module must have (the reader uses them); others are kept unread.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "sen2": ("referencedate", "lea"),
    "person": ("persontableid", "personbirthdate"),
    "requests": ("requeststableid", "persontableid", "receiveddate"),
    "assessment": ("assessmenttableid", "requeststableid"),
    "namedplan": ("namedplantableid", "assessmenttableid", "startdate"),
    "plandetail": (),
    "activeplans": ("activeplanstableid", "requeststableid"),
    "placementdetail": (
        "activeplanstableid",
        "urn",
        "sensetting",
        "placementrank",
        "entrydate",
        "leavingdate",
    ),
    "senneed": ("activeplanstableid", "sentype", "sentyperank"),
}
#: SEN2 primary need codes (``sentype``); DS (Down syndrome) from 2025.
NEEDS: tuple[str, ...] = (
    "SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS", "OTH",
)  # fmt: skip
#: SEN2 setting codes of placements with no URN, and what they stand for.
SEN_SETTINGS: dict[str, str] = {
    "OLA": "other arrangements made by the LA (incl. education otherwise than at school)",
    "OPA": "other arrangements made by parents or the young person (not EHE)",
    "EHE": "elective home education",
    "EYP": "early years provider with no URN",
    "OTH": "a type of setting named but no setting",
    "NEET": "not in education, employment or training (16-25)",
    "NIEC": "not in education or training, notice to cease issued",
    "NIEO": "not in education or training, other",
}
#: Ages (at 31 August) at which a child starts a phase and may change setting:
#: reception, Year 7, Year 12, age 19 (as :data:`sufficiency.model.stock.TRANSFER_AGES`).
TRANSFER_AGES: tuple[int, ...] = (4, 11, 16, 19)
#: Outcomes of a child between two consecutive returns.
OUTCOMES: tuple[str, ...] = ("stayed", "moved_transfer", "moved_midphase", "left", "joined")

_YES = ("1", "Y", "YES", "TRUE")
_FILE = re.compile(r"^Blade-Export_(\d{2}-\d{2}-\d{4})_([A-Za-z0-9]+)\.csv$", re.IGNORECASE)
#: A sheet Excel copied ("person (2)", "2025_person (3)"): group 1 the module's name.
_SHEET_COPY = re.compile(r"^(?:.*_)?([a-z0-9]+) \(\d+\)$")
#: Date layouts read: the export's own, ISO, and the UK layouts Excel writes when a council
#: opens an export and saves it (``18/01/2024 00:00``).
_DATE_FORMATS = (
    "%Y-%b-%d %H:%M:%S",
    "%Y-%b-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
)


@dataclass(frozen=True)
class Sen2:
    """One or more SEN2 returns, read and linked.

    Attributes:
        la: The LA's 3-digit number (``lea`` of the returns).
        returns: ``year, census, source``: one row per return, oldest first.
        children: One row per child with a plan active at a census: ``year, child, age,
            need, setting, urn, sensetting, person_row`` (``child`` the key matching a
            child between returns; ``setting`` the URN, ``UKPRN:<n>`` or the SEN2 code).
        caseload: ``year, need, age, setting, children``.
        flows: The scenario's ``flows`` table: ``year, measure, age, age_band, children``.
        ceased: ``year, reason, age, children``: ceased plans by cease reason.
        transitions: ``year, child, age, setting, next_setting, outcome, reason``: one row
            per child in one return and the next (``year`` the first of the two; ``age``
            and ``setting`` blank for a child who joined).
        continuity: By age at the first census: ``age, children, continued, stayed,
            moved_transfer, moved_midphase, left, continuation, stay_rate`` (continuation:
            share whose plan is active at the next census; stay rate: share of those in
            the same setting).
    """

    la: str
    returns: pd.DataFrame
    children: pd.DataFrame
    caseload: pd.DataFrame
    flows: pd.DataFrame
    ceased: pd.DataFrame
    transitions: pd.DataFrame
    continuity: pd.DataFrame

    @property
    def base_year(self) -> int:
        """The census year of the latest return."""
        return int(self.returns["year"].max())


# --- reading files -------------------------------------------------------------------------


def _csv(path: Path) -> pd.DataFrame:
    """One module file as text cells (UTF-8 with or without BOM, else Windows-1252)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the SEN2 module: {exc}") from None
    raise DataError(f"{path}: cannot read the SEN2 module: not UTF-8 or Windows-1252 text")


#: Columns read beside the required ones where a module has them.
_OPTIONAL = frozenset(
    ("upn", "sex", "gendercurrent", "postcode", "ukprn", "ceasedate", "ceasereason",
     "assessmentoutcomedate", "senunitindicator", "resourcedprovisionindicator")
)  # fmt: skip


def _tidy(frame: pd.DataFrame, module: str) -> tuple[pd.DataFrame, list[str]]:
    """The module's columns the reader uses, as trimmed text (blank, never ``nan``), and
    every column name found (lower case). Rows after the last with anything in them are
    left out: a module saved from Excel keeps the empty rows once formatted below its data
    (``,,,,``), which hold nothing (a blank row among the data is still read, and refused
    by what it lacks, at its own row number)."""
    names = [str(c).strip().lower() for c in frame.columns]
    frame = without_empty_rows_below(frame)
    used = set(_REQUIRED[module]) | _OPTIONAL
    out = {}
    for name, column in zip(names, frame.columns, strict=True):
        if name in used and name not in out:
            text = frame[column].astype(str).str.strip()
            out[name] = text.mask(text.isin(("nan", "None")), "")
    return pd.DataFrame(out, index=frame.index), names


def _find_returns(path: Path) -> list[tuple[str, dict[str, tuple[pd.DataFrame, str]]]]:
    """Every return under ``path``: (label, {module: (frame, where)})."""
    if not path.exists():
        raise DataError(f"SEN2 return not found: {path}")
    if path.is_file():
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise DataError(
                f"{path}: not a SEN2 return: give the folder of Blade-Export_*.csv files "
                "or a workbook (.xlsx) with one sheet per module"
            )
        return [(str(path), _workbook(path))]
    groups: dict[tuple[Path, str], dict[str, tuple[pd.DataFrame, str]]] = {}
    books: list[Path] = []
    for f in sorted(path.rglob("*")):
        if not f.is_file():
            continue
        m = _FILE.match(f.name)
        if m:
            module = m.group(2).lower()
            if module in MODULES:
                mods = groups.setdefault((f.parent, m.group(1)), {})
                if module in mods:  # e.g. ..._person.csv and ..._Person.csv
                    raise DataError(
                        f"{f}: the {module} module of this return is given twice (also "
                        f"{mods[module][1]}): keep one file"
                    )
                mods[module] = (_csv(f), str(f))
        elif f.name.lower().startswith("blade-export") and f.suffix.lower() == ".csv":
            raise DataError(
                f"{f}: a Blade export whose name is not Blade-Export_<DD-MM-YYYY>_<module>.csv "
                "(a second download, such as 'person (1).csv', or a copy?): remove it, or "
                "rename it if it is the file to read"
            )
        elif f.suffix.lower() in (".xlsx", ".xlsm") and not f.name.startswith("~$"):
            books.append(f)
    found = [
        (str(folder / f"Blade-Export_{date}_<module>.csv"), mods)
        for (folder, date), mods in groups.items()
    ]
    found += [(str(b), _workbook(b)) for b in books]
    if not found:
        raise DataError(
            f"{path}: no SEN2 return found (files named Blade-Export_<DD-MM-YYYY>_<module>.csv, "
            "or a workbook with one sheet per module)"
        )
    return found


def _workbook(path: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    if wrong := not_a_workbook(path):
        raise DataError(f"{path}: {wrong}")
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # every reader failure becomes one clear message
        raise DataError(f"{path}: cannot read the workbook: {exc}") from None
    out: dict[str, tuple[pd.DataFrame, str]] = {}
    for name, frame in sheets.items():
        key = str(name).strip().lower()
        module = next((m for m in MODULES if key == m or key.endswith("_" + m)), None)
        if module is None and (copy := _SHEET_COPY.match(key)) and copy.group(1) in MODULES:
            raise DataError(
                f"{path}, sheet {name!r}: a copy of the {copy.group(1)} sheet (Excel names "
                "a copied sheet '<name> (2)'): delete it, or rename it if it is the sheet "
                "to read"
            )
        if module is not None:
            if module in out:
                raise DataError(
                    f"{path}, sheet {name!r}: the {module} module is given twice (also "
                    f"{out[module][1].rsplit(', ', 1)[-1]}): keep one sheet"
                )
            refuse_hidden_rows(path, str(name), len(frame), f"{path}, sheet {name!r}")
            out[module] = (frame, f"{path}, sheet {name!r}")
    return out


# --- parsing cells -------------------------------------------------------------------------


#: A date written with its month first (01/18/2024), as a US-set computer saves it.
_MONTH_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{4}")


def _dates(
    frame: pd.DataFrame, column: str, where: str, problems: list[Problem], *, blank_ok: bool
) -> pd.Series:
    """Dates as the export writes them (``2024-Jan-18 00:00:00``), ISO, or as Excel saves
    them (``18/01/2024``, ``18/01/2024 00:00``)."""
    text = frame[column]
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    todo = text != ""
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        got = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[got.index[got.notna()]] = got[got.notna()]
        todo &= out.isna()
    for i in np.flatnonzero(todo.to_numpy())[:20]:
        us = _MONTH_FIRST.match(text.iloc[i])
        problems.append(
            Problem(
                f"{where}, row {i + 2}, column {column!r}",
                f"{text.iloc[i]!r} is not a date (e.g. 2024-Jan-18 00:00:00, 2024-01-18 or "
                "18/01/2024)"
                + (
                    ": written month first, as a computer set to US dates saves it? Every "
                    "date of the file is then in doubt (03/04 read as 3 April): export it "
                    "again, or save it with UK or ISO dates"
                    if us and int(us.group(2)) > 12 >= int(us.group(1))
                    else ""
                ),
            )
        )
    if not blank_ok:
        for i in np.flatnonzero((text == "").to_numpy())[:20]:
            problems.append(Problem(f"{where}, row {i + 2}, column {column!r}", "blank date"))
    return out


def _ids(values: pd.Series) -> pd.Series:
    """Table ids, URNs and UKPRNs as text (``123.0`` from a workbook becomes ``123``)."""
    return values.str.replace(r"\.0+$", "", regex=True)


def _age_at_august(birth: pd.Series, when: pd.Series) -> np.ndarray:
    """Age at 31 August before (or on) ``when``: the DfE's age for a January census."""
    before = (when.dt.month < 8) | ((when.dt.month == 8) & (when.dt.day < 31))
    year = when.dt.year - before.astype(int)
    age = year - birth.dt.year - (birth.dt.month > 8).astype(int)
    return age.to_numpy()


# --- one return -------------------------------------------------------------------------


@dataclass
class _Return:
    label: str
    year: int
    census: pd.Timestamp
    la: str
    children: pd.DataFrame
    events: pd.DataFrame  # kind, child, date, age, reason


def _rows(mask: pd.Series | np.ndarray) -> list[int]:
    return [int(i) + 2 for i in np.flatnonzero(np.asarray(mask))]


def _at(where: str, rows: list[int], column: str = "") -> str:
    """``file, rows 4, 5, column 'c'`` (the first ten rows)."""
    text = f"{where}, row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:10]))}"
    return f"{text}, column {column!r}" if column else text


def _read_one(label: str, mods: dict[str, tuple[pd.DataFrame, str]]) -> _Return:
    missing = [m for m in MODULES if m not in mods]
    if missing:
        raise DataError(
            f"SEN2 return {label}: module{'s' if len(missing) > 1 else ''} missing: "
            + ", ".join(missing),
            [
                Problem(label, f"no {m} module (file Blade-Export_<date>_{m}.csv or sheet {m!r})")
                for m in missing
            ],
        )
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    where: dict[str, str] = {}
    for m in MODULES:
        frame, loc = mods[m]
        frame, found = _tidy(frame, m)
        lacking = [c for c in _REQUIRED[m] if c not in frame.columns]
        for c in lacking:
            problems.append(Problem(loc, f"column {c!r} missing (found: {', '.join(found)})"))
        frames[m] = frame
        where[m] = loc
    if problems:
        raise DataError(f"SEN2 return {label}: columns missing", problems)
    # a module cut short to its header: its children, placements, plans or events would go
    # without a word (a return with active plans has rows in each module read here; one
    # without, a census in which no child held a plan, is still a census)
    empty = [m for m in _READ if frames[m].empty] if len(frames["activeplans"]) else []
    if empty:
        raise DataError(
            f"SEN2 return {label}: module{'s' if len(empty) > 1 else ''} with no rows, only "
            "a header (an export cut short?)",
            [Problem(where[m], f"no rows in the {m} module") for m in empty],
        )

    # the return itself: census date and LA
    sen2 = frames["sen2"]
    if len(sen2) != 1:
        raise DataError(
            f"{where['sen2']}: expected one row (the return), found {len(sen2)}",
            [Problem(where["sen2"], "one row per return")],
        )
    census = _dates(sen2, "referencedate", where["sen2"], problems, blank_ok=False)
    la = _ids(sen2["lea"]).iloc[0]
    if problems:
        raise DataError(f"SEN2 return {label}: bad census date", problems)
    census_day = pd.Timestamp(census.iloc[0])
    year = int(census_day.year)

    # persons
    person = frames["person"]
    pid = _ids(person["persontableid"])
    # each module's own key once: a row given twice (an edited copy beside the original)
    # would count its child, request, assessment or plan twice
    for module, column, noun, row in _KEYS:
        ids = _ids(frames[module][column])
        again = ids.duplicated(keep=False) & (ids != "")
        if again.any():
            problems.append(
                Problem(
                    _at(where[module], _rows(again), column),
                    f"{noun} {ids[again].iloc[0]!r} appears more than once (one row per {row})",
                )
            )
    upn = person["upn"] if "upn" in person.columns else pd.Series("", index=person.index)
    dup_upn = upn.duplicated(keep=False) & (upn != "")
    if dup_upn.any():
        problems.append(
            Problem(
                _at(where["person"], _rows(dup_upn), "upn"),
                f"UPN {upn[dup_upn].iloc[0]!r} appears on more than one person",
            )
        )
    birth = _dates(person, "personbirthdate", where["person"], problems, blank_ok=False)
    sex_col = next((c for c in ("sex", "gendercurrent") if c in person.columns), None)
    sex = person[sex_col] if sex_col else pd.Series("", index=person.index)
    post = (
        person["postcode"].str.replace(" ", "").str.upper()
        if "postcode" in person.columns
        else pd.Series("", index=person.index)
    )
    key = np.where(
        upn != "",
        "upn:" + upn.str.upper(),
        "dob:" + birth.dt.strftime("%Y-%m-%d").fillna("") + "|" + sex + "|" + post,
    )
    persons = pd.DataFrame(
        {"persontableid": pid, "child": key, "birth": birth, "person_row": np.arange(len(pid)) + 2}
    )

    # links: request -> person; active plan -> request; assessment -> request; plan -> assessment
    req = frames["requests"]
    req_person = dict(zip(_ids(req["requeststableid"]), _ids(req["persontableid"]), strict=False))
    received = _dates(req, "receiveddate", where["requests"], problems, blank_ok=True)
    ass = frames["assessment"]
    ass_req = dict(zip(_ids(ass["assessmenttableid"]), _ids(ass["requeststableid"]), strict=False))
    ass_date = (
        _dates(ass, "assessmentoutcomedate", where["assessment"], problems, blank_ok=True)
        if "assessmentoutcomedate" in ass.columns
        else pd.Series(pd.NaT, index=ass.index, dtype="datetime64[ns]")
    )
    plan = frames["namedplan"]
    start = _dates(plan, "startdate", where["namedplan"], problems, blank_ok=True)
    cease = (
        _dates(plan, "ceasedate", where["namedplan"], problems, blank_ok=True)
        if "ceasedate" in plan.columns
        else pd.Series(pd.NaT, index=plan.index, dtype="datetime64[ns]")
    )
    reason = (
        plan["ceasereason"] if "ceasereason" in plan.columns else pd.Series("", index=plan.index)
    )

    active = frames["activeplans"]
    ap_id = _ids(active["activeplanstableid"])
    ap_person = _ids(active["requeststableid"]).map(req_person)
    orphan = ap_person.isna()
    if orphan.any():
        problems.append(
            Problem(
                _at(where["activeplans"], _rows(orphan), "requeststableid"),
                f"request {active['requeststableid'][orphan].iloc[0]!r} is not in requests",
            )
        )
    # an active plan's child must be in the person module (a module cut short, or a
    # header alone, would drop its children from the caseload without a word)
    unknown_person = ~orphan & ~ap_person.isin(set(pid))
    if unknown_person.any():
        problems.append(
            Problem(
                _at(where["activeplans"], _rows(unknown_person), "requeststableid"),
                f"person {ap_person[unknown_person].iloc[0]!r} (of request "
                f"{active['requeststableid'][unknown_person].iloc[0]!r}) is not in the person "
                f"module ({where['person']}: {len(pid)} row{'s' if len(pid) != 1 else ''})",
            )
        )
    two = ap_person.duplicated(keep=False) & ~orphan
    if two.any():
        problems.append(
            Problem(
                f"{where['activeplans']}, rows {', '.join(map(str, _rows(two)[:10]))}",
                f"person {ap_person[two].iloc[0]!r} has more than one active plan",
            )
        )

    # needs: rank 1 of each active plan
    need = frames["senneed"]
    code = need["sentype"].str.upper()
    bad = ~code.isin(NEEDS)
    for i in np.flatnonzero(bad.to_numpy())[:20]:
        problems.append(
            Problem(
                f"{where['senneed']}, row {i + 2}, column 'sentype'",
                f"unknown need {need['sentype'].iloc[i]!r} (expected one of {', '.join(NEEDS)})",
            )
        )
    primary = need[_ids(need["sentyperank"]) == "1"]
    prim_ap = _ids(primary["activeplanstableid"])
    twice = prim_ap.duplicated(keep=False)
    if twice.any():
        problems.append(
            Problem(
                _at(where["senneed"], [int(i) + 2 for i in primary.index[twice]], "sentyperank"),
                f"active plan {prim_ap[twice].iloc[0]!r} has more than one primary need (rank 1)",
            )
        )
    need_of = dict(zip(prim_ap, code[primary.index], strict=False))

    # placements: rank 1 open on the census date
    pl = frames["placementdetail"]
    entry = _dates(pl, "entrydate", where["placementdetail"], problems, blank_ok=True)
    leave = _dates(pl, "leavingdate", where["placementdetail"], problems, blank_ok=True)
    backwards = (entry > leave).fillna(False)
    for i in np.flatnonzero(backwards.to_numpy())[:20]:
        problems.append(
            Problem(
                f"{where['placementdetail']}, row {i + 2}, column 'entrydate'",
                f"entered {pl['entrydate'].iloc[i]!r} after leaving {pl['leavingdate'].iloc[i]!r}",
            )
        )
    setting_code = pl["sensetting"].str.upper()
    urn = _ids(pl["urn"])
    ukprn = _ids(pl["ukprn"]) if "ukprn" in pl.columns else pd.Series("", index=pl.index)
    unknown = (setting_code != "") & ~setting_code.isin(list(SEN_SETTINGS))
    for i in np.flatnonzero(unknown.to_numpy())[:20]:
        problems.append(
            Problem(
                f"{where['placementdetail']}, row {i + 2}, column 'sensetting'",
                f"unknown SEN setting {pl['sensetting'].iloc[i]!r} "
                f"(expected one of {', '.join(SEN_SETTINGS)})",
            )
        )
    nothing = (urn == "") & (ukprn == "") & (setting_code == "")
    for i in np.flatnonzero(nothing.to_numpy())[:20]:
        problems.append(
            Problem(
                f"{where['placementdetail']}, row {i + 2}",
                "no urn, ukprn or sensetting: the placement names no setting",
            )
        )
    rank1 = _ids(pl["placementrank"]) == "1"
    is_open = (
        rank1 & (entry.isna() | (entry <= census_day)) & (leave.isna() | (leave >= census_day))
    )
    open_ap = _ids(pl["activeplanstableid"])[is_open]
    clash = open_ap.duplicated(keep=False)
    if clash.any():
        problems.append(
            Problem(
                _at(
                    where["placementdetail"],
                    [int(i) + 2 for i in open_ap.index[clash]],
                    "placementrank",
                ),
                f"active plan {open_ap[clash].iloc[0]!r} has two rank-1 placements open on the "
                f"census date {census_day:%Y-%m-%d}",
            )
        )
    unit = pd.Series("", index=pl.index)
    for column, suffix in (("senunitindicator", "-SU"), ("resourcedprovisionindicator", "-RP")):
        if column in pl.columns:
            unit = unit.where(~pl[column].str.upper().isin(_YES), suffix)
    place = np.where(urn != "", urn + unit, np.where(ukprn != "", "UKPRN:" + ukprn, setting_code))
    place_of = dict(zip(open_ap, place[is_open.to_numpy()], strict=False))
    urn_of = dict(zip(open_ap, urn[is_open], strict=False))
    if problems:
        raise DataError(f"SEN2 return {label}: {len(problems)} problem(s)", problems)

    kids = pd.DataFrame({"activeplanstableid": ap_id, "persontableid": ap_person})
    kids = kids.merge(persons, on="persontableid", how="left")
    kids["need"] = kids["activeplanstableid"].map(need_of).fillna("")
    no_need = kids["need"] == ""
    if no_need.any():
        rows = [int(i) + 2 for i in np.flatnonzero(no_need.to_numpy())]
        raise DataError(
            f"SEN2 return {label}: active plans with no primary need",
            [
                Problem(
                    f"{where['activeplans']}, rows {', '.join(map(str, rows[:10]))}",
                    "no senneed row of rank 1",
                )
            ],
        )
    kids["setting"] = kids["activeplanstableid"].map(place_of).fillna("")
    kids["urn"] = kids["activeplanstableid"].map(urn_of).fillna("")
    unplaced = kids["setting"] == ""
    if unplaced.any():
        listed = ", ".join(str(int(i) + 2) for i in np.flatnonzero(unplaced.to_numpy())[:10])
        share = float(unplaced.mean())
        check = (
            f"; that is {share:.0%} of the return's plans: check that the export's placement "
            "module is complete (the DfE publishes such plans as 'Placement not recorded')"
            if share > UNPLACED_CHECK_SHARE
            else ""
        )
        warnings.warn(
            f"{where['activeplans']}: {int(unplaced.sum())} active plan(s) with no rank-1 "
            f"placement open on the census date {census_day:%Y-%m-%d} (rows {listed}): counted "
            f"as not in education (NIEO), not dropped{check}",
            DataWarning,
            stacklevel=3,
        )
        kids.loc[unplaced, "setting"] = "NIEO"
    kids["sensetting"] = np.where(kids["setting"].isin(list(SEN_SETTINGS)), kids["setting"], "")
    census_s = pd.Series(census_day, index=kids.index)
    kids["age"] = _age_at_august(kids["birth"], census_s)
    bad_age = (kids["age"] < 0) | (kids["age"] > 25)
    if bad_age.any():
        raise DataError(
            f"SEN2 return {label}: children aged outside 0-25 at 31 August before the census",
            [
                Problem(
                    f"{where['person']}, row {r}, column 'personbirthdate'",
                    f"age {a} at 31 August {year - 1}",
                )
                for r, a in zip(kids["person_row"][bad_age], kids["age"][bad_age], strict=True)
            ][:20],
        )
    kids["year"] = year
    children = kids[["year", "child", "age", "need", "setting", "urn", "sensetting", "person_row"]]

    # events: requests, assessments, new and ceased plans (linked to the child)
    child_of_person = dict(zip(persons["persontableid"], persons["child"], strict=False))
    birth_of_person = dict(zip(persons["persontableid"], persons["birth"], strict=False))
    req_child = _ids(req["persontableid"]).map(child_of_person)
    ev = [
        pd.DataFrame({"kind": "requests", "child": req_child, "date": received,
                      "person": _ids(req["persontableid"]), "reason": ""}),
    ]  # fmt: skip
    ass_person = _ids(ass["requeststableid"]).map(req_person)
    ev.append(pd.DataFrame({"kind": "assessments", "child": ass_person.map(child_of_person),
                            "date": ass_date, "person": ass_person, "reason": ""}))  # fmt: skip
    plan_person = _ids(plan["assessmenttableid"]).map(ass_req).map(req_person)
    ev.append(pd.DataFrame({"kind": "new_plans", "child": plan_person.map(child_of_person),
                            "date": start, "person": plan_person, "reason": ""}))  # fmt: skip
    ev.append(pd.DataFrame({"kind": "ceased_plans", "child": plan_person.map(child_of_person),
                            "date": cease, "person": plan_person, "reason": reason}))  # fmt: skip
    events = pd.concat(ev, ignore_index=True)
    events = events[events["date"].notna() & events["child"].notna()].copy()
    births = pd.to_datetime(events["person"].map(birth_of_person))
    events["age"] = _age_at_august(births, events["date"])
    events = events.drop(columns="person").reset_index(drop=True)
    return _Return(label, year, census_day, la, children.reset_index(drop=True), events)


# --- several returns ------------------------------------------------------------------------


def _flows(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The flows table and ceased plans by reason, from events counted once each."""
    ev = events.drop_duplicates(["kind", "child", "date"]).copy()
    ev["year"] = ev["date"].dt.year.astype(int)
    order = {m: k for k, m in enumerate(("requests", "assessments", "new_plans", "ceased_plans"))}
    totals = ev.groupby(["year", "kind"]).size().rename("children").reset_index()
    rows = [
        totals.assign(age=np.nan, age_band="").rename(columns={"kind": "measure"}),
    ]
    aged = ev[ev["kind"].isin(["new_plans", "ceased_plans"]) & ev["age"].between(0, 25)]
    by_age = aged.groupby(["year", "kind", "age"]).size().rename("children").reset_index()
    rows.append(by_age.assign(age_band="").rename(columns={"kind": "measure"}))
    flows = pd.concat(rows, ignore_index=True)[["year", "measure", "age", "age_band", "children"]]
    flows["age"] = flows["age"].astype("Int64")
    flows["children"] = flows["children"].astype(float)
    flows = flows.sort_values(
        ["year", "measure", "age"],
        key=lambda c: c.map(order) if c.name == "measure" else c,
        na_position="first",
        kind="stable",
    ).reset_index(drop=True)
    ceased = ev[ev["kind"] == "ceased_plans"]
    by_reason = (
        ceased.assign(reason=ceased["reason"].replace("", "unknown"))
        .groupby(["year", "reason", "age"])
        .size()
        .rename("children")
        .reset_index()
    )
    return flows, by_reason


def _transitions(
    children: pd.DataFrame, events: pd.DataFrame, census: dict[int, pd.Timestamp]
) -> pd.DataFrame:
    """Each child between consecutive returns (see the module docstring); the reason a
    child left is that of the plan ceased between the two census dates. Every return is a
    census, one in which no child held a plan included (its children next year joined)."""
    years = sorted(census)
    ceased = events[events["kind"] == "ceased_plans"].sort_values("date")
    parts = []
    for y in years:
        if y + 1 not in years:
            continue
        now = children[children["year"] == y][["child", "age", "setting"]]
        nxt = children[children["year"] == y + 1][["child", "age", "setting"]]
        both = now.merge(nxt, on="child", how="outer", suffixes=("", "_next"), indicator=True)
        out = pd.DataFrame(
            {
                "year": y,
                "child": both["child"],
                "age": both["age"].astype("Int64"),
                "setting": both["setting"].fillna(""),
                "next_setting": both["setting_next"].fillna(""),
            }
        )
        kept = (both["_merge"] == "both").to_numpy()
        same = kept & (out["setting"] == out["next_setting"]).to_numpy()
        transfer = np.isin(both["age_next"].fillna(-1).astype(int), TRANSFER_AGES)
        outcome = np.select(
            [both["_merge"] == "right_only", both["_merge"] == "left_only", same, transfer],
            ["joined", "left", "stayed", "moved_transfer"],
            default="moved_midphase",
        )
        out["outcome"] = outcome
        start, end = census[y], census.get(y + 1, pd.Timestamp.max)
        why = ceased[(ceased["date"] > start) & (ceased["date"] <= end)]
        why = why.drop_duplicates("child", keep="last")
        reasons = dict(zip(why["child"], why["reason"], strict=False))
        out["reason"] = np.where(
            outcome == "left",
            [reasons.get(k, "") for k in out["child"]],
            "",
        )
        out.loc[(out["outcome"] == "left") & (out["reason"] == ""), "reason"] = "unknown"
        parts.append(out)
    cols = ["year", "child", "age", "setting", "next_setting", "outcome", "reason"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def _continuity(transitions: pd.DataFrame) -> pd.DataFrame:
    """Continuation and stay rates by age at the first census."""
    t = transitions[transitions["outcome"] != "joined"]
    cols = ["stayed", "moved_transfer", "moved_midphase", "left"]
    if t.empty:
        return pd.DataFrame(
            columns=["age", "children", "continued", *cols, "continuation", "stay_rate"]
        )
    counts = pd.crosstab(t["age"].astype(int), t["outcome"]).reindex(columns=cols, fill_value=0)
    counts.index.name = "age"
    out = counts.reset_index()
    out.columns.name = None
    out.insert(1, "children", out[cols].sum(axis=1))
    out.insert(2, "continued", out["children"] - out["left"])
    out["continuation"] = out["continued"] / out["children"]
    out["stay_rate"] = np.where(
        out["continued"] > 0, out["stayed"] / out["continued"].clip(lower=1), np.nan
    )
    return out


def read_sen2(path: str | Path) -> Sen2:
    """Read one SEN2 return or several (see the module docstring).

    Args:
        path: A folder of Blade-Export CSV files (one return, or sub-folders or dated sets
            of files for several), or a workbook with one sheet per module.

    Returns:
        The returns, read and linked: children, caseload, flows, transitions.

    Raises:
        DataError: A module or column missing, or a located problem in a module.
    """
    found = _find_returns(Path(path))
    returns = [_read_one(label, mods) for label, mods in found]
    returns.sort(key=lambda r: r.census)
    las = sorted({r.la for r in returns})
    if len(las) > 1:
        raise DataError(
            f"{path}: returns of more than one LA ({', '.join(las)})",
            [Problem(r.label, f"lea {r.la}") for r in returns],
        )
    years = [r.year for r in returns]
    twice = sorted({y for y in years if years.count(y) > 1})
    if twice:
        raise DataError(
            f"{path}: more than one return for January {', '.join(map(str, twice))}",
            [Problem(r.label, f"census {r.census:%Y-%m-%d}") for r in returns if r.year in twice],
        )
    children = pd.concat([r.children for r in returns], ignore_index=True)
    every = pd.concat([r.events for r in returns], ignore_index=True)
    # each return covers the calendar year before its census: later events are partial
    events = every[every["date"].dt.year.isin([y - 1 for y in years])]
    caseload = (
        children.groupby(["year", "need", "age", "setting"]).size().rename("children").reset_index()
    )
    caseload["children"] = caseload["children"].astype(float)
    flows, ceased = _flows(events)
    transitions = _transitions(children, every, {r.year: r.census for r in returns})
    meta = pd.DataFrame(
        {"year": years, "census": [r.census for r in returns], "source": [r.label for r in returns]}
    )
    log.info(
        "read %d SEN2 return(s) of LA %s: %s", len(returns), las[0], ", ".join(map(str, years))
    )
    return Sen2(
        la=las[0],
        returns=meta,
        children=children,
        caseload=caseload,
        flows=flows,
        ceased=ceased,
        transitions=transitions,
        continuity=_continuity(transitions),
    )
