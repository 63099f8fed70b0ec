"""Reading scenario YAML: `extends`, named overrides and scenarios, `--set` values, validation."""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ScenarioError
from .schema import TABLES, Scenario, ScenarioFile
from .yaml_strict import parse_value, read_yaml

_COMPOSITION_KEYS = ("extends", "overrides", "scenarios")
_DATA_KEYS = TABLES


def _absolute(path: Path) -> str:
    """``path`` resolved, or as given when the system cannot resolve it (a NUL character):
    loading the table then reports it as not found, at its YAML path."""
    try:
        return str(path.resolve())
    except (OSError, ValueError):
        return str(path)


def _absolute_data_paths(block: Any, base: Path) -> Any:
    """Make the relative paths of a `data` mapping absolute against ``base``."""
    if not isinstance(block, dict):
        return block
    out = dict(block)
    for key, value in block.items():
        if key in _DATA_KEYS and isinstance(value, str | Path) and str(value):
            p = Path(_posix(str(value), base)).expanduser()
            out[key] = str(p) if p.is_absolute() else _absolute(base / p)
    return out


def _posix(text: str, base: Path) -> str:
    """A relative path written on Windows (``data\\caseload.csv``) read where ``/``
    separates folders, unless a file of that very name exists: a scenario file moves
    between a council's Windows desktop and a Linux server unchanged."""
    if os.sep != "/" or "\\" not in text or Path(text).is_absolute():
        return text
    try:
        if (base / text).exists():
            return text
    except (OSError, ValueError):
        return text
    return text.replace("\\", "/")


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping (or dotted keys) -> {dotted.path: value}."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


Layer = tuple[Path, dict[str, Any]]


def _resolve_file(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Layer]]:
    """Read ``path`` and everything it extends, with data paths made absolute.

    Returns:
        The merged mapping, and each file with its own content, the furthest parent first.
    """
    path = path.resolve()
    if path in chain:
        loop = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError("scenario files extend each other in a loop", [Problem(loop, "")])
    raw = read_yaml(path)
    base = path.parent
    if "data" in raw:
        raw["data"] = _absolute_data_paths(raw["data"], base)
    overrides = raw.get("overrides")
    if isinstance(overrides, dict):
        fixed: dict[str, Any] = {}
        for name, body in overrides.items():
            if isinstance(body, dict):
                flat = _flatten(body)
                for dotted in list(flat):
                    head, _, leaf = dotted.partition(".")
                    if head == "data" and leaf in _DATA_KEYS:
                        flat[dotted] = _absolute_data_paths({leaf: flat[dotted]}, base)[leaf]
                fixed[name] = flat
            else:
                fixed[name] = body
        raw["overrides"] = fixed
    parent_ref = raw.pop("extends", None)
    layers: list[Layer] = [(path, raw)]
    if parent_ref is None:
        return raw, layers
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            "invalid scenario file", [Problem(f"{path}: extends", "must be a file path")]
        )
    parent_path = Path(_posix(str(parent_ref), base))
    if not parent_path.is_absolute():
        parent_path = base / parent_path
    if not parent_path.is_file():
        what = "is a directory" if parent_path.is_dir() else "does not exist"
        raise ScenarioError(
            f"scenario file extends a file that {what}",
            [Problem(f"{path}: extends", f"{parent_ref!r} (looked for {parent_path})")],
        )
    parent, parent_layers = _resolve_file(parent_path, (*chain, path))
    return _deep_merge(parent, raw), parent_layers + layers


def _depth(node: Any, loc: Sequence[str]) -> int:
    """How many leading parts of ``loc`` are present in ``node``."""
    for n, part in enumerate(loc):
        digit = str(part).isdigit()
        if isinstance(node, dict) and (part in node or (digit and int(part) in node)):
            node = node[part] if part in node else node[int(part)]
        elif isinstance(node, list) and digit and int(part) < len(node):
            node = node[int(part)]
        else:
            return n
    return len(loc)


def _blame(layers: Sequence[Layer], loc: Sequence[str]) -> Path:
    """The file of ``layers`` that gave the value at ``loc``: the one holding most of the
    path, the child on a tie (a child's value replaces its parent's)."""
    best = max(range(len(layers)), key=lambda i: (_depth(layers[i][1], loc), i))
    return layers[best][0]


