"""Text files a council saves (input tables, its own files, scenario files): their encoding."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def text_encoding(path: Path) -> str:
    """The encoding of a text file a council saved: UTF-16 where it starts with its
    byte-order mark (Excel's "Unicode Text"), UTF-8 where every byte reads as such (a
    byte-order mark skipped: Excel's "CSV UTF-8"), else Windows-1252, the encoding of
    Excel's plain "CSV (Comma delimited)" on an English Windows (St Mary’s, a £ sign)."""
    with path.open("rb") as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        log.debug("%s is not UTF-8; read as Windows-1252", path)
        return "cp1252"
    return "utf-8-sig"
