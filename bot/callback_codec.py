"""Callback data: the one place that turns button events into at most 64 bytes and back.

Format (version 1), fields separated by ':':
    1a:<generation>:<question>:<option>   answer
    1b:<generation>:<question>            back from a question
    1c:<generation>:<question>            change this answer (from the result)
    1f:<generation>:<question>            ask again a question answered ahead in a message
    1e:<path>                             explain a path
    1l:<language>                         speak this language (1L: the menu of languages)
    1E                                    the menu of paths
    1C                                    the menu of answers to change
    1w                                    why
    1p                                    plan ("What now?")
    1m                                    remind me in two weeks
    1s                                    start (continue, or show the result again)
    1r                                    restart
    1x:<generation>                       forget: delete everything (the confirmation's button)
    1v:<generation>:<choice>              "Does this feel right?": agree, disagree or a path
Anything else, including data from an older format, decodes to None.
"""

from __future__ import annotations

import re

from dialogs.events import Event, EventKind
from dialogs.session import GENERATION_LIMIT

MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit (telegram.constants.InlineKeyboardButtonLimit)
VERSION = "1"
_ID = re.compile(r"[a-z][a-z0-9_]{0,19}")


class CallbackDataError(ValueError):
    """An event cannot be carried by a button."""


def encode(event: Event) -> str:
    """The callback data for a button event."""
    kind = event.kind
    if kind is EventKind.ANSWER:
        data = f"{VERSION}a:{event.generation}:{event.question}:{event.option}"
    elif kind is EventKind.BACK:
        data = f"{VERSION}b:{event.generation}:{event.question}"
    elif kind is EventKind.CHANGE and event.question:
        data = f"{VERSION}c:{event.generation}:{event.question}"
    elif kind is EventKind.REOPEN:
        data = f"{VERSION}f:{event.generation}:{event.question}"
    elif kind is EventKind.VERDICT:
        data = f"{VERSION}v:{event.generation}:{event.option}"
    elif kind is EventKind.FORGET and event.generation is not None:
        data = f"{VERSION}x:{event.generation}"
    elif kind is EventKind.EXPLAIN:
        data = f"{VERSION}e:{event.text}" if event.text else f"{VERSION}E"
    elif kind is EventKind.LANGUAGE:
        data = f"{VERSION}l:{event.text}" if event.text else f"{VERSION}L"
    elif kind in _SIMPLE_TAGS:
        data = f"{VERSION}{_SIMPLE_TAGS[kind]}"
    else:
        raise CallbackDataError(f"{kind.value} events have no button form")
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        raise CallbackDataError(f"callback data {data!r} is over {MAX_CALLBACK_DATA} bytes")
    return data


_QUESTION_KINDS = {"b": EventKind.BACK, "c": EventKind.CHANGE, "f": EventKind.REOPEN}
_SIMPLE_TAGS = {EventKind.WHY: "w", EventKind.RESTART: "r", EventKind.PLAN: "p", EventKind.REMIND: "m",
                EventKind.START: "s", EventKind.CHANGE: "C"}
_SIMPLE_KINDS = {tag: kind for kind, tag in _SIMPLE_TAGS.items()} | {"E": EventKind.EXPLAIN, "L": EventKind.LANGUAGE}


def _generation(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if value < GENERATION_LIMIT else None


def decode(data: object) -> Event | None:
    """The event a button's data stands for, or None for anything malformed or foreign."""
    if not isinstance(data, str) or len(data) > MAX_CALLBACK_DATA or not data.startswith(VERSION):
        return None
    tag, *fields = data[len(VERSION):].split(":")
    if tag == "a" and len(fields) == 3:
        generation = _generation(fields[0])
        if generation is None or not (_ID.fullmatch(fields[1]) and _ID.fullmatch(fields[2])):
            return None
        return Event(EventKind.ANSWER, question=fields[1], option=fields[2], generation=generation, via_button=True)
    if tag == "v" and len(fields) == 2:
        generation = _generation(fields[0])
        if generation is None or not _ID.fullmatch(fields[1]):
            return None
        return Event(EventKind.VERDICT, option=fields[1], generation=generation, via_button=True)
    if tag in _QUESTION_KINDS and len(fields) == 2:
        generation = _generation(fields[0])
        if generation is None or not _ID.fullmatch(fields[1]):
            return None
        kind = _QUESTION_KINDS[tag]
        return Event(kind, question=fields[1], generation=generation, via_button=True)
    if tag == "x" and len(fields) == 1:
        generation = _generation(fields[0])
        return None if generation is None else Event(EventKind.FORGET, generation=generation, via_button=True)
    if tag == "e" and len(fields) == 1 and _ID.fullmatch(fields[0]):
        return Event(EventKind.EXPLAIN, text=fields[0], via_button=True)
    if tag == "l" and len(fields) == 1 and _ID.fullmatch(fields[0]):
        return Event(EventKind.LANGUAGE, text=fields[0], via_button=True)
    if tag in _SIMPLE_KINDS and not fields:
        return Event(_SIMPLE_KINDS[tag], via_button=True)
    return None
