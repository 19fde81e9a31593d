"""The trained linear model, applied in plain Python: a few dictionary lookups and additions.

Weights come from ``content/nlu/<language>.json`` (written by ``python -m bot train``, checked by
the content loader). A message's score for a class is the class's intercept plus the weights of
the message's features (each occurrence counting 1/sqrt(number of occurrences), as in training);
the weights of each clause are added up once (:meth:`LinearModel.clause_sums`), so the scores
of the whole message and of any of its clauses come from the same sums. The probabilities are a
softmax over the classes allowed where the person is, at the temperature fitted on the dev split
(so that a 0.9 means right about nine times in ten).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from dialogs.nlu.features import Clause, FeatureConfig, clause_features, clauses

#: A clause's known-feature count, feature count and per-class weight sums (LinearModel.clause_sums).
ClauseSums = tuple[int, int, list[int]]


@dataclass(frozen=True)
class LinearModel:
    """One language's classifier. ``spans`` maps a feature to where its (class index, weight)
    pairs lie in ``indices`` and ``weights`` (start, end); weights and intercepts are integers,
    to be multiplied by ``scale``."""

    language: str
    classes: tuple[str, ...]
    intercepts: tuple[int, ...]
    spans: Mapping[str, tuple[int, int]]
    indices: tuple[int, ...]
    weights: tuple[int, ...]
    scale: float
    temperature: float
    config: FeatureConfig
    corpus_sha256: str
    negators: frozenset[str] = frozenset()
    #: Words before which a clause ends ("and", "but"), as in training.
    breaks: frozenset[str] = frozenset()

    def clauses(self, text: str) -> list[Clause]:
        """The clauses of ``text`` as the model reads them."""
        return clauses(text, self.breaks)

    def clause_sums(self, clause: Clause) -> ClauseSums:
        """How many of the clause's features the model knows, and their weights added up per class."""
        spans, indices, weights = self.spans, self.indices, self.weights
        added = [0] * len(self.intercepts)
        hits = 0
        found = clause_features(clause, self.config, self.negators)
        for name in found:
            span = spans.get(name)
            if span is not None:
                hits += 1
                start, end = span
                for index, weight in zip(indices[start:end], weights[start:end]):
                    added[index] += weight  # integers: summed exactly, scaled once in scores_of
        return hits, len(found), added

    def scores_of(self, parts: Sequence[ClauseSums]) -> list[float]:
        """Every class's raw score (logit) for the clauses whose sums are ``parts`` together."""
        hits = sum(count for count, _, _ in parts)
        share = self.scale / math.sqrt(hits) if hits else 0.0
        scale = self.scale
        if len(parts) == 1:
            added = parts[0][2]
        else:
            added = [sum(column) for column in zip(*(sums for _, _, sums in parts))] if parts else [0] * len(self.intercepts)
        return [base * scale + extra * share for base, extra in zip(self.intercepts, added)]

    @staticmethod
    def known_share(parts: Sequence[ClauseSums]) -> float:
        """How much of what was said the model has seen in training (0..1): little of it, and
        its probabilities rest on a few stray letters ("مرحبا", "👩‍💻🚀")."""
        total = sum(count for _, count, _ in parts)
        return sum(hits for hits, _, _ in parts) / total if total else 0.0

    def positions(self, allowed: Collection[str]) -> tuple[int, ...]:
        """The positions of the ``allowed`` classes (for :func:`softmax`)."""
        return tuple(index for index, name in enumerate(self.classes) if name in allowed)


def softmax(scores: Sequence[float], classes: Sequence[str], chosen: Iterable[int],
            temperature: float) -> dict[str, float]:
    """A softmax over the scores of the ``chosen`` classes (their positions)."""
    positions = tuple(chosen)
    if not positions:
        return {}
    values = [scores[index] for index in positions]
    top = max(values)
    inverse = 1.0 / temperature
    exps = [math.exp((value - top) * inverse) for value in values]
    total = sum(exps)
    return {classes[index]: value / total for index, value in zip(positions, exps)}
