"""Understanding typed replies: the labelled corpus (tests/data/answer_corpus.yaml), negation,
typos, "Not sure", "Did you mean", and commands in plain words, through the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.content import NOT_SURE, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Role
from dialogs.session import EXPLAINING, NEW, RESULT, Session
from dialogs.understanding import Interpreter, Reading
from tests.conftest import all_text, first_options, session_at
from tests.corpus import score_corpus

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "answer_corpus.yaml").read_text(encoding="utf-8"))["questions"]
MIN_UNDERSTOOD = 0.90


@pytest.fixture(scope="module")
def interpreter(content: Content) -> Interpreter:
    return Interpreter(content)


def test_corpus_is_varied_enough(content: Content) -> None:
    for question in content.questions:
        replies = CORPUS[question.id]
        for option in question.options:
            assert len(replies[option.id]) >= 6, (question.id, option.id)
        assert replies["none"] and replies["not_sure"]


def test_corpus_understood_with_no_silent_wrong_answer(content: Content, interpreter: Interpreter) -> None:
    """At least 90% of replies understood (taken, or offered first in "Did you mean"); an
    option the person did not mean is never taken; replies meaning nothing are never taken."""
    scored = score_corpus(content, CORPUS)
    total, understood, taken, wrong = scored.total, scored.understood, scored.taken, scored.wrong
    print(f"\ncorpus: {understood}/{total} understood ({understood / total:.1%}), {taken} taken, {len(wrong)} wrong")
    assert not wrong, wrong
    assert understood / total >= MIN_UNDERSTOOD


@pytest.mark.parametrize(
    ("question_id", "text", "option_id"),
    [
        ("risk", "i'd rather have a steady paycheck", "predictable"),
        ("risk", "ups and downs don't bother me", "variable_ok"),
        ("risk", "uneven incom is fine", "variable_ok"),
        ("risk", "not much risk please", "predictable"),
        ("risk", "I don't mind uneven income", "variable_ok"),
        ("autonomy", "being my own boss is not for me, i want an employer", "structure"),
        ("income", "yes and I'm keeping it", "keep_job"),
        ("learning", "no idea", NOT_SURE),
        ("learning", "dunno", NOT_SURE),
        ("time", "skip", NOT_SURE),
        ("time", "4", NOT_SURE),
        ("time", "Not sure", NOT_SURE),
    ],
)
def test_clear_replies_are_taken(content: Content, interpreter: Interpreter, question_id: str, text: str,
                                 option_id: str) -> None:
    reading = interpreter.read(text, content.question(question_id))
    assert (reading.reading, reading.options) == (Reading.ANSWER, (option_id,))


def test_negation_never_selects_the_negated_option(content: Content, interpreter: Interpreter) -> None:
    question = content.question("risk")
    for text in ("not much risk please", "i don't like uneven income", "no ups and downs"):
        reading = interpreter.read(text, question)
        assert "variable_ok" not in reading.options[:1], text


def test_two_options_in_one_reply_ask_did_you_mean(content: Content, interpreter: Interpreter) -> None:
    reading = interpreter.read("I have a job but I want to leave it", content.question("income"))
    assert reading.reading is Reading.SUGGEST
    assert reading.options[0] == "ready_to_leave"  # what follows "but" is what the person means most
    assert "keep_job" in reading.options


# -- through the engine ------------------------------------------------------------------------
def typed(engine: DialogEngine, session: Session, text: str):  # type: ignore[no-untyped-def]
    return engine.handle(session, Event(EventKind.TEXT, text=text))


def test_taken_reply_says_what_was_understood(content: Content, engine: DialogEngine) -> None:
    session = session_at(content, first_options(content, 1))
    outcome = typed(engine, session, "ups and downs don't bother me")
    label = content.question("risk").option("variable_ok").label  # type: ignore[union-attr]
    assert outcome.session.answers[-1] == ("risk", "variable_ok")
    assert content.texts.render("understood", label=label) in all_text(outcome)


def test_exact_labels_and_numbers_are_not_acknowledged_twice(content: Content, engine: DialogEngine) -> None:
    session = session_at(content, first_options(content, 1))
    outcome = typed(engine, session, "2")
    assert outcome.session.answers[-1] == ("risk", content.questions[1].options[1].id)
    assert content.texts["understood"].split("{")[0] not in all_text(outcome)


def test_did_you_mean_offers_buttons_and_changes_nothing(content: Content, engine: DialogEngine) -> None:
    session = session_at(content, first_options(content, 5))
    outcome = typed(engine, session, "I have a job but I want to leave it")
    assert not outcome.changed and outcome.session == session
    (reply,) = outcome.replies
    assert reply.role is Role.INFO
    events = [b.event for row in reply.buttons for b in row]
    assert [e.option for e in events][:2] == ["ready_to_leave", "keep_job"]
    assert {(e.kind, e.question, e.generation) for e in events} == {(EventKind.ANSWER, "income", session.generation)}
    # Pressing a candidate answers the question.
    pressed = engine.handle(session, events[0])
    assert pressed.session.answers[-1] == ("income", "ready_to_leave")
    # The same button after the quiz moved on is stale and changes nothing.
    stale = engine.handle(pressed.session, events[1])
    assert not stale.changed and stale.notice == content.texts["stale_button"]
    # Typing the candidate's number (as on the question) works as well.
    by_number = typed(engine, session, "2")
    assert by_number.session.answers[-1] == ("income", content.question("income").options[1].id)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "kind", "path"),
    [
        ("start over", EventKind.RESTART, ""), ("Restart!", EventKind.RESTART, ""), ("strat over", EventKind.RESTART, ""),
        ("go back", EventKind.BACK, ""), ("back", EventKind.BACK, ""),
        ("why?", EventKind.WHY, ""), ("Help", EventKind.HELP, ""),
        ("what is hybrid?", EventKind.EXPLAIN, "hybrid"),
        ("tell me about side hustles", EventKind.EXPLAIN, "side_hustle"),
        ("explain generative ai", EventKind.EXPLAIN, "generative_ai"),
        ("What's a side hustel?", EventKind.EXPLAIN, "side_hustle"),
        ("what is the hybird", EventKind.EXPLAIN, "hybrid"),
    ],
)
def test_plain_word_commands(content: Content, engine: DialogEngine, interpreter: Interpreter, text: str,
                             kind: EventKind, path: str) -> None:
    for question in (None, *content.questions):
        reading = interpreter.read(text, question)
        assert reading.reading is Reading.COMMAND and reading.event is not None, (text, question)
        assert reading.event.kind is kind
        assert engine.path_id(reading.event.text) == path


def test_plain_words_do_what_the_command_does(content: Content, engine: DialogEngine) -> None:
    mid = session_at(content, first_options(content, 3))
    assert typed(engine, mid, "go back").session.answers == mid.answers[:2]
    restarted = typed(engine, mid, "start over")
    assert restarted.session.answers == () and restarted.session.generation != mid.generation
    explained = typed(engine, mid, "what is hybrid?")
    assert content.paths["hybrid"].summary in all_text(explained)
    assert explained.session == mid  # the quiz goes on where it was
    done = session_at(content, first_options(content))
    why = typed(engine, done, "why?")
    assert why.session.state == EXPLAINING
    assert why.replies[0].plain_text == engine.handle(done, Event(EventKind.WHY)).replies[0].plain_text


def test_answers_win_over_plain_commands_where_they_could_be_confused(content: Content, interpreter: Interpreter) -> None:
    """A reply that is an answer's exact label is an answer, whatever it says."""
    for question in content.questions:
        for option in question.choices:
            reading = interpreter.read(option.label, question)
            assert (reading.reading, reading.options) == (Reading.ANSWER, (option.id,))


