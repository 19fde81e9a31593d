"""One decision policy over the model's calibrated probabilities (Rasa's shape: a confidence
threshold and an ambiguity margin feeding a two-step "Did you mean" fallback).

An answer is taken only when the model is sure and well ahead of the runner-up: a wrong answer
taken silently is the worst outcome, so anything less sure is offered back ("Did you mean" with
the top two options), and anything vaguer is asked again with the options. Commands, questions
about the paths and small talk each need their own confidence; below it, the message is read as
an unclear answer (offered) or not understood (asked again). The thresholds were chosen on the
dev split (``python -m bot eval --split dev --sweep``), never on the test split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from dialogs.nlu import labels
from dialogs.nlu.labels import Label


@dataclass(frozen=True)
class Thresholds:
    """Probabilities (0..1) at which the policy acts."""

    take: float = 0.97        #: take an answer at this probability...
    margin: float = 0.4       #: ...when the runner-up is at least this far behind
    offer: float = 0.35       #: offer "Did you mean" when the answers together reach this
    second: float = 0.06      #: the second option is offered too from this probability
    command: float = 0.5      #: act on a command, a change, an explanation or a language
    topic: float = 0.55       #: answer a question about the paths
    uncovered: float = 0.1    #: say the article does not cover it
    chat: float = 0.2         #: reply to small talk
    fact: float = 0.85        #: fill another question's answer from a clause of the message
    known: float = 0.2        #: read nothing into a message the model knows less of than this (0..1)


DEFAULT = Thresholds()


class Act(str, Enum):
    """What to do with a message."""

    TAKE = "take"          #: take ``labels[0]`` as the answer
    OFFER = "offer"        #: "Did you mean" ``labels`` (answer classes, best first)
    ACT = "act"            #: a command, a question about the paths or small talk: ``labels[0]``
    ASK = "ask"            #: not understood: ask again with the options


@dataclass(frozen=True)
class Decision:
    act: Act
    labels: tuple[str, ...] = ()
    probability: float = 0.0


ASK = Decision(Act.ASK)


def decide(probabilities: Mapping[str, float], answers: Sequence[str], thresholds: Thresholds = DEFAULT,
           everything: Mapping[str, float] | None = None) -> Decision:
    """The decision for one message. ``probabilities`` cover the classes open where the person is
    (``answers``: the current question's); ``everything`` covers every class, the other questions'
    answers included, against which a command, a question or small talk is judged (so that "no
    free time at all", asked about skills, is an answer to a later question, not "change my time")."""
    if not probabilities:
        return ASK
    ranked = sorted(probabilities.items(), key=lambda item: -item[1])
    top, chance = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    open_answers = set(answers)
    options = [(name, value) for name, value in ranked if name in open_answers]
    answer_mass = sum(value for _, value in options)
    judged = sorted((everything or probabilities).items(), key=lambda item: -item[1])
    best, sure = judged[0]
    if top in open_answers:
        if chance >= thresholds.take and chance - runner_up >= thresholds.margin:
            return Decision(Act.TAKE, (top,), chance)
        return _offer(options, thresholds) if answer_mass >= thresholds.offer else ASK
    if not is_answer(best) and sure >= _needed(best, thresholds):
        return Decision(Act.ACT, (best,), sure)
    return _offer(options, thresholds) if options and answer_mass >= thresholds.offer else ASK


def is_answer(name: str) -> bool:
    """An answer class (of any question), "not sure" included."""
    return name == labels.UNSURE or name.startswith(labels.ANSWER + ":")


def _offer(options: Sequence[tuple[str, float]], thresholds: Thresholds) -> Decision:
    chosen = [name for number, (name, value) in enumerate(options[:2]) if number == 0 or value >= thresholds.second]
    return Decision(Act.OFFER, tuple(chosen), options[0][1])


def _needed(name: str, thresholds: Thresholds) -> float:
    kind = Label.parse(name).kind
    if kind == labels.TOPIC:
        return thresholds.topic
    if kind == labels.UNCOVERED:
        return thresholds.uncovered
    if kind == labels.CHAT:
        return thresholds.chat
    if kind == labels.NONE:
        return 2.0  # never acted on: "nothing" is asked again
    return thresholds.command
