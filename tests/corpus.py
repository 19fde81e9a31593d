"""Scoring a labelled corpus of typed replies (tests/data/answer_corpus*.yaml) against the matcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.content import NOT_SURE, Content
from dialogs.understanding import Interpreter, Reading


@dataclass
class CorpusScore:
    """Replies meaning an answer: how many were understood (taken, or offered first in "Did
    you mean") and taken; ``wrong``: an answer taken that the reply did not mean (replies
    labelled ``none`` included)."""

    total: int = 0
    understood: int = 0
    taken: int = 0
    wrong: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.understood / self.total if self.total else 0.0


def score_corpus(content: Content, corpus: dict[str, Any]) -> CorpusScore:
    """Read every reply of ``corpus`` (question -> label -> replies) with the content's matcher."""
    interpreter = Interpreter(content)
    result = CorpusScore()
    for question in content.questions:
        for label, replies in corpus[question.id].items():
            for reply in replies:
                reading = interpreter.read(reply, question)
                if label == "none":
                    if reading.reading is Reading.ANSWER:
                        result.wrong.append((question.id, label, reply))
                    continue
                expected = NOT_SURE if label == "not_sure" else label
                result.total += 1
                if reading.reading is Reading.ANSWER and reading.options[0] != expected:
                    result.wrong.append((question.id, label, reply))
                elif reading.reading in (Reading.ANSWER, Reading.SUGGEST) and reading.options[:1] == (expected,):
                    result.understood += 1
                    result.taken += reading.reading is Reading.ANSWER
    return result
