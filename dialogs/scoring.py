"""Scoring: pure functions from a person's answers to a recommendation and its reasons.

The article's hard rules are requirements in content (paths.yaml): a path stays possible only
if one of the answers that meet its requirement was given. "Not sure" counts toward no path and
meets no requirement. An excluded path is never recommended, whatever its score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dialogs.content import PATH_IDS, Content, Option, Question, Requirement

Answer = tuple[str, str]
"""(question id, option id)"""

MAX_DECIDING = 3
MAX_RESULT_EXCERPTS = 3
MIN_RESULT_EXCERPTS = 2


@dataclass(frozen=True)
class Contribution:
    """What one answer added to each path's score."""

    question: Question
    option: Option

    def points(self, path_id: str) -> int:
        """Points this answer gave ``path_id``."""
        return self.option.weights[path_id]


@dataclass(frozen=True)
class Exclusion:
    """A path ruled out by an unmet requirement, with the answers given to its questions."""

    requirement: Requirement
    answers: tuple[Contribution, ...]


@dataclass(frozen=True)
class Result:
    """A recommendation with everything needed to explain it."""

    recommended: str
    ranking: tuple[str, ...]
    scores: Mapping[str, int]
    runner_up: str | None
    margin: int | None
    is_close: bool
    excluded: Mapping[str, Exclusion]
    contributions: tuple[Contribution, ...]

    @property
    def unsure(self) -> tuple[Contribution, ...]:
        """The answers that were "Not sure"."""
        return tuple(c for c in self.contributions if c.option.is_not_sure)

    @property
    def all_unsure(self) -> bool:
        """Nothing to go on: every answer was "Not sure"."""
        return bool(self.contributions) and len(self.unsure) == len(self.contributions)


def contributions_of(content: Content, answers: Sequence[Answer]) -> tuple[Contribution, ...]:
    """Resolve answers against the content; unknown ids raise KeyError (sessions are validated first)."""
    result = []
    for question_id, option_id in answers:
        question = content.question(question_id)
        option = question.option(option_id) if question else None
        if question is None or option is None:
            raise KeyError(f"unknown answer {question_id}={option_id}")
        result.append(Contribution(question, option))
    return tuple(result)


def exclusions(content: Content, contributions: Sequence[Contribution]) -> dict[str, Exclusion]:
    """Paths whose requirement no answer meets (the first unmet requirement of each path)."""
    given = {(c.question.id, c.option.id) for c in contributions}
    excluded: dict[str, Exclusion] = {}
    for requirement in content.requirements:
        if requirement.path in excluded or requirement.met_by & given:
            continue
        relevant = tuple(c for c in contributions if c.question.id in requirement.questions)
        excluded[requirement.path] = Exclusion(requirement, relevant)
    return excluded


def score(content: Content, answers: Sequence[Answer]) -> Result:
    """Sum weights per path and pick the best path whose requirements are met."""
    contributions = contributions_of(content, answers)
    scores = {path_id: sum(c.points(path_id) for c in contributions) for path_id in PATH_IDS}
    excluded = exclusions(content, contributions)
    tie_rank = {path_id: index for index, path_id in enumerate(content.tie_break)}
    ranking = tuple(sorted(PATH_IDS, key=lambda path_id: (-scores[path_id], tie_rank[path_id])))
    eligible = [path_id for path_id in ranking if path_id not in excluded]
    recommended = eligible[0]
    runner_up = eligible[1] if len(eligible) > 1 else None
    margin = scores[recommended] - scores[runner_up] if runner_up else None
    return Result(
        recommended=recommended,
        ranking=ranking,
        scores=scores,
        runner_up=runner_up,
        margin=margin,
        is_close=margin is not None and margin <= content.close_margin,
        excluded=excluded,
        contributions=contributions,
    )


def deciding_answers(result: Result, limit: int = MAX_DECIDING) -> tuple[Contribution, ...]:
    """The answers that leaned toward the recommendation and favoured it most over the
    runner-up; at least two are returned whenever the person gave two sure answers."""
    best = result.recommended
    rival = result.runner_up

    def advantage(contribution: Contribution) -> tuple[int, int]:
        lead = contribution.points(best) - (contribution.points(rival) if rival else 0)
        return lead, contribution.points(best)

    def leans_to_best(contribution: Contribution) -> bool:
        points = contribution.points(best)
        possible = [contribution.points(p) for p in PATH_IDS if p not in result.excluded]
        return points > 0 and points == max(possible)

    sure = [c for c in result.contributions if not c.option.is_not_sure]
    ranked = sorted(sure, key=advantage, reverse=True)
    chosen = [c for c in ranked if leans_to_best(c)]
    for contribution in ranked:
        if len(chosen) >= 2:
            break
        if contribution not in chosen:
            chosen.append(contribution)
    return tuple(chosen[:limit])


def result_excerpts(content: Content, result: Result) -> tuple[str, ...]:
    """Excerpt ids chosen by the deciding answers, topped up from the path's own excerpts."""
    chosen: list[str] = []
    for contribution in deciding_answers(result):
        for excerpt_id in contribution.option.excerpts:
            if excerpt_id not in chosen:
                chosen.append(excerpt_id)
                break
    for excerpt_id in content.paths[result.recommended].excerpts:
        if len(chosen) >= MIN_RESULT_EXCERPTS:
            break
        if excerpt_id not in chosen:
            chosen.append(excerpt_id)
    return tuple(chosen[:MAX_RESULT_EXCERPTS])
