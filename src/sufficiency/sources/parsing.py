"""Parsing shared by every reader of published and council files.

The DfE's and ONS's files and a council's own exports share their quirks: symbols in place
of numbers (``c``, ``x``, ``z``…), a byte-order mark before the first column name, padded
cells. One reader each lives beside this module; what they have in common lives here.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from ..data.tables import (
    column_key,
    column_names,
    read_csv_cells,
    read_table,
    split_sheet,
    unread_columns,
    without_empty_rows_below,
)
from ..errors import DataError, Problem

__all__ = [
    "SYMBOLS",
    "area_key",
    "area_suggestions",
    "cached",
    "cached_frame",
    "council_columns",
    "english_amounts",
    "numbers",
    "numbers_of",
    "parsed_counts",
    "read_council_csv",
    "read_text_csv",
    "refuse_duplicates",
    "refuse_header_alone",
    "row_of",
]

#: What is made from files, kept in this process, newest last (see :func:`cached`).
_MADE: OrderedDict[tuple[str, int, int, str], Any] = OrderedDict()
_MADE_LOCK = threading.Lock()
#: Most things kept: a release's files and what is made from them, for a few releases.
CACHED_FRAMES = 64

_T = TypeVar("_T")


def cached(path: Path, what: str, make: Callable[[], _T]) -> _T:
    """``make()``, made once per version of the file at ``path`` in this process.

    A sweep's worker reads the same national files for every council it starts: each is
    parsed once. The key is the file's resolved path, size and modification time, so a
    file changed on disk is read again. The thing made is shared by every caller, who must
    not change it (:func:`cached_frame` hands out copies of a frame).

    Args:
        path: The file the thing is made from (it must exist).
        what: What is made from it (two makes of one file are kept apart).
        make: Makes it from the file.
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, what)
    with _MADE_LOCK:  # a sweep's tasks may run in threads of one process
        if key in _MADE:
            _MADE.move_to_end(key)
            return cast(_T, _MADE[key])
    made = make()
    with _MADE_LOCK:
        _MADE[key] = made
        while len(_MADE) > CACHED_FRAMES:
            _MADE.popitem(last=False)
    return made


