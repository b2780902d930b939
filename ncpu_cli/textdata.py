"""Untrusted JSON and YAML text -> plain data, every failure a `DataError` with a message.

Python's own parsers fail on hostile input with errors no user should see: a
number of more than 4,300 digits (`ValueError: Exceeds the limit ... for
integer string conversion`), nesting a thousand levels deep (`RecursionError`).
Image files and `--inputs` files are parsed here instead; the caller adds the
file name and turns `DataError` into its own typed error.

`YamlLoader` is the one YAML loader of the project (images, `--inputs` files, fit specs
and suites, the opcode table): the safe loader, refusing a mapping that gives a key
twice (YAML requires keys to be unique; PyYAML would silently keep the last one).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml

MAX_DEPTH = 64  # lists/mappings inside each other; an image needs 3, an inputs file 3
MAX_DIGITS = 4300  # Python's default int_max_str_digits, and far more than any word needs
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
_MERGE = "tag:yaml.org,2002:merge"  # `<<: *anchor` (its keys may be overridden)


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping gives the same key twice; `problem` names the key and the first line."""


class YamlLoader(_SAFE):
    """The safe loader, except that a key given twice in one mapping is an error naming the
    key and both lines (a `yaml.constructor.ConstructorError` at the second one)."""

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 (PyYAML's signature)
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}  # key -> the line it was first given on
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    line = first.get(key)
                    first.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if line is not None:
                    raise DuplicateKey(
                        None, None, f"duplicate key `{_cut(str(key), 40)}` (first given at "
                        f"line {line})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class DataError(ValueError):
    """The text is not valid data; `line` (1-based) when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def show_int(value: int) -> str:
    """`value` in decimal for a message, or `a 5000-digit number` when too long to print."""
    if value.bit_length() > 200:
        digits = int(value.bit_length() * 0.30103) + 1
        return f"a number of about {digits:,} digits"
    return str(value)


def _cut(text: str, limit: int = 120) -> str:
    """A parser's message cut to `limit` characters (it may quote a 5,000-character tag)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_long(err: ValueError) -> bool:
    return "integer string conversion" in str(err) or "Exceeds the limit" in str(err)


def load_json(text: str) -> Any:
    """Parse one JSON document (NaN and Infinity refused); checks the nesting depth."""
    try:
        data = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique)
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON: {err.msg}", err.lineno) from None
    except RecursionError:
        raise DataError(f"nested more than {MAX_DEPTH} deep") from None
    except ValueError as err:
        if _too_long(err):
            raise DataError(f"a number has more than {MAX_DIGITS} digits") from None
        raise DataError(f"not valid JSON: {_cut(str(err))}") from None
    check_depth(data)
    return data


def _unique(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object, refusing a key given twice (json would keep the last silently)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key `{_cut(key, 40)}` in an object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader; checks the nesting depth."""
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = _cut(getattr(err, "problem", None) or str(err).splitlines()[0])
        hint = " (truncated file?)" if "end of stream" in str(problem) else ""
        line = mark.line + 1 if mark is not None else None
        where = f" at line {line}" if line is not None else ""
        raise DataError(f"not valid YAML{where}: {problem}{hint}", line) from None
    except RecursionError:
        raise DataError(f"nested more than {MAX_DEPTH} deep") from None
    except (ValueError, OverflowError) as err:
        if _too_long(err):
            raise DataError(f"a number has more than {MAX_DIGITS} digits") from None
        raise DataError(f"not valid YAML: {_cut(str(err))}") from None
    check_depth(data)
    return data


def check_depth(data: Any, limit: int = MAX_DEPTH) -> None:
    """DataError when lists/mappings nest more than `limit` deep (shared and self-referencing
    YAML aliases are visited once, so this is linear in the text)."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (list, dict)) or id(node) in seen:
            continue
        if depth > limit:
            raise DataError(f"nested more than {limit} deep")
        seen.add(id(node))
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def int_text_ok(text: str) -> bool:
    """True when `text` (digits) is short enough for `int()` (see sys.get_int_max_str_digits)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    return not limit or len(text) <= limit
