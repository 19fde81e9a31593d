"""The ``understanding`` section of a catalogue: the words that shape how typed text is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.content_files.yaml_file import YamlFile
from dialogs.content import Wording
from dialogs.understanding import plain_text, words

WORDING_FIELDS = ("negators", "negation_cancellers", "contrasts", "clause_breaks", "post_negators", "linking_verbs",
                  "common_words", "plural_endings", "keep_endings", "corrections")


def read_wording(file: YamlFile, document: Mapping[str, Any]) -> Wording:
    """The language's :class:`Wording`; its word sets are normalised with its own endings."""
    section = file.keyed(document, "understanding", "", WORDING_FIELDS)
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
