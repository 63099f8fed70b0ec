"""Reader of ONS population estimates and projections, as the library's population table.

Two published CSV layouts are read, recognised from their columns:

* **mid-year estimates** (``MYEB1`` detailed series): ``ladcode<YY>``, ``laname<YY>``,
  ``country``, ``sex`` (1 male, 2 female), ``age`` (0–90, 90 meaning 90 and over), then
  ``population_<year>`` for each mid-year;
* **sub-national population projections** (``<year> SNPP Population persons.csv``,
  ``… males.csv``, ``… females.csv``): ``AREA_CODE``, ``AREA_NAME``, ``COMPONENT``,
  ``SEX``, ``AGE_GROUP`` (``0`` … ``89``, ``90 and over``, ``All ages``), then one column
  per projected year.

Both give residents by single year of age; :func:`read_ons_population` sums the sexes and
returns ``year, age, population, kind`` for ages 0–25, the table
:func:`sufficiency.data.load_inputs` reads (``kind`` ``estimate`` or ``projection``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from .parsing import area_key, area_suggestions, read_text_csv, row_of

_SNPP = ("AREA_CODE", "AREA_NAME", "COMPONENT", "SEX", "AGE_GROUP")
#: Sex codes and labels of the ONS files, as one spelling.
_SEX = {"1": "male", "2": "female", "males": "male", "females": "female", "persons": "persons",
        "male": "male", "female": "female", "m": "male", "f": "female", "all": "persons",
        "0": "persons"}  # fmt: skip


def _area(raw: pd.DataFrame, code: str, name: str, la: str, path: Path) -> pd.DataFrame:
    text = la.strip().lower()
    rows = raw[
        (raw[code].str.strip().str.lower() == text) | (raw[name].str.strip().str.lower() == text)
    ]
    if rows.empty:  # one area whose name compares equal ("St Helens", "Bristol")
        names = raw[name].str.strip()
        same = {n for n in set(names) if area_key(n) == area_key(la)}
        if len(same) == 1:
            rows = raw[names == next(iter(same))]
    if rows.empty:
        close = area_suggestions(la, raw[name].str.strip())
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DataError(
            f"{path}: no area {la!r}",
            [Problem(f"{path}, column {code}", f"no row for {la!r}{hint}")],
        )
    return rows


def _counts(values: pd.Series, path: Path, column: str) -> pd.Series:
    num = pd.to_numeric(values.str.replace(",", "").str.strip(), errors="coerce")
    problems = []
    for label in values.index[num.isna() | ~np.isfinite(num.fillna(0.0))][:5]:
        problems.append(
            Problem(f"{path}, row {row_of(label)}, column {column!r}", f"{values[label]!r}")
        )
    if problems:
        raise DataError(f"{path}: population counts that are not numbers", problems)
    negative = values.index[(num < 0).to_numpy()]
    if len(negative):
        raise DataError(
            f"{path}: negative population counts",
            [
                Problem(f"{path}, row {row_of(i)}, column {column!r}", f"{values[i]} residents")
                for i in negative[:5]
            ],
        )
    return num


def _long(
    rows: pd.DataFrame, ages: pd.Series, sexes: pd.Series, years: dict[str, int], path: Path
) -> pd.DataFrame:
    """One row per (year, age, sex) of ages 0–25 with the file and row it came from."""
    parts = [
        pd.DataFrame(
            {
                "year": year,
                "age": ages.to_numpy(),
                "sex": sexes.to_numpy(),
                "population": _counts(rows[col], path, col).to_numpy(),
                "source": [f"{path}, row {row_of(i)}, column {col!r}" for i in rows.index],
            }
        )
        for col, year in years.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[(out["age"] >= 0) & (out["age"] <= 25)]


def _refuse_overlaps(frame: pd.DataFrame, la: str) -> None:
    """Refuse two rows for the same year, age and sex (of one kind): the same file given
    twice, or a row repeated; summed, they would double the residents."""
    repeated = frame.duplicated(["kind", "year", "age", "sex"], keep=False)
    if not repeated.any():
        return
    problems = []
    for (_, year, age, sex), group in frame[repeated].groupby(["kind", "year", "age", "sex"]):
        first, *others = group["source"].tolist()
        problems += [
            Problem(o, f"residents aged {age} ({sex}) in {year} given again: also {first}")
            for o in others
        ]
        if len(problems) >= 5:
            break
    raise DataError(
        f"ONS population for {la!r}: the same residents given twice (a file given twice, or "
        "overlapping files); give each file once",
        problems[:5],
    )


def read_ons_population(paths: str | Path | Sequence[str | Path], la: str) -> pd.DataFrame:
    """Residents aged 0–25 of one LA by year and single year of age, from ONS files.

    Where an estimate and a projection give the same year, the estimate wins. Males and
    females (``sex`` 1 and 2, or the ``males``/``females`` SNPP files) are summed; where
    ``persons`` rows are given too (a ``persons`` file beside a ``males`` file), the persons
    rows are used alone. The same residents given twice (one file twice, a repeated row) and
    negative counts are errors naming the rows.

    Args:
        paths: One or more ONS CSV files (estimates and/or projections).
        la: The LA's code (``E08000027``) or name (``Dudley``) as the ONS spells it.

    Returns:
        ``year, age, population, kind`` sorted by year and age.

    Raises:
        DataError: If a file is missing, of neither layout (naming the columns it lacks),
            holds no row for ``la``, lacks some of the ages 0–25, gives the same residents
            twice or a count that is negative or not a number.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    estimates, projections = [], []
    for item in items:
        path = Path(item)
        raw = read_text_csv(path, "ONS population")
        cols = set(raw.columns)
        code = next((c for c in raw.columns if re.fullmatch(r"ladcode\d*", c, re.I)), None)
        name = next((c for c in raw.columns if re.fullmatch(r"laname\d*", c, re.I)), None)
        if code and name and {"sex", "age"} <= {c.lower() for c in cols}:
            rows = _area(raw, code, name, la, path)
            age_col = next(c for c in raw.columns if c.lower() == "age")
            years = {
                c: int(m[1])
                for c in raw.columns
                if (m := re.fullmatch(r"population_(\d{4})", c, re.I))
            }
            if not years:
                raise DataError(
                    f"{path}: mid-year estimates with no population_<year> columns",
                    [Problem(str(path), "expected columns like population_2021")],
                )
            ages = pd.to_numeric(rows[age_col], errors="coerce")
            sex_col = next(c for c in raw.columns if c.lower() == "sex")
            sexes = rows[sex_col].str.strip().str.lower().map(_SEX).fillna(rows[sex_col])
            estimates.append(_long(rows, ages, sexes, years, path).assign(kind="estimate"))
        elif set(_SNPP) <= cols:
            rows = _area(raw, "AREA_CODE", "AREA_NAME", la, path)
            rows = rows[rows["COMPONENT"].str.strip().str.lower() == "population"]
            age_text = rows["AGE_GROUP"].str.strip().str.lower()
            rows = rows[age_text != "all ages"]
            ages = pd.to_numeric(
                rows["AGE_GROUP"].str.extract(r"^(\d+)", expand=False), errors="coerce"
            )
            years = {c: int(c) for c in raw.columns if re.fullmatch(r"\d{4}", c)}
            if not years:
                raise DataError(
                    f"{path}: projections with no year columns",
                    [Problem(str(path), "expected columns like 2018, 2019, …")],
                )
            sexes = rows["SEX"].str.strip().str.lower().map(_SEX).fillna(rows["SEX"])
            projections.append(_long(rows, ages, sexes, years, path).assign(kind="projection"))
        else:
            mye = ["ladcode<YY>", "laname<YY>", "sex", "age", "population_<year>"]
            missing_mye = [
                c
                for c, ok in zip(
                    mye,
                    (
                        code,
                        name,
                        "sex" in cols,
                        "age" in cols,
                        any(c.startswith("population_") for c in cols),
                    ),
                    strict=True,
                )
                if not ok
            ]
            missing_snpp = [c for c in _SNPP if c not in cols]
            raise DataError(
                f"{path}: not an ONS population file",
                [
                    Problem(str(path), "as mid-year estimates, missing " + ", ".join(missing_mye)),
                    Problem(str(path), "as projections (SNPP), missing " + ", ".join(missing_snpp)),
                ],
            )
    every = pd.concat([*estimates, *projections], ignore_index=True)
    # persons beside males and females (the file says which is which): persons alone
    persons = every["sex"] == "persons"
    if persons.any():
        kinds_with_persons = set(every.loc[persons, "kind"])
        every = every[persons | ~every["kind"].isin(kinds_with_persons)]
    _refuse_overlaps(every, la)
    summed = pd.DataFrame(
        every.groupby(["year", "age", "kind"], as_index=False)["population"].sum()
    )
    est = summed[summed["kind"] == "estimate"]
    proj = summed[summed["kind"] == "projection"]
    proj = proj[~proj["year"].isin(est["year"])]
    out = pd.concat([est, proj], ignore_index=True)
    out["age"] = out["age"].astype(int)
    problems = [
        Problem(
            f"year {y}",
            "missing ages " + ", ".join(str(a) for a in sorted(set(range(26)) - set(g["age"]))),
        )
        for y, g in out.groupby("year")
        if set(range(26)) - set(g["age"])
    ]
    if problems:
        raise DataError(f"ONS population for {la!r} lacks some single years of age 0–25", problems)
    return out.sort_values(["year", "age"], ignore_index=True)[
        ["year", "age", "population", "kind"]
    ]
