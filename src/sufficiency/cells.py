"""Text cells safe to open in a spreadsheet: no text the library writes starts a formula.

A spreadsheet reads a CSV cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula, so a setting named ``=HYPERLINK(…)`` would run
when the file is opened. Such text cells get a leading ``'``, which spreadsheets show as
text; numbers are left as numbers. The workbook writes the same cells as strings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def text_starts_formula(values: pd.Series) -> bool:
    """Whether any text cell of ``values`` (a text or object column) starts a formula."""
    if values.empty:
        return False
    cells = values.astype(object).to_numpy()
    try:
        uniques = pd.unique(cells)  # each text once
    except TypeError:  # unhashable cells (lists): look at every one
        uniques = cells
    return any(isinstance(v, str) and v.startswith(FORMULA_START) for v in uniques)


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column label that would start a formula escaped.

    Numeric and boolean columns are untouched; the frame is returned as it is when
    nothing needs escaping.
    """
    changed: dict[Any, pd.Series] = {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = [escape_text(c) for c in values.cat.categories]
            if cats != list(values.cat.categories):
                if len(set(cats)) == len(cats):
                    changed[column] = values.cat.rename_categories(cats)
                else:
                    changed[column] = values.astype(object).map(escape_text)
        elif (
            values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
        ) and text_starts_formula(values):
            changed[column] = values.astype(object).map(escape_text)
    labels = [escape_text(c) for c in frame.columns]
    if not changed and labels == list(frame.columns):
        return frame
    safe = frame.copy()
    for column, values in changed.items():
        safe[column] = values
    safe.columns = pd.Index(labels)
    return safe
