"""Turn ``text`` + ``parse_mode``/``entities`` into what Telegram stores and returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .entities import Entity, EntityParseError, ParsedText, sort_entities, utf16_len
from .errors import ApiError
from .telegram_html import parse_html

__all__ = ["MARKDOWN_NOT_SIMULATED", "format_text", "trim_parsed"]

MARKDOWN_NOT_SIMULATED = "the fake Bot API does not simulate Markdown parse modes"

_MAX_RAW_TEXT_BYTES = 1 << 15  # the Bot API server rejects longer raw strings outright
_ENTITY_TYPES = frozenset({
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold", "italic", "underline",
    "strikethrough", "spoiler", "blockquote", "expandable_blockquote", "code", "pre", "text_link", "text_mention",
    "custom_emoji", "date_time",
})


def trim_parsed(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace the way Telegram stores message text.

    Trailing whitespace is always removed; leading spaces/newlines only before the first
    entity. Entities are clipped/shifted accordingly.
    """
    stripped = parsed.text.rstrip()
    end16 = utf16_len(stripped)
    entities: list[Entity] = []
    for entity in parsed.entities:
        if entity.offset >= end16 or entity.length <= 0:
            continue
        entities.append(replace(entity, length=min(entity.length, end16 - entity.offset)))

    first_entity = min((e.offset for e in entities), default=end16)
    lead = 0
    while lead < len(stripped) and lead < first_entity and stripped[lead] in " \n":
        lead += 1  # ' ' and '\n' are single UTF-16 units
    if lead:
        stripped = stripped[lead:]
        entities = [replace(e, offset=e.offset - lead) for e in entities]
    return ParsedText(stripped, sort_entities(entities))


def _explicit_entities(text: str, raw_entities: Sequence[Any] | None) -> ParsedText:
    """Validate an explicit ``entities``/``caption_entities`` array."""
    entities: list[Entity] = []
    total = utf16_len(text)
    for raw in raw_entities or ():
        if not isinstance(raw, dict):
            raise ApiError.bad_request("can't parse MessageEntity: expected an Object")
        kind, offset, length = raw.get("type"), raw.get("offset"), raw.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_TYPES:
            raise ApiError.bad_request(f"can't parse MessageEntity: Unsupported type specified: {kind!r}")
        for name, value in (("offset", offset), ("length", length)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ApiError.bad_request(f"can't parse MessageEntity: wrong {name} {value!r}")
        if kind == "text_link" and not isinstance(raw.get("url"), str):
            raise ApiError.bad_request('can\'t parse MessageEntity: Field "url" must be of type String')
        if length == 0 or offset >= total:
            continue
        entities.append(Entity.from_json(raw))
    return ParsedText(text, sort_entities(entities))


def format_text(text: str, parse_mode: str | None, entities: Sequence[Any] | None = None, *,
                strict_html: bool = True) -> ParsedText:
    """Parse ``text`` as Telegram would for a message or caption (before length checks).

    Raises :class:`ApiError` with Telegram's description for an unsupported parse mode, a
    parse failure or an over-long raw string. The result is trimmed like Telegram does.
    """
    if len(text.encode("utf-8", "surrogatepass")) > _MAX_RAW_TEXT_BYTES:
        raise ApiError.bad_request("text is too long")
    mode = (parse_mode or "").lower()
    try:
        if mode in ("", "none"):
            parsed = _explicit_entities(text, entities)
        elif mode == "html":
            parsed = parse_html(text, strict=strict_html)
        elif mode in ("markdownv2", "markdown"):
            raise ApiError.bad_request(MARKDOWN_NOT_SIMULATED)
        else:
            raise ApiError.bad_request("unsupported parse_mode")
    except EntityParseError as exc:
        raise ApiError(400, exc.description) from None
    return trim_parsed(parsed)
