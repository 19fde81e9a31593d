"""Bot API faults injected through the fake server: 429 with retry_after, 5xx, dropped
connections, getUpdates interruptions, and an API that stays down."""

from __future__ import annotations

import json
import sqlite3

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess
from tests.fakebotapi import FakeBotApi

QUESTIONS = load_content().questions


def answers_of(bot: BotProcess, chat_id: int) -> list[list[str]]:
    with sqlite3.connect(bot.database) as db:
        row = db.execute("SELECT answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return json.loads(row[0]) if row else []


async def test_429_retry_after_is_honoured_without_a_hot_loop(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6001)
    before = len(server.call_times("sendMessage"))
    server.inject_fault("sendMessage", "429", retry_after=2)
    await user.send_command("/help")
    await user.wait_for_message("/restart")
    calls = server.call_times("sendMessage")[before:]
    assert len(calls) == 2  # one refused, one retried: no hot loop
    assert calls[1] - calls[0] >= 2.0  # waited as long as Telegram asked
    server.assert_no_errors()


async def test_a_storm_of_429s_never_reaches_the_person_as_an_error(server: FakeBotApi, bot: BotProcess) -> None:
    """More refusals in a row than the retries for failures: the reply waits and goes out once."""
    user = server.user(user_id=6004)
    server.inject_fault("sendMessage", "429", times=7, retry_after=1)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of", timeout=30)
    sent = [r for r in server.requests_for("sendMessage") if r.ok]
    assert len(sent) == 1 and len(server.requests_for("sendMessage")) == 8
    assert "went wrong" not in "".join(m.plain or "" for m in user.messages)
    server.assert_no_errors()


async def test_5xx_and_dropped_connections_are_retried_with_backoff(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6002)
    server.inject_fault("sendMessage", "500", times=2)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    server.inject_fault("editMessageText", "disconnect")
    server.inject_fault("sendMessage", "502")
    before = len(server.call_times("editMessageText"))
    await user.press_button(QUESTIONS[0].options[0].label)
    await user.wait_for_message("Question 2 of")
    edits = server.call_times("editMessageText")[before:]
    assert len(edits) == 2 and edits[1] - edits[0] >= 0.4  # backed off before retrying
    # The tapped question became the next one: still one message, shown once.
    assert [m.message_id for m in user.messages] == [user.messages[0].message_id]
    assert "Question 2 of" in user.messages[0].plain
    server.assert_no_errors()


async def test_get_updates_interruptions_recover_by_themselves(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6003)
    server.inject_fault("getUpdates", "500", times=2)
    server.inject_fault("getUpdates", "disconnect")
    server.inject_fault("getUpdates", "429", retry_after=1)
    # Wake the pending long poll so that the faults hit the next getUpdates calls.
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of", timeout=30)
    await user.send_text("1")
    await user.wait_for_message("Question 2 of", timeout=30)
    server.assert_no_errors()


async def test_an_unreachable_api_never_loses_the_answer(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=6004)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    # The API fails every attempt the bot makes for this update (5 attempts each).
    server.inject_fault("*", "500", times=1_000)
    await user.send_text("2")
    await server.wait_until(lambda: answers_of(bot, 6004) == [[QUESTIONS[0].id, QUESTIONS[0].options[1].id]])
    server.clear_faults()
    await user.send_command("/start")
    resumed = await user.wait_for_message("Question 2 of", timeout=30)
    assert QUESTIONS[1].text in resumed.plain
    assert bot.process is not None and bot.process.returncode is None
