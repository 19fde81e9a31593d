"""People's own words through the engine: commands in plain words (mid-quiz and after the
result), questions about the paths, small talk, several facts in one message, "no, I meant"."""

from __future__ import annotations

import pytest

from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Outcome, Role
from dialogs.session import Session, changing_state, question_state
from tests.conftest import all_text, first_options, session_at


def typed(engine: DialogEngine, session: Session, text: str) -> Outcome:
    return engine.handle(session, Event(EventKind.TEXT, text=text))


def buttons(outcome: Outcome) -> list[Event]:
    return [button.event for reply in outcome.replies for row in reply.buttons for button in row]


@pytest.fixture
def mid(content: Content) -> Session:
    return session_at(content, first_options(content, 3))


@pytest.fixture
def done(content: Content) -> Session:
    return session_at(content, first_options(content))


# -- commands in plain words --------------------------------------------------------------------
def test_undo_goes_back_one_answer(engine: DialogEngine, mid: Session) -> None:
    assert typed(engine, mid, "undo that last one").session.answers == mid.answers[:2]


def test_start_over_in_plain_words(engine: DialogEngine, mid: Session) -> None:
    restarted = typed(engine, mid, "can we start over from scratch")
    assert restarted.session.answers == () and restarted.session.generation != mid.generation


def test_why_after_the_result(engine: DialogEngine, done: Session) -> None:
    why = typed(engine, done, "why did i get this?")
    assert why.replies[0].plain_text == engine.handle(done, Event(EventKind.WHY)).replies[0].plain_text


def test_what_would_change_my_result(content: Content, engine: DialogEngine, done: Session, mid: Session) -> None:
    outcome = typed(engine, done, "what would change my result?")
    assert content.texts["whatif_title"] in all_text(outcome)
    assert outcome.session == done
    early = typed(engine, mid, "what would change my result?")
    assert content.texts["result_not_ready"] in all_text(early)
    assert early.replies[-1].role is Role.QUESTION  # and the quiz goes on where it was


def test_change_a_named_answer_goes_straight_to_that_question(engine: DialogEngine, done: Session) -> None:
    outcome = typed(engine, done, "change my answer about my job")
    assert outcome.session.state == changing_state("income")


def test_forget_in_plain_words_asks_first(content: Content, engine: DialogEngine, done: Session) -> None:
    asked = typed(engine, done, "please erase everything you know about me")
    assert not asked.forget and asked.session == done
    assert content.texts["forget_confirm"] in all_text(asked)
    (confirm, keep) = buttons(asked)
    assert engine.handle(done, confirm).forget
    assert not engine.handle(done, keep).forget
    assert engine.handle(done, Event(EventKind.FORGET)).forget  # /forget itself deletes at once


def test_explain_plan_help_privacy_remind_in_plain_words(content: Content, engine: DialogEngine, done: Session) -> None:
    assert content.paths["hybrid"].summary in all_text(typed(engine, done, "tell me more about the hybrid route"))
    plan = typed(engine, done, "so what should i do next?")
    assert plan.replies[0].plain_text == engine.handle(done, Event(EventKind.PLAN)).replies[0].plain_text
    assert content.texts["help_intro"] in all_text(typed(engine, done, "how does this bot work, what can you do"))
    privacy = content.texts.render("privacy", retention_days=engine.retention_days)
    assert all_text(typed(engine, done, "what data do you keep about me?")) == privacy
    assert typed(engine, done, "remind me about this in a couple of weeks").checkin is not None


def test_a_language_asked_for_in_words(engine: DialogEngine, mid: Session) -> None:
    meant = engine.read(mid, Event(EventKind.TEXT, text="can we do this in spanish?"))
    assert (meant.kind, meant.text) == (EventKind.LANGUAGE, "es")


# -- questions about the paths ------------------------------------------------------------------
def test_a_question_about_the_paths_is_answered_from_the_article(content: Content, engine: DialogEngine,
                                                                 mid: Session) -> None:
    outcome = typed(engine, mid, "do AI jobs pay well?")
    assert outcome.session == mid and not outcome.changed
    text = all_text(outcome)
    assert content.excerpts["ai_salaries"].text in text
    assert content.texts.render("attribution", title=content.article_title,
                                section=content.excerpts["ai_salaries"].section) in text
    assert outcome.replies[-1].role is Role.QUESTION  # back where they were


def test_an_unanswerable_question_is_declined_honestly(content: Content, engine: DialogEngine, done: Session) -> None:
    outcome = typed(engine, done, "which bootcamp is the best one to join?")
    assert all_text(outcome) == content.texts["topic_uncovered"]
    assert not any(excerpt.text in all_text(outcome) for excerpt in content.excerpts.values())


# -- small talk ---------------------------------------------------------------------------------
def test_a_new_chat_that_says_hi_is_greeted(content: Content, engine: DialogEngine) -> None:
    outcome = typed(engine, Session(chat_id=1), "hi")
    assert outcome.session.state == question_state(content.questions[0].id)
    assert content.texts.render("greeting", total=len(content.questions)) in all_text(outcome)
    assert content.texts["resume"] not in all_text(outcome)


def test_small_talk_mid_quiz_keeps_the_person_where_they_are(content: Content, engine: DialogEngine,
                                                            mid: Session) -> None:
    for text, key in (("thanks!", "chat_thanks"), ("lol", "chat_laugh"), ("who are you?", "chat_identity")):
        outcome = typed(engine, mid, text)
        assert outcome.session == mid, text
        assert outcome.replies[0].plain_text == engine.views.chat(key[len("chat_"):]).plain_text, text
        assert outcome.replies[-1].role is Role.QUESTION


