"""The model's classes, as strings: what a message can mean.

``answer:<question>:<option>``   an answer to that question
``unsure``                       "Not sure", to whichever question is asked
``command:<name>``               a command of the registry in plain words
``change:<question>``            change the answer to that question
``explain:<path>``               explain that path
``language:<code>``              speak that language
``chat:<kind>``                  small talk (greeting, thanks, identity, trust, laugh, ack, goodbye)
``topic:<id>``                   a question about the paths that the article answers (content/topics.yaml)
``uncovered``                    a question about the paths that the article does not answer
``none``                         nothing this bot understands
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.content import NOT_SURE

ANSWER = "answer"
COMMAND = "command"
CHANGE = "change"
EXPLAIN = "explain"
LANGUAGE = "language"
CHAT = "chat"
TOPIC = "topic"
UNSURE = "unsure"
UNCOVERED = "uncovered"
NONE = "none"

CHAT_KINDS: tuple[str, ...] = ("greeting", "thanks", "identity", "trust", "laugh", "ack", "goodbye")


@dataclass(frozen=True)
class Label:
    """A class name taken apart: its kind and up to two arguments."""

    kind: str
    first: str = ""
    second: str = ""

    @classmethod
    def parse(cls, name: str) -> Label:
        kind, _, rest = name.partition(":")
        first, _, second = rest.partition(":")
        return cls(kind, first, second)


def answer(question_id: str, option_id: str) -> str:
    """The class of an answer to a question; "Not sure" is one class for every question."""
    return UNSURE if option_id == NOT_SURE else f"{ANSWER}:{question_id}:{option_id}"
