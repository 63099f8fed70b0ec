"""The machine and software a benchmark ran on, recorded beside its figures."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("sufficiency", "numpy", "scipy", "pandas", "statsmodels", "highspy", "pulp")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cbc_version() -> str:
    from sufficiency.solve.lp import cbc_path

    try:
        out = subprocess.run(
            [cbc_path(), "-quit"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Version" in ln), "")


def _commit(root: Path) -> str:
    """The checked-out commit, ``+dirty`` if tracked files changed (git only reads)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine(root: Path) -> dict[str, Any]:
    """CPU, cores, memory, load, Python and package versions, commit and date."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": _memory_gib(),
        "load_average": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        **{package: _version(package) for package in PACKAGES},
        "cbc": _cbc_version(),
        "commit": _commit(root),
    }


def machine_block(root: Path) -> str:
    """The machine's details as a Markdown section for a results file."""
    return f"Machine:\n\n```json\n{json.dumps(machine(root), indent=2, default=str)}\n```\n"
