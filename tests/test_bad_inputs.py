"""A catalogue of bad inputs: each is one thing wrong with the bundled example.

Every case copies the example (``sufficiency example``), spoils one scenario key or table
cell, and runs ``sufficiency run`` and ``sufficiency validate`` in-process. Both must exit 2
with one message that names the file and row or the YAML path, print no traceback and leave
no output folder: ``validate`` checks everything ``run`` checks before it solves.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sufficiency.cli import main
from sufficiency.data import tables as table_reader
from sufficiency.datasets import write_example

Mutate = Callable[[Path], None]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example, written once per module; cases work on copies."""
    return write_example(tmp_path_factory.mktemp("example") / "ashworth").parent


# --- ways to spoil the example -------------------------------------------------------------


def _scenario(folder: Path) -> Path:
    return folder / "scenario.yaml"


def append_yaml(text: str) -> Mutate:
    """Add lines to the end of scenario.yaml."""

    def mutate(folder: Path) -> None:
        path = _scenario(folder)
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def replace_yaml(old: str, new: str) -> Mutate:
    """Replace text in scenario.yaml (which must contain it)."""

    def mutate(folder: Path) -> None:
        path = _scenario(folder)
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def write_yaml(text: str | bytes) -> Mutate:
    """Replace scenario.yaml altogether."""

    def mutate(folder: Path) -> None:
        path = _scenario(folder)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return mutate


def set_keys(**values: Any) -> Mutate:
    """Set top-level sections of the scenario (dotted names as ``a__b``)."""

    def mutate(folder: Path) -> None:
        path = _scenario(folder)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, value in values.items():
            node = doc
            parts = key.split("__")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    return mutate


def read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / "data" / f"{table}.csv", dtype=str, keep_default_na=False)


def write(folder: Path, table: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / "data" / f"{table}.csv", index=False)


def set_cell(table: str, row: int, column: str, value: str) -> Mutate:
    """Set one cell; ``row`` counts as a spreadsheet does (header = row 1)."""

    def mutate(folder: Path) -> None:
        frame = read(folder, table)
        frame.loc[row - 2, column] = value
        write(folder, table, frame)

    return mutate


def repeat_row(table: str, row: int = 2, **changes: str) -> Mutate:
    """Insert a copy of ``row`` right below it (so it becomes row + 1), with ``changes``."""

    def mutate(folder: Path) -> None:
        frame = read(folder, table)
        i = row - 2
        copy = frame.iloc[[i]].assign(**changes)
        write(folder, table, pd.concat([frame.iloc[: i + 1], copy, frame.iloc[i + 1 :]]))

    return mutate


def with_copy_of_caseload_as_sen_support(folder: Path) -> None:
    """The caseload's children in registered settings only, copied under another name and
    given as SEN support too."""
    frame = read(folder, "caseload")
    frame = frame[frame["setting"].isin(read(folder, "settings")["setting"])]
    write(folder, "caseload", frame)
    write(folder, "copy", frame)
    replace_yaml("sen_support: data/sen_support.csv", "sen_support: data/copy.csv")(folder)


def with_a_row_by_band(folder: Path) -> None:
    """The caseload by single age, but for one more row given by age band only."""
    frame = read(folder, "caseload").assign(age_band="")
    extra = frame.iloc[[0]].assign(age="", age_band="20-25", setting="NEET", children="2")
    write(folder, "caseload", pd.concat([frame, extra]))


def separated_by(table: str, separator: str) -> Mutate:
    def mutate(folder: Path) -> None:
        read(folder, table).to_csv(folder / "data" / f"{table}.csv", index=False, sep=separator)

    return mutate


def column_twice(table: str, column: str, header: str) -> Mutate:
    """The table with a copy of ``column`` as its last column, headed ``header``."""

    def mutate(folder: Path) -> None:
        frame = read(folder, table)
        copy = frame[column].rename("__copy__")
        text = pd.concat([frame, copy], axis=1).to_csv(index=False)
        (folder / "data" / f"{table}.csv").write_text(text.replace("__copy__", header, 1))

    return mutate


def header_only(table: str) -> Mutate:
    def mutate(folder: Path) -> None:
        write(folder, table, read(folder, table).iloc[:0])

    return mutate


def drop_rows(table: str, column: str, value: str) -> Mutate:
    def mutate(folder: Path) -> None:
        frame = read(folder, table)
        write(folder, table, frame[frame[column] != value])

    return mutate


def drop_column(table: str, column: str) -> Mutate:
    def mutate(folder: Path) -> None:
        write(folder, table, read(folder, table).drop(columns=[column]))

    return mutate


def raw_bytes(table: str, content: bytes) -> Mutate:
    def mutate(folder: Path) -> None:
        (folder / "data" / f"{table}.csv").write_bytes(content)

    return mutate


def settings_as(name: str, content: bytes | None = None) -> Mutate:
    """The settings table given as ``data/<name>``: the CSV's own bytes renamed, or
    ``content``."""

    def mutate(folder: Path) -> None:
        replace_yaml("settings: data/settings.csv", f"settings: data/{name}")(folder)
        csv = folder / "data" / "settings.csv"
        (folder / "data" / name).write_bytes(csv.read_bytes() if content is None else content)

    return mutate


#: The first bytes of an Office 97-2003 compound file (an .xls, or an encrypted .xlsx).
COMPOUND_FILE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


def append_line(table: str, line: str) -> Mutate:
    def mutate(folder: Path) -> None:
        with (folder / "data" / f"{table}.csv").open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    return mutate


