"""Load content/ into frozen :mod:`dialogs.content` objects, one per language, and validate it.

content/ holds the language-neutral quiz (questions.yaml: ids, weights, excerpt ids;
paths.yaml: the article's rules; plans.yaml: which excerpt each step comes from), the article
and its verbatim quotes, and one catalogue per language (catalogues/<language>.yaml) with every
word a person reads or types. Every catalogue is checked against the neutral quiz, the code's
registries and the English catalogue (same keys, same placeholders, labels within limits).

Every problem is reported as one :class:`ContentError` naming the file, the key path inside it
and what is wrong, so that a bad edit stops start-up with a message, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from bot.content_files.nlu_weights import load_model
from dialogs.commands import COMMANDS
from dialogs.content import (
    DEFAULT_LANGUAGE,
    NOT_SURE,
    PATH_IDS,
    CommandWords,
    Content,
    Excerpt,
    Option,
    Path,
    PlanStep,
    Question,
    Requirement,
    Texts,
    Wording,
)
from dialogs.errors import ContentError
from dialogs.events import EventKind
from dialogs.text_keys import TEXT_PLACEHOLDERS
from dialogs.understanding import compact, phrase_key, plain_text, words

MAX_LABEL_LENGTH = 40
MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION = 512, 120
MIN_OPTIONS, MAX_OPTIONS = 2, 4
MIN_PLAN_STEPS, MAX_PLAN_STEPS = 3, 5
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")  # short enough for 64-byte callback data
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}")
CATALOGUES = "catalogues"
NLU = "nlu"
FILES = ("article.txt", "excerpts.yaml", "questions.yaml", "paths.yaml", "plans.yaml", "topics.yaml",
         f"{CATALOGUES}/*.yaml", f"{NLU}/*.json")
WORDING_FIELDS = ("negators", "negation_cancellers", "contrasts", "clause_breaks", "post_negators", "linking_verbs",
                  "common_words", "plural_endings", "keep_endings", "corrections")


def default_content_dir() -> FsPath:
    """The content/ directory shipped inside the installed package."""
    return FsPath(str(resources.files("content")))


def normalise_whitespace(text: str) -> str:
    """Collapse runs of whitespace to single spaces (how excerpts are matched to the article)."""
    return " ".join(text.split())


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only: how typed answers are matched to option labels."""
    return compact(text)


