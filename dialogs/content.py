"""The quiz as frozen data: questions, options, paths, rules, command words and texts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dialogs.nlu.model import LinearModel

PATH_IDS: tuple[str, ...] = ("side_hustle", "generative_ai", "hybrid")
#: The catalogue every other language is checked against, and the fallback language.
DEFAULT_LANGUAGE = "en"
#: The option id of "Not sure", which every question accepts; content may not use it.
NOT_SURE = "unsure"


@dataclass(frozen=True)
class Excerpt:
    """A verbatim quote from the article, with the heading of the section it comes from."""

    id: str
    section: str
    text: str


@dataclass(frozen=True)
class Option:
    """One answer to a question, with its weight toward each path and the words people use for it."""

    id: str
    label: str
    reason: str
    weights: Mapping[str, int]
    excerpts: tuple[str, ...]
    phrases: tuple[str, ...] = ()

    @property
    def is_not_sure(self) -> bool:
        """The "Not sure" answer: no evidence for any path."""
        return self.id == NOT_SURE


@dataclass(frozen=True)
class Question:
    """One decision question; its options are asked in order, then "Not sure"."""

    id: str
    factor: str
    text: str
    options: tuple[Option, ...]
    not_sure: Option
    topic: str = ""

    def option(self, option_id: str) -> Option | None:
        """Return the option with this id ("unsure" included), or None."""
        if option_id == NOT_SURE:
            return self.not_sure
        for option in self.options:
            if option.id == option_id:
                return option
        return None

    @property
    def choices(self) -> tuple[Option, ...]:
        """Every answer a person can give, "Not sure" last (numbered 1..n+1 when typed)."""
        return (*self.options, self.not_sure)


@dataclass(frozen=True)
class Requirement:
    """A rule of the article: ``path`` stays possible only if one of ``met_by`` was answered."""

    id: str
    path: str
    met_by: frozenset[tuple[str, str]]
    excerpt: str
    unmet: str

    @property
    def questions(self) -> frozenset[str]:
        """The questions whose answers can meet it."""
        return frozenset(question_id for question_id, _ in self.met_by)


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
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanStep:
    """One concrete first step on a path, drawn from the article example it quotes."""

    text: str
    excerpt: str


@dataclass(frozen=True)
class CommandWords:
    """A command's description and the plain words that invoke it (content/commands.yaml)."""

    name: str
    description: str
    phrases: tuple[str, ...]
    path_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    """A language's words for understanding typed replies (see dialogs.understanding)."""

    negators: frozenset[str] = frozenset()
    negation_cancellers: frozenset[str] = frozenset()
    contrasts: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    post_negators: frozenset[str] = frozenset()
    linking_verbs: frozenset[str] = frozenset()
    common_words: frozenset[str] = frozenset()
    #: Endings stripped from longer words on both sides of a comparison (plurals, inflections).
    plural_endings: tuple[str, ...] = ("s",)
    keep_endings: tuple[str, ...] = ()
    #: How a message that corrects the answer just recorded starts ("no i meant ..."), normalised.
    corrections: tuple[str, ...] = ()


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
    requirements: tuple[Requirement, ...] = ()
    commands: Mapping[str, CommandWords] = field(default_factory=dict)
    plans: Mapping[str, tuple[PlanStep, ...]] = field(default_factory=dict)
    #: Each path's plan in short, for the plan's copy button (path id -> text).
    checklists: Mapping[str, str] = field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE
    language_name: str = "English"
    bot_description: str = ""
    bot_short_description: str = ""
    wording: Wording = field(default_factory=Wording)
    #: Our translations of the article's quotes (none in English), shown after the original.
    excerpt_translations: Mapping[str, str] = field(default_factory=dict)
    #: A fingerprint of what answers mean (questions, options, weights, rules): shared results
    #: made under another version are not shown.
    version: str = ""
    question_index: Mapping[str, int] = field(default_factory=dict)
    #: Questions about the paths the article answers: topic id -> the excerpts that answer it.
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The trained understanding model (content/nlu/<language>.json); None only when loaded
    #: without models (to train them).
    model: LinearModel | None = None
    #: Every phrase's normal form (dialogs.understanding.phrase_key) as the loader computed it
    #: while checking them, so that the interpreter need not compute it again.
    phrase_keys: Mapping[str, str] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, or None."""
        index = self.question_index.get(question_id)
        return None if index is None else self.questions[index]
