"""The dialog machine's structure, and every trigger in every kind of state, driven through
DialogEngine.handle with Event objects."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import pytest

from dialogs.content import PATH_IDS, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.machine import TRIGGERS, build_machine, state_names
from dialogs.replies import Outcome, Role
from dialogs.scoring import score
from dialogs.session import EXPLAINING, NEW, RESULT, Session, changing_state, question_state
from tests.conftest import all_text, answer_event, first_options, header_prefix, press, session_at


# -- structure -------------------------------------------------------------------------------------
def _edges(content: Content) -> dict[str, set[str]]:
    """state -> states reachable in one transition, read from the compiled machine."""
    machine = build_machine(content)
    edges: dict[str, set[str]] = {name: set() for name in machine.states}
    for event in machine.events.values():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                edges[source].add(transition.dest if transition.dest is not None else source)
    return edges


def test_states_are_new_one_per_question_result_and_explaining(content: Content) -> None:
    machine = build_machine(content)
    expected = {NEW, RESULT, EXPLAINING} | {question_state(q.id) for q in content.questions} | {
        changing_state(q.id) for q in content.questions}
    assert set(machine.states) == expected
    assert len(machine.states) == 2 * len(content.questions) + 3
    assert state_names(content)[0] == NEW
    assert set(machine.events) == set(TRIGGERS)


def test_every_state_is_reachable_from_new(content: Content) -> None:
    edges = _edges(content)
    seen, queue = {NEW}, deque([NEW])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(edges)


def test_every_state_has_a_way_out(content: Content) -> None:
    for state, targets in _edges(content).items():
        assert targets, f"{state} has no outgoing transition"
        assert targets - {state}, f"{state} can never be left"


def test_every_trigger_is_defined_in_every_state(content: Content) -> None:
    """Each trigger is defined for every state (no MachineError for any input)."""
    machine = build_machine(content)
    for trigger, event in machine.events.items():
        assert set(event.transitions) == set(machine.states), trigger


# -- helpers -----------------------------------------------------------------------------------
def assert_asks(content: Content, outcome: Outcome, number: int) -> None:
    """The last reply asks question ``number`` (1-based), with the session's generation on its buttons."""
    reply = outcome.replies[-1]
    assert reply.role is Role.QUESTION
    assert reply.plain_text.startswith(header_prefix(content, number))
    question = content.questions[number - 1]
    assert question.text in reply.plain_text
    answers = [b.event for row in reply.buttons for b in row if b.event.kind is EventKind.ANSWER]
    assert [e.option for e in answers] == [o.id for o in question.choices]
    assert {e.question for e in answers} == {question.id}
    assert {e.generation for e in answers} == {outcome.session.generation}


def assert_unchanged(before: Session, outcome: Outcome) -> None:
    assert not outcome.changed
    assert outcome.session == before


@pytest.fixture
def mid(content: Content) -> Session:
    """Two questions answered, generation 3 (some restarts happened)."""
    return session_at(content, first_options(content, 2), generation=3)


@pytest.fixture
def finished(content: Content) -> Session:
    return session_at(content, first_options(content))


# -- start -------------------------------------------------------------------------------------
class TestStart:
    def test_new_greets_and_asks_first_question(self, engine: DialogEngine, content: Content) -> None:
        outcome = engine.handle(Session(chat_id=1), Event(EventKind.START))
        assert outcome.changed
        assert outcome.session.state == question_state(content.questions[0].id)
        assert outcome.session.answers == ()
        assert outcome.replies[0].plain_text == content.texts.render("greeting", total=len(content.questions))
        assert_asks(content, outcome, 1)

    def test_mid_quiz_resumes_the_same_question(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, Event(EventKind.START))
        assert_unchanged(mid, outcome)
        assert outcome.replies[0].plain_text == content.texts["resume"]
        assert_asks(content, outcome, 3)

    @pytest.mark.parametrize("state", [RESULT, EXPLAINING])
    def test_finished_shows_the_result_again(self, engine: DialogEngine, content: Content, finished: Session, state: str) -> None:
        session = replace(finished, state=state)
        outcome = engine.handle(session, Event(EventKind.START))
        assert outcome.session.state == RESULT
        assert outcome.session.answers == finished.answers
        assert [r.role for r in outcome.replies] == [Role.RESULT]


