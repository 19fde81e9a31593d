"""PostgreSQL going away while the bot runs: people are told politely, nothing they saw
acknowledged is lost, the bot carries on by itself once the database is back, and the one-poller
guarantee outlives the outage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess
from tests.e2e.storage import PostgresStorage
from tests.fakebotapi import FakeBotApi, RecordedRequest
from tests.tcpproxy import TcpProxy

CONTENT = load_content()
QUESTIONS = CONTENT.questions
SORRY = CONTENT.texts["internal_error"]
OUTAGE_SECONDS = 3.0
#: The poller lock of bot/storage/postgres.py (LOCK_CLASS, POLLER_LOCK) in pg_locks' terms.
_POLLER_LOCK_HELD = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1129467731 AND objid = 2 "
    "AND objsubid = 2 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)

pytestmark = pytest.mark.postgres


def question(number: int):
    return lambda m: f"Question {number} of" in (m.plain or "") and bool(m.buttons)


async def test_bot_apologises_during_an_outage_and_recovers(server: FakeBotApi, tmp_path: Path, postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        through_proxy = postgres_url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
        bot = BotProcess(server, tmp_path, extra_env={"DATABASE_URL": through_proxy})
        await bot.start()
        try:
            user = server.user(user_id=8101)
            await user.send_command("/start")
            await user.wait_for_message(question(1))
            await user.press_button(QUESTIONS[0].options[0].label)
            second = await user.wait_for_message(question(2))

            proxy.cut()  # the database is gone
            await user.press_button(QUESTIONS[1].options[1].label, message_id=second.message_id)
            await user.wait_for_message(SORRY, timeout=20)
            await user.send_text("2")
            await user.wait_for_message(SORRY, timeout=20)
            assert await PostgresStorage(postgres_url).answers() == {
                8101: [[QUESTIONS[0].id, QUESTIONS[0].options[0].id]]}  # the acknowledged answer is kept

            proxy.restore()  # back: the same button now works, with no restart of the bot
            await user.press_button(QUESTIONS[1].options[1].label, message_id=second.message_id)
            await user.wait_for_message(question(3), timeout=20)
            assert "Your answer:" in (user.message(second.message_id).plain or "")
            assert await PostgresStorage(postgres_url).answers() == {8101: [
                [QUESTIONS[0].id, QUESTIONS[0].options[0].id], [QUESTIONS[1].id, QUESTIONS[1].options[1].id]]}
            assert bot.process is not None and bot.process.returncode is None
        finally:
            await bot.stop()


async def _poller_lock_holders(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(_POLLER_LOCK_HELD))
    finally:
        await connection.close()


def _overlapping_polls(polls: list[RecordedRequest]) -> list[tuple[int, int]]:
    """Pairs of getUpdates requests (by seq) that were open at the same time."""
    ordered = sorted(polls, key=lambda record: record.started_at)
    return [(earlier.seq, later.seq) for earlier, later in zip(ordered, ordered[1:], strict=False)
            if earlier.finished_at is None or later.started_at < earlier.finished_at]


async def test_one_poller_survives_an_outage(server: FakeBotApi, tmp_path: Path, postgres_url: str) -> None:
    """The poller whose lock died with its connection re-checks the lock once the database is
    back: it finds that a second process took the slot meanwhile, and stops polling (cleanly)."""
    parts = urlsplit(postgres_url)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        through_proxy = postgres_url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
        first = BotProcess(server, tmp_path / "first", extra_env={"DATABASE_URL": through_proxy})
        second = BotProcess(server, tmp_path / "second", extra_env={"DATABASE_URL": postgres_url})
        await first.start()
        try:
            assert await _poller_lock_holders(postgres_url) == 1
            proxy.cut()  # the first process's lock dies with its connection...
            async with asyncio.timeout(10):
                while await _poller_lock_holders(postgres_url):
                    await asyncio.sleep(0.05)
            await second.start()  # ...so a second process, beside it, takes the free slot
            await server.wait_until(lambda: "Crossroads is ready (long polling)" in second.log(), timeout=20)
            await asyncio.sleep(OUTAGE_SECONDS)
            proxy.restore()

            assert first.process is not None
            try:
                await asyncio.wait_for(first.process.wait(), timeout=30)
            except TimeoutError:
                conflicts = [r for r in server.requests_for("getUpdates") if r.error_code == 409]
                pytest.fail(f"both processes still poll 30 s after the outage ({len(conflicts)} getUpdates "
                            f"answered 409 Conflict)")
            assert first.process.returncode == 0, first.log()
            assert first.log().count("another Crossroads process holds the poller slot") == 1, first.log()
            assert "finishing updates in flight" in first.log()

            after = len(server.requests)
            user = server.user(user_id=8201)
            await user.send_command("/start")
            await user.wait_for_message(question(1), timeout=20)
            await user.press_button(QUESTIONS[0].options[0].label)
            await user.wait_for_message(question(2), timeout=20)
            polls = [r for r in server.requests[after:] if r.method == "getUpdates"]
            assert polls and _overlapping_polls(polls) == []
            assert [r.seq for r in polls if r.error_code == 409] == []
            asked = [str(r.params.get("text", "")) for r in server.requests[after:]  # a question with its buttons
                     if r.params.get("chat_id") == user.id and r.params.get("reply_markup")]
            assert sum("Question 1 of" in text for text in asked) == 1, asked  # each update answered once
            assert sum("Question 2 of" in text for text in asked) == 1, asked
            assert second.process is not None and second.process.returncode is None
            assert await _poller_lock_holders(postgres_url) == 1
        finally:
            for bot in (second, first):
                if bot.process is not None and bot.process.returncode is None:
                    await bot.stop()
