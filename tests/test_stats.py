"""The operator's numbers: anonymous usage events from scripted sessions, aggregated into the
funnel, outcome mix and rates, through the real service and SQLite store; /stats and the CLI."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.funnel_chart import draw_funnel
from bot.storage.memory import MemorySessionStore
from bot.storage.sqlite import SqliteSessionStore
from dialogs import analytics
from dialogs.content import NOT_SURE, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.operator_report import collect, format_figures
from dialogs.service import DialogService
from tests.conftest import PYTHON, bot_env

DAY = 86_400.0
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW - 3 * DAY

    def __call__(self) -> float:
        return self.now


async def play(service: DialogService, clock: Clock, chat_id: int, replies: list[str]) -> None:
    """/start, then each reply typed (a digit is a button press of that option), 20 s apart."""
    await service.handle(chat_id, Event(EventKind.START))
    for reply in replies:
        clock.now += 20
        session = await service.session(chat_id)
        assert session is not None
        if reply.isdigit():
            question = service.engine.current_question(session)
            assert question is not None
            option = question.choices[int(reply) - 1]
            await service.handle(chat_id, Event(EventKind.ANSWER, question=question.id, option=option.id,
                                                generation=session.generation, via_button=True))
        else:
            await service.handle(chat_id, Event(EventKind.TEXT, text=reply))


@pytest.fixture
async def scripted(engine: DialogEngine, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Five people: three finish (one typing, one with a "not sure"), one stops at question 3,
    one opens a shared result only; plus one old session outside the 7-day window."""
    clock = Clock()
    store = SqliteSessionStore(tmp_path / "stats.db", clock=clock)
    await store.open()
    service = DialogService(engine, store, first_generation=lambda: 0, clock=clock)
    await play(service, clock, 1, ["1"] * 7)                                             # side hustle, 140 s
    await play(service, clock, 2, ["2", "2", "3", "2", "1", "1", "2"])                 # 140 s
    await play(service, clock, 3, ["1", "ups and downs don't bother me", "no idea", "1", "1", "1", "1"])
    await play(service, clock, 4, ["1", "1"])                                            # leaves at question 3
    answers = tuple((q.id, q.options[0].id) for q in engine.content.questions)
    await service.handle(5, Event(EventKind.SHARED, answers=answers))
    clock.now -= 20 * DAY                                                                  # an old, out-of-window start
    await service.handle(6, Event(EventKind.START))
    yield store, clock
    await store.close()


