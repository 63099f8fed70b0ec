"""The package layout of DESIGN.md: stages as folders, imports running downward, no circles.

Every ``import`` in ``src/sufficiency`` is read from the source (module level, inside
functions and under ``TYPE_CHECKING`` alike) and resolved to a module of the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sufficiency"

#: Rank of each top-level part: a module may import only parts of lower rank (or its own
#: part). Same rank means neither may import the other.
RANK: dict[str, int] = {
    "errors": 0,
    "taxonomy": 1,
    "config": 2,
    "data": 3,
    "text_storage": 0,  # where pandas keeps text in the command's own process
    "blas_threads": 0,  # one BLAS thread for the library's own work
    "scratch": 0,  # temporary folders named for their process, stale ones removed
    "text_files": 0,  # the encoding of text files a council saves
    "guard": 3,  # the one rule of every command that writes: never an input (reads config)
    "sources": 5,  # readers of published and council files, and the starter (forecast's shapes)
    "example": 6,  # the fictional borough and its generator
    "forecast": 4,
    "model": 4,
    "solve": 5,
    "postprocess": 6,
    "allocate": 7,
    "results": 8,
    "cells": 8,
    "report": 9,
    "outputs": 10,
    "pipeline": 11,
    "sweep": 12,
    "datasets": 12,  # the public face of example/ and sources/ for notebooks
    "cli": 13,
    "__init__": 13,
}

#: Imports that deliberately point upward, each inside a function: ``Result.write`` and
#: ``Comparison.write`` hand over to :mod:`sufficiency.outputs` so notebooks can call them;
#: the scenario schema reads the forecast's method registry (the one list of names) when it
#: validates ``forecast.method`` and ``forecast.candidates``.
LATE_UPWARD = {("results", "outputs"), ("config", "forecast")}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in SRC.rglob("*.py")}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for t in targets:
                if t in modules and t != name:
                    graph[name].add(t)
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_stage_folders_exist() -> None:
    expected = {
        "model": {"levels", "levers", "stock", "capital", "arrays"},
        "solve": {"matrix", "lp", "engines", "split"},
        "postprocess": {"allocation", "comparison", "headline", "places", "capital"},
    }
    for folder, names in expected.items():
        have = {p.stem for p in (SRC / folder).glob("*.py")} - {"__init__"}
        assert names <= have, (folder, names - have)
    face = {p.stem for p in (SRC / "allocate").glob("*.py")}
    assert face == {"__init__", "plan", "draws"}  # draws: the plan's model over forecast draws
    for folder, names in {
        "sources": {"dfe", "dfe_release", "ons", "starter", "parsing"},
        "example": {"generator", "bundled"},
        "forecast/methods": {"spec", "baselines", "rate", "cohort", "flows", "national"},
    }.items():
        assert (SRC / folder / "__init__.py").exists(), folder
        have = {p.stem for p in (SRC / folder).glob("*.py")}
        assert names <= have, (folder, names - have)
    assert not (SRC / "datasets").is_dir()  # the public face is the module datasets.py
    assert (SRC / "outputs.py").exists()


def test_pipeline_is_thin() -> None:
    lines = (SRC / "pipeline.py").read_text(encoding="utf-8").count("\n")
    assert lines < 250


def test_only_the_lp_module_imports_pulp() -> None:
    importers = set()
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "pulp" for a in node.names):
                importers.add(name)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pulp"):
                importers.add(name)
    assert importers == {"sufficiency.solve.lp"}


def test_imports_run_downward() -> None:
    wrong = []
    for importer, targets in _edges().items():
        for target in targets:
            a, b = _part(importer), _part(target)
            if a == b or (a, b) in LATE_UPWARD:
                continue
            if a not in RANK or b not in RANK:
                wrong.append(f"{importer} -> {target}: part not in the layout")
            elif RANK[b] >= RANK[a]:
                wrong.append(f"{importer} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_circle() -> None:
    graph = _edges()
    for importer, target in [
        (m, t) for m, ts in graph.items() for t in ts if (_part(m), _part(t)) in LATE_UPWARD
    ]:
        graph[importer].discard(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_late_upward_imports_are_inside_functions() -> None:
    """The allowed upward imports never run at import time."""
    for name, path in _modules().items():
        if _part(name) not in {a for a, _ in LATE_UPWARD}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node)
                assert (_part(name), _part(target)) not in LATE_UPWARD, (name, target)


def _strings(path: Path) -> list[str]:
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


#: Words that only a reader of a published or council file needs: the DfE's release columns,
#: ONS's, the SEN2 return's and the establishment register's.
_SOURCE_WORDS = (
    "time_period",
    "new_la_code",
    "old_la_code",
    "geographic_level",
    "Blade-Export",
    "sentyperank",
    "persontableid",
    "TypeOfEstablishment (name)",
    "StatutoryLowAge",
)


def test_only_sources_read_published_and_council_files() -> None:
    """No module outside ``sources/`` names a column of a published or council file, and
    only the faces (CLI, sweep, the ``datasets`` face) import ``sources``."""
    wrong = []
    for name, path in _modules().items():
        if _part(name) == "sources":
            continue
        if _part(name) == "example":
            # the generator writes the fictional borough's own files in the council's
            # layouts (its SEN2 returns, its register extract); it never reads one
            calls = [
                n.func.attr
                for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            ]
            if any(c.startswith("read_") for c in calls):
                wrong.append(f"{name} reads a file")
            continue
        # docstrings may point at the readers; code may not use their columns
        words = [w for s in _strings(path) if len(s) < 60 for w in _SOURCE_WORDS if w in s]
        if words:
            wrong.append(f"{name}: {sorted(set(words))}")
    faces = {"cli", "sweep", "datasets", "sources"}
    for importer, targets in _edges().items():
        if any(_part(t) == "sources" for t in targets) and _part(importer) not in faces:
            wrong.append(f"{importer} imports sources")
    assert not wrong, "\n".join(wrong)


def test_only_example_knows_the_fictional_borough() -> None:
    wrong = []
    for name, path in _modules().items():
        if _part(name) in {"example", "datasets"}:  # datasets: the face notebooks use
            continue
        if any("ashworth" in s.lower() for s in _strings(path)):
            wrong.append(name)
    for importer, targets in _edges().items():
        if any(_part(t) == "example" for t in targets) and _part(importer) not in {
            "cli",
            "datasets",
            "example",
        }:
            wrong.append(f"{importer} imports example")
    assert not wrong, wrong


def test_one_list_of_method_names() -> None:
    """Every family module declares its methods once (``SPECS``); the registry is built from
    them; no other module spells out a list of three or more method names."""
    from sufficiency.forecast import methods

    folder = SRC / "forecast" / "methods"
    families = {m.__name__.rsplit(".", 1)[1] for m in methods.FAMILIES}
    declared = {p.stem for p in folder.glob("*.py") if "SPECS" in p.read_text(encoding="utf-8")}
    assert declared - {"__init__", "spec"} == families
    names = set(methods.METHOD_NAMES)
    assert names == {s.name for f in methods.FAMILIES for s in f.SPECS}
    lists = []
    for name, path in _modules().items():
        if name.startswith("sufficiency.forecast.methods"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                found = {
                    e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names
                }
                if len(found) >= 3:
                    lists.append(f"{name}:{node.lineno}")
            literal = isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            if literal and node.value.id == "Literal" and isinstance(node.slice, ast.Tuple):
                vals = {e.value for e in node.slice.elts if isinstance(e, ast.Constant)}
                if len(vals & names) >= 3:
                    lists.append(f"{name}:{node.lineno} (Literal)")
    assert not lists, lists


def test_allocate_holds_faces_only() -> None:
    """``allocate/`` chains model -> solve -> postprocess: no process pools, no sparse
    algebra, no solver of its own."""
    heavy = {"multiprocessing", "concurrent", "scipy", "highspy", "pulp"}
    wrong = []
    for path in (SRC / "allocate").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module or ""]
            wrong += [f"{path.name}: {m}" for m in mods if m.split(".")[0] in heavy]
    assert not wrong, wrong
