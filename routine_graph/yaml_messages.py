"""Say what a YAML syntax error means for someone editing a routine, in plain words.

libyaml reports what its parser expected ("did not find expected key while parsing a block
mapping"); the person editing a routine needs to know which line to fix and how. The few mistakes
people make by hand (indentation, tabs, a colon or a special character inside text, an unclosed
bracket or quote) are recognised here; anything else keeps libyaml's words.
"""
from __future__ import annotations

import re

import yaml

INDENT_ADVICE = "indent with spaces, two per level"


def describe(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, int | None, str]:
    """(line, column, message), 1-based, for a syntax error in `text`."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None, None, "YAML syntax error: " + _raw(exc)
    lines = text.splitlines() or [""]
    line_no, column = mark.line + 1, mark.column + 1
    line = lines[mark.line] if mark.line < len(lines) else ""
    problem, context = exc.problem or "", exc.context or ""
    message = None
    indent_col = len(line) - len(line.lstrip(" ")) + 1

    if "tab" in problem or (line[:indent_col].endswith("\t") or line.startswith("\t")):
        message = f"line {line_no} is indented with a tab; {INDENT_ADVICE}"
        column = 1
    elif context.startswith("found duplicate anchor"):
        anchor = re.match(r"&([^\s,\[\]{}]+)", line[mark.column:])  # libyaml's message leaves the name out
        name = anchor[1] if anchor else "?"
        first = exc.context_mark.line + 1 if exc.context_mark else line_no
        return line_no, column, f"anchor &{name} is defined twice (first on line {first}); give each anchor its own name"
    elif context == "expected a single document in the stream":
        # Worded as compose_document words it: which composer ran is no concern of the reader.
        return line_no, column, ("a routine file holds one YAML document; remove the `---` here and what follows it, "
                                 "or move it to its own file")
    elif problem.startswith("mapping values are not allowed"):
        message, column = _stray_colon(lines, mark.line, column)
    elif problem.startswith("block sequence entries are not allowed"):
        message = (f"the indentation of line {line_no} doesn't match the lines around it (a `- ` item cannot follow a "
                   f"value on the same line or the line above); {INDENT_ADVICE}")
        column = indent_col
    elif problem in ("did not find expected key", "did not find expected '-' indicator"):
        message = f"the indentation of line {line_no} doesn't match the lines around it; {INDENT_ADVICE}"
        column = indent_col
    elif problem == "found character that cannot start any token":
        message = f"a value cannot start with {_char_at(line, mark.column)!r}; {_quote_advice(line, mark.column)}"
    elif problem == "did not find expected node content":
        char = _char_at(line, mark.column)
        what = f"{char!r} here closes nothing" if char in "]}" else f"a value cannot start with {char!r}"
        message = f"{what}; {_quote_advice(line, mark.column)}"
    elif "end of stream" in problem and "quoted scalar" in context:
        # The parser only notices at the end of the file: point at the quote that opened it.
        if exc.context_mark is not None:
            line_no, column = exc.context_mark.line + 1, exc.context_mark.column + 1
        message = f"the quote opened on line {line_no} is never closed"
    elif "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        opened = exc.context_mark.line + 1 if exc.context_mark else line_no
        closer = "]" if bracket == "[" else "}"
        message = (f"the {bracket} opened on line {opened} is not closed with {closer} (or two items are missing "
                   "a comma between them)")
    elif problem == "did not find expected <document start>":
        message = ("nothing can follow the value that ends before this line (a value that starts with a quote or a "
                   "bracket, or a `...` line, is the whole file); check this line and the one above")
    elif "block scalar" in context:
        message = ("after | or > the text goes on the lines below, indented, with nothing after the sign; or put the "
                   "text in quotes")
    elif "an alias" in context or "an anchor" in context:
        sign = "*" if "alias" in context else "&"
        message = f"{sign} starts an {'alias' if sign == '*' else 'anchor'}; if it is part of the text, put the text in quotes"
    elif "a directive" in context:
        message = "a line cannot start with %; if it is part of the text, put the text in quotes"
    elif "simple key" in context and exc.context_mark is not None:
        line_no, column = exc.context_mark.line + 1, exc.context_mark.column + 1
        message = (f"line {line_no} has no `key: value` colon; add it, or indent the line under the key it "
                   "belongs to")
    elif "for merging" in problem:
        message = "what follows `<<:` must be a mapping (or an alias of one) to merge into this one"
    if message is None:
        message = _raw(exc)
    return line_no, column, "YAML syntax error: " + message


def _stray_colon(lines: list[str], index: int, column: int) -> tuple[str, int]:
    """libyaml found `key: value` where it cannot be. Either the line is indented deeper than the
    mapping it belongs to, or a colon followed by a space sits inside some text."""
    line = lines[index]
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    before = body[: max(0, column - 1 - indent)]
    if body.startswith("- "):
        before = before[2:]
    if ": " in before:
        # `say: Note: breathe` - the text itself has a colon.
        key, value = before.split(": ", 1)
        value = (value + line[column - 1:]).strip()
        example = f', e.g. {key}: "{value if len(value) <= 40 else value[:37] + "..."}"' \
            if re.fullmatch(r"[A-Za-z_][\w-]*", key) and '"' not in value else ""
        return f"this line has a second `: ` inside its value; put the text in quotes{example}", column
    previous = next((i for i in range(index - 1, -1, -1)
                     if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    if previous is not None and ":" not in lines[previous] and not lines[previous].lstrip().startswith("-"):
        return (f"line {previous + 1} has no `key: value` colon, so it runs into line {index + 1}; "
                "add the colon, or put the text in quotes", 1)
    return (f"the indentation of line {index + 1} doesn't match the lines around it; {INDENT_ADVICE}",
            indent + 1)


def _char_at(line: str, index: int) -> str:
    return line[index] if index < len(line) else "?"


def _quote_advice(line: str, index: int) -> str:
    key, sep, _ = line[:index].partition(": ")
    key = key.strip().lstrip("- ").strip()
    if not sep or not key:
        return "if it is part of the text, put the text in quotes"
    return f"if it is part of the text, put the text in quotes: {key}: \"{line[index:].strip()}\""


def _raw(exc: yaml.MarkedYAMLError) -> str:
    return " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
