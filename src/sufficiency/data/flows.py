"""The flows table: requests, assessments, new and ceased EHC plans by calendar year and age.

One row per calendar year, measure and age (a single year of age, an SEN2 band, or
neither: all ages)::

    year,measure,age,age_band,children
    2023,requests,,,790
    2023,new_plans,,,500
    2023,new_plans,4,,61
    2023,ceased_plans,,20-25,40

``year`` is the calendar year of the flow: new plans of 2023 started between the January
2023 and January 2024 census counts. ``measure`` is one of :data:`FLOW_MEASURES`. New plans
are by age when the plan started, ceased plans by age when it ceased. A year and measure
may have an all-ages row and rows by age; the rows by age then give the shape only and may
not add up to more than the all-ages row. The table is read as strictly as every other
(see ``docs/data-formats.md``): a repeated key, an unknown measure, a negative or
non-finite count, an age inside a band given for the same year and measure, are errors
naming the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import NumberFormat
from ..errors import Problem
from .checks import duplicate_keys
from .tables import Column, RawTable, TableSource, check_table, raise_if, read_table

#: The measures a flows table may hold, in the order the DfE publishes them.
FLOW_MEASURES: tuple[str, ...] = ("requests", "assessments", "new_plans", "ceased_plans")
_MEASURE_ALIASES = {
    "requests_for_assessment": "requests",
    "new_ehc_plans": "new_plans",
    "ceased": "ceased_plans",
    "plans_ceased": "ceased_plans",
}
#: Largest count in one row (as for the caseload: more than any council's yearly flow).
MAX_FLOW = 100_000

FLOWS_COLUMNS = (
    Column("year", "int", minimum=1990, maximum=2100),
    Column("measure", "text"),
    Column("age", "int", required=False, blank_ok=True, minimum=0, maximum=25, unit="years"),
    Column("age_band", "age_band", required=False, blank_ok=True),
    Column("children", "float", minimum=0, maximum=MAX_FLOW, unit="children a year"),
)
_KEY = ["year", "measure", "age", "age_band"]


def _measures(frame: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> pd.Series:
    """Measure names normalised (``New plans`` -> ``new_plans``); unknown ones reported."""
    text = frame["measure"].astype(str).str.strip().str.lower()
    text = text.str.replace(r"[\s\-]+", "_", regex=True)
    text = text.map(lambda v: _MEASURE_ALIASES.get(v, v))
    unknown = sorted(set(text) - set(FLOW_MEASURES) - {""})
    for u in unknown:
        rows = np.flatnonzero((text == u).to_numpy())
        more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
        problems.append(
            Problem(
                raw.where(int(rows[0]), "measure"),
                f"unknown measure {frame['measure'].iloc[rows[0]]!r}{more}; accepted: "
                + ", ".join(FLOW_MEASURES),
            )
        )
    return text


def _ages(frame: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> pd.DataFrame:
    """``age`` (-1: none) and ``age_band`` ('': all ages), checked to agree."""
    out = frame.copy()
    age = out["age"] if "age" in out else pd.Series(np.nan, index=out.index)
    band = out["age_band"].astype(str) if "age_band" in out else pd.Series("", index=out.index)
    given = age.notna().to_numpy()
    ages = np.where(given, age.fillna(-1), -1).astype(int)
    derived = np.where(given, taxonomy.age_band_of(np.maximum(ages, 0)), "")
    clash = given & (band.to_numpy() != "") & (band.to_numpy() != derived)
    for i in np.flatnonzero(clash)[:20]:
        problems.append(
            Problem(
                raw.where(int(i), "age_band"),
                f"age band {band.iloc[i]!r} does not contain age {ages[i]}",
            )
        )
    out["age"] = ages
    out["age_band"] = np.where(given, "", band.to_numpy())
    return out


def _overlaps(frame: pd.DataFrame, raw: RawTable, problems: list[Problem]) -> None:
    """A single age inside a band of the same year and measure counts children twice; rows
    by age adding to more than the all-ages row contradict it."""
    years = frame["year"].to_numpy()
    measures = frame["measure"].astype(str).to_numpy()
    ages = frame["age"].to_numpy()
    bands = frame["age_band"].astype(str).to_numpy()
    children = frame["children"].to_numpy(dtype=float)
    labels = frame.index.to_numpy()
    for year, measure in sorted(set(zip(years.tolist(), measures.tolist(), strict=True))):
        mine = np.flatnonzero((years == year) & (measures == measure))
        singles = mine[ages[mine] >= 0]
        for b in mine[bands[mine] != ""]:
            lo, hi = taxonomy.band_ages(bands[b])
            inside = singles[(ages[singles] >= lo) & (ages[singles] <= hi)]
            if len(inside):
                problems.append(
                    Problem(
                        raw.where(int(labels[inside[0]])),
                        f"age {int(ages[inside[0]])} is inside age band {bands[b]} given "
                        f"in row {int(labels[b]) + raw.first_row} for {measure} in {year}: "
                        "give one or the other",
                    )
                )
        total = mine[(ages[mine] < 0) & (bands[mine] == "")]
        by_age = float(children[mine[(ages[mine] >= 0) | (bands[mine] != "")]].sum())
        if len(total) == 1 and by_age > float(children[total[0]]) + 0.5:
            problems.append(
                Problem(
                    raw.where(int(labels[total[0]]), "children"),
                    f"{measure} in {year}: the rows by age add up to {by_age:,.1f}, more than "
                    f"this all-ages row ({float(children[total[0]]):,.1f})",
                )
            )


def check_flows(
    raw: RawTable, problems: list[Problem], number_format: NumberFormat | None = None
) -> pd.DataFrame:
    """Parse and check a flows table, appending every problem found.

    Returns:
        ``year, measure, age, age_band, children``: ``age`` is -1 and ``age_band`` ``""``
        where the row is for all ages (``age_band`` is ``""`` where a single age is given).
    """
    frame = check_table(raw, FLOWS_COLUMNS, problems, number_format=number_format, table="flows")
    if frame.empty:
        if not problems:
            problems.append(
                Problem(raw.label, "the table has a header but no rows; it needs at least one")
            )
        return frame
    frame["measure"] = _measures(frame, raw, problems)
    frame = _ages(frame, raw, problems)
    frame["year"] = frame["year"].fillna(0).astype(int)
    before = len(problems)
    duplicate_keys(frame, raw, _KEY, problems, "year, measure and age (or age band)")
    if len(problems) == before:
        _overlaps(frame, raw, problems)
    return frame[["year", "measure", "age", "age_band", "children"]]


def flow_totals(
    frame: pd.DataFrame, raw: RawTable
) -> list[tuple[str, pd.DataFrame, RawTable, str]]:
    """Each measure's rows whose yearly totals the plausibility check compares
    (:func:`~sufficiency.data.checks.warn_implausible`): its all-ages rows where it has
    them, else every row; the count column is named after the measure, and ``_row`` holds
    each row's position in the table as read."""
    out = []
    measure = frame["measure"].astype(str).to_numpy()
    whole = ((frame["age"] == -1) & (frame["age_band"].astype(str) == "")).to_numpy()
    for m in dict.fromkeys(measure):
        mine = measure == m
        rows = np.flatnonzero(mine & whole) if (mine & whole).any() else np.flatnonzero(mine)
        part = frame.iloc[rows][["year", "children"]].rename(columns={"children": m})
        out.append((m, part.assign(_row=rows), raw, m))
    return out


def tidy_flows(frame: pd.DataFrame) -> pd.DataFrame:
    """The checked table in the library's vocabulary: ``year``, categorical ``measure``,
    ``age`` (nullable integer), categorical ``age_band`` (missing: all ages), ``children``,
    sorted by its key."""
    out = frame.sort_values(_KEY, kind="stable").reset_index(drop=True)
    bands = out["age_band"].replace("", None)
    return pd.DataFrame(
        {
            "year": out["year"].astype("int64"),
            "measure": pd.Categorical(out["measure"], categories=list(FLOW_MEASURES)),
            "age": out["age"].where(out["age"] >= 0).astype("Int64"),
            "age_band": pd.Categorical(bands, dtype=taxonomy.AGE_BAND_DTYPE),
            "children": out["children"].astype(float),
        }
    )


def read_flows(
    source: TableSource, *, label: str = "flows table", number_format: NumberFormat | None = None
) -> pd.DataFrame:
    """Read and check a flows table (a file or a DataFrame; see the module docstring).

    Raises:
        DataError: Listing every problem, each naming the row and column.
    """
    problems: list[Problem] = []
    frame = check_flows(read_table(source, label), problems, number_format)
    raise_if(problems, "the flows table is invalid")
    return tidy_flows(frame)
