"""Temporary folders the library makes: named after the process that owns them, and the
stale ones (their owner gone, e.g. after ``kill -9``) removed by the next run.

A folder is ``sufficiency-<kind>-<pid>-<random>`` in the system's temporary directory
(``sufficiency-cbc-…`` for the model files a Clp/CBC process reads, ``sufficiency-starter-…``
for a sweep's starter data). Each is removed by its owner when done; one left behind by a
process that was killed is removed by :func:`clean_stale` once no process has that id.
Folders of the older form without a process id are removed once they are older than
:data:`LEGACY_AGE_SECONDS`. Only folders of the current user are touched.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: Kinds of temporary folder the library makes.
KINDS: tuple[str, ...] = ("cbc", "starter")

#: Age after which a folder of the older form (no process id in its name) is stale.
LEGACY_AGE_SECONDS = 24 * 3600.0

_NAME = re.compile(r"^sufficiency-(?P<kind>" + "|".join(KINDS) + r")-(?:(?P<pid>\d+)-)?")


def prefix(kind: str) -> str:
    """The name prefix of a temporary folder of ``kind`` owned by this process."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of temporary folder {kind!r}")
    return f"sufficiency-{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_folders(directory: str | Path | None = None) -> list[Path]:
    """This user's temporary folders of the library whose owner process is gone.

    Args:
        directory: Where to look (default: the system's temporary directory).
    """
    root = Path(directory) if directory is not None else Path(tempfile.gettempdir())
    out = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and info.st_uid != uid:
            continue
        pid = match.group("pid")
        if pid is None:
            stale = now - info.st_mtime > LEGACY_AGE_SECONDS
        else:
            stale = int(pid) != os.getpid() and not _alive(int(pid))
        if stale:
            out.append(Path(entry.path))
    return out


def clean_stale(directory: str | Path | None = None) -> int:
    """Remove the library's stale temporary folders (see :func:`stale_folders`).

    Returns:
        The number of folders removed.
    """
    removed = 0
    for path in stale_folders(directory):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed += 1
    if removed:
        log.info("removed %d temporary folders left by stopped runs", removed)
    return removed
