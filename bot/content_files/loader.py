"""Load content/ into frozen :mod:`dialogs.content` objects, one per language, and validate it.

content/ holds the language-neutral quiz (questions.yaml: ids, weights, excerpt ids;
paths.yaml: the article's rules; plans.yaml: which excerpt each step comes from), the article
and its verbatim quotes, and one catalogue per language (catalogues/<language>.yaml) with every
word a person reads or types. Every catalogue is checked against the neutral quiz, the code's
registries and the English catalogue (same keys, same placeholders, labels within limits).

Every problem is reported as one :class:`ContentError` naming the file, the key path inside it
and what is wrong, so that a bad edit stops start-up with a message, never a traceback.

This module is the public entry point; the stages live beside it:

- :mod:`.yaml_file` reads files and typed YAML values, naming file and key on error;
- :mod:`.neutral_quiz` assembles the language-neutral quiz (:mod:`.neutral_excerpts`,
  :mod:`.neutral_questions`, :mod:`.neutral_paths`, typed in :mod:`.neutral_types`);
- :mod:`.catalogue` builds one language's content from its catalogue (:mod:`.catalogue_reader`,
  :mod:`.catalogue_wording`, :mod:`.catalogue_quiz`, :mod:`.catalogue_commands`, :mod:`.catalogue_texts`),
  checked against English by :mod:`.cross_language`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path as FsPath
from types import MappingProxyType

from bot.content_files.catalogue import build_content
from bot.content_files.catalogue_reader import CATALOGUES, MAX_LABEL_LENGTH, navigation_words, normalise_label
from bot.content_files.neutral_excerpts import normalise_whitespace
from bot.content_files.neutral_quiz import content_version, load_quiz
from dialogs.content import DEFAULT_LANGUAGE, Content
from dialogs.errors import ContentError

__all__ = [
    "CATALOGUES", "FILES", "MAX_LABEL_LENGTH", "NLU", "available_languages", "content_version", "default_content_dir",
    "load_content", "load_languages", "navigation_words", "normalise_label", "normalise_whitespace",
]

LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}")
NLU = "nlu"
FILES = ("article.txt", "excerpts.yaml", "questions.yaml", "paths.yaml", "plans.yaml", "topics.yaml",
         f"{CATALOGUES}/*.yaml", f"{NLU}/*.json")


def default_content_dir() -> FsPath:
    """The content/ directory shipped inside the installed package."""
    return FsPath(str(resources.files("content")))


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
    quiz = load_quiz(folder)
    languages = available_languages(folder)
    english = build_content(folder, DEFAULT_LANGUAGE, quiz, None, languages, models)
    contents = {DEFAULT_LANGUAGE: english}
    for language in languages[1:]:
        contents[language] = build_content(folder, language, quiz, english, languages, models)
    return MappingProxyType(contents)


def load_content(directory: FsPath | str | None = None, language: str = DEFAULT_LANGUAGE) -> Content:
    """Load and validate the quiz in one language (English by default)."""
    folder = FsPath(directory) if directory is not None else default_content_dir()
    quiz = load_quiz(folder)
    languages = available_languages(folder)
    english = build_content(folder, DEFAULT_LANGUAGE, quiz, None, languages)
    if language == DEFAULT_LANGUAGE:
        return english
    return build_content(folder, language, quiz, english, languages)
