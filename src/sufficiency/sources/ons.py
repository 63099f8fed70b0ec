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

import pandas as pd

from ..errors import DataError, Problem
from .parsing import read_text_csv

_SNPP = ("AREA_CODE", "AREA_NAME", "COMPONENT", "SEX", "AGE_GROUP")


def _area(raw: pd.DataFrame, code: str, name: str, la: str, path: Path) -> pd.DataFrame:
    text = la.strip().lower()
    rows = raw[
        (raw[code].str.strip().str.lower() == text) | (raw[name].str.strip().str.lower() == text)
    ]
    if rows.empty:
        import difflib

        close = difflib.get_close_matches(la, sorted(set(raw[name].str.strip())), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DataError(
            f"{path}: no area {la!r}",
            [Problem(f"{path}, column {code}", f"no row for {la!r}{hint}")],
        )
    return rows


def _counts(values: pd.Series, path: Path, column: str) -> pd.Series:
    num = pd.to_numeric(values.str.replace(",", "").str.strip(), errors="coerce")
    if num.isna().any():
        bad = sorted(set(values[num.isna()]))[:5]
        raise DataError(
            f"{path}: population counts that are not numbers",
            [Problem(f"{path}, column {column!r}", ", ".join(repr(b) for b in bad))],
        )
    return num


def _long(rows: pd.DataFrame, ages: pd.Series, years: dict[str, int], path: Path) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "year": year,
                "age": ages.to_numpy(),
                "population": _counts(rows[col], path, col).to_numpy(),
            }
        )
        for col, year in years.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    out = out[(out["age"] >= 0) & (out["age"] <= 25)]
    return pd.DataFrame(out.groupby(["year", "age"], as_index=False)["population"].sum())


def read_ons_population(paths: str | Path | Sequence[str | Path], la: str) -> pd.DataFrame:
    """Residents aged 0–25 of one LA by year and single year of age, from ONS files.

    Where an estimate and a projection give the same year, the estimate wins. Males and
    females (``sex`` 1 and 2, or the ``males``/``females`` SNPP files) are summed; an SNPP
    ``persons`` file is used as it is, and a ``males``/``females`` pair is summed.

    Args:
        paths: One or more ONS CSV files (estimates and/or projections).
        la: The LA's code (``E08000027``) or name (``Dudley``) as the ONS spells it.

    Returns:
        ``year, age, population, kind`` sorted by year and age.

    Raises:
        DataError: If a file is missing, of neither layout (naming the columns it lacks),
            holds no row for ``la``, or lacks some of the ages 0–25.
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
            estimates.append(_long(rows, ages, years, path).assign(kind="estimate"))
        elif set(_SNPP) <= cols:
            rows = _area(raw, "AREA_CODE", "AREA_NAME", la, path)
            rows = rows[rows["COMPONENT"].str.strip().str.lower() == "population"]
            sexes = set(rows["SEX"].str.strip().str.lower())
            if "persons" in sexes:
                rows = rows[rows["SEX"].str.strip().str.lower() == "persons"]
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
            projections.append(_long(rows, ages, years, path).assign(kind="projection"))
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
    est = pd.concat(estimates, ignore_index=True) if estimates else None
    proj = pd.concat(projections, ignore_index=True) if projections else None
    if proj is not None:
        proj = pd.DataFrame(
            proj.groupby(["year", "age", "kind"], as_index=False)["population"].sum()
        )
    if est is not None and proj is not None:
        proj = proj[~proj["year"].isin(est["year"])]
    out = pd.concat([f for f in (est, proj) if f is not None], ignore_index=True)
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