def _describe_validation(
    exc: ValidationError,
    where: str,
    model: type[BaseModel],
    layers: Sequence[Layer] = (),
) -> ScenarioError:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        dotted = ".".join(loc)
        place = str(_blame(layers, loc)) if len(layers) > 1 else where
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            guess = difflib.get_close_matches(loc[-1], allowed, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            listed = f"; accepted keys here: {', '.join(allowed)}" if allowed else ""
            msg = f"unknown key {loc[-1]!r}{hint}{listed}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            value = err.get("input")
            shown = json.dumps(value, default=str) if not isinstance(value, dict) else "a mapping"
            msg = f"{err['msg']} (got {shown})"
        problems.append(Problem(f"{place}: {dotted}" if dotted else place, msg))
    return ScenarioError("invalid scenario", problems)


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None``; other annotations unchanged."""
    from typing import get_args

    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1 and type(None) in get_args(annotation):
        return args[0]
    return annotation


def _allowed_keys(model: type[BaseModel], loc: Sequence[str]) -> list[str]:
    """The keys accepted at ``loc`` (a pydantic error location) inside ``model``.

    Optional sections, list items (``inclusion.0``) and mapping values are stepped
    through, so the keys of the model the bad key sits in are listed.
    """
    from typing import get_args, get_origin

    current: Any = model
    for part in loc:
        current = _without_none(current)
        origin, args = get_origin(current), get_args(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        elif origin in (list, tuple) and args and str(part).isdigit():
            current = args[0]
        elif origin is dict and len(args) == 2:
            current = args[1]
        else:  # a union of models: pydantic names the member it tried
            current = next((a for a in args if getattr(a, "__name__", None) == part), None)
            if current is None:
                return []
    current = _without_none(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _parse_set(values: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(
                "invalid --set value", [Problem(item, "expected KEY=VALUE, e.g. horizon_years=12")]
            )
        out[key.strip()] = parse_value(text, f"--set {key.strip()}")
    return out


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    *,
    scenario: str | None = None,
    overrides: Sequence[str] = (),
    set_values: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load, compose and validate a scenario.

    Precedence, lowest first: a file named by ``extends`` (recursively); the file itself;
    the overrides of the named ``scenario`` plus any extra ``overrides`` (applied together:
    two of them may not set the same key); ``set_values`` (dotted keys, e.g.
    ``{"forecast.method": "drift"}`` or ``["horizon_years=12"]``).

    Args:
        source: A YAML path, a mapping with the same content, or a Scenario (returned as is
            unless overrides are given).
        scenario: A name from the file's ``scenarios`` (or a single override's name).
        overrides: Override names to apply.
        set_values: Final values by dotted key.

    Returns:
        The validated, frozen Scenario, with data paths made absolute.

    Raises:
        ScenarioError: Naming the file, the dotted YAML path and what is wrong.
    """
    if isinstance(source, Scenario) and not (scenario or overrides or set_values):
        return source
    sources: list[Path]
    layers: list[Layer] = []
    if isinstance(source, Scenario):
        raw: dict[str, Any] = source.model_dump(mode="json")
        where, sources = f"scenario {source.name!r}", []
    elif isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
        raw.pop("extends", None)
        if "data" in raw:
            raw["data"] = _absolute_data_paths(raw["data"], Path.cwd())
        raw["overrides"] = {
            k: _flatten(v) if isinstance(v, Mapping) else v
            for k, v in (raw.get("overrides") or {}).items()
        }
        where, sources = "scenario mapping", []
    else:
        path = Path(source)
        raw, layers = _resolve_file(path)
        sources = [p for p, _ in layers]
        where = str(path)

    try:
        ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise _describe_validation(exc, where, ScenarioFile, layers) from None

    available_overrides: dict[str, dict[str, Any]] = raw.get("overrides") or {}
    named: dict[str, list[str]] = raw.get("scenarios") or {}
    chosen: list[str] = []
    if scenario is not None:
        if scenario in named:
            chosen.extend(named[scenario])
        elif scenario in available_overrides:
            chosen.append(scenario)
        else:
            known = sorted({*named, *available_overrides})
            raise ScenarioError(
                f"unknown scenario {scenario!r}",
                [Problem(where, f"defined scenarios and overrides: {', '.join(known) or 'none'}")],
            )
    chosen.extend(overrides)

    set_by: dict[str, str] = {}
    problems: list[Problem] = []
    resolved = {k: v for k, v in raw.items() if k not in _COMPOSITION_KEYS}
    for name in chosen:
        if name not in available_overrides:
            problems.append(Problem(f"{where}: scenarios", f"override {name!r} is not defined"))
            continue
        for dotted, value in available_overrides[name].items():
            clash = next(
                (
                    k
                    for k in set_by
                    if k == dotted or k.startswith(dotted + ".") or dotted.startswith(k + ".")
                ),
                None,
            )
            if clash is not None:
                problems.append(
                    Problem(
                        f"{where}: overrides.{name}.{dotted}",
                        f"also set by override {set_by[clash]!r} ({clash}); "
                        "overrides combined in one scenario must set different keys",
                    )
                )
                continue
            set_by[dotted] = name
            _set_path(resolved, dotted, value)
    if problems:
        raise ScenarioError("invalid scenario composition", problems)

    if set_values:
        pairs = dict(set_values) if isinstance(set_values, Mapping) else _parse_set(set_values)
        for dotted, value in pairs.items():
            if dotted.startswith("data.") and dotted[5:] in _DATA_KEYS and isinstance(value, str):
                value = _absolute(Path(value).expanduser())
            _set_path(resolved, dotted, value)

    if scenario is not None:
        resolved["name"] = scenario
    try:
        result = Scenario.model_validate(resolved)
    except ValidationError as exc:
        raise _describe_validation(exc, where, Scenario) from None
    result._sources = tuple(sources)
    result._applied = tuple(chosen)
    return result


def scenario_provenance(scenario: Scenario) -> dict[str, Any]:
    """The files read and overrides applied to produce ``scenario``."""
    return {
        "scenario_files": [str(p) for p in scenario._sources],
        "applied_overrides": list(scenario._applied),
    }


def scenario_names(path: str | Path) -> list[str]:
    """The named scenarios a file (and what it extends) defines."""
    raw, _ = _resolve_file(Path(path))
    return list((raw.get("scenarios") or {}).keys())


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors and documentation."""
    schema = ScenarioFile.model_json_schema()
    schema["title"] = "sufficiency scenario"
    _with_choices(schema)
    return schema


def _with_choices(node: Any) -> None:
    """Replace every ``x-choices`` marker in a JSON schema with the enum it stands for."""
    from .forecast_options import choices

    if isinstance(node, dict):
        marker = node.pop("x-choices", None)
        if marker is not None:
            names = list(choices(marker))
            if node.get("type") == "string":
                node["enum"] = names
            else:
                for part in [node.get("items"), *node.get("anyOf", [])]:
                    if isinstance(part, dict) and part.get("type") == "array":
                        part.setdefault("items", {})["enum"] = names
        for value in node.values():
            _with_choices(value)
    elif isinstance(node, list):
        for value in node:
            _with_choices(value)


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The pydantic model inside an annotation (``X``, ``X | None``, ``list[X]``), and a suffix."""
    from typing import get_args, get_origin

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    args = get_args(annotation)
    if get_origin(annotation) is list and args:
        inner, _ = _model_of(args[0])
        return (inner, "[]") if inner is not None else (None, "")
    for arg in args:
        inner, suffix = _model_of(arg)
        if inner is not None:
            return inner, suffix
    return None, ""


def reference_markdown() -> str:
    """The scenario file reference, field by field, as a Markdown table (from the schema)."""
    from typing import get_args

    from .forecast_options import choices
    from .schema import ScenarioFile

    lines = ["| key | default | meaning |", "|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        nested: list[tuple[str, type[BaseModel], str]] = []
        for key, info in model.model_fields.items():
            inner, suffix = _model_of(info.annotation)
            if info.is_required():
                default = "required"
            else:
                value = info.get_default(call_default_factory=True)
                empty = value is None or value == {} or value == []
                if isinstance(value, list) and all(isinstance(v, BaseModel) for v in value):
                    value = [v.model_dump(mode="json", exclude_none=True) for v in value]
                shown = json.dumps(value, default=str) if not isinstance(value, BaseModel) else ""
                default = "—" if empty or not shown else f"`{shown}`"
            text = (info.description or "").replace("|", "\\|")
            allowed = get_args(info.annotation)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if "x-choices" in extra:
                allowed = choices(str(extra["x-choices"]))
            if allowed and all(isinstance(c, str) for c in allowed):
                text += " One of: " + ", ".join(f"`{c}`" for c in allowed) + "."
            if inner is not None and not text:
                text = (inner.__doc__ or "").strip().splitlines()[0]
            lines.append(f"| `{prefix}{key}{suffix}` | {default} | {text} |")
            if inner is not None:
                nested.append((key, inner, suffix))
        for key, inner, suffix in nested:
            walk(inner, f"{prefix}{key}{suffix}.")

    walk(ScenarioFile, "")
    return "\n".join(lines) + "\n"