def cached_frame(path: Path, what: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """:func:`cached` for a frame: each call gets its own deep copy.

    Not a shallow one, although pandas copies on write: a column of Python-backed text
    (the sweep's and the command's storage, :mod:`sufficiency.text_storage`) hands out its
    cells through ``to_numpy()`` as a writable view, so a caller writing into that array
    would change the kept frame for every later caller (a deep copy of a release's file
    frame costs about 0.5 ms)."""
    return cached(path, what, make).copy()


#: Symbols the DfE uses in place of numbers, and what they mean. Every one becomes a
#: missing value (never 0), and the reader counts them.
SYMBOLS: dict[str, str] = {
    "z": "not applicable",
    "x": "not available",
    "c": "confidential (suppressed small number)",
    "low": "rounds to zero but is not zero",
    "u": "low reliability",
    ":": "not available",
    "..": "not available",
}


def read_text_csv(path: Path, what: str) -> pd.DataFrame:
    """A published CSV as text cells with trimmed column names (a byte-order mark is skipped).

    Raises:
        DataError: If the file is missing or unreadable (``what`` names the publisher).
    """
    if path.exists() and not path.is_file():
        raise DataError(
            f"{what} file {path} is not a regular file (a folder, device, pipe or socket)"
        )
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    return cached_frame(path, "text", lambda: _read_text(path))


def _read_text(path: Path) -> pd.DataFrame:
    """The file's cells as text, column names trimmed (see :func:`read_text_csv`)."""
    try:
        # the current DfE release starts with a byte-order mark (and uses CRLF line ends)
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def read_council_csv(path: Path, what: str) -> pd.DataFrame:
    """A council's own file (place numbers, costs, the register it saved) as trimmed text
    cells: a CSV file read as the input tables are
    (:func:`~sufficiency.data.tables.read_csv_cells`: UTF-8, UTF-16 or Windows-1252; one
    message for a file separated by semicolons or tabs or a line wider than the header), or
    an Excel workbook (``.xlsx``/``.xlsm``) of one sheet, or ``book.xlsx#Sheet`` for one
    sheet of several; ``what`` names it in messages. A workbook's numbers read as they show
    (``12``, not ``12.0``); its row numbers are the sheet's. The empty rows below the data
    (every cell blank: what Excel keeps once rows were formatted) are left out.

    Raises:
        DataError: The file missing or unreadable, a workbook of several sheets with none
            named, a column given twice, or no rows (a header alone: the council's figures
            would silently give way to the national ones, or every child to a setting
            not in the register).
    """
    file = split_sheet(path)[0]
    if not file.is_file():
        raise DataError(f"{what} not found: {file}")
    if file.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        frame = without_empty_rows_below(_workbook_cells(path, file, what))
    else:
        frame = read_csv_cells(path, what)  # its empty rows below already left out
    frame = frame.apply(lambda c: c.str.strip())
    refuse_header_alone(frame, f"{path} ({what})")
    column_names(frame.columns, str(path), mangled=True)  # a column given twice: refused
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def english_amounts(text: pd.Series) -> pd.Series:
    """Numbers as a council's spreadsheet writes them, as text for ``pd.to_numeric``: a
    leading ``£`` dropped and English thousands (``1,200``, ``£12,500.50``) joined; any
    other comma (``12,5``, ``1,20``: a decimal comma, or a typing slip) is left, so the
    number is refused rather than read as 125 or 120."""
    bare = text.str.strip().str.replace(r"^£\s*", "", regex=True)
    grouped = bare.str.fullmatch(_THOUSANDS)
    return bare.where(~grouped, bare.str.replace(",", ""))


#: Columns a council's place numbers or costs may carry for a reader's eye (a school's name,
#: notes): left aside without a word.
DESCRIPTIVE_COLUMNS = (
    "name",
    "school",
    "school_name",
    "setting_name",
    "establishment",
    "establishment_name",
    "provider",
    "provider_name",
    "la",
    "la_name",
    "notes",
    "note",
    "comment",
    "comments",
)


#: A council's words for columns its files give under other names: a special school's
#: designation is the needs it meets; element 3 is the top-up (element 2 is not named:
#: in a mainstream school it is the school's own £6,000, not place funding).
COUNCIL_SYNONYMS = {"designation": "needs", "element_3": "top_up"}


def council_columns(
    frame: pd.DataFrame, path: Path, what: str, known: Sequence[str]
) -> pd.DataFrame:
    """``frame`` (a council's file from :func:`read_council_csv`) with its columns named as
    matched (:func:`~sufficiency.data.tables.column_key`: ``Place funding`` is
    ``place_funding``), after refusing any column that looks meant for one of ``known``
    but is not it (``Top up (£k)``, ``places_2026``): left aside, it would give way to a
    national figure, or lose a year of the council's figures, without a word. Other
    columns (:data:`DESCRIPTIVE_COLUMNS`, notes) are left aside.

    Raises:
        DataError: Naming each such column and the columns ``what`` reads.
    """
    out = frame.copy(deep=False)
    out.columns = [column_key(c) for c in frame.columns]
    problems = unread_columns(
        out.columns,
        known,
        str(path),
        ignored=DESCRIPTIVE_COLUMNS,
        what=what,
        synonyms=COUNCIL_SYNONYMS,
    )
    if problems:
        raise DataError(f"{path}: {len(problems)} column(s) of the {what} not read", problems)
    return out


def refuse_header_alone(frame: pd.DataFrame, where: str) -> None:
    """Refuse a file of no rows, only a header: a council's or the DfE's file cut short
    (its figures would give way to national ones, or its children to no setting).

    Raises:
        DataError: Naming ``where``, if ``frame`` has no rows.
    """
    if frame.empty:
        raise DataError(
            f"{where}: no rows, only a header (a download or an export cut short, or a "
            "filter that kept nothing?)"
        )


def _workbook_cells(path: Path, file: Path, what: str) -> pd.DataFrame:
    """One sheet of a council's workbook as text cells (:func:`read_council_csv`)."""
    raw = read_table(path, what, keep_case=True)
    if raw.other_sheets:  # its first sheet read for want of a name: which one was meant?
        listed = ", ".join(repr(n) for n in raw.sheets)
        raise DataError(
            f"{path}: the {what} workbook has {len(raw.sheets)} sheets ({listed}): name the "
            f"one to read after a '#', as in {file.name}#{raw.sheets[0]}"
        )
    return raw.frame.apply(lambda c: c.map(_cell_text)).astype(object)


def _cell_text(value: object) -> str:
    """A workbook cell as the text it shows: blank for nothing, ``12`` for 12.0."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def area_key(name: str) -> str:
    """An area's name as compared: case, punctuation, ``&`` for ``and`` and a trailing
    ``, City of`` or ``, County of`` do not count (``St Helens`` is ``St. Helens``,
    ``Bristol`` is ``Bristol, City of``, ``herefordshire`` is ``Herefordshire, County of``)."""
    text = name.strip().lower().replace("&", " and ")
    text = re.sub(r",\s*(?:city|county) of$", "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def area_suggestions(wanted: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` a user who typed ``wanted`` may have meant: names holding
    it as whole words first (``Hull``: ``Kingston upon Hull, City of``), then the closest
    spellings."""
    key = area_key(wanted)
    by_key: dict[str, str] = {}
    for name in sorted(set(names) - {""}):
        by_key.setdefault(area_key(name), name)
    words = re.compile(rf"\b{re.escape(key)}\b") if key else None
    out = [name for k, name in by_key.items() if words is not None and words.search(k)]
    out += [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=n)]
    return list(dict.fromkeys(out))[:n]