def both(*steps: Mutate) -> Mutate:
    def mutate(folder: Path) -> None:
        for step in steps:
            step(folder)

    return mutate


def with_bands(*steps: Mutate, mix: bool = True) -> Mutate:
    """Use the example's funding bands (and band mix) in the scenario, then ``steps``."""
    tables = "  funding_bands: data/funding_bands.csv\n" + (
        "  band_mix: data/band_mix.csv\n" if mix else ""
    )
    cost = "  cost_assumptions: data/cost_assumptions.csv\n"
    return both(replace_yaml(cost, cost + tables), *steps)


def band_shares(rows: list[tuple[str, str, str, str, float]]) -> Mutate:
    """band_mix.csv replaced by shares: ``(need, age_band, level, band, share)`` rows."""

    def mutate(folder: Path) -> None:
        columns = ["need", "age_band", "level", "band", "share"]
        write(folder, "band_mix", pd.DataFrame(rows, columns=columns))

    return mutate


#: Shares of every group at bands A-E (a catch-all row set: need, age band and level blank).
CATCH_ALL = [("", "", "", b, s) for b, s in zip("ABCDE", (0.2, 0.3, 0.3, 0.1, 0.1), strict=True)]


def settings_workbook_with_formulas(folder: Path) -> None:
    """settings.xlsx whose costs are formulas openpyxl saved without their values."""
    from openpyxl import Workbook

    frame = read(folder, "settings")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(frame.columns))
    cost = list(frame.columns).index("cost_per_place")
    for values in frame.itertuples(index=False):
        cells: list[Any] = [int(v) if v.isdigit() else v for v in values]
        cells[cost] = f"={cells[cost]}*1"
        sheet.append(cells)
    book.save(folder / "data" / "settings.xlsx")
    replace_yaml("settings: data/settings.csv", "settings: data/settings.xlsx")(folder)


def caseload_parquet_with_inf(folder: Path) -> None:
    frame = read(folder, "caseload")
    frame["children"] = frame["children"].astype(float)
    frame.loc[4, "children"] = float("inf")
    frame["year"] = frame["year"].astype(int)
    frame.to_parquet(folder / "data" / "caseload.parquet")
    replace_yaml("caseload: data/caseload.csv", "caseload: data/caseload.parquet")(folder)


def extends_parent(parent_text: str) -> Mutate:
    """The scenario becomes a child of ``parent.yaml`` (the example plus ``parent_text``)."""

    def mutate(folder: Path) -> None:
        path = _scenario(folder)
        (folder / "parent.yaml").write_text(
            path.read_text(encoding="utf-8") + parent_text, encoding="utf-8"
        )
        path.write_text("extends: parent.yaml\nname: child\n", encoding="utf-8")

    return mutate


