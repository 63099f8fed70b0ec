"""Reading one input table (CSV, Excel, Parquet, DataFrame) and checking it column by column."""

from __future__ import annotations

import csv
import difflib
import logging
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import taxonomy
from ..config.schema import NumberFormat
from ..errors import DataError, Problem
from ..text_files import text_encoding

log = logging.getLogger(__name__)

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
    #: The workbook's sheets, where its first was read for want of a sheet's name.
    sheets: tuple[str, ...] = ()

    @property
    def other_sheets(self) -> tuple[str, ...]:
        """The workbook's sheets besides the first one read (see :attr:`sheets`)."""
        return self.sheets[1:]

    def where(self, index: int, column: str | None = None) -> str:
        """``file, row N, column C`` for the cell at positional ``index``."""
        text = f"{self.label}, row {index + self.first_row}"
        return f"{text}, column {column!r}" if column else text


#: Largest input file read, in bytes (a council's tables are a few megabytes).
MAX_FILE_BYTES = 100_000_000
#: Most rows an input table may have.
MAX_ROWS = 1_000_000


def _too_many_rows(label: str, rows: int) -> DataError:
    return DataError(
        f"{label}: more than {MAX_ROWS:,} rows ({rows:,} read); input tables are limited to "
        f"{MAX_ROWS:,} rows: aggregate the table (one row per year, need, age and setting)"
    )


def _unsaved_formulas(path: Path, sheet: str | int) -> list[str]:
    """Cells of ``sheet`` holding a formula whose value was never saved (at most 5)."""
    from openpyxl import load_workbook

    try:
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # the pandas reader already read the file; no extra diagnosis
        return []
    try:
        values = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # read-only workbooks hold their file open until closed
        formulas.close()
        return []
    try:
        name = sheet if isinstance(sheet, str) else formulas.sheetnames[sheet]
        found: list[str] = []
        for row_f, row_v in zip(formulas[name].iter_rows(), values[name].iter_rows(), strict=False):
            for cell_f, cell_v in zip(row_f, row_v, strict=False):
                text = cell_f.value
                if isinstance(text, str) and text.startswith("=") and cell_v.value is None:
                    found.append(str(cell_f.coordinate))
                    if len(found) == 5:
                        return found
        return found
    finally:
        formulas.close()
        values.close()


def not_comma_separated(path: Path) -> str | None:
    """What to say of a CSV file whose header has no comma but semicolons or tabs (Excel
    saves "CSV" with semicolons where the decimal separator is a comma), or None."""
    try:
        with path.open(encoding=text_encoding(path), errors="replace") as fh:
            header = fh.readline()
    except OSError:
        return None
    text = header.rstrip("\r\n")
    if "," in text or "\ufffd" in text or any(c < " " and c != "\t" for c in text):
        return None  # commas, or not text at all (a binary file is said so elsewhere)
    for mark, name, why in (
        (";", "semicolons", "as Excel saves CSV where a comma is the decimal separator"),
        ("\t", "tabs", "a tab-delimited text file"),
    ):
        if mark in header:
            return (
                f"{path}: the columns are separated by {name}, not commas ({why}); save the "
                "sheet as 'CSV UTF-8 (Comma delimited)' or as an .xlsx workbook"
            )
    return None


def split_sheet(source: str | Path) -> tuple[Path, str | int]:
    """The file a table's path names and the sheet it picks: ``book.xlsx#Sheet`` names
    ``book.xlsx`` and its sheet ``Sheet``; a workbook alone means its first sheet (0), and
    a ``#`` in any other file's name is part of the name."""
    text = str(source)
    if "#" in text and text.lower().split("#")[0].endswith((".xlsx", ".xlsm", ".xls")):
        name, sheet = text.split("#", 1)
        return Path(name), sheet
    return Path(text), 0


