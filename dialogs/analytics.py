"""Anonymous usage events and the operator's numbers computed from them.

An event says what happened, never to whom: no chat id, no text. Kinds:
``started`` (a quiz began), ``reached`` (a question was asked as the next step), ``answered``
(``how``: button, typed or unsure), ``suggested`` ("Did you mean" shown), ``result`` (``path``,
and ``seconds`` from the quiz's start), ``share_opened`` (someone opened a shared result) and
``checkin_sent``. They are appended to the store and purged with the same retention as sessions.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STARTED, REACHED, ANSWERED, SUGGESTED, RESULT, SHARE_OPENED, CHECKIN_SENT = (
    "started", "reached", "answered", "suggested", "result", "share_opened", "checkin_sent")
KINDS = (STARTED, REACHED, ANSWERED, SUGGESTED, RESULT, SHARE_OPENED, CHECKIN_SENT)
BUTTON, TYPED, UNSURE = "button", "typed", "unsure"


@dataclass(frozen=True)
class UsageEvent:
    """One anonymous event. ``detail`` is the question id, or the path for results;
    ``how`` says how a question was answered; ``seconds`` is the time to finish."""

    kind: str
    detail: str = ""
    how: str = ""
    seconds: float | None = None
    at: float = 0.0


@dataclass(frozen=True)
class QuestionFigures:
    """One question's funnel: how often it was reached, answered and how."""

    question: str
    reached: int
    dropped: int
    answered: int
    typed: int
    unsure: int


@dataclass(frozen=True)
class Figures:
    """The operator's numbers for one window of days."""

    days: int
    starts: int
    completions: int
    median_seconds: float | None
    questions: tuple[QuestionFigures, ...]
    outcomes: dict[str, int]
    shares: int
    checkins: int
    suggested: int

    @property
    def completion_rate(self) -> float:
        return self.completions / self.starts if self.starts else 0.0


def figures(events: Iterable[UsageEvent], question_ids: Sequence[str], days: int) -> Figures:
    """Aggregate events (already limited to the window) into the funnel and outcome mix."""
    events = list(events)
    kinds = Counter(event.kind for event in events)
    reached = Counter(event.detail for event in events if event.kind == REACHED)
    answered = Counter(event.detail for event in events if event.kind == ANSWERED)
    typed = Counter(event.detail for event in events if event.kind == ANSWERED and event.how == TYPED)
    unsure = Counter(event.detail for event in events if event.kind == ANSWERED and event.how == UNSURE)
    questions = []
    for index, question_id in enumerate(question_ids):
        following = reached[question_ids[index + 1]] if index + 1 < len(question_ids) else kinds[RESULT]
        questions.append(QuestionFigures(question_id, reached[question_id], max(reached[question_id] - following, 0),
                                         answered[question_id], typed[question_id], unsure[question_id]))
    durations = [event.seconds for event in events if event.kind == RESULT and event.seconds is not None]
    outcomes = Counter(event.detail for event in events if event.kind == RESULT)
    return Figures(
        days=days, starts=kinds[STARTED], completions=kinds[RESULT],
        median_seconds=statistics.median(durations) if durations else None,
        questions=tuple(questions), outcomes=dict(outcomes), shares=kinds[SHARE_OPENED],
        checkins=kinds[CHECKIN_SENT], suggested=kinds[SUGGESTED],
    )
