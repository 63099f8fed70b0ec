"""Parsing shared by every reader of published and council files.

The DfE's and ONS's files and a council's own exports share their quirks: symbols in place
of numbers (``c``, ``x``, ``z``…), a byte-order mark before the first column name, padded
cells. One reader each lives beside this module; what they have in common lives here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem

__all__ = ["SYMBOLS", "numbers", "read_text_csv"]

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
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    try:
        # the current DfE release starts with a byte-order mark (and uses CRLF line ends)
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def numbers(values: pd.Series, column: str, path: Path, symbols: dict[str, int]) -> np.ndarray:
    """Counts as floats: symbols become NaN (and are counted); other text is an error."""
    text = values.str.strip()
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    blank = text == ""
    bad_mask = np.isnan(num) & ~blank.to_numpy()
    if bad_mask.any():
        found = text[bad_mask]
        unknown = sorted(set(found) - set(SYMBOLS))
        if unknown:
            raise DataError(
                f"{path}: unknown text in count column {column!r}",
                [Problem(f"{path}, column {column!r}", ", ".join(repr(u) for u in unknown[:10]))],
            )
        for s, n in found.value_counts().items():
            symbols[str(s)] = symbols.get(str(s), 0) + int(n)
    if blank.any():
        symbols["(blank)"] = symbols.get("(blank)", 0) + int(blank.sum())
    return num
