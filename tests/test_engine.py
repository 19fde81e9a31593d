"""The result reply, the question replies' buttons, and sessions that no longer match content."""

from __future__ import annotations

import re

import pytest

from dialogs.content import PATH_IDS, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Reply, Role, Style
from dialogs.scoring import Result, result_excerpts, score
from dialogs.session import EXPLAINING, NEW, RESULT, Session, question_state
from dialogs.views import Views
from tests.conftest import all_answer_sets, first_options, first_word, header_prefix, navigation_words


@pytest.fixture(scope="module")
def rendered(content: Content) -> list[tuple[Result, Reply]]:
    """The result reply for every possible answer set."""
    views = Views(content)
    results = [score(content, answers) for answers in all_answer_sets(content)]
    return [(result, views.result(result)) for result in results]


def test_first_line_names_the_recommendation_and_no_other_path(content: Content, rendered: list) -> None:
    for result, reply in rendered:
        first_line = reply.plain_text.splitlines()[0]
        assert first_line == content.texts.render("result_headline", path=content.paths[result.recommended].name)
        for path_id in PATH_IDS:
            if path_id != result.recommended:
                assert content.paths[path_id].name.casefold() not in first_line.casefold()
        assert reply.role is Role.RESULT


def test_all_three_scores_appear_as_bars(content: Content, rendered: list) -> None:
    for result, reply in rendered:
        lines = reply.plain_text.splitlines()
        for path_id in PATH_IDS:
            key = "result_bar_ruled_out" if path_id in result.excluded else "result_bar"
            suffix = content.texts.render(key, bar="", score=result.scores[path_id], path=content.paths[path_id].name)
            assert any(line.endswith(suffix.strip()) for line in lines), (suffix, lines)


def test_ruled_out_paths_and_margins_are_explained(content: Content, rendered: list) -> None:
    seen = set()
    views = Views(content)
    for result, reply in rendered:
        text = reply.plain_text
        for path_id, exclusion in result.excluded.items():
            assert content.texts.render("result_excluded", path=content.paths[path_id].name,
                                        why=exclusion.requirement.unmet) in text
        if result.runner_up is None:
            continue
        runner_up = content.paths[result.runner_up].name
        if result.margin == 0:
            key = "result_tied"
        elif result.is_close:
            key = "result_close"
        else:
            key = "result_clear"
        seen.add(key)
        assert content.texts.render(key, runner_up=runner_up, margin=views.points(result.margin or 0)) in text
        assert "point(s)" not in text
    assert seen == {"result_tied", "result_close", "result_clear"}


def test_quotes_are_collapsed_with_their_attribution(content: Content, rendered: list) -> None:
    article = " ".join(content.article_text.split())
    for result, reply in rendered:
        collapsed = [span for span in reply.spans if span.style is Style.EXPANDABLE_QUOTE]
        assert len(collapsed) == 1 and collapsed is not None
        assert reply.spans[-1] is collapsed[0]  # after everything visible
        expected_ids = result_excerpts(content, result)
        assert 2 <= len(expected_ids) <= 3
        for excerpt_id in expected_ids:
            excerpt = content.excerpts[excerpt_id]
            assert f"“{excerpt.text}”" in collapsed[0].text and excerpt.text in article
            assert content.texts.render("attribution", title=content.article_title, section=excerpt.section) in collapsed[0].text


def test_result_buttons_offer_plan_why_change_share_remind_paths_and_restart(rendered: list) -> None:
    for _, reply in rendered[:50]:
        kinds = [button.event.kind for row in reply.buttons for button in row]
        assert set(kinds) == {EventKind.PLAN, EventKind.WHY, EventKind.CHANGE, EventKind.SHARE, EventKind.REMIND,
                              EventKind.EXPLAIN, EventKind.RESTART}
        assert EventKind.ANSWER not in kinds


def test_result_buttons_work(engine: DialogEngine, content: Content) -> None:
    session = Session(chat_id=1, state=RESULT, answers=tuple(first_options(content)))
    reply = engine.handle(session, Event(EventKind.START)).replies[-1]
    for row in reply.buttons:
        for button in row:
            outcome = engine.handle(session, button.event)
            if button.event.kind is EventKind.SHARE:
                assert button.event.answers == session.answers  # a link button; the engine does nothing
                continue
            assert outcome.replies or outcome.notice, button.label
            if button.event.kind is EventKind.EXPLAIN:
                labels = [b.label for r in outcome.replies for row_ in r.buttons for b in row_]
                assert labels == [p.name for p in content.paths.values()]


