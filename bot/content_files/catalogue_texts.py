"""The ``texts`` section of a catalogue: every sentence the bot says, with checked placeholders."""

from __future__ import annotations

from types import MappingProxyType

from bot.content_files.catalogue_reader import CatalogueReader
from bot.content_files.cross_language import check_placeholders_match
from bot.content_files.yaml_file import kind_of
from dialogs.content import Content, Texts
from dialogs.text_keys import TEXT_PLACEHOLDERS


def read_texts(reader: CatalogueReader, reference: Content | None) -> Texts:
    """Each text key of the code's registry; placeholders as the registry allows and as English has."""
    file = reader.file
    section = file.keyed(reader.document, "texts", "", tuple(TEXT_PLACEHOLDERS))
    strings: dict[str, str] = {}
    for key, allowed in TEXT_PLACEHOLDERS.items():
        path = f"texts.{key}"
        value = section[key]
        if not isinstance(value, str) or not value.strip():
            raise file.fail(path, f"expected a non-empty string, found {kind_of(value)}")
        fields = file.placeholders(path, value)
        unknown = fields - allowed
        if unknown:
            allowed_text = ", ".join(sorted(f"{{{name}}}" for name in allowed)) or "none"
            raise file.fail(path, f"unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed_text})")
        if reference is not None:
            check_placeholders_match(file, path, fields, reference.texts[key])
        strings[key] = value.rstrip("\n") if key != "console_prompt" else value
    return Texts(MappingProxyType(strings))
