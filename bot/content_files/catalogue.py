"""One language's :class:`dialogs.content.Content`: its catalogue read against the neutral quiz,
the code's registries and English, with its understanding model."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from bot.content_files.catalogue_commands import read_commands
from bot.content_files.catalogue_quiz import read_checklists, read_paths, read_plans, read_questions, read_requirements
from bot.content_files.catalogue_reader import CatalogueReader
from bot.content_files.catalogue_texts import read_texts
from bot.content_files.cross_language import read_excerpt_translations
from bot.content_files.neutral_types import NeutralQuiz
from bot.content_files.nlu_weights import load_model
from dialogs.content import Content

MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION = 512, 120  # Telegram's limits


def build_content(folder: Path, language: str, quiz: NeutralQuiz, reference: Content | None,
                  languages: tuple[str, ...] = (), models: bool = True) -> Content:
    """The quiz in ``language``; ``reference`` is English (None when building English itself)."""
    reader = CatalogueReader(folder, language)
    file, document = reader.file, reader.document
    declared = file.get(document, "language", "", str)
    if declared != language:
        raise file.fail("language", f"says {declared!r} but the file is {language}.yaml")
    bot = file.mapping(document.get("bot"), "bot")
    description = file.get(bot, "description", "bot", str)
    short = file.get(bot, "short_description", "bot", str)
    if len(description) > MAX_DESCRIPTION:
        raise file.fail("bot.description", f"is {len(description)} characters; Telegram allows {MAX_DESCRIPTION}")
    if len(short) > MAX_SHORT_DESCRIPTION:
        raise file.fail("bot.short_description", f"is {len(short)} characters; Telegram allows {MAX_SHORT_DESCRIPTION}")
    questions = read_questions(reader, quiz)
    commands = read_commands(reader, questions)
    model = load_model(folder, language, questions, quiz.topics, languages or (language,),
                       reader.wording) if models else None
    # Keyword order is check order: the first problem found is the one reported.
    return Content(
        article_title=quiz.article_title,
        article_text=quiz.article_text,
        questions=questions,
        paths=read_paths(reader, quiz),
        excerpts=quiz.excerpts,
        texts=read_texts(reader, reference),
        tie_break=quiz.tie_break,
        close_margin=quiz.close_margin,
        requirements=read_requirements(reader, quiz),
        commands=commands,
        plans=read_plans(reader, quiz),
        checklists=read_checklists(reader),
        version=quiz.version,
        language=language,
        language_name=file.get(document, "name", "", str),
        bot_description=description,
        bot_short_description=short,
        wording=reader.wording,
        excerpt_translations=read_excerpt_translations(reader, quiz),
        question_index=MappingProxyType({question.id: index for index, question in enumerate(questions)}),
        phrase_keys=MappingProxyType(reader.keys),
        topics=quiz.topics,
        model=model,
    )
