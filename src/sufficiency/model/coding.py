"""Coding labels as positions in a fixed list of categories, once per distinct label."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def codes(values: pd.Series, categories: Sequence[str], *, strict: bool = True) -> np.ndarray:
    """Position of each label in ``categories``.

    Factorises the column (fast for strings and categoricals alike) and looks up only the
    distinct labels, so the cost does not grow with string handling per row.

    Args:
        values: The labels.
        categories: The known labels, in order.
        strict: Raise on a label not in ``categories``; otherwise its position is -1.

    Raises:
        ValueError: With ``strict``, if a label is unknown.
    """
    coded, uniques = pd.factorize(values, sort=False)
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.array([position.get(str(u), -1) for u in uniques], dtype=np.int64)
    if strict and ((lookup < 0).any() or (coded < 0).any()):
        unknown = sorted({str(u) for u, i in zip(uniques, lookup, strict=True) if i < 0})
        raise ValueError(f"unknown labels {unknown}; expected one of {list(categories)}")
    return np.where(coded >= 0, lookup[coded], -1) if len(lookup) else np.full(len(coded), -1)
