"""A wall of text as long as Telegram allows, through the real bot process and the fake Bot API:
it gets a reply, changes nothing, and a chat that writes right after it is answered too (the
bot reads only a message's beginning, so one long message holds no other chat up)."""

from __future__ import annotations

import json
import sqlite3

from bot.content_files.loader import load_languages
from tests.e2e.harness import BotProcess
from tests.fakebotapi import FakeBotApi

CONTENT = load_languages()["en"]
TOTAL = len(CONTENT.questions)
#: Telegram's longest text message, in UTF-16 code units.
LONGEST = 4096


def wall(prose: str) -> str:
    """``prose`` repeated to exactly Telegram's longest message."""
    text = " ".join(prose.split())  # one paragraph, as pasted
    text = (text + " ") * (LONGEST // len(text) + 1)
    while len(text.encode("utf-16-le")) // 2 > LONGEST:
        text = text[:-1]
    return text


WALLS = (wall(CONTENT.article_text),
         wall("The weather in Paris was mild, with light rain in the morning; the trains ran late again. "))


def is_question(number: int):  # type: ignore[no-untyped-def]
    return lambda message: f"Question {number} of {TOTAL}" in (message.plain or "") and bool(message.buttons)


def stored(bot: BotProcess, chat_id: int) -> tuple[str, list[list[str]]] | None:
    with sqlite3.connect(bot.database) as db:
        row = db.execute("SELECT state, answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return (row[0], json.loads(row[1])) if row else None


async def test_the_longest_message_gets_a_reply_and_other_chats_are_still_answered(server: FakeBotApi,
                                                                                  bot: BotProcess) -> None:
    pasting = server.user(user_id=42001)
    await pasting.send_command("/start")
    await pasting.wait_for_message(is_question(1))
    await pasting.press_button(CONTENT.questions[0].options[0].label)
    asked = await pasting.wait_for_message(is_question(2))
    before = stored(bot, 42001)
    others = [server.user(user_id=42002 + number) for number in range(3)]
    for text in WALLS:
        assert len(text.encode("utf-16-le")) // 2 == LONGEST
        await pasting.send_text(text)
        for other in others:  # written while the long message is being read
            await other.send_command("/start")
    for other in others:
        await other.wait_for_message(is_question(1))
    seen = {asked.message_id}
    for _ in WALLS:  # a reply each, ending with the question they were on
        again = await pasting.wait_for_message(
            lambda message: message.message_id not in seen and (message.plain or "").endswith(CONTENT.questions[1].text))
        seen.add(again.message_id)
    assert stored(bot, 42001) == before
    server.assert_no_errors()
