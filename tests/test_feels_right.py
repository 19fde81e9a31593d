"""Issue 21, item 1: "Does this feel right?" under the result: one tap (yes, or no then a path),
a changed vote replacing the earlier one, the anonymous log, and the figures in every language."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.callback_codec import MAX_CALLBACK_DATA, decode, encode
from bot.console import render, run_console
from bot.content_files.loader import load_languages
from bot.storage.memory import MemorySessionStore
from bot.storage.sqlite import SqliteSessionStore
from dialogs import analytics
from dialogs.analytics import UsageEvent, figures
from dialogs.content import PATH_IDS, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.operator_report import format_figures
from dialogs.replies import Outcome, Reply
from dialogs.scoring import score
from dialogs.service import DialogService
from tests.conftest import first_options, press, session_at

LANGUAGES = load_languages()
CHAT = 4242


def result_reply(outcome: Outcome) -> Reply:
    [reply] = [reply for reply in outcome.replies if reply.card is not None]
    return reply


async def finished(service: DialogService, content: Content) -> tuple[Reply, str]:
    """A quiz answered with every first option, through the service: the result and its path."""
    await service.handle(CHAT, Event(EventKind.START))
    outcome = None
    for question_id, option_id in first_options(content):
        session = await service.session(CHAT)
        assert session is not None
        outcome = await service.handle(CHAT, Event(EventKind.ANSWER, question=question_id, option=option_id,
                                                   generation=session.generation, via_button=True))
    assert outcome is not None
    return result_reply(outcome), score(content, first_options(content)).recommended


@pytest.fixture
async def service(engine: DialogEngine):  # type: ignore[no-untyped-def]
    store = MemorySessionStore()
    await store.open()
    yield DialogService(engine, store, first_generation=lambda: 7)
    await store.close()


def verdicts(service: DialogService) -> list[UsageEvent]:
    usage = service.store.database.usage  # type: ignore[attr-defined]
    return [e for e in usage if e.kind in (analytics.VERDICT, analytics.VERDICT_RETRACTED)]


def last_votes(service: DialogService) -> dict[str, analytics.VerdictFigures]:
    usage = service.store.database.usage  # type: ignore[attr-defined]
    return {v.path: v for v in figures(usage, [], 7).verdicts}


async def test_the_result_keeps_its_buttons_and_adds_one_row(service: DialogService, content: Content) -> None:
    result, _ = await finished(service, content)
    assert [b.event.kind for b in result.buttons[-1]] == [EventKind.VERDICT, EventKind.VERDICT]
    assert [b.label for b in result.buttons[-1]] == [content.texts["button_verdict_yes"],
                                                     content.texts["button_verdict_no"]]
    kinds = {b.event.kind for row in result.buttons[:-1] for b in row}
    assert kinds == {EventKind.PLAN, EventKind.WHY, EventKind.CHANGE, EventKind.SHARE, EventKind.REMIND,
                     EventKind.EXPLAIN, EventKind.RESTART}


async def test_yes_is_one_tap(service: DialogService, content: Content) -> None:
    result, path = await finished(service, content)
    outcome = await service.handle(CHAT, press(result, content.texts["button_verdict_yes"]))
    assert not outcome.replies
    assert outcome.notice == content.texts.render("verdict_agreed", path=content.paths[path].name)
    assert [(e.kind, e.detail, e.how) for e in verdicts(service)] == [(analytics.VERDICT, path, analytics.AGREE)]
    assert last_votes(service)[path].agreement_rate == 1.0
    session = await service.session(CHAT)
    assert session is not None and session.verdict == (path, analytics.AGREE)


async def test_no_then_a_path(service: DialogService, content: Content) -> None:
    result, path = await finished(service, content)
    asked = await service.handle(CHAT, press(result, content.texts["button_verdict_no"]))
    [question] = asked.replies
    assert question.plain_text == content.texts.render("verdict_which", path=content.paths[path].name)
    others = [p.name for p in content.paths.values() if p.id != path]
    assert [b.label for row in question.buttons for b in row] == others
    instead = next(p for p in PATH_IDS if p != path)
    picked = await service.handle(CHAT, press(question, content.paths[instead].name))
    assert picked.notice == content.texts.render("verdict_instead", path=content.paths[instead].name,
                                                 recommended=content.paths[path].name)
    # "Not really" counts at once (a disagreement with no path yet); the path then replaces it.
    assert [(e.kind, e.how) for e in verdicts(service)] == [
        (analytics.VERDICT, analytics.DISAGREE),
        (analytics.VERDICT_RETRACTED, analytics.DISAGREE), (analytics.VERDICT, instead)]
    votes = last_votes(service)[path]
    assert (votes.votes, votes.agreed, votes.instead) == (1, 0, {instead: 1})


async def test_a_changed_vote_replaces_the_earlier_one(service: DialogService, content: Content) -> None:
    result, path = await finished(service, content)
    yes = press(result, content.texts["button_verdict_yes"])
    await service.handle(CHAT, yes)
    question = (await service.handle(CHAT, press(result, content.texts["button_verdict_no"]))).replies[0]
    instead = next(p for p in PATH_IDS if p != path)
    await service.handle(CHAT, press(question, content.paths[instead].name))
    again = await service.handle(CHAT, yes)  # the result's button, tapped again
    assert again.notice == content.texts.render("verdict_agreed", path=content.paths[path].name)
    repeated = await service.handle(CHAT, yes)  # the same vote twice changes nothing
    assert not repeated.changed and not repeated.usage
    votes = last_votes(service)[path]
    assert (votes.votes, votes.agreed, votes.instead) == (1, 1, {})
    session = await service.session(CHAT)
    assert session is not None and session.verdict == (path, analytics.AGREE)


async def test_a_new_quiz_is_a_new_ballot_and_old_buttons_are_stale(service: DialogService, content: Content) -> None:
    result, path = await finished(service, content)
    await service.handle(CHAT, press(result, content.texts["button_verdict_yes"]))
    await service.handle(CHAT, Event(EventKind.RESTART))  # play again: a new quiz
    result2, _ = await finished(service, content)
    session = await service.session(CHAT)
    assert session is not None and session.verdict is None
    stale = await service.handle(CHAT, press(result, content.texts["button_verdict_no"]))
    assert stale.notice == content.texts["stale_button"] and not stale.usage
    await service.handle(CHAT, press(result2, content.texts["button_verdict_yes"]))
    assert last_votes(service)[path].votes == 2  # two quizzes, two ballots


async def test_voting_before_the_result_is_refused(engine: DialogEngine, content: Content) -> None:
    outcome = engine.handle(session_at(content, first_options(content, 3)), Event(EventKind.VERDICT, text="yes"))
    assert outcome.replies[0].plain_text == content.texts["result_not_ready"] and not outcome.usage


async def test_votes_are_logged_without_a_chat_id(engine: DialogEngine, tmp_path: Path, content: Content) -> None:
    store = SqliteSessionStore(tmp_path / "votes.db")
    await store.open()
    service = DialogService(engine, store, first_generation=lambda: 3)
    try:
        result, path = await finished(service, content)
        await service.handle(CHAT, press(result, content.texts["button_verdict_no"]))
        await service.handle(CHAT, press(result, content.texts["button_verdict_yes"]))
        session = await store.load(CHAT)
        assert session is not None and session.verdict == (path, analytics.AGREE)  # survives the store
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "votes.db") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(usage_events)")]
        rows = db.execute("SELECT kind, detail, how FROM usage_events WHERE kind LIKE 'verdict%'").fetchall()
    assert columns == ["id", "at", "kind", "detail", "how", "seconds"]
    assert rows == [("verdict", path, "disagree"), ("verdict_retracted", path, "disagree"), ("verdict", path, "agree")]
    assert all(str(CHAT) not in " ".join(row) for row in rows)


def test_typed_shortcuts_and_callback_data(engine: DialogEngine, content: Content) -> None:
    session = session_at(content, first_options(content), generation=10**9 - 1)
    result = result_reply(engine.handle(session, Event(EventKind.START)))
    for button in result.buttons[-1]:
        data = encode(button.event)
        assert len(data.encode()) <= MAX_CALLBACK_DATA and decode(data) == button.event
        assert button.shortcut.startswith("/verdict ")
    question = engine.handle(session, press(result, content.texts["button_verdict_no"])).replies[0]
    for button in (b for row in question.buttons for b in row):
        assert decode(encode(button.event)) == button.event
    assert "/verdict yes" in render(result) and "/verdict no" in render(result)
    for bad in ("1v", "1v:1", "1v:x:agree", "1v:1:Agree", "1v:1:agree:x"):
        assert decode(bad) is None


async def test_the_console_votes_with_its_shortcuts(engine: DialogEngine, content: Content) -> None:
    store = MemorySessionStore()
    await store.open()
    service = DialogService(engine, store, first_generation=lambda: 1)
    typed = [str(1) for _ in content.questions] + ["/verdict no", "/verdict hybrid", "/verdict yes"]
    out = io.StringIO()
    await run_console(service, "en", io.StringIO("\n".join(typed) + "\n"), out)
    path = score(content, first_options(content)).recommended
    assert content.texts.render("verdict_agreed", path=content.paths[path].name) in out.getvalue()
    votes = {v.path: v for v in figures(store.database.usage, [], 7).verdicts}[path]
    assert (votes.votes, votes.agreed) == (1, 1)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_agreement_figures_in_every_language(language: str) -> None:
    content = LANGUAGES[language]
    events = [
        UsageEvent(analytics.STARTED), UsageEvent(analytics.RESULT, "hybrid"),
        UsageEvent(analytics.VERDICT, "hybrid", analytics.AGREE),
        UsageEvent(analytics.VERDICT, "hybrid", analytics.AGREE),
        UsageEvent(analytics.VERDICT, "hybrid", analytics.DISAGREE),
        UsageEvent(analytics.VERDICT, "hybrid", "side_hustle"),
        UsageEvent(analytics.VERDICT, "side_hustle", analytics.AGREE),
        UsageEvent(analytics.VERDICT_RETRACTED, "side_hustle", analytics.AGREE),  # changed its mind:
        UsageEvent(analytics.VERDICT, "side_hustle", "generative_ai"),
    ]
    window = figures(events, [q.id for q in content.questions], 7)
    hybrid, side = window.verdicts
    assert (hybrid.path, hybrid.votes, hybrid.agreed, hybrid.instead) == (
        "hybrid", 4, 2, {analytics.DISAGREE: 1, "side_hustle": 1})
    assert (side.path, side.votes, side.agreed, side.instead) == ("side_hustle", 1, 0, {"generative_ai": 1})
    text = format_figures(content, window)
    names = {p.id: p.name for p in content.paths.values()}
    assert content.texts["stats_verdicts_title"] in text
    unpicked = content.texts["stats_verdict_unpicked"]
    # Ties in what was picked instead go by id: "disagree" (no path picked) before "side_hustle".
    assert content.texts.render("stats_verdict_line", path=names["hybrid"], agreed=2, votes=4, rate="50%",
                                instead=f"{unpicked} 1, {names['side_hustle']} 1") in text
    assert content.texts.render("stats_verdict_line", path=names["side_hustle"], agreed=0, votes=1, rate="0%",
                                instead=f"{names['generative_ai']} 1") in text
    quiet = format_figures(content, figures([UsageEvent(analytics.STARTED)], [], 7))
    assert content.texts["stats_verdicts_none"] in quiet


def test_a_retraction_of_a_vote_before_the_window_counts_nothing() -> None:
    window = figures([UsageEvent(analytics.VERDICT_RETRACTED, "hybrid", analytics.AGREE),
                      UsageEvent(analytics.VERDICT, "hybrid", "side_hustle")], [], 7)
    [hybrid] = window.verdicts
    assert (hybrid.votes, hybrid.agreed, hybrid.instead) == (1, 0, {"side_hustle": 1})


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_privacy_says_votes_are_anonymous(language: str) -> None:
    texts = LANGUAGES[language].texts
    privacy = texts.render("privacy", retention_days=90)
    assert "/forget" in privacy
    for key in ("button_verdict_yes", "button_verdict_no"):
        assert texts[key].split(" ", 1)[1] in privacy  # the buttons' words, without the emoji
