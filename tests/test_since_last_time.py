"""Issue 21, item 2: a new result after a retake or a changed answer opens with one line saying
which answers changed since the result before and whether the recommendation moved or held."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.content_files.loader import load_languages
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Reply, Role, Style
from dialogs.scoring import Answer, score
from dialogs.session import RESULT, PreviousResult, Session, changing_state
from tests.conftest import first_options, session_at


def a_move(content: Content) -> tuple[list[Answer], int, str]:
    """First options, and one question whose other option moves the recommendation (index, option)."""
    answers = first_options(content)
    before = score(content, answers).recommended
    for index, question in enumerate(content.questions):
        for option in question.options:
            changed = [*answers]
            changed[index] = (question.id, option.id)
            result = score(content, changed)
            if not result.all_unsure and result.recommended != before:
                return answers, index, option.id
    raise AssertionError("no single answer moves the result")


def a_hold(content: Content) -> tuple[list[Answer], int, str]:
    """First options, and one question whose other option keeps the recommendation."""
    answers = first_options(content)
    before = score(content, answers).recommended
    for index, question in enumerate(content.questions):
        for option in question.options[1:]:
            changed = [*answers]
            changed[index] = (question.id, option.id)
            result = score(content, changed)
            if not result.all_unsure and result.recommended == before:
                return answers, index, option.id
    raise AssertionError("no single answer keeps the result")


def play(engine: DialogEngine, session: Session, answers: Sequence[Answer]) -> tuple[Session, Reply]:
    """Answer every question (by typed commands: /restart first), return the session and the result."""
    outcome = engine.handle(session, Event(EventKind.RESTART))
    for question_id, option_id in answers:
        outcome = engine.handle(outcome.session, Event(EventKind.ANSWER, question=question_id, option=option_id,
                                                       generation=outcome.session.generation, via_button=True))
    assert outcome.session.state == RESULT
    (result,) = [reply for reply in outcome.replies if reply.role is Role.RESULT]
    return outcome.session, result


def path_name(content: Content, answers: Sequence[Answer]) -> str:
    return content.paths[score(content, answers).recommended].name


def test_a_first_result_says_nothing_about_last_time(content: Content, engine: DialogEngine) -> None:
    session, result = play(engine, Session(chat_id=1), first_options(content))
    assert result.plain_text.startswith(content.texts.render("result_headline", path=path_name(content, first_options(content))))
    assert session.previous is None


def test_a_retake_that_moves_the_result_says_what_changed_and_how(content: Content, engine: DialogEngine) -> None:
    answers, index, option_id = a_move(content)
    session, _ = play(engine, Session(chat_id=1), answers)
    retaken = [*answers]
    retaken[index] = (content.questions[index].id, option_id)
    session, result = play(engine, session, retaken)
    line = content.texts.render("since_moved", changes=content.questions[index].topic,
                                before=path_name(content, answers), after=path_name(content, retaken))
    assert result.plain_text.startswith(line + "\n\n" + content.texts.render("result_headline", path=path_name(content, retaken)))
    assert result.spans[0].style is Style.ITALIC
    assert session.previous == PreviousResult(tuple(answers), score(content, answers).recommended)


def test_a_retake_with_the_same_answers_says_it_held(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    session, _ = play(engine, Session(chat_id=1), answers)
    _, result = play(engine, session, answers)
    assert result.plain_text.startswith(content.texts.render("since_same", path=path_name(content, answers)))


def test_a_changed_answer_that_holds_says_so(content: Content, engine: DialogEngine) -> None:
    answers, index, option_id = a_hold(content)
    question = content.questions[index]
    asked = engine.handle(session_at(content, answers), Event(EventKind.CHANGE, question=question.id, generation=0,
                                                              via_button=True))
    assert asked.session.state == changing_state(question.id)
    done = engine.handle(asked.session, Event(EventKind.ANSWER, question=question.id, option=option_id,
                                              generation=0, via_button=True))
    (result,) = [reply for reply in done.replies if reply.role is Role.RESULT]
    assert result.plain_text.startswith(
        content.texts.render("since_held", changes=question.topic, path=path_name(content, answers)))
    assert done.session.previous == PreviousResult(tuple(answers), score(content, answers).recommended)
    # Shown again later (/start at the result), the result does not repeat the line.
    again = engine.handle(done.session, Event(EventKind.START))
    assert again.replies[-1].plain_text.startswith(content.texts["result_headline"].split("{")[0])


def test_a_changed_answer_that_moves_the_result_says_from_what_to_what(content: Content, engine: DialogEngine) -> None:
    answers, index, option_id = a_move(content)
    question = content.questions[index]
    asked = engine.handle(session_at(content, answers), Event(EventKind.CHANGE, text=question.id))
    done = engine.handle(asked.session, Event(EventKind.ANSWER, question=question.id, option=option_id,
                                              generation=0, via_button=True))
    changed = [*answers]
    changed[index] = (question.id, option_id)
    assert done.replies[-1].plain_text.startswith(content.texts.render(
        "since_moved", changes=question.topic, before=path_name(content, answers), after=path_name(content, changed)))


def test_changing_an_answer_to_the_same_option_keeps_the_older_comparison(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    question = content.questions[0]
    asked = engine.handle(session_at(content, answers), Event(EventKind.CHANGE, text=question.id))
    done = engine.handle(asked.session, Event(EventKind.ANSWER, question=question.id, option=answers[0][1],
                                              generation=0, via_button=True))
    assert done.session.previous is None
    assert done.replies[-1].plain_text.startswith(content.texts["result_headline"].split("{")[0])


def test_a_retake_abandoned_halfway_still_compares_with_the_last_finished_result(
        content: Content, engine: DialogEngine) -> None:
    answers, index, option_id = a_move(content)
    session, _ = play(engine, Session(chat_id=1), answers)
    halfway = engine.handle(session, Event(EventKind.RESTART))
    halfway = engine.handle(halfway.session, Event(EventKind.ANSWER, question=answers[0][0], option=answers[0][1],
                                                   generation=halfway.session.generation, via_button=True))
    retaken = [*answers]
    retaken[index] = (content.questions[index].id, option_id)
    session, result = play(engine, halfway.session, retaken)
    assert session.previous == PreviousResult(tuple(answers), score(content, answers).recommended)
    assert content.texts.render("since_moved", changes=content.questions[index].topic,
                                before=path_name(content, answers), after=path_name(content, retaken)) in result.plain_text


def test_forget_drops_the_previous_result(content: Content, engine: DialogEngine) -> None:
    answers = first_options(content)
    session, _ = play(engine, Session(chat_id=1), answers)
    session, _ = play(engine, session, answers)
    assert session.previous is not None
    forgotten = engine.handle(session, Event(EventKind.FORGET))
    assert forgotten.forget and forgotten.session.previous is None


@pytest.mark.parametrize("previous_path", ["retired-path"])
def test_a_previous_result_the_content_no_longer_knows_is_not_compared(
        content: Content, engine: DialogEngine, previous_path: str) -> None:
    answers = first_options(content)
    stale = Session(chat_id=1, previous=PreviousResult(tuple(answers), previous_path))
    _, result = play(engine, stale, answers)
    assert result.plain_text.startswith(content.texts["result_headline"].split("{")[0])


@pytest.mark.parametrize("language", ["en", "es", "pt", "ru"])
def test_each_language_says_it(language: str) -> None:
    content = load_languages()[language]
    engine = DialogEngine(content)
    answers, index, option_id = a_move(content)
    session, _ = play(engine, Session(chat_id=1, language=language), answers)
    retaken = [*answers]
    retaken[index] = (content.questions[index].id, option_id)
    _, result = play(engine, session, retaken)
    first_line = result.plain_text.split("\n")[0]
    assert content.questions[index].topic in first_line
    assert path_name(content, answers) in first_line and path_name(content, retaken) in first_line


@pytest.mark.parametrize("changed", [2, 3])
def test_several_changed_answers_are_listed_with_and(content: Content, engine: DialogEngine,
                                                                     changed: int) -> None:
    answers = first_options(content)
    session, _ = play(engine, Session(chat_id=1), answers)
    retaken = [*answers]
    for index in range(changed):
        question = content.questions[index]
        retaken[index] = (question.id, question.options[1].id)
    _, result = play(engine, session, retaken)
    topics = [question.topic for question in content.questions[:changed]]
    listed = content.texts.render("list_and", items=", ".join(topics[:-1]), last=topics[-1])
    assert listed == ", ".join(topics[:-1]) + " and " + topics[-1]
    first_line = result.plain_text.split("\n")[0]
    assert f"what you said about {listed};" in first_line
