"""The ``commands`` section of a catalogue: each registry command's description and words."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.content_files.catalogue_reader import CatalogueReader
from dialogs.commands import COMMANDS
from dialogs.content import CommandWords, Question
from dialogs.events import EventKind

MAX_COMMAND_DESCRIPTION = 256  # Telegram's limit


def read_commands(reader: CatalogueReader, questions: tuple[Question, ...]) -> Mapping[str, CommandWords]:
    """Each registry command's description and plain words; none may be an answer's words."""
    file = reader.file
    section = file.keyed(reader.document, "commands", "", tuple(command.name for command in COMMANDS))
    answer_words: dict[str, str] = {}
    for question in questions:
        for option in question.choices:
            for phrase in (option.label, *option.phrases):
                answer_words.setdefault(reader.key(phrase), f"{question.id}.{option.id}")
    owners: dict[str, str] = {}
    result: dict[str, CommandWords] = {}
    for command in COMMANDS:
        key = f"commands.{command.name}"
        entry = file.mapping(section[command.name], key)
        phrases = reader.phrases(entry, key, allow_empty=not command.has_words)
        for index, phrase in enumerate(phrases):
            normal = reader.key(phrase)
            if normal in answer_words:
                raise file.fail(f"{key}.phrases[{index}]",
                                f"{phrase!r} is also an answer ({answer_words[normal]}); it would be ambiguous")
            if owners.setdefault(normal, command.name) != command.name:
                raise file.fail(f"{key}.phrases[{index}]", f"{phrase!r} is also a phrase of /{owners[normal]}")
        prefixes: tuple[str, ...] = ()
        if "path_prefixes" in entry:
            if command.kind is not EventKind.EXPLAIN:
                raise file.fail(f"{key}.path_prefixes", f"/{command.name} takes no path")
            prefixes = reader.phrases(entry, key, "path_prefixes")
        description = file.get(entry, "description", key, str)
        if len(description) > MAX_COMMAND_DESCRIPTION:
            raise file.fail(f"{key}.description", "is over Telegram's 256 characters")
        result[command.name] = CommandWords(command.name, description, phrases, prefixes)
    return MappingProxyType(result)
