"""Training corpora as labelled examples, their split, and the hash the shipped weights carry.

A corpus file (``content/nlu/corpora/<language>/*.yaml``) is written the way its writers were
briefed: ``answers`` (question -> option -> replies, ``not_sure`` for "Not sure"), ``commands``
(command -> replies), ``change_question``, ``explain_path``, ``language``, ``smalltalk``,
``topics``, ``uncovered``, ``none`` and ``multi`` (messages stating several answers). The
content's own words (labels, option phrases, command phrases, path names) are examples too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dialogs.content import NOT_SURE, Content
from dialogs.nlu import labels
from dialogs.nlu.features import FeatureConfig

#: One example in this many goes to the dev split (chosen by a hash of its text, so stable).
DEV_SHARE = 5


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class MultiExample:
    """A message stating several answers: question id -> option id."""

    text: str
    facts: tuple[tuple[str, str], ...]


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str) and item.strip()] if isinstance(value, list) else []


def examples_from(corpus: Mapping[str, Any]) -> list[Example]:
    """The labelled single-intent examples of one parsed corpus file."""
    found: list[Example] = []

    def add(label: str, replies: Any) -> None:
        found.extend(Example(text, label) for text in _strings(replies))

    for question_id, options in (corpus.get("answers") or {}).items():
        for option_id, replies in (options or {}).items():
            if option_id == "none":
                add(labels.NONE, replies)
            else:
                add(labels.answer(question_id, NOT_SURE if option_id == "not_sure" else option_id), replies)
    for name, replies in (corpus.get("commands") or {}).items():
        add(f"{labels.COMMAND}:{name}", replies)
    for section, kind in (("change_question", labels.CHANGE), ("explain_path", labels.EXPLAIN),
                          ("language", labels.LANGUAGE), ("smalltalk", labels.CHAT), ("topics", labels.TOPIC)):
        entries = corpus.get(section)
        for name, replies in (entries.items() if isinstance(entries, dict) else ()):
            add(f"{kind}:{name}", replies)
    add(labels.UNCOVERED, corpus.get("uncovered"))
    add(labels.NONE, corpus.get("none"))
    return found


def multi_from(corpus: Mapping[str, Any]) -> list[MultiExample]:
    """The several-answers messages of one parsed corpus file."""
    found = []
    for entry in corpus.get("multi") or []:
        if isinstance(entry, dict) and isinstance(entry.get("text"), str) and isinstance(entry.get("facts"), dict):
            facts = tuple(sorted((str(q), NOT_SURE if o == "not_sure" else str(o)) for q, o in entry["facts"].items()))
            found.append(MultiExample(entry["text"], facts))
    return found


def content_examples(content: Content) -> list[Example]:
    """The content's own words as examples: labels, option phrases, command phrases, path names."""
    found: list[Example] = []
    for question in content.questions:
        for option in (*question.options, question.not_sure):
            label = labels.answer(question.id, option.id)
            found.extend(Example(text, label) for text in (option.label, *option.phrases))
    for name, words in content.commands.items():
        found.extend(Example(text, f"{labels.COMMAND}:{name}") for text in words.phrases)
    for path in content.paths.values():
        found.extend(Example(text, f"{labels.EXPLAIN}:{path.id}") for text in (path.name, *path.aliases))
    for topic_id, excerpt_ids in content.topics.items():  # the sentences that answer a topic say what it is about
        for excerpt_id in excerpt_ids:
            texts = (content.excerpts[excerpt_id].text, content.excerpt_translations.get(excerpt_id, ""))
            found.extend(Example(text, f"{labels.TOPIC}:{topic_id}") for text in texts if text)
    unique = dict.fromkeys(found)  # "not sure" is every question's: one example per phrase
    return list(unique)


def is_dev(text: str) -> bool:
    """Whether a corpus example belongs to the dev split (a stable fifth of each corpus)."""
    return hashlib.sha256(text.encode("utf-8")).digest()[0] % DEV_SHARE == 0


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, dev) of corpus examples."""
    train: list[Example] = []
    dev: list[Example] = []
    for example in examples:
        (dev if is_dev(example.text) else train).append(example)
    return train, dev


def corpus_sha256(examples: Iterable[Example], config: FeatureConfig, feature_code: str) -> str:
    """What the weights were trained on: the examples, the feature settings and the feature code."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config.as_dict(), sort_keys=True).encode())
    digest.update(hashlib.sha256(feature_code.encode("utf-8")).digest())
    for example in sorted(examples, key=lambda item: (item.label, item.text)):
        digest.update(json.dumps([example.label, example.text], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
