"""YAML reading with line numbers (for error messages) and deterministic, diff-friendly writing."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["LineDict", "LineList", "YamlError", "load_yaml", "dump_yaml", "line_of", "plain_error", "did_you_mean"]

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(Exception):
    """A YAML file that cannot be read, with the file and line to look at."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class LineDict(dict):
    """A mapping that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that remembers the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            self.construct_object(key, deep=True): key.start_mark.line + 1 for key, _ in node.value
        }
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        items = LineList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def load_yaml(path: Path) -> Any:
    """Read a YAML file; raise `YamlError` naming the file and line on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise YamlError(path, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise YamlError(path, None, f"cannot read: {exc.strerror}") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line, problem = _locate(exc, text)
        raise YamlError(path, line, f"broken YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(path, None, f"broken YAML: {exc}") from None


# Problems PyYAML notices only on a line after the mistake: the mistake is where the construct
# began (its context mark): an unclosed bracket, a key without its colon, an unclosed quote.
_STARTED_EARLIER = ("flow sequence", "flow mapping", "simple key")
_NO_COLON = 'a line that is not "key: value" (a ":" is missing?)'


def _locate(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """The 1-based line a user would point at (PyYAML's marks are 0-based) and the problem there
    in plain words."""
    lines = text.splitlines()
    context, problem = exc.context or "", exc.problem or ""
    unclosed_quote = "quoted scalar" in context and "end of stream" in problem
    if exc.context_mark is not None and (unclosed_quote or any(what in context for what in _STARTED_EARLIER)):
        mark = exc.context_mark
    else:
        mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None, _plain_problem(exc, text)
    line = min(mark.line, max(0, len(lines) - 1))  # the end of the stream is past the last line
    if "mapping values are not allowed" in problem and lines and lines[line].find(":") == mark.column:
        # This line's own key is refused: after "key value" with no colon, PyYAML complains
        # only at the next "key: value".
        before = _previous_content_line(lines, line)
        if before is not None and ":" not in lines[before] and not lines[before].lstrip().startswith("-"):
            return before + 1, _NO_COLON
    return line + 1, "a quote opened on this line is not closed" if unclosed_quote else _plain_problem(exc, text)


def _previous_content_line(lines: list[str], line: int) -> int | None:
    """The 0-based number of the last line before `line` that is neither blank nor a comment."""
    for number in range(line - 1, -1, -1):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return None


def _tab_at(mark: yaml.Mark | None, text: str) -> bool:
    lines = text.splitlines()
    return mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"


def _plain_problem(exc: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's complaint in plain words, for the common mistakes."""
    context, problem = exc.context or "", exc.problem or ""
    if "flow sequence" in context:
        return 'a "[" opened on this line is not closed (a "]" or a "," is missing)'
    if "flow mapping" in context:
        return 'a "{" opened on this line is not closed (a "}" or a "," is missing)'
    if "simple key" in context:
        return _NO_COLON
    if "mapping values are not allowed" in problem:
        return 'a ":" where none can be (wrong indentation, or a value with ": " that needs quotes)'
    if "block mapping" in context or "block end" in problem or "expected key" in problem:
        return "the indentation of this line does not match the lines above"
    if "cannot start any token" in problem and _tab_at(exc.problem_mark, text):
        return "a tab character (indent with spaces)"
    return " ".join(part for part in (context, problem) if part)


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the key or list item that `loc` (a pydantic error location) ends at, or of the deepest found."""
    line = getattr(data, "line", None) or None
    node = data
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


_PLAIN = {
    "missing": "required but missing",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be text",
    "path_type": "must be a path",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping (indented key: value lines)",
    "model_type": "must be a mapping (indented key: value lines)",
    "model_attributes_type": "must be a mapping (indented key: value lines)",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
}


def plain_error(error: ErrorDetails, model: type[BaseModel], *, noun: str = "key", dotted: bool = True) -> str:
    """One pydantic validation error in plain words, without pydantic's jargon.

    An unknown key becomes `unknown setting "bank.dri" (did you mean "bank.dir"?)`, suggesting only
    close matches among the keys allowed at that place; other errors become `key: what is wrong`.
    With `dotted` the key is named by its whole path (list positions left out), else by its last part.
    """
    names = [str(step) for step in error["loc"] if not isinstance(step, int)]
    whole_item = bool(error["loc"]) and isinstance(error["loc"][-1], int)  # e.g. a whole question
    name = ".".join(names) if dotted else ("" if whole_item or not names else names[-1])
    if error["type"] == "extra_forbidden" and names:
        close = did_you_mean(names[-1], _allowed_keys(model, tuple(error["loc"][:-1])))
        suggestion = ".".join([*names[:-1], close]) if dotted and close else close
        hint = f' (did you mean "{suggestion}"?)' if close else ""
        return f'unknown {noun} "{name}"{hint}'
    template = _PLAIN.get(error["type"])
    if template is None:
        message = error["msg"].removeprefix("Value error, ")
    else:
        message = template.format(**error.get("ctx", {}))
        value = error.get("input")
        if error["type"] != "missing" and isinstance(value, (str, int, float, bool)):
            message += f" (got {value!r})"
    return f"{name}: {message}" if name else message


def did_you_mean(word: str, choices: list[str]) -> str | None:
    """The choice one or two typos away from `word` (a third of its letters at most), or None."""
    if not choices:
        return None
    found = process.extractOne(
        word, choices, scorer=OSA.distance, processor=str.lower, score_cutoff=max(1, len(word) // 3)
    )
    return found[0] if found else None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at `loc` inside `model` (empty when there is none)."""
    found: Any = model
    for step in loc:
        found = _inner(found, step)
        if found is None:
            return []
    models = [t for t in _flatten(found) if isinstance(t, type) and issubclass(t, BaseModel)]
    return list(models[0].model_fields) if models else []


def _flatten(annotation: Any) -> list[Any]:
    """The types an annotation may be: the members of a union, the type inside Annotated."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _flatten(arg)]
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    return [annotation]


def _inner(annotation: Any, step: Any) -> Any:
    """The type at `step` (a field name, a list position or a dict key) inside `annotation`."""
    for kind in _flatten(annotation):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if step == kind.__name__:  # pydantic names the member of a union it tried
                return kind
            if isinstance(step, str) and step in kind.model_fields:
                return kind.model_fields[step].annotation
            continue
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin in (list, tuple, set, frozenset) and isinstance(step, int) and args:
            return args[0]
        if origin is dict and len(args) == 2:
            return args[1]
    return None


class _FlowMap(dict):
    """A mapping written on one line (`{a: 1, b: 2}`)."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_map(dumper: yaml.SafeDumper, value: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowMap, _represent_flow_map)


def flow(mapping: dict[str, Any]) -> dict[str, Any]:
    """Mark a mapping to be written in flow style on one line."""
    return _FlowMap(mapping)


def dump_yaml(data: Any, *, header: str = "") -> str:
    """Serialise `data` the same way every time: keys in given order, multi-line text as blocks."""
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10**6,
        indent=2,
        default_flow_style=False,
    )
    return header + body
