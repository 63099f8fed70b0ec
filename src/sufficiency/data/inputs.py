"""The validated input tables of a run, and the cross-table checks between them."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import Scenario
from ..errors import DataError, Problem, ScenarioError
from .bands import BAND_MIX_COLUMNS, FUNDING_BANDS_COLUMNS, FundingBands, read_bands
from .categories import CATEGORY_COLUMNS, check_categories, with_categories
from .checks import (
    describe_key,
    duplicate_keys,
    scenario_references,
    warn_implausible,
    warn_implausible_money,
)
from .continuity import check_continuity
from .flows import check_flows, flow_totals, tidy_flows
from .tables import (
    Column,
    RawTable,
    TableSource,
    check_table,
    raise_if,
    read_table,
    split_sheet,
)

log = logging.getLogger(__name__)

#: Caseload `setting` value for children with a plan but no recorded education placement.
NOT_PLACED = "NOT_PLACED"
#: Caseload `setting` codes of children with a plan who are not in a school or college, and
#: the arrangement each stands for (SEN2 codes: other arrangements made by the council or
#: education otherwise than at school, elective home education, not in education,
#: employment or training, and not recorded).
#: Setting id of the market of last resort (reserved: the register may not use it).
MARKET = "MARKET"
#: Setting id of mainstream schools for children on SEN support without a place at their
#: level (reserved: the register may not use it).
MAINSTREAM = "MAINSTREAM"
NOT_IN_SCHOOL: dict[str, str] = {
    "OTHER_ARRANGEMENTS": "other_arrangements",
    "EHE": "elective_home_education",
    "NEET": "neet",
    NOT_PLACED: "not_placed",
}

#: Largest count of children in one row: more than any council's caseload in one cell.
MAX_CHILDREN = 100_000
#: Largest number of residents of one single year of age in one row (England has ~700,000).
MAX_RESIDENTS = 2_000_000
#: Largest number of places of one setting.
MAX_PLACES = 100_000
#: Largest cost of a place, £ per year (the dearest residential placements cost ~£1m).
MAX_COST_GBP = 5_000_000
#: Largest transport cost, £ per child per year.
MAX_TRANSPORT_GBP = 1_000_000

_COUNT = Column("children", "float", minimum=0, maximum=MAX_CHILDREN, unit="children")
_YEAR = Column("year", "int", minimum=1990, maximum=2100)
_AGE = Column("age", "int", required=False, minimum=0, maximum=25, unit="years")
_BAND = Column("age_band", "age_band", required=False)

CASELOAD_COLUMNS = (
    _YEAR,
    Column("need", "need"),
    _AGE,
    _BAND,
    Column("setting", "text"),
    _COUNT,
)
SEN_SUPPORT_COLUMNS = (
    _YEAR,
    Column("need", "need"),
    _AGE,
    _BAND,
    Column("setting", "text", required=False, blank_ok=True),
    _COUNT,
)
POPULATION_COLUMNS = (
    _YEAR,
    Column("age", "int", minimum=0, maximum=25, unit="years"),
    Column("population", "float", minimum=0, maximum=MAX_RESIDENTS, unit="residents"),
    Column("kind", "text", required=False, blank_ok=True),
)
SETTINGS_COLUMNS = (
    Column("setting", "text"),
    Column("name", "text", required=False, blank_ok=True),
    Column("tier", "tier"),
    Column("in_area", "bool"),
    Column("places", "int", blank_ok=True, minimum=0, maximum=MAX_PLACES, unit="places per year"),
    Column("needs", "needs_list"),
    Column("age_min", "int", minimum=0, maximum=25, unit="years"),
    Column("age_max", "int", minimum=0, maximum=25, unit="years"),
    Column("cost_per_place", "float", minimum=0, maximum=MAX_COST_GBP, unit="£ per place per year"),
    Column(
        "transport_per_place",
        "float",
        minimum=0,
        maximum=MAX_TRANSPORT_GBP,
        unit="£ per child per year",
    ),
    Column(
        "place_funding",
        "float",
        required=False,
        blank_ok=True,
        minimum=0,
        maximum=MAX_COST_GBP,
        unit="£ per place per year",
    ),
    Column("takes_sen_support", "bool", required=False),
    *CATEGORY_COLUMNS,
)
#: Place funding (£ per place per year) where the register gives none, by tier: £6,000 for
#: resourced provision and £10,000 for special schools (the national place-funding rates,
#: DOMAIN.md); none elsewhere (mainstream top-ups, and independent fees, have none).
DEFAULT_PLACE_FUNDING: dict[str, float] = {"enhanced_resource": 6_000.0, "special_school": 10_000.0}
SETTING_PLACES_COLUMNS = (
    Column("setting", "text"),
    _YEAR,
    Column("places", "int", minimum=0, maximum=MAX_PLACES, unit="places per year"),
)
COST_COLUMNS = (
    _YEAR,
    Column("tier", "tier", required=False, blank_ok=True),
    Column("inflation", "float", minimum=-0.5, maximum=1.0, unit="fraction per year"),
    Column("transport_inflation", "float", minimum=-0.5, maximum=1.0, unit="fraction per year"),
)


def _no_place_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "setting": pd.Series(dtype=object),
            "year": pd.Series(dtype=int),
            "places": pd.Series(dtype=float),
        }
    )


@dataclass
class Inputs:
    """Every input table of a run, validated, in the library's vocabulary.

    Attributes:
        caseload: EHC plans: ``year, need, age, age_band, setting, children`` (``age`` is -1
            where only the band was given).
        population: ``year, age, age_band, population``.
        settings: The register: ``setting, name, tier, tier_number, in_area, places`` (NaN =
            no limit), ``needs`` (tuple of codes), ``age_min, age_max, cost_per_place,
            transport_per_place``, ``takes_sen_support`` (given, else by tier:
            :data:`~sufficiency.taxonomy.SEN_SUPPORT_TIERS`), and the reporting columns
            ``establishment_type,
            dsg_category, scap_type, phase, residential, planning_area`` (given or derived,
            see :func:`~sufficiency.data.categories.with_categories`).
        cost_assumptions: ``year, tier, inflation, transport_inflation`` (tier "" = all).
        sen_support: Children on SEN support, as caseload without ``setting``; may be None.
        sen_support_placements: Base-year children on SEN support by setting, where the
            ``sen_support`` table gives settings: ``need, age_band, setting, children``
            (their level mix); None otherwise.
        setting_places: Dated changes ``setting, year, places``.
        flows: Requests, assessments, new and ceased plans (see :mod:`.flows`): ``year,
            measure, age, age_band, children``; may be None.
        continuity: Measured continuation and stay rates by age (:mod:`.continuity`);
            None where not given.
        single_year_ages: Whether the caseload gives single years of age.
        funding_bands: Band top-ups and band mixes, where the council pays top-up by band
            (:mod:`sufficiency.data.bands`); None otherwise.
        files: Table name -> (path, sha256) of every file read.
    """

    caseload: pd.DataFrame
    population: pd.DataFrame
    settings: pd.DataFrame
    cost_assumptions: pd.DataFrame
    sen_support: pd.DataFrame | None = None
    sen_support_placements: pd.DataFrame | None = None
    setting_places: pd.DataFrame = field(default_factory=lambda: _no_place_changes())
    flows: pd.DataFrame | None = None
    continuity: pd.DataFrame | None = None
    single_year_ages: bool = True
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    funding_bands: FundingBands | None = None

    def places_array(self, years: list[int] | np.ndarray) -> np.ndarray:
        """Places by year and register position after dated changes, shape (Y, S).

        NaN means no limit. Changes apply from their year on, later rows for the same
        setting and year winning.
        """
        yrs = np.asarray(years, dtype=int)
        grid = np.tile(self.settings["places"].to_numpy(dtype=float), (len(yrs), 1))
        if len(self.setting_places):
            position = {s: i for i, s in enumerate(self.settings["setting"])}
            changes = self.setting_places.sort_values(["year"], kind="stable")
            for setting, year, places in zip(
                changes["setting"], changes["year"], changes["places"], strict=True
            ):
                grid[yrs >= int(year), position[setting]] = float(places)
        return grid

    def places(self, years: list[int]) -> pd.DataFrame:
        """Places per setting and year (NaN = no limit), after dated changes.

        Returns:
            Frame ``year, setting, places`` for every setting and each of ``years``.
        """
        grid = self.places_array(years)
        return pd.DataFrame(
            {
                "year": np.repeat(np.asarray(years, dtype=int), grid.shape[1]),
                "setting": np.tile(self.settings["setting"].to_numpy(), len(years)),
                "places": grid.reshape(-1),
            }
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _with_bands(frame: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> pd.DataFrame:
    """Fill ``age``/``age_band`` from whichever was given, checking they agree."""
    out = frame.copy()
    if "age" in out.columns and out["age"].notna().all():
        ages = out["age"].astype(int).to_numpy()
        bands = taxonomy.age_band_of(ages)
        if "age_band" in out.columns:
            given = out["age_band"].to_numpy()
            bad = np.flatnonzero((given != "") & (given != bands))
            for i in bad[:20]:
                problems.append(
                    Problem(
                        raw.where(int(i), "age_band"),
                        f"age band {given[i]!r} does not contain age {ages[i]}",
                    )
                )
        out["age"] = ages
        out["age_band"] = bands
    elif "age_band" in out.columns:
        if "age" in out.columns:  # bands where given, else from the single age
            given = out["age"].notna().to_numpy() & (out["age_band"] == "").to_numpy()
            bands = out["age_band"].to_numpy(dtype=object).copy()
            bands[given] = taxonomy.age_band_of(out["age"].to_numpy()[given].astype(int))
            out["age_band"] = bands
            _single_ages_in_one_band(out, given, raw, problems)
        out["age"] = -1
    return out


def _single_ages_in_one_band(
    frame: pd.DataFrame, single: np.ndarray, raw: RawTable, problems: list[Problem]
) -> None:
    """A table with rows by age band beside rows by single age is read by band, so two
    single ages of one band (need, setting, year alike) are one cell given twice: said
    once, in those words, instead of as rows that repeat each other."""
    if single.all() or not single.any():
        return
    keys = [c for c in ("year", "need", "setting") if c in frame.columns] + ["age_band"]
    rows = np.flatnonzero(single)
    cells = frame.iloc[rows][keys].astype(str)
    clash = cells.duplicated(keep=False).to_numpy()
    if not clash.any():
        return
    first = cells[clash].iloc[0]
    a, b = rows[clash][(cells[clash] == first).all(axis=1).to_numpy()][:2]
    age = frame["age"].to_numpy()
    banded = int(np.flatnonzero(~single)[0]) + raw.first_row
    problems.append(
        Problem(
            raw.label,
            f"row {b + raw.first_row} (age {age[b]:.0f}) and row {a + raw.first_row} (age "
            f"{age[a]:.0f}) fall in one age band ("
            + describe_key({k: frame[k].iloc[a] for k in keys})
            + f"), and row {banded} gives an age band only: a table with rows by band is "
            "read by band, where those single ages are one cell given twice "
            f"({int(clash.sum()):,} rows are so); give every row its age, or add the ages of "
            "each band up",
        )
    )


def _read(
    name: str,
    source: TableSource,
    files: dict[str, tuple[str, str]],
    raws: dict[str, RawTable],
) -> RawTable:
    raw = read_table(source, f"{name} table")
    if not isinstance(source, pd.DataFrame):
        path = split_sheet(source)[0]
        files[name] = (str(path), _sha256(path))
    raws[name] = raw
    return raw


def one_source_twice(sources: dict[str, TableSource | None], origin: str) -> list[Problem]:
    """Tables given the same file (or the same sheet of one workbook, or the same
    DataFrame): each table needs its own data. Read as two tables, one file counts its
    rows twice: a caseload given as SEN support too would put every child with a plan on
    SEN support as well, and the run would go through. Links and different spellings of one
    path are the same file; two sheets of one workbook are not.

    Args:
        sources: Each table's source, by table name (``None`` where not given).
        origin: The scenario file, as messages name it (``"path: "``) or ``""``.
    """
    first: dict[tuple[object, ...], str] = {}
    problems = []
    for name, source in sources.items():
        if source is None:
            continue
        if isinstance(source, pd.DataFrame):
            key: tuple[object, ...] = ("frame", id(source))
            shown = "one DataFrame"
        else:
            path, sheet = split_sheet(source)
            try:
                stat = path.stat()
            except (OSError, ValueError):  # missing, or no path (a NUL): reported below
                continue
            key = ("file", stat.st_dev, stat.st_ino, sheet)
            shown = f"one file ({path}" + (f", sheet {sheet!r})" if sheet != 0 else ")")
        if key in first:
            problems.append(
                Problem(
                    f"{origin}data.{first[key]} and data.{name}",
                    f"{shown} is given for two tables; each table needs its own data (read "
                    "as two tables, its rows would count twice)",
                )
            )
        else:
            first[key] = name
    return problems


def same_rows_twice(raws: dict[str, RawTable], origin: str) -> list[Problem]:
    """Two tables holding exactly the same rows and columns (a file copied under another
    name and given for both): the same data read as two tables, refused as
    :func:`one_source_twice` refuses one file named twice."""
    problems = []
    names = [n for n, raw in raws.items() if len(raw.frame)]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = raws[a].frame, raws[b].frame
            if x.shape == y.shape and list(x.columns) == list(y.columns) and x.equals(y):
                problems.append(
                    Problem(
                        f"{origin}data.{a} and data.{b}",
                        f"{raws[a].label} and {raws[b].label} hold the same rows: one table "
                        "given twice; each table needs its own data (read as two tables, "
                        "its rows would count twice)",
                    )
                )
    return problems


def load_inputs(
    scenario: Scenario,
    *,
    tables: dict[str, TableSource] | None = None,
) -> Inputs:
    """Read and validate every input table a scenario names.

    Args:
        scenario: The resolved scenario (its ``data`` paths are absolute).
        tables: Tables to use instead of the scenario's files, by name
            (``caseload``, ``population``, ``settings``, ``cost_assumptions``,
            ``sen_support``, ``setting_places``, ``flows``, and ``funding_bands`` with
            ``band_mix``), as paths or DataFrames.

    Returns:
        The validated inputs.

    Raises:
        DataError: Listing every problem found, each naming file, row and column.
    """
    sources: dict[str, TableSource | None] = dict(scenario.data.paths())
    sources.update(tables or {})
    files: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []

    origin = f"{scenario._sources[-1]}: " if scenario._sources else ""
    raise_if(one_source_twice(sources, origin), "the same data is given for two tables")
    raws: dict[str, RawTable] = {}
    missing: list[Problem] = []
    absent: set[str] = set()
    for key, value in sources.items():
        if value is None or isinstance(value, pd.DataFrame):
            continue
        path = Path(str(value).split("#")[0])
        if path.is_dir():
            missing.append(Problem(f"{origin}data.{key}", f"{path} is a directory, not a table"))
        elif path.exists() and not path.is_file():
            missing.append(
                Problem(
                    f"{origin}data.{key}",
                    f"{path} is not a regular file (a device, pipe or socket); give the "
                    "table's file",
                )
            )
        elif not path.is_file():
            missing.append(Problem(f"{origin}data.{key}", f"file not found: {path}"))
        else:
            continue
        absent.add(key)

    def parse(
        name: str, columns: tuple[Column, ...], one_of: tuple[tuple[str, ...], ...] = ()
    ) -> tuple[pd.DataFrame, RawTable]:
        source = sources[name]
        assert source is not None
        raw = _read(name, source, files, raws)
        fmt = scenario.data.number_formats.of(name)
        frame = check_table(raw, columns, problems, one_of=one_of, number_format=fmt, table=name)
        if raw.frame.empty and name != "setting_places":
            problems.append(
                Problem(raw.label, "the table has a header but no rows; it needs at least one")
            )
        return frame, raw

    ages = (("age", "age_band"),)
    if missing:  # the tables that are there are checked too: every problem at once
        present = {
            "caseload": (CASELOAD_COLUMNS, ages),
            "population": (POPULATION_COLUMNS, ()),
            "settings": (SETTINGS_COLUMNS, ()),
            "cost_assumptions": (COST_COLUMNS, ()),
            "sen_support": (SEN_SUPPORT_COLUMNS, ages),
            "setting_places": (SETTING_PLACES_COLUMNS, ()),
        }
        for name, (columns, groups) in present.items():
            if sources.get(name) is not None and name not in absent:
                try:
                    parse(name, columns, groups)
                except DataError as exc:
                    problems += exc.problems or [Problem(name, exc.summary)]
        raise_if(
            missing + problems,
            "input files are missing" + (" and tables are invalid" if problems else ""),
        )
    caseload, caseload_raw = parse("caseload", CASELOAD_COLUMNS, ages)
    population, population_raw = parse("population", POPULATION_COLUMNS)
    settings, settings_raw = parse("settings", SETTINGS_COLUMNS)
    costs, costs_raw = parse("cost_assumptions", COST_COLUMNS)
    sen_support = setting_places = None
    sen_raw = places_raw = None
    if sources.get("sen_support") is not None:
        sen_support, sen_raw = parse("sen_support", SEN_SUPPORT_COLUMNS, ages)
    if sources.get("setting_places") is not None:
        setting_places, places_raw = parse("setting_places", SETTING_PLACES_COLUMNS)
    flows = None
    flows_raw = None
    if (flows_source := sources.get("flows")) is not None:
        flows_raw = _read("flows", flows_source, files, raws)
        flows = check_flows(flows_raw, problems, scenario.data.number_formats.of("flows"))
    continuity = None
    if (continuity_source := sources.get("continuity")) is not None:
        continuity = check_continuity(
            _read("continuity", continuity_source, files, raws),
            problems,
            scenario.data.number_formats.of("continuity"),
        )
    band_tables = [n for n in ("funding_bands", "band_mix") if sources.get(n) is not None]
    if len(band_tables) == 1:
        other = "band_mix" if band_tables[0] == "funding_bands" else "funding_bands"
        problems.append(
            Problem(
                f"{origin}data.{band_tables[0]}",
                f"needs data.{other} too: band top-ups apply through each group's band mix",
            )
        )
    parsed_bands = (
        (
            *parse("funding_bands", FUNDING_BANDS_COLUMNS),
            *parse("band_mix", BAND_MIX_COLUMNS, (("share", "children"),)),
        )
        if len(band_tables) == 2
        else None
    )
    problems += same_rows_twice(raws, origin)
    raise_if(problems, "input tables are invalid")

    caseload = _with_bands(caseload, caseload_raw, problems)
    if sen_support is not None and sen_raw is not None:
        sen_support = _with_bands(sen_support, sen_raw, problems)
    # single ages read by band (a table mixing both): the rows' repeats would say it again
    raise_if(problems, "input tables are invalid")

    # --- one row per key in every table
    duplicate_keys(
        caseload,
        caseload_raw,
        ["year", "need", "age", "age_band", "setting"],
        problems,
        "year, need, age and setting",
    )
    if sen_support is not None and sen_raw is not None:
        by_setting = "setting" in sen_support
        duplicate_keys(
            sen_support,
            sen_raw,
            ["year", "need", "age", "age_band", *(["setting"] if by_setting else [])],
            problems,
            "year, need, age and setting" if by_setting else "year, need and age",
        )
    duplicate_keys(
        population,
        population_raw,
        ["year", "age"],
        problems,
        "year and age",
        # residents of one year and age twice are never to be added up
        "remove one (an estimate beside a projection of the same year: keep the estimate)",
    )
    # a setting, a year's costs or a year's places given twice: one is meant, not a sum
    duplicate_keys(
        settings,
        settings_raw,
        ["setting"],
        problems,
        "setting id",
        "remove one, or give the other setting its own id",
    )
    if "tier" not in costs:
        costs["tier"] = ""
    duplicate_keys(costs, costs_raw, ["year", "tier"], problems, "year and tier", "remove one")
    if setting_places is not None and places_raw is not None:
        duplicate_keys(
            setting_places,
            places_raw,
            ["setting", "year"],
            problems,
            "setting and year",
            "remove one (the places in force that year)",
        )

    # --- settings register
    ids = settings["setting"]
    for i in np.flatnonzero(ids.isin([*NOT_IN_SCHOOL, MARKET, MAINSTREAM]).to_numpy()):
        problems.append(
            Problem(settings_raw.where(int(i), "setting"), f"{ids.iloc[i]!r} is reserved")
        )
    for i in np.flatnonzero((settings["age_min"] > settings["age_max"]).to_numpy()):
        problems.append(
            Problem(settings_raw.where(int(i), "age_min"), "age_min is greater than age_max")
        )
    settings["name"] = settings["name"] if "name" in settings else settings["setting"]
    # a register naming no DS predates the code: its learning-difficulty settings meet DS
    settings["needs"] = pd.Series(
        taxonomy.with_down_syndrome(settings["needs"].tolist()), index=settings.index, dtype=object
    )
    default_funding = settings["tier"].astype(str).map(DEFAULT_PLACE_FUNDING).fillna(0.0)
    default_funding = default_funding.clip(upper=settings["cost_per_place"])
    given = settings["place_funding"] if "place_funding" in settings else default_funding * np.nan
    independent = (settings["tier"].astype(str) == "independent").to_numpy()
    over = (given > settings["cost_per_place"]).to_numpy() & ~independent
    settings["place_funding"] = given.astype(float).fillna(default_funding)
    for i in np.flatnonzero(over):
        problems.append(
            Problem(
                settings_raw.where(int(i), "place_funding"),
                f"place funding £{settings['place_funding'].iloc[i]:,.0f} is more than the "
                f"whole cost_per_place £{settings['cost_per_place'].iloc[i]:,.0f} it is part of",
            )
        )
    settings.loc[independent, "place_funding"] = 0.0  # an independent place is a fee
    # children on SEN support: mainstream, SEN support and partnership settings by default
    default_takes = settings["tier"].astype(str).isin(taxonomy.SEN_SUPPORT_TIERS)
    if "takes_sen_support" in settings:
        settings["takes_sen_support"] = settings["takes_sen_support"].astype(bool)
    else:
        settings["takes_sen_support"] = default_takes.to_numpy()
    check_categories(settings, settings_raw, problems)
    settings = with_categories(settings)
    settings["tier_number"] = settings["tier"].map(taxonomy.TIER_NUMBER).astype(int)
    settings["places"] = settings["places"].astype(float)
    known = set(ids)
    references = scenario_references(scenario, known, origin)
    bands = read_bands(*parsed_bands, settings, problems) if parsed_bands is not None else None

    # --- caseload
    unknown_settings = sorted(set(caseload["setting"]) - known - set(NOT_IN_SCHOOL))
    for s in unknown_settings[:20]:
        row = int(np.flatnonzero((caseload["setting"] == s).to_numpy())[0])
        problems.append(
            Problem(
                caseload_raw.where(row, "setting"),
                f"setting {s!r} is not in the settings register (nor one of "
                + ", ".join(NOT_IN_SCHOOL)
                + ")",
            )
        )
    sen_placements = None
    if sen_support is not None and sen_raw is not None and "setting" in sen_support:
        named = sen_support["setting"].fillna("").astype(str)
        for i in np.flatnonzero(((named != "") & ~named.isin(known)).to_numpy())[:20]:
            problems.append(
                Problem(
                    sen_raw.where(int(i), "setting"),
                    f"setting {named.iloc[i]!r} is not in the settings register "
                    "(leave it blank where not known)",
                )
            )
        at = (sen_support["year"].astype(int) == scenario.base_year) & (named != "")
        sen_placements = (
            sen_support[at.to_numpy()]
            .assign(
                need=lambda f: f["need"].astype(str), age_band=lambda f: f["age_band"].astype(str)
            )
            .groupby(["need", "age_band", "setting"])["children"]
            .sum()
            .reset_index()
        )
    years = sorted(caseload["year"].astype(int).unique())
    if scenario.base_year not in years:
        problems.append(
            Problem(
                caseload_raw.label,
                f"no rows for the base year {scenario.base_year}; years present: "
                + ", ".join(map(str, years)),
            )
        )
    single = not bool((caseload["age"] < 0).any())

    # --- setting places
    if setting_places is not None and places_raw is not None:
        for i in np.flatnonzero(~setting_places["setting"].isin(known).to_numpy()):
            problems.append(
                Problem(
                    places_raw.where(int(i), "setting"),
                    f"setting {setting_places['setting'].iloc[i]!r} is not in the register",
                )
            )
        setting_places["year"] = setting_places["year"].astype(int)
    else:
        setting_places = _no_place_changes()

    # --- population coverage
    first = scenario.forecast.history_start or min(years)
    needed_years = [y for y in years if y >= first] + scenario.plan_years
    population["year"] = population["year"].astype(int)
    population["age"] = population["age"].astype(int)
    have = set(zip(population["year"], population["age"], strict=True))
    gaps = sorted({y for y in needed_years for a in taxonomy.AGES if (y, a) not in have})
    if gaps:
        problems.append(
            Problem(
                files.get("population", ("population table",))[0],
                "no population for every age 0–25 in year(s) "
                + ", ".join(map(str, gaps))
                + " (needed for history and plan years)",
            )
        )
    population_as_read = population
    population = population.groupby(["year", "age"])["population"].sum().reset_index()
    population["age_band"] = taxonomy.age_band_of(population["age"].to_numpy())

    # --- cost assumptions coverage
    costs["year"] = costs["year"].astype(int)
    covered_all = set(costs.loc[costs["tier"] == "", "year"])
    gaps_cost = []
    for tier in taxonomy.TIERS:
        covered = covered_all | set(costs.loc[costs["tier"] == tier, "year"])
        gaps_cost += [y for y in scenario.plan_years if y not in covered]
    if gaps_cost:
        problems.append(
            Problem(
                files.get("cost_assumptions", ("cost_assumptions table",))[0],
                "no inflation rate for plan year(s) "
                + ", ".join(map(str, sorted(set(gaps_cost))))
                + " (add a row with a blank tier to cover every tier)",
            )
        )
    if problems:  # the scenario's own problems are reported beside the tables'
        raise_if(problems + references, "input tables are inconsistent")
    if references:
        raise ScenarioError("the scenario names settings the register does not have", references)

    caseload["year"] = caseload["year"].astype(int)
    counted = [("caseload", caseload, caseload_raw, "children")]
    if sen_support is not None and sen_raw is not None:
        sen_support["year"] = sen_support["year"].astype(int)
        counted.append(("sen_support", sen_support, sen_raw, "children"))
    counted.append(("population", population_as_read, population_raw, "population"))
    if flows is not None and flows_raw is not None:
        counted += flow_totals(flows, flows_raw)
    warn_implausible(caseload, caseload_raw, population_as_read, population_raw, counted)
    warn_implausible_money(scenario, settings, settings_raw)

    caseload = (
        caseload.groupby(["year", "need", "age", "age_band", "setting"], observed=True)["children"]
        .sum()
        .reset_index()
    )
    if sen_support is not None:
        sen_support["year"] = sen_support["year"].astype(int)
        sen_support = (
            sen_support.groupby(["year", "need", "age", "age_band"], observed=True)["children"]
            .sum()
            .reset_index()
        )
    log.info(
        "inputs: %d caseload rows, %d settings, years %s-%s",
        len(caseload),
        len(settings),
        years[0],
        years[-1],
    )
    return Inputs(
        caseload=caseload,
        population=population,
        settings=settings.reset_index(drop=True),
        cost_assumptions=costs,
        sen_support=sen_support,
        sen_support_placements=sen_placements,
        setting_places=setting_places,
        flows=tidy_flows(flows) if flows is not None else None,
        continuity=continuity,
        single_year_ages=single,
        files=files,
        funding_bands=bands,
    )
