"""The quiz as frozen data: questions, options, paths, excerpts and user-facing texts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PATH_IDS: tuple[str, ...] = ("side_hustle", "generative_ai", "hybrid")
PATH_NAMES: Mapping[str, str] = MappingProxyType(
    {"side_hustle": "Side hustle", "generative_ai": "Generative AI career", "hybrid": "Hybrid"}
)


@dataclass(frozen=True)
class Excerpt:
    """A verbatim quote from the article, with the heading of the section it comes from."""

    id: str
    section: str
    text: str


@dataclass(frozen=True)
class Option:
    """One answer to a question, with its weight toward each path."""

    id: str
    label: str
    reason: str
    weights: Mapping[str, int]
    excerpts: tuple[str, ...]
    excludes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Question:
    """One decision question; its options are asked in order."""

    id: str
    factor: str
    text: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        """Return the option with this id, or None."""
        for option in self.options:
            if option.id == option_id:
                return option
        return None


@dataclass(frozen=True)
class Path:
    """A career path the quiz can recommend."""

    id: str
    name: str
    summary: str
    pros: tuple[str, ...]
    cons: tuple[str, ...]
    fits: str
    excerpts: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    """User-facing strings by key; ``render`` fills their placeholders."""

    strings: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.strings[key]

    def render(self, key: str, **values: object) -> str:
        """Return the text for ``key`` with its placeholders filled."""
        return self.strings[key].format(**values)


@dataclass(frozen=True)
class Content:
    """Everything the dialog needs, loaded and validated once at start-up."""

    article_title: str
    article_text: str
    questions: tuple[Question, ...]
    paths: Mapping[str, Path]
    excerpts: Mapping[str, Excerpt]
    texts: Texts
    tie_break: tuple[str, ...]
    close_margin: int
    question_index: Mapping[str, int] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, or None."""
        index = self.question_index.get(question_id)
        return None if index is None else self.questions[index]