def shrink(attribute: str, value: int) -> Callable[[pytest.MonkeyPatch], None]:
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(table_reader, attribute, value)

    return patch


ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it and what the message must say.

    Attributes:
        name: The test id.
        mutate: Spoils a copy of the example.
        expect: Substrings the one error message must contain (the location among them).
        args: Extra command-line arguments (e.g. ``--set``).
        patch: Changes a limit for the case (e.g. the largest file read).
    """

    name: str
    mutate: Mutate
    expect: tuple[str, ...]
    args: tuple[str, ...] = ()
    patch: Callable[[pytest.MonkeyPatch], None] | None = field(default=None)


YAML = "scenario.yaml"

CASES = [
    # levers: one setting changed twice from one year (the last would win, silently)
    Case(
        "levers-setting-change-given-twice",
        append_yaml(
            "levers:\n  settings:\n"
            "    - {setting: SPEC01, places: 40, from_year: 2027}\n"
            "    - {setting: SPEC01, places: 60, from_year: 2027}\n"
        ),
        (f"{YAML}: levers.settings", "entry 1 repeats entry 0", "40 then 60 places"),
    ),
    # YAML: keys given twice, aliases, unsafe tags, non-finite numbers, syntax
    Case(
        "yaml-duplicate-top-level-key",
        append_yaml("base_year: 2024\n"),
        (f"{YAML}: base_year, line 33", "duplicate key 'base_year': first given on line 21"),
    ),
    Case(
        "yaml-duplicate-nested-key",
        replace_yaml("  solver: auto\n", "  solver: auto\n  solver: highs\n"),
        (f"{YAML}: allocation.solver, line 31", "duplicate key 'solver': first given on line 30"),
    ),
    Case(
        "yaml-duplicate-year-in-flow-mapping",
        append_yaml("levers:\n  budget: {gbp_by_year: {2026: 9.0e7, 2026: 1.0e8}}\n"),
        (
            f"{YAML}: levers.budget.gbp_by_year.2026, line 34",
            "duplicate key 2026: first given on line 34",
        ),
    ),
    Case(
        "yaml-duplicate-key-int-and-string",
        append_yaml("levers:\n  budget:\n    gbp_by_year:\n      2026: 9.0e7\n      '2026': 1\n"),
        (
            f"{YAML}: levers.budget.gbp_by_year.2026, line 37",
            "duplicate key '2026': first given on line 36",
        ),
    ),
    Case(
        "yaml-alias-bomb-in-description",
        write_yaml(ALIAS_BOMB + "name: x\ndescription: *i\n"),
        (f"{YAML}, line", "YAML aliases (*a) are not accepted"),
    ),
    Case(
        "yaml-alias-bomb-in-override",
        append_yaml("overrides:\n  boom:\n    description: *i\n" + ALIAS_BOMB),
        (f"{YAML}, line 35", "YAML aliases (*i) are not accepted"),
    ),
    Case(
        "yaml-simple-alias",
        replace_yaml("horizon_years: 10", "horizon_years: &h 10\nseed: *h"),
        (f"{YAML}, line 23", "YAML aliases (*h)"),
    ),
    Case(
        "yaml-merge-key",
        append_yaml("overrides:\n  a: &base {seed: 1}\n  b:\n    <<: *base\n"),
        (f"{YAML}, line 36", "aliases"),
    ),
    Case(
        "yaml-python-object-tag",
        append_yaml('seed: !!python/object/apply:os.system ["true"]\n'),
        (f"{YAML}, line 33", "python/object/apply:os.system"),
    ),
    Case(
        "yaml-nan-budget",
        append_yaml("levers:\n  budget: {gbp_by_year: {2026: .nan}}\n"),
        (f"{YAML}: levers.budget.gbp_by_year.2026, line 34", "'.nan' is not a finite number"),
    ),
    Case(
        "yaml-inf-unmet-penalty",
        replace_yaml("unmet_penalty_gbp: 1000000", "unmet_penalty_gbp: .inf"),
        (f"{YAML}: allocation.unmet_penalty_gbp, line 31", "'.inf' is not a finite number"),
    ),
    Case(
        "yaml-negative-inf-time-limit",
        replace_yaml("time_limit_seconds: 60", "time_limit_seconds: -.Inf"),
        (f"{YAML}: allocation.time_limit_seconds, line 32", "not a finite number"),
    ),
    Case(
        "yaml-syntax-error",
        append_yaml("seed: [1, 2\n"),
        (f"{YAML}, line", "expected ',' or ']'"),
    ),
    Case(
        "yaml-tab-indentation",
        replace_yaml("  solver: auto", "\tsolver: auto"),
        (f"{YAML}, line 30", "tab"),
    ),
    Case(
        "yaml-top-level-list",
        write_yaml("- name: x\n- base_year: 2025\n"),
        (YAML, "found a list at the top level"),
    ),
    Case(
        # Windows-1252 (Notepad's "ANSI") is read as saved: the scenario's own problems show
        "yaml-in-windows-1252-is-read",
        write_yaml(b"name: caf\xe9\n"),
        (YAML, "data: required key is missing"),
    ),
    Case(
        "yaml-not-text",
        write_yaml(b"name: caf\x81\n"),
        (YAML, "cannot read scenario file", "not text in UTF-8, UTF-16 or Windows-1252"),
    ),
    Case(
        "yaml-empty-file",
        write_yaml(""),
        (f"{YAML}: name", "required key is missing"),
    ),
    Case(
        "yaml-too-large",
        append_yaml("# " + "x" * 1_100_000 + "\n"),
        (YAML, "limited to 1,000,000 bytes"),
    ),
    # unknown keys: suggestions and the keys accepted where the typo is
    Case(
        "yaml-unknown-top-level-key",
        replace_yaml("horizon_years:", "horizon_yeras:"),
        (f"{YAML}: horizon_yeras", "did you mean 'horizon_years'", "accepted keys here: name"),
    ),
    Case(
        "yaml-unknown-key-in-optional-section",
        append_yaml("levers:\n  out_of_area: {reduce_byy: 0.3, by_year: 2030}\n"),
        (
            f"{YAML}: levers.out_of_area.reduce_byy",
            "did you mean 'reduce_by'",
            "accepted keys here: reduce_by, by_year",
        ),
    ),
    Case(
        "yaml-unknown-key-in-list-item",
        append_yaml(
            "levers:\n  inclusion:\n    - {from_level: special_school, to_level: "
            "enhanced_resource, sharee: 0.1, from_year: 2027}\n"
        ),
        (
            f"{YAML}: levers.inclusion.0.sharee",
            "did you mean 'share'",
            "accepted keys here: needs, age_bands, from_level",
        ),
    ),
    Case(
        "yaml-unknown-key-in-capital-creates",
        append_yaml(
            "capital:\n  options:\n    - name: new_ss\n      places: 40\n"
            "      earliest_year: 2028\n      capital_cost_gbp: 1.0e7\n"
            "      cost_per_place_gbp: 30000\n"
            "      creates: {tierr: special_school, age_min: 5, age_max: 16}\n"
        ),
        (f"{YAML}: capital.options.0.creates.tierr", "accepted keys here: tier, in_area"),
    ),
    Case(
        "yaml-unknown-number-format-table",
        replace_yaml(
            "  cost_assumptions: data/cost_assumptions.csv\n",
            "  cost_assumptions: data/cost_assumptions.csv\n"
            "  number_formats: {setings: {decimal: ','}}\n",
        ),
        (f"{YAML}: data.number_formats.setings", "did you mean 'settings'"),
    ),
    Case(
        "yaml-number-format-same-separators",
        replace_yaml(
            "  cost_assumptions: data/cost_assumptions.csv\n",
            "  cost_assumptions: data/cost_assumptions.csv\n"
            "  number_formats: {settings: {decimal: ',', thousands: ','}}\n",
        ),
        (f"{YAML}: data.number_formats.settings", "separators must differ"),
    ),
    # extends: the parent file is named for what is wrong in it
    Case(
        "extends-parent-typo",
        extends_parent("seeed: 4\n"),
        ("parent.yaml: seeed", "did you mean 'seed'"),
    ),
    Case(
        "extends-parent-bad-value",
        extends_parent("levers:\n  budget: {gbp_by_year: {2026: -5}}\n"),
        ("parent.yaml: levers.budget.gbp_by_year.2026", "greater than 0"),
    ),
    Case(
        "extends-missing-parent",
        write_yaml("extends: parnt.yaml\nname: child\n"),
        (f"{YAML}: extends", "'parnt.yaml'", "does not exist"),
    ),
    Case(
        "extends-parent-is-directory",
        write_yaml("extends: data\nname: child\n"),
        (f"{YAML}: extends", "is a directory"),
    ),
    Case(
        "extends-loop",
        write_yaml("extends: scenario.yaml\nname: x\n"),
        ("extend each other in a loop",),
    ),
    # money and limits in the scenario
    Case(
        "negative-hard-budget",
        append_yaml("levers:\n  budget: {gbp_by_year: {2026: -1000000}}\n"),
        (f"{YAML}: levers.budget.gbp_by_year.2026", "greater than 0", "-1000000"),
    ),
    Case(
        "zero-base-budget",
        append_yaml("levers:\n  budget: {base_gbp: 0}\n"),
        (f"{YAML}: levers.budget.base_gbp", "greater than 0"),
    ),
    Case(
        "zero-market-fee",
        replace_yaml(
            "  solver: auto\n",
            "  solver: auto\n  market: {prices: [{fee_per_place_gbp: 0, "
            "transport_per_place_gbp: 0}]}\n",
        ),
        (f"{YAML}: allocation.market.prices.0.fee_per_place_gbp", "greater than 0"),
    ),
    Case(
        "negative-market-transport",
        replace_yaml(
            "  solver: auto\n",
            "  solver: auto\n  market: {prices: [{fee_per_place_gbp: 70000, "
            "transport_per_place_gbp: -1}]}\n",
        ),
        (f"{YAML}: allocation.market.prices.0.transport_per_place_gbp", "greater than or equal"),
    ),
    Case(
        "market-without-catch-all-price",
        replace_yaml(
            "  solver: auto\n",
            "  solver: auto\n  market: {prices: [{level: independent, fee_per_place_gbp: 70000, "
            "transport_per_place_gbp: 0}]}\n",
        ),
        (f"{YAML}: allocation.market", "catch-all row"),
    ),
    Case(
        "removed-spot-purchase",
        replace_yaml(
            "  solver: auto\n", "  solver: auto\n  spot_purchase: {cost_per_place_gbp: 90000}\n"
        ),
        (f"{YAML}: allocation", "'spot_purchase' was removed"),
    ),
    Case(
        "removed-hard-budget-mode",
        append_yaml("levers:\n  budget: {base_gbp: 76000000, mode: hard}\n"),
        (f"{YAML}: levers.budget", "'mode' was removed"),
    ),
    Case(
        "other-arrangements-cost-non-finite",
        replace_yaml(
            "  solver: auto\n", "  solver: auto\n  not_in_school: {other_arrangements_gbp: .inf}\n"
        ),
        ("allocation.not_in_school.other_arrangements_gbp",),
    ),
    Case(
        "absurd-unmet-penalty",
        replace_yaml("unmet_penalty_gbp: 1000000", "unmet_penalty_gbp: 1.0e15"),
        (f"{YAML}: allocation.unmet_penalty_gbp", "less than or equal to 1000000000"),
    ),
    Case(
        "negative-capital-running-cost",
        append_yaml(
            "capital:\n  options:\n    - {name: x, expands: SS01, places: 10, "
            "earliest_year: 2028, capital_cost_gbp: 1.0e6, cost_per_place_gbp: -5}\n"
        ),
        (f"{YAML}: capital.options.0.cost_per_place_gbp", "greater than 0"),
    ),
    Case(
        "negative-capital-budget-by-year",
        append_yaml("capital:\n  budget_by_year_gbp: {2028: -1.0e6}\n"),
        (f"{YAML}: capital.budget_by_year_gbp.2028", "greater than or equal to 0"),
    ),
    Case(
        "set-non-finite-value",
        lambda folder: None,
        ("--set allocation.time_limit_seconds", "'.nan' is not a finite number"),
        args=("--set", "allocation.time_limit_seconds=.nan"),
    ),
    Case(
        "set-alias",
        lambda folder: None,
        ("--set seed", "aliases"),
        args=("--set", "seed=*x"),
    ),
    # names the scenario uses that the register does not have (checked before solving)
    Case(
        "lever-unknown-setting",
        append_yaml("levers:\n  settings: [{setting: NOPE01, places: 10, from_year: 2027}]\n"),
        (f"{YAML}: levers.settings[0].setting", "'NOPE01' is not in the settings register"),
    ),
    Case(
        "capital-expands-unknown-setting",
        append_yaml(
            "capital:\n  options:\n    - {name: x, expands: NOPE01, places: 10, "
            "earliest_year: 2028, capital_cost_gbp: 1.0e6, cost_per_place_gbp: 20000}\n"
        ),
        (f"{YAML}: capital.options[0].expands", "'NOPE01' is not in the settings register"),
    ),
    Case(
        "capital-option-named-like-a-setting",
        append_yaml(
            "capital:\n  options:\n    - {name: MAIN01, expands: SENS03, places: 10, "
            "earliest_year: 2028, capital_cost_gbp: 1.0e6, cost_per_place_gbp: 20000}\n"
        ),
        (f"{YAML}: capital.options[0].name", "'MAIN01' is already a setting id"),
    ),
    Case(
        "market-id-taken",
        set_cell("settings", 68, "setting", "MARKET"),
        ("settings.csv", "'MARKET' is reserved"),
    ),
    # the files the scenario names
    Case(
        "scenario-data-path-is-directory",
        replace_yaml("caseload: data/caseload.csv", "caseload: data"),
        (f"{YAML}: data.caseload", "is a directory, not a table"),
    ),
    Case(
        "scenario-data-path-missing",
        replace_yaml("population: data/population.csv", "population: data/populaton.csv"),
        (f"{YAML}: data.population", "file not found", "populaton.csv"),
    ),
    Case(
        "scenario-data-path-unknown-type",
        replace_yaml("settings: data/settings.csv", "settings: scenario.yaml"),
        ("scenario.yaml: unknown file type '.yaml'",),
    ),
    # one file (or a copy of it) given for two tables: read twice, its rows would count twice
    Case(
        "caseload-given-as-sen-support-too",
        replace_yaml("sen_support: data/sen_support.csv", "sen_support: data/caseload.csv"),
        (
            "scenario.yaml: data.caseload and data.sen_support",
            "caseload.csv) is given for two tables",
        ),
    ),
    Case(
        "settings-given-as-setting-places-too",
        replace_yaml(
            "setting_places: data/setting_places.csv", "setting_places: ./data/settings.csv"
        ),
        ("data.settings and data.setting_places", "settings.csv) is given for two tables"),
    ),
    Case(
        # a caseload with every child in a registered setting reads as SEN support: only the
        # rows being the same tells the copy apart
        "caseload-copy-given-as-sen-support",
        with_copy_of_caseload_as_sen_support,
        (
            "scenario.yaml: data.caseload and data.sen_support",
            "caseload.csv and",
            "copy.csv hold the same rows",
        ),
    ),
    Case(
        # read by band because of one row by band: single ages of one band clash
        "caseload-single-ages-beside-a-row-by-band",
        with_a_row_by_band,
        (
            "caseload.csv: row 8 (age 10) and row 2 (age 8) fall in one age band (year 2016, "
            "need SPLD, setting SENS03, age_band 5-10)",
            "row 9034 gives an age band only",
            "give every row its age, or add the ages of each band up",
        ),
    ),
    # a CSV saved with another separator (Excel in a language with a decimal comma)
    Case(
        "settings-separated-by-semicolons",
        separated_by("settings", ";"),
        ("settings.csv: the columns are separated by semicolons, not commas", "CSV UTF-8"),
    ),
    Case(
        "caseload-separated-by-tabs",
        separated_by("caseload", "\t"),
        ("caseload.csv: the columns are separated by tabs, not commas", "CSV UTF-8"),
    ),
    # one column given twice: which one counts is not ours to guess
    Case(
        "caseload-children-column-twice",
        column_twice("caseload", "children", "children"),
        ("caseload.csv: the column 'children' is given twice (columns E and F)",),
    ),
    Case(
        "settings-places-column-twice-in-other-case",
        column_twice("settings", "places", " Places "),
        ("settings.csv: the column 'places' is given twice (columns E and",),
    ),
    # tables: repeated keys name both rows
    Case(
        "caseload-repeated-row",
        repeat_row("caseload"),
        ("caseload.csv, row 3", "repeats row 2", "year 2016, need SPLD, age 8, setting SENS03"),
    ),
    Case(
        "caseload-repeated-under-another-label",
        repeat_row("caseload", need="Specific learning difficulty"),
        ("caseload.csv, row 3", "repeats row 2"),
    ),
    Case(
        "population-repeated-row",
        repeat_row("population", 5),
        # residents are never added up: the advice is to keep one
        (
            "population.csv, row 6",
            "repeats row 5",
            "year 2016, age 3",
            "remove one (an estimate beside a projection of the same year: keep the estimate)",
        ),
    ),
    Case(
        "settings-repeated-id",
        repeat_row("settings", 13, name="Another name"),
        ("settings.csv, row 14", "repeats row 13", "setting SENS03", "its own id"),
    ),
    Case(
        "cost-assumptions-repeated-year-and-tier",
        repeat_row("cost_assumptions", 3, inflation="0.09"),
        ("cost_assumptions.csv, row 4", "repeats row 3", "tier independent", "once: remove one"),
    ),
    Case(
        "sen-support-repeated-row",
        repeat_row("sen_support", 2, children="7"),
        ("sen_support.csv, row 3", "repeats row 2"),
    ),
    Case(
        "setting-places-repeated-row",
        repeat_row("setting_places", 2, places="4"),
        ("setting_places.csv, row 3", "repeats row 2", "setting ERP03, year 2027"),
    ),
    # tables: number formats
    Case(
        "caseload-decimal-comma",
        set_cell("caseload", 5, "children", "1,5"),
        ("caseload.csv, row 5, column 'children'", "'1,5' is written with a decimal comma"),
    ),
    Case(
        "settings-european-money",
        set_cell("settings", 13, "cost_per_place", "29.610,00"),
        ("settings.csv, row 13, column 'cost_per_place'", "decimal comma", "number_formats"),
    ),
    Case(
        "inflation-decimal-comma",
        set_cell("cost_assumptions", 2, "inflation", "0,035"),
        ("cost_assumptions.csv, row 2, column 'inflation'", "decimal comma"),
    ),
    Case(
        "settings-ambiguous-separators",
        both(
            set_cell("settings", 13, "cost_per_place", "29,610"),
            set_cell("settings", 14, "cost_per_place", "12.500"),
        ),
        ("settings.csv, row 13, column 'cost_per_place'", "ambiguous", "row 14"),
    ),
    Case(
        "declared-decimal-comma-but-decimal-point",
        both(
            replace_yaml(
                "  cost_assumptions: data/cost_assumptions.csv\n",
                "  cost_assumptions: data/cost_assumptions.csv\n"
                "  number_formats: {cost_assumptions: {decimal: ','}}\n",
            ),
            set_cell("cost_assumptions", 2, "inflation", "0.035"),
        ),
        ("cost_assumptions.csv, row 2, column 'inflation'", "declares a decimal comma"),
    ),
    Case(
        "caseload-thousands-in-wrong-places",
        set_cell("caseload", 5, "children", "1,23,4"),
        ("caseload.csv, row 5, column 'children'", "not a number: '1,23,4'"),
    ),
    # tables: non-finite, negative, zero and absurd numbers
    Case(
        "caseload-inf-children",
        set_cell("caseload", 7, "children", "inf"),
        ("caseload.csv, row 7, column 'children'", "not a finite number"),
    ),
    Case(
        "caseload-nan-children",
        set_cell("caseload", 7, "children", "NaN"),
        ("caseload.csv, row 7, column 'children'", "not a finite number"),
    ),
    Case(
        "caseload-million-children",
        set_cell("caseload", 7, "children", "1e6"),
        ("caseload.csv, row 7, column 'children'", "above the maximum 100,000"),
    ),
    Case(
        "caseload-negative-children",
        set_cell("caseload", 7, "children", "-3"),
        ("caseload.csv, row 7, column 'children'", "below the minimum 0"),
    ),
    Case(
        "caseload-parquet-inf",
        caseload_parquet_with_inf,
        ("caseload.parquet, row 6, column 'children'", "not a finite number"),
    ),
    Case(
        "population-negative",
        set_cell("population", 9, "population", "-4160"),
        ("population.csv, row 9, column 'population'", "below the minimum 0"),
    ),
    Case(
        "population-infinity",
        set_cell("population", 9, "population", "Infinity"),
        ("population.csv, row 9, column 'population'", "not a finite number"),
    ),
    Case(
        "population-yaml-nan",
        set_cell("population", 9, "population", ".nan"),
        ("population.csv, row 9, column 'population'", "not a number: '.nan'"),
    ),
    Case(
        "settings-negative-places",
        set_cell("settings", 27, "places", "-15"),
        ("settings.csv, row 27, column 'places'", "below the minimum 0"),
    ),
    Case(
        "settings-inf-places",
        set_cell("settings", 27, "places", "inf"),
        ("settings.csv, row 27, column 'places'", "not a finite number"),
    ),
    Case(
        "settings-absurd-places",
        set_cell("settings", 27, "places", "1000000000"),
        ("settings.csv, row 27, column 'places'", "above the maximum 100,000"),
    ),
    Case(
        "settings-fractional-places",
        set_cell("settings", 27, "places", "15.5"),
        ("settings.csv, row 27, column 'places'", "not a whole number"),
    ),
    Case(
        "settings-negative-cost",
        set_cell("settings", 27, "cost_per_place", "-18730"),
        ("settings.csv, row 27, column 'cost_per_place'", "below the minimum 0"),
    ),
    Case(
        "settings-nan-cost",
        set_cell("settings", 27, "cost_per_place", "nan"),
        ("settings.csv, row 27, column 'cost_per_place'", "not a finite number"),
    ),
    Case(
        "settings-absurd-cost",
        set_cell("settings", 27, "cost_per_place", "2.5e9"),
        ("settings.csv, row 27, column 'cost_per_place'", "above the maximum 5,000,000"),
    ),
    Case(
        "settings-negative-transport",
        set_cell("settings", 27, "transport_per_place", "-1"),
        ("settings.csv, row 27, column 'transport_per_place'", "below the minimum 0"),
    ),
    Case(
        "setting-places-negative",
        set_cell("setting_places", 3, "places", "-13"),
        ("setting_places.csv, row 3, column 'places'", "below the minimum 0"),
    ),
    Case(
        "inflation-percent-sign",
        set_cell("cost_assumptions", 2, "inflation", "3.5%"),
        ("cost_assumptions.csv, row 2, column 'inflation'", "not a number: '3.5%'"),
    ),
    Case(
        "inflation-as-percent",
        set_cell("cost_assumptions", 2, "inflation", "3.5"),
        ("cost_assumptions.csv, row 2, column 'inflation'", "above the maximum 1"),
    ),
    Case(
        "caseload-fractional-year",
        set_cell("caseload", 4, "year", "2016.5"),
        ("caseload.csv, row 4, column 'year'", "not a whole number"),
    ),
    Case(
        "caseload-age-out-of-range",
        set_cell("caseload", 4, "age", "30"),
        ("caseload.csv, row 4, column 'age'", "above the maximum 25"),
    ),
    # tables: empty, missing, unreadable, too large
    Case(
        "caseload-header-only",
        header_only("caseload"),
        ("caseload.csv", "header but no rows"),
    ),
    Case(
        "population-header-only",
        header_only("population"),
        ("population.csv", "header but no rows"),
    ),
    Case(
        "settings-header-only",
        header_only("settings"),
        ("settings.csv", "header but no rows"),
    ),
    Case(
        "cost-assumptions-header-only",
        header_only("cost_assumptions"),
        ("cost_assumptions.csv", "header but no rows"),
    ),
    Case(
        "sen-support-header-only",
        header_only("sen_support"),
        ("sen_support.csv", "header but no rows"),
    ),
    Case(
        "settings-csv-renamed-as-a-workbook",
        settings_as("settings.xlsx"),
        ("settings.xlsx: the file is not an Excel workbook", "rename it .csv"),
    ),
    Case(
        # a workbook with a password to open it is an encrypted compound file, not a zip
        "settings-workbook-with-a-password",
        settings_as("settings.xlsx", COMPOUND_FILE),
        ("settings.xlsx: the workbook is protected by a password", "remove the password"),
    ),
    Case(
        # a spreadsheet's totals row left in: said so, not "unknown need; accepted: …"
        "caseload-with-a-totals-row",
        append_line("caseload", "2025,Total,,,3300"),
        ("caseload.csv, row", "column 'need': 'Total' makes a totals row: remove it"),
    ),
    Case(
        "caseload-empty-file",
        raw_bytes("caseload", b""),
        ("caseload.csv: the file is empty (0 bytes)", "header line and at least one row"),
    ),
    Case(
        # Excel's old format: pandas would ask for a package to install; the user's fix is
        # to save it again
        "settings-as-an-excel-97-2003-workbook",
        settings_as("settings.xls", COMPOUND_FILE),
        ("settings.xls: an Excel 97-2003 workbook (.xls) is not read here", "(.xlsx)"),
    ),
    Case(
        "caseload-binary-garbage",
        raw_bytes("caseload", bytes(range(256)) * 4),
        ("caseload.csv: cannot read the table",),
    ),
    Case(
        "caseload-missing-column",
        drop_column("caseload", "children"),
        ("caseload.csv", "missing column(s): children"),
    ),
    Case(
        "caseload-too-large",
        lambda folder: None,
        ("caseload.csv", "limited to 0 MB"),
        patch=shrink("MAX_FILE_BYTES", 100_000),
    ),
    Case(
        "caseload-too-many-rows",
        lambda folder: None,
        ("caseload.csv", "more than 5,000 rows"),
        patch=shrink("MAX_ROWS", 5_000),
    ),
    Case(
        "settings-workbook-formulas-without-values",
        settings_workbook_with_formulas,
        ("settings.xlsx", "formulas without saved values", "cells I2, I3"),
    ),
    # tables: labels and references
    Case(
        "caseload-unknown-need",
        set_cell("caseload", 6, "need", "Dragon riding"),
        ("caseload.csv, row 6, column 'need'", "unknown need 'Dragon riding'"),
    ),
    Case(
        "caseload-unknown-setting",
        set_cell("caseload", 6, "setting", "NOPE01"),
        ("caseload.csv, row 6, column 'setting'", "'NOPE01' is not in the settings register"),
    ),
    Case(
        "caseload-no-base-year",
        drop_rows("caseload", "year", "2025"),
        ("caseload.csv", "no rows for the base year 2025"),
    ),
    Case(
        "population-missing-plan-year",
        drop_rows("population", "year", "2031"),
        ("population.csv", "no population for every age 0–25 in year(s) 2031"),
    ),
    Case(
        "cost-assumptions-missing-plan-year",
        drop_rows("cost_assumptions", "year", "2030"),
        ("cost_assumptions.csv", "no inflation rate for plan year(s) 2030"),
    ),
    Case(
        "settings-ages-reversed",
        set_cell("settings", 27, "age_min", "12"),
        ("settings.csv, row 27, column 'age_min'", "age_min is greater than age_max"),
    ),
    Case(
        "settings-in-area-unclear",
        set_cell("settings", 27, "in_area", "maybe"),
        ("settings.csv, row 27, column 'in_area'", "expected yes or no"),
    ),
    Case(
        "settings-unknown-tier",
        set_cell("settings", 27, "tier", "tier 9"),
        ("settings.csv, row 27, column 'tier'", "unknown tier 'tier 9'"),
    ),
    Case(
        "settings-reserved-id",
        set_cell("settings", 27, "setting", "NOT_PLACED"),
        ("settings.csv, row 27, column 'setting'", "'NOT_PLACED' is reserved"),
    ),
    Case(
        "setting-places-unknown-setting",
        set_cell("setting_places", 3, "setting", "NOPE01"),
        ("setting_places.csv, row 3, column 'setting'", "'NOPE01' is not in the register"),
    ),
    Case(
        "data-path-with-nul-character",
        replace_yaml("caseload: data/caseload.csv", 'caseload: "data/case\\u0000load.csv"'),
        (f"{YAML}: data.caseload", "file not found"),
    ),
    # funding bands (optional tables, given together)
    Case(
        "funding-bands-negative-top-up",
        with_bands(set_cell("funding_bands", 3, "top_up_per_place_gbp", "-6000")),
        ("funding_bands.csv, row 3, column 'top_up_per_place_gbp'", "below the minimum 0"),
    ),
    Case(
        "funding-bands-zero-top-up",
        with_bands(set_cell("funding_bands", 3, "top_up_per_place_gbp", "0")),
        ("funding_bands.csv, row 3, column 'top_up_per_place_gbp'", "must be above £0"),
    ),
    Case(
        "funding-bands-nan-top-up",
        with_bands(set_cell("funding_bands", 4, "top_up_per_place_gbp", "nan")),
        ("funding_bands.csv, row 4, column 'top_up_per_place_gbp'", "not a finite number"),
    ),
    Case(
        "funding-bands-inf-top-up",
        with_bands(set_cell("funding_bands", 4, "top_up_per_place_gbp", "inf")),
        ("funding_bands.csv, row 4, column 'top_up_per_place_gbp'", "not a finite number"),
    ),
    Case(
        "funding-bands-unknown-tier",
        with_bands(set_cell("funding_bands", 7, "tier", "special_skool")),
        ("funding_bands.csv, row 7, column 'tier'", "unknown tier 'special_skool'"),
    ),
    Case(
        "funding-bands-independent-tier",
        with_bands(set_cell("funding_bands", 7, "tier", "special_school;independent")),
        ("funding_bands.csv, row 7, column 'tier'", "paid as fees, not top-ups"),
    ),
    Case(
        "funding-bands-unknown-setting",
        with_bands(set_cell("funding_bands", 12, "setting", "SPEC99")),
        ("funding_bands.csv, row 12, column 'setting'", "'SPEC99' is not in the settings"),
    ),
    Case(
        "funding-bands-tier-and-setting",
        with_bands(set_cell("funding_bands", 12, "tier", "special_school")),
        ("funding_bands.csv, row 12, column 'tier'", "not both"),
    ),
    Case(
        "funding-bands-repeated-band",
        with_bands(repeat_row("funding_bands", 8, top_up_per_place_gbp="17000")),
        ("funding_bands.csv, row 9", "repeats row 8 (band B, tier special_school)"),
    ),
    Case(
        "funding-bands-scale-misses-a-band",
        with_bands(drop_rows("funding_bands", "top_up_per_place_gbp", "42000")),
        ("funding_bands.csv, row 12, column 'band'", "setting SPEC11 has no top-up for band(s) E"),
    ),
    Case(
        "funding-bands-without-band-mix",
        with_bands(mix=False),
        (f"{YAML}: data.funding_bands", "needs data.band_mix too"),
    ),
    Case(
        "band-mix-unknown-band",
        with_bands(set_cell("band_mix", 3, "band", "F")),
        ("band_mix.csv, row 3, column 'band'", "unknown band 'F'"),
    ),
    Case(
        "band-mix-repeated-row",
        with_bands(repeat_row("band_mix", 2)),
        ("band_mix.csv, row 3", "repeats row 2 (need ASD, age_band 0-4, level sen_support, band"),
    ),
    Case(
        "band-mix-negative-children",
        with_bands(set_cell("band_mix", 5, "children", "-2")),
        ("band_mix.csv, row 5, column 'children'", "below the minimum 0"),
    ),
    Case(
        "band-mix-unknown-level",
        with_bands(set_cell("band_mix", 5, "level", "tier 9")),
        ("band_mix.csv, row 5, column 'level'", "unknown tier 'tier 9'"),
    ),
    Case(
        "band-mix-children-without-age-band",
        with_bands(drop_column("band_mix", "age_band")),
        ("band_mix.csv", "missing column(s): age_band; base-year children per band need"),
    ),
    Case(
        "band-mix-share-and-children",
        with_bands(
            band_shares(CATCH_ALL),
            lambda folder: write(folder, "band_mix", read(folder, "band_mix").assign(children="3")),
        ),
        ("band_mix.csv", "give either a share or a children column, not both"),
    ),
    Case(
        "band-mix-shares-do-not-sum-to-one",
        with_bands(band_shares([*CATCH_ALL[:4], ("", "", "", "E", 0.05)])),
        ("band_mix.csv, row 2, column 'share'", "summing to 0.95", "within 0.001"),
    ),
    Case(
        "band-mix-shares-of-one-group-do-not-sum-to-one",
        with_bands(
            band_shares(
                [("ASD", "", "special_school", b, x + 0.01) for *_, b, x in CATCH_ALL] + CATCH_ALL
            )
        ),
        ("band_mix.csv, row 2, column 'share'", "need ASD, level special_school", "1.05"),
    ),
    Case(
        "band-mix-shares-miss-groups",
        with_bands(band_shares([("ASD", "", "special_school", b, s) for *_, b, s in CATCH_ALL])),
        ("band_mix.csv", "no band mix for need SPLD, age band 0-4, level mainstream"),
    ),
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(
    case: Case,
    pristine: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "scenario"
    shutil.copytree(pristine, folder)
    case.mutate(folder)
    if case.patch is not None:
        case.patch(monkeypatch)
    scenario = str(_scenario(folder))
    out = tmp_path / "out"
    before = sorted(p.name for p in folder.rglob("*"))
    for argv in (
        ["--quiet", "validate", scenario, *case.args],
        ["--quiet", "run", scenario, "--out", str(out), *case.args],
    ):
        started = time.perf_counter()
        code, err = _run(argv, capsys)
        assert time.perf_counter() - started < 10, "refused too slowly"
        assert code == 2, err
        assert "Traceback" not in err
        assert err.startswith("error: "), err
        assert sum(line.startswith("error: ") for line in err.splitlines()) == 1, err
        for text in case.expect:
            assert text in err, f"{text!r} not in {err!r}"
    assert not out.exists(), "a failed run must leave no output folder"
    assert sorted(p.name for p in folder.rglob("*")) == before, "a failed run wrote into inputs"


def test_catalogue_is_large() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def test_pristine_example_is_valid(pristine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The cases fail because of what they change, not because the example is broken."""
    code, err = _run(["--quiet", "validate", str(_scenario(pristine))], capsys)
    assert code == 0, err
