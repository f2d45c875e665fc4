"""Read YAML while remembering where every value came from, so errors can name file:line:column."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, RoutineError, format_path

MAX_FILE_BYTES = 1_000_000

KEY = object()  # path suffix under which a key's own position is stored
Locations = dict[tuple, tuple[int, int]]  # field path -> (line, column), both 1-based


_STR_TAG = "tag:yaml.org,2002:str"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~10x faster
    """Safe loader whose nodes we convert ourselves, to record positions and refuse duplicate keys
    (YAML silently keeps the last)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._resolved: dict[tuple, str] = {}

    def resolve(self, kind, value, implicit):  # noqa: ANN001 - PyYAML's signature
        # libyaml parses in C but calls back here for every scalar to pick its tag by regex; routine
        # files repeat the same keys and words on every step, so remember the answers.
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _to_python(loader: _Loader, node: yaml.Node, path: tuple, locations: Locations, problems: list[Problem]) -> Any:
    locations[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR_TAG else loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                problems.append(Problem(*_mark(key_node), format_path(path), "keys must be plain words"))
                continue
            key = str(key)
            if key in result:
                problems.append(Problem(*_mark(key_node), format_path(path + (key,)), "duplicate key"))
                continue
            result[key] = _to_python(loader, value_node, path + (key,), locations, problems)
            # Point at the key for containers and "unknown key" errors, at the value for bad values.
            locations[path + (key, KEY)] = _mark(key_node)
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                locations[path + (key,)] = _mark(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, item, path + (i,), locations, problems) for i, item in enumerate(node.value)]
    if node.tag == _STR_TAG:
        return node.value  # what SafeConstructor.construct_yaml_str returns, without its overhead
    return loader.construct_object(node, deep=True)


def read_yaml(file: Path) -> tuple[Any, Locations]:
    """Parse one YAML document; raise RoutineError (never a YAML traceback) for anything unreadable."""
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise RoutineError(file, [Problem(None, None, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if size > MAX_FILE_BYTES:
        raise RoutineError(file, [Problem(None, None, "", f"file is {size:,} bytes; routine files are limited to {MAX_FILE_BYTES:,} bytes")])
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RoutineError(file, [Problem(line, None, "", f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")]) from None
    if not text.strip():
        raise RoutineError(file, [Problem(None, None, "", "file is empty; a routine needs at least a title and exercises")])

    locations: Locations = {}
    problems: list[Problem] = []
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = _to_python(loader, node, (), locations, problems) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise RoutineError(file, [Problem(line, col, "", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise RoutineError(file, [Problem(None, None, "", f"YAML error: {exc}")]) from None
    if problems:
        raise RoutineError(file, problems)
    if data is None:
        raise RoutineError(file, [Problem(None, None, "", "file is empty; a routine needs at least a title and exercises")])
    return data, locations
