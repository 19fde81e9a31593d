"""Issue 21, item 7: `python -m bot stats --csv` writes the funnel, per-question figures, outcomes
and agreement rates as one CSV table; parsed back, its numbers are the scripted sessions'."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteSessionStore
from dialogs import analytics
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.operator_report import CSV_COLUMNS, collect, write_csv
from dialogs.scoring import score
from dialogs.service import DialogService
from tests.conftest import PYTHON, bot_env
from tests.test_stats import NOW, Clock, play

Table = dict[tuple[str, str, str, str], str]


async def vote(service: DialogService, chat_id: int, choice: str) -> None:
    """A tap on a "Does this feel right?" button of the chat's current quiz."""
    session = await service.session(chat_id)
    assert session is not None
    await service.handle(chat_id, Event(EventKind.VERDICT, option=choice, generation=session.generation,
                                        via_button=True))


@pytest.fixture
async def scripted(engine: DialogEngine, tmp_path: Path) -> AsyncIterator[tuple[SqliteSessionStore, dict[int, str]]]:
    """Four people: three finish and vote (one agrees; one says no, then picks a path; one agrees,
    then changes to "no" and a path), one stops at question 3."""
    clock = Clock()
    store = SqliteSessionStore(tmp_path / "stats.db", clock=clock)
    await store.open()
    service = DialogService(engine, store, first_generation=lambda: 0, clock=clock)
    scripts = {1: ["1"] * 7, 2: ["2", "2", "3", "2", "1", "1", "2"], 3: ["1", "2", "1", "1", "1", "1", "1"]}
    for chat_id, replies in scripts.items():
        await play(service, clock, chat_id, replies)
    await play(service, clock, 4, ["1", "1"])
    paths = {}
    for chat_id in scripts:
        session = await service.session(chat_id)
        assert session is not None
        paths[chat_id] = score(engine.content, session.answers).recommended
    other = {chat_id: next(p for p in engine.content.paths if p != path) for chat_id, path in paths.items()}
    await vote(service, 1, analytics.AGREE)
    await vote(service, 2, analytics.DISAGREE)
    await vote(service, 2, other[2])
    await vote(service, 3, analytics.AGREE)
    await vote(service, 3, analytics.DISAGREE)
    await vote(service, 3, other[3])
    yield store, paths
    await store.close()


def parse(text: str) -> Table:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    table: Table = {}
    for section, days, subject, measure, value in rows[1:]:
        key = (section, days, subject, measure)
        assert key not in table
        table[key] = value
    return table


def expected_verdicts(paths: dict[int, str], content: Content) -> dict[str, dict[str, int]]:
    """Each quiz's last vote per recommended path, as the script left them."""
    votes: dict[str, dict[str, int]] = {}
    last = {1: analytics.AGREE, 2: next(p for p in content.paths if p != paths[2]),
            3: next(p for p in content.paths if p != paths[3])}
    for chat_id, path in paths.items():
        how = last[chat_id]
        votes.setdefault(path, {}).setdefault(how, 0)
        votes[path][how] += 1
    return votes


async def test_csv_holds_the_figures(scripted, content: Content) -> None:  # type: ignore[no-untyped-def]
    store, paths = scripted
    windows = await collect(store, [q.id for q in content.questions], (7, 30), now=NOW)
    out = io.StringIO()
    write_csv(windows, out)
    table = parse(out.getvalue())
    assert table["funnel", "7", "", "starts"] == "4" and table["funnel", "7", "", "completions"] == "3"
    assert float(table["funnel", "7", "", "completion_rate"]) == pytest.approx(0.75)
    assert float(table["funnel", "7", "", "median_seconds"]) == pytest.approx(140)
    assert [table["question", "7", q.id, "reached"] for q in content.questions] == ["4", "4", "4", "3", "3", "3", "3"]
    assert table["question", "7", content.questions[2].id, "dropped"] == "1"
    assert sum(int(v) for (s, d, _, m), v in table.items() if (s, d, m) == ("outcome", "7", "results")) == 3
    for path, votes in expected_verdicts(paths, content).items():
        total = sum(votes.values())
        agreed = votes.get(analytics.AGREE, 0)
        assert table["verdict", "30", path, "votes"] == str(total)
        assert table["verdict", "30", path, "agreed"] == str(agreed)
        assert float(table["verdict", "30", path, "agreement_rate"]) == pytest.approx(agreed / total, abs=1e-4)
        for how, count in votes.items():
            if how != analytics.AGREE:
                assert table["verdict", "30", path, f"instead:{how}"] == str(count)
    # The changed vote counts once, as its last: three quizzes, three votes, one agreement.
    assert sum(int(v) for (s, d, _, m), v in table.items() if (s, d, m) == ("verdict", "7", "votes")) == 3
    assert sum(int(v) for (s, d, _, m), v in table.items() if (s, d, m) == ("verdict", "7", "agreed")) == 1
    assert not any(m.startswith("instead:disagree") for (_, _, _, m) in table)


async def test_the_command_line_writes_csv(scripted, tmp_path: Path, content: Content) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run([PYTHON, "-m", "bot", "stats", "--csv", "--days", "100000"], capture_output=True, text=True,
                          encoding="utf-8", cwd=tmp_path, timeout=60,
                          env=bot_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/stats.db"))
    assert done.returncode == 0, done.stderr
    table = parse(done.stdout)
    assert table["funnel", "100000", "", "starts"] == "4"
    assert sum(int(v) for (s, _, _, m), v in table.items() if (s, m) == ("verdict", "votes")) == 3
