"""Telegram's limits at any scale (issue 19): a tap-only quiz in a few calls, one budget shared by
every webhook worker, and check-ins that never crowd out live chats (60 people at once against
limits that count every chat call: tests/e2e/test_wire.py).

The fake Bot API's flood mode answers 429 beyond 30 calls a second for the bot (a burst of 30)
and one a second per chat (a burst of 3), counting every call that carries a chat_id: edits and
chat actions as much as messages.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.content_files.loader import load_content
from tests.e2e.harness import TELEGRAM_LIMITS_ENV, BotProcess, free_port
from tests.e2e.quiz_driver import QuizPlayer
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
APOLOGY = CONTENT.texts["internal_error"]
#: Calls into the chat for a quiz answered by taps: the greeting with the first question, one
#: edit per tap (the last one shows the result), and the result's card.
TAP_QUIZ_CALLS = 1 + len(QUESTIONS) + 1
SECRET = "limits-shared-secret"


def chat_calls(server: FakeBotApi, since: int = 0) -> list:
    return [r for r in server.requests[since:] if r.params.get("chat_id") is not None]


def players(server: FakeBotApi, count: int, first_id: int, seed: int) -> list[QuizPlayer]:
    rng = random.Random(seed)
    return [QuizPlayer(server, CONTENT, first_id + n, [rng.randrange(len(q.options)) for q in QUESTIONS])
            for n in range(count)]


def assert_nobody_stranded(server: FakeBotApi, crowd: list[QuizPlayer]) -> None:
    for player in crowd:
        assert player.finished, f"user {player.user_id} never got a result"
        assert not any(APOLOGY in (m.plain or "") for m in player.user.messages), player.user_id


async def test_a_quiz_answered_by_taps_costs_at_most_ten_calls(server: FakeBotApi, bot: BotProcess) -> None:
    (player,) = players(server, 1, 30_000, seed=1)
    await player.play()
    await player.user.wait_for_message(lambda m: m.kind == "photo")
    calls = [r.method for r in chat_calls(server)]
    assert len(calls) == TAP_QUIZ_CALLS <= 10, calls
    assert calls == ["sendMessage"] + ["editMessageText"] * len(QUESTIONS) + ["sendPhoto"]
    server.assert_no_errors()


@pytest.mark.postgres
@pytest.mark.parametrize("workers", [2, 4])
async def test_webhook_workers_share_one_budget(tmp_path: Path, postgres_url: str, workers: int) -> None:
    """Each worker alone may send 30 calls a second; together they must not: with the budget
    shared through PostgreSQL, at most 1% of calls are refused and everybody finishes."""
    async with FakeBotApi(set_webhook_cooldown=0) as server:
        ports = [free_port() for _ in range(workers)]
        server.webhook_backends = [f"http://127.0.0.1:{port}/hook" for port in ports]
        processes = []
        for number, port in enumerate(ports):
            (tmp_path / f"w{number}").mkdir()
            processes.append(BotProcess(server, tmp_path / f"w{number}", extra_env={
                **TELEGRAM_LIMITS_ENV, "DATABASE_URL": postgres_url, "WEBHOOK_URL": "http://127.0.0.1:8443/hook",
                "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port), "WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "INFO"}))
        for process in processes:
            await process.start("--webhook", ready_method="setWebhook")
        try:
            server.enable_flood_limits()
            crowd = players(server, 60, 32_000, seed=workers)
            await asyncio.gather(*(player.play(ack_timeout=60) for player in crowd))
            assert_nobody_stranded(server, crowd)
            await server.wait_until(lambda: len(server.requests_for("sendPhoto")) >= len(crowd), timeout=30)
            calls = chat_calls(server)
            assert len(server.flood_rejections) <= 0.01 * len(calls), (len(server.flood_rejections), len(calls))
            # Whichever worker a tap reaches, it edits the question on screen: as cheap as one process.
            assert len([c for c in calls if c.fault != "flood"]) == len(crowd) * TAP_QUIZ_CALLS
            # The flood really needed sharing: the calls came faster than one worker's share.
            busiest = max(sum(1 for r in calls if abs(r.started_at - s.started_at) < 1) for s in calls)
            assert busiest > 30 / workers
            server.assert_no_errors()
        finally:
            for process in processes:
                await process.stop()


async def test_a_wave_of_checkins_goes_out_within_the_budget_beside_live_chats(tmp_path: Path) -> None:
    """150 check-ins fell due while the bot was down; people arriving meanwhile still get their
    quiz at once: check-ins take at most a third of the budget, and nothing is refused."""
    async with FakeBotApi(set_webhook_cooldown=0) as server:
        bot = BotProcess(server, tmp_path, extra_env={**TELEGRAM_LIMITS_ENV, "CHECKIN_POLL_SECONDS": "1"})
        await bot.start()
        await bot.stop()  # the schema exists now: the reminders are written as if they fell due while down
        due = list(range(33_000, 33_150))
        with closing(sqlite3.connect(bot.database)) as db, db:
            db.executemany("INSERT INTO checkins (chat_id, path, due_at, created_at) VALUES (?, 'hybrid', 1, 1)",
                           [(chat_id,) for chat_id in due])
        for chat_id in due:
            server.user(user_id=chat_id)
        server.enable_flood_limits()
        await bot.start()
        try:
            crowd = players(server, 20, 34_000, seed=20)
            await asyncio.gather(*(player.play(ack_timeout=60) for player in crowd))
            assert_nobody_stranded(server, crowd)
            live_done = max(r.finished_at or 0 for r in chat_calls(server) if r.params.get("chat_id") in
                            {p.user_id for p in crowd})
            await server.wait_until(lambda: all(server.user(user_id=c).messages for c in due), timeout=60)
            checkins_done = max(r.finished_at or 0 for r in chat_calls(server) if r.params.get("chat_id") in due)
            assert live_done < checkins_done  # the people were served while the wave was still going out
            assert all(len(server.user(user_id=c).messages) == 1 for c in due)  # each once
            assert len(server.flood_rejections) <= 0.01 * len(chat_calls(server))
            server.assert_no_errors()
        finally:
            await bot.stop()


async def test_taps_after_a_kill_make_no_call_telegram_rejects(server: FakeBotApi, bot: BotProcess) -> None:
    """SIGKILL while a question is shown in place; after the restart the person taps that same
    message: the quiz goes on, and no edit is one Telegram would refuse (not modified, no
    such message, no buttons to remove)."""
    (player,) = players(server, 1, 35_000, seed=5)
    user = player.user
    await user.send_command("/start")
    message = await user.wait_for_message(lambda m: "Question 1 of" in (m.plain or "") and bool(m.buttons))
    for number in range(1, 4):
        await user.press_button(QUESTIONS[number - 1].options[0].label, message_id=message.message_id)
        await user.wait_for_message(lambda m, n=number: f"Question {n + 1} of" in (m.plain or "") and bool(m.buttons))
    await bot.kill()
    await bot.start()
    for number in range(4, len(QUESTIONS) + 1):
        current = next(m for m in reversed(user.messages) if m.buttons and f"Question {number} of" in (m.plain or ""))
        await user.press_button(QUESTIONS[number - 1].options[0].label, message_id=current.message_id)
        await user.wait_for_message(lambda m, n=number: (f"Question {n + 1} of" in (m.plain or "") and bool(m.buttons))
                                    or (m.plain or "").startswith("Your best fit:"))
    server.assert_no_errors()
