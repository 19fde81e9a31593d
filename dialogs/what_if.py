"""What would change a result: exact searches over the alternatives to a person's answers.

Seven questions of three options (plus "Not sure") is a small space, so these searches are
exact: every one-answer change is tried before any two-answer change, and the article's rules
apply to every alternative through :func:`dialogs.scoring.score` (an excluded path stays
excluded unless the change meets its requirement).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.content import Content, Option, Question
from dialogs.scoring import Answer, score

MAX_CHANGES = 2


@dataclass(frozen=True)
class Change:
    """Answering ``option`` to ``question`` instead."""

    question: Question
    option: Option


@dataclass(frozen=True)
class Flip:
    """The fewest answer changes that make ``path`` the recommendation instead."""

    changes: tuple[Change, ...]
    path: str


def _with(answers: Sequence[Answer], changes: Sequence[tuple[int, str]]) -> list[Answer]:
    changed = list(answers)
    for position, option_id in changes:
        changed[position] = (changed[position][0], option_id)
    return changed


def smallest_change(content: Content, answers: Sequence[Answer], max_changes: int = MAX_CHANGES) -> Flip | None:
    """The smallest change to the answers (one, else two) that changes the recommendation;
    None when the result is robust (nothing short of ``max_changes + 1`` changes flips it).

    Among equally small changes the one that gives the new path the biggest lead wins, so the
    sentence names the most decisive alternative; "Not sure" is not offered as an alternative."""
    base = score(content, answers)
    questions = [content.question(question_id) for question_id, _ in answers]
    for size in range(1, max_changes + 1):
        best: tuple[int, Flip] | None = None
        for positions in itertools.combinations(range(len(answers)), size):
            alternatives = [
                [o.id for o in questions[p].options if o.id != answers[p][1]]  # type: ignore[union-attr]
                for p in positions
            ]
            for picked in itertools.product(*alternatives):
                result = score(content, _with(answers, list(zip(positions, picked))))
                if result.recommended == base.recommended:
                    continue
                lead = result.margin if result.margin is not None else 99
                changes = tuple(
                    Change(questions[p], questions[p].option(o))  # type: ignore[arg-type, union-attr]
                    for p, o in zip(positions, picked)
                )
                if best is None or lead > best[0]:
                    best = (lead, Flip(changes, result.recommended))
        if best is not None:
            return best[1]
    return None


@dataclass(frozen=True)
class UnsureOutlook:
    """Whether the recommendation holds whatever the person answers where they were unsure;
    if not, one answer there that would change it (``changer``: question, option, new path)."""

    holds: bool
    changer: tuple[Question, Option, str] | None = None


def unsure_outlook(content: Content, answers: Sequence[Answer]) -> UnsureOutlook:
    """Try every real answer in place of each "Not sure" (3^k combinations, k <= 7)."""
    base = score(content, answers).recommended
    questions = [content.question(question_id) for question_id, _ in answers]
    unsure = [p for p, (_, option_id) in enumerate(answers) if questions[p].option(option_id).is_not_sure]  # type: ignore[union-attr]
    if not unsure:
        return UnsureOutlook(True)
    for position in unsure:  # one answer given, the others left unsure
        question = questions[position]
        assert question is not None
        for option in question.options:
            new = score(content, _with(answers, [(position, option.id)])).recommended
            if new != base:
                return UnsureOutlook(False, (question, option, new))
    for picked in itertools.product(*([o.id for o in questions[p].options] for p in unsure)):  # type: ignore[union-attr]
        if score(content, _with(answers, list(zip(unsure, picked)))).recommended != base:
            return UnsureOutlook(False)
    return UnsureOutlook(True)
