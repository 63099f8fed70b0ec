"""Reader of a whole DfE EHC plan release: stock by age, need and placement, and the flows.

The DfE's "Education, health and care plans" release (reporting year 2025 on) publishes,
per local authority, the stock at January (``caseload.csv``, and by primary need
``sen_needs_all_plans.csv``) and the flows of the previous calendar year: requests for
assessment (``requests.csv``), assessments (``assessments.csv``), new plans
(``newplans.csv``, and by need ``sen_need_newplans.csv``) and ceased plans
(``ceased_plans.csv``). Each file breaks its counts down by ``breakdown_topic`` /
``breakdown``: all plans, age (single years from January 2024: ``age 2 and under``,
``age 3`` … ``age 20 and over``), age when the plan started, placement type, sex,
ethnicity and years held. :func:`read_dfe_release` reads whichever of those files a
folder holds (older by-age files too) into one :class:`DfeRelease` for an area.

Breakdowns by sex, ethnicity and years held are not used by the library; they are listed
in ``DfeRelease.skipped_topics``.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, Problem
from . import dfe
from .dfe_columns import (
    ASSESSMENT_COUNTS,
    CEASED_REASON,
    DOCUMENTED,
    NEED_COLUMN,
    NEED_UNKNOWN,
    PLACEMENT_LABEL,
    PLACEMENT_TIER,
    REQUEST_COUNTS,
    age_label,
    age_range,
    unknown_columns,
)
from .parsing import read_text_csv, refuse_header_alone

log = logging.getLogger(__name__)

#: File kind of each file name of the release (without ``.csv``).
FILE_KINDS: dict[str, str] = {
    "caseload": "caseload",
    "newplans": "newplans",
    "ceased_plans": "ceased",
    "requests": "requests",
    "assessments": "assessments",
    "sen_needs_all_plans": "needs",
    "sen_need_newplans": "needs_new",
}

#: What a browser or a file manager adds to a file's name when it is saved again beside
#: itself: ``caseload (1)``, ``caseload - Copy``, ``caseload - Copy (2)``.
_COPY_SUFFIX = re.compile(r"(?: \(\d+\)| - copy(?: \(\d+\))?)$")


def _file_kind(path: Path) -> str | None:
    """The release's kind of file a path names (:data:`FILE_KINDS`), a second download or
    a copy of one (``caseload (1).csv``) included; None for any other name."""
    return FILE_KINDS.get(_COPY_SUFFIX.sub("", path.stem.lower()))


_PLACEMENT_BY_LABEL = {
    re.sub(r"\W+", " ", v.lower()).strip(): k for k, v in PLACEMENT_LABEL.items()
}


@dataclass
class DfeRelease:
    """One area's published EHC plan figures, in the library's vocabulary.

    Every frame has ``year``: the January of a stock, or the calendar year of a flow
    (new plans of 2022 started between the January 2022 and January 2023 stocks). Counts
    are floats, missing where the file had a symbol (``frame.attrs`` has none; the counts
    of symbols met are in :attr:`symbols`). ``age_group`` columns are ordered categoricals
    in age order (``0-2`` < ``3`` < … < ``19`` < ``20-25``; or the SEN2 bands), with
    ``age_min`` and ``age_max`` beside them.

    Attributes:
        la_code: The area's code (newest, or ``A+B`` for combined areas).
        la_name: The area's name.
        caseload: Stock by placement: ``year, tier, placement, children`` (January 2019 on;
            the by-establishment file adds 2010–2022 where given).
        caseload_total: ``year, children``: published plans at January (``ehcplans``; before
            2019, statements + plans ``Total_all`` from the by-age file).
        caseload_by_age: ``year, age_group, age_min, age_max, children``: single years
            where published (2024 on), else SEN2 bands (2010–2022 by-age file).
        caseload_by_age_placement: ``year, age_group, age_min, age_max, tier, placement,
            children`` (2024 on).
        need_by_age: ``year, age_group, age_min, age_max, need, children`` (2024 on).
        need_by_placement: ``year, tier, placement, need, children`` (2024 on).
        need_total: ``year, need, children`` (2024 on; ``need`` ``unknown`` where not recorded).
        new_plans: ``year, children``: new plans in the calendar year.
        new_plans_by_age: ``year, age_group, age_min, age_max, children``: by age when the
            plan started.
        new_plans_by_placement: ``year, tier, placement, children``.
        ceased: ``year, reason, children``: plans ceased in the calendar year, by reason.
        ceased_by_age: ``year, age_group, age_min, age_max, reason, children``.
        requests: ``year, requests, decided_to_assess, decided_not_to_assess,
            decision_not_made, withdrawn``.
        assessments: ``year, assessments, plan_issued, plan_not_issued,
            decision_outstanding, withdrawn``.
        files: The files read.
        symbols: Count of each symbol met (``c``, ``x``, ``z``, ``low``, ``u``…), all files.
        skipped_topics: Breakdown topics read past (sex, ethnicity, years held…).
        boundary_changes: Boundary changes applied (see :data:`dfe.BOUNDARY_CHANGES`).
        estimated: Suppressed placement counts estimated (file, row, column, estimate).
    """

    la_code: str
    la_name: str
    caseload: pd.DataFrame
    caseload_total: pd.DataFrame
    caseload_by_age: pd.DataFrame
    caseload_by_age_placement: pd.DataFrame
    need_by_age: pd.DataFrame
    need_by_placement: pd.DataFrame
    need_total: pd.DataFrame
    new_plans: pd.DataFrame
    new_plans_by_age: pd.DataFrame
    new_plans_by_placement: pd.DataFrame
    ceased: pd.DataFrame
    ceased_by_age: pd.DataFrame
    requests: pd.DataFrame
    assessments: pd.DataFrame
    files: list[str] = field(default_factory=list)
    symbols: dict[str, int] = field(default_factory=dict)
    skipped_topics: list[str] = field(default_factory=list)
    boundary_changes: list[str] = field(default_factory=list)
    estimated: list[str] = field(default_factory=list)

    @property
    def base_year(self) -> int:
        """The latest January with a published caseload."""
        published = self.caseload_total.dropna(subset=["children"])
        if published.empty:
            raise DataError(f"{self.la_name}: no January with published EHC plans (ehcplans)")
        return int(published["year"].max())


def _topic(text: str) -> str:
    """Kind of a ``breakdown_topic``: all, age, age_at_start, placement, need or other."""
    t = text.strip().lower()
    if t.startswith("all ") or t in ("all", "total", ""):
        return "all"
    if re.search(r"\bage\b", t):
        return "age_at_start" if "start" in t else "age"
    if any(w in t for w in ("placement", "setting", "establishment")):
        return "placement"
    if "need" in t:
        return "need"
    return "other"


#: What :func:`read_table` reads of a release file: its cells as published.
CELLS = "cells as published"


def read_table(
    path: Path, kind: str, la: str | Sequence[str] | None, boundaries: dfe.Boundaries
) -> pd.DataFrame:
    """One release file as a long frame for the areas asked for.

    Returns:
        ``la_code, la_name, year, topic, breakdown, measure, value``; ``attrs["symbols"]``
        counts the symbols met.

    Raises:
        DataError: If the file cannot be read, lacks the geography columns, or names
            none of the areas.
    """
    raw = read_text_csv(path, "DfE")
    missing = [c for c in dfe._GEO if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: not a DfE EHC plan file",
            [Problem(str(path), "missing " + ", ".join(missing))],
        )
    extra = set(unknown_columns(raw.columns, kind.removesuffix("_new"), str(path)))
    text = raw
    raw = dfe.rows_of(path, CELLS, lambda: text, la, boundaries)
    if "breakdown_topic" not in raw.columns:
        raw["breakdown_topic"] = "All"
        raw["breakdown"] = "All"
    counts = [
        c
        for c in raw.columns
        if c in DOCUMENTED[kind.removesuffix("_new")]
        and c not in extra
        and not c.lower().endswith("_pc")
    ]
    if not counts:  # a renamed or hand-made file: nothing in it is a count we know
        documented = sorted(
            (c for c in DOCUMENTED[kind.removesuffix("_new")] if not c.lower().endswith("_pc")),
            key=lambda c: (len(c), c),
        )
        raise DataError(
            f"{path}: none of the DfE's count columns for this file",
            [
                Problem(
                    str(path),
                    f"expected columns such as {', '.join(documented[:5])}; give the "
                    f"release's file as downloaded (its columns: {', '.join(raw.columns[:8])}"
                    + (", …" if len(raw.columns) > 8 else "")
                    + ")",
                )
            ],
        )
    symbols: dict[str, int] = {}
    # one long frame, column by column (the order a concat of one frame per count column
    # gives), the row labels worked out once rather than for every column
    n, k = len(raw), len(counts)
    long = pd.DataFrame(
        {
            "la_code": np.tile(raw["la_code"].to_numpy(), k),
            "la_name": np.tile(raw["la_name"].to_numpy(), k),
            "year": np.tile(raw["year"].to_numpy(), k),
            "topic": np.tile(raw["breakdown_topic"].map(_topic).to_numpy(), k),
            "topic_label": np.tile(raw["breakdown_topic"].str.strip().to_numpy(), k),
            "breakdown": np.tile(raw["breakdown"].str.strip().to_numpy(), k),
            "measure": np.repeat(np.array(counts, dtype=object), n),
            "value": np.concatenate(dfe.counts_of(path, CELLS, lambda: text, raw, counts, symbols)),
            "row": np.tile(raw.index.to_numpy() + 2, k),
        }
    )
    long = long.rename(columns={"value": "children"})
    labels = ["topic", "topic_label", "breakdown", "measure"]
    code_map, name_map, applied = dfe.boundary_maps(long, boundaries)
    if code_map:  # areas merged: their rows summed by label, the labels read back after
        long["key"] = long["topic_label"] + "|" + long["breakdown"] + "|" + long["measure"]
        merged = dfe.merge_areas(long.drop(columns=labels), code_map, name_map, "key")
        parts = merged["key"].str.split("|", expand=True, regex=False)
        merged = merged.drop(columns=["key"])
        label, breakdown, measure = parts[0], parts[1], parts[2]
    else:  # (most councils: the labels as read, not joined into a key and split again)
        merged = long.drop(columns=labels)
        label, breakdown, measure = long["topic_label"], long["breakdown"], long["measure"]
    # a file's headline rows name the count in both filters ("New EHC plans")
    headline = label.str.lower() == breakdown.str.lower()
    merged = merged.assign(
        topic=label.map(_topic).mask(headline, "all"),
        topic_label=label,
        breakdown=breakdown,
        measure=measure,
    ).rename(columns={"children": "value"})
    merged.attrs = {"symbols": symbols, "boundary_changes": applied, "path": str(path)}
    return merged


def _ages(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    """Add ``age_min``/``age_max``/``age_group`` from the breakdown labels (totals dropped)."""
    ranges: dict[str, tuple[int, int] | None] = {}
    bad = []
    for label in frame["breakdown"].unique():
        try:
            ranges[label] = age_range(label)
        except ValueError:
            bad.append(label)
    if bad:
        raise DataError(
            f"{path}: age breakdown labels not understood",
            [Problem(path, ", ".join(repr(b) for b in bad[:10]))],
        )
    keep = frame["breakdown"].map(lambda b: ranges[b] is not None).astype(bool)
    out = frame[keep].copy()
    lows = {b: r[0] for b, r in ranges.items() if r is not None}
    highs = {b: r[1] for b, r in ranges.items() if r is not None}
    out["age_min"] = out["breakdown"].map(lows).astype(int)
    out["age_max"] = out["breakdown"].map(highs).astype(int)
    return with_age_group(out)


def with_age_group(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``age_group``: an ordered categorical of the age ranges, in age order."""
    pairs = sorted(set(zip(frame["age_min"], frame["age_max"], strict=True)))
    dtype = pd.CategoricalDtype([age_label(lo, hi) for lo, hi in pairs], ordered=True)
    labels = [age_label(lo, hi) for lo, hi in zip(frame["age_min"], frame["age_max"], strict=True)]
    out = frame.copy()
    out["age_group"] = pd.Categorical(labels, dtype=dtype)
    return out


