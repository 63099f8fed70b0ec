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
#: ``Comparison.write`` hand over to :mod:`sufficiency.outputs` so notebooks can call them.
LATE_UPWARD = {("results", "outputs")}


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
        "forecast/methods": set(),
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
