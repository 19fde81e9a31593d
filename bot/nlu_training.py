"""``python -m bot train``: train each language's understanding model and write its weights.

Reads the corpora (``content/nlu/corpora/<language>/*.yaml``) and the content's own words,
keeps the dev fifth of the corpora aside, trains a logistic regression (scikit-learn, used
only here) over :func:`dialogs.nlu.features.features`, picks the regularisation on the dev
split, fits the softmax temperature on it, drops the weights too small to matter and writes
``content/nlu/<language>.json`` with the hash of what it was trained on. The bot reads those
weights with :class:`dialogs.nlu.model.LinearModel`; nothing else here runs in the bot.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content_files.loader import default_content_dir, load_languages
from bot.content_files.nlu_weights import breaks_of
from dialogs.content import Content
from dialogs.nlu import features as features_module
from dialogs.nlu.corpus import Example, MultiExample, content_examples, corpus_sha256, examples_from, multi_from, split
from dialogs.nlu.features import FeatureConfig, features

#: Regularisation strengths tried; the best on the dev split is kept.
C_GRID = (30.0, 100.0)
TEMPERATURES = tuple(round(0.4 + 0.1 * step, 2) for step in range(37))
#: Weights below this (absolute) are left out of the shipped file: about 3 of the 83 weights per
#: feature stay, so a message costs a few hundred additions. Measured on dev (python -m bench.
#: understanding for the time): 0.25 kept 4.4 per feature, p99 0.99-1.32 ms; 0.35 keeps 3.3,
#: p99 0.77-0.91 ms, answers and commands within a point, unanswerable declined 0-4 points lower.
PRUNE_BELOW = 0.35
SCALE = 1000
FORMAT = 2


@dataclass(frozen=True)
class Corpora:
    """One language's training material."""

    examples: list[Example]          # from corpus files (split into train and dev)
    own_words: list[Example]         # the content's labels and phrases (always train)
    multi: list[MultiExample]

    @property
    def train(self) -> list[Example]:
        return split(self.examples)[0] + self.own_words

    @property
    def dev(self) -> list[Example]:
        return split(self.examples)[1]

    def sha256(self, config: FeatureConfig, content: Content) -> str:
        """What the weights depend on: the examples, the feature code and settings, and the words
        that mark a negation's scope."""
        wording = content.wording
        code = "\n".join([inspect.getsource(features_module), *sorted(wording.negators), "|",
                          *sorted(breaks_of(wording))])
        return corpus_sha256([*self.examples, *self.own_words], config, code)


def corpora_dir(content_dir: Path) -> Path:
    return content_dir / "nlu" / "corpora"


def weights_path(content_dir: Path, language: str) -> Path:
    return content_dir / "nlu" / f"{language}.json"


def read_corpora(content_dir: Path, content: Content) -> Corpora:
    """Every corpus file of the content's language, and the content's own words."""
    examples: list[Example] = []
    multi: list[MultiExample] = []
    for path in sorted((corpora_dir(content_dir) / content.language).glob("*.yaml")):
        parsed = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        examples.extend(examples_from(parsed))
        multi.extend(multi_from(parsed))
    return Corpora(examples, content_examples(content), multi)


def feature_counts(examples: Sequence[Example], config: FeatureConfig, content: Content) -> list[Counter[str]]:
    wording = content.wording
    return [Counter(features(example.text, config, wording.negators, breaks_of(wording))) for example in examples]


#: The features every model is trained with (stored with its weights).
FEATURES = FeatureConfig()


