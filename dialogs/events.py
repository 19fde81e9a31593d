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
    PLAN = "plan"
    CHANGE = "change"
    REMIND = "remind"
    SHARE = "share"
    SHARED = "shared"
    LANGUAGE = "language"
    STATS = "stats"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Event:
    """One input. Button events carry the question and quiz generation they were shown for,
    so that a stale or replayed button can be recognised and ignored. ``answers`` carries a
    whole answer set (a shared result, or what a Share button shares)."""

    kind: EventKind
    text: str = ""
    question: str = ""
    option: str = ""
    generation: int | None = None
    via_button: bool = False
    answers: tuple[tuple[str, str], ...] = ()
    #: The language the person's app is set to (Telegram's language_code), if known.
    language: str = ""
