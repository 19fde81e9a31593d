"""Reading content files: the text of a file, a YAML document, and typed values inside it.

Every problem becomes a :class:`dialogs.errors.ContentError` naming the file, the key path inside
it and what is wrong, so that a bad edit stops start-up with a message, never a traceback.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dialogs.errors import ContentError

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")  # short enough for 64-byte callback data


def kind_of(value: Any) -> str:
    """How an error message names the type of ``value``."""
    return "nothing" if value is None else type(value).__name__


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"list": "a list", "dict": "a mapping"}.get(k.__name__, k.__name__) for k in kinds)


class YamlFile:
    """Helpers that read typed values from one YAML document and name the file on error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, key: str, problem: str) -> ContentError:
        """The error for ``problem`` at ``key`` in this file (the caller raises it)."""
        return ContentError(self.name, key, problem)

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        """``value`` if it is a mapping."""
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, found {kind_of(value)}")
        return value

    def get(self, parent: Mapping[str, Any], field: str, key: str, kind: type | tuple[type, ...]) -> Any:
        """``parent[field]`` of type ``kind``; strings must be non-empty and come back stripped."""
        path = f"{key}.{field}" if key else field
        if field not in parent:
            raise self.fail(path, "is missing")
        value = parent[field]
        if kind is str:
            if not isinstance(value, str) or not value.strip():
                raise self.fail(path, f"expected a non-empty string, found {kind_of(value)}")
            return value.strip()
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(path, f"expected an integer, found {kind_of(value)}")
        if not isinstance(value, kind):
            raise self.fail(path, f"expected {_kind_name(kind)}, found {kind_of(value)}")
        return value

    def ident(self, parent: Mapping[str, Any], key: str) -> str:
        """The entry's ``id``, checked against :data:`ID_PATTERN`."""
        value = self.get(parent, "id", key, str)
        if not ID_PATTERN.fullmatch(value):
            raise self.fail(f"{key}.id", f"{value!r} is not a valid id (lowercase letters, digits, _)")
        return value

    def entries(
        self, parent: Mapping[str, Any], field: str, at: str = ""
    ) -> Iterator[tuple[str, Mapping[str, Any], str]]:
        """(key path, mapping, id) for each item of the list ``field``; ids must be unique."""
        seen: set[str] = set()
        for index, raw in enumerate(self.get(parent, field, at, list)):
            key = f"{at}.{field}[{index}]" if at else f"{field}[{index}]"
            entry = self.mapping(raw, key)
            entry_id = self.ident(entry, key)
            if entry_id in seen:
                raise self.fail(f"{key}.id", f"duplicate id {entry_id!r}")
            seen.add(entry_id)
            yield key, entry, entry_id

    def strings(self, parent: Mapping[str, Any], field: str, key: str, allow_empty: bool = False) -> tuple[str, ...]:
        """The list ``field`` of non-empty strings, stripped; empty only if ``allow_empty``."""
        items = self.get(parent, field, key, list)
        result = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}.{field}[{index}]", f"expected a non-empty string, found {kind_of(item)}")
            result.append(item.strip())
        if not result and not allow_empty:
            raise self.fail(f"{key}.{field}", "must not be empty")
        return tuple(result)

    def keyed(self, parent: Mapping[str, Any], field: str, key: str, expected: tuple[str, ...]) -> Mapping[str, Any]:
        """A mapping that must have exactly the ``expected`` keys."""
        path = f"{key}.{field}" if key else field
        value = self.mapping(parent.get(field), path)
        for name in value:
            if name not in expected:
                raise self.fail(f"{path}.{name}", "unknown key (not in the language-neutral quiz or the code)")
        for name in expected:
            if name not in value:
                raise self.fail(f"{path}.{name}", "is missing")
        return value

    def placeholders(self, key: str, value: str) -> set[str]:
        """The ``{name}`` fields of the format string ``value`` at ``key``."""
        try:
            return {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise self.fail(key, f"bad placeholder syntax: {error}") from None


def read_text(directory: Path, name: str) -> str:
    """The UTF-8 text of ``directory/name``."""
    try:
        return (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", f"file not found in {directory}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(name, "", f"cannot be read: {error}") from None


def parse_yaml(directory: Path, name: str) -> Mapping[str, Any]:
    """The YAML document ``directory/name``, which must be a mapping."""
    import yaml  # only when content is parsed: a start from the content cache never needs it

    source = read_text(directory, name)
    # libyaml's safe loader parses the catalogues several times faster than the pure-Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader, libyaml's when available
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(name, where, f"YAML syntax error: {problem}") from None
    return YamlFile(name).mapping(document, "")
