"""Scoring the understanding layer on a labelled split, the way a person meets it.

Every figure goes through the real :class:`dialogs.understanding.Interpreter` (rules, model and
policy), and several facts through the real engine. ``python -m bot eval`` prints them; the
tests assert floors under the test split's figures.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from dialogs.commands import COMMANDS_BY_NAME, command_event
from dialogs.content import NOT_SURE, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.nlu import labels
from dialogs.nlu.corpus import Example, MultiExample
from dialogs.nlu.labels import Label
from dialogs.nlu.policy import DEFAULT, Thresholds
from dialogs.session import Session
from dialogs.understanding import Interpreter, Reading, Understanding

#: "What is a side hustle?" is answered as well by the path's explanation (its description,
#: pros and cons, and the article's quotes) as by the article's definition.
WHAT_IS = {"sh_what": "side_hustle", "ai_what": "generative_ai", "hy_what": "hybrid"}


@dataclass
class Rate:
    """``hits`` of ``total``."""

    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.value:6.1%} ({self.hits}/{self.total})"


@dataclass
class Figures:
    """One language's figures on one split."""

    language: str
    answers_understood: Rate = field(default_factory=Rate)    #: taken right, or offered first
    answers_taken: Rate = field(default_factory=Rate)         #: taken right
    answers_wrong: Rate = field(default_factory=Rate)         #: taken, but another option
    answers_as_command: Rate = field(default_factory=Rate)    #: read as a command or question
    commands: Rate = field(default_factory=Rate)              #: right command (and argument)
    commands_mid_quiz: Rate = field(default_factory=Rate)
    commands_after_result: Rate = field(default_factory=Rate)
    topics_answered: Rate = field(default_factory=Rate)       #: the right topic's sentences
    topics_wrong: Rate = field(default_factory=Rate)          #: another topic's sentences
    uncovered_declined: Rate = field(default_factory=Rate)    #: "the article doesn't cover that"
    chat: Rate = field(default_factory=Rate)
    none_ignored: Rate = field(default_factory=Rate)          #: asked again: nothing taken, offered or done
    facts_filled: Rate = field(default_factory=Rate)          #: stated facts filled right
    facts_wrong: Rate = field(default_factory=Rate)           #: filled, but not what was stated (shown)
    confusions: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _timed(figures: Figures, interpreter: Interpreter, *args: object, **kwargs: object) -> Understanding:
    started = time.perf_counter()
    found = interpreter.read(*args, **kwargs)  # type: ignore[arg-type]
    figures.seconds.append(time.perf_counter() - started)
    return found


def _expected_event(label: Label) -> tuple[str, str, str] | None:
    """(name, text, question) of the event a command-like class should produce."""
    if label.kind == labels.COMMAND and label.first in COMMANDS_BY_NAME:
        return command_event(COMMANDS_BY_NAME[label.first]).name, "", ""
    if label.kind == labels.CHANGE:
        return EventKind.CHANGE.value, "", label.first
    if label.kind == labels.EXPLAIN:
        return EventKind.EXPLAIN.value, label.first, ""
    if label.kind == labels.LANGUAGE:
        return EventKind.LANGUAGE.value, label.first, ""
    return None


def _event_matches(found: Understanding, expected: tuple[str, str, str]) -> bool:
    event = found.event
    if found.reading is not Reading.COMMAND or event is None:
        return False
    name, text, question = expected
    if name == EventKind.START.value and event.kind is EventKind.START:
        return True
    return (event.name, event.text, event.question) == (name, text, question)


