"""One catalogues/<language>.yaml opened for reading: its document, its wording, and the checks
every label and phrase in it passes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.content_files.catalogue_wording import read_wording
from bot.content_files.yaml_file import YamlFile, parse_yaml
from dialogs.commands import COMMANDS
from dialogs.understanding import compact, phrase_key

CATALOGUES = "catalogues"
MAX_LABEL_LENGTH = 40


def catalogue_file(language: str) -> str:
    """The catalogue's name inside content/."""
    return f"{CATALOGUES}/{language}.yaml"


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only: how typed answers are matched to option labels."""
    return compact(text)


def navigation_words() -> frozenset[str]:
    """Words an answer label may not start with: every command's name, from the registry, so
    that an answer button never reads like navigation."""
    return frozenset(command.name for command in COMMANDS)


class CatalogueReader:
    """Reads labels and phrases from one language's catalogue and normalises phrases once."""

    def __init__(self, folder: Path, language: str) -> None:
        self.folder = folder
        self.language = language
        self.file = YamlFile(catalogue_file(language))
        self.document = parse_yaml(folder, self.file.name)
        self.navigation = navigation_words()
        self.wording = read_wording(self.file, self.document)
        #: Each phrase's normal form, computed once (the checks compare every phrase thrice).
        self.keys: dict[str, str] = {}

    def key(self, phrase: str) -> str:
        """``phrase`` normalised for comparison (:func:`dialogs.understanding.phrase_key`)."""
        found = self.keys.get(phrase)
        if found is None:
            found = self.keys[phrase] = phrase_key(phrase, self.wording)
        return found

    def label(self, entry: Mapping[str, Any], key: str) -> str:
        """A button label: short, and not starting with a navigation word."""
        label = self.file.get(entry, "label", key, str)
        if len(label) > MAX_LABEL_LENGTH:
            raise self.file.fail(f"{key}.label", f"{label!r} is {len(label)} characters; the limit is {MAX_LABEL_LENGTH}")
        first_word = re.split(r"[^\w]+", label.strip(), maxsplit=1)[0].casefold()
        if first_word in self.navigation:
            raise self.file.fail(f"{key}.label", f"{label!r} starts with the navigation word {first_word!r}")
        return label

    def phrases(self, entry: Mapping[str, Any], key: str, field: str = "phrases",
                allow_empty: bool = False) -> tuple[str, ...]:
        """The list ``field`` of phrases a person may type; each must have words."""
        phrases = self.file.strings(entry, field, key, allow_empty)
        for index, phrase in enumerate(phrases):
            if not self.key(phrase):
                raise self.file.fail(f"{key}.{field}[{index}]", f"{phrase!r} has no words")
        return phrases
