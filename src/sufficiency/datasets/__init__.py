"""The bundled example borough (Ashworth) and the seeded generator that made it.

>>> from sufficiency import datasets
>>> scenario = datasets.example_path()            # the shipped scenario.yaml
>>> folder = datasets.write_example("ashworth")   # a copy to edit
>>> tables = datasets.generate_borough(seed=1)    # the tables as DataFrames
>>> path = datasets.synthetic_borough(600, seed=3, path="big")  # a borough of any size

The functions are loaded on first use, so that ``python -m sufficiency.datasets.generator``
(which regenerates the shipped example) runs the generator module only once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Seed of the shipped example.
DEFAULT_SEED = 20250101

if TYPE_CHECKING:
    from ._writing import example_path, synthetic_borough, write_borough, write_example
    from .dfe import read_dfe_ehcp
    from .generator import generate_borough

__all__ = [
    "DEFAULT_SEED",
    "example_path",
    "generate_borough",
    "read_dfe_ehcp",
    "synthetic_borough",
    "write_borough",
    "write_example",
]

_LAZY = {
    "example_path": "._writing",
    "synthetic_borough": "._writing",
    "write_borough": "._writing",
    "write_example": "._writing",
    "generate_borough": ".generator",
    "read_dfe_ehcp": ".dfe",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