# -- several facts in one message ---------------------------------------------------------------
def test_a_first_message_with_several_facts_fills_them_and_says_them_back(content: Content,
                                                                          engine: DialogEngine) -> None:
    outcome = typed(engine, Session(chat_id=1), "software dev, lots of free time since I got laid off, "
                                                 "want to be my own boss")
    filled = dict((*outcome.session.answers, *outcome.session.prefilled))
    assert filled.get("skills") == "specialist"
    assert filled.get("autonomy") == "own_boss"
    noted = [reply for reply in outcome.replies if content.texts["facts_noted"] in reply.plain_text]
    assert len(noted) == 1
    for question_id, option_id in filled.items():
        question = content.question(question_id)
        assert question is not None
        assert question.option(option_id).label in noted[0].plain_text  # type: ignore[union-attr]
    # The question asked is the first one still open.
    asked = outcome.replies[-1]
    assert asked.role is Role.QUESTION
    first_open = next(q for q in content.questions if q.id not in filled)
    assert first_open.text in asked.plain_text


def answer(engine: DialogEngine, session: Session, question_id: str, option_id: str) -> Outcome:
    return engine.handle(session, Event(EventKind.ANSWER, question=question_id, option=option_id,
                                        generation=session.generation, via_button=True))


SUNDAYS = "no free time at all, two kids"  # "free time" said under a negation: never "plenty"


def test_stated_answers_are_taken_when_the_quiz_reaches_them(content: Content, engine: DialogEngine) -> None:
    start = engine.handle(Session(chat_id=1), Event(EventKind.START)).session
    outcome = typed(engine, start, SUNDAYS)  # asked about skills, told about time
    assert outcome.session.answers == () and outcome.session.prefilled == (("time", "little"),)
    assert content.texts["facts_noted"] in all_text(outcome)
    assert content.texts.render("answer_hint", count=len(content.questions[0].choices)) not in all_text(outcome)
    assert outcome.replies[-1].role is Role.QUESTION and content.questions[0].text in outcome.replies[-1].plain_text
    session = answer(engine, outcome.session, "skills", "generalist").session
    moved = answer(engine, session, "risk", "predictable")
    assert moved.session.answers[1:] == (("risk", "predictable"), ("time", "little"))
    assert moved.session.state == question_state("goals") and moved.session.prefilled == ()
    asked = [reply for reply in moved.replies if reply.role is Role.QUESTION]
    assert len(asked) == 1 and content.question("goals").text in asked[0].plain_text  # type: ignore[union-attr]


def test_a_stated_answer_can_be_asked_again_with_one_tap(content: Content, engine: DialogEngine) -> None:
    start = engine.handle(Session(chat_id=1), Event(EventKind.START)).session
    outcome = typed(engine, start, SUNDAYS)
    reopen = next(event for event in buttons(outcome) if event.kind is EventKind.REOPEN)
    assert reopen.question == "time"
    reopened = engine.handle(outcome.session, reopen)
    assert reopened.session.prefilled == () and reopened.changed
    assert reopened.notice == content.texts.render("fact_reopened", topic=content.question("time").topic)  # type: ignore[union-attr]
    session = answer(engine, reopened.session, "skills", "generalist").session
    assert answer(engine, session, "risk", "predictable").session.state == question_state("time")  # asked after all
    stale = engine.handle(reopened.session, reopen)
    assert not stale.changed and stale.notice == content.texts["stale_button"]


def test_restart_forgets_stated_answers(engine: DialogEngine) -> None:
    start = engine.handle(Session(chat_id=1), Event(EventKind.START)).session
    outcome = typed(engine, start, SUNDAYS)
    assert outcome.session.prefilled
    assert engine.handle(outcome.session, Event(EventKind.RESTART)).session.prefilled == ()


# -- "no, I meant ..." --------------------------------------------------------------------------
def test_no_i_meant_corrects_the_answer_just_taken(content: Content, engine: DialogEngine) -> None:
    session = session_at(content, first_options(content, 1))
    taken = typed(engine, session, "a fixed salary every month, i have a mortgage")
    assert taken.session.answers[-1] == ("risk", "predictable")
    fixed = typed(engine, taken.session, "no, i meant i'm fine with uneven income")
    assert fixed.session.answers == (*session.answers, ("risk", "variable_ok"))
    assert fixed.session.state == question_state("time")


def test_nothing_typed_is_kept(content: Content, engine: DialogEngine) -> None:
    """The session holds ids only: no typed text survives into what is stored."""
    for secret in ("my name is Zebulon and I write sql all day", "Zebulon here: do AI jobs pay well?",
                   "hi, Zebulon speaking, i have no job and lots of free time"):
        outcome = typed(engine, Session(chat_id=1), secret)
        assert "Zebulon" not in repr(outcome.session) and "sql" not in repr(outcome.session)


def test_a_first_message_that_asks_something_gets_its_answer_then_the_quiz(content: Content,
                                                                          engine: DialogEngine) -> None:
    outcome = typed(engine, Session(chat_id=1), "do AI jobs pay well?")
    assert content.excerpts["ai_salaries"].text in outcome.replies[0].plain_text
    assert outcome.session.state == question_state(content.questions[0].id)
    assert outcome.replies[-1].role is Role.QUESTION