def train_language(content: Content, corpora: Corpora, config: FeatureConfig = FEATURES,
                   report: Any = print) -> dict[str, Any]:
    """Train one language's model; returns the JSON-ready weights."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    train, dev = corpora.train, corpora.dev
    train_sets = feature_counts(train, config, content)
    vocabulary = {name: index for index, name in enumerate(sorted(set().union(*train_sets)))}
    classes = sorted({example.label for example in train})
    class_index = {name: index for index, name in enumerate(classes)}

    def matrix(counted: list[Counter[str]]) -> Any:
        """Each occurrence of a known feature counts 1/sqrt(occurrences of known features), as in LinearModel."""
        rows, columns, values = [], [], []
        for row, found in enumerate(counted):
            known = [(vocabulary[name], count) for name, count in found.items() if name in vocabulary]
            total = sum(count for _, count in known)
            for column, count in known:
                rows.append(row)
                columns.append(column)
                values.append(count / math.sqrt(total))
        return csr_matrix((values, (rows, columns)), shape=(len(counted), len(vocabulary)))

    x_train = matrix(train_sets)
    y_train = np.array([class_index[example.label] for example in train])
    dev_known = [example for example in dev if example.label in class_index]
    x_dev = matrix(feature_counts(dev_known, config, content))
    y_dev = np.array([class_index[example.label] for example in dev_known])
    best: tuple[float, float, Any] | None = None
    for strength in C_GRID:
        # Balanced: a command or a topic has a few dozen examples, an answer a hundred.
        model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
        model.fit(x_train, y_train)
        accuracy = float((model.predict(x_dev) == y_dev).mean()) if len(y_dev) else 0.0
        report(f"  {content.language}: C={strength:g} dev accuracy {accuracy:.3f}")
        if best is None or accuracy > best[0]:
            best = (accuracy, strength, model)
    assert best is not None
    _, strength, model = best
    pruned = np.where(np.abs(model.coef_) >= PRUNE_BELOW, model.coef_, 0.0)
    logits = np.asarray(x_dev @ pruned.T) + model.intercept_ if len(y_dev) else np.zeros((0, len(classes)))
    temperature = min(TEMPERATURES, key=lambda value: _nll(logits, y_dev, value)) if len(y_dev) else 1.0
    if len(y_dev):
        report(f"  {content.language}: pruned dev accuracy {float((logits.argmax(axis=1) == y_dev).mean()):.3f}")
    names, offsets, indices, values = [], [0], [], []
    for name in sorted(vocabulary):  # kept even when none of its weights is: it still counts in the share
        for class_number, value in enumerate(model.coef_[:, vocabulary[name]]):
            if abs(value) >= PRUNE_BELOW:
                indices.append(class_number)
                values.append(round(float(value) * SCALE))
        names.append(name)
        offsets.append(len(indices))
    report(f"  {content.language}: C={strength:g}, temperature {temperature:g}, {len(vocabulary)} features, "
           f"{len(indices)} weights kept of {len(vocabulary) * len(classes)}, {len(classes)} classes, "
           f"{len(train)} train / {len(dev_known)} dev examples")
    return {
        "format": FORMAT,
        "language": content.language,
        "corpus_sha256": corpora.sha256(config, content),
        "features": config.as_dict(),
        "scale": 1 / SCALE,
        "temperature": temperature,
        "classes": classes,
        "intercepts": [round(float(value) * SCALE) for value in model.intercept_],
        "vocabulary": names,
        "offsets": offsets,
        "indices": indices,
        "weights": values,
    }


def _nll(logits: Any, truth: Any, temperature: float) -> float:
    import numpy as np

    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scaled).sum(axis=1))
    return float((log_norm - scaled[np.arange(len(truth)), truth]).mean())


def write_weights(path: Path, weights: Mapping[str, Any]) -> None:
    """The settings first, one per line; then the feature names, their offsets, class indices and
    weights as flat arrays (JSON parses those at C speed: a start reads four files in ~40 ms)."""
    lines = ["{"]
    items = list(weights.items())
    for number, (key, value) in enumerate(items):
        comma = "," if number < len(items) - 1 else ""
        lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False, separators=(',', ':'))}{comma}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(languages: Sequence[str] = (), content_dir: Path | None = None) -> int:
    """Train every language (or those named) and write their weights."""
    folder = Path(content_dir or default_content_dir())
    contents = load_languages(folder, models=False)
    for language, content in contents.items():
        if languages and language not in languages:
            continue
        print(f"training {language}", file=sys.stderr)
        weights = train_language(content, read_corpora(folder, content),
                                 report=lambda line: print(line, file=sys.stderr))
        write_weights(weights_path(folder, language), weights)
    return 0

