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
    FORGET = "forget"
    PLAN = "plan"
    CHANGE = "change"
    REMIND = "remind"
    SHARE = "share"
    SHARED = "shared"
    LANGUAGE = "language"
    #: A question about the paths (``text``: the topic id, or "" when the article does not answer it).
    TOPIC = "topic"
    #: Small talk (``text``: its kind, see dialogs.nlu.labels.CHAT_KINDS).
    CHAT = "chat"
    #: Ask again a question filled from an earlier message (``question``).
    REOPEN = "reopen"
    #: A typed message read as an unclear answer: "Did you mean" ``candidates``.
    SUGGEST = "suggest"
    #: A typed message not understood: ask the question again.
    HINT = "hint"
    #: "No, I meant ...": go back one answer and read ``text`` as the answer instead.
    CORRECT = "correct"
    #: "Does this feel right?" under the result (``option``, or typed ``text``: agree, disagree
    #: or the path that feels right instead).
    VERDICT = "verdict"
    UNKNOWN = "unknown"
    #: A command declared only in the registry (dialogs.commands), named by ``Event.command``:
    #: a command that shows a text or has its own handler needs no kind of its own.
    COMMAND = "command"


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
    #: Read from the person's own words (not a button, a slash command or an exact label): an
    #: answer says back what was recorded; deleting everything asks first.
    acknowledge: bool = False
    #: "Did you mean" candidates (option ids, best first) of a typed message.
    candidates: tuple[str, ...] = ()
    #: Answers to other questions the message also stated: (question id, option id).
    facts: tuple[tuple[str, str], ...] = ()
    #: The registry command an ``EventKind.COMMAND`` event stands for (its name).
    command: str = ""

    @property
    def name(self) -> str:
        """What the event is, for logs and figures: the command's name, or the kind."""
        return self.command or self.kind.value
