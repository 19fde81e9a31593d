"""Secrets, privacy and operations: the token stays out of logs, replies and storage; /forget
erases a person; SIGTERM finishes the work in flight and closes the database cleanly."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess
from tests.e2e.storage import Storage
from tests.fakebotapi import FakeBotApi

HINT = load_content().texts["answer_hint"].split("(")[0]

CONTENT = load_content()
QUESTIONS = CONTENT.questions
TOKEN = "424242:FAKE-token-for-crossroads-tests"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def database_bytes(bot: BotProcess) -> bytes:
    return b"".join(p.read_bytes() for p in bot.workdir.glob("crossroads.db*"))


async def test_token_never_reaches_logs_replies_or_storage(tmp_path: Path) -> None:
    async with FakeBotApi(token=TOKEN) as server:
        bot = BotProcess(server, tmp_path)  # LOG_LEVEL=DEBUG: the most talkative setting
        await bot.start()
        user = server.user(user_id=7001)
        server.inject_fault("sendMessage", "500")  # error paths log too
        await user.send_command("/start")
        await user.wait_for_message("Question 1 of")
        await user.send_text(TOKEN)  # even a person typing the token must not get it stored
        await user.wait_for_message()  # whatever it is read as
        for option in (0, 1, 2):
            await user.send_text(str(option + 1))
        await user.wait_for_message("Question 4 of")
        await bot.stop()
        secret_part = TOKEN.split(":", 1)[1].encode()
        log = bot.log_path.read_bytes()
        assert log and secret_part not in log
        assert secret_part not in database_bytes(bot)
        assert all(secret_part.decode() not in (m.text or "") for m in user.messages)


async def test_forget_removes_every_row_about_the_person(
    server: FakeBotApi, stored_bot: BotProcess, storage: Storage
) -> None:
    keeper, leaver = server.user(user_id=7002), server.user(user_id=7003)
    for person in (keeper, leaver):
        await person.send_command("/start")
        await person.wait_for_message("Question 1 of")
        for _ in range(3):
            await person.send_text("3")
        await person.wait_for_message("Question 4 of")
    await leaver.send_command("/forget")
    await leaver.wait_for_message("deleted everything")
    await stored_bot.stop()
    assert await storage.hits(7003) == [], "these columns still hold the forgotten person"
    assert await storage.hits(7002) == ["sessions.chat_id"]
    assert set(await storage.answers()) == {7002}
    if storage.name != "sqlite":
        return
    # SQLite: deleted content is overwritten, not left in free pages (secure_delete).
    bot = stored_bot
    leaver_answers = f'[["{QUESTIONS[0].id}","{QUESTIONS[0].options[2].id}"]'.encode()
    assert database_bytes(bot).count(leaver_answers) == 1  # only the keeper's row remains


async def test_sigterm_finishes_updates_in_flight_and_closes_the_database(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=7004)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    server.inject_fault("editMessageText", "delay", seconds=1.5)
    await user.press_button(QUESTIONS[0].options[0].label)
    await server.wait_for_request("editMessageText")  # the update is now in flight
    assert bot.process is not None
    await asyncio.sleep(0.1)
    exit_code = await bot.stop()
    assert exit_code == 0
    next_question = [m for m in user.messages if "Question 2 of" in (m.plain or "")]
    assert len(next_question) == 1  # the in-flight update was finished before exiting
    assert not (bot.workdir / "crossroads.db-wal").exists()  # closed cleanly: WAL checkpointed
    assert "session store is closed" in bot.log()


async def test_logs_are_one_line_per_event_without_message_texts(server: FakeBotApi, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path, extra_env={"LOG_LEVEL": "INFO"})
    await bot.start()
    user = server.user(user_id=7005)
    secret_words = "my secret career plans"
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    await user.send_text(secret_words)
    await user.wait_for_message()  # whatever they are read as
    await user.send_text("1")
    await user.wait_for_message("Question 2 of")
    await bot.stop()
    lines = bot.log().splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), lines
    assert sum("event=" in line for line in lines) == 3
    text = bot.log()
    assert secret_words not in text and QUESTIONS[0].text not in text and QUESTIONS[0].options[0].label not in text
