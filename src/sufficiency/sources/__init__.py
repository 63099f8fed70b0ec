"""Readers of files the library did not write, and the starter that turns them into a scenario.

One module per source:

* :mod:`.dfe` — the DfE's EHC plan caseload files, every layout since 2010;
* :mod:`.dfe_release` — a whole release folder (caseload, flows, breakdowns by age and need);
  :mod:`.dfe_columns` the columns its data guidance documents;
* :mod:`.ons` — ONS mid-year estimates and sub-national population projections;
* :mod:`.gias` — the register of establishments (settings keyed by URN) and a council's
  place numbers;
* :mod:`.sen2` — a council's SEN2 person-level returns (COLLECT's Blade export): children at
  each census, flows, and each child's moves between returns;
* :mod:`.starter` — ``sufficiency init``: a scenario folder from the sources above;
* :mod:`.parsing` — what every reader shares (symbols such as ``c``/``x``/``z``,
  byte-order marks, counts read as numbers).

No module outside this folder reads a published or council file format; the scenario's
own tables (``data/*.csv``) are read by :mod:`sufficiency.data`.

The functions are loaded on first use, so importing :mod:`sufficiency` does not import the
readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dfe import read_dfe_ehcp
    from .dfe_release import local_authorities, read_dfe_release
    from .gias import read_gias, read_places
    from .ons import read_ons_population
    from .sen2 import read_sen2
    from .starter import write_starter

__all__ = [
    "local_authorities",
    "read_dfe_ehcp",
    "read_dfe_release",
    "read_gias",
    "read_ons_population",
    "read_places",
    "read_sen2",
    "write_starter",
]

_LAZY = {
    "read_dfe_ehcp": ".dfe",
    "read_dfe_release": ".dfe_release",
    "local_authorities": ".dfe_release",
    "read_ons_population": ".ons",
    "read_gias": ".gias",
    "read_places": ".gias",
    "read_sen2": ".sen2",
    "write_starter": ".starter",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
