"""Where pandas keeps text: Python-backed strings for the command's own process.

pandas 3 keeps text (the ``str`` dtype) in pyarrow arrays when pyarrow is installed. Each
small operation on them — a Series of six setting codes, a column label inserted, rows
taken — goes through pyarrow at a fixed cost of tens of microseconds, and a run of this
library makes tens of thousands of them on frames of a few rows: a generated borough's
run spent about a third of its CPU there (0.50 s of CPU a run under pyarrow-backed text,
0.32 s under Python-backed). The same ``str`` dtype with Python storage
(``mode.string_storage = "python"``) holds the same values with the same semantics
(missing values are NaN) and every output is byte-identical under both (the suite checks
this on the bundled borough).

The library never changes pandas' options when it is imported or called: a notebook's
frames keep the user's settings (a user can choose Python-backed text with
``pd.set_option("mode.string_storage", "python")`` before reading any data). The
``sufficiency`` command is a process of its own, so it runs each command under
:func:`python_strings`; so do the worker processes a sweep starts itself
(:func:`sufficiency.sweep.sweep`), whose table comes back in the caller's storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

__all__ = ["STORAGE", "python_strings"]

#: The storage :func:`python_strings` selects (pandas' ``mode.string_storage``).
STORAGE = "python"


@contextmanager
def python_strings() -> Iterator[None]:
    """Keep text made inside the block in Python-backed ``str`` arrays (restored after)."""
    with pd.option_context("mode.string_storage", STORAGE):
        yield
