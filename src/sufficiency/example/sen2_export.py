"""Fictional SEN2 returns and register extracts: a simulated council written in the DfE's layouts.

:func:`simulate_council` draws a council's children from a seed — requests, assessments,
plans that start and cease (with a reason), and each child's setting at every January
census (schools by URN, in and out of the council's area, or an SEN2 setting code), with
moves at phase transfers and mid-phase. It returns the *truth*: what a reader of the files
should recover. :func:`write_blade` writes the returns as COLLECT's Blade export (nine
CSV files per census, ``Blade-Export_<DD-MM-YYYY>_<module>.csv``) and
:func:`write_register` the schools as an extract of the DfE's all-establishments CSV
(Windows-1252). The bundled borough, the tests and the reader benchmark use them; nothing
here is real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ASHWORTH_LA",
    "Council",
    "census_date",
    "simulate_council",
    "write_blade",
    "write_own_files",
    "write_register",
]

#: Ashworth's (fictional) 3-digit LA number in its SEN2 returns and register extract.
ASHWORTH_LA = "990"
#: Children simulated for Ashworth's returns: about 3,300 plans at January 2025, as the
#: borough holds.
ASHWORTH_CHILDREN = 5_900

_NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SLD", "PD", "SPLD", "HI", "PMLD", "OTH", "VI", "MSI", "DS")
_NEED_P = np.array([31, 22, 16, 9, 5, 4, 4, 2, 2, 2, 1, 0.5, 1.5])
#: Ages (at 31 August) at which a child starts a phase.
TRANSFER_AGES = (4, 11, 16, 19)
#: Kinds of school the simulated council's children attend: (GIAS type, low, high age).
SCHOOL_KINDS: dict[str, tuple[str, int, int]] = {
    "primary": ("Community school", 4, 11),
    "secondary": ("Academy converter", 11, 16),
    "special": ("Community special school", 2, 19),
    "academy_special": ("Academy special converter", 4, 19),
    "independent": ("Other independent special school", 5, 19),
    "fe": ("Further education", 16, 99),
}


@dataclass(frozen=True)
class Council:
    """A simulated council: its schools, its children and what its returns should give.

    Attributes:
        la: The council's 3-digit LA number.
        years: Census years of the returns, oldest first.
        schools: ``urn, name, kind, la, type, low, high, rp_capacity, unit_capacity,
            capacity, status`` (``la`` the school's LA; ``low``/``high`` statutory ages).
        people: One row per child: ``child, upn, birth, sex, postcode, need, request,
            assessment, start, cease, reason`` (dates; NaT where none).
        states: The truth at each census: ``year, child, age, need, setting`` for every
            child with a plan active at that census.
        placements: ``child, setting, entry, leave`` (episodes in one setting).
    """

    la: str
    years: tuple[int, ...]
    schools: pd.DataFrame
    people: pd.DataFrame
    states: pd.DataFrame
    placements: pd.DataFrame


def census_date(year: int) -> pd.Timestamp:
    """The January census day of ``year`` (the third Thursday, as the DfE sets it)."""
    first = pd.Timestamp(year=year, month=1, day=1)
    return first + pd.Timedelta(days=(3 - first.weekday()) % 7 + 14)


def _age(birth: pd.Timestamp, when: pd.Timestamp) -> int:
    """Age at the 31 August on or before ``when``."""
    aug = when.year if (when.month, when.day) >= (8, 31) else when.year - 1
    return aug - birth.year - (1 if birth.month > 8 else 0)


def _schools(rng: np.random.Generator, la: str, n_schools: int) -> pd.DataFrame:
    kinds = ["primary"] * 6 + ["secondary"] * 3 + ["special", "academy_special", "fe"]
    rows = []
    urn = 100_000 + int(rng.integers(0, 800_000))
    for k in range(n_schools):
        kind = kinds[k % len(kinds)] if k < len(kinds) else str(rng.choice(kinds))
        out = rng.random() < 0.2 or k in (len(kinds) + 1,)
        if k == len(kinds):
            kind, out = "independent", True
        gias_type, low, high = SCHOOL_KINDS[kind]
        urn += int(rng.integers(1, 50))
        rows.append(
            {
                "urn": str(urn),
                "name": f"{kind.replace('_', ' ').title()} School {k + 1}",
                "kind": kind,
                "la": str(int(la) + 1) if out else la,
                "type": gias_type,
                "low": low,
                "high": high,
                "rp_capacity": 12 if kind == "secondary" and k % 2 == 0 else 0,
                "unit_capacity": 0,
                "capacity": {"special": 150, "academy_special": 90, "independent": 40}.get(
                    kind, 400
                ),
                "status": "Open",
            }
        )
    return pd.DataFrame(rows)


def simulate_council(
    seed: int,
    n_children: int = 300,
    years: tuple[int, ...] = (2023, 2024, 2025),
    la: str = "900",
    n_schools: int = 16,
    upn_share: float = 0.85,
) -> Council:
    """Draw a fictional council's children and schools (see the module docstring).

    Args:
        seed: Seed of the one random generator everything is drawn from.
        n_children: Children with a request (about 80% get a plan).
        years: Census years of the returns (consecutive), oldest first.
        la: The council's 3-digit LA number (out-of-area schools get another).
        n_schools: Schools in the register extract (at least 14).
        upn_share: Share of children with a UPN (the others are matched on birth date,
            sex and postcode).

    Returns:
        The council and its truth.
    """
    rng = np.random.default_rng(seed)
    schools = _schools(rng, la, max(n_schools, 14))
    lo = schools["low"].to_numpy()
    hi = schools["high"].to_numpy() - 1
    # requests from twelve years before the first return, 8% more each year: the stock at
    # the returns is mature (most plans run for years) and grows as councils' do
    early = years[0] - 12
    req_years = np.arange(early, years[-1])
    req_p = 1.08 ** (req_years - early)
    req_p /= req_p.sum()
    census = {y: census_date(y) for y in range(early, years[-1] + 2)}
    people: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    episodes: list[dict[str, Any]] = []
    for c in range(n_children):
        child = f"C{c:06d}"
        need = str(rng.choice(_NEEDS, p=_NEED_P / _NEED_P.sum()))
        sex = str(rng.choice(["M", "F"]))
        upn = f"A{900000000000 + c * 7919 % 10**11:012d}" if rng.random() < upn_share else ""
        postcode = f"ZZ{c % 97} {c % 9}{chr(65 + c % 26)}{chr(65 + (c // 26) % 26)}"
        # the request
        req_year = int(rng.choice(req_years, p=req_p))
        request = pd.Timestamp(year=req_year, month=1, day=1) + pd.Timedelta(
            days=int(rng.integers(0, 365))
        )
        a0 = int(rng.choice(np.arange(0, 22), p=_start_ages()))
        bm, bd = int(rng.integers(1, 13)), int(rng.integers(1, 29))
        aug = request.year if (request.month, request.day) >= (8, 31) else request.year - 1
        birth = pd.Timestamp(year=aug - a0 - (1 if bm > 8 else 0), month=bm, day=bd)
        assessment: Any = pd.NaT
        start: Any = pd.NaT
        cease: Any = pd.NaT
        reason = ""
        if rng.random() < 0.85:
            assessment = request + pd.Timedelta(days=int(rng.integers(60, 110)))
            if rng.random() < 0.9:
                start = assessment + pd.Timedelta(days=int(rng.integers(5, 40)))
        active = [
            y
            for y in range(early, years[-1] + 1)
            if pd.notna(start) and start <= census[y] and _age(birth, census[y]) <= 25
        ]
        aged_out = bool(active) and active[-1] < years[-1]  # 25 at its last census
        if active and (aged_out or rng.random() < 0.3):
            last = active[-1] if aged_out else active[int(rng.integers(0, len(active)))]
            if last < years[-1]:
                active = [y for y in active if y <= last]
                span = (census[last + 1] - census[last]).days
                cease = census[last] + pd.Timedelta(days=int(rng.integers(1, span)))
                reason = (
                    "1" if aged_out and last == active[-1] and _age(birth, census[last]) == 25
                    else str(rng.choice(list("23456789")))
                )  # fmt: skip
        people.append(
            {"child": child, "upn": upn, "birth": birth, "sex": sex, "postcode": postcode,
             "need": need, "request": request, "assessment": assessment, "start": start,
             "cease": cease, "reason": reason}
        )  # fmt: skip
        setting = ""
        entry = start
        for y in active:
            age = _age(birth, census[y])
            fits = np.flatnonzero((lo <= age) & (hi >= age))
            if setting and setting.isdigit():
                k = int(np.flatnonzero(schools["urn"].to_numpy() == setting)[0])
                still = lo[k] <= age <= hi[k]
            else:
                still = bool(setting) and not (setting == "EYP" and age >= 5)
            move = not still or (age in TRANSFER_AGES and rng.random() < 0.6) or rng.random() < 0.05
            new = setting
            if move or not setting:
                if age < 2 or len(fits) == 0 or rng.random() < 0.06:
                    codes = (
                        ["EYP"]
                        if age < 4
                        else (["NEET", "OLA"] if age >= 16 else ["EHE", "OLA", "OPA"])
                    )
                    new = str(rng.choice(codes))
                else:
                    new = str(schools["urn"].iloc[int(rng.choice(fits))])
            if new != setting:
                if setting:
                    if age in TRANSFER_AGES:
                        entry = pd.Timestamp(
                            year=census[y].year - 1, month=9, day=int(rng.integers(1, 8))
                        )
                    else:
                        gap = (census[y] - census[y - 1]).days
                        entry = census[y - 1] + pd.Timedelta(days=int(rng.integers(1, gap)))
                    episodes[-1]["leave"] = entry - pd.Timedelta(days=1)
                episodes.append({"child": child, "setting": new, "entry": entry, "leave": pd.NaT})
                setting = new
            if y in years:
                states.append(
                    {"year": y, "child": child, "age": age, "need": need, "setting": setting}
                )
        if episodes and episodes[-1]["child"] == child and pd.notna(cease):
            episodes[-1]["leave"] = cease
    return Council(
        la=la,
        years=tuple(years),
        schools=schools,
        people=pd.DataFrame(people),
        states=pd.DataFrame(states, columns=["year", "child", "age", "need", "setting"]),
        placements=pd.DataFrame(episodes, columns=["child", "setting", "entry", "leave"]),
    )


def _start_ages() -> np.ndarray:
    w = np.array([2, 3, 5, 8, 9, 8, 7, 6, 5, 5, 4, 5, 4, 3, 3, 3, 2, 1.5, 1, 0.7, 0.4, 0.3])
    return w / w.sum()


def _d(v: pd.Timestamp) -> str:
    """A date as the Blade export writes it (``2024-Jan-18 00:00:00``)."""
    return "" if pd.isna(v) else v.strftime("%Y-%b-%d 00:00:00")


def _modules(council: Council, year: int) -> dict[str, pd.DataFrame]:
    """The nine modules of one return."""
    day = census_date(year)
    p = council.people
    prev = year - 1
    in_year = lambda s: s.dt.year == prev  # noqa: E731
    active = p["start"].notna() & (p["start"] <= day) & (p["cease"].isna() | (p["cease"] > day))
    keep = (
        active
        | in_year(p["request"])
        | in_year(p["assessment"]).fillna(False)
        | in_year(p["start"]).fillna(False)
        | in_year(p["cease"]).fillna(False)
    ) & (p["request"] <= day)
    p = p[keep].reset_index(drop=True)
    base = year * 1_000_000
    pid = [str(base + i) for i in range(len(p))]
    person = pd.DataFrame(
        {
            "persontableid": pid,
            "sen2tableid": "1",
            "personbirthdate": [_d(b) for b in p["birth"]],
            "sex": p["sex"],
            "postcode": p["postcode"],
            "upn": p["upn"],
            "uniquelearnernumber": "",
        }
    )
    rid = [str(base + 100_000 + i) for i in range(len(p))]
    requests = pd.DataFrame(
        {"requeststableid": rid, "persontableid": pid,
         "receiveddate": [_d(r) for r in p["request"]], "requestsource": "1", "rya": "0",
         "requestoutcomedate": "", "requestoutcome": "", "requestmediation": "0",
         "requesttribunal": "0"}
    )  # fmt: skip
    has_ass = p["assessment"].notna() & (p["assessment"] <= day)
    aid = {i: str(base + 200_000 + i) for i in np.flatnonzero(has_ass.to_numpy())}
    assessment = pd.DataFrame(
        {
            "assessmenttableid": list(aid.values()),
            "requeststableid": [rid[i] for i in aid],
            "assessmentoutcome": ["1" if pd.notna(p["start"].iloc[i]) else "2" for i in aid],
            "assessmentoutcomedate": [_d(p["assessment"].iloc[i]) for i in aid],
            "week20": "1",
        },
        columns=["assessmenttableid", "requeststableid", "assessmentoutcome",
                 "assessmentoutcomedate", "week20"],
    )  # fmt: skip
    has_plan = [i for i in aid if pd.notna(p["start"].iloc[i]) and p["start"].iloc[i] <= day]
    nid = {i: str(base + 300_000 + i) for i in has_plan}
    cease = [p["cease"].iloc[i] for i in has_plan]
    namedplan = pd.DataFrame(
        {
            "namedplantableid": list(nid.values()),
            "assessmenttableid": [aid[i] for i in has_plan],
            "startdate": [_d(p["start"].iloc[i]) for i in has_plan],
            "ceasedate": [_d(c) if pd.notna(c) and c <= day else "" for c in cease],
            "ceasereason": [
                p["reason"].iloc[i] if pd.notna(c) and c <= day else ""
                for i, c in zip(has_plan, cease, strict=True)
            ],
            "planres": "0", "planwbp": "0", "pb": "0", "oa": "0", "dp": "0",
        },
        columns=["namedplantableid", "assessmenttableid", "startdate", "ceasedate",
                 "ceasereason", "planres", "planwbp", "pb", "oa", "dp"],
    )  # fmt: skip
    plandetail = pd.DataFrame(
        {"namedplantableid": list(nid.values()), "urn": "", "ukprn": "", "sensetting": "",
         "sensettingother": "", "placementrank": "1", "senunitindicator": "0",
         "resourcedprovisionindicator": "0"},
        columns=["namedplantableid", "urn", "ukprn", "sensetting", "sensettingother",
                 "placementrank", "senunitindicator", "resourcedprovisionindicator"],
    )  # fmt: skip
    act = [i for i in range(len(p)) if bool(active[keep].iloc[i])]
    apid = {i: str(base + 400_000 + i) for i in act}
    activeplans = pd.DataFrame(
        {"activeplanstableid": list(apid.values()), "requeststableid": [rid[i] for i in act],
         "transferla": "", "reviewmeeting": "", "reviewoutcome": "", "lastreview": ""},
        columns=["activeplanstableid", "requeststableid", "transferla", "reviewmeeting",
                 "reviewoutcome", "lastreview"],
    )  # fmt: skip
    ap_of_child = {p["child"].iloc[i]: apid[i] for i in act}
    pl = council.placements
    pl = pl[pl["child"].isin(list(ap_of_child))]
    pl = pl[
        (pl["entry"] <= day) & (pl["leave"].isna() | (pl["leave"] >= day - pd.Timedelta(days=365)))
    ]
    is_urn = pl["setting"].str.isdigit()
    placementdetail = pd.DataFrame(
        {
            "activeplanstableid": pl["child"].map(ap_of_child).to_numpy(),
            "urn": np.where(is_urn, pl["setting"], ""),
            "ukprn": "",
            "sensetting": np.where(is_urn, "", pl["setting"]),
            "placementrank": "1",
            "entrydate": [_d(v) for v in pl["entry"]],
            "leavingdate": [_d(v) if pd.notna(v) and v <= day else "" for v in pl["leave"]],
            "attendancepattern": "1",
            "senunitindicator": "0",
            "resourcedprovisionindicator": "0",
            "res": "0",
            "wbp": "0",
        }
    )
    need_of = dict(zip(p["child"], p["need"], strict=True))
    senneed = pd.DataFrame(
        {"activeplanstableid": list(apid.values()),
         "sentype": [need_of[p["child"].iloc[i]] for i in act], "sentyperank": "1"},
        columns=["activeplanstableid", "sentype", "sentyperank"],
    )  # fmt: skip
    sen2 = pd.DataFrame(
        {"sen2tableid": ["1"], "year": [str(year)], "referencedate": [_d(day)],
         "lea": [council.la], "release": ["1"]}
    )  # fmt: skip
    out = {
        "sen2": sen2, "person": person, "requests": requests, "assessment": assessment,
        "namedplan": namedplan, "plandetail": plandetail, "activeplans": activeplans,
        "placementdetail": placementdetail, "senneed": senneed,
    }  # fmt: skip
    for name, frame in out.items():
        frame.insert(0, "NativeId", range(1, len(frame) + 1))
        frame["sourceid"] = "1"
        frame[f"{name}orderseqcolumn"] = range(1, len(frame) + 1)
    return out


def write_blade(council: Council, folder: str | Path, *, workbook: bool = False) -> Path:
    """Write every return as the Blade export: ``folder/<year>/Blade-Export_<date>_<module>.csv``.

    Args:
        council: The simulated council.
        folder: Folder to write into (created).
        workbook: Write each return as one workbook (``<year>.xlsx``, a sheet per module).

    Returns:
        ``folder``.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for year in council.years:
        mods = _modules(council, year)
        stamp = census_date(year).strftime("%d-%m-%Y")
        if workbook:
            with pd.ExcelWriter(root / f"{year}.xlsx") as xl:
                for name, frame in mods.items():
                    frame.to_excel(xl, sheet_name=name, index=False)
            continue
        sub = root / str(year)
        sub.mkdir(exist_ok=True)
        for name, frame in mods.items():
            frame.to_csv(sub / f"Blade-Export_{stamp}_{name}.csv", index=False)
    return root


#: Columns of the register extract, as the DfE's all-establishments CSV names them.
REGISTER_COLUMNS: tuple[str, ...] = (
    "URN", "LA (code)", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)", "EstablishmentStatus (name)", "PhaseOfEducation (name)",
    "StatutoryLowAge", "StatutoryHighAge", "SchoolCapacity", "NumberOfPupils",
    "TypeOfResourcedProvision (name)", "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity", "SenUnitOnRoll", "SenUnitCapacity", "SEN1 (name)",
    "Postcode", "OpenDate", "CloseDate",
)  # fmt: skip