def test_no_answer_button_reads_like_navigation(content: Content) -> None:
    views = Views(content)
    forbidden = navigation_words(content)
    for index in range(len(content.questions)):
        reply = views.question(index, generation=0)
        answer_labels = [b.label for row in reply.buttons for b in row if b.event.kind is EventKind.ANSWER]
        other_labels = [b.label for row in reply.buttons for b in row if b.event.kind is not EventKind.ANSWER]
        assert answer_labels == [o.label for o in content.questions[index].choices]
        for label in answer_labels:
            assert first_word(label) not in forbidden, label
            assert label not in other_labels
        # Back is offered from the second question on, never on the first.
        assert bool(other_labels) == (index > 0)


def test_progress_header_counts_questions(content: Content) -> None:
    views = Views(content)
    for index in range(len(content.questions)):
        assert views.question(index, 0).plain_text.startswith(header_prefix(content, index + 1))


# -- sessions that no longer match the content ----------------------------------------------------
@pytest.mark.parametrize(
    ("state", "answers", "kept"),
    [
        pytest.param(RESULT, (("no_such_question", "x"),), 0, id="unknown-question"),
        pytest.param("asking_vanished", (), 0, id="unknown-state"),
        pytest.param(RESULT, "first3+bad-option", 3, id="unknown-option-mid-way"),
        pytest.param("asking_x", "first2+wrong-order", 2, id="answers-out-of-order"),
        pytest.param(NEW, "first2", 2, id="new-with-answers"),
        pytest.param(EXPLAINING, "first5", 5, id="finished-state-too-few-answers"),
    ],
)
def test_stale_sessions_are_normalised_not_crashed(
    engine: DialogEngine, content: Content, state: str, answers, kept: int
) -> None:
    questions = content.questions
    if isinstance(answers, str):
        count = int(re.match(r"first(\d)", answers).group(1))
        prefix = tuple(first_options(content, count))
        if answers.endswith("bad-option"):
            answers = prefix + ((questions[count].id, "no_such_option"),) + tuple(first_options(content))[count + 1:]
        elif answers.endswith("wrong-order"):
            answers = prefix + ((questions[count + 1].id, questions[count + 1].options[0].id),)
        else:
            answers = prefix
    session = Session(chat_id=5, state=state, answers=answers, version=3)
    normalised = engine.normalise(session)
    assert normalised.answers == tuple(first_options(content, kept))
    assert normalised.state == question_state(questions[kept].id)
    for kind in (EventKind.START, EventKind.WHY, EventKind.BACK, EventKind.RESTART):
        outcome = engine.handle(session, Event(kind))
        assert outcome.replies
    outcome = engine.handle(session, Event(EventKind.TEXT, text="1"))
    assert outcome.session.answers == tuple(first_options(content, kept + 1))
    assert outcome.session.version == 3


def test_complete_answers_in_a_question_state_become_the_result(engine: DialogEngine, content: Content) -> None:
    session = Session(chat_id=5, state=question_state(content.questions[2].id), answers=tuple(first_options(content)))
    outcome = engine.handle(session, Event(EventKind.START))
    assert outcome.session.state == RESULT
    assert outcome.replies[-1].role is Role.RESULT


def test_extra_answers_beyond_the_last_question_are_dropped(engine: DialogEngine, content: Content) -> None:
    answers = tuple(first_options(content)) + (("bonus", "x"),)
    session = Session(chat_id=5, state=RESULT, answers=answers)
    normalised = engine.normalise(session)
    assert normalised.answers == tuple(first_options(content))
    assert normalised.state == RESULT
    assert engine.handle(session, Event(EventKind.WHY)).session.state == EXPLAINING


def test_consistent_session_is_returned_as_is(engine: DialogEngine, content: Content) -> None:
    session = Session(chat_id=5, state=question_state(content.questions[2].id), answers=tuple(first_options(content, 2)))
    assert engine.normalise(session) is session
