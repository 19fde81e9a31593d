"""Reading and checking a shipped model (content/nlu/<language>.json), like every content file:
a problem stops start-up with the file, the key and what is wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dialogs.commands import COMMANDS_BY_NAME
from dialogs.content import PATH_IDS, Question, Wording
from dialogs.errors import ContentError
from dialogs.nlu import labels
from dialogs.nlu.features import FeatureConfig
from dialogs.nlu.model import LinearModel, integers

FORMAT = 2


def weights_file(language: str) -> str:
    return f"nlu/{language}.json"


def load_model(folder: Path, language: str, questions: Sequence[Question], topics: Mapping[str, Any],
               languages: Sequence[str], wording: Wording) -> LinearModel:
    """The model of ``language``, checked against the quiz it will classify for."""
    name = weights_file(language)
    try:
        raw = (folder / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", f"file not found in {folder} (train it: make train)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(name, "", f"cannot be read: {error}") from None
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ContentError(name, "", f"is not valid JSON (line {error.lineno})") from None

    def fail(key: str, problem: str) -> ContentError:
        return ContentError(name, key, problem)

    if not isinstance(document, dict):
        raise fail("", "expected a JSON object")
    if document.get("format") != FORMAT:
        raise fail("format", f"expected {FORMAT}, found {document.get('format')!r} (retrain: make train)")
    if document.get("language") != language:
        raise fail("language", f"says {document.get('language')!r} but the file is for {language}")
    known = valid_classes(questions, topics, languages)
    classes = document.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(item, str) for item in classes):
        raise fail("classes", "expected a non-empty list of class names")
    for index, class_name in enumerate(classes):
        if class_name not in known:
            raise fail(f"classes[{index}]", f"{class_name!r} is no answer, command, path, topic or reading of this "
                                            "content (retrain: make train)")
    intercepts = document.get("intercepts")
    if not isinstance(intercepts, list) or len(intercepts) != len(classes) or not all(_is_int(v) for v in intercepts):
        raise fail("intercepts", f"expected {len(classes)} integers, one per class")
    names, offsets = document.get("vocabulary"), document.get("offsets")
    indices, values = document.get("indices"), document.get("weights")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        raise fail("vocabulary", "expected a list of distinct feature names")
    if not isinstance(offsets, list) or len(offsets) != len(names) + 1 or not all(_is_int(v) for v in offsets) \
            or offsets[0] != 0 or any(later < earlier for earlier, later in zip(offsets, offsets[1:])):
        raise fail("offsets", f"expected {len(names) + 1} increasing integers from 0, one more than the vocabulary")
    for key, found in (("indices", indices), ("weights", values)):
        if not isinstance(found, list) or len(found) != offsets[-1] or not all(_is_int(v) for v in found):
            raise fail(key, f"expected {offsets[-1]} integers (the last offset)")
    assert isinstance(indices, list) and isinstance(values, list)  # checked just above
    if indices and not 0 <= min(indices) <= max(indices) < len(classes):
        raise fail("indices", f"a class index is outside 0..{len(classes) - 1}")
    rows = dict(zip(names, zip(offsets, offsets[1:])))
    scale, temperature = document.get("scale"), document.get("temperature")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale <= 1:
        raise fail("scale", "expected a number in (0, 1]")
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0 < temperature <= 100:
        raise fail("temperature", "expected a positive number")
    settings = document.get("features")
    try:
        config = FeatureConfig(**settings) if isinstance(settings, dict) else None
    except TypeError:
        config = None
    if config is None:
        raise fail("features", "expected the feature settings the model was trained with")
    sha = document.get("corpus_sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise fail("corpus_sha256", "expected the SHA-256 of the corpora the model was trained on")
    return LinearModel(language, tuple(classes), tuple(intercepts), MappingProxyType(rows), integers(indices),
                       integers(values), float(scale), float(temperature), config, sha, wording.negators,
                       breaks_of(wording))


def breaks_of(wording: Wording) -> frozenset[str]:
    """The words before which a clause ends, for the features (and the several-facts reading)."""
    return wording.contrasts | wording.clause_breaks


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def valid_classes(questions: Sequence[Question], topics: Mapping[str, Any], languages: Sequence[str]) -> set[str]:
    """Every class name a model of this content may have."""
    found = {labels.UNSURE, labels.UNCOVERED, labels.NONE}
    for question in questions:
        found.add(f"{labels.CHANGE}:{question.id}")
        for option in (*question.options, question.not_sure):
            found.add(labels.answer(question.id, option.id))
    found.update(f"{labels.COMMAND}:{name}" for name in COMMANDS_BY_NAME)
    found.update(f"{labels.EXPLAIN}:{path_id}" for path_id in PATH_IDS)
    found.update(f"{labels.LANGUAGE}:{code}" for code in languages)
    found.update(f"{labels.CHAT}:{kind}" for kind in labels.CHAT_KINDS)
    found.update(f"{labels.TOPIC}:{topic}" for topic in topics)
    return found
