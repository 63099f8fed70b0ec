"""What produced a run: versions, creation time, the scenario as resolved, input hashes."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Scenario, scenario_provenance
from ..data import Inputs

__all__ = ["package_version", "provenance"]


def package_version() -> str:
    """Installed version of the package ('unknown' when run from a source tree)."""
    try:
        return metadata.version("sufficiency")
    except metadata.PackageNotFoundError:
        return "unknown"


def provenance(sc: Scenario, inputs: Inputs) -> dict[str, Any]:
    """What produced a run: versions, creation time, the scenario as resolved, input hashes;
    files named relative to the scenario file (or working folder), never by absolute path."""
    home = Path(sc._sources[-1]).parent if sc._sources else Path.cwd()
    rel = lambda p: Path(os.path.relpath(Path(p).absolute(), home.absolute())).as_posix()  # noqa: E731
    scenario = sc.model_dump(mode="json")
    scenario["data"] = {k: rel(v) if isinstance(v, str) else v for k, v in scenario["data"].items()}
    return {
        "package_version": package_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **scenario_provenance(sc),
        "scenario_files": [rel(p) for p in sc._sources],
        "scenario": scenario,
        "input_files": {n: {"path": rel(p), "sha256": h} for n, (p, h) in inputs.files.items()},
    }
