"""Reading one input table (CSV, Excel, Parquet, DataFrame) and checking it column by column."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import DataError, Problem

TableSource = str | Path | pd.DataFrame

Kind = Literal["int", "float", "text", "bool", "need", "tier", "age_band", "needs_list"]

_TRUE = {"yes", "y", "true", "t", "1", "in", "in area", "in_area"}
_FALSE = {"no", "n", "false", "f", "0", "out", "out of area", "ooa"}


@dataclass(frozen=True)
class Column:
    """What one column of an input table must hold.

    Attributes:
        name: Column name (matched case-insensitively).
        kind: Value type.
        required: Whether the column must be present.
        blank_ok: Whether empty cells are allowed (they become missing values).
        minimum: Smallest allowed number (inclusive), for numeric kinds.
        maximum: Largest allowed number (inclusive), for numeric kinds.
        unit: Unit, quoted in messages.
    """

    name: str
    kind: Kind
    required: bool = True
    blank_ok: bool = False
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""


@dataclass
class RawTable:
    """A table as read, before checking: text cells and where they came from."""

    frame: pd.DataFrame
    label: str
    first_row: int  # row number a user sees for index 0 (2 for a file with a header)

    def where(self, index: int, column: str | None = None) -> str:
        """``file, row N, column C`` for the cell at positional ``index``."""
        text = f"{self.label}, row {index + self.first_row}"
        return f"{text}, column {column!r}" if column else text


def read_table(source: TableSource, label: str) -> RawTable:
    """Read a table from a CSV, Excel or Parquet file, or take a DataFrame.

    Args:
        source: Path (``.csv``, ``.xlsx``/``.xlsm``, ``.parquet``; ``book.xlsx#Sheet`` picks a
            sheet) or DataFrame.
        label: How messages name the table when ``source`` is a DataFrame.

    Raises:
        DataError: If the file is missing, unreadable or of an unknown type.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True).copy()
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        return RawTable(frame, label, 0)
    text = str(source)
    sheet: str | int = 0
    if "#" in text and text.lower().split("#")[0].endswith((".xlsx", ".xlsm", ".xls")):
        text, sheet = text.split("#", 1)
    path = Path(text)
    if not path.is_file():
        raise DataError(f"{label}: file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise DataError(f"{path}: unknown file type {suffix!r}; use .csv, .xlsx or .parquet")
    except DataError:
        raise
    except Exception as exc:  # every reader failure becomes one clear message
        raise DataError(f"{path}: cannot read the table: {exc}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return RawTable(frame, str(path), 2)


def _blank(values: pd.Series) -> np.ndarray:
    as_text = values.astype("string").str.strip()
    return np.asarray(values.isna() | (as_text == "").fillna(True), dtype=bool)


def _parse_number(
    raw: RawTable, col: Column, values: pd.Series, problems: list[Problem]
) -> pd.Series:
    blank = _blank(values)
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.str.replace("£", "", regex=False)
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    bad = ~blank & numbers.isna().to_numpy()
    unit = f" ({col.unit})" if col.unit else ""
    for i in np.flatnonzero(bad):
        problems.append(
            Problem(raw.where(int(i), col.name), f"not a number{unit}: {values.iloc[i]!r}")
        )
    if col.kind == "int":
        frac = ~blank & ~bad & ((numbers - numbers.round()).abs().to_numpy() > 1e-9)
        for i in np.flatnonzero(frac):
            problems.append(
                Problem(raw.where(int(i), col.name), f"not a whole number: {values.iloc[i]!r}")
            )
    if col.minimum is not None:
        low = (numbers < col.minimum).to_numpy()
        for i in np.flatnonzero(low):
            problems.append(
                Problem(
                    raw.where(int(i), col.name),
                    f"{values.iloc[i]!s} is below the minimum {col.minimum:g}{unit}",
                )
            )
    if col.maximum is not None:
        high = (numbers > col.maximum).to_numpy()
        for i in np.flatnonzero(high):
            problems.append(
                Problem(
                    raw.where(int(i), col.name),
                    f"{values.iloc[i]!s} is above the maximum {col.maximum:g}{unit}",
                )
            )
    if not col.blank_ok:
        for i in np.flatnonzero(blank):
            problems.append(Problem(raw.where(int(i), col.name), "empty cell; a value is required"))
    return numbers


def _parse_labels(
    raw: RawTable, col: Column, values: pd.Series, problems: list[Problem]
) -> pd.Series:
    kind = col.kind
    uniques = pd.unique(values.astype("string").fillna(""))
    mapping = {u: taxonomy.lookup(kind, u) for u in uniques}
    unknown = [u for u, code in mapping.items() if code is None and not (col.blank_ok and u == "")]
    if unknown:
        text = values.astype("string").fillna("")
        for u in unknown:
            rows = np.flatnonzero((text == u).to_numpy())
            first = raw.where(int(rows[0]), col.name)
            more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
            problems.append(
                Problem(
                    first,
                    f"unknown {kind.replace('_', ' ')} {u!r}{more}; accepted: "
                    + ", ".join(taxonomy.accepted(kind)),
                )
            )
    return values.astype("string").fillna("").map(lambda v: mapping.get(v) or "")


def _parse_bool(
    raw: RawTable, col: Column, values: pd.Series, problems: list[Problem]
) -> pd.Series:
    out = []
    for i, v in enumerate(values):
        s = str(v).strip().lower() if v is not None and not pd.isna(v) else ""
        if isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif s in _TRUE:
            out.append(True)
        elif s in _FALSE:
            out.append(False)
        else:
            problems.append(Problem(raw.where(i, col.name), f"expected yes or no, got {v!r}"))
            out.append(False)
    return pd.Series(out, index=values.index, dtype=bool)


def _parse_needs_list(
    raw: RawTable, col: Column, values: pd.Series, problems: list[Problem]
) -> pd.Series:
    out: list[tuple[str, ...]] = []
    for i, v in enumerate(values):
        s = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()
        if s.upper() in ("ALL", "ANY", "*"):
            out.append(taxonomy.EHCP_NEEDS)
            continue
        codes: list[str] = []
        for part in s.replace(",", ";").replace("|", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            code = taxonomy.lookup("need", part)
            if code is None:
                problems.append(
                    Problem(
                        raw.where(i, col.name),
                        f"unknown need {part!r}; accepted: ALL or " + ", ".join(taxonomy.NEEDS),
                    )
                )
            else:
                codes.append(code)
        if not codes and s.upper() not in ("ALL", "ANY", "*"):
            problems.append(
                Problem(raw.where(i, col.name), "no needs given; list need codes or ALL")
            )
        out.append(tuple(dict.fromkeys(codes)))
    return pd.Series(out, index=values.index, dtype=object)


_PARSERS: dict[str, Callable[[RawTable, Column, pd.Series, list[Problem]], pd.Series]] = {
    "int": _parse_number,
    "float": _parse_number,
    "need": _parse_labels,
    "tier": _parse_labels,
    "age_band": _parse_labels,
    "bool": _parse_bool,
    "needs_list": _parse_needs_list,
}


def check_table(
    raw: RawTable,
    columns: Sequence[Column],
    problems: list[Problem],
    *,
    one_of: Sequence[tuple[str, ...]] = (),
) -> pd.DataFrame:
    """Parse and check ``raw`` against ``columns``, appending every problem found.

    Args:
        raw: The table as read.
        columns: Column specifications; columns not listed are kept as text.
        problems: Collector for problems (the caller raises once).
        one_of: Groups of column names of which at least one must be present
            (e.g. ``("age", "age_band")``); those columns are specified as not required.

    Returns:
        The parsed frame (possibly with placeholder values where problems were found).
    """
    frame = raw.frame
    out: dict[str, Any] = {}
    present = set(frame.columns)
    missing = [c.name for c in columns if c.required and c.name not in present]
    for group in one_of:
        if not any(g in present for g in group):
            missing.append(" or ".join(group))
    if missing:
        problems.append(
            Problem(
                raw.label,
                f"missing column(s): {', '.join(missing)}; found: {', '.join(frame.columns)}",
            )
        )
        return pd.DataFrame()
    for col in columns:
        if col.name not in present:
            continue
        values = frame[col.name]
        if col.kind == "text":
            blank = _blank(values)
            if not col.blank_ok:
                for i in np.flatnonzero(blank):
                    problems.append(
                        Problem(raw.where(int(i), col.name), "empty cell; a value is required")
                    )
            out[col.name] = values.astype("string").str.strip().fillna("").astype(object)
        else:
            out[col.name] = _PARSERS[col.kind](raw, col, values, problems)
    return pd.DataFrame(out, index=frame.index)


def raise_if(problems: list[Problem], what: str) -> None:
    """Raise one DataError listing ``problems`` if there are any."""
    if problems:
        raise DataError(f"{what}: {len(problems)} problem(s) found", problems)
