"""What happens between the bot and the Bot API (issue 8): Telegram's flood limits, retries that
cannot hurt, a restart that makes no call Telegram rejects, a rejected token, one busy chat."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content_files.loader import load_content
from tests.e2e.harness import TELEGRAM_LIMITS_ENV, BotProcess
from tests.e2e.quiz_driver import QuizPlayer, question_number
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
OTHER_TOKEN = "987:made-up-token-the-fake-server-does-not-know"
TOKEN_REJECTED = "Telegram rejected the bot token"
EXIT_TOKEN_REJECTED = 3


def stored_answers(bot: BotProcess) -> dict[int, list[list[str]]]:
    with sqlite3.connect(bot.database) as db:
        return {chat: json.loads(answers) for chat, answers in db.execute("SELECT chat_id, answers FROM sessions")}


def expected_answers(player: QuizPlayer) -> list[list[str]]:
    return [[q.id, q.options[c].id] for q, c in zip(QUESTIONS, player.choices)]


def assert_played_once(player: QuizPlayer) -> None:
    """Every question shown exactly once, in order (taps turn a question into the next one), and
    exactly one result: nothing lost or doubled."""
    texts = [m.plain or "" for m in player.user.messages]
    assert sum(text.startswith("Your best fit:") for text in texts) == 1, player.user_id
    shown = [question_number(version.plain) for message in player.user.messages for version in message.versions
             if version.buttons and question_number(version.plain)]
    assert shown == list(range(1, len(QUESTIONS) + 1)), (player.user_id, shown)


@pytest.fixture
async def paced_bot(server: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot with Telegram's own flood limits (the default outside tests)."""
    process = BotProcess(server, tmp_path, extra_env=dict(TELEGRAM_LIMITS_ENV))
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()


# -- flood limits ------------------------------------------------------------------------
async def test_60_people_at_once_all_finish_within_telegram_flood_limits(
    server: FakeBotApi, paced_bot: BotProcess
) -> None:
    server.enable_flood_limits()  # 30 calls/s overall, 1/s per chat with bursts of 3, edits included
    rng = random.Random(60)
    players = [QuizPlayer(server, CONTENT, 20_000 + n, [rng.randrange(len(q.options)) for q in QUESTIONS])
               for n in range(60)]
    # Nobody pauses: every press follows the bot's reply at once.
    await asyncio.gather(*(player.play(ack_timeout=60) for player in players))
    stored = stored_answers(paced_bot)
    for player in players:
        assert player.finished
        assert_played_once(player)
        assert stored[player.user_id] == expected_answers(player)
    # Paced below the limits, the bot is almost never refused (a refusal may come from timing
    # jitter between its clock and the server's), and nothing else was rejected.
    assert len(server.flood_rejections) <= 3, [r.description for r in server.flood_rejections]
    # Every call into a chat counts (edits too): each quiz cost its greeting, an edit per tap and the card.
    await server.wait_until(lambda: len(server.requests_for("sendPhoto")) >= 60, timeout=30)  # the last cards
    calls = [r for r in server.requests if r.params.get("chat_id") is not None and r.fault != "flood"]
    assert len(calls) == 60 * (1 + len(QUESTIONS) + 1)
    server.assert_no_errors()


async def test_a_429_pauses_all_sending_for_retry_after(server: FakeBotApi, bot: BotProcess) -> None:
    first, second = server.user(user_id=6101), server.user(user_id=6102)
    server.inject_fault("sendMessage", "429", retry_after=2)
    await first.send_command("/help")
    await server.wait_until(lambda: server.requests_for("sendMessage"))
    refused_at = server.call_times("sendMessage")[0]
    # Another chat's reply comes due while the bot is paused: it must wait too.
    await second.send_command("/help")
    await first.wait_for_message("/restart", timeout=10)
    await second.wait_for_message("/restart", timeout=10)
    later = [t for t in server.call_times("sendMessage")[1:]]
    assert len(later) == 2
    assert min(later) >= refused_at + 2.0 - 0.05  # nothing was sent before retry_after ran out
    server.assert_no_errors()


# -- retries that cannot hurt -----------------------------------------------------------
@pytest.fixture
async def impatient_server() -> AsyncIterator[FakeBotApi]:
    """Every callback query is already too old when the bot answers it."""
    async with FakeBotApi(set_webhook_cooldown=0, callback_query_timeout=0.0) as fake:
        yield fake


