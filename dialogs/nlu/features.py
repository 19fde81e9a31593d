"""A message as the model's features: character n-grams inside words, words, word pairs.

The shape follows Rasa's default pipeline for short texts (character n-grams within word
boundaries, plus words) with one addition a linear model cannot learn by itself: words after a
negation, to the end of the clause, also appear marked as negated ("i dont have a job" gives
``n:job``), so that "I have a job" and "I don't have a job" differ in more than one feature.

A message is cut into clauses (at punctuation, and before words that join or contrast clauses:
"and", "but"), and its features are the clauses' features together, counted: so the scores of
a whole message are the sums of its clauses' scores, and reading a message clause by clause
(for several facts) costs no more than reading it once. Training and inference call the same
functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": "", "´": ""})
#: Words, numbers, and each symbol that is neither (emoji, "+") as a token of its own.
_TOKEN = re.compile(r"[^\W_]+|[^\w\s.,;:!?()\"'«»“”„\-]")
_PUNCTUATION = re.compile(r"([,.;:!?()\n]+)")


@dataclass(frozen=True)
class FeatureConfig:
    """Which features a model uses; stored with its weights so inference matches training."""

    char_min: int = 3
    char_max: int = 4
    word_pairs: bool = True
    negation: bool = True

    def as_dict(self) -> dict[str, int | bool]:
        return {"char_min": self.char_min, "char_max": self.char_max, "word_pairs": self.word_pairs,
                "negation": self.negation}


@dataclass(frozen=True)
class Clause:
    """One clause of a message: its text, its tokens, and whether a question mark ends it."""

    text: str
    tokens: tuple[str, ...]
    asks: bool


def normal_text(text: str) -> str:
    """Lower case, without accents or apostrophes ("Está" -> "esta", "don't" -> "dont", "ё" -> "е")."""
    folded = text.casefold().translate(_APOSTROPHES)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def tokens(text: str) -> list[str]:
    """The message's words and symbols, normalised."""
    return _TOKEN.findall(normal_text(text))


def clauses(text: str, breaks: Collection[str] = ()) -> list[Clause]:
    """The message's clauses: cut at punctuation, and before each word of ``breaks``."""
    found: list[Clause] = []
    pieces = _PUNCTUATION.split(text)
    for number in range(0, len(pieces), 2):
        asks = number + 1 < len(pieces) and "?" in pieces[number + 1]
        words = pieces[number].split()
        start = 0
        for position, word in enumerate(words):
            if position > start and normal_text(word).strip("\"'«»“”") in breaks:
                _add(found, words[start:position], asks=False)
                start = position
        _add(found, words[start:], asks)
    return found


def _add(found: list[Clause], words: list[str], asks: bool) -> None:
    text = " ".join(words)
    found_tokens = tuple(tokens(text))
    if found_tokens:
        found.append(Clause(text, found_tokens, asks))


def clause_features(clause: Clause, config: FeatureConfig, negators: Collection[str] = ()) -> list[str]:
    """The features of one clause, each as often as it occurs."""
    found: list[str] = []
    previous = "|"
    negated = False
    for token in clause.tokens:
        found.append("w:" + token)
        if config.word_pairs:
            found.append(f"p:{previous} {token}")
        previous = token
        if config.negation:
            if negated:
                found.append("n:" + token)
            if token in negators:
                negated = True
        if token.isalpha() or token.isdigit():
            padded = f"<{token}>"
            for size in range(config.char_min, config.char_max + 1):
                found.extend("c:" + padded[start:start + size] for start in range(len(padded) - size + 1))
        if token.isdigit():
            found.append("w:<number>")
    if config.word_pairs:
        found.append(f"p:{previous} |")
    if clause.asks:
        found.append("w:?")
    return found


def features(text: str, config: FeatureConfig, negators: Collection[str] = (), breaks: Collection[str] = ()) -> list[str]:
    """The features of a whole message (its clauses' together), each as often as it occurs."""
    return [name for clause in clauses(text, breaks) for name in clause_features(clause, config, negators)]
