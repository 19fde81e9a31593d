"""The trained linear model, applied in plain Python: a few dictionary lookups and additions.

Weights come from ``content/nlu/<language>.json`` (written by ``python -m bot train``, checked by
the content loader). A message's score for a class is the class's intercept plus the weights of
the message's features (each occurrence counting 1/sqrt(number of occurrences), as in training);
the weights of each clause are added up once (:meth:`LinearModel.clause_sums`, every class at
once in one packed integer), so the scores of the whole message and of any of its clauses come
from the same sums. The probabilities are a
softmax over the classes allowed where the person is, at the temperature fitted on the dev split
(so that a 0.9 means right about nine times in ten).
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from dialogs.nlu.features import Clause, FeatureConfig, clause_features, clauses

#: A clause's known-feature count, feature count and per-class weight sums (LinearModel.clause_sums).
ClauseSums = tuple[int, int, list[int]]
#: Packed sums (LinearModel._packed_weights): each class in 8 bytes, offset by 2**40. A clause
#: would need 2**23 features (the reader stops far sooner) before a field could overflow.
FIELD_BYTES = 8
BIAS = 1 << 40
#: Typecodes of integer arrays, narrowest first (:func:`integers`).
INT_CODES = ("b", "h", "i", "q")


def integers(values: Iterable[int]) -> array[int]:
    """``values`` as an array of the narrowest typecode that holds them all: a tenth of a tuple's
    memory, and read back from bytes without making an int object per value."""
    widest = array(INT_CODES[-1], values)
    low, high = (min(widest), max(widest)) if widest else (0, 0)
    code = next(code for code in INT_CODES
                if -(1 << (8 * array(code).itemsize - 1)) <= low and high < 1 << (8 * array(code).itemsize - 1))
    return widest if code == INT_CODES[-1] else array(code, widest)


@dataclass(frozen=True)
class LinearModel:
    """One language's classifier. ``spans`` maps a feature to where its (class index, weight)
    pairs lie in ``indices`` and ``weights`` (start, end), integer arrays (:func:`integers`);
    weights and intercepts are integers, to be multiplied by ``scale``."""

    language: str
    classes: tuple[str, ...]
    intercepts: tuple[int, ...]
    spans: Mapping[str, tuple[int, int]]
    indices: Sequence[int]
    weights: Sequence[int]
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

    def __post_init__(self) -> None:
        # Each known feature's weights, packed into one integer on first use (see _packed_weights).
        object.__setattr__(self, "_packed", {})

    def clause_sums(self, clause: Clause) -> ClauseSums:
        """How many of the clause's features the model knows, and their weights added up per class."""
        packed: dict[str, int] = self._packed  # type: ignore[attr-defined]
        total = hits = 0
        found = clause_features(clause, self.config, self.negators)
        for name in found:
            value = packed.get(name)
            if value is None:
                value = self._packed_weights(name)
            if value:
                hits += 1
                total += value  # every class's weight added at once (integers: summed exactly)
        classes = len(self.intercepts)
        if not hits:
            return 0, len(found), [0] * classes
        fields = array("Q")
        fields.frombytes(total.to_bytes(FIELD_BYTES * classes, sys.byteorder))
        offset = hits * BIAS
        return hits, len(found), [value - offset for value in fields]

    def _packed_weights(self, name: str) -> int:
        """The feature's weight for every class, each in its own 64-bit field of one integer
        (class 0 lowest) and offset by BIAS so that no field is negative: adding a feature to
        a clause's sums is one integer addition, done in C, instead of one per class. 0 for a
        feature the model does not know (not kept: what people type is endless)."""
        span = self.spans.get(name)
        if span is None:
            return 0
        fields = array("Q", [BIAS]) * len(self.intercepts)
        start, end = span
        for index, weight in zip(self.indices[start:end], self.weights[start:end]):
            if not -BIAS < weight < BIAS:
                raise ValueError(f"weight {weight} of feature {name!r} is out of range")
            fields[index] = BIAS + weight
        value = int.from_bytes(fields.tobytes(), sys.byteorder)
        self._packed[name] = value  # type: ignore[attr-defined]
        return value

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


def likeliest(scores: Sequence[float], chosen: Sequence[int]) -> int:
    """The position of the likeliest of the ``chosen`` classes."""
    return max(chosen, key=scores.__getitem__)


def probability_of(position: int, scores: Sequence[float], chosen: Sequence[int], temperature: float) -> float:
    """The probability :func:`softmax` gives the class at ``position``, without the whole distribution."""
    inverse = 1.0 / temperature
    mine = scores[position]
    return 1.0 / sum(math.exp((scores[index] - mine) * inverse) for index in chosen)