async def test_a_rejected_callback_answer_never_stops_the_next_question(
    impatient_server: FakeBotApi, tmp_path: Path
) -> None:
    server = impatient_server
    bot = BotProcess(server, tmp_path)
    await bot.start()
    try:
        user = server.user(user_id=6201)
        await user.send_command("/start")
        await user.wait_for_message("Question 1 of")
        await user.press_button(QUESTIONS[0].options[0].label)
        await user.wait_for_message("Question 2 of")
        # A late answer that also loses its connection is not sent again (it could only be later).
        server.inject_fault("answerCallbackQuery", "disconnect")
        await user.press_button(QUESTIONS[1].options[1].label)
        await user.wait_for_message("Question 3 of")
        answers = server.requests_for("answerCallbackQuery")
        assert len(answers) == 2
        assert "query is too old" in (answers[0].description or "")
        assert stored_answers(bot)[6201] == [[QUESTIONS[0].id, QUESTIONS[0].options[0].id],
                                             [QUESTIONS[1].id, QUESTIONS[1].options[1].id]]
        server.assert_no_errors("query is too old")
    finally:
        await bot.stop()


async def test_a_message_whose_fate_is_unknown_is_not_sent_twice(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6202)
    # Telegram runs the call but the answer never arrives: resending would show it twice.
    server.inject_fault("sendMessage", "disconnect", process_first=True)
    await user.send_command("/help")
    await server.wait_until(lambda: server.requests_for("sendMessage"))
    await user.send_command("/privacy")
    await user.wait_for_message(lambda m: len(user.messages) >= 2, timeout=10)
    await asyncio.sleep(1.0)  # the first retry would have come by now (0.5 s backoff)
    help_texts = [m for m in user.messages if "/restart" in (m.plain or "")]
    assert len(help_texts) == 1
    help_calls = [r for r in server.requests_for("sendMessage") if "/restart" in str(r.params.get("text"))]
    assert len(help_calls) == 1  # not resent; the person got an apology for the lost answer instead


async def test_after_kill_9_the_bot_makes_no_call_telegram_rejects(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6301)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    for number in (1, 2):
        await user.press_button(QUESTIONS[number - 1].options[0].label)
        await user.wait_for_message(f"Question {number + 1} of")
    await server.wait_until(lambda: server.is_long_polling)  # every update confirmed
    await bot.kill()  # the message showing question 3 was never written down
    await bot.start()
    await user.press_button(QUESTIONS[2].options[0].label)
    await user.wait_for_message("Question 4 of")
    await user.send_command("/back")
    await user.wait_for_message(lambda m: "Question 3 of" in (m.plain or "") and bool(m.buttons))
    await user.send_command("/start")
    await server.wait_until(lambda: server.is_long_polling and not server.pending_updates)
    await asyncio.sleep(0.5)
    assert [r.description for r in server.requests if r.ok is False and r.fault is None] == []
    server.assert_no_errors()


# -- a rejected token ------------------------------------------------------------------------
async def test_a_mistyped_token_stops_start_up_with_one_clear_line(server: FakeBotApi, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path, extra_env={"TELEGRAM_BOT_TOKEN": OTHER_TOKEN})
    assert await bot.run_until_exit() == EXIT_TOKEN_REJECTED
    assert [r.method for r in server.requests] == ["getMe"]
    log = bot.log()
    assert TOKEN_REJECTED in log.splitlines()[-1] and "@BotFather" in log.splitlines()[-1]
    assert OTHER_TOKEN not in log and OTHER_TOKEN.split(":")[1] not in log
    assert "Traceback" not in log and "Unclosed" not in log


async def test_a_token_revoked_while_running_stops_the_bot_cleanly(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6401)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    token = server.token
    server.token = OTHER_TOKEN  # revoked in @BotFather: the running bot's token is refused from now on
    await user.send_command("/help")
    assert bot.process is not None
    await asyncio.wait_for(bot.process.wait(), 30)
    assert bot.process.returncode == EXIT_TOKEN_REJECTED
    log = bot.log()
    assert TOKEN_REJECTED in log.splitlines()[-1]
    assert token not in log and token.split(":")[1] not in log
    assert "Traceback" not in log


# -- one busy chat -----------------------------------------------------------------------------
async def test_one_busy_chat_never_stalls_the_others(server: FakeBotApi, bot: BotProcess) -> None:
    busy = server.user(user_id=6501)
    await busy.send_command("/start")
    await busy.wait_for_message("Question 1 of")
    for n in range(1000):  # as fast as it can: all queued before the bot sees any
        await busy.send_text(f"spam {n}")
    rng = random.Random(20)
    players = [QuizPlayer(server, CONTENT, 6600 + n, [rng.randrange(len(q.options)) for q in QUESTIONS])
               for n in range(20)]
    await asyncio.gather(*(player.play(ack_timeout=30) for player in players))
    for player in players:
        assert player.finished
        assert_played_once(player)
    # The busy chat's backlog was bounded: most of its flood was dropped (and logged), not queued.
    await server.wait_until(lambda: not server.pending_updates, timeout=30)
    assert "dropped an update" in bot.log()
    assert len(busy.messages) < 500
    assert bot.process is not None and bot.process.returncode is None
