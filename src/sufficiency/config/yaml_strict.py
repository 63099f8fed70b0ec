"""Strict YAML: safe tags only, no duplicate keys, no aliases, no non-finite numbers, a size cap."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Problem, ScenarioError
from ..text_files import text_encoding

#: Largest scenario file read, in bytes. Scenario files are a few kilobytes.
MAX_YAML_BYTES = 1_000_000


class _Refused(yaml.YAMLError):
    """A construct the strict loader does not accept, with its line and dotted path."""

    def __init__(self, line: int, message: str, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.path = path


def _paths(node: Node, path: str, out: dict[int, str]) -> None:
    """Record the dotted path (``levers.budget.gbp_by_year.2026``) of every node."""
    out[id(node)] = path
    if isinstance(node, MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            _paths(value, f"{path}.{name}" if path else str(name), out)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _paths(item, f"{path}.{i}" if path else str(i), out)


class StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses aliases, duplicate keys and non-finite numbers.

    Aliases (``*name``, and ``<<`` merges, which use them) are refused outright: they are
    rare in scenario files, and a few nested ones expand into gigabytes (an "alias bomb").
    A mapping that repeats a key is refused naming both lines; PyYAML would silently keep
    the last value. ``.nan``/``.inf`` are refused wherever they appear.
    """

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _Refused(
                event.start_mark.line + 1,
                f"YAML aliases (*{event.anchor}) are not accepted; write the value out in full",
            )
        return super().compose_node(parent, index)

    def construct_document(self, node: Node) -> Any:
        self._node_paths: dict[int, str] = {}
        _paths(node, "", self._node_paths)
        return super().construct_document(node)

    def _path_of(self, node: Node, key: str | None = None) -> str:
        path = getattr(self, "_node_paths", {}).get(id(node), "")
        if key is None:
            return path
        return f"{path}.{key}" if path else key

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            # 2026 and "2026" are one key once the schema has read them
            if str(key) in seen:
                first = seen[str(key)]
                raise _Refused(
                    line,
                    f"duplicate key {key!r}: first given on line {first}, again on line {line}",
                    self._path_of(node, str(key_node.value)),
                )
            seen[str(key)] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _Refused(
                node.start_mark.line + 1,
                f"{node.value!r} is not a finite number; give a number (no .nan or .inf)",
                self._path_of(node),
            )
        return float(value)


StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)


def _refusal(exc: yaml.YAMLError, where: str) -> Problem:
    if isinstance(exc, _Refused):
        path = f": {exc.path}" if exc.path else ""
        return Problem(f"{where}{path}, line {exc.line}", exc.message)
    mark = getattr(exc, "problem_mark", None)
    located = f"{where}, line {mark.line + 1}" if mark is not None else where
    return Problem(located, getattr(exc, "problem", None) or str(exc))


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text strictly (see :class:`StrictLoader`).

    Args:
        text: The YAML document.
        where: How messages name its origin (a file path, ``--set KEY``).

    Raises:
        ScenarioError: Naming the line and what is wrong.
    """
    try:
        return yaml.load(text, Loader=StrictLoader)
    except _Refused as exc:
        raise ScenarioError("scenario file refused", [_refusal(exc, where)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError("scenario file is not valid YAML", [_refusal(exc, where)]) from None


def parse_value(text: str, where: str) -> Any:
    """A ``--set`` value: YAML if it parses (strictly), else the text itself.

    Raises:
        ScenarioError: If the value is YAML the strict loader refuses (an alias, a
            repeated key, a non-finite number).
    """
    try:
        return yaml.load(text, Loader=StrictLoader)
    except _Refused as exc:
        raise ScenarioError("invalid --set value", [Problem(where, exc.message)]) from None
    except yaml.YAMLError:
        return text


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML file into a mapping, strictly.

    Raises:
        ScenarioError: If the file is missing, a folder, too large, not valid YAML (or
            uses an alias, repeats a key, holds a non-finite number), or not a mapping.
    """
    if path.is_dir():
        raise ScenarioError(f"scenario file {path} is a directory; give the YAML file in it")
    if not path.is_file():
        raise ScenarioError(f"scenario file not found: {path}")
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ScenarioError(
                f"scenario file {path} is {size:,} bytes; scenario files are limited to "
                f"{MAX_YAML_BYTES:,} bytes (put tables in data files)"
            )
        # as saved: UTF-8, Notepad's "Unicode" (UTF-16) or "ANSI" (Windows-1252: a £ sign)
        text = path.read_text(encoding=text_encoding(path))
    except UnicodeDecodeError:
        raise ScenarioError(
            f"cannot read scenario file {path}: it is not text in UTF-8, UTF-16 or Windows-1252 "
            "(save it as UTF-8)"
        ) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc}") from None
    raw = parse_yaml(text, str(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(
            "scenario file must be a mapping of keys to values",
            [Problem(str(path), f"found a {type(raw).__name__} at the top level")],
        )
    return raw


__all__ = ["MAX_YAML_BYTES", "StrictLoader", "parse_value", "parse_yaml", "read_yaml"]