def row_of(index: object) -> int:
    """The spreadsheet row of a frame's index label (the header is row 1)."""
    return int(index) + 2  # type: ignore[call-overload]


def numbers(values: pd.Series, column: str, path: Path, symbols: dict[str, int]) -> np.ndarray:
    """Counts as floats: symbols become NaN (and are counted); other text, numbers that are
    not finite (``inf``, ``1e999``) and negative counts are errors naming the rows.

    ``values`` keeps the index of the file's rows as read (row = index + 2).
    """
    text = values.str.strip()
    num = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)
    blank = text == ""
    bad_mask = np.isnan(num) & ~blank.to_numpy()
    if bad_mask.any():
        found = text[bad_mask]
        unknown = sorted(set(found) - set(SYMBOLS))
        if unknown:
            first = found[found.isin(unknown)]
            rows = ", ".join(str(row_of(i)) for i in first.index[:5])
            raise DataError(
                f"{path}: unknown text in count column {column!r}",
                [
                    Problem(
                        f"{path}, row{'s' if len(first) > 1 else ''} {rows}, column {column!r}",
                        ", ".join(repr(u) for u in unknown[:10]),
                    )
                ],
            )
        for s, n in found.value_counts().items():
            symbols[str(s)] = symbols.get(str(s), 0) + int(n)
    problems = []
    for i in np.flatnonzero(np.isinf(num))[:5]:
        problems.append(
            Problem(
                f"{path}, row {row_of(values.index[i])}, column {column!r}",
                f"{text.iloc[i]!r} is not a finite number",
            )
        )
    for i in np.flatnonzero(num < 0)[:5]:
        problems.append(
            Problem(
                f"{path}, row {row_of(values.index[i])}, column {column!r}",
                f"negative count {text.iloc[i]}",
            )
        )
    if problems:
        raise DataError(f"{path}: counts that cannot be counts in column {column!r}", problems)
    if blank.any():
        symbols["(blank)"] = symbols.get("(blank)", 0) + int(blank.sum())
    return num


def numbers_of(
    frame: pd.DataFrame, columns: list[str], path: Path, symbols: dict[str, int]
) -> list[np.ndarray]:
    """:func:`numbers` of each of ``columns`` of ``frame``, parsed together.

    The columns' cells are parsed in one pass (a release file has dozens of count
    columns, and each pass over a council's few hundred rows costs mostly its overhead).
    If any cell is not a count, the columns are parsed one by one, so the error names the
    first column with a problem and its rows exactly as :func:`numbers` does; the symbols
    counted are the same either way.
    """
    if not columns:
        return []
    parsed = parsed_counts(frame, columns)
    if parsed is None:
        return [numbers(frame[c], c, path, symbols) for c in columns]
    return parsed.take(np.arange(len(frame)), symbols)


