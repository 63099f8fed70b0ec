"""The bundled example and the DfE reader under the public name notebooks use.

A face only: the fictional borough lives in :mod:`sufficiency.example`, the readers of
published and council files in :mod:`sufficiency.sources`.

>>> from sufficiency import datasets
>>> scenario = datasets.example_path()            # the shipped scenario.yaml
>>> folder = datasets.write_example("ashworth")   # a copy to edit
>>> tables = datasets.generate_borough(seed=1)    # the tables as DataFrames
>>> path = datasets.synthetic_borough(600, seed=3, path="big")  # a borough of any size
>>> history = datasets.read_dfe_ehcp("caseload.csv", la="Dudley")  # a DfE file

The functions are loaded on first use, so importing :mod:`sufficiency` imports neither the
generator nor the readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .example import (
        DEFAULT_SEED,
        example_path,
        generate_borough,
        synthetic_borough,
        write_borough,
        write_example,
    )
    from .sources import read_dfe_ehcp

__all__ = [
    "DEFAULT_SEED",
    "example_path",
    "generate_borough",
    "read_dfe_ehcp",
    "synthetic_borough",
    "write_borough",
    "write_example",
]

_HOME = {name: "sufficiency.example" for name in __all__} | {"read_dfe_ehcp": "sufficiency.sources"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
