"""Load content/ into frozen :mod:`dialogs.content` objects and validate it.

Every problem is reported as one :class:`ContentError` naming the file, the key path inside it
and what is wrong, so that a bad edit stops start-up with a message, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

import yaml

from dialogs.commands import COMMANDS, COMMANDS_BY_NAME
from dialogs.content import (
    NOT_SURE,
    PATH_IDS,
    PATH_NAMES,
    CommandWords,
    Content,
    Excerpt,
    Option,
    Path,
    PlanStep,
    Question,
    Requirement,
    Texts,
)
from dialogs.errors import ContentError
from dialogs.events import EventKind
from dialogs.text_keys import TEXT_PLACEHOLDERS
from dialogs.understanding import compact, phrase_key

MAX_LABEL_LENGTH = 40
MIN_OPTIONS, MAX_OPTIONS = 2, 4
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")  # short enough for 64-byte callback data
FILES = ("article.txt", "excerpts.yaml", "questions.yaml", "paths.yaml", "plans.yaml", "commands.yaml", "texts.yaml")
MIN_PLAN_STEPS, MAX_PLAN_STEPS = 3, 5


def default_content_dir() -> FsPath:
    """The content/ directory shipped inside the installed package."""
    return FsPath(str(resources.files("content")))


def normalise_whitespace(text: str) -> str:
    """Collapse runs of whitespace to single spaces (how excerpts are matched to the article)."""
    return " ".join(text.split())


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

    def strings(self, parent: Mapping[str, Any], field: str, key: str) -> tuple[str, ...]:
        items = self.get(parent, field, key, list)
        result = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}.{field}[{index}]", f"expected a non-empty string, found {_kind(item)}")
            result.append(item.strip())
        return tuple(result)


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
    source = _read(directory, name)
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(name, where, f"YAML syntax error: {problem}") from None
    return _File(name).mapping(document, "")


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
    if not refs:
        raise file.fail(f"{key}.excerpts", "must name at least one excerpt")
    for index, ref in enumerate(refs):
        if ref not in excerpts:
            raise file.fail(f"{key}.excerpts[{index}]", f"unknown excerpt {ref!r} (not in excerpts.yaml)")
    return refs


def navigation_words() -> frozenset[str]:
    """Words an answer label may not start with: every command's name, from the registry, so
    that an answer button never reads like navigation."""
    return frozenset(command.name for command in COMMANDS)


def _label(file: _File, entry: Mapping[str, Any], key: str, navigation: frozenset[str]) -> str:
    label = file.get(entry, "label", key, str)
    if len(label) > MAX_LABEL_LENGTH:
        raise file.fail(f"{key}.label", f"{label!r} is {len(label)} characters; the limit is {MAX_LABEL_LENGTH}")
    first_word = re.split(r"[^A-Za-z]+", label.strip(), maxsplit=1)[0].lower()
    if first_word in navigation:
        raise file.fail(f"{key}.label", f"{label!r} starts with the navigation word {first_word!r}")
    return label


def _phrases(file: _File, entry: Mapping[str, Any], key: str) -> tuple[str, ...]:
    phrases = file.strings(entry, "phrases", key)
    for index, phrase in enumerate(phrases):
        if not phrase_key(phrase):
            raise file.fail(f"{key}.phrases[{index}]", f"{phrase!r} has no words")
    return phrases


def _load_option(
    file: _File, key: str, entry: Mapping[str, Any], option_id: str, excerpts: Mapping[str, Excerpt],
    navigation: frozenset[str],
) -> Option:
    if option_id == NOT_SURE:
        raise file.fail(f"{key}.id", f"{NOT_SURE!r} is reserved for the \"Not sure\" answer")
    label = _label(file, entry, key, navigation)
    weights_raw = file.mapping(entry.get("weights"), f"{key}.weights")
    weights: dict[str, int] = {}
    for path_id in weights_raw:
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.weights.{path_id}", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
    for path_id in PATH_IDS:
        value = file.get(weights_raw, path_id, f"{key}.weights", int)
        if not 0 <= value <= 10:
            raise file.fail(f"{key}.weights.{path_id}", f"weight {value} is outside 0..10")
        weights[path_id] = value
    return Option(
        id=option_id,
        label=label,
        reason=file.get(entry, "reason", key, str),
        weights=MappingProxyType(weights),
        excerpts=_excerpt_refs(file, entry, key, excerpts),
        phrases=_phrases(file, entry, key),
    )


def _load_not_sure(file: _File, document: Mapping[str, Any]) -> Option:
    entry = file.mapping(document.get("not_sure"), "not_sure")
    return Option(
        id=NOT_SURE,
        label=_label(file, entry, "not_sure", frozenset()),
        reason=file.get(entry, "reason", "not_sure", str),
        weights=MappingProxyType(dict.fromkeys(PATH_IDS, 0)),
        excerpts=(),
        phrases=_phrases(file, entry, "not_sure"),
    )


def _check_phrases_are_distinct(file: _File, key: str, question: Question) -> None:
    """Within a question, a label or phrase may mean one answer only."""
    owner: dict[str, str] = {}
    for option_index, option in enumerate(question.options):
        for phrase_index, phrase in enumerate(option.phrases):
            owner_id = owner.setdefault(phrase_key(phrase), option.id)
            if owner_id != option.id:
                raise file.fail(f"{key}.options[{option_index}].phrases[{phrase_index}]",
                                f"{phrase!r} is also a phrase of option {owner_id!r}")
    for phrase_index, phrase in enumerate(question.not_sure.phrases):
        if phrase_key(phrase) in owner:
            raise file.fail(f"not_sure.phrases[{phrase_index}]",
                            f"{phrase!r} is also a phrase of {question.id}.{owner[phrase_key(phrase)]}")


def _load_questions(directory: FsPath, excerpts: Mapping[str, Excerpt]) -> tuple[Question, ...]:
    file = _File("questions.yaml")
    document = _parse_yaml(directory, file.name)
    not_sure = _load_not_sure(file, document)
    navigation = navigation_words()
    questions = []
    for key, entry, question_id in file.entries(document, "questions"):
        options = tuple(
            _load_option(file, *item, excerpts, navigation) for item in file.entries(entry, "options", key)
        )
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise file.fail(f"{key}.options", f"has {len(options)} options; expected {MIN_OPTIONS} to {MAX_OPTIONS}")
        labels = [normalise_label(option.label) for option in (*options, not_sure)]
        if len(set(labels)) != len(labels):
            raise file.fail(f"{key}.options", "two options have the same label")
        question = Question(
            id=question_id,
            factor=file.get(entry, "factor", key, str),
            text=file.get(entry, "text", key, str),
            options=options,
            not_sure=not_sure,
            topic=file.get(entry, "topic", key, str),
        )
        _check_phrases_are_distinct(file, key, question)
        questions.append(question)
    if not questions:
        raise file.fail("questions", "must list at least one question")
    return tuple(questions)


def _load_requirements(
    file: _File, document: Mapping[str, Any], questions: tuple[Question, ...], excerpts: Mapping[str, Excerpt]
) -> tuple[Requirement, ...]:
    by_id = {question.id: question for question in questions}
    requirements = []
    for key, entry, requirement_id in file.entries(document, "requirements"):
        path_id = file.get(entry, "path", key, str)
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.path", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        met_by: set[tuple[str, str]] = set()
        for index, ref in enumerate(file.strings(entry, "met_by", key)):
            question_id, _, option_id = ref.partition(".")
            question = by_id.get(question_id)
            if question is None or option_id == NOT_SURE or question.option(option_id) is None:
                raise file.fail(f"{key}.met_by[{index}]", f"{ref!r} is not a question.option of questions.yaml")
            met_by.add((question_id, option_id))
        if not met_by:
            raise file.fail(f"{key}.met_by", "must name at least one answer")
        excerpt = file.get(entry, "excerpt", key, str)
        if excerpt not in excerpts:
            raise file.fail(f"{key}.excerpt", f"unknown excerpt {excerpt!r} (not in excerpts.yaml)")
        requirements.append(Requirement(requirement_id, path_id, frozenset(met_by), excerpt,
                                        file.get(entry, "unmet", key, str)))
    if {requirement.path for requirement in requirements} >= set(PATH_IDS):
        raise file.fail("requirements", "every path has a requirement; at least one path must always stay possible")
    return tuple(requirements)


def _load_paths(
    directory: FsPath, excerpts: Mapping[str, Excerpt], questions: tuple[Question, ...]
) -> tuple[Mapping[str, Path], tuple[str, ...], int, tuple[Requirement, ...]]:
    file = _File("paths.yaml")
    document = _parse_yaml(directory, file.name)
    paths: dict[str, Path] = {}
    for key, entry, path_id in file.entries(document, "paths"):
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.id", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        name = file.get(entry, "name", key, str)
        if name != PATH_NAMES[path_id]:
            raise file.fail(f"{key}.name", f"must be exactly {PATH_NAMES[path_id]!r}")
        paths[path_id] = Path(
            id=path_id,
            name=name,
            summary=file.get(entry, "summary", key, str),
            pros=file.strings(entry, "pros", key),
            cons=file.strings(entry, "cons", key),
            fits=file.get(entry, "fits", key, str),
            excerpts=_excerpt_refs(file, entry, key, excerpts),
            aliases=file.strings(entry, "aliases", key),
        )
    for path_id in PATH_IDS:
        if path_id not in paths:
            raise file.fail("paths", f"path {path_id!r} is missing")
    tie_break = file.strings(document, "tie_break", "")
    if sorted(tie_break) != sorted(PATH_IDS):
        raise file.fail("tie_break", f"must list each of {', '.join(PATH_IDS)} exactly once")
    close_margin = file.get(document, "close_margin", "", int)
    if close_margin < 0:
        raise file.fail("close_margin", "must not be negative")
    ordered = {path_id: paths[path_id] for path_id in PATH_IDS}
    requirements = _load_requirements(file, document, questions, excerpts)
    return MappingProxyType(ordered), tie_break, close_margin, requirements


def _load_plans(directory: FsPath, excerpts: Mapping[str, Excerpt]) -> Mapping[str, tuple[PlanStep, ...]]:
    """Three to five first steps per path, each tied to an excerpt."""
    file = _File("plans.yaml")
    document = _parse_yaml(directory, file.name)
    section = file.mapping(document.get("plans"), "plans")
    plans: dict[str, tuple[PlanStep, ...]] = {}
    for path_id in section:
        if path_id not in PATH_IDS:
            raise file.fail(f"plans.{path_id}", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
    for path_id in PATH_IDS:
        key = f"plans.{path_id}"
        if path_id not in section:
            raise file.fail(key, "is missing")
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
            steps.append(PlanStep(file.get(entry, "step", f"{key}[{index}]", str), excerpt))
        plans[path_id] = tuple(steps)
    return MappingProxyType(plans)


def content_version(questions: tuple[Question, ...], requirements: tuple[Requirement, ...]) -> str:
    """Six hex digits that change whenever what an answer means changes."""
    meaning = [
        [q.id, [[o.id, dict(o.weights)] for o in q.options]] for q in questions
    ] + [[r.path, sorted(map(list, r.met_by))] for r in requirements]
    return hashlib.sha256(json.dumps(meaning, sort_keys=True).encode()).hexdigest()[:6]


def _load_commands(directory: FsPath, questions: tuple[Question, ...]) -> Mapping[str, CommandWords]:
    """Each registry command's description and plain words; none may be an answer's words."""
    file = _File("commands.yaml")
    document = _parse_yaml(directory, file.name)
    section = file.mapping(document.get("commands"), "commands")
    for name in section:
        if name not in COMMANDS_BY_NAME:
            raise file.fail(f"commands.{name}", "unknown command (not in the code's registry)")
    answer_words: dict[str, str] = {}
    for question in questions:
        for option in question.choices:
            for phrase in (option.label, *option.phrases):
                answer_words.setdefault(phrase_key(phrase), f"{question.id}.{option.id}")
    owners: dict[str, str] = {}
    result: dict[str, CommandWords] = {}
    for command in COMMANDS:
        key = f"commands.{command.name}"
        if command.name not in section:
            raise file.fail(key, "is missing")
        entry = file.mapping(section[command.name], key)
        phrases = _phrases(file, entry, key)
        for index, phrase in enumerate(phrases):
            normal = phrase_key(phrase)
            if normal in answer_words:
                raise file.fail(f"{key}.phrases[{index}]",
                                f"{phrase!r} is also an answer ({answer_words[normal]}); it would be ambiguous")
            if owners.setdefault(normal, command.name) != command.name:
                raise file.fail(f"{key}.phrases[{index}]", f"{phrase!r} is also a phrase of /{owners[normal]}")
        prefixes: tuple[str, ...] = ()
        if "path_prefixes" in entry:
            if command.kind is not EventKind.EXPLAIN:
                raise file.fail(f"{key}.path_prefixes", f"/{command.name} takes no path")
            prefixes = _phrases(file, {"phrases": entry["path_prefixes"]}, key)
        result[command.name] = CommandWords(command.name, file.get(entry, "description", key, str), phrases, prefixes)
    return MappingProxyType(result)


def _load_texts(directory: FsPath) -> Texts:
    file = _File("texts.yaml")
    document = _parse_yaml(directory, file.name)
    strings: dict[str, str] = {}
    for key in document:
        if key not in TEXT_PLACEHOLDERS:
            raise file.fail(str(key), "unknown text key (the code never uses it)")
    for key, allowed in TEXT_PLACEHOLDERS.items():
        if key not in document:
            raise file.fail(key, "is missing")
        value = document[key]
        if not isinstance(value, str) or not value.strip():
            raise file.fail(key, f"expected a non-empty string, found {_kind(value)}")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise file.fail(key, f"bad placeholder syntax: {error}") from None
        unknown = fields - allowed
        if unknown:
            allowed_text = ", ".join(sorted(f"{{{name}}}" for name in allowed)) or "none"
            raise file.fail(key, f"unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed_text})")
        strings[key] = value.rstrip("\n") if key != "console_prompt" else value
    return Texts(MappingProxyType(strings))


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only: how typed answers are matched to option labels."""
    return compact(text)


def load_content(directory: FsPath | str | None = None) -> Content:
    """Load and validate every content file; raise ContentError on the first problem."""
    folder = FsPath(directory) if directory is not None else default_content_dir()
    article = _read(folder, "article.txt")
    if not article.strip():
        raise ContentError("article.txt", "", "is empty")
    title, excerpts = _load_excerpts(folder, article)
    questions = _load_questions(folder, excerpts)
    paths, tie_break, close_margin, requirements = _load_paths(folder, excerpts, questions)
    commands = _load_commands(folder, questions)
    plans = _load_plans(folder, excerpts)
    texts = _load_texts(folder)
    return Content(
        article_title=title,
        article_text=article,
        questions=questions,
        paths=paths,
        excerpts=excerpts,
        texts=texts,
        tie_break=tie_break,
        close_margin=close_margin,
        requirements=requirements,
        commands=commands,
        plans=plans,
        version=content_version(questions, requirements),
        question_index=MappingProxyType({question.id: index for index, question in enumerate(questions)}),
    )