async def test_events_are_anonymous(scripted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(tmp_path / "stats.db") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(usage_events)")]
        rows = db.execute("SELECT * FROM usage_events").fetchall()
    assert columns == ["id", "at", "kind", "detail", "how", "seconds"]
    assert rows
    for row in rows:
        assert all(str(chat) != str(value) for chat in (1, 2, 3, 4, 5) for value in row[2:5])
        assert "bother" not in " ".join(str(v) for v in row)


async def test_funnel_figures_over_scripted_sessions(scripted, content: Content, engine: DialogEngine) -> None:  # type: ignore[no-untyped-def]
    store, clock = scripted
    questions = [q.id for q in content.questions]
    week, month = await collect(store, questions, (7, 30), now=NOW)
    assert (week.starts, week.completions) == (4, 3)
    assert month.starts == 5  # the old start counts in 30 days only
    assert week.completion_rate == pytest.approx(0.75)
    assert week.median_seconds == pytest.approx(140)
    reached = [q.reached for q in week.questions]
    assert reached == [4, 4, 4, 3, 3, 3, 3]
    dropped = [q.dropped for q in week.questions]
    assert dropped == [0, 0, 1, 0, 0, 0, 0]
    risk = week.questions[1]
    assert risk.answered == 4
    time_question = week.questions[2]
    assert time_question.unsure == 1
    assert risk.typed == 1 and sum(q.typed for q in week.questions) == 1  # "no idea" counts as not sure
    assert sum(week.outcomes.values()) == 3
    assert week.shares == 1 and week.checkins == 0
    text = format_figures(content, week)
    assert content.texts.render("stats_title", days=7) in text
    assert "75%" in text and "2 min 20 s" in text
    png = draw_funnel(content, week)
    assert png.startswith(b"\x89PNG")


async def test_purge_removes_old_events(scripted) -> None:  # type: ignore[no-untyped-def]
    store, _ = scripted
    assert len(await store.usage_since(0)) > 0
    await store.purge_older_than(NOW - 10 * DAY)
    remaining = await store.usage_since(0)
    assert remaining and all(event.at >= NOW - 10 * DAY for event in remaining)


def test_stats_command_line_prints_7_and_30_days(scripted, tmp_path: Path, content: Content) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run([PYTHON, "-m", "bot", "stats"], capture_output=True, text=True, encoding="utf-8",
                          cwd=tmp_path, env=bot_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/stats.db"), timeout=60)
    assert done.returncode == 0, done.stderr
    # The scripted events are dated in the past relative to NOW, and NOW is in the future of
    # the real clock, so --days must look far enough back to include them.
    assert content.texts.render("stats_title", days=7) in done.stdout
    assert content.texts.render("stats_title", days=30) in done.stdout
    wide = subprocess.run([PYTHON, "-m", "bot", "stats", "--days", "100000"], capture_output=True, text=True,
                          encoding="utf-8", cwd=tmp_path,
                          env=bot_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/stats.db"), timeout=60)
    assert wide.returncode == 0 and "%" in wide.stdout
    print(wide.stdout)


def test_unsure_marker_is_the_not_sure_option() -> None:
    assert analytics.UNSURE == NOT_SURE


async def test_stats_is_an_ordinary_command_that_answers_operators_only(content: Content) -> None:
    """The operator check lives with the command, in the core: an operator's chat gets the
    figures with the funnel for a picture; any other chat the unknown-command reply; nothing is
    stored for either."""
    clock = Clock()
    store = MemorySessionStore(clock=clock)
    service = DialogService(DialogEngine(content), store, clock=clock, operators=frozenset({42}))
    await store.open()
    try:
        await play(service, clock, 5, ["1"] * len(content.questions))
        report = await service.handle(42, Event(EventKind.COMMAND, command="stats"))
        (reply,) = report.replies
        assert reply.funnel is not None and reply.funnel.completions == 1
        assert content.texts.render("stats_title", days=7) in reply.plain_text
        refused = await service.handle(7, Event(EventKind.COMMAND, command="stats"))
        assert [r.funnel for r in refused.replies] == [None]
        assert "stats" in refused.replies[0].plain_text and content.texts.render("stats_title", days=7) \
            not in refused.replies[0].plain_text
        assert await service.session(42) is None and await service.session(7) is None
    finally:
        await store.close()


def test_the_funnel_labels_stay_in_their_column_in_every_language() -> None:
    """Long topics ("на себя или у работодателя") take a smaller font or an ellipsis instead of
    running into the bars: the strip just left of the bars shows only the background."""
    import io

    from PIL import Image

    from bot.content_files.loader import load_languages
    from bot.funnel_chart import BACKGROUND, LABEL_WIDTH, MARGIN
    from dialogs.analytics import Figures, QuestionFigures

    for language, content in load_languages(models=False).items():
        questions = tuple(QuestionFigures(q.id, 90 - 5 * n, 1, 80, 3, 2) for n, q in enumerate(content.questions))
        window = Figures(days=7, starts=100, completions=40, median_seconds=60.0, questions=questions, outcomes={},
                         shares=0, checkins=0, suggested=0)
        with Image.open(io.BytesIO(draw_funnel(content, window))) as image:
            strip = image.crop((MARGIN + LABEL_WIDTH - 10, 90, MARGIN + LABEL_WIDTH, image.height)).convert("RGB")
            assert strip.getextrema() == tuple((channel, channel) for channel in BACKGROUND), language
