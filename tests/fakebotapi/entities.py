"""Text and entity types; offsets and lengths in UTF-16 code units, like the Bot API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Entity",
    "EntityParseError",
    "ParsedText",
    "sort_entities",
    "utf16_len",
]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts characters)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class EntityParseError(ValueError):
    """Text could not be parsed with the requested parse_mode (``message``: the reason)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def description(self) -> str:
        """The Bot API error description for this parse failure."""
        return f"Bad Request: can't parse entities: {self.message}"


@dataclass(frozen=True, slots=True)
class Entity:
    """One Bot API ``MessageEntity`` (offset/length in UTF-16 code units)."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    unix_time: int | None = None
    date_time_format: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialise as Bot API ``MessageEntity`` JSON."""
        data: dict[str, Any] = {"offset": self.offset, "length": self.length, "type": self.type}
        return data | {key: getattr(self, key) for key in _OPTIONAL_FIELDS if getattr(self, key) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entity:
        """Build from Bot API ``MessageEntity`` JSON (unknown keys are ignored)."""
        return cls(str(data["type"]), int(data["offset"]), int(data["length"]),
                   **{key: data.get(key) for key in _OPTIONAL_FIELDS})


_OPTIONAL_FIELDS = ("url", "language", "custom_emoji_id", "unix_time", "date_time_format")


def sort_entities(entities: Iterable[Entity]) -> tuple[Entity, ...]:
    """Order entities by offset, longer (enclosing) ones first.

    The sort is stable, so entities covering exactly the same range keep the order in which
    they were given (for parsed markup: outer tag first).
    """
    return tuple(sorted(entities, key=lambda entity: (entity.offset, -entity.length)))


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text plus its entities, as Telegram stores a formatted message."""

    text: str
    entities: tuple[Entity, ...] = ()

    @property
    def utf16_length(self) -> int:
        """Length of :attr:`text` in UTF-16 code units."""
        return utf16_len(self.text)

    def entities_json(self) -> list[dict[str, Any]]:
        """The entities as a list of Bot API ``MessageEntity`` dicts."""
        return [entity.to_json() for entity in self.entities]