# -- answer ------------------------------------------------------------------------------------
class TestAnswer:
    def test_current_button_moves_to_next_question(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        event = answer_event(content, 2, 1, generation=mid.generation)
        outcome = engine.handle(mid, event)
        assert outcome.changed
        assert outcome.session.answers == mid.answers + ((content.questions[2].id, content.questions[2].options[1].id),)
        assert outcome.session.state == question_state(content.questions[3].id)
        assert outcome.session.generation == mid.generation
        assert content.questions[2].options[1].label in outcome.closed_prompt.plain_text
        assert outcome.closed_prompt.buttons == ()
        assert_asks(content, outcome, 4)

    def test_last_answer_shows_the_result(self, engine: DialogEngine, content: Content) -> None:
        last = len(content.questions) - 1
        session = session_at(content, first_options(content, last))
        outcome = engine.handle(session, answer_event(content, last, 0))
        assert outcome.session.state == RESULT
        assert len(outcome.session.answers) == len(content.questions)
        assert outcome.replies[-1].role is Role.RESULT

    def test_button_from_an_older_quiz_is_stale(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, answer_event(content, 2, 0, generation=mid.generation - 1))
        assert_unchanged(mid, outcome)
        assert outcome.notice == content.texts["stale_button"]
        assert outcome.replies == ()

    @pytest.mark.parametrize("other", [0, 1, 4])
    def test_button_of_another_question_is_stale(self, engine: DialogEngine, content: Content, mid: Session, other: int) -> None:
        outcome = engine.handle(mid, answer_event(content, other, 0, generation=mid.generation))
        assert_unchanged(mid, outcome)
        assert outcome.notice == content.texts["stale_button"]

    def test_unknown_option_of_current_question_is_invalid(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        event = Event(EventKind.ANSWER, question=content.questions[2].id, option="no_such_option",
                      generation=mid.generation, via_button=True)
        outcome = engine.handle(mid, event)
        assert_unchanged(mid, outcome)
        assert outcome.notice == content.texts["invalid_button"]

    def test_double_tap_changes_the_session_once(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        event = answer_event(content, 2, 2, generation=mid.generation)
        first = engine.handle(mid, event)
        second = engine.handle(first.session, event)
        assert first.changed and not second.changed
        assert second.session == first.session
        assert len(second.session.answers) == len(mid.answers) + 1
        assert second.notice == content.texts["stale_button"]

    def test_pressing_a_rendered_button_works(self, engine: DialogEngine, content: Content) -> None:
        outcome = engine.handle(Session(chat_id=1), Event(EventKind.START))
        label = content.questions[0].options[1].label
        outcome = engine.handle(outcome.session, press(outcome.replies[-1], label))
        assert outcome.session.answers == ((content.questions[0].id, content.questions[0].options[1].id),)

    def test_answers_after_the_result_are_stale(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        outcome = engine.handle(finished, answer_event(content, len(content.questions) - 1, 1))
        assert_unchanged(finished, outcome)
        assert outcome.notice == content.texts["stale_button"]


# -- typed text --------------------------------------------------------------------------------
class TestText:
    def _typed(self, engine: DialogEngine, session: Session, text: str) -> Outcome:
        return engine.handle(session, Event(EventKind.TEXT, text=text))

    def test_number_answers(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        question = content.questions[2]
        outcome = self._typed(engine, mid, str(len(question.options)))
        assert outcome.session.answers[-1] == (question.id, question.options[-1].id)
        assert_asks(content, outcome, 4)

    def test_label_answers_ignoring_case_and_punctuation(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        question = content.questions[2]
        label = question.options[1].label
        typed = "  " + label.swapcase().replace(" ", "  ") + "!!?"
        outcome = self._typed(engine, mid, typed)
        assert outcome.session.answers[-1] == (question.id, question.options[1].id)

    def test_option_id_answers(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        question = content.questions[2]
        outcome = self._typed(engine, mid, question.options[0].id)
        assert outcome.session.answers[-1] == (question.id, question.options[0].id)

    @pytest.mark.parametrize("text", ["banana", "0", "99", "", "asdf qwerty zxcv"])
    def test_other_text_gets_a_hint_and_the_question_again(
        self, engine: DialogEngine, content: Content, mid: Session, text: str
    ) -> None:
        outcome = self._typed(engine, mid, text)
        assert_unchanged(mid, outcome)
        count = len(content.questions[2].choices)
        assert outcome.replies[0].plain_text == content.texts.render("answer_hint", count=count)
        assert_asks(content, outcome, 3)

    def test_text_after_the_result_gets_the_finished_hint(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        outcome = self._typed(engine, finished, "1")
        assert_unchanged(finished, outcome)
        assert all_text(outcome) == content.texts["finished_hint"]

    def test_text_before_starting_greets(self, engine: DialogEngine, content: Content) -> None:
        outcome = self._typed(engine, Session(chat_id=1), "hello")
        assert outcome.session.state == question_state(content.questions[0].id)
        assert outcome.session.answers == ()
        assert_asks(content, outcome, 1)


# -- back --------------------------------------------------------------------------------------
class TestBack:
    def test_first_question_says_there_is_nothing_to_go_back_to(self, engine: DialogEngine, content: Content) -> None:
        session = session_at(content, [])
        outcome = engine.handle(session, Event(EventKind.BACK))
        assert_unchanged(session, outcome)
        assert all_text(outcome) == content.texts["back_at_first"]

    def test_typed_back_mid_quiz_removes_the_last_answer(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, Event(EventKind.BACK))
        assert outcome.changed
        assert outcome.session.answers == mid.answers[:-1]
        assert outcome.session.state == question_state(content.questions[1].id)
        assert outcome.replies[0].plain_text == content.texts["back_done"]
        assert_asks(content, outcome, 2)

    def test_back_button_of_the_current_question(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        shown = engine.handle(mid, Event(EventKind.START)).replies[-1]
        outcome = engine.handle(mid, press(shown, content.texts["button_back"]))
        assert outcome.session.answers == mid.answers[:-1]
        assert outcome.notice == content.texts["back_done"]
        assert_asks(content, outcome, 2)

    def test_back_from_the_result_returns_to_the_last_question(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        outcome = engine.handle(finished, Event(EventKind.BACK))
        assert outcome.session.answers == finished.answers[:-1]
        assert outcome.session.state == question_state(content.questions[-1].id)
        assert_asks(content, outcome, len(content.questions))

    def test_back_from_explaining_returns_to_the_last_question(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        explaining = engine.handle(finished, Event(EventKind.WHY)).session
        assert explaining.state == EXPLAINING
        outcome = engine.handle(explaining, Event(EventKind.BACK))
        assert outcome.session.state == question_state(content.questions[-1].id)

    def test_stale_back_button_changes_nothing(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        old = Event(EventKind.BACK, question=content.questions[1].id, generation=mid.generation, via_button=True)
        outcome = engine.handle(mid, old)
        assert_unchanged(mid, outcome)
        assert outcome.notice == content.texts["stale_button"]
        older = Event(EventKind.BACK, question=content.questions[2].id, generation=mid.generation - 1, via_button=True)
        outcome = engine.handle(mid, older)
        assert_unchanged(mid, outcome)

    def test_double_tapped_back_goes_back_once(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        shown = engine.handle(mid, Event(EventKind.START)).replies[-1]
        back = press(shown, content.texts["button_back"])
        first = engine.handle(mid, back)
        second = engine.handle(first.session, back)
        assert not second.changed
        assert second.session.answers == mid.answers[:-1]

    def test_back_before_starting(self, engine: DialogEngine, content: Content) -> None:
        session = Session(chat_id=1)
        outcome = engine.handle(session, Event(EventKind.BACK))
        assert_unchanged(session, outcome)
        assert all_text(outcome) == content.texts["back_not_started"]


# -- restart -----------------------------------------------------------------------------------
class TestRestart:
    @pytest.mark.parametrize("where", ["new", "first", "mid", "result", "explaining"])
    def test_restart_from_anywhere(self, engine: DialogEngine, content: Content, where: str) -> None:
        sessions = {
            "new": Session(chat_id=1, generation=2),
            "first": session_at(content, [], generation=2),
            "mid": session_at(content, first_options(content, 4), generation=2),
            "result": session_at(content, first_options(content), generation=2),
            "explaining": replace(session_at(content, first_options(content), generation=2), state=EXPLAINING),
        }
        session = sessions[where]
        outcome = engine.handle(session, Event(EventKind.RESTART))
        assert outcome.changed
        assert outcome.session.state == question_state(content.questions[0].id)
        assert outcome.session.answers == ()
        assert outcome.session.generation == 3
        assert outcome.replies[0].plain_text == content.texts["restarted"]
        assert_asks(content, outcome, 1)

    def test_buttons_of_the_previous_quiz_become_stale(self, engine: DialogEngine, content: Content) -> None:
        start = engine.handle(Session(chat_id=1), Event(EventKind.START))
        old_button = press(start.replies[-1], content.questions[0].options[0].label)
        restarted = engine.handle(start.session, Event(EventKind.RESTART))
        outcome = engine.handle(restarted.session, old_button)
        assert_unchanged(restarted.session, outcome)
        assert outcome.notice == content.texts["stale_button"]

    def test_restart_button_on_result(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        result = engine.handle(finished, Event(EventKind.START)).replies[-1]
        outcome = engine.handle(finished, press(result, content.texts["button_restart"]))
        assert outcome.session.answers == ()
        assert outcome.notice == content.texts["restarted"]


# -- explain -----------------------------------------------------------------------------------
class TestExplain:
    @pytest.mark.parametrize("path_id", PATH_IDS)
    def test_mid_quiz_explains_and_asks_the_question_again(
        self, engine: DialogEngine, content: Content, mid: Session, path_id: str
    ) -> None:
        outcome = engine.handle(mid, Event(EventKind.EXPLAIN, text=path_id))
        assert_unchanged(mid, outcome)
        path = content.paths[path_id]
        explanation = outcome.replies[0].plain_text
        assert explanation.startswith(content.texts.render("explain_title", path=path.name))
        assert path.summary in explanation and path.fits in explanation
        for item in (*path.pros, *path.cons):
            assert item in explanation
        assert outcome.replies[0].buttons == ()
        assert outcome.replies[1].plain_text == content.texts["continue_quiz"]
        assert_asks(content, outcome, 3)

    @pytest.mark.parametrize("path_id", PATH_IDS)
    def test_after_result_moves_to_explaining(self, engine: DialogEngine, content: Content, finished: Session, path_id: str) -> None:
        outcome = engine.handle(finished, Event(EventKind.EXPLAIN, text=path_id, via_button=True))
        assert outcome.session.state == EXPLAINING
        assert outcome.session.answers == finished.answers
        assert content.paths[path_id].summary in all_text(outcome)
        assert outcome.replies[-1].buttons  # explain/why/restart stay available

    def test_unknown_path_lists_choices_and_offers_the_menu(self, engine: DialogEngine, content: Content, finished: Session) -> None:
        outcome = engine.handle(finished, Event(EventKind.EXPLAIN, text="astronaut"))
        assert outcome.replies[0].plain_text == content.texts.render("explain_unknown", choices=", ".join(PATH_IDS))
        menu = outcome.replies[1]
        assert menu.plain_text == content.texts["explain_menu"]
        assert {b.event.text for row in menu.buttons for b in row} == set(PATH_IDS)

    def test_no_argument_offers_the_menu(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, Event(EventKind.EXPLAIN))
        assert_unchanged(mid, outcome)
        assert outcome.replies[0].plain_text == content.texts["explain_menu"]
        assert {b.event.text for row in outcome.replies[0].buttons for b in row} == set(PATH_IDS)
        assert_asks(content, outcome, 3)

    def test_before_starting_explains_without_starting(self, engine: DialogEngine, content: Content) -> None:
        session = Session(chat_id=1)
        outcome = engine.handle(session, Event(EventKind.EXPLAIN, text="hybrid"))
        assert_unchanged(session, outcome)
        assert content.paths["hybrid"].summary in all_text(outcome)


# -- why ---------------------------------------------------------------------------------------
class TestWhy:
    def test_before_the_end_is_not_ready_and_asks_again(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, Event(EventKind.WHY))
        assert_unchanged(mid, outcome)
        assert outcome.replies[0].plain_text == content.texts["result_not_ready"]
        assert_asks(content, outcome, 3)

    def test_before_starting_is_not_ready(self, engine: DialogEngine, content: Content) -> None:
        session = Session(chat_id=1)
        outcome = engine.handle(session, Event(EventKind.WHY))
        assert_unchanged(session, outcome)
        assert all_text(outcome) == content.texts["result_not_ready"]

    def test_after_the_result_lists_every_answer_with_points(self, engine: DialogEngine, content: Content) -> None:
        answers = [(q.id, q.options[-1].id) for q in content.questions]
        session = session_at(content, answers)
        outcome = engine.handle(session, Event(EventKind.WHY))
        assert outcome.session.state == EXPLAINING
        text = all_text(outcome)
        result = score(content, answers)
        best = content.paths[result.recommended].name
        assert text.startswith(content.texts.render("why_title", path=best))
        for contribution in result.contributions:
            line = content.texts.render("why_line", factor=contribution.question.factor, answer=contribution.option.label,
                                        gains=engine.views.gains(contribution))
            assert line in text
            assert contribution.option.reason in text


# -- informational commands and forget ---------------------------------------------------------
class TestInfo:
    @pytest.mark.parametrize("name", ["help", "privacy"])
    def test_help_and_privacy_change_nothing(self, engine: DialogEngine, content: Content, mid: Session, name: str) -> None:
        outcome = engine.handle(mid, Event(EventKind.COMMAND, command=name))
        assert_unchanged(mid, outcome)
        expected = engine.views.info(name, retention_days=engine.retention_days).plain_text
        assert all_text(outcome) == expected
        assert content.texts[f"{name}_intro" if name == "help" else name].split("{")[0] in expected

    def test_privacy_states_the_retention(self, content: Content) -> None:
        engine = DialogEngine(content, retention_days=17)
        outcome = engine.handle(Session(chat_id=1), Event(EventKind.COMMAND, command="privacy"))
        assert "17" in all_text(outcome)

    def test_unknown_command_changes_nothing(self, engine: DialogEngine, content: Content, mid: Session) -> None:
        outcome = engine.handle(mid, Event(EventKind.UNKNOWN, text="/dance"))
        assert_unchanged(mid, outcome)
        assert all_text(outcome) == content.texts.render("unknown_command", command="/dance")

    @pytest.mark.parametrize("where", ["mid", "finished"])
    def test_forget_returns_a_fresh_session(self, engine: DialogEngine, content: Content, mid: Session,
                                            finished: Session, where: str) -> None:
        session = mid if where == "mid" else finished
        outcome = engine.handle(session, Event(EventKind.FORGET))
        assert outcome.forget
        assert outcome.session == Session(chat_id=session.chat_id)
        assert all_text(outcome) == content.texts["forget_done"]
