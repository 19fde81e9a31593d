"""The quiz in one language: the catalogue's questions, paths, requirements and plans, read
against the language-neutral quiz."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.content_files.catalogue_reader import CatalogueReader, normalise_label
from bot.content_files.neutral_types import NeutralQuiz
from dialogs.content import NOT_SURE, PATH_IDS, Option, Path, PlanStep, Question, Requirement
from dialogs.replies import COPY_LIMIT


def read_questions(reader: CatalogueReader, quiz: NeutralQuiz) -> tuple[Question, ...]:
    """Every neutral question with its words; the shared "Not sure" answer comes from ``not_sure``."""
    file, document = reader.file, reader.document
    section = file.keyed(document, "questions", "", tuple(q.id for q in quiz.questions))
    not_sure_entry = file.mapping(document.get("not_sure"), "not_sure")
    not_sure = Option(NOT_SURE, reader.label(not_sure_entry, "not_sure"),
                      file.get(not_sure_entry, "reason", "not_sure", str),
                      MappingProxyType(dict.fromkeys(PATH_IDS, 0)), (), reader.phrases(not_sure_entry, "not_sure"))
    questions = []
    for neutral in quiz.questions:
        key = f"questions.{neutral.id}"
        entry = file.mapping(section[neutral.id], key)
        options_section = file.keyed(entry, "options", key, tuple(o.id for o in neutral.options))
        options = []
        for option in neutral.options:
            option_key = f"{key}.options.{option.id}"
            option_entry = file.mapping(options_section[option.id], option_key)
            options.append(Option(option.id, reader.label(option_entry, option_key),
                                  file.get(option_entry, "reason", option_key, str), option.weights,
                                  option.excerpts, reader.phrases(option_entry, option_key)))
        question = Question(neutral.id, file.get(entry, "factor", key, str), file.get(entry, "text", key, str),
                            tuple(options), not_sure, file.get(entry, "topic", key, str))
        _check_distinct(reader, key, question)
        questions.append(question)
    return tuple(questions)


def _check_distinct(reader: CatalogueReader, key: str, question: Question) -> None:
    """Within a question, a label or phrase may mean one answer only."""
    labels = [normalise_label(option.label) for option in question.choices]
    if len(set(labels)) != len(labels):
        raise reader.file.fail(f"{key}.options", "two options have the same label")
    owner: dict[str, str] = {}
    for option in question.options:
        for index, phrase in enumerate(option.phrases):
            owner_id = owner.setdefault(reader.key(phrase), option.id)
            if owner_id != option.id:
                raise reader.file.fail(f"{key}.options.{option.id}.phrases[{index}]",
                                       f"{phrase!r} is also a phrase of option {owner_id!r}")
    for index, phrase in enumerate(question.not_sure.phrases):
        normal = reader.key(phrase)
        if normal in owner:
            raise reader.file.fail(f"not_sure.phrases[{index}]",
                                   f"{phrase!r} is also a phrase of {question.id}.{owner[normal]}")


def read_paths(reader: CatalogueReader, quiz: NeutralQuiz) -> Mapping[str, Path]:
    """Each path's name, summary, pros, cons, fit and aliases, with its neutral excerpts."""
    file = reader.file
    section = file.keyed(reader.document, "paths", "", PATH_IDS)
    paths = {}
    for path_id in PATH_IDS:
        key = f"paths.{path_id}"
        entry = file.mapping(section[path_id], key)
        paths[path_id] = Path(path_id, file.get(entry, "name", key, str), file.get(entry, "summary", key, str),
                              file.strings(entry, "pros", key), file.strings(entry, "cons", key),
                              file.get(entry, "fits", key, str), quiz.path_excerpts[path_id],
                              reader.phrases(entry, key, "aliases"))
    return MappingProxyType(paths)


def read_requirements(reader: CatalogueReader, quiz: NeutralQuiz) -> tuple[Requirement, ...]:
    """Each neutral requirement with the sentence that says it is unmet."""
    ids = tuple(requirement_id for requirement_id, _, _, _ in quiz.requirements)
    section = reader.file.keyed(reader.document, "requirements", "", ids)
    result = []
    for requirement_id, path_id, met_by, excerpt in quiz.requirements:
        unmet = reader.file.get(section, requirement_id, "requirements", str)
        result.append(Requirement(requirement_id, path_id, met_by, excerpt, unmet))
    return tuple(result)


def read_checklists(reader: CatalogueReader) -> Mapping[str, str]:
    """Each path's plan in short, what the plan's copy button copies (Telegram copies 1 to
    COPY_LIMIT characters)."""
    section = reader.file.keyed(reader.document, "checklists", "", PATH_IDS)
    checklists = {}
    for path_id in PATH_IDS:
        text = reader.file.get(section, path_id, "checklists", str).strip()
        if not text or len(text) > COPY_LIMIT:
            raise reader.file.fail(f"checklists.{path_id}",
                                   f"is {len(text)} characters; a copy button copies 1 to {COPY_LIMIT}")
        checklists[path_id] = text
    return MappingProxyType(checklists)


def read_plans(reader: CatalogueReader, quiz: NeutralQuiz) -> Mapping[str, tuple[PlanStep, ...]]:
    """Each path's steps, as many as plans.yaml gives it, each paired with its excerpt."""
    section = reader.file.keyed(reader.document, "plans", "", PATH_IDS)
    plans = {}
    for path_id in PATH_IDS:
        steps = reader.file.strings(section, path_id, "plans")
        expected = quiz.plans[path_id]
        if len(steps) != len(expected):
            raise reader.file.fail(f"plans.{path_id}", f"has {len(steps)} steps; plans.yaml has {len(expected)}")
        plans[path_id] = tuple(PlanStep(text, excerpt) for text, excerpt in zip(steps, expected))
    return MappingProxyType(plans)