@dataclass(frozen=True)
class ParsedCounts:
    """Count columns of a frame parsed (:func:`parsed_counts`), every cell a count, a
    symbol or blank.

    Attributes:
        values: ``(rows, columns)`` the counts, NaN where a symbol or blank stood.
        symbol: ``(rows, columns)`` the symbol where one stood, else ``""``.
        blank: ``(rows, columns)`` whether the cell was blank.
    """

    values: np.ndarray
    symbol: np.ndarray
    blank: np.ndarray

    def take(self, at: np.ndarray, symbols: dict[str, int]) -> list[np.ndarray]:
        """:func:`numbers_of` of the rows at positions ``at`` (in that order): each column's
        counts, and the symbols met counted into ``symbols`` as it counts them."""
        symbol, blank = self.symbol[at], self.blank[at]
        bad = symbol != ""
        # counted column by column, in the order numbers() would meet them
        for j in np.flatnonzero(bad.any(axis=0)):
            met = symbol[bad[:, j], j]
            counted = {met[0]: len(met)} if (met == met[0]).all() else pd.Series(met).value_counts()
            for sym, k in counted.items():
                symbols[str(sym)] = symbols.get(str(sym), 0) + int(k)
        if blank.any():
            symbols["(blank)"] = symbols.get("(blank)", 0) + int(blank.sum())
        values = self.values[at]
        return [values[:, i] for i in range(values.shape[1])]


def parsed_counts(frame: pd.DataFrame, columns: list[str]) -> ParsedCounts | None:
    """The cells of ``columns`` parsed in one pass: counts, symbols (:data:`SYMBOLS`) and
    blanks; ``None`` if any cell is none of these (:func:`numbers` then names it).

    A release file's rows are parsed once for every council a process reads
    (:func:`cached`), each council's taken by position (:meth:`ParsedCounts.take`).
    """
    n = len(frame)
    text = pd.concat([frame[c] for c in columns], ignore_index=True).str.strip()
    num = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)
    blank = (text == "").to_numpy()
    bad = np.isnan(num) & ~blank
    found = text[bad]
    if np.isinf(num).any() or (num < 0).any() or not set(found).issubset(SYMBOLS):
        return None
    symbol = np.full(n * len(columns), "", dtype=object)
    symbol[bad] = found.to_numpy(dtype=object)
    shape = (len(columns), n)
    return ParsedCounts(num.reshape(shape).T, symbol.reshape(shape).T, blank.reshape(shape).T)


#: Columns that say what a row of a published file counts (besides its area and year).
KEY_COLUMNS: tuple[str, ...] = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "region_code",
    "new_la_code",
    "breakdown_topic",
    "breakdown",
    "characteristic_age",
    "establishment_group",
    "establishment_type",
    "ehcp_or_statement",
    "age",
)


def _key_text(raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return raw[keys].apply(lambda c: c.astype(str).str.strip())


def repeated_rows(raw: pd.DataFrame) -> pd.Index:
    """Row labels of ``raw`` whose keys (:data:`KEY_COLUMNS`) another row repeats: the
    rows :func:`refuse_duplicates` would name. Found once for a whole file, they tell
    whether one area's rows need the check (two rows of the same keys are of one area)."""
    keys = [c for c in KEY_COLUMNS if c in raw.columns]
    if not keys or raw.empty:
        return raw.index[:0]
    return raw.index[_key_text(raw, keys).duplicated(keep=False).to_numpy()]


def refuse_duplicates(raw: pd.DataFrame, path: Path) -> None:
    """Refuse rows of a published file that repeat another row's keys (area, year,
    breakdown…): summed, they would count the same children twice.

    ``raw`` keeps the index of the file's rows as read (row = index + 2).

    Raises:
        DataError: Naming both rows of each repeat (the first five).
    """
    keys = [c for c in KEY_COLUMNS if c in raw.columns]
    if not keys or raw.empty:
        return
    text = _key_text(raw, keys)
    repeated = text.duplicated(keep=False)
    if not repeated.any():
        return
    problems = []
    for _, group in text[repeated].groupby(keys, sort=False):
        first, *others = group.index
        shown = [k for k in keys if k not in ("time_identifier", "geographic_level", "region_code")]
        what = ", ".join(f"{k} {group.loc[first, k]}" for k in shown if group.loc[first, k])
        problems += [
            Problem(f"{path}, row {row_of(o)}", f"repeats row {row_of(first)} ({what})")
            for o in others
        ]
        if len(problems) >= 5:
            break
    raise DataError(
        f"{path}: rows repeated (they would be counted twice); remove the repeats",
        problems[:5],
    )