# -- "Not sure" in the dialog ---------------------------------------------------------------------
@pytest.mark.parametrize("index", range(7))
def test_not_sure_is_accepted_on_every_question(content: Content, engine: DialogEngine, index: int) -> None:
    session = session_at(content, first_options(content, index))
    reply = engine.handle(session, Event(EventKind.START)).replies[-1]
    labels = [b.label for row in reply.buttons for b in row]
    assert content.questions[index].not_sure.label in labels
    outcome = typed(engine, session, "no idea")
    assert outcome.session.answers[-1] == (content.questions[index].id, NOT_SURE)


def test_all_unsure_says_there_is_not_enough_to_go_on(content: Content, engine: DialogEngine) -> None:
    session = Session(chat_id=1)
    session = engine.handle(session, Event(EventKind.START)).session
    for _ in content.questions:
        outcome = typed(engine, session, "not sure")
        session = outcome.session
    assert session.state == RESULT
    (reply,) = [r for r in outcome.replies if r.role is Role.RESULT]
    assert reply.plain_text == content.texts["result_all_unsure"]
    assert [b.event.kind for row in reply.buttons for b in row] == [EventKind.RESTART]
    assert all(content.paths[p].name not in reply.plain_text for p in content.paths)


def test_result_names_the_unsure_answers_and_what_would_change_it(content: Content, engine: DialogEngine) -> None:
    learning = content.question("learning")
    assert learning is not None
    answers = []
    for question in content.questions:
        best = max(question.options, key=lambda o: o.weights["generative_ai"] - o.weights["side_hustle"])
        answers.append((question.id, NOT_SURE if question.id == "learning" else best.id))
    result_text = engine.handle(session_at(content, answers), Event(EventKind.START)).replies[-1].plain_text
    assert content.texts.render("result_unsure", topics=learning.topic) in result_text
    assert learning.options[0].label in result_text  # "answering 'Yes, ...' on learning would ..."
    ruled_out = [r for r in content.requirements if r.path == "generative_ai"][0]
    assert ruled_out.unmet in result_text


def test_unsure_that_changes_nothing_is_said_to_hold(content: Content, engine: DialogEngine) -> None:
    answers = [(q.id, q.options[0].id) for q in content.questions]
    answers[-1] = (answers[-1][0], NOT_SURE)
    from dialogs.scoring import score
    from dialogs.what_if import unsure_outlook
    result, outlook = score(content, answers), unsure_outlook(content, answers)
    text = engine.handle(session_at(content, answers), Event(EventKind.START)).replies[-1].plain_text
    if outlook.holds:
        assert content.texts.render("result_unsure_holds", path=content.paths[result.recommended].name) in text
    else:
        assert outlook.changer is not None and outlook.changer[1].label in text


def test_text_before_the_quiz_is_still_a_greeting_unless_a_command(content: Content, engine: DialogEngine) -> None:
    fresh = Session(chat_id=1)
    assert typed(engine, fresh, "hello there friend").session.state != NEW
    assert typed(engine, fresh, "help").session == fresh