class _File:
    """Helpers that read typed values from one YAML document and name the file on error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, key: str, problem: str) -> ContentError:
        return ContentError(self.name, key, problem)

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, found {_kind(value)}")
        return value

    def get(self, parent: Mapping[str, Any], field: str, key: str, kind: type | tuple[type, ...]) -> Any:
        path = f"{key}.{field}" if key else field
        if field not in parent:
            raise self.fail(path, "is missing")
        value = parent[field]
        if kind is str:
            if not isinstance(value, str) or not value.strip():
                raise self.fail(path, f"expected a non-empty string, found {_kind(value)}")
            return value.strip()
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(path, f"expected an integer, found {_kind(value)}")
        if not isinstance(value, kind):
            raise self.fail(path, f"expected {_kind_name(kind)}, found {_kind(value)}")
        return value

    def ident(self, parent: Mapping[str, Any], key: str) -> str:
        value = self.get(parent, "id", key, str)
        if not ID_PATTERN.fullmatch(value):
            raise self.fail(f"{key}.id", f"{value!r} is not a valid id (lowercase letters, digits, _)")
        return value

    def entries(
        self, parent: Mapping[str, Any], field: str, at: str = ""
    ) -> Iterator[tuple[str, Mapping[str, Any], str]]:
        """(key path, mapping, id) for each item of the list ``field``; ids must be unique."""
        seen: set[str] = set()
        for index, raw in enumerate(self.get(parent, field, at, list)):
            key = f"{at}.{field}[{index}]" if at else f"{field}[{index}]"
            entry = self.mapping(raw, key)
            entry_id = self.ident(entry, key)
            if entry_id in seen:
                raise self.fail(f"{key}.id", f"duplicate id {entry_id!r}")
            seen.add(entry_id)
            yield key, entry, entry_id

    def strings(self, parent: Mapping[str, Any], field: str, key: str, allow_empty: bool = False) -> tuple[str, ...]:
        items = self.get(parent, field, key, list)
        result = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}.{field}[{index}]", f"expected a non-empty string, found {_kind(item)}")
            result.append(item.strip())
        if not result and not allow_empty:
            raise self.fail(f"{key}.{field}", "must not be empty")
        return tuple(result)

    def keyed(self, parent: Mapping[str, Any], field: str, key: str, expected: tuple[str, ...]) -> Mapping[str, Any]:
        """A mapping that must have exactly the ``expected`` keys."""
        path = f"{key}.{field}" if key else field
        value = self.mapping(parent.get(field), path)
        for name in value:
            if name not in expected:
                raise self.fail(f"{path}.{name}", "unknown key (not in the language-neutral quiz or the code)")
        for name in expected:
            if name not in value:
                raise self.fail(f"{path}.{name}", "is missing")
        return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"list": "a list", "dict": "a mapping"}.get(k.__name__, k.__name__) for k in kinds)


def _read(directory: FsPath, name: str) -> str:
    try:
        return (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", f"file not found in {directory}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(name, "", f"cannot be read: {error}") from None


def _parse_yaml(directory: FsPath, name: str) -> Mapping[str, Any]:
    import yaml  # only when content is parsed: a start from the content cache never needs it

    source = _read(directory, name)
    # libyaml's safe loader parses the catalogues several times faster than the pure-Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader, libyaml's when available
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(name, where, f"YAML syntax error: {problem}") from None
    return _File(name).mapping(document, "")


def _placeholders(file: _File, key: str, value: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as error:
        raise file.fail(key, f"bad placeholder syntax: {error}") from None


# -- the language-neutral quiz ----------------------------------------------------------------
@dataclass(frozen=True)
class _NeutralOption:
    id: str
    weights: Mapping[str, int]
    excerpts: tuple[str, ...]


@dataclass(frozen=True)
class _NeutralQuestion:
    id: str
    options: tuple[_NeutralOption, ...]


@dataclass(frozen=True)
class _Quiz:
    """Everything that is the same in every language."""

    article_title: str
    article_text: str
    excerpts: Mapping[str, Excerpt]
    questions: tuple[_NeutralQuestion, ...]
    path_excerpts: Mapping[str, tuple[str, ...]]
    tie_break: tuple[str, ...]
    close_margin: int
    requirements: tuple[tuple[str, str, frozenset[tuple[str, str]], str], ...]  # id, path, met_by, excerpt
    plans: Mapping[str, tuple[str, ...]]  # path -> excerpt id per step
    version: str
    topics: Mapping[str, tuple[str, ...]]  # topic -> excerpt ids


def _load_excerpts(directory: FsPath, article: str) -> tuple[str, Mapping[str, Excerpt]]:
    file = _File("excerpts.yaml")
    document = _parse_yaml(directory, file.name)
    source = file.mapping(document.get("source"), "source")
    title = file.get(source, "title", "source", str)
    article_flat = normalise_whitespace(article)
    if not article_flat.startswith(normalise_whitespace(title)):
        raise file.fail("source.title", "does not match the first line of article.txt")
    excerpts: dict[str, Excerpt] = {}
    for key, entry, excerpt_id in file.entries(document, "excerpts"):
        section = file.get(entry, "section", key, str)
        text = file.get(entry, "text", key, str)
        if normalise_whitespace(text) not in article_flat:
            raise file.fail(f"{key}.text", f"excerpt {excerpt_id!r} is not a verbatim quote from article.txt")
        if section != "Introduction" and f"\n{section}\n" not in f"\n{article}\n":
            raise file.fail(f"{key}.section", f"{section!r} is not a section heading of article.txt")
        excerpts[excerpt_id] = Excerpt(excerpt_id, section, normalise_whitespace(text))
    return title, MappingProxyType(excerpts)


def _excerpt_refs(file: _File, entry: Mapping[str, Any], key: str, excerpts: Mapping[str, Excerpt]) -> tuple[str, ...]:
    refs = file.strings(entry, "excerpts", key)
    for index, ref in enumerate(refs):
        if ref not in excerpts:
            raise file.fail(f"{key}.excerpts[{index}]", f"unknown excerpt {ref!r} (not in excerpts.yaml)")
    return refs


def _load_neutral_questions(directory: FsPath, excerpts: Mapping[str, Excerpt]) -> tuple[_NeutralQuestion, ...]:
    file = _File("questions.yaml")
    document = _parse_yaml(directory, file.name)
    questions = []
    for key, entry, question_id in file.entries(document, "questions"):
        options = []
        for option_key, option_entry, option_id in file.entries(entry, "options", key):
            if option_id == NOT_SURE:
                raise file.fail(f"{option_key}.id", f"{NOT_SURE!r} is reserved for the \"Not sure\" answer")
            weights_raw = file.mapping(option_entry.get("weights"), f"{option_key}.weights")
            for path_id in weights_raw:
                if path_id not in PATH_IDS:
                    raise file.fail(f"{option_key}.weights.{path_id}",
                                    f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
            weights: dict[str, int] = {}
            for path_id in PATH_IDS:
                value = file.get(weights_raw, path_id, f"{option_key}.weights", int)
                if not 0 <= value <= 10:
                    raise file.fail(f"{option_key}.weights.{path_id}", f"weight {value} is outside 0..10")
                weights[path_id] = value
            options.append(_NeutralOption(option_id, MappingProxyType(weights),
                                          _excerpt_refs(file, option_entry, option_key, excerpts)))
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise file.fail(f"{key}.options", f"has {len(options)} options; expected {MIN_OPTIONS} to {MAX_OPTIONS}")
        questions.append(_NeutralQuestion(question_id, tuple(options)))
    if not questions:
        raise file.fail("questions", "must list at least one question")
    return tuple(questions)


def _load_neutral_paths(
    directory: FsPath, excerpts: Mapping[str, Excerpt], questions: tuple[_NeutralQuestion, ...]
) -> tuple[Mapping[str, tuple[str, ...]], tuple[str, ...], int, tuple[Any, ...]]:
    file = _File("paths.yaml")
    document = _parse_yaml(directory, file.name)
    path_excerpts: dict[str, tuple[str, ...]] = {}
    for key, entry, path_id in file.entries(document, "paths"):
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.id", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        path_excerpts[path_id] = _excerpt_refs(file, entry, key, excerpts)
    for path_id in PATH_IDS:
        if path_id not in path_excerpts:
            raise file.fail("paths", f"path {path_id!r} is missing")
    tie_break = file.strings(document, "tie_break", "")
    if sorted(tie_break) != sorted(PATH_IDS):
        raise file.fail("tie_break", f"must list each of {', '.join(PATH_IDS)} exactly once")
    close_margin = file.get(document, "close_margin", "", int)
    if close_margin < 0:
        raise file.fail("close_margin", "must not be negative")
    options = {(q.id, o.id) for q in questions for o in q.options}
    requirements = []
    for key, entry, requirement_id in file.entries(document, "requirements"):
        path_id = file.get(entry, "path", key, str)
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.path", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        met_by: set[tuple[str, str]] = set()
        for index, ref in enumerate(file.strings(entry, "met_by", key)):
            question_id, _, option_id = ref.partition(".")
            if (question_id, option_id) not in options:
                raise file.fail(f"{key}.met_by[{index}]", f"{ref!r} is not a question.option of questions.yaml")
            met_by.add((question_id, option_id))
        excerpt = file.get(entry, "excerpt", key, str)
        if excerpt not in excerpts:
            raise file.fail(f"{key}.excerpt", f"unknown excerpt {excerpt!r} (not in excerpts.yaml)")
        requirements.append((requirement_id, path_id, frozenset(met_by), excerpt))
    if {path_id for _, path_id, _, _ in requirements} >= set(PATH_IDS):
        raise file.fail("requirements", "every path has a requirement; at least one path must always stay possible")
    ordered = {path_id: path_excerpts[path_id] for path_id in PATH_IDS}
    return MappingProxyType(ordered), tie_break, close_margin, tuple(requirements)


def _load_neutral_plans(directory: FsPath, excerpts: Mapping[str, Excerpt]) -> Mapping[str, tuple[str, ...]]:
    file = _File("plans.yaml")
    section = file.keyed(_parse_yaml(directory, file.name), "plans", "", PATH_IDS)
    plans: dict[str, tuple[str, ...]] = {}
    for path_id in PATH_IDS:
        key = f"plans.{path_id}"
        raw = section[path_id]
        if not isinstance(raw, list) or not MIN_PLAN_STEPS <= len(raw) <= MAX_PLAN_STEPS:
            count = len(raw) if isinstance(raw, list) else 0
            raise file.fail(key, f"has {count} steps; expected {MIN_PLAN_STEPS} to {MAX_PLAN_STEPS}")
        steps = []
        for index, item in enumerate(raw):
            entry = file.mapping(item, f"{key}[{index}]")
            excerpt = file.get(entry, "excerpt", f"{key}[{index}]", str)
            if excerpt not in excerpts:
                raise file.fail(f"{key}[{index}].excerpt", f"unknown excerpt {excerpt!r} (not in excerpts.yaml)")
            steps.append(excerpt)
        plans[path_id] = tuple(steps)
    return MappingProxyType(plans)


def content_version(questions: tuple[_NeutralQuestion, ...], requirements: tuple[Any, ...]) -> str:
    """Six hex digits that change whenever what an answer means changes."""
    meaning = [[q.id, [[o.id, dict(o.weights)] for o in q.options]] for q in questions] + [
        [path_id, sorted(map(list, met_by))] for _, path_id, met_by, _ in requirements
    ]
    return hashlib.sha256(json.dumps(meaning, sort_keys=True).encode()).hexdigest()[:6]


def _load_quiz(folder: FsPath) -> _Quiz:
    article = _read(folder, "article.txt")
    if not article.strip():
        raise ContentError("article.txt", "", "is empty")
    title, excerpts = _load_excerpts(folder, article)
    questions = _load_neutral_questions(folder, excerpts)
    path_excerpts, tie_break, close_margin, requirements = _load_neutral_paths(folder, excerpts, questions)
    plans = _load_neutral_plans(folder, excerpts)
    return _Quiz(title, article, excerpts, questions, path_excerpts, tie_break, close_margin, requirements, plans,
                 content_version(questions, requirements), _load_topics(folder, excerpts))


MAX_TOPIC_EXCERPTS = 3


def _load_topics(directory: FsPath, excerpts: Mapping[str, Excerpt]) -> Mapping[str, tuple[str, ...]]:
    """topics.yaml: each question topic the article answers, with one to three excerpts."""
    file = _File("topics.yaml")
    document = _parse_yaml(directory, file.name)
    topics: dict[str, tuple[str, ...]] = {}
    for key, entry, topic_id in file.entries(document, "topics"):
        refs = _excerpt_refs(file, entry, key, excerpts)
        if len(refs) > MAX_TOPIC_EXCERPTS:
            raise file.fail(f"{key}.excerpts", f"has {len(refs)} excerpts; at most {MAX_TOPIC_EXCERPTS} answer a question")
        topics[topic_id] = refs
    return MappingProxyType(topics)


# -- catalogues ---------------------------------------------------------------------------------
def navigation_words() -> frozenset[str]:
    """Words an answer label may not start with: every command's name, from the registry, so
    that an answer button never reads like navigation."""
    return frozenset(command.name for command in COMMANDS)


class _Catalogue:
    """Reads one catalogues/<language>.yaml against the neutral quiz and the registries."""

    def __init__(self, folder: FsPath, language: str, quiz: _Quiz, reference: Content | None,
                 languages: tuple[str, ...] = (), models: bool = True) -> None:
        self.folder = folder
        self.languages = languages or (language,)
        self.models = models
        self.file = _File(f"{CATALOGUES}/{language}.yaml")
        self.document = _parse_yaml(folder, self.file.name)
        self.language = language
        self.quiz = quiz
        self.reference = reference
        self.navigation = navigation_words()
        self.wording = self._wording()
        #: Each phrase's normal form, computed once (the checks compare every phrase thrice).
        self._keys: dict[str, str] = {}

    def key(self, phrase: str) -> str:
        """``phrase`` normalised for comparison (:func:`dialogs.understanding.phrase_key`)."""
        found = self._keys.get(phrase)
        if found is None:
            found = self._keys[phrase] = phrase_key(phrase, self.wording)
        return found

    def _wording(self) -> Wording:
        file = self.file
        section = file.keyed(self.document, "understanding", "", WORDING_FIELDS)
        endings = {name: tuple(plain_text(value) for value in file.strings(section, name, "understanding", allow_empty=True))
                   for name in ("plural_endings", "keep_endings")}
        for name, values in endings.items():
            for index, value in enumerate(values):
                if not value.isalpha():
                    raise file.fail(f"understanding.{name}[{index}]", f"{value!r} is not a word ending")
        plain = Wording(plural_endings=tuple(sorted(endings["plural_endings"], key=len, reverse=True)),
                        keep_endings=endings["keep_endings"])

        def word_set(name: str) -> frozenset[str]:
            return frozenset(w for value in file.strings(section, name, "understanding", allow_empty=True)
                             for w in words(value, plain))

        corrections = tuple(" ".join(words(value, plain))
                            for value in file.strings(section, "corrections", "understanding", allow_empty=True))
        return Wording(**{name: word_set(name) for name in WORDING_FIELDS[:7]},  # type: ignore[arg-type]
                       plural_endings=plain.plural_endings, keep_endings=plain.keep_endings,
                       corrections=tuple(sorted(corrections, key=len, reverse=True)))

    def label(self, entry: Mapping[str, Any], key: str) -> str:
        label = self.file.get(entry, "label", key, str)
        if len(label) > MAX_LABEL_LENGTH:
            raise self.file.fail(f"{key}.label", f"{label!r} is {len(label)} characters; the limit is {MAX_LABEL_LENGTH}")
        first_word = re.split(r"[^\w]+", label.strip(), maxsplit=1)[0].casefold()
        if first_word in self.navigation:
            raise self.file.fail(f"{key}.label", f"{label!r} starts with the navigation word {first_word!r}")
        return label

    def phrases(self, entry: Mapping[str, Any], key: str, field: str = "phrases") -> tuple[str, ...]:
        phrases = self.file.strings(entry, field, key)
        for index, phrase in enumerate(phrases):
            if not self.key(phrase):
                raise self.file.fail(f"{key}.{field}[{index}]", f"{phrase!r} has no words")
        return phrases

    def questions(self) -> tuple[Question, ...]:
        file = self.file
        section = file.keyed(self.document, "questions", "", tuple(q.id for q in self.quiz.questions))
        not_sure_entry = file.mapping(self.document.get("not_sure"), "not_sure")
        not_sure = Option(NOT_SURE, self.label(not_sure_entry, "not_sure"),
                          file.get(not_sure_entry, "reason", "not_sure", str),
                          MappingProxyType(dict.fromkeys(PATH_IDS, 0)), (), self.phrases(not_sure_entry, "not_sure"))
        questions = []
        for neutral in self.quiz.questions:
            key = f"questions.{neutral.id}"
            entry = file.mapping(section[neutral.id], key)
            options_section = file.keyed(entry, "options", key, tuple(o.id for o in neutral.options))
            options = []
            for option in neutral.options:
                option_key = f"{key}.options.{option.id}"
                option_entry = file.mapping(options_section[option.id], option_key)
                options.append(Option(option.id, self.label(option_entry, option_key),
                                      file.get(option_entry, "reason", option_key, str), option.weights,
                                      option.excerpts, self.phrases(option_entry, option_key)))
            question = Question(neutral.id, file.get(entry, "factor", key, str), file.get(entry, "text", key, str),
                                tuple(options), not_sure, file.get(entry, "topic", key, str))
            self._check_distinct(key, question)
            questions.append(question)
        return tuple(questions)

    def _check_distinct(self, key: str, question: Question) -> None:
        """Within a question, a label or phrase may mean one answer only."""
        labels = [normalise_label(option.label) for option in question.choices]
        if len(set(labels)) != len(labels):
            raise self.file.fail(f"{key}.options", "two options have the same label")
        owner: dict[str, str] = {}
        for option in question.options:
            for index, phrase in enumerate(option.phrases):
                owner_id = owner.setdefault(self.key(phrase), option.id)
                if owner_id != option.id:
                    raise self.file.fail(f"{key}.options.{option.id}.phrases[{index}]",
                                         f"{phrase!r} is also a phrase of option {owner_id!r}")
        for index, phrase in enumerate(question.not_sure.phrases):
            normal = self.key(phrase)
            if normal in owner:
                raise self.file.fail(f"not_sure.phrases[{index}]",
                                     f"{phrase!r} is also a phrase of {question.id}.{owner[normal]}")

    def paths(self) -> Mapping[str, Path]:
        file = self.file
        section = file.keyed(self.document, "paths", "", PATH_IDS)
        paths = {}
        for path_id in PATH_IDS:
            key = f"paths.{path_id}"
            entry = file.mapping(section[path_id], key)
            paths[path_id] = Path(path_id, file.get(entry, "name", key, str), file.get(entry, "summary", key, str),
                                  file.strings(entry, "pros", key), file.strings(entry, "cons", key),
                                  file.get(entry, "fits", key, str), self.quiz.path_excerpts[path_id],
                                  self.phrases(entry, key, "aliases"))
        return MappingProxyType(paths)

    def requirements(self) -> tuple[Requirement, ...]:
        ids = tuple(requirement_id for requirement_id, _, _, _ in self.quiz.requirements)
        section = self.file.keyed(self.document, "requirements", "", ids)
        result = []
        for requirement_id, path_id, met_by, excerpt in self.quiz.requirements:
            unmet = self.file.get(section, requirement_id, "requirements", str)
            result.append(Requirement(requirement_id, path_id, met_by, excerpt, unmet))
        return tuple(result)

    def plans(self) -> Mapping[str, tuple[PlanStep, ...]]:
        section = self.file.keyed(self.document, "plans", "", PATH_IDS)
        plans = {}
        for path_id in PATH_IDS:
            steps = self.file.strings(section, path_id, "plans")
            expected = self.quiz.plans[path_id]
            if len(steps) != len(expected):
                raise self.file.fail(f"plans.{path_id}", f"has {len(steps)} steps; plans.yaml has {len(expected)}")
            plans[path_id] = tuple(PlanStep(text, excerpt) for text, excerpt in zip(steps, expected))
        return MappingProxyType(plans)

    def commands(self, questions: tuple[Question, ...]) -> Mapping[str, CommandWords]:
        """Each registry command's description and plain words; none may be an answer's words."""
        file = self.file
        section = file.keyed(self.document, "commands", "", tuple(command.name for command in COMMANDS))
        answer_words: dict[str, str] = {}
        for question in questions:
            for option in question.choices:
                for phrase in (option.label, *option.phrases):
                    answer_words.setdefault(self.key(phrase), f"{question.id}.{option.id}")
        owners: dict[str, str] = {}
        result: dict[str, CommandWords] = {}
        for command in COMMANDS:
            key = f"commands.{command.name}"
            entry = file.mapping(section[command.name], key)
            phrases = self.phrases(entry, key)
            for index, phrase in enumerate(phrases):
                normal = self.key(phrase)
                if normal in answer_words:
                    raise file.fail(f"{key}.phrases[{index}]",
                                    f"{phrase!r} is also an answer ({answer_words[normal]}); it would be ambiguous")
                if owners.setdefault(normal, command.name) != command.name:
                    raise file.fail(f"{key}.phrases[{index}]", f"{phrase!r} is also a phrase of /{owners[normal]}")
            prefixes: tuple[str, ...] = ()
            if "path_prefixes" in entry:
                if command.kind is not EventKind.EXPLAIN:
                    raise file.fail(f"{key}.path_prefixes", f"/{command.name} takes no path")
                prefixes = self.phrases(entry, key, "path_prefixes")
            description = file.get(entry, "description", key, str)
            if len(description) > 256:
                raise file.fail(f"{key}.description", "is over Telegram's 256 characters")
            result[command.name] = CommandWords(command.name, description, phrases, prefixes)
        return MappingProxyType(result)

    def texts(self) -> Texts:
        file = self.file
        section = file.keyed(self.document, "texts", "", tuple(TEXT_PLACEHOLDERS))
        strings: dict[str, str] = {}
        for key, allowed in TEXT_PLACEHOLDERS.items():
            path = f"texts.{key}"
            value = section[key]
            if not isinstance(value, str) or not value.strip():
                raise file.fail(path, f"expected a non-empty string, found {_kind(value)}")
            fields = _placeholders(file, path, value)
            unknown = fields - allowed
            if unknown:
                allowed_text = ", ".join(sorted(f"{{{name}}}" for name in allowed)) or "none"
                raise file.fail(path, f"unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed_text})")
            if self.reference is not None:
                english = _placeholders(file, path, self.reference.texts[key])
                if fields != english:
                    missing = sorted(english - fields)
                    raise file.fail(path, f"placeholders differ from English: missing {{{missing[0]}}}" if missing
                                    else "placeholders differ from English")
            strings[key] = value.rstrip("\n") if key != "console_prompt" else value
        return Texts(MappingProxyType(strings))

    def excerpt_translations(self) -> Mapping[str, str]:
        section = self.file.mapping(self.document.get("excerpts", {}), "excerpts")
        for excerpt_id in section:
            if excerpt_id not in self.quiz.excerpts:
                raise self.file.fail(f"excerpts.{excerpt_id}", "unknown excerpt (not in excerpts.yaml)")
        if self.language != DEFAULT_LANGUAGE:
            for excerpt_id in self.quiz.excerpts:
                if excerpt_id not in section:
                    raise self.file.fail(f"excerpts.{excerpt_id}", "is missing (every quote needs our translation)")
        return MappingProxyType({k: self.file.get(section, k, "excerpts", str) for k in section})

    def build(self) -> Content:
        file, quiz = self.file, self.quiz
        declared = file.get(self.document, "language", "", str)
        if declared != self.language:
            raise file.fail("language", f"says {declared!r} but the file is {self.language}.yaml")
        bot = file.mapping(self.document.get("bot"), "bot")
        description = file.get(bot, "description", "bot", str)
        short = file.get(bot, "short_description", "bot", str)
        if len(description) > MAX_DESCRIPTION:
            raise file.fail("bot.description", f"is {len(description)} characters; Telegram allows {MAX_DESCRIPTION}")
        if len(short) > MAX_SHORT_DESCRIPTION:
            raise file.fail("bot.short_description", f"is {len(short)} characters; Telegram allows {MAX_SHORT_DESCRIPTION}")
        questions = self.questions()
        commands = self.commands(questions)
        model = load_model(self.folder, self.language, questions, quiz.topics, self.languages,
                           self.wording) if self.models else None
        return Content(
            article_title=quiz.article_title,
            article_text=quiz.article_text,
            questions=questions,
            paths=self.paths(),
            excerpts=quiz.excerpts,
            texts=self.texts(),
            tie_break=quiz.tie_break,
            close_margin=quiz.close_margin,
            requirements=self.requirements(),
            commands=commands,
            plans=self.plans(),
            version=quiz.version,
            language=self.language,
            language_name=file.get(self.document, "name", "", str),
            bot_description=description,
            bot_short_description=short,
            wording=self.wording,
            excerpt_translations=self.excerpt_translations(),
            question_index=MappingProxyType({question.id: index for index, question in enumerate(questions)}),
            phrase_keys=MappingProxyType(self._keys),
            topics=quiz.topics,
            model=model,
        )


def available_languages(directory: FsPath | str | None = None) -> tuple[str, ...]:
    """The languages with a catalogue, English first."""
    folder = FsPath(directory) if directory is not None else default_content_dir()
    found = sorted(path.stem for path in (folder / CATALOGUES).glob("*.yaml") if LANGUAGE_PATTERN.fullmatch(path.stem))
    if DEFAULT_LANGUAGE not in found:
        raise ContentError(f"{CATALOGUES}/{DEFAULT_LANGUAGE}.yaml", "", f"file not found in {folder}")
    return (DEFAULT_LANGUAGE, *(language for language in found if language != DEFAULT_LANGUAGE))


def load_languages(directory: FsPath | str | None = None, models: bool = True) -> Mapping[str, Content]:
    """Load and validate the quiz in every language; raise ContentError on the first problem.
    ``models=False`` leaves the understanding models out (to train them)."""
    folder = FsPath(directory) if directory is not None else default_content_dir()
    quiz = _load_quiz(folder)
    languages = available_languages(folder)
    english = _Catalogue(folder, DEFAULT_LANGUAGE, quiz, None, languages, models).build()
    contents = {DEFAULT_LANGUAGE: english}
    for language in languages[1:]:
        contents[language] = _Catalogue(folder, language, quiz, english, languages, models).build()
    return MappingProxyType(contents)


def load_content(directory: FsPath | str | None = None, language: str = DEFAULT_LANGUAGE) -> Content:
    """Load and validate the quiz in one language (English by default)."""
    folder = FsPath(directory) if directory is not None else default_content_dir()
    quiz = _load_quiz(folder)
    languages = available_languages(folder)
    english = _Catalogue(folder, DEFAULT_LANGUAGE, quiz, None, languages).build()
    if language == DEFAULT_LANGUAGE:
        return english
    return _Catalogue(folder, language, quiz, english, languages).build()
