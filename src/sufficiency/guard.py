"""The one rule every command that writes obeys: never overwrite or delete an input."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import SufficiencyError

__all__ = [
    "WRITTEN",
    "digests",
    "edited_files",
    "guard_inputs",
    "guard_replace",
    "inside",
    "read_record",
    "record_written",
    "scenario_inputs",
]


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it (both resolved)."""
    return path == folder or folder in path.parents


def scenario_inputs(path: str | Path, name: str | None = None) -> list[Path]:
    """What a scenario file reads: the file, the files it extends and its data files.

    Best effort, for guarding outputs before a run: a file that does not load (the run
    will say why) gives itself alone.

    Args:
        path: The scenario YAML file.
        name: A named scenario of the file (its overrides may name other data files).
    """
    from .config import load_scenario  # only when guarding a command's outputs

    paths = [Path(path)]
    try:
        scenario = load_scenario(path, scenario=name)
    except (SufficiencyError, OSError, ValueError):
        return paths
    paths += [Path(p) for p in scenario._sources]
    paths += [Path(p) for p in scenario.data.paths().values() if p is not None]
    return paths


def guard_inputs(out: str | Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output that could overwrite or delete an input, whatever ``--force`` says.

    The one rule for every command that writes (``run``, ``compare``, ``forecast``,
    ``sweep``, ``init``, ``example``): ``out`` may not be an input, hold one (a scenario
    file, a data file, a folder of published files such as ``--dfe``, a ``--population``
    file), nor lie inside an input folder (its files would be read as input next time).
    A new option that reads files adds its paths to ``inputs``.

    Args:
        out: The output folder.
        inputs: Every file and folder the command reads.

    Raises:
        SufficiencyError: Naming the output and the input it would destroy.
    """
    real = Path(out).absolute().resolve()
    for given in inputs:
        try:
            p = Path(given).absolute().resolve()
        except (OSError, ValueError):  # a path no file can have (a NUL byte): nothing to lose
            continue
        if inside(p, real):
            raise SufficiencyError(
                f"output folder {out} holds the input {p}: writing there would overwrite or "
                "delete it; choose another folder (--force does not override this)"
            )
        if p.is_dir() and inside(real, p):
            raise SufficiencyError(
                f"output folder {out} is inside the input folder {p}: its files would be read "
                "as input next time; choose a folder outside it (--force does not override "
                "this)"
            )


#: File in a folder written by ``init`` or ``example``, listing the files they wrote there.
WRITTEN = ".sufficiency-written.json"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (of a link: the path it points to)."""
    if path.is_symlink():
        return "link:" + os.readlink(path)
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digests(root: str | Path, files: Iterable[str]) -> dict[str, str]:
    """``{file: SHA-256}`` of ``files`` (relative to ``root``), for a folder's record of
    what the library wrote there: a file whose bytes later differ was edited."""
    return {f: file_digest(Path(root) / f) for f in sorted(files)}


def read_record(path: str | Path) -> dict[str, str | None] | None:
    """The files a record of what the library wrote lists, with their SHA-256 (``None``
    for a record of an earlier version, which kept names only); ``None`` if there is no
    readable record."""
    try:
        files = json.loads(Path(path).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if isinstance(files, dict):
        return {str(k): None if v is None else str(v) for k, v in files.items()}
    if isinstance(files, list):
        return {str(k): None for k in files}
    return None


def edited_files(root: str | Path, record: Mapping[str, str | None], stamp: Path) -> list[str]:
    """Files of ``record`` that were changed after the library wrote them: their bytes
    differ from the recorded SHA-256, or, where a record of an earlier version kept no
    digest, they were modified after the record file ``stamp`` was written (it is written
    last). A file that is gone holds nothing to lose."""
    root = Path(root)
    try:
        written_at: int | None = stamp.stat().st_mtime_ns
    except OSError:
        written_at = None
    changed = []
    for name, want in record.items():
        path = root / name
        if not (path.is_file() or path.is_symlink()):
            continue
        try:
            if want is None:
                differs = written_at is None or path.lstat().st_mtime_ns > written_at
            else:
                differs = file_digest(path) != want
        except OSError:
            differs = True
        if differs:
            changed.append(name)
    return changed


def guard_replace(folder: str | Path, files: Iterable[str]) -> None:
    """Refuse to replace (with ``--force``) a file of ``folder`` that the library did not
    write there, or that was edited since: ``init`` and ``example`` write into an existing
    folder only over their own earlier files, unchanged (listed with their SHA-256 in
    :data:`WRITTEN`), never over a council's scenario or data, nor over its edits to the
    starter's files.

    Args:
        folder: The folder written into.
        files: The files about to be written, relative to ``folder`` (POSIX paths).

    Raises:
        SufficiencyError: Naming the files that would be replaced.
    """
    root = Path(folder)
    ours = read_record(root / WRITTEN) or {}
    files = list(files)
    theirs = [f for f in files if (root / f).exists() and f not in ours]
    if theirs:
        more = f" and {len(theirs) - 5} more" if len(theirs) > 5 else ""
        raise SufficiencyError(
            f"{root} holds {', '.join(theirs[:5])}{more}, which sufficiency did not write: "
            "writing there would replace them; choose a new or empty folder "
            "(--force does not override this)"
        )
    changed = edited_files(root, {f: ours[f] for f in files if f in ours}, root / WRITTEN)
    if changed:
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise SufficiencyError(
            f"{root} holds {', '.join(changed[:5])}{more}, edited since sufficiency wrote "
            "it: writing there would replace the edits; choose a new or empty folder, or "
            "move the edited files away (--force does not override this)"
        )


def record_written(folder: str | Path, files: Iterable[str]) -> None:
    """Add ``files`` (relative to ``folder``), with their SHA-256, to the folder's
    :data:`WRITTEN` record."""
    root = Path(folder)
    ours = read_record(root / WRITTEN) or {}
    ours.update(digests(root, files))
    content = {"written_by": "sufficiency", "files": dict(sorted(ours.items()))}
    (root / WRITTEN).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