def read_table(source: TableSource, label: str, *, keep_case: bool = False) -> RawTable:
    """Read a table from a CSV, Excel or Parquet file, or take a DataFrame.

    Args:
        source: Path (``.csv``, ``.xlsx``/``.xlsm``, ``.parquet``; ``book.xlsx#Sheet`` picks a
            sheet) or DataFrame.
        label: How messages name the table when ``source`` is a DataFrame.
        keep_case: Keep the column names as written (trimmed), not in lower case (a
            council's own file, whose readers match its published names).

    Raises:
        DataError: If the file is missing, a folder, unreadable, of an unknown type, larger
            than :data:`MAX_FILE_BYTES` or :data:`MAX_ROWS`, or a workbook whose formulas
            have no saved values.
    """
    if isinstance(source, pd.DataFrame):
        if len(source) > MAX_ROWS:
            raise _too_many_rows(label, len(source))
        frame = source.reset_index(drop=True).copy()
        frame.columns = column_names(frame.columns, label, mangled=False)
        return RawTable(frame, label, 0)
    path, sheet = split_sheet(source)
    if path.is_dir():
        raise DataError(f"{label}: {path} is a directory; give the table's file")
    if path.exists() and not path.is_file():
        raise DataError(
            f"{label}: {path} is not a regular file (a device, pipe or socket); give the "
            "table's file"
        )
    if not path.is_file():
        raise DataError(f"{label}: file not found: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(
            f"{path}: the file is {size / 1e6:,.0f} MB; input tables are limited to "
            f"{MAX_FILE_BYTES / 1e6:,.0f} MB and {MAX_ROWS:,} rows: aggregate the table "
            "(one row per year, need, age and setting)"
        )
    suffix = path.suffix.lower()
    if size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes): {_EMPTY_ADVICE}")
    if suffix in (".xlsx", ".xlsm") and (wrong := not_a_workbook(path)):
        raise DataError(f"{path}: {wrong}")
    sheets: tuple[str, ...] = ()
    try:
        if suffix in (".csv", ".txt"):
            frame = read_csv_cells(path)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            with pd.ExcelFile(path) as book:
                frame = pd.read_excel(book, sheet_name=sheet, dtype=object, nrows=MAX_ROWS + 1)
                if sheet == 0:  # named where the first sheet is not the table
                    sheets = tuple(str(n) for n in book.sheet_names)
            if suffix != ".xls":
                named = f", sheet {sheet!r}" if isinstance(sheet, str) else ""
                refuse_hidden_rows(path, sheet, len(frame), f"{path}{named}")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise DataError(f"{path}: unknown file type {suffix!r}; use .csv, .xlsx or .parquet")
    except DataError:
        raise
    except ImportError as exc:  # pandas reads .xls only with an optional package
        if suffix != ".xls":
            raise DataError(f"{path}: cannot read the table: {exc}") from None
        raise DataError(
            f"{path}: an Excel 97-2003 workbook (.xls) is not read here: open it in Excel "
            "and save it as an Excel Workbook (.xlsx) or as 'CSV UTF-8 (Comma delimited)'"
        ) from None
    except Exception as exc:  # every reader failure becomes one clear message
        raise DataError(f"{path}: cannot read the table: {exc}") from None
    if len(frame) > MAX_ROWS:
        raise _too_many_rows(str(path), len(frame))
    if suffix in (".xlsx", ".xlsm") and bool(frame.isna().to_numpy().any()):
        cells = _unsaved_formulas(path, sheet)
        if cells:
            raise DataError(
                f"{path}: the workbook has formulas without saved values (cells "
                f"{', '.join(cells)}{' …' if len(cells) == 5 else ''}); open it in Excel "
                "and save it, or export the sheet as CSV"
            )
    names = column_names(frame.columns, str(path), mangled=suffix != ".parquet")
    frame.columns = [str(c).strip() for c in frame.columns] if keep_case else names
    return RawTable(frame, str(path), 2, sheets)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")  # <row …>, or <x:row …> by other writers
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def hidden_rows(path: Path, sheet: str | int = 0) -> list[int]:
    """The rows of a workbook's sheet that are hidden (by a filter, or by hand), numbered
    as Excel shows them: ``sheet`` by name or position. Empty where none are, or where the
    workbook's parts are not where Excel puts them (the reader has read it already).

    A filter hides rows from the eye, not from a reader: pandas (and every CSV Excel saves)
    gives them like the others."""
    import xml.etree.ElementTree as ET
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            sheets = ET.fromstring(z.read("xl/workbook.xml")).findall(f"{_MAIN}sheets/{_MAIN}sheet")
            pick = (
                sheets[sheet]
                if isinstance(sheet, int)
                else next(s for s in sheets if s.get("name") == sheet)
            )
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target", "") for r in rels if r.get("Id") == pick.get(f"{_REL}id"))
            data = z.read(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    except (KeyError, IndexError, StopIteration, ET.ParseError, OSError, zipfile.BadZipFile):
        return []
    out = []
    for tag in _ROW_TAG.findall(data):
        if _HIDDEN.search(tag) and (number := _ROW_NUMBER.search(tag)):
            out.append(int(number.group(1)))
    return out


def refuse_hidden_rows(path: Path, sheet: str | int, rows: int, label: str) -> None:
    """Refuse a sheet whose data rows (``rows`` of them below its header) include hidden
    ones: read like the others, they would count where the user filtered them out.

    Raises:
        DataError: Naming the rows (``label``: the file and sheet).
    """
    hidden = [r for r in hidden_rows(path, sheet) if 2 <= r <= rows + 1]
    if hidden:
        listed = ", ".join(map(str, hidden[:10])) + (" …" if len(hidden) > 10 else "")
        rows_are = "row {} is" if len(hidden) == 1 else "rows {} are"
        raise DataError(
            f"{label}: {rows_are.format(listed)} hidden (by a filter, or by hand), and would "
            "be read like the others: clear the filter or unhide the rows, and delete those "
            "not meant"
        )


def not_a_workbook(path: Path) -> str | None:
    """What a file named ``.xlsx`` is instead, from its first bytes, or None if it is a
    workbook (a zip archive, as every .xlsx is)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return None
    if head == bytes.fromhex("d0cf11e0a1b11ae1"):  # the compound file of Office 97-2003
        return (
            "the workbook is protected by a password to open it (or is an Excel 97-2003 "
            "file under an .xlsx name): remove the password (File > Info > Protect Workbook) "
            "or export the sheet as 'CSV UTF-8 (Comma delimited)'"
        )
    return (
        "the file is not an Excel workbook, whatever its name (a CSV file renamed .xlsx?): "
        "rename it .csv if it is one, or save it from Excel as an Excel Workbook (.xlsx)"
    )


#: What to do about an empty file (one saved before anything was pasted into it, or cut
#: short by a copy that failed).
_EMPTY_ADVICE = "it needs its header line and at least one row; save the table into it again"

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _said(exc: Exception) -> str:
    """A reader's failure in a user's words where we know it (pandas' "Error tokenizing
    data" is a row with more cells than the header), else as the reader put it."""
    found = _FIELDS.search(str(exc))
    if found is None:
        return str(exc)
    header, line, cells = found.groups()
    return (
        f"line {line} has {cells} cells where the header (line 1) has {header}: a title or "
        "notes above the header (delete them so the header is the first line), or a comma "
        "inside a cell that is not in quotes"
    )


def read_csv_cells(path: Path, what: str = "table") -> pd.DataFrame:
    """A CSV file's cells as text, its column names as written (at most :data:`MAX_ROWS`
    + 1 rows): in its encoding (:func:`text_encoding`), lines that all end with one empty
    cell read as without it, and the empty rows below the data left out
    (:func:`without_empty_rows_below`). The input tables and a council's own files are read
    here.

    Raises:
        DataError: One message naming the file, ``what`` it is and, where known, the
            mistake in a user's words: columns separated by semicolons or tabs, a line
            with more cells than the header (:func:`_cells_beyond_header`), text in none
            of the encodings.
    """
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{path}: the {what} file is empty (0 bytes): {_EMPTY_ADVICE}")
    try:
        frame = _read_csv(path)
    except Exception as exc:  # every reader failure becomes one clear message
        hint = not_comma_separated(path)
        raise DataError(hint or f"{path}: cannot read the {what}: {_said(exc)}") from None
    if len(frame.columns) == 1 and (hint := not_comma_separated(path)):
        raise DataError(hint)
    if not isinstance(frame.index, pd.RangeIndex):
        # rows with more cells than the header: pandas made the first ones an index
        wider = _cells_beyond_header(path)
        if wider is not None:
            raise DataError(f"{path}: cannot read the {what}: {wider}")
        # only empty cells beyond the header (every line ends with a comma): dropped, and
        # pandas' warning of a loss of data with them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = _read_csv(path, index_col=False)
    return without_empty_rows_below(frame)


def without_empty_rows_below(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (text cells) without the rows after its last with anything in it: what a
    file saved from Excel keeps below its data once those rows were formatted (``,,,``).
    They hold nothing; a blank row among the data is kept (and refused by what it lacks,
    at its own row number)."""
    end = len(frame)  # from the bottom: a table's last row is nearly always its data
    while end and all(str(v).strip() in ("", "nan", "None") for v in frame.iloc[end - 1]):
        end -= 1
    return frame if end == len(frame) else frame.iloc[:end]


def _read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """A CSV file's cells as text (at most :data:`MAX_ROWS` + 1 rows), in its encoding
    (:func:`text_encoding`)."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
        nrows=MAX_ROWS + 1,
        encoding=text_encoding(path),
        **options,
    )


def _cells_beyond_header(path: Path) -> str | None:
    """Where a line first has more cells than the header, in a user's words; None if every
    line has the same number of cells beyond the header's columns and all of them are empty
    (each line ends with a comma: an export's habit). One line wider than the others is
    a cell holding a comma, or a title above the header: never read by dropping a cell."""
    with path.open(encoding=text_encoding(path), errors="replace", newline="") as fh:
        rows = csv.reader(fh)
        header = len(next(rows, []))
        widths: set[int] = set()
        first: tuple[int, int] | None = None  # the first line wider than the header
        filled = False  # a cell beyond the header's columns holds something
        for number, row in enumerate(rows, start=2):
            if not row:  # a blank line
                continue
            widths.add(len(row))
            if len(row) > header:
                first = first or (number, len(row))
                filled = filled or any(cell.strip() for cell in row[header:])
    if first is None or (len(widths) == 1 and not filled):
        return None
    return _said(ValueError(f"Expected {header} fields in line {first[0]}, saw {first[1]}"))


#: Rows below the first searched for the table's real header (a title and notes above it).
HEADER_SEARCH_ROWS = 10


def _header_below(frame: pd.DataFrame, wanted: set[str]) -> int | None:
    """The position of a row among the first :data:`HEADER_SEARCH_ROWS` whose cells name
    every column in ``wanted`` (the header under a title), or None."""
    if not wanted:
        return None
    for i in range(min(len(frame), HEADER_SEARCH_ROWS)):
        cells = {column_key(v) for v in frame.iloc[i].tolist()}
        if wanted <= cells:
            return i
    return None


_MANGLED = re.compile(r"^(.*)\.(\d+)$")
_SEPARATORS = re.compile(r"[\s\-_]+")
_WORDS = re.compile(r"[a-z0-9]+")


def column_key(name: object) -> str:
    """A column's name as matched: trimmed, in lower case, its spaces and hyphens written
    as underscores (``Place funding``, ``Top-up`` and ``planning area`` are
    ``place_funding``, ``top_up`` and ``planning_area``), as a spreadsheet's header is
    often written."""
    return _SEPARATORS.sub("_", str(name).strip().lower())


def column_names(columns: pd.Index, label: str, *, mangled: bool) -> list[str]:
    """Column names as matched (:func:`column_key`), each once.

    Two columns with one name (``children`` twice, or ``children`` and ``Children ``, or
    ``top_up`` and ``Top-up``) would leave the choice between them to the reader: an error
    naming both, as a spreadsheet user sees them (columns E and F; a DataFrame's by
    position). pandas renames a repeated header of a CSV or workbook ``children.1``;
    ``mangled`` (a file's columns) reads such a name back as ``children``.
    """
    names = [column_key(c) for c in columns]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        found = _MANGLED.match(name) if mangled else None
        base = found.group(1).strip() if found and found.group(1).strip() in names else name
        if base in seen:
            first = seen[base]
            where = (
                f"columns {_letters(first)} and {_letters(i)}"
                if mangled
                else f"positions {first} and {i}"
            )
            raise DataError(
                f"{label}: the column {base!r} is given twice ({where}): keep one, or name "
                "them apart"
            )
        seen[base] = i
    return names


def unread_columns(
    present: Iterable[str],
    known: Sequence[str],
    label: str,
    *,
    ignored: Collection[str] = (),
    what: str = "table",
    synonyms: Mapping[str, str] | None = None,
) -> list[Problem]:
    """A problem for each column of ``present`` that is not read but looks meant for a
    column that is: its words among a known column's or a known column's among its
    (``transport`` or ``places_2026`` for ``transport_per_place`` or ``places``; ``top_up_(£k)``
    for ``top_up``), or a near spelling (``transport_per_plce``), where the table lacks the
    column it resembles or its name holds a number (a year's figures in a column of their
    own). Left aside, such a column would silently give way to a default (a national
    price, no planning area) or lose a year of the user's figures. Other columns
    (``notes``, ``need_description`` beside ``need``) are left aside, as are ``ignored``
    ones (a file's documented extras).

    Args:
        present: The table's column names as matched (:func:`column_key`).
        known: The columns the reader reads.
        label: The file, for messages.
        ignored: Columns the reader leaves aside on purpose.
        what: The table, as messages name it.
        synonyms: Other names of known columns in the trade's words (``element_3``, the
            top-up), each a column meant for the one it names.
    """
    words = {k: set(_WORDS.findall(k)) for k in known}
    names = list(present)
    out: list[Problem] = []
    for name in names:
        if name in known or name in ignored:
            continue
        mine = set(_WORDS.findall(name))
        close = [k for k in known if mine and (mine <= words[k] or words[k] <= mine)]
        close += [synonyms[name]] if synonyms and synonyms.get(name) in known else []
        close += [
            k for k in difflib.get_close_matches(name, known, n=2, cutoff=0.8) if k not in close
        ]
        # beside the columns it resembles, a column without a year in its name describes
        # them (need_description beside need): left aside
        if not close or (set(close) <= set(names) and not re.search(r"\d", name)):
            continue
        years = " or ".join(repr(k) for k in ("year", "academic_year") if k in known)
        by_year = (
            f"; a year's figures go in rows of their own (one row per year, its year in the "
            f"column {years})"
            if years and re.search(r"(19|20)\d\d", name)
            else ""
        )
        out.append(
            Problem(
                f"{label}, column {name!r}",
                "not read (did you mean "
                + " or ".join(repr(k) for k in close)
                + "?), so it would be left aside without a word: name it as the column it "
                f"is meant for, in that column's unit, or delete it{by_year}. Columns read "
                f"from the {what}: {', '.join(known)}",
            )
        )
    return out


def _letters(position: int) -> str:
    """A spreadsheet's letters for a column's position (0 -> A, 26 -> AA)."""
    out, n = "", position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _blank(values: pd.Series) -> np.ndarray:
    """Whether each cell is missing or only spaces (each distinct cell looked at once: a
    column repeats a few values over thousands of rows)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    as_text = pd.Series(distinct, dtype=object).astype("string").str.strip()
    blank = np.asarray((as_text == "").fillna(True), dtype=bool)
    return np.append(blank, True)[codes]


_NOT_FINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def _number_patterns(fmt: NumberFormat) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """Regular expressions of a plain number and of one with thousands separators."""
    d, g = re.escape(fmt.decimal), re.escape(fmt.grouping)
    plain = re.compile(rf"[+-]?(?:\d+(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?")
    grouped = re.compile(rf"[+-]?[1-9]\d{{0,2}}(?:{g}\d{{3}})+(?:{d}\d+)?") if g else None
    return plain, grouped


_DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})*,\d+|[+-]?\d+,\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d{1,3}(?:,\d{3})*\.\d+|[+-]?\d+\.\d+")
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")


def _why_not_a_number(text: str, fmt: NumberFormat, table: str) -> str:
    """Why ``text`` is not a number in ``fmt``, in words a user can act on."""
    if text.lower() in _NOT_FINITE:
        return f"not a finite number: {text!r}; give a number"
    if fmt.decimal == "." and _DECIMAL_COMMA.fullmatch(text):
        return (
            f"{text!r} is written with a decimal comma; write it with a decimal point "
            f"(e.g. 1.5), or declare the table's format in the scenario: "
            f"data.number_formats.{table}: {{decimal: ',', thousands: '.'}}"
        )
    if fmt.decimal == "," and _DECIMAL_POINT.fullmatch(text):
        return (
            f"{text!r} is written with a decimal point, but data.number_formats.{table} "
            "declares a decimal comma"
        )
    return f"not a number: {text!r}"


def _figure(value: float) -> str:
    """A limit as people write it: 100,000 or 0.5."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _plain_text_numbers(
    values: pd.Series, fmt: NumberFormat
) -> tuple[np.ndarray, np.ndarray] | None:
    """Numbers and blanks of a text column whose every cell is blank or a plain number.

    The common case (a CSV column of numbers, read as text) in a few vectorised steps:
    the same values :func:`_text_numbers` reads from such a column. None when the column
    is not text, or a cell needs the full reading (a thousands separator, a pound sign, a
    mistake to report).
    """
    if not isinstance(values.dtype, pd.StringDtype):
        return None
    # each distinct cell read once: a column of counts, years or ages repeats a few
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = [str(t).strip() for t in distinct]
    empty = np.array([t == "" for t in texts] + [True], dtype=bool)  # [-1]: a missing cell
    blank = empty[codes]
    plain, _ = _number_patterns(fmt)
    if not all(plain.fullmatch(t) for t, e in zip(texts, empty[:-1], strict=True) if not e):
        return None
    if fmt.decimal != ".":
        texts = [t.replace(fmt.decimal, ".") for t in texts]
    read = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float)
    numbers = np.append(read, np.nan)[codes]
    numbers[blank] = np.nan
    return numbers, blank


