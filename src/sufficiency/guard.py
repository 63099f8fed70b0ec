"""The one rule every command that writes obeys: never overwrite or delete an input."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import SufficiencyError

__all__ = [
    "WRITTEN",
    "guard_inputs",
    "guard_replace",
    "inside",
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


def guard_replace(folder: str | Path, files: Iterable[str]) -> None:
    """Refuse to replace (with ``--force``) a file of ``folder`` that the library did not
    write there: ``init`` and ``example`` write into an existing folder only over their own
    earlier files (listed in :data:`WRITTEN`), never over a council's scenario or data.

    Args:
        folder: The folder written into.
        files: The files about to be written, relative to ``folder`` (POSIX paths).

    Raises:
        SufficiencyError: Naming the files that would be replaced.
    """
    import json

    root = Path(folder)
    try:
        ours = set(json.loads((root / WRITTEN).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        ours = set()
    theirs = [f for f in files if (root / f).exists() and f not in ours]
    if theirs:
        more = f" and {len(theirs) - 5} more" if len(theirs) > 5 else ""
        raise SufficiencyError(
            f"{root} holds {', '.join(theirs[:5])}{more}, which sufficiency did not write: "
            "writing there would replace them; choose a new or empty folder "
            "(--force does not override this)"
        )


def record_written(folder: str | Path, files: Iterable[str]) -> None:
    """Add ``files`` (relative to ``folder``) to the folder's :data:`WRITTEN` list."""
    import json

    root = Path(folder)
    try:
        ours = set(json.loads((root / WRITTEN).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        ours = set()
    content = {"written_by": "sufficiency", "files": sorted(ours | set(files))}
    (root / WRITTEN).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