def write_register(council: Council, path: str | Path) -> Path:
    """Write the council's schools as an all-establishments extract (Windows-1252)."""
    s = council.schools
    phase = {"primary": "Primary", "secondary": "Secondary", "fe": "16 plus"}
    frame = pd.DataFrame(
        {
            "URN": s["urn"],
            "LA (code)": s["la"],
            "LA (name)": np.where(s["la"] == council.la, "Ashworth", "Neighbouring Borough"),
            "EstablishmentName": s["name"],
            "TypeOfEstablishment (name)": s["type"],
            "EstablishmentTypeGroup (name)": "",
            "EstablishmentStatus (name)": s["status"],
            "PhaseOfEducation (name)": s["kind"].map(phase).fillna("Not applicable"),
            "StatutoryLowAge": s["low"],
            "StatutoryHighAge": s["high"],
            "SchoolCapacity": s["capacity"],
            "NumberOfPupils": "",
            "TypeOfResourcedProvision (name)": np.where(
                s["rp_capacity"] > 0, "Resourced provision", "Not applicable"
            ),
            "ResourcedProvisionOnRoll": "",
            "ResourcedProvisionCapacity": np.where(s["rp_capacity"] > 0, s["rp_capacity"], ""),
            "SenUnitOnRoll": "",
            "SenUnitCapacity": "",
            "SEN1 (name)": "",
            "Postcode": "",
            "OpenDate": "",
            "CloseDate": "",
        },
        columns=list(REGISTER_COLUMNS),
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False, encoding="cp1252")
    return out


def write_own_files(folder: str | Path, seed: int) -> tuple[Path, Path]:
    """Write Ashworth's own files: three SEN2 returns (``sen2/<year>/``, January 2023-2025)
    and a register extract (``gias.csv``), simulated from ``seed`` (fictional).

    They are a simulation of a council of Ashworth's size (about 3,300 plans in January 2025,
    60 schools in and around the borough), drawn child by child: not derived from the
    borough's own tables (``data/*.csv``), which are aggregate.

    Returns:
        The SEN2 folder and the register file.
    """
    root = Path(folder)
    council = simulate_council(
        seed=seed, n_children=ASHWORTH_CHILDREN, years=(2023, 2024, 2025), la=ASHWORTH_LA,
        n_schools=60,
    )  # fmt: skip
    return write_blade(council, root / "sen2"), write_register(council, root / "gias.csv")