def evaluate(content: Content, examples: Sequence[Example], multi: Sequence[MultiExample],
             thresholds: Thresholds = DEFAULT) -> Figures:
    """Every figure of one language on one split."""
    interpreter = Interpreter(content, thresholds)
    questions = content.questions
    figures = Figures(content.language)
    for number, example in enumerate(examples):
        label = Label.parse(example.label)
        if label.kind == labels.ANSWER or example.label == labels.UNSURE:
            _score_answer(figures, interpreter, content, example, label)
            continue
        expected = _expected_event(label)
        if expected is not None:
            mid = _timed(figures, interpreter, example.text, questions[number % len(questions)],
                         questions[number % len(questions) + 1:])
            after = _timed(figures, interpreter, example.text, None)
            figures.commands_mid_quiz.add(_event_matches(mid, expected))
            figures.commands_after_result.add(_event_matches(after, expected))
            figures.commands.add(_event_matches(mid, expected))
            figures.commands.add(_event_matches(after, expected))
            continue
        for question in (questions[number % len(questions)], None):
            found = _timed(figures, interpreter, example.text, question)
            if label.kind == labels.TOPIC:
                explained = found.event is not None and found.event.kind is EventKind.EXPLAIN \
                    and found.event.text == WHAT_IS.get(label.first)
                figures.topics_answered.add(explained or (found.reading is Reading.TOPIC and found.topic == label.first))
                figures.topics_wrong.add(found.reading is Reading.TOPIC and found.topic not in ("", label.first))
            elif label.kind == labels.UNCOVERED:
                figures.uncovered_declined.add(found.reading is Reading.TOPIC and found.topic == "")
                figures.topics_wrong.add(found.reading is Reading.TOPIC and found.topic != "")
            elif label.kind == labels.CHAT:
                figures.chat.add(found.reading is Reading.CHAT and found.topic == label.first)
            elif label.kind == labels.NONE:
                figures.none_ignored.add(found.reading in (Reading.NOTHING, Reading.CHAT)
                                         or (found.reading is Reading.TOPIC and found.topic == ""))
    engine = DialogEngine(content, thresholds=thresholds)
    for entry in multi:
        _score_multi(figures, engine, entry)
    return figures


def _score_answer(figures: Figures, interpreter: Interpreter, content: Content, example: Example, label: Label) -> None:
    questions = content.questions
    question_id = label.first if label.kind == labels.ANSWER else ""
    targets = [content.question(question_id)] if question_id else list(questions)
    for question in targets:
        if question is None:
            return
        expected = label.second if label.kind == labels.ANSWER else NOT_SURE
        index = content.question_index[question.id]
        found = _timed(figures, interpreter, example.text, question, questions[index + 1:])
        confusion = figures.confusions.setdefault(f"{question.id}.{expected}", Counter())
        if found.reading is Reading.ANSWER:
            right = found.options[0] == expected
            figures.answers_understood.add(right)
            figures.answers_taken.add(right)
            figures.answers_wrong.add(not right)
            figures.answers_as_command.add(False)
            confusion["taken " + found.options[0]] += 1
        elif found.reading is Reading.SUGGEST:
            figures.answers_understood.add(found.options[:1] == (expected,))
            figures.answers_taken.add(False)
            figures.answers_wrong.add(False)
            figures.answers_as_command.add(False)
            confusion["offered " + "/".join(found.options)] += 1
        else:
            figures.answers_understood.add(False)
            figures.answers_taken.add(False)
            figures.answers_wrong.add(False)
            acted = found.reading in (Reading.COMMAND, Reading.TOPIC, Reading.CHAT, Reading.CORRECT)
            figures.answers_as_command.add(acted)
            what = found.reading.value
            if found.event is not None:
                what += " " + found.event.name
            confusion[what + (" " + found.topic if found.topic else "")] += 1
        if not question_id:
            break  # "not sure" is scored once, on the first question


def _score_multi(figures: Figures, engine: DialogEngine, entry: MultiExample) -> None:
    """A first message stating several answers: which the engine filled (answered or noted)."""
    outcome = engine.handle(Session(chat_id=1), Event(EventKind.TEXT, text=entry.text))
    filled = dict((*outcome.session.answers, *outcome.session.prefilled))
    stated = dict(entry.facts)
    for question_id, option_id in stated.items():
        if option_id == NOT_SURE:
            continue
        figures.facts_filled.add(filled.get(question_id) == option_id)
    for question_id, option_id in filled.items():
        figures.facts_wrong.add(stated.get(question_id, option_id) != option_id or question_id not in stated)
