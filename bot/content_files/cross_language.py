"""Checks of one catalogue against English and the neutral quiz: the same placeholders in every
text, and our own translation of every quote."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.content_files.catalogue_reader import CatalogueReader
from bot.content_files.neutral_types import NeutralQuiz
from bot.content_files.yaml_file import YamlFile
from dialogs.content import DEFAULT_LANGUAGE


def check_placeholders_match(file: YamlFile, path: str, fields: set[str], english: str) -> None:
    """A text must use exactly the placeholders of its English original."""
    english_fields = file.placeholders(path, english)
    if fields != english_fields:
        missing = sorted(english_fields - fields)
        raise file.fail(path, f"placeholders differ from English: missing {{{missing[0]}}}" if missing
                        else "placeholders differ from English")


def read_excerpt_translations(reader: CatalogueReader, quiz: NeutralQuiz) -> Mapping[str, str]:
    """The ``excerpts`` section: known excerpt ids only, and every one of them outside English."""
    file = reader.file
    section = file.mapping(reader.document.get("excerpts", {}), "excerpts")
    for excerpt_id in section:
        if excerpt_id not in quiz.excerpts:
            raise file.fail(f"excerpts.{excerpt_id}", "unknown excerpt (not in excerpts.yaml)")
    if reader.language != DEFAULT_LANGUAGE:
        for excerpt_id in quiz.excerpts:
            if excerpt_id not in section:
                raise file.fail(f"excerpts.{excerpt_id}", "is missing (every quote needs our translation)")
    return MappingProxyType({k: file.get(section, k, "excerpts", str) for k in section})
