"""Load ``bot-api-methods.json`` and decode request parameters against it (Telegram's 400s)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import QUERY_TOO_OLD, ApiError

__all__ = ["DEFAULT_SPEC_PATH", "BotApiSpec", "DecodedParams", "FieldSpec", "MethodSpec", "UploadedFile"]

DEFAULT_SPEC_PATH = Path(__file__).with_name("bot-api-methods.json")

_PRIMITIVES = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})
_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

# What the real server answers when a required parameter is missing or empty.
_REQUIRED_MESSAGES: dict[str, str] = {
    "chat_id": "Bad Request: chat_id is empty",
    "message_id": "Bad Request: message identifier is not specified",
    "user_id": "Bad Request: invalid user_id specified",
    "callback_query_id": f"Bad Request: {QUERY_TOO_OLD}",
    "action": "Bad Request: wrong parameter action in request",
}
_REQUIRED_TEXT_METHODS = frozenset({"sendmessage", "editmessagetext"})
# Required fields for which an explicitly empty string is meaningful.
_EMPTY_ALLOWED = frozenset({("setwebhook", "url")})


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.field_name!r}, {self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter of a Bot API method."""

    name: str
    required: bool
    types: tuple[str, ...]

    @property
    def object_types(self) -> tuple[str, ...]:
        """Declared object (non-primitive, non-array) types."""
        return tuple(t for t in self.types if t not in _PRIMITIVES and not t.startswith("Array"))

    @property
    def array_types(self) -> tuple[str, ...]:
        """Element types of the declared ``Array of X`` types."""
        return tuple(t.removeprefix("Array of ") for t in self.types if t.startswith("Array of "))

    @property
    def type_label(self) -> str:
        """Human-readable type list, e.g. ``Integer or String``."""
        return " or ".join(self.types)


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A Bot API method: canonical name, parameters and return types."""

    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecodedParams:
    """Result of :meth:`BotApiSpec.decode`."""

    params: dict[str, Any]
    unknown: dict[str, Any]


class BotApiSpec:
    """The set of known Bot API methods with case-insensitive lookup."""

    def __init__(self, methods: Mapping[str, MethodSpec], version: str = "") -> None:
        self.methods = dict(methods)
        self.version = version

    @cached_property
    def _by_lower(self) -> dict[str, MethodSpec]:
        return {name.lower(): spec for name, spec in self.methods.items()}

    @classmethod
    def load(cls, path: Path = DEFAULT_SPEC_PATH) -> BotApiSpec:
        """Load the JSON method list shipped next to this module."""
        data = json.loads(path.read_text(encoding="utf-8"))
        methods: dict[str, MethodSpec] = {}
        for name, method in data["methods"].items():
            fields = {
                field_name: FieldSpec(field_name, bool(info["required"]), tuple(info["types"]))
                for field_name, info in method["fields"].items()
            }
            methods[name] = MethodSpec(name, fields, tuple(method.get("returns", ())))
        return cls(methods, str(data.get("version", "")))

    def method(self, name: str) -> MethodSpec | None:
        """Find a method by name, ignoring case like Telegram does."""
        return self._by_lower.get(name.lower())

    def decode(self, method: MethodSpec, raw: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None
               ) -> DecodedParams:
        """Decode ``raw`` (strings and/or JSON values) into typed values; 400 for missing or wrong ones."""
        files = files or {}
        lower_name = method.name.lower()
        params: dict[str, Any] = {}
        unknown: dict[str, Any] = {}
        for key, value in raw.items():
            field = method.fields.get(key)
            if field is None:
                unknown[key] = value
                continue
            if value is None or (value == "" and (lower_name, key) not in _EMPTY_ALLOWED):
                continue  # Telegram treats empty parameters as absent
            params[key] = _decode_value(field, value, files)
        for key, upload in files.items():
            field = method.fields.get(key)
            if field is not None and key not in params and "InputFile" in field.types:
                params[key] = upload

        for field in sorted(method.fields.values(), key=_required_order):
            if field.required and field.name not in params:
                raise _missing(lower_name, field.name)
        return DecodedParams(params, unknown)


def _required_order(field: FieldSpec) -> tuple[int, str]:
    return ({"chat_id": 0, "message_id": 1}.get(field.name, 2), field.name)


def _missing(method: str, name: str) -> ApiError:
    if name == "text" and method in _REQUIRED_TEXT_METHODS:
        return ApiError(400, "Bad Request: message text is empty")
    message = _REQUIRED_MESSAGES.get(name)
    if message is not None:
        return ApiError(400, message)
    return ApiError(400, f'Bad Request: parameter "{name}" is required')


def _type_error(field: FieldSpec) -> ApiError:
    return ApiError(400, f'Bad Request: field "{field.name}" must be of type {field.type_label}')


def _json_error(field: FieldSpec) -> ApiError:
    if field.name == "reply_markup":
        return ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return ApiError(400, f"Bad Request: can't parse {field.name} JSON object")


def _decode_value(field: FieldSpec, value: Any, files: Mapping[str, UploadedFile]) -> Any:
    types = field.types
    if isinstance(value, UploadedFile):
        if "InputFile" in types:
            return value
        raise _type_error(field)
    if isinstance(value, str):
        return _decode_string(field, value, files)
    if isinstance(value, bool):
        if "Boolean" in types:
            return value
        raise _type_error(field)
    if isinstance(value, int):
        if "Integer" in types or "Float" in types:
            return value
        if "String" in types:
            return str(value)
        if "Boolean" in types and value in (0, 1):
            return bool(value)
        raise _type_error(field)
    if isinstance(value, float):
        if "Float" in types:
            return value
        if "Integer" in types and value.is_integer():
            return int(value)
        if "String" in types:
            return str(value)
        raise _type_error(field)
    if isinstance(value, (dict, list)):
        return _check_structured(field, value)
    raise _type_error(field)


def _decode_string(field: FieldSpec, value: str, files: Mapping[str, UploadedFile]) -> Any:
    types = field.types
    if "InputFile" in types and value.startswith("attach://"):
        upload = files.get(value.removeprefix("attach://"))
        if upload is None:
            raise ApiError(400, f'Bad Request: file "{value}" not found in the request')
        return upload
    if "String" in types:
        if "Integer" in types and _INT_RE.match(value):
            return int(value)
        return value
    if "Integer" in types:
        if _INT_RE.match(value):
            return int(value)
        raise _type_error(field)
    if "Float" in types:
        try:
            return float(value)
        except ValueError:
            raise _type_error(field) from None
    if "Boolean" in types:
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _type_error(field)
    if "InputFile" in types:
        return value  # file_id or HTTP URL
    try:
        decoded = json.loads(value)
    except ValueError:
        raise _json_error(field) from None
    return _check_structured(field, decoded)


def _check_structured(field: FieldSpec, value: Any) -> Any:
    if isinstance(value, dict):
        if field.object_types:
            return value
        if field.name == "reply_markup":
            raise ApiError(400, "Bad Request: object expected as reply markup")
        raise _type_error(field)
    if isinstance(value, list):
        element_types = field.array_types
        if not element_types:
            raise _type_error(field)
        for element in value:
            if not any(_element_matches(t, element) for t in element_types):
                raise ApiError(400, f'Bad Request: field "{field.name}" must be an Array of {element_types[0]}')
        return value
    if field.name == "reply_markup":
        raise ApiError(400, "Bad Request: object expected as reply markup")
    raise _type_error(field)


# element type of an ``Array of X`` -> does a JSON value fit it (objects: any dict)
_ELEMENT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "String": lambda e: isinstance(e, str),
    "Integer": lambda e: (isinstance(e, int) and not isinstance(e, bool)) or (isinstance(e, str) and bool(_INT_RE.match(e))),
    "Float": lambda e: isinstance(e, (int, float)) and not isinstance(e, bool),
    "Boolean": lambda e: isinstance(e, bool),
}


def _element_matches(element_type: str, element: Any) -> bool:
    return _ELEMENT_CHECKS.get(element_type, lambda e: isinstance(e, dict))(element)
