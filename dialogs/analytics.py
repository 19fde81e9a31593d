"""Anonymous usage events and the operator's numbers computed from them.

An event says what happened, never to whom: no chat id, no text. Kinds:
``started`` (a quiz began), ``reached`` (a question was asked as the next step), ``answered``
(``how``: button, typed or unsure), ``suggested`` ("Did you mean" shown), ``result`` (``path``,
and ``seconds`` from the quiz's start), ``share_opened`` (someone opened a shared result) and
``checkin_sent``. They are appended to the store and purged with the same retention as sessions.

"Does this feel right?" under the result is logged as ``verdict``: ``detail`` is the recommended
path, ``how`` is ``agree``, ``disagree`` (a "Not really" not yet followed by a path) or the path
that feels right instead. A person may change their vote. The log cannot know whose earlier vote
to replace, having no chat id, so the session remembers this quiz's vote (it is the person's own
data, deleted by /forget) and a new vote appends, in the same transaction, a
``verdict_retracted`` event repeating the earlier vote's ``detail`` and ``how``. The figures
count votes minus retractions per (path, how): each quiz's last vote, with nothing in the log
tying a vote to a person, or even two retractions to each other. A new quiz is a new ballot.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STARTED, REACHED, ANSWERED, SUGGESTED, RESULT, SHARE_OPENED, CHECKIN_SENT = (
    "started", "reached", "answered", "suggested", "result", "share_opened", "checkin_sent")
VERDICT, VERDICT_RETRACTED = "verdict", "verdict_retracted"
KINDS = (STARTED, REACHED, ANSWERED, SUGGESTED, RESULT, SHARE_OPENED, CHECKIN_SENT, VERDICT, VERDICT_RETRACTED)
BUTTON, TYPED, UNSURE = "button", "typed", "unsure"
#: A verdict's ``how`` besides a path id: it feels right; "Not really" with no path picked (yet).
AGREE, DISAGREE = "agree", "disagree"


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
class VerdictFigures:
    """ "Does this feel right?" for one recommended path: last votes, how many agreed, and the
    paths that felt right instead (``instead``: path id, or ``disagree`` for none picked, -> votes)."""

    path: str
    votes: int
    agreed: int
    instead: dict[str, int]

    @property
    def agreement_rate(self) -> float:
        return self.agreed / self.votes if self.votes else 0.0


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
    #: Per recommended path with votes, most votes first.
    verdicts: tuple[VerdictFigures, ...] = ()

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
        checkins=kinds[CHECKIN_SENT], suggested=kinds[SUGGESTED], verdicts=verdict_figures(events),
    )


def verdict_figures(events: Iterable[UsageEvent]) -> tuple[VerdictFigures, ...]:
    """Each quiz's last vote per recommended path: votes minus retractions (see the module's
    docstring). A retraction whose vote fell before the window is not counted below zero."""
    net: Counter[tuple[str, str]] = Counter()
    for event in events:
        if event.kind == VERDICT:
            net[event.detail, event.how] += 1
        elif event.kind == VERDICT_RETRACTED:
            net[event.detail, event.how] -= 1
    per_path: dict[str, Counter[str]] = {}
    for (path, how), count in net.items():
        if count > 0:
            per_path.setdefault(path, Counter())[how] = count
    found = [
        VerdictFigures(path, sum(votes.values()), votes[AGREE],
                       dict(sorted(((how, n) for how, n in votes.items() if how != AGREE),
                                   key=lambda item: (-item[1], item[0]))))
        for path, votes in per_path.items()
    ]
    return tuple(sorted(found, key=lambda figures_: (-figures_.votes, figures_.path)))