def _text_numbers(
    raw: RawTable,
    col: Column,
    values: pd.Series,
    problems: list[Problem],
    fmt: NumberFormat,
    table: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read every cell of a number column, whatever it holds (text, numbers, booleans).

    Returns:
        The numbers (NaN where blank or bad), and masks of the blank cells, the cells
        found bad (their problems appended) and the cells that were numbers already.
    """
    unit = f" ({col.unit})" if col.unit else ""
    blank = _blank(values)
    numbers = np.full(len(values), np.nan)
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_bool = values.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    direct = ~is_text & ~is_bool & ~blank
    if direct.any():  # numbers already (Excel, Parquet, DataFrame): no text to parse
        numbers[direct] = pd.to_numeric(values[direct], errors="coerce").to_numpy(dtype=float)
    bad = np.zeros(len(values), dtype=bool)
    for k in np.flatnonzero(is_bool & ~blank):
        problems.append(Problem(raw.where(int(k), col.name), f"not a number: {values.iloc[k]!r}"))
        bad[k] = True
    text_rows = np.flatnonzero(is_text & ~blank)
    if len(text_rows):
        plain, grouped = _number_patterns(fmt)
        cells = values.iloc[text_rows].str.strip().str.replace(r"^([+-]?)£", r"\1", regex=True)
        cells = cells.str.strip()
        is_plain = cells.str.fullmatch(plain.pattern).to_numpy(dtype=bool)
        is_grouped = (
            cells.str.fullmatch(grouped.pattern).to_numpy(dtype=bool)
            if grouped is not None
            else np.zeros(len(cells), dtype=bool)
        )
        ok = is_plain | is_grouped
        canonical = cells.where(~is_grouped, cells.str.replace(fmt.grouping, "", regex=False))
        canonical = canonical.str.replace(fmt.decimal, ".", regex=False)
        numbers[text_rows[ok]] = pd.to_numeric(canonical[ok], errors="coerce").to_numpy(dtype=float)
        for j in np.flatnonzero(~ok):
            row = int(text_rows[j])
            problems.append(
                Problem(
                    raw.where(row, col.name),
                    _why_not_a_number(str(cells.iloc[j]), fmt, table) + unit,
                )
            )
            bad[row] = True
        # 1,234 and 1.234 in one column: one of them must be a decimal separator
        ambiguous = is_grouped & cells.str.fullmatch(_AMBIGUOUS.pattern).to_numpy(dtype=bool)
        other_sep = "." if fmt.grouping == "," else ","
        if fmt.grouping in ",." and ambiguous.any():
            clash = is_plain & cells.str.fullmatch(
                rf"[+-]?\d{{1,3}}{re.escape(other_sep)}\d{{3}}"
            ).to_numpy(dtype=bool)
            if clash.any():
                a, b = (
                    int(text_rows[np.flatnonzero(ambiguous)[0]]),
                    int(text_rows[np.flatnonzero(clash)[0]]),
                )
                problems.append(
                    Problem(
                        raw.where(a, col.name),
                        f"{values.iloc[a]!r} and {values.iloc[b]!r} (row {b + raw.first_row}) "
                        "use ',' and '.' the same way: the number format is ambiguous; "
                        f"declare it in the scenario as data.number_formats.{table}",
                    )
                )
                bad[a] = True
    return numbers, blank, bad, direct


def _parse_number(
    raw: RawTable,
    col: Column,
    values: pd.Series,
    problems: list[Problem],
    fmt: NumberFormat | None = None,
    table: str = "",
) -> pd.Series:
    fmt = fmt or NumberFormat()
    unit = f" ({col.unit})" if col.unit else ""
    fast = _plain_text_numbers(values, fmt)
    if fast is not None:
        numbers, blank = fast
        bad = np.zeros(len(values), dtype=bool)
        direct = np.zeros(len(values), dtype=bool)
    elif values.dtype.kind in "iuf":  # numbers already (a DataFrame, Excel, Parquet)
        numbers = values.to_numpy(dtype=float, na_value=np.nan, copy=True)
        blank = np.isnan(numbers)
        bad = np.zeros(len(values), dtype=bool)
        direct = ~blank
    else:
        numbers, blank, bad, direct = _text_numbers(raw, col, values, problems, fmt, table)
    infinite = ~blank & ~bad & np.isinf(numbers)
    unparsed = direct & np.isnan(numbers)
    for i in np.flatnonzero(infinite | unparsed):
        problems.append(
            Problem(raw.where(int(i), col.name), f"not a finite number: {values.iloc[i]!r}{unit}")
        )
    bad |= infinite | unparsed
    numbers[bad] = np.nan
    series = pd.Series(numbers, index=values.index, dtype=float)
    good = ~blank & ~bad
    if col.kind == "int":
        frac = good & (np.abs(numbers - np.round(numbers)) > 1e-9)
        for i in np.flatnonzero(frac):
            problems.append(
                Problem(raw.where(int(i), col.name), f"not a whole number: {values.iloc[i]!r}")
            )
    if col.minimum is not None:
        for i in np.flatnonzero(good & (numbers < col.minimum)):
            problems.append(
                Problem(
                    raw.where(int(i), col.name),
                    f"{values.iloc[i]!s} is below the minimum {_figure(col.minimum)}{unit}",
                )
            )
    if col.maximum is not None:
        for i in np.flatnonzero(good & (numbers > col.maximum)):
            problems.append(
                Problem(
                    raw.where(int(i), col.name),
                    f"{values.iloc[i]!s} is above the maximum {_figure(col.maximum)}{unit}",
                )
            )
    if not col.blank_ok:
        for i in np.flatnonzero(blank):
            problems.append(Problem(raw.where(int(i), col.name), "empty cell; a value is required"))
    return series


#: Labels a spreadsheet gives its totals row (its sums would count every child twice).
_TOTAL_WORDS = frozenset({"total", "totals", "grand total", "all", "sum"})


def _parse_labels(
    raw: RawTable, col: Column, values: pd.Series, problems: list[Problem]
) -> pd.Series:
    kind = col.kind
    text = values.astype("string").fillna("")
    # each distinct label looked up once (a table's thousands of rows repeat a few)
    codes, uniques = pd.factorize(text)
    mapping = {u: taxonomy.lookup(kind, u) for u in uniques}
    unknown = [u for u, code in mapping.items() if code is None and not (col.blank_ok and u == "")]
    if unknown:
        for u in unknown:
            rows = np.flatnonzero((text == u).to_numpy())
            first = raw.where(int(rows[0]), col.name)
            more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
            if u.strip().lower() in _TOTAL_WORDS:  # a spreadsheet's totals row kept
                said = f"{u!r}{more} makes a totals row: remove it (totals are summed here)"
            else:
                said = f"unknown {kind.replace('_', ' ')} {u!r}{more}; accepted: " + ", ".join(
                    taxonomy.accepted(kind)
                )
            problems.append(Problem(first, said))
    labels = np.array([mapping.get(u) or "" for u in uniques] + [""], dtype=object)
    return pd.Series(labels[codes], index=values.index, name=values.name, dtype="string")


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
        codes, unknown = taxonomy.need_list(s)
        for part in unknown:
            problems.append(
                Problem(
                    raw.where(i, col.name),
                    f"unknown need {part!r}; accepted: ALL or " + ", ".join(taxonomy.NEEDS),
                )
            )
        if not codes and not unknown:
            problems.append(
                Problem(raw.where(i, col.name), "no needs given; list need codes or ALL")
            )
        out.append(tuple(codes))
    return pd.Series(out, index=values.index, dtype=object)


_PARSERS: dict[str, Callable[[RawTable, Column, pd.Series, list[Problem]], pd.Series]] = {
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
    number_format: NumberFormat | None = None,
    table: str = "",
    ignored: Collection[str] = (),
) -> pd.DataFrame:
    """Parse and check ``raw`` against ``columns``, appending every problem found.

    Args:
        raw: The table as read.
        columns: Column specifications; other columns are left aside, unless one looks
            meant for a listed one (:func:`unread_columns`: a problem).
        problems: Collector for problems (the caller raises once).
        one_of: Groups of column names of which at least one must be present
            (e.g. ``("age", "age_band")``); those columns are specified as not required.
        number_format: How numbers are written in text cells (English by default).
        table: The table's name in the scenario's ``data`` section, for messages.
        ignored: Columns left aside on purpose (a file's documented extras).

    Returns:
        The parsed frame (possibly with placeholder values where problems were found).
    """
    frame = raw.frame
    out: dict[str, Any] = {}
    present = set(frame.columns)
    problems += unread_columns(
        frame.columns,
        [c.name for c in columns],
        raw.label,
        ignored=ignored,
        what=f"{table} table" if table else "table",
    )
    missing = [c.name for c in columns if c.required and c.name not in present]
    for group in one_of:
        if not any(g in present for g in group):
            missing.append(" or ".join(group))
    if missing:
        wanted = {c.name for c in columns if c.required}
        below = _header_below(frame, wanted)
        problems.append(
            Problem(
                raw.label,
                f"missing column(s): {', '.join(missing)}; found: {', '.join(frame.columns)}"
                + (
                    f"; the table's header looks to be on row {below + raw.first_row}: "
                    "delete the rows above it (a title or notes) so the header is the first row"
                    if below is not None
                    else ""
                )
                + (
                    "; this is the workbook's first sheet, and it has others ("
                    + ", ".join(raw.other_sheets)
                    + f"): name the table's as {Path(raw.label).name}#{raw.other_sheets[0]}"
                    if raw.other_sheets and below is None
                    else ""
                ),
            )
        )
        return pd.DataFrame()
    # where several columns of a group are given (age and age_band), a cell may be blank
    # on a row where another of them is filled; a row with all of them blank may not
    either: set[str] = set()
    for group in one_of:
        given = [g for g in group if g in present]
        if len(given) < 2:
            continue
        either |= set(given)
        none = np.logical_and.reduce([np.asarray(_blank(frame[g])) for g in given])
        for i in np.flatnonzero(none)[:20]:
            problems.append(
                Problem(raw.where(int(i), given[0]), f"empty cells; give {' or '.join(given)}")
            )
    for col in columns:
        if col.name not in present:
            continue
        if col.name in either:
            col = replace(col, blank_ok=True)
        values = frame[col.name]
        if col.kind == "text":
            blank = _blank(values)
            if not col.blank_ok:
                for i in np.flatnonzero(blank):
                    problems.append(
                        Problem(raw.where(int(i), col.name), "empty cell; a value is required")
                    )
            out[col.name] = values.astype("string").str.strip().fillna("").astype(object)
        elif col.kind in ("int", "float"):
            out[col.name] = _parse_number(raw, col, values, problems, number_format, table)
        else:
            out[col.name] = _PARSERS[col.kind](raw, col, values, problems)
    return pd.DataFrame(out, index=frame.index)


def raise_if(problems: list[Problem], what: str) -> None:
    """Raise one DataError listing ``problems`` if there are any."""
    if problems:
        raise DataError(f"{what}: {len(problems)} problem(s) found", problems)
