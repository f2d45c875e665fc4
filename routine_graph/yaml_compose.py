"""Turn YAML into nodes, with limits that a hostile file cannot get past.

PyYAML's own composer shares an aliased node wherever it is used, so a few hundred bytes of nested
aliases ("billion laughs") stand for billions of values once converted; a recursive alias stands for
an endless one; and both composers recurse once per nesting level (libyaml's crashes the process
past about 100,000 levels, well inside the file size limit). `compose_document` reads libyaml's
events (its parser keeps its own stack) with an explicit stack, and stops at the first alias or
nesting level beyond the limits, naming where it is. `compose` uses it only for files that could
need it: libyaml's own composer is faster, and safe for the rest.
"""
from __future__ import annotations

import yaml

# A routine nests about five levels (routine > exercises > exercise > rep > step); 32 leaves room
# for anything a person would write and stops a stack of brackets long before it costs anything.
MAX_DEPTH = 32
# Aliases are rare in routine files; these bound what they can add to the converted data (the file
# size bounds everything else).
MAX_ALIASES = 100
MAX_ALIAS_VALUES = 10_000
# libyaml's composer handles 10,000 levels; it crashes somewhere before 100,000.
LIBYAML_SAFE_DEPTH = 5_000


class ComposeError(Exception):
    """A limit was hit: where (node path, 1-based line and column) and what to do about it."""

    def __init__(self, path: tuple, mark, message: str):
        super().__init__(message)
        # A path as deep as the nesting limit says nothing more than its first steps do.
        self.path, self.message = path[:6], message
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


class _Open:
    """A sequence or mapping being composed: its node, its anchor, and how many values it stands for."""

    __slots__ = ("node", "items", "sequence", "anchor", "values", "key")

    def __init__(self, node: yaml.Node, sequence: bool, anchor: str | None):
        self.node, self.items, self.sequence, self.anchor = node, node.value, sequence, anchor
        self.values = 1  # itself, plus everything under it once aliases are expanded
        self.key: yaml.Node | None = None  # a mapping's key waiting for its value

    def child(self) -> tuple:
        """The path step to the value being composed in it (none while a mapping's key is)."""
        if self.sequence:
            return (len(self.items),)
        if self.key is None:
            return ()
        return (self.key.value if isinstance(self.key, yaml.ScalarNode) else "?",)


def _path(stack: list[_Open]) -> tuple:
    # Worked out only for an error: most files have none, and every event would pay for it.
    return tuple(part for frame in stack for part in frame.child())


def compose(loader, text: str) -> yaml.Node | None:
    """The document's node tree, by libyaml's composer when `text` has no alias (an alias needs a
    `*`) and cannot nest deep enough to crash it, else by `compose_document`. Nesting past MAX_DEPTH
    is then left for the caller to refuse as it walks the tree (see `too_deep`)."""
    if "*" not in text and nesting_bound(text) <= LIBYAML_SAFE_DEPTH:
        return loader.get_single_node()
    return compose_document(loader)


def nesting_bound(text: str) -> int:
    """How deep `text` could possibly nest: a flow collection opens with [ or {, and every second
    level of block collections starts further right than the one holding it."""
    longest = max(map(len, text.splitlines()), default=0)
    return 2 * (longest + 1) + text.count("[") + text.count("{")


def too_deep(path: tuple, mark) -> ComposeError:
    return ComposeError(path, mark, f"lists and mappings nest more than {MAX_DEPTH} levels deep here; a routine "
                        "needs about five: check the brackets")


def compose_document(loader) -> yaml.Node | None:
    """The one document of the stream `loader` parses (None when there is none). Raises ComposeError
    at a limit, a recursive or undefined alias, or a second document; yaml.YAMLError for bad syntax."""
    get = loader.get_event
    get()  # StreamStart
    event = get()
    if type(event) is yaml.StreamEndEvent:
        return None
    root = _compose(loader, get)
    get()  # DocumentEnd
    event = get()
    if type(event) is not yaml.StreamEndEvent:
        raise ComposeError((), event.start_mark, "a routine file holds one YAML document; remove the `---` here "
                           "and what follows it, or move it to its own file")
    return root


_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_STARTS = {yaml.SequenceStartEvent: (yaml.SequenceNode, True), yaml.MappingStartEvent: (yaml.MappingNode, False)}


def _compose(loader, get) -> yaml.Node:
    stack: list[_Open] = []
    anchors: dict[str, tuple[yaml.Node, int]] = {}  # anchor -> (node, values it stands for)
    counts = [0, 0]  # aliases, values they add
    resolve = loader.resolve
    scalar_node = yaml.ScalarNode
    while True:
        event = get()
        kind = type(event)
        if kind is _SCALAR:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(scalar_node, event.value, event.implicit)
            node = scalar_node(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            values = 1
            if event.anchor is not None:
                _new_anchor(event, anchors, stack)
                anchors[event.anchor] = (node, 1)
        elif kind in _STARTS:
            if len(stack) >= MAX_DEPTH:
                raise too_deep(_path(stack), event.start_mark)
            if event.anchor is not None:
                _new_anchor(event, anchors, stack)
            node_class, sequence = _STARTS[kind]
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(node_class, None, event.implicit)
            stack.append(_Open(node_class(tag, [], event.start_mark, None, flow_style=event.flow_style), sequence,
                               event.anchor))
            continue
        elif kind is _ALIAS:
            node, values = _alias(event, anchors, stack, counts)
        else:  # SequenceEnd or MappingEnd
            frame = stack.pop()
            node, values = frame.node, frame.values
            node.end_mark = event.end_mark
            if frame.anchor is not None:
                anchors[frame.anchor] = (node, values)
        if not stack:
            return node
        parent = stack[-1]  # _Open.add, inlined: this runs once per value of the file
        if parent.sequence:
            parent.items.append(node)
        elif parent.key is None:
            parent.key = node
        else:
            parent.items.append((parent.key, node))
            parent.key = None
        parent.values += values


def _alias(event, anchors: dict, stack: list[_Open], counts: list[int]) -> tuple[yaml.Node, int]:
    name = event.anchor
    opened = next((frame for frame in stack if frame.anchor == name), None)
    if opened is not None:
        raise ComposeError(_path(stack), event.start_mark, f"alias *{name} is inside the value it names (&{name} on "
                           f"line {opened.node.start_mark.line + 1}), so it would repeat forever; write the values "
                           "out instead")
    if name not in anchors:
        raise ComposeError(_path(stack), event.start_mark, f"alias *{name} has no anchor; an alias repeats a value "
                           f"marked &{name} earlier in the file")
    node, values = anchors[name]
    counts[0] += 1
    counts[1] += values
    if counts[0] > MAX_ALIASES:
        raise ComposeError(_path(stack), event.start_mark, f"more than {MAX_ALIASES} aliases (*name); a routine "
                           "file needs few if any: write the values out")
    if counts[1] > MAX_ALIAS_VALUES:
        raise ComposeError(_path(stack), event.start_mark, f"alias *{name} repeats {values:,} values, taking the "
                           f"file past {MAX_ALIAS_VALUES:,} repeated values; write the values out or use fewer aliases")
    return node, values


def _new_anchor(event, anchors: dict, stack: list[_Open]) -> None:
    # PyYAML refuses a second anchor of the same name too: which value would an alias mean?
    name = event.anchor
    first = anchors[name][0] if name in anchors else next((f.node for f in stack if f.anchor == name), None)
    if first is not None:
        raise ComposeError(_path(stack), event.start_mark, f"anchor &{name} is defined twice (first on line "
                           f"{first.start_mark.line + 1}); give each anchor its own name")