def _placement_of(label: str) -> str | None:
    """Placement column of a placement label (its description, or the column name)."""
    key = re.sub(r"\W+", " ", label.lower()).strip()
    if label in PLACEMENT_TIER:
        return label
    return _PLACEMENT_BY_LABEL.get(key)


def _empty(*columns: str) -> pd.DataFrame:
    """An empty frame of ``columns`` (``children`` numbers, the rest objects): a copy of
    one made once (a council's release starts ten of them, 0.3 ms each to make)."""
    return _empty_frame(columns).copy()


@lru_cache(maxsize=32)
def _empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "children" else object) for c in columns})


def _pivot(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Wide frame ``year`` + one column per measure (renamed), all-plans rows only."""
    rows = frame[(frame["topic"] == "all") & frame["measure"].isin(names)]
    if rows.empty:
        return _empty("year", *names.values())
    wide = rows.groupby(["year", "measure"])["value"].sum(min_count=1).unstack("measure")
    wide = wide.rename(columns=names).reset_index()
    wide.columns.name = None
    return wide[["year", *[n for n in names.values() if n in wide.columns]]]


def _select_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].sort_values(columns[:-1], ignore_index=True)


def read_dfe_release(
    folder: str | Path,
    la: str,
    *,
    boundaries: dfe.Boundaries = "current",
) -> DfeRelease:
    """Read every DfE EHC plan file in ``folder`` (and its subfolders) for one area.

    Files are recognised by name (``caseload.csv``, ``newplans.csv``, ``ceased_plans.csv``,
    ``requests.csv``, ``assessments.csv``, ``sen_needs_all_plans.csv``,
    ``sen_need_newplans.csv``, as the release names them) and, for the older files, by
    their columns (``characteristic_age`` by age, ``establishment_type`` by
    establishment, ``ehcplans`` caseload). Where two files give the same January (the
    2019–2023 caseload file and the current release), the current release wins.

    Args:
        folder: A folder of downloaded files, or one file.
        la: The area: new code (``E08000027``), old LA number (``332``) or name.
        boundaries: How boundary changes are handled (see :func:`dfe.read_dfe_ehcp`).

    Returns:
        The area's figures.

    Raises:
        DataError: If no file holds a caseload for the area, or a file is unreadable.
    """
    root = Path(folder)
    if not root.exists():
        raise DataError(f"DfE folder not found: {root}")
    paths = [root] if root.is_file() else sorted(root.rglob("*.csv"))
    found: dict[str, list[Path]] = {}
    older: list[Path] = []
    for p in paths:
        kind = _file_kind(p)
        if kind is not None and not _is_dfe(p):
            warnings.warn(
                f"{p}: named like a DfE file but without its columns "
                f"({', '.join(dfe._GEO)}): skipped (a starter's or council's own table? keep "
                "them outside the DfE folder)",
                DataWarning,
                stacklevel=2,
            )
            continue
        if kind is not None:
            found.setdefault(kind, []).append(p)
        else:
            older.append(p)
    release = {kind: _newest_release_file(kind, ps) for kind, ps in found.items()}
    code = _resolve(la, release, older, boundaries)
    symbols: dict[str, int] = {}
    changes: list[str] = []
    skipped: set[str] = set()
    files: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    for kind, p in list(release.items()):
        try:
            t = read_table(p, kind, code, boundaries)
        except DataError as exc:
            if not exc.summary.startswith("unknown area"):
                raise
            log.info("%s: no rows for %s (an area that stopped or started); skipped", p, code)
            del release[kind]
            continue
        files.append(str(p))
        for s, n in t.attrs["symbols"].items():
            symbols[s] = symbols.get(s, 0) + n
        changes += [c for c in t.attrs["boundary_changes"] if c not in changes]
        skipped |= set(t.loc[t["topic"] == "other", "topic_label"])
        tables[kind] = t
    name = code
    estimated: list[str] = []
    caseload, totals, by_age = _older(older, code, boundaries, files, estimated)
    if "caseload" in release:
        with warnings.catch_warnings():  # its unknown columns were named once already
            warnings.simplefilter("ignore", DataWarning)
            current = dfe.read_dfe_ehcp(release["caseload"], la=code, boundaries=boundaries)
        for s, n in current.attrs["symbols"].items():
            symbols[s] = symbols.get(s, 0) + n
        estimated += current.attrs.get("estimated", [])
        if current.attrs.get("estimated"):
            warnings.warn(
                "suppressed placement counts estimated: " + "; ".join(estimated[:5]),
                DataWarning,
                stacklevel=2,
            )
        caseload = pd.concat(
            [caseload[~caseload["year"].isin(current["year"])], current], ignore_index=True
        )
        t = tables["caseload"]
        ehcplans = t[(t["topic"] == "all") & (t["measure"] == "ehcplans")]
        totals = pd.concat(
            [
                totals[~totals["year"].isin(ehcplans["year"])],
                ehcplans[["la_code", "la_name", "year", "value"]].rename(
                    columns={"value": "children"}
                ),
            ],
            ignore_index=True,
        )
    if caseload.empty and totals.empty:
        raise DataError(f"{root}: no EHC plan caseload file for {la!r}")
    totals = _fill_suppressed_totals(totals, caseload, estimated)
    codes = sorted(set(totals["la_code"]) | set(caseload["la_code"]))
    name = (
        totals.sort_values("year")["la_name"].iloc[-1]
        if len(totals)
        else caseload.sort_values("year")["la_name"].iloc[-1]
    )
    if len(codes) > 1:
        log.info("%s: several codes over the years (%s)", name, ", ".join(codes))
    out = DfeRelease(
        la_code=str(codes[-1]) if len(codes) == 1 else "+".join(codes),
        la_name=str(name),
        caseload=_select_columns(caseload, ["year", "tier", "placement", "children"]),
        caseload_total=pd.DataFrame(
            totals.groupby("year", as_index=False)["children"].sum(min_count=1)
        ),
        caseload_by_age=_empty("year", "age_group", "age_min", "age_max", "children"),
        caseload_by_age_placement=_empty(
            "year", "age_group", "age_min", "age_max", "tier", "placement", "children"
        ),
        need_by_age=_empty("year", "age_group", "age_min", "age_max", "need", "children"),
        need_by_placement=_empty("year", "tier", "placement", "need", "children"),
        need_total=_empty("year", "need", "children"),
        new_plans=_empty("year", "children"),
        new_plans_by_age=_empty("year", "age_group", "age_min", "age_max", "children"),
        new_plans_by_placement=_empty("year", "tier", "placement", "children"),
        ceased=_empty("year", "reason", "children"),
        ceased_by_age=_empty("year", "age_group", "age_min", "age_max", "reason", "children"),
        requests=_pivot(tables["requests"], REQUEST_COUNTS)
        if "requests" in tables
        else _empty("year", *REQUEST_COUNTS.values()),
        assessments=_pivot(tables["assessments"], ASSESSMENT_COUNTS)
        if "assessments" in tables
        else _empty("year", *ASSESSMENT_COUNTS.values()),
        files=files,
        symbols=symbols,
        skipped_topics=sorted(skipped),
        boundary_changes=changes,
        estimated=estimated,
    )
    _stock_breakdowns(out, tables, by_age)
    _flows(out, tables)
    return out


def _last_january(path: Path) -> int:
    """The latest January (or calendar year, for flows) a release file gives.

    Raises:
        DataError: If it has no rows or a ``time_period`` that is not a year.
    """
    raw = read_text_csv(path, "DfE")
    refuse_header_alone(raw, str(path))
    return int(dfe._year(raw["time_period"], path).max())


def _nearest(path: Path) -> tuple[int, int, str]:
    """Order of copies of one file: nearest the folder given, then the shortest name (a
    download before its ``name (1).csv`` copy)."""
    return len(path.parts), len(path.name), str(path)


def _newest_release_file(kind: str, paths: Sequence[Path]) -> Path:
    """The one file of a kind (``caseload``, ``newplans``…) read where a folder holds
    several: a council keeping each year's download reads the newest release, the one
    whose ``time_period`` reaches furthest, whatever the folders are called (its figures
    supersede the older releases', which the DfE revises). Copies of that release (the same
    last year) must hold the same cells: two that differ are refused, since which one the
    figures came from would depend on the names of the files; of identical copies, the one
    nearest the folder is named as read (:func:`_nearest`).

    Raises:
        DataError: If two files with the newest last year differ, naming both.
    """
    if len(paths) == 1:
        return paths[0]
    last = {p: _last_january(p) for p in paths}
    newest = max(last.values())
    copies = sorted((p for p in paths if last[p] == newest), key=_nearest)
    chosen = copies[0]
    for other in copies[1:]:
        if not read_text_csv(chosen, "DfE").equals(read_text_csv(other, "DfE")):
            raise DataError(
                f"two {kind} files of the same release (to {newest}) hold different figures: "
                "keep one (a copy edited by hand, or two downloads of a revised release?)",
                [Problem(str(p), f"{kind}, to {newest}") for p in (chosen, other)],
            )
    older = [str(p) for p in paths if last[p] < newest]
    if older:
        log.info("%s: the newest %s file (to %d); older: %s", chosen, kind, newest, older)
    return chosen


def _is_dfe(path: Path) -> bool:
    """Whether a file's header has the DfE's geography columns (unreadable files: True,
    so the reader says what is wrong with them)."""
    try:  # the first line alone (a sweep asks this of every file for every council)
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return True
    if header is None:
        return True
    return all(c in {h.strip() for h in header} for c in dfe._GEO)


def _fill_suppressed_totals(
    totals: pd.DataFrame, caseload: pd.DataFrame, estimated: list[str]
) -> pd.DataFrame:
    """Plans at January where ``ehcplans`` is suppressed: the sum of that year's published
    placement counts (named in ``estimated`` and a :class:`DataWarning`)."""
    missing = totals["children"].isna().to_numpy()
    if not missing.any() or caseload.empty:
        return totals
    by_year = caseload.groupby("year")["children"].sum(min_count=1)
    out = totals.reset_index(drop=True)
    notes = []
    for i in np.flatnonzero(missing):
        year = out["year"].iloc[i]
        value = by_year.get(year, np.nan)
        if np.isfinite(value) and value > 0:
            out.loc[int(i), "children"] = float(value)
            notes.append(
                f"plans at January {year} ({out['la_name'].iloc[i]}): ehcplans suppressed, "
                f"taken as {value:,.0f}, the sum of the published placement counts"
            )
    if notes:
        estimated += notes
        warnings.warn("; ".join(notes), DataWarning, stacklevel=3)
    return out


def _resolve(
    la: str, release: dict[str, Path], older: list[Path], boundaries: dfe.Boundaries
) -> str:
    """The area's newest code, from the first file that knows ``la`` (code, number or name).

    Raises:
        DataError: The reader's own message (with its suggestion) from the release's
            caseload file, or the first file, when no file knows ``la``.
    """
    first_error: DataError | None = None
    ordered = [*([release["caseload"]] if "caseload" in release else []), *release.values()]
    for p in [*ordered, *older]:
        raw = read_text_csv(p, "DfE")
        if any(c not in raw.columns for c in dfe._GEO):
            continue
        try:
            frame, areas = dfe.located(p, CELLS, lambda: raw)  # noqa: B023 (called at once)
            rows = dfe._select(frame, la, p, boundaries, areas)
        except DataError as exc:
            first_error = first_error or exc
            continue
        rows = rows[rows["_level"] == "local authority"]
        if len(rows):
            return str(rows.sort_values("year")["la_code"].iloc[-1])
    if first_error is not None:
        raise first_error
    raise DataError(f"no DfE EHC plan files with a local authority {la!r}")


def _older(
    paths: list[Path],
    code: str,
    boundaries: dfe.Boundaries,
    files: list[str],
    estimated: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Caseload by placement, totals and by age band from the files not named by the
    release (suppressed placement counts estimated are added to ``estimated``)."""
    caseload, totals, by_age = [], [], []
    read: list[tuple[Path, pd.DataFrame]] = []
    for p in paths:
        try:
            read.append((p, dfe.read_dfe_ehcp(p, la=code, boundaries=boundaries)))
        except DataError as exc:
            if "not a DfE EHC plan file" in exc.summary or "unknown DfE layout" in exc.summary:
                log.info("%s: not a DfE caseload file; skipped", p)
                continue
            raise
    for p, frame in _each_year_once(read):
        files.append(str(p))
        estimated += frame.attrs.get("estimated", [])
        layout = frame.attrs["layout"]
        if layout == "by_age":
            by_age.append(frame)
            totals.append(
                frame.groupby(["la_code", "la_name", "year"], as_index=False)["children"].sum(
                    min_count=1
                )
            )
        else:
            caseload.append(frame)
    none = pd.DataFrame(columns=["la_code", "la_name", "year", "tier", "placement", "children"])
    case = pd.concat(caseload, ignore_index=True) if caseload else none
    # one row per year: the caseload layout (2019+) wins over the establishment layout
    if len(caseload) > 1:
        case = case.sort_values("year")
        newest = {}
        for frame in caseload:
            for y in frame["year"].unique():
                if frame.attrs["layout"] == "caseload" or y not in newest:
                    newest[y] = frame
        case = pd.concat([f[f["year"] == y] for y, f in sorted(newest.items())], ignore_index=True)
    tot = (
        pd.concat(totals, ignore_index=True)
        if totals
        else pd.DataFrame(columns=["la_code", "la_name", "year", "children"])
    )
    if case is not none and len(case):
        from_case = case.groupby(["la_code", "la_name", "year"], as_index=False)["children"].sum(
            min_count=1
        )
        tot = pd.concat([tot, from_case[~from_case["year"].isin(tot["year"])]], ignore_index=True)
    ages = pd.concat(by_age, ignore_index=True) if by_age else None
    if ages is not None:
        band = ages["age_band"].astype(str)
        bounds = {
            "0-4": (0, 4),
            "5-10": (5, 10),
            "11-15": (11, 15),
            "16-19": (16, 19),
            "20-25": (20, 25),
        }
        ages = ages.assign(
            age_min=band.map(lambda b: bounds[b][0]), age_max=band.map(lambda b: bounds[b][1])
        )[["year", "age_min", "age_max", "children"]]
    return case, pd.DataFrame(tot), ages if ages is not None else pd.DataFrame()


def _each_year_once(read: list[tuple[Path, pd.DataFrame]]) -> list[tuple[Path, pd.DataFrame]]:
    """The older files' frames for an area (:func:`_older`) with each January from one file
    of each layout: two by-age files (a download kept twice, last year's beside this
    year's) would otherwise add up, doubling the history. A January given by several files
    of a layout is taken from the one reaching the latest January (the DfE revises earlier
    years); files that reach the same January must agree on it.

    Raises:
        DataError: If two files of a layout reaching the same January give the area
            different figures for a year, naming both.
    """
    kept: list[tuple[Path, pd.DataFrame]] = []
    layouts: dict[str, list[tuple[Path, pd.DataFrame]]] = {}
    for p, frame in read:
        layouts.setdefault(frame.attrs["layout"], []).append((p, frame))
    for items in layouts.values():
        last = {p: (int(f["year"].max()) if len(f) else -1) for p, f in items}
        # newest first; of files reaching the same January, the one nearest the folder
        # (and of one folder the shortest name: the download, not its "(1)" copy)
        items = sorted(items, key=lambda pf: (-last[pf[0]], *_nearest(pf[0])))
        taken: dict[int, tuple[Path, pd.DataFrame]] = {}
        for p, frame in items:
            years = {int(y): frame[frame["year"] == y] for y in sorted(set(frame["year"]))}
            for year, part in years.items():
                if year not in taken:
                    continue
                first, other = taken[year]
                if last[first] == last[p] and not _same_counts(other, part):
                    raise DataError(
                        f"two DfE files of the same kind give {frame['la_name'].iloc[0]} "
                        f"different figures for January {year}: keep one (a copy edited by "
                        "hand?)",
                        [Problem(str(q), f"January {year}") for q in (first, p)],
                    )
            new = [y for y in years if y not in taken]
            if not new:
                log.info("%s: every January it gives is read from another file", p)
                continue
            for y in new:
                taken[y] = (p, years[y])
            part = frame[frame["year"].isin(new)]
            part.attrs = frame.attrs
            kept.append((p, part))
    return kept


def _same_counts(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two frames of one layout, area and year hold the same counts."""
    keys = [c for c in a.columns if c != "children"]
    left = a.sort_values(keys, ignore_index=True)
    right = b.sort_values(keys, ignore_index=True)
    return left[keys].astype(str).equals(right[keys].astype(str)) and np.array_equal(
        left["children"].to_numpy(dtype=float),
        right["children"].to_numpy(dtype=float),
        equal_nan=True,
    )


def _stock_breakdowns(
    out: DfeRelease, tables: dict[str, pd.DataFrame], by_age_bands: pd.DataFrame
) -> None:
    frames = []
    if len(by_age_bands):
        frames.append(by_age_bands)
    if "caseload" in tables:
        t = tables["caseload"]
        age = t[t["topic"] == "age"]
        if len(age):
            age = _ages(age, out.files[0])
            total = age[age["measure"] == "ehcplans"]
            frames = [f[~f["year"].isin(total["year"])] for f in frames]
            frames.append(total.rename(columns={"value": "children"}))
            placed = age[age["measure"].isin(PLACEMENT_TIER)].rename(
                columns={"measure": "placement", "value": "children"}
            )
            placed["tier"] = placed["placement"].map(PLACEMENT_TIER)
            out.caseload_by_age_placement = _select_columns(
                placed,
                ["year", "age_group", "age_min", "age_max", "tier", "placement", "children"],
            )
    if frames:
        cols = ["year", "age_min", "age_max", "children"]
        stock = with_age_group(pd.concat([f[cols] for f in frames], ignore_index=True))
        out.caseload_by_age = _select_columns(
            stock, ["year", "age_group", "age_min", "age_max", "children"]
        )
    if "needs" in tables:
        t = tables["needs"]
        needs = t[t["measure"].isin([*NEED_COLUMN, NEED_UNKNOWN])].copy()
        needs["need"] = needs["measure"].map(NEED_COLUMN).fillna("unknown")
        needs = needs.rename(columns={"value": "children"})
        allp = needs[needs["topic"] == "all"]
        out.need_total = _select_columns(allp, ["year", "need", "children"])
        age = needs[needs["topic"] == "age"]
        if len(age):
            out.need_by_age = _select_columns(
                _ages(age, "sen_needs_all_plans"),
                ["year", "age_group", "age_min", "age_max", "need", "children"],
            )
        place = needs[needs["topic"] == "placement"].copy()
        if len(place):
            place["placement"] = place["breakdown"].map(_placement_of)
            unknown = sorted(set(place.loc[place["placement"].isna(), "breakdown"]))
            if unknown:
                log.warning(
                    "sen_needs_all_plans: placement labels with no tier, skipped: %s",
                    ", ".join(unknown),
                )
            place = place.dropna(subset=["placement"])
            place["tier"] = place["placement"].map(PLACEMENT_TIER)
            out.need_by_placement = _select_columns(
                place, ["year", "tier", "placement", "need", "children"]
            )


#: A year's new plans more than this many times its own breakdown by age at start is not
#: the area's figure (the 2022 Yorkshire and The Humber rows carry the region's total).
NEW_PLANS_FACTOR = 1.5


def _new_plans_checked(
    out: DfeRelease, total: pd.DataFrame, by_age: pd.DataFrame, path: str
) -> pd.DataFrame:
    """New plans by year, each checked against its own breakdown by age at start.

    Where a year's published total is more than :data:`NEW_PLANS_FACTOR` times the sum of
    its breakdown by age when the plan started, the total cannot be the area's: the sum
    is used instead, named in a :class:`DataWarning` (file, row) and in ``out.estimated``.
    """
    sums = by_age.groupby("year")["children"].sum(min_count=1)
    fixed = out.new_plans.reset_index(drop=True)
    notes = []
    for i, (year, value) in enumerate(zip(fixed["year"], fixed["children"], strict=True)):
        parts = float(sums.get(year, np.nan))
        if not (np.isfinite(value) and np.isfinite(parts) and parts > 0):
            continue
        if value > NEW_PLANS_FACTOR * parts:
            rows = total.loc[total["year"] == year, "row"].dropna()
            where = f"{path}, row {int(rows.iloc[0])}" if len(rows) else path
            notes.append(
                f"{where}: new_ehc_plans of {out.la_name} in {year} is {value:,.0f}, "
                f"{value / parts:.1f} times its breakdown by age at start ({parts:,.0f}): "
                f"taken as {parts:,.0f}"
            )
            fixed.loc[i, "children"] = parts
    if notes:
        out.estimated += notes
        warnings.warn("; ".join(notes), DataWarning, stacklevel=4)
    return fixed


def _flows(out: DfeRelease, tables: dict[str, pd.DataFrame]) -> None:
    if "newplans" in tables:
        t = tables["newplans"]
        allp = t[t["topic"] == "all"]
        total = allp[allp["measure"] == "new_ehc_plans"].rename(columns={"value": "children"})
        out.new_plans = _select_columns(total, ["year", "children"])
        placed = allp[allp["measure"].isin(PLACEMENT_TIER)].rename(
            columns={"measure": "placement", "value": "children"}
        )
        placed["tier"] = placed["placement"].map(PLACEMENT_TIER)
        out.new_plans_by_placement = _select_columns(
            placed, ["year", "tier", "placement", "children"]
        )
        start = t[(t["topic"] == "age_at_start") & (t["measure"] == "new_ehc_plans")]
        if len(start):
            out.new_plans_by_age = _select_columns(
                _ages(start.rename(columns={"value": "children"}), "newplans"),
                ["year", "age_group", "age_min", "age_max", "children"],
            )
            out.new_plans = _new_plans_checked(
                out, total, out.new_plans_by_age, str(t.attrs.get("path", "newplans.csv"))
            )
    if "ceased" in tables:
        t = tables["ceased"].rename(columns={"value": "children"})
        reasons = t[t["measure"].isin(CEASED_REASON)].copy()
        reasons["reason"] = reasons["measure"].map(CEASED_REASON)
        out.ceased = _select_columns(
            reasons[reasons["topic"] == "all"], ["year", "reason", "children"]
        )
        age = reasons[reasons["topic"].isin(["age", "age_at_start"])]
        age = age[~age["topic_label"].str.lower().str.contains("start")]
        if len(age):
            out.ceased_by_age = _select_columns(
                _ages(age, "ceased_plans"),
                ["year", "age_group", "age_min", "age_max", "reason", "children"],
            )
    for frame in (out.new_plans, out.ceased):
        frame["year"] = frame["year"].astype(int)


def local_authorities(folder: str | Path) -> pd.DataFrame:
    """Every local authority in the newest January of the release's caseload file.

    Args:
        folder: A folder of downloaded DfE files (or the caseload file itself).

    Returns:
        ``la_code, old_la_code, la_name``, one row per LA, sorted by code
        (``old_la_code`` empty where the file has none).

    Raises:
        DataError: If the folder holds no caseload file with local authority rows.
    """
    root = Path(folder)
    paths = [root] if root.is_file() else sorted(root.rglob("*.csv"))
    caseload = [p for p in paths if _file_kind(p) == "caseload" and _is_dfe(p)]
    if caseload:  # the file each council's starter reads (the newest release's)
        p = _newest_release_file("caseload", caseload)
        raw = read_text_csv(p, "DfE")
        rows, _ = dfe.located(p, CELLS, lambda: raw)
        rows = rows[rows["_level"] == "local authority"]
        if len(rows):
            newest = rows[rows["year"] == rows["year"].max()]
            old = newest["old_la_code"].str.strip() if "old_la_code" in newest else ""
            out = newest.assign(old_la_code=old)[["la_code", "old_la_code", "la_name"]]
            out = out.drop_duplicates("la_code")
            return out.sort_values("la_code", ignore_index=True)
    raise DataError(f"no DfE caseload file with local authorities in {root}")


def area_names(found: pd.DataFrame) -> dict[str, str]:
    """Each way of naming an LA of :func:`local_authorities`'s table (its code, its old
    three-digit number, its name in lower case) mapped to its name."""
    names = dict(zip(found["la_code"], found["la_name"], strict=True))
    names.update(zip(found["old_la_code"], found["la_name"], strict=True))
    names.update({n.lower(): n for n in found["la_name"]})
    return names
