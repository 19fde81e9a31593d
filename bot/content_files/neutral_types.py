"""The language-neutral quiz as read from its files, before any catalogue gives it words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.content import Excerpt

#: A rule of paths.yaml: (id, path, the question.option pairs that meet it, excerpt id).
NeutralRequirement = tuple[str, str, frozenset[tuple[str, str]], str]


@dataclass(frozen=True)
class NeutralOption:
    """An answer's id, its weight per path and the excerpts behind it."""

    id: str
    weights: Mapping[str, int]
    excerpts: tuple[str, ...]


@dataclass(frozen=True)
class NeutralQuestion:
    """A question's id and its options, in order."""

    id: str
    options: tuple[NeutralOption, ...]


@dataclass(frozen=True)
class NeutralQuiz:
    """Everything that is the same in every language."""

    article_title: str
    article_text: str
    excerpts: Mapping[str, Excerpt]
    questions: tuple[NeutralQuestion, ...]
    path_excerpts: Mapping[str, tuple[str, ...]]
    tie_break: tuple[str, ...]
    close_margin: int
    requirements: tuple[NeutralRequirement, ...]
    plans: Mapping[str, tuple[str, ...]]  # path -> excerpt id per step
    version: str
    topics: Mapping[str, tuple[str, ...]]  # topic -> excerpt ids
