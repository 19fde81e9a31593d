"""What a person did, as the engine sees it: platform-free events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class EventKind(str, Enum):
    """The kinds of input the dialog understands."""

    START = "start"
    ANSWER = "answer"
    TEXT = "text"
    BACK = "back"
    RESTART = "restart"
    EXPLAIN = "explain"
    WHY = "why"
    HELP = "help"
    PRIVACY = "privacy"
    FORGET = "forget"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Event:
    """One input. Button events carry the question and quiz generation they were shown for,
    so that a stale or replayed button can be recognised and ignored."""

    kind: EventKind
    text: str = ""
    question: str = ""
    option: str = ""
    generation: int | None = None
    via_button: bool = False
