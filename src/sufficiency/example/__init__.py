"""The bundled example borough (Ashworth) and the seeded generator that made it.

>>> from sufficiency import datasets
>>> scenario = datasets.example_path()            # the shipped scenario.yaml
>>> folder = datasets.write_example("ashworth")   # a copy to edit
>>> tables = datasets.generate_borough(seed=1)    # the tables as DataFrames
>>> path = datasets.synthetic_borough(600, seed=3, path="big")  # a borough of any size

The functions are loaded on first use, so that ``python -m sufficiency.example.generator``
(which regenerates the shipped example) runs the generator module only once, and importing
:mod:`sufficiency` does not import the generator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._writing import write_borough
    from .bundled import example_path, synthetic_borough, write_example
    from .generator import DEFAULT_SEED, generate_borough

__all__ = [
    "DEFAULT_SEED",
    "example_path",
    "generate_borough",
    "synthetic_borough",
    "write_borough",
    "write_example",
]

_LAZY = {
    "DEFAULT_SEED": ".generator",
    "example_path": ".bundled",
    "synthetic_borough": ".bundled",
    "write_borough": "._writing",
    "write_example": ".bundled",
    "generate_borough": ".generator",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
