"""A starter scenario from a council's own files: SEN2 returns, the register, places and costs.

:func:`write_council_starter` (``sufficiency init --sen2 PATH --gias FILE OUT``) reads the
council's SEN2 returns (:mod:`.sen2`) and the register of establishments (:mod:`.gias`) and
writes a scenario folder that runs as written, with no national shape where the council's
data speaks:

* **caseload** (``data/caseload.csv``): every return's children by need, single year of age
  and setting, exactly. The base year is the latest return, and its children per school
  equal the return's. Settings are keyed by URN (``<URN>-RP``/``<URN>-SU`` for a school's
  resourced provision or SEN unit); a child not in a school is in the caseload's own code
  (``OLA`` -> ``OTHER_ARRANGEMENTS``, ``EHE``, ``NEET``; ``NIEC``/``NIEO`` ->
  ``NOT_PLACED``) or, for the SEN2 codes that are a setting without a URN (``EYP``, ``OPA``,
  ``OTH``), in a settings row of that code. A URN the register does not hold is placed in
  the setting ``UNKNOWN_SCHOOL`` with a warning naming and counting them; nobody is dropped.
* **Down syndrome** (``DS``, a need from the 2025 return) is a need of its own. In a return
  filed before 2025, a child a later return records with DS is counted DS
  (:func:`down_syndrome_before_the_code`); with ``--dfe``, the published OTH (which counts
  DS) is split by the first return's DS share. Both are listed as assumptions.
* **settings** (``data/settings.csv``): the register's schools (:func:`.gias.read_gias`).
  Out of area are schools of another LA, so today's out-of-area children are the return's.
  A specialist setting's places are the council's place numbers (``--places``), else its
  capacity in area, and its base-year children out of area; never fewer than its base-year
  children. Prices are the council's (``--costs``) where given, else national figures
  (:data:`.starter.CATEGORIES`), listed as an assumption.
* **flows** (``data/flows.csv``): requests, assessments, new plans by age at start and ceased
  plans by age, by calendar year, exactly as the returns give them.
* **continuity** (``data/continuity.csv``): each age's measured continuation (plan still
  held at the next census) and stay rate (same setting), from children matched between
  consecutive returns; the allocation's continuity uses them instead of its defaults.
* **costs** (``data/council_costs.csv`` and ``reference`` in the scenario): the council's
  own base-year High Needs Block total from ``--costs``, which the run reports beside the
  modelled base-year cost.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import taxonomy
from ..data.checks import PER_PLACE_FLOOR_GBP, SPECIALIST_TIERS
from ..errors import DataError, DataWarning, Problem
from .assumed import FLAT_POPULATION, INFLATION, yaml_block
from .dfe_release import read_dfe_release
from .gias import (
    read_gias,
    read_places,
    refuse_places_of_a_host,
    refuse_unknown_places,
    split_places,
    units_by_host,
)
from .parsing import council_columns, english_amounts, read_council_csv
from .sen2 import Sen2, read_sen2
from .starter import (
    CATEGORIES,
    HORIZON,
    build_costs,
    build_flows,
    build_history,
    name_slug,
    starter_folder,
    starter_population,
    write_files,
)

log = logging.getLogger(__name__)

__all__ = ["UNKNOWN_SCHOOL", "CouncilStarter", "build_council_starter", "write_council_starter"]

#: Setting of placements whose URN the register does not hold.
UNKNOWN_SCHOOL = "UNKNOWN_SCHOOL"
#: Setting of the published history's children before the first return (``--dfe``).
PUBLISHED_HISTORY = "PUBLISHED_HISTORY"
#: SEN2 setting codes of children not in a school -> the caseload's codes.
_NOT_IN_SCHOOL = {
    "OLA": "OTHER_ARRANGEMENTS",
    "EHE": "EHE",
    "NEET": "NEET",
    "NIEC": "NOT_PLACED",
    "NIEO": "NOT_PLACED",
}
#: SEN2 setting codes that are a setting with no URN: a settings row each.
_CODE_SETTINGS: dict[str, tuple[str, str, int, int, str]] = {
    "EYP": ("Early years providers with no URN (SEN2 EYP)", "sen_support", 0, 4, "nm_early_years"),
    "OPA": ("Other arrangements by parents or the young person (SEN2 OPA)", "sen_support", 0, 25,
            "other_placement_settings"),
    "OTH": ("A type of setting named, no setting (SEN2 OTH)", "sen_support", 0, 25,
            "other_placement_settings"),
}  # fmt: skip
_CATEGORY = {col: cat for cat in CATEGORIES for col in cat.columns}
#: The first January whose SEN2 return can record Down syndrome (DS).
DS_FROM = 2025
_COST_COLUMNS = ("place_funding", "top_up", "fee", "transport")


@dataclass
class CouncilStarter:
    """What :func:`write_council_starter` writes, as frames.

    Attributes:
        la: The council's 3-digit LA number; ``la_name`` its name in the register.
        base_year: The latest return's census year.
        caseload: ``year, need, age, setting, children``.
        settings: The settings register.
        flows: The flows table.
        continuity: Measured continuation and stay rates by age (may be empty).
        ceased: Ceased plans by year, reason and age.
        council_hnb_cost: The council's own base-year High Needs Block total from its
            costs, or ``None``.
        assumptions: Every value the inputs did not give: ``what, value, why,
            how_to_replace``.
        notes: Warnings said while building (also issued as DataWarnings).
        setting_places: Planned changes of places after the base year, from the place
            numbers' later years: ``setting, year, places`` (``data.setting_places``).
    """

    la: str
    la_name: str
    base_year: int
    caseload: pd.DataFrame
    settings: pd.DataFrame
    flows: pd.DataFrame
    continuity: pd.DataFrame
    ceased: pd.DataFrame
    council_hnb_cost: float | None
    other_arrangements_gbp: float | None
    assumptions: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    setting_places: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["setting", "year", "places"])
    )


def _warn(notes: list[str], text: str) -> None:
    notes.append(text)
    warnings.warn(text, DataWarning, stacklevel=3)


def read_costs(path: str | Path) -> pd.DataFrame:
    """The council's costs: per school (``urn`` or ``setting``, £ per place per year) or per
    child (a ``child``/``upn`` column: one row per child, £ per year), with any of
    ``place_funding``, ``top_up``, ``fee``, ``transport``.

    Returns:
        ``setting, per_child, place_funding, top_up, fee, transport``: a blank cell is £0;
        a column the file does not have is NaN throughout (not given: the starter keeps
        the national figure for it, see :func:`build_council_starter`).

    Raises:
        DataError: A column missing, a column that looks meant for one of these but is not
            it (:func:`~.parsing.council_columns`: ``Top up (£k)``), a cost that is not a
            finite number >= 0, a school twice (per school) or a child twice (per child).
    """
    p = Path(path)
    raw = council_columns(
        read_council_csv(p, "costs"), p, "costs", ("urn", "setting", "child", "upn", *_COST_COLUMNS)
    )
    key = next((c for c in ("urn", "setting") if c in raw.columns), None)
    given = [c for c in _COST_COLUMNS if c in raw.columns]
    if key is None or not given:
        raise DataError(
            f"{p}: costs need a 'urn' (or 'setting') column and at least one of "
            f"{', '.join(_COST_COLUMNS)}",
            [Problem(str(p), f"found: {', '.join(raw.columns)}")],
        )
    per_child = any(c in raw.columns for c in ("child", "upn"))
    problems: list[Problem] = []
    out = pd.DataFrame({"setting": raw[key].str.strip().str.replace(r"\.0+$", "", regex=True)})
    for c in _COST_COLUMNS:
        if c not in raw.columns:
            out[c] = np.nan  # not given (a blank cell of a given column is £0)
            continue
        num = pd.to_numeric(english_amounts(raw[c]).replace("", "0"), errors="coerce")
        bad = ~np.isfinite(num.to_numpy(dtype=float)) | (num < 0).to_numpy()
        for i in np.flatnonzero(bad)[:20]:
            problems.append(
                Problem(
                    f"{p}, row {i + 2}, column {c!r}",
                    f"{raw[c].iloc[i]!r} is not an amount of £ >= 0",
                )
            )
        out[c] = num
    blank = (out["setting"] == "").to_numpy()
    for i in np.flatnonzero(blank)[:20]:
        problems.append(
            Problem(
                f"{p}, row {i + 2}, column {key!r}",
                f"no {key} (a total or notes row? one row per "
                f"{'child' if per_child else 'school'}, nothing else)",
            )
        )
    if not per_child:
        twice = out["setting"].duplicated(keep=False).to_numpy() & ~blank
        for i in np.flatnonzero(twice)[:20]:
            problems.append(
                Problem(f"{p}, row {i + 2}, column {key!r}", f"{out['setting'].iloc[i]} twice")
            )
    else:  # a child twice would count twice in the council's own base-year total
        who = next(c for c in ("child", "upn") if c in raw.columns)
        ids = raw[who].str.strip()
        dup = ids.duplicated(keep=False) & (ids != "")
        for i in np.flatnonzero(dup.to_numpy())[:20]:
            problems.append(
                Problem(
                    f"{p}, row {i + 2}, column {who!r}",
                    f"{ids.iloc[i]} twice: one row per child (a child who moved in the year: "
                    "one row, their year's costs added, at their setting in the January census)",
                )
            )
    if problems:
        raise DataError(f"{p}: {len(problems)} problem(s) in the costs", problems)
    out.insert(1, "per_child", per_child)
    return out


def _national_parts(
    table: pd.DataFrame, settings: pd.DataFrame, assumptions: list[dict[str, str]]
) -> bool:
    """Fill in place the parts of the council's costs (:func:`read_costs`) its file does not
    give, each listed as an assumption: a top-up at a special school or enhanced resource
    with no ``place_funding`` column gets the national place funding (£10,000 a special
    school place, £6,000 a resourced place: a national rate, never the council's choice),
    since a top-up is paid on top of it; the other parts not given are £0 here (their
    national figures stay on the settings, :func:`build_council_starter`).

    Returns:
        Whether the High Needs Block cost was given: a top-up or a fee (place funding
        alone is only part of it, and leaves the national price standing).
    """
    from ..data.inputs import DEFAULT_PLACE_FUNDING

    parts = ("place_funding", "top_up", "fee")
    hnb_given = bool(len(table)) and bool(table[["top_up", "fee"]].notna().any(axis=None))
    if table["place_funding"].isna().all() and hnb_given:
        tier = table["setting"].map(settings.set_index("setting")["tier"])
        rate = tier.map(DEFAULT_PLACE_FUNDING).fillna(0.0).astype(float)
        topped = (table["top_up"].fillna(0.0) > 0) & (table["fee"].fillna(0.0) == 0)
        table["place_funding"] = rate.where(topped, 0.0)
        filled = table.loc[table["place_funding"] > 0, "setting"].nunique()
        if filled:
            rates = ", ".join(
                f"£{v:,.0f} a place ({k.replace('_', ' ')})"
                for k, v in DEFAULT_PLACE_FUNDING.items()
            )
            assumptions.append(
                {
                    "what": "national place funding",
                    "value": f"the national place funding ({rates}) added to the top-ups "
                    f"given for {filled} setting{'' if filled == 1 else 's'}",
                    "why": "--costs gives top_up but no place_funding column (a top-up is "
                    "paid on top of the place funding)",
                    "how_to_replace": "add a place_funding column to --costs (0 where none "
                    "is paid)",
                }
            )
    for c in parts:
        table[c] = table[c].fillna(0.0)
    if table["transport"].isna().all() and len(table):
        assumptions.append(
            {
                "what": "national transport",
                "value": "transport at national figures (2024/25) for the "
                f"{table['setting'].nunique()} setting(s) in --costs",
                "why": "--costs gives no transport column",
                "how_to_replace": "add a transport column to --costs (£ a child a year; 0 "
                "where none is paid)",
            }
        )
    return hnb_given


def _warn_costs_on_a_host(table: pd.DataFrame, settings: pd.DataFrame, notes: list[str]) -> None:
    """Warn of costs given on the URN of a mainstream school whose resourced provision or
    SEN unit (``<URN>-RP``, ``<URN>-SU``) has none: a council's list of resourced places'
    top-ups names the school, but the URN is the mainstream school, and the unit keeps
    the national price. (Place numbers so given are refused,
    :func:`.gias.refuse_places_of_a_host`; a school's own costs are plausible.)"""
    named = set(table["setting"])
    hosts = sorted(
        host
        for host, units in units_by_host(settings).items()
        if host in named and not named & set(units)
    )
    if hosts:
        listed = ", ".join(hosts[:10]) + (" …" if len(hosts) > 10 else "")
        _warn(
            notes,
            f"--costs gives costs for {len(hosts)} mainstream school(s) whose resourced "
            f"provision or SEN unit has none ({listed}): they price the mainstream school's "
            "children with plans; if they are the unit's, give them on <URN>-RP or <URN>-SU",
        )


def _file_rows(mask: pd.Series) -> str:
    """``row 2`` or ``rows 2, 5, …``: the file's rows (a header, then one row a line) where
    ``mask`` holds."""
    at = np.flatnonzero(mask.to_numpy())
    rows = ", ".join(str(int(i) + 2) for i in at[:10]) + (" …" if len(at) > 10 else "")
    return f"row{'s' if len(at) > 1 else ''} {rows}"


def _warn_costs_in_thousands(table: pd.DataFrame, settings: pd.DataFrame, notes: list[str]) -> None:
    """Warn of a specialist setting's place funding, top-up or fee above £0 and under
    £1,000 a year in the council's costs (before the national parts fill what is not
    given): written in £ thousands (15.5 for £15,500), it would price the place at almost
    nothing but its other parts."""
    tier = table["setting"].map(settings.set_index("setting")["tier"])
    parts = table[["place_funding", "top_up", "fee"]]
    low = ((parts > 0) & (parts < PER_PLACE_FLOOR_GBP)).any(axis=1) & tier.isin(SPECIALIST_TIERS)
    if low.any():
        _warn(
            notes,
            f"--costs gives {int(low.sum())} row(s) for specialist settings a place funding, "
            f"top-up or fee under £{PER_PLACE_FLOOR_GBP:,.0f} a year ({_file_rows(low)}): "
            "amounts are £ a place a year, not £ thousands",
        )


def _warn_mainstream_place_funding(
    table: pd.DataFrame, settings: pd.DataFrame, notes: list[str]
) -> None:
    """Warn of place funding given for a mainstream school's own places: the High Needs
    Block funds places in resourced provision, SEN units and special schools; a mainstream
    school meets the first £6,000 of a child's support (element 2) from its own budget, so
    an ``Element 2`` column renamed ``place_funding`` would count it as the council's."""
    tier = table["setting"].map(settings.set_index("setting")["tier"])
    given = table["place_funding"].fillna(0) > 0
    hit = given & tier.isin(["mainstream", "sen_support"]).to_numpy()
    if hit.any():
        _warn(
            notes,
            f"--costs gives place funding for {int(hit.sum())} row(s) of mainstream schools' "
            f"own places ({_file_rows(hit)}): the High Needs Block funds places in resourced "
            "provision, SEN units and special schools; a mainstream school's first £6,000 "
            "(element 2) is its own budget's, and is counted here as the council's",
        )


def _warn_free_specialist_places(priced: pd.DataFrame, notes: list[str]) -> None:
    """Warn of specialist settings holding base-year children that the council's costs
    price at £0 a place (every cost cell of their row blank, or 0): a blank cell is £0,
    so such a row makes those children free to the model."""
    free = priced[
        priced["tier"].isin(SPECIALIST_TIERS)
        & (priced["used"] > 0)
        & (priced["cost_per_place"] == 0)
    ].sort_values("used", ascending=False)
    if free.empty:
        return
    top = free.head(10)
    listed = ", ".join(
        f"{sid} ({n} children)"
        for sid, n in zip(top["setting"], top["used"].astype(int).tolist(), strict=True)
    )
    _warn(
        notes,
        f"--costs prices {len(free)} specialist setting(s) holding base-year children at £0 "
        f"a place (no place funding, top-up or fee: a blank cell is £0): {listed}"
        f"{' …' if len(free) > 10 else ''}; give their costs, or leave their rows out to keep "
        "the national prices",
    )


def _whole_total(
    total: float | None,
    table: pd.DataFrame,
    per_child: bool,
    use: pd.Series,
    settings: pd.DataFrame,
    notes: list[str],
) -> float | None:
    """The council's own base-year total where its costs cover every base-year child with a
    price (per school: every setting holding one; per child: as many rows as children at
    each), else ``None`` with a warning: the run compares it with the model's whole base
    year, and a part set beside the whole reads as the model over-costing."""
    if total is None:
        return None
    national = settings.set_index("setting")["cost_per_place"]  # before the council's
    held = use[(use > 0) & use.index.isin(national.index[national > 0])]
    costed = (
        table.groupby("setting").size() if per_child else held[held.index.isin(table["setting"])]
    )
    missing = (held - costed.reindex(held.index).fillna(0)).clip(lower=0)
    if not (missing > 0).any():
        return total
    short = missing[missing > 0].sort_values(ascending=False)
    listed = ", ".join(f"{s} ({int(n)})" for s, n in short.head(10).items())
    _warn(
        notes,
        f"the council's own base-year High Needs Block total is not compared with the "
        f"model's: --costs covers {int(held.sum() - missing.sum())} of the "
        f"{int(held.sum())} base-year children in priced settings (the rest at national "
        f"prices; children without a cost at: {listed}"
        f"{' …' if len(short) > 10 else ''})",
    )
    return None


def _map_settings(children: pd.DataFrame, register: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Each child's setting id: the register's URN, a caseload code, a code row or unknown."""
    setting = children["setting"].astype(str)
    by_ukprn = {
        u: s for u, s in zip(register["ukprn"], register["setting"], strict=True) if u != ""
    }
    known = set(register["setting"])
    is_ukprn = setting.str.startswith("UKPRN:")
    setting = pd.Series(
        [by_ukprn.get(v[6:], v) if u else v for v, u in zip(setting, is_ukprn, strict=True)],
        index=setting.index,
        dtype=object,
    )
    # a unit the register does not list at that school: the school itself
    unit = setting.str.contains(r"^\d+-(?:RP|SU)$") & ~setting.isin(known)
    setting = setting.where(~unit, setting.str.split("-").str[0])
    out = setting.map(_NOT_IN_SCHOOL).fillna(setting)
    unknown = (
        ~out.isin(known)
        & ~out.isin(list(_NOT_IN_SCHOOL.values()))
        & ~out.isin(list(_CODE_SETTINGS))
    )
    if unknown.any():
        counts = children[unknown].groupby(setting[unknown]).size().sort_values(ascending=False)
        listed = ", ".join(f"{u} ({n})" for u, n in counts.head(20).items())
        _warn(
            notes,
            f"{int(unknown.sum())} child-census record(s) (all returns) at {len(counts)} "
            f"URN(s) not in the register are placed in the setting {UNKNOWN_SCHOOL}: "
            f"{listed}",
        )
        out = out.where(~unknown, UNKNOWN_SCHOOL)
    return out


def down_syndrome_before_the_code(
    children: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, str] | None]:
    """Children whose later return records Down syndrome, counted DS in returns filed before
    the code existed.

    SEN2 records DS from the January 2025 return (:data:`DS_FROM`); a return before then
    gave the same child another primary need. Matched on the person (``child``), a child
    recorded DS in a later return is counted DS in every earlier return that records no DS
    at all, so the DS series does not start from nothing in 2025 and OTH (or MLD, SLD…) does
    not fall by the same children. Children who left before their first DS return cannot be
    known and stay under the need recorded then.

    Args:
        children: The returns' children (``year, child, need, …``).

    Returns:
        The children (a copy, relabelled where matched) and the assumption to list, or
        ``None`` where nothing was relabelled.
    """
    ds = (children["need"] == taxonomy.DOWN_SYNDROME).to_numpy()
    recorded = set(children.loc[ds, "year"])
    before = (children["year"] < DS_FROM) & ~children["year"].isin(recorded)
    matched = children["child"].isin(set(children.loc[ds, "child"]))
    hit = (before & matched).to_numpy() & ~ds
    if not hit.any():
        return children, None
    out = children.copy()
    was = out.loc[hit, "need"].value_counts()
    out.loc[hit, "need"] = taxonomy.DOWN_SYNDROME
    years = sorted(int(y) for y in out.loc[hit, "year"].unique())
    span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return out, {
        "what": "Down syndrome before the code",
        "value": f"{int(hit.sum())} child-census records of {span} counted DS (recorded then as "
        + ", ".join(f"{n} {k}" for k, n in was.items())
        + "): the children a later return records with DS",
        "why": f"SEN2 returns before January {DS_FROM} have no DS code",
        "how_to_replace": "record DS in those returns where the council knows it, or accept "
        "the match (children who left before their first DS return stay as recorded)",
    }


def _price(etype: str, in_area: str) -> tuple[float, float]:
    """National price and transport of a setting's category (:data:`.starter.CATEGORIES`)."""
    cat = _CATEGORY.get(etype)
    if cat is None:
        cat = next(c for c in CATEGORIES if c.key == "MAIN")
    if in_area == "yes":
        return float(cat.cost), float(cat.transport)
    return float(cat.cost_out), float(cat.transport_out)


def build_council_starter(
    sen2: Sen2,
    gias: str | Path,
    *,
    places: str | Path | None = None,
    costs: str | Path | None = None,
) -> CouncilStarter:
    """The starter's tables from the council's files (see the module docstring).

    Raises:
        DataError: A problem in one of the files, located.
    """
    notes: list[str] = []
    assumptions: list[dict[str, str]] = []
    base_year = sen2.base_year
    attended = sorted(
        {s for s in sen2.children["setting"].astype(str) if s[:1].isdigit()}
        | {s.split("-")[0] for s in sen2.children["setting"].astype(str) if s[:1].isdigit()}
    )
    base_places, changes = (None, None)
    if places:
        base_places, changes = split_places(read_places(places), base_year)
    register = read_gias(gias, sen2.la, attended=attended, places=base_places)
    if changes is not None and len(changes):  # later years: schools the register holds too
        refuse_unknown_places(changes, register["setting"])
        base_named = base_places["setting"] if base_places is not None else ()
        refuse_places_of_a_host(changes, register, also_named=base_named)
    la_name = register.attrs.get("la_name") or f"LA {sen2.la}"
    children = sen2.children.copy()
    children["setting"] = _map_settings(children, register, notes)
    children, ds_note = down_syndrome_before_the_code(children)
    if ds_note is not None:
        assumptions.append(ds_note)
    caseload = (
        children.groupby(["year", "need", "age", "setting"]).size().rename("children").reset_index()
    )
    caseload["children"] = caseload["children"].astype(int)
    base = children[children["year"] == base_year]

    # settings: the register's rows, plus code rows and the unknown school where used
    settings = register.copy()
    used_codes = [c for c in _CODE_SETTINGS if (children["setting"] == c).any()]
    extra = [
        {
            "setting": c, "urn": "", "ukprn": "", "name": _CODE_SETTINGS[c][0],
            "tier": _CODE_SETTINGS[c][1], "in_area": "yes", "places": np.nan,
            "places_from": "", "needs": "ALL", "age_min": _CODE_SETTINGS[c][2],
            "age_max": _CODE_SETTINGS[c][3], "establishment_type": _CODE_SETTINGS[c][4],
            "la": sen2.la, "status": "",
        }
        for c in used_codes
    ]  # fmt: skip
    if (children["setting"] == UNKNOWN_SCHOOL).any():
        extra.append(
            {
                "setting": UNKNOWN_SCHOOL, "urn": "", "ukprn": "",
                "name": "Schools not in the register (URNs named in the init warning)",
                "tier": "sen_support", "in_area": "no", "places": np.nan, "places_from": "",
                "needs": "ALL", "age_min": 0, "age_max": 25,
                "establishment_type": "other_schools", "la": "", "status": "",
            }
        )  # fmt: skip
        assumptions.append(
            {
                "what": "schools not in the register",
                "value": f"{int((base['setting'] == UNKNOWN_SCHOOL).sum())} base-year children "
                f"in {UNKNOWN_SCHOOL}: out of area, mainstream, national price",
                "why": "their URNs are not in the register given to init",
                "how_to_replace": "give a register that holds them (GIAS all establishments)",
            }
        )
    if extra:
        settings = pd.concat([settings, pd.DataFrame(extra)], ignore_index=True)
    use = base.groupby("setting").size()
    settings["used"] = settings["setting"].map(use).fillna(0).astype(int)
    specialist = settings["tier"].isin(
        ["special_school", "independent", "partnership", "enhanced_resource"]
    )
    out_area = settings["in_area"] == "no"
    # out of area: what the council commissions there is today's use (unless numbered)
    mark = specialist & out_area & (settings["places_from"] != "place numbers")
    settings.loc[mark, "places"] = settings.loc[mark, "used"]
    settings.loc[mark, "places_from"] = "base-year children"
    # any setting: a mainstream school numbered in --places too (its children would leave)
    short = settings["places"].notna() & (settings["places"] < settings["used"])
    if short.any():
        listed = ", ".join(
            f"{s} ({int(p)} place{'' if p == 1 else 's'}, {u} children)"
            for s, p, u in settings.loc[short, ["setting", "places", "used"]].itertuples(
                index=False
            )
        )
        _warn(notes, f"places raised to the base year's children at: {listed}")
        settings.loc[short, "places"] = settings.loc[short, "used"]
    lacking = specialist & settings["places"].isna()
    settings.loc[lacking, "places"] = settings.loc[lacking, "used"]
    # needs: a specialist setting takes at least the needs its children have today
    held: dict[str, set[str]] = {}
    for setting_id, need in zip(base["setting"], base["need"], strict=True):
        held.setdefault(str(setting_id), set()).add(str(need))
    widened, added = [], []
    for sid, listed in zip(settings["setting"], settings["needs"], strict=True):
        have = [n for n in str(listed).split(";") if n]
        more = sorted(held.get(str(sid), set()) - set(have)) if listed != "ALL" else []
        widened.append(";".join(have + more) if more else listed)
        if more:
            added.append(f"{sid} (+{', '.join(more)})")
    if added:  # the designation given is not what the setting holds: said, as for places
        more_settings = f" and {len(added) - 5} more" if len(added) > 5 else ""
        _warn(
            notes,
            "needs widened to the base year's children's (a setting takes at least the "
            f"needs it holds) at: {'; '.join(added[:5])}{more_settings}",
        )
    settings["needs"] = widened
    # children recorded outside a school's statutory ages: named, kept as the return has them
    ages = settings.set_index("setting")[["age_min", "age_max"]]
    at = base[base["setting"].isin(ages.index)]
    lo = at["setting"].map(ages["age_min"])
    hi = at["setting"].map(ages["age_max"])
    off = (at["age"] < lo) | (at["age"] > hi)
    if off.any():
        listed = ", ".join(
            f"{s} age {a}" for s, a in at.loc[off, ["setting", "age"]].head(20).itertuples(False)
        )
        _warn(
            notes,
            f"{int(off.sum())} base-year child(ren) recorded outside their school's statutory "
            f"ages (kept there in the base year; never placed there in a plan year): {listed}",
        )

    # prices: the council's where given, else national
    prices = [_price(e, a) for e, a in zip(settings["establishment_type"], settings["in_area"],
                                            strict=True)]  # fmt: skip
    settings["cost_per_place"] = [p[0] for p in prices]
    settings["transport_per_place"] = [p[1] for p in prices]
    settings["place_funding"] = np.nan
    priced = pd.Series(False, index=settings.index)
    council_total: float | None = None
    other_arrangements: float | None = None
    if costs is not None:
        table = read_costs(costs)
        per_child = bool(table["per_child"].iloc[0]) if len(table) else False
        table["setting"] = table["setting"].map(
            lambda s: _NOT_IN_SCHOOL.get(s, s) if s in _NOT_IN_SCHOOL else s
        )
        known = set(settings["setting"]) | set(_NOT_IN_SCHOOL.values())
        unknown = ~table["setting"].isin(known)
        if unknown.any():
            raise DataError(
                f"{costs}: costs for settings neither in the register nor SEN2 codes",
                [
                    Problem(f"{costs}, row {i + 2}", f"setting {table['setting'].iloc[i]}")
                    for i in np.flatnonzero(unknown.to_numpy())[:20]
                ],
            )
        _warn_costs_on_a_host(table, settings, notes)
        _warn_costs_in_thousands(table, settings, notes)
        _warn_mainstream_place_funding(table, settings, notes)
        given_funding = bool(table["place_funding"].notna().any())
        hnb_given = _national_parts(table, settings, assumptions)
        hnb = table["place_funding"] + table["top_up"] + table["fee"]
        if per_child:
            agg = table.assign(hnb=hnb).groupby("setting")[["hnb", "place_funding", "transport"]]
            mean = agg.mean()
            council_total = float(hnb.sum())
        else:
            mean = table.assign(hnb=hnb).set_index("setting")[["hnb", "place_funding", "transport"]]
            n = use.reindex(mean.index).fillna(0).to_numpy(dtype=float)
            places_of = settings.set_index("setting")["places"]
            p = places_of.reindex(mean.index).to_numpy(dtype=float)
            funded = np.where(np.isfinite(p), p, n)
            council_total = float(
                (funded * mean["place_funding"].to_numpy()
                 + n * (mean["hnb"] - mean["place_funding"]).to_numpy()).sum()
            )  # fmt: skip
        council_total = _whole_total(council_total, table, per_child, use, settings, notes)
        if "OTHER_ARRANGEMENTS" in mean.index:
            other_arrangements = float(mean["hnb"].to_dict()["OTHER_ARRANGEMENTS"])
        hit = settings["setting"].isin(mean.index)
        if hnb_given:
            settings.loc[hit, "cost_per_place"] = settings.loc[hit, "setting"].map(mean["hnb"])
            priced = hit
            _warn_free_specialist_places(settings[hit], notes)
        else:  # transport or place funding alone: the prices stay national, no council total
            council_total = None
        if hnb_given or given_funding:  # the price's place-funding part
            settings.loc[hit, "place_funding"] = settings.loc[hit, "setting"].map(
                mean["place_funding"]
            )
        if table["transport"].notna().any():  # else the national transport stays
            settings.loc[hit, "transport_per_place"] = settings.loc[hit, "setting"].map(
                mean["transport"]
            )
    cheap = ~priced & (settings["used"] > 0)
    if cheap.any():
        held_n = int(settings.loc[cheap, "used"].sum())
        assumptions.append(
            {
                "what": "national prices",
                "value": f"{int(cheap.sum())} settings holding {held_n} base-year children "
                "priced at national figures (2024/25)",
                "why": "no cost given for them (--costs)",
                "how_to_replace": "give --costs per school (place_funding, top_up, fee, "
                "transport) or per child",
            }
        )
    # a place funding above the cost is not allowed; blank place funding is the default
    settings["place_funding"] = settings["place_funding"].where(
        settings["place_funding"] <= settings["cost_per_place"]
    )
    settings = settings.sort_values("setting", kind="stable").reset_index(drop=True)
    return CouncilStarter(
        la=sen2.la,
        la_name=la_name,
        base_year=base_year,
        caseload=caseload,
        settings=settings,
        flows=sen2.flows,
        continuity=sen2.continuity,
        ceased=sen2.ceased,
        council_hnb_cost=council_total,
        other_arrangements_gbp=other_arrangements,
        assumptions=assumptions,
        notes=notes,
        setting_places=changes
        if changes is not None
        else pd.DataFrame(columns=["setting", "year", "places"]),
    )


_SETTINGS_COLUMNS = [
    "setting", "name", "tier", "in_area", "places", "needs", "age_min", "age_max",
    "cost_per_place", "transport_per_place", "place_funding", "establishment_type",
]  # fmt: skip


def _scenario_text(s: CouncilStarter, history_start: int, population_note: str) -> str:
    slug = name_slug(s.la_name)
    plans = int(s.caseload.loc[s.caseload["year"] == s.base_year, "children"].sum())
    reference = ""
    if s.council_hnb_cost is not None:
        reference = f"reference:\n  base_year_hnb_cost_gbp: {s.council_hnb_cost:.2f}\n"
    allocation_extra = ""
    if s.other_arrangements_gbp is not None:
        allocation_extra = (
            f"  not_in_school:\n    other_arrangements_gbp: {s.other_arrangements_gbp:.2f}\n"
        )
    continuity = "  continuity: data/continuity.csv\n" if len(s.continuity) else ""
    changes_line = ""
    if len(s.setting_places):
        continuity += "  setting_places: data/setting_places.csv\n"
        changes_line = (
            "#   - planned places (data/setting_places.csv): the place numbers' years after "
            f"{s.base_year},\n#     from the January each holds at.\n"
        )
    # fewer than 3 Januaries: the base year moved with England's published series (national)
    method = "poisson_glm_damped" if len(set(s.caseload["year"])) >= 3 else "national"
    # one January: the history is the base year alone (history_start must come before it)
    start_line = f"  history_start: {history_start}\n" if history_start < s.base_year else ""
    return f"""\
# {s.la_name} ({s.la}): starter scenario written by `sufficiency init --sen2`.
#
# Built from the council's own files: its SEN2 returns (Januaries
# {", ".join(map(str, sorted(set(s.caseload["year"]))))}) and the register of establishments.
# It runs as written. Paths are relative to this file.
#
# From the council's data (kept exactly):
#   - EHC plans at each January by need, single year of age and setting (URN) in
#     data/caseload.csv ({s.base_year}: {plans:,} plans); out of area = schools of other LAs.
#   - settings (data/settings.csv): the register's schools by URN, places from the place
#     numbers or capacity (out of area: today's children), needs and statutory ages.
#   - flows (data/flows.csv): requests, assessments, new and ceased plans by calendar year.
#   - continuity (data/continuity.csv): continuation and stay rates measured between returns.
{changes_line}# What is assumed (REPLACE): the `assumptions` list at the end of this file (the run
# reports it in summary.json with the defaults it finds in force).
#   - population (data/population.csv):
#     {population_note}
name: {slug}-own-data-starter
description: >-
  Starter baseline for {s.la_name} from its own SEN2 returns and the register of
  establishments (init --sen2); unmitigated, on today's placements.
data:
  caseload: data/caseload.csv
  population: data/population.csv
  settings: data/settings.csv
  cost_assumptions: data/cost_assumptions.csv
  flows: data/flows.csv
{continuity}{reference}base_year: {s.base_year}
horizon_years: {HORIZON}
forecast:
  method: {method}
  interval_level: 0.8
{start_line}allocation:
  solver: auto
  unmet_penalty_gbp: 1000000
  time_limit_seconds: 60
{allocation_extra}{yaml_block(s.assumptions)}"""


def _published_down_syndrome(
    early: pd.DataFrame, caseload: pd.DataFrame, first: int
) -> tuple[pd.DataFrame, float | None]:
    """The published history's OTH split into DS and OTH by the first return's DS share.

    The DfE's release counts plans whose primary need is Down syndrome under "other
    difficulty/disability" (OTH), so its OTH holds both. Each published OTH cell is split
    by the first return's share of DS among its DS and OTH children (one share for every
    age: the return's cells are too few to split by age), to 1/1000 of a child, so each
    cell's DS and OTH add up to the published OTH.

    Returns:
        The history (``year, need, age, setting, children``) and the share used, or
        ``None`` (history unchanged) where the first return records no DS.
    """
    at_first = caseload[caseload["year"] == first]
    ds = float(at_first.loc[at_first["need"] == taxonomy.DOWN_SYNDROME, "children"].sum())
    oth = float(at_first.loc[at_first["need"] == "OTH", "children"].sum())
    if ds <= 0:
        return early, None
    share = ds / (ds + oth)
    rows = early["need"] == "OTH"
    split = early[rows].assign(
        need=taxonomy.DOWN_SYNDROME, children=(early.loc[rows, "children"] * share).round(3)
    )
    rest = early.copy()
    rest.loc[rows, "children"] = (
        early.loc[rows, "children"].to_numpy() - split["children"].to_numpy()
    ).round(3)
    out = pd.concat([rest, split[split["children"] > 0]], ignore_index=True)
    out = out[out["children"] > 0].sort_values(["year", "need", "age"], kind="stable")
    return out.reset_index(drop=True), share


def extend_with_published(s: CouncilStarter, dfe: str | Path) -> None:
    """Add the DfE's published years before the first return to the history and flows.

    The published caseload (:func:`.starter.build_history`: national single-age and need
    shapes where not published) goes in by need and age at one setting,
    ``PUBLISHED_HISTORY`` (no places: only the base year's settings drive the allocation;
    earlier years feed the forecast), and the published flows of calendar years the returns
    do not cover. Listed as an assumption. The release counts Down syndrome under OTH: its
    OTH is split into DS and OTH by the first return's share (:func:`_published_down_syndrome`,
    listed too).

    Raises:
        DataError: If the release does not hold the council's LA, or no year before the
            first return.
    """
    release = read_dfe_release(dfe, s.la)
    first = int(s.caseload["year"].min())
    history = build_history(release)
    early = history[history["year"] < first]
    if early.empty:
        raise DataError(
            f"{dfe}: the published release has no January before the first SEN2 return "
            f"({first}): nothing to extend"
        )
    early = (
        early.groupby(["year", "need", "age"], as_index=False)["children"]
        .sum()
        .assign(setting=PUBLISHED_HISTORY)
    )
    early["children"] = early["children"].round(3)
    early, ds_share = _published_down_syndrome(early, s.caseload, first)
    s.caseload = pd.concat(
        [early[["year", "need", "age", "setting", "children"]], s.caseload], ignore_index=True
    )
    flows = build_flows(release)
    covered = set(s.flows["year"])
    extra = flows[flows["year"] < min(covered)] if covered else flows
    if len(extra):
        s.flows = pd.concat([extra, s.flows], ignore_index=True)
    row = {
        "setting": PUBLISHED_HISTORY, "urn": "", "ukprn": "",
        "name": "Published history before the first SEN2 return (setting not known)",
        "tier": "sen_support", "in_area": "yes", "places": 0.0, "places_from": "",
        "needs": "ALL", "age_min": 0, "age_max": 25, "establishment_type": "other_schools",
        "la": s.la, "status": "", "used": 0, "cost_per_place": 0.0,
        "transport_per_place": 0.0, "place_funding": np.nan,
    }  # fmt: skip
    s.settings = pd.concat([s.settings, pd.DataFrame([row])], ignore_index=True)
    years = sorted(set(early["year"]))
    span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    s.assumptions.append(
        {
            "what": "published history before the first return",
            "value": f"{span}: the DfE's published plans, ages split by the "
            "national shape where published in bands, need mix national where not published",
            "why": "no SEN2 returns for those years",
            "how_to_replace": "give the SEN2 returns of those years",
        }
    )
    if ds_share is not None:
        s.assumptions.append(
            {
                "what": "Down syndrome in the published history",
                "value": f"{span}: {ds_share:.1%} of the published OTH plans counted DS, the "
                f"share of DS among DS and OTH in the first return ({first})",
                "why": "the DfE's release counts Down syndrome under other difficulty/"
                "disability (OTH)",
                "how_to_replace": "give the SEN2 returns of those years",
            }
        )


def write_council_starter(
    sen2: str | Path,
    gias: str | Path,
    out: str | Path,
    *,
    places: str | Path | None = None,
    costs: str | Path | None = None,
    population: str | Path | Sequence[str | Path] | None = None,
    la: str | None = None,
    dfe: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Write a starter scenario folder from a council's own files.

    Args:
        sen2: The SEN2 returns (:func:`.sen2.read_sen2`).
        gias: The register of establishments (:func:`.gias.read_gias`).
        out: Folder to write (``scenario.yaml`` and ``data/``); nothing is written on error.
        places: The council's place numbers (:func:`.gias.read_places`), or ``None``.
        costs: The council's costs (:func:`read_costs`), or ``None``.
        population: ONS estimates and/or projections; ``None`` writes a flat approximation.
        la: The LA's ONS code or name for the population (default: its register name).
        dfe: A folder of the DfE's published files: its years before the first return
            extend the history (:func:`extend_with_published`), or ``None``.
        force: Write into a non-empty ``out``.

    Returns:
        Path of the written ``scenario.yaml``.

    Raises:
        DataError: If ``out`` is not empty (without ``force``), or an input is bad.
    """
    target = starter_folder(out, force)
    s = build_council_starter(read_sen2(sen2), gias, places=places, costs=costs)
    if dfe is not None:
        extend_with_published(s, dfe)
    years = sorted(set(s.caseload["year"]))
    first, last = years[0], s.base_year + HORIZON
    history_start = first
    history = s.caseload
    pop, note = starter_population(
        history, population, la or s.la_name, s.la_name, (first, first, last), s.base_year
    )
    if population is None:
        s.assumptions.append(dict(FLAT_POPULATION))
    s.assumptions.append(dict(INFLATION))
    if len(years) < 3:
        s.assumptions.append(
            {
                "what": "forecast method national",
                "value": "the base year's plans by need and age band moved with England's "
                "published series for their ages (its recent trend, damped; the DfE "
                "reference panel shipped with the package)",
                "why": f"{len(years)} return(s): a trend of the council's own needs at "
                "least 3 years",
                "how_to_replace": "give three or more SEN2 returns, or --dfe DIR for the "
                "published years before them, and use forecast.method auto",
            }
        )
    settings = s.settings[_SETTINGS_COLUMNS].copy()
    settings["places"] = settings["places"].map(lambda v: "" if pd.isna(v) else int(v))
    text = _scenario_text(s, history_start, note)
    files: dict[str, Callable[[Path], object]] = {
        "data/caseload.csv": lambda p: s.caseload.to_csv(p, index=False),
        "data/population.csv": lambda p: pop.to_csv(p, index=False),
        "data/settings.csv": lambda p: settings.to_csv(p, index=False, float_format="%.2f"),
        "data/cost_assumptions.csv": lambda p: build_costs(s.base_year).to_csv(p, index=False),
        "data/flows.csv": lambda p: s.flows.to_csv(p, index=False),
        "data/ceased_by_reason.csv": lambda p: s.ceased.to_csv(p, index=False),
        "scenario.yaml": lambda p: p.write_text(text, encoding="utf-8"),
    }
    if len(s.continuity):
        files["data/continuity.csv"] = lambda p: s.continuity.to_csv(
            p, index=False, float_format="%.6f"
        )
    if len(s.setting_places):
        files["data/setting_places.csv"] = lambda p: s.setting_places.to_csv(p, index=False)
    write_files(target, files)  # all or nothing, replacing only files init wrote before
    log.info("wrote an own-data starter for %s (%s) to %s", s.la_name, s.la, target)
    return target / "scenario.yaml"
