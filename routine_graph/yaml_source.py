"""Read YAML while remembering where every value came from, so errors can name file:line:column."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, RoutineError, format_path
from .yaml_compose import MAX_DEPTH, ComposeError, compose, too_deep
from .yaml_messages import describe

MAX_FILE_BYTES = 1_000_000

KEY = object()  # path suffix under which a key's own position is stored
Locations = dict[tuple, tuple[int, int]]  # field path -> (line, column), both 1-based


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
# No field takes a number anywhere near this long; Python refuses to even read one of 4,300 digits.
MAX_NUMBER_CHARS = 30
_TAG_WORDS = {"tag:yaml.org,2002:int": "a whole number", "tag:yaml.org,2002:float": "a number",
              "tag:yaml.org,2002:bool": "true or false", "tag:yaml.org,2002:timestamp": "a date",
              "tag:yaml.org,2002:binary": "base64 data", "tag:yaml.org,2002:null": "nothing"}


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


def _to_python(loader: _Loader, node: yaml.Node, path: tuple, locations: Locations, problems: list[Problem],
               depth: int = 0) -> Any:
    locations[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        if depth >= MAX_DEPTH:
            raise too_deep(path, node.start_mark)
        loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = _key(loader, key_node)
            if key is None:
                problems.append(Problem(*_mark(key_node), format_path(path), "keys must be plain words"))
                continue
            if key in result:
                problems.append(Problem(*_mark(key_node), format_path(path + (key,)), "duplicate key"))
                continue
            result[key] = _to_python(loader, value_node, path + (key,), locations, problems, depth + 1)
            # Point at the key for containers and "unknown key" errors, at the value for bad values.
            locations[path + (key, KEY)] = _mark(key_node)
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                locations[path + (key,)] = _mark(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        if depth >= MAX_DEPTH:
            raise too_deep(path, node.start_mark)
        return [_to_python(loader, item, path + (i,), locations, problems, depth + 1)
                for i, item in enumerate(node.value)]
    if node.tag == _STR_TAG:
        return node.value  # what SafeConstructor.construct_yaml_str returns, without its overhead
    return _scalar(loader, node, path, problems)


def _key(loader: _Loader, node: yaml.Node) -> str | None:
    if node.tag == _STR_TAG:
        return node.value
    if not isinstance(node, yaml.ScalarNode):
        return None
    try:
        key = loader.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 - as in _scalar: the key is then not a plain word
        return None
    return str(key) if isinstance(key, (str, int, float, bool)) else None


def _scalar(loader: _Loader, node: yaml.Node, path: tuple, problems: list[Problem]) -> Any:
    if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_CHARS:
        problems.append(Problem(*_mark(node), format_path(path), f"the number is too large ({len(node.value):,} "
                                "characters); if it is text, put it in quotes"))
        return None
    if node.tag not in loader.yaml_constructors:
        # A tag we have no reader for: `=` (YAML 1.1's "value" tag) or `<<` outside a mapping are
        # plain words; an explicit `!tag` is not something a routine file has any use for.
        if node.tag.startswith("tag:yaml.org,2002:") and node.tag[18:] in ("value", "merge"):
            return node.value
        problems.append(Problem(*_mark(node), format_path(path), f"unknown tag {node.tag!r}; "
                                "routine files use plain values (remove the `!`)"))
        return None
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except Exception:  # noqa: BLE001 - PyYAML's converters fail every which way on odd input
        # The scalar looks like (or is tagged as) a number, date or boolean that Python cannot
        # make, e.g. 2024-13-45, `!!int twelve` or `!!int` with nothing after it.
        what = _TAG_WORDS.get(node.tag, "a value")
        problems.append(Problem(*_mark(node), format_path(path), f"{_short(node.value)} cannot be read as {what}; "
                                "if it is text, put it in quotes"))
        return None


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


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
        raise RoutineError(file, [Problem(1, 1, "", "file is empty; a routine needs at least a title and exercises")])

    locations: Locations = {}
    problems: list[Problem] = []
    try:
        loader = _Loader(text)
        try:
            node = compose(loader, text)
            data = _to_python(loader, node, (), locations, problems) if node is not None else None
        finally:
            loader.dispose()
    except ComposeError as exc:
        raise RoutineError(file, [Problem(exc.line, exc.column, format_path(exc.path), exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        line, column, message = describe(exc, text)
        raise RoutineError(file, [Problem(line, column, "", message)]) from None
    except yaml.reader.ReaderError as exc:
        # libyaml counts bytes of UTF-8, not characters.
        line = text.encode("utf-8", "surrogatepass")[: exc.position].count(b"\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise RoutineError(file, [Problem(line, None, "", f"the file has a character YAML does not allow (U+{code:04X}: "
                                          f"{exc.reason}); remove it")]) from None
    except yaml.YAMLError as exc:
        raise RoutineError(file, [Problem(1, None, "", f"YAML error: {exc}")]) from None
    if problems:
        raise RoutineError(file, problems)
    if data is None:
        raise RoutineError(file, [Problem(1, 1, "", "file is empty; a routine needs at least a title and exercises")])
    return data, locations
