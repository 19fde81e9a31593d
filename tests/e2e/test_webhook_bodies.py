"""Hostile webhook bodies with the right secret: each malformed one is refused with 400 and one
warning line (never its content, never the token), and the bot goes on answering; a failure while
processing a valid update is logged with its traceback and answered 500 (Telegram redelivers).
Update fields the core trusts (update_id, chat and user ids, the text) are checked at the edge,
in webhook and polling mode alike."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Bot, Update

from bot.webhook_server import InFlight, start_webhook_server
from tests.e2e.harness import BotProcess, free_port
from tests.fakebotapi import FakeBotApi

SECRET = "s3cret-token_for-bodies"
HOOK_PATH = "/telegram/hook"
MARKER = "body-marker-7f3a"
REJECTED = "webhook request rejected: not a valid update"
DROPPED = "dropped an update"
INTERNAL_ERROR = "something went wrong"


def nested_replies(depth: int) -> dict[str, Any]:
    """An update whose message quotes a message quoting a message... ``depth`` times."""
    message: dict[str, Any] = {"message_id": 1, "date": 0, "chat": {"id": 3001, "type": "private"}, "text": MARKER}
    for number in range(2, depth + 2):
        message = {"message_id": number, "date": 0, "chat": {"id": 3001, "type": "private"}, "text": MARKER,
                   "reply_to_message": message}
    return {"update_id": 10, "message": message}


MALFORMED_BODIES = [
    b"[]",
    b"null",
    b"5",
    json.dumps(MARKER).encode(),
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps(nested_replies(600)).encode(),
    b"{}",
    json.dumps({"update_id": 11, "message": {"message_id": 1, "text": MARKER}}).encode(),  # no chat, no date
    json.dumps({"update_id": 12, "callback_query": 5}).encode(),
]


def text_update(chat_id: Any, text: str | int, **fields: Any) -> dict[str, Any]:
    """A private text message update of ``chat_id`` (any JSON in its fields)."""
    sender = fields.pop("sender", {"id": chat_id, "is_bot": False, "first_name": "Eve"})
    message = {"message_id": fields.pop("message_id", 500), "date": 0, "chat": {"id": chat_id, "type": "private"},
               "from": sender, "text": text}
    update: dict[str, Any] = {"message": message}
    if "update_id" in fields:
        update["update_id"] = fields.pop("update_id")
    return update


async def post_raw(port: int, body: bytes, secret: str = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}{HOOK_PATH}"
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status


def warnings_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line]


@pytest.fixture
async def webhook_bot(server: FakeBotApi, tmp_path: Path) -> AsyncIterator[tuple[BotProcess, int]]:
    port = free_port()
    bot = BotProcess(server, tmp_path, extra_env={
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}", "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port), "WEBHOOK_SECRET": SECRET,
    })
    await bot.start("--webhook", ready_method="setWebhook")
    yield bot, port
    assert await bot.stop() == 0


async def test_malformed_bodies_get_400_and_one_warning_each(server: FakeBotApi,
                                                             webhook_bot: tuple[BotProcess, int]) -> None:
    bot, port = webhook_bot
    user = server.user(user_id=3001)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    warned = len(warnings_in(bot.log()))
    for body in MALFORMED_BODIES:
        assert await post_raw(port, body) == 400, body[:40]
    log = bot.log()
    new_warnings = warnings_in(log)[warned:]
    assert len(new_warnings) == len(MALFORMED_BODIES), new_warnings
    assert all(REJECTED in line for line in new_warnings)
    assert MARKER not in log and server.token not in log
    assert " ERROR " not in log and "Traceback" not in log

    await user.send_command("/restart")  # the bot still answers, through Telegram's own delivery
    await user.wait_for_message("Starting over")
    server.assert_no_errors()


async def test_a_string_update_id_is_refused_and_the_chat_goes_on(server: FakeBotApi,
                                                                  webhook_bot: tuple[BotProcess, int]) -> None:
    bot, port = webhook_bot
    user = server.user(user_id=3002)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    warned = len(warnings_in(bot.log()))
    bad = [
        text_update(3002, "/help", update_id="abc"),
        text_update(3002, "/help", update_id=-1),
        text_update(3002, "/help", update_id=True),
        text_update("3002", "/help"),
        text_update(3002, 12345),
        text_update(3002, "/help", message_id="x"),
        text_update(3002, "/help", sender={"id": True, "is_bot": False, "first_name": "Eve"}),
        text_update(3002, "/help", sender={"id": 3002, "is_bot": False, "first_name": "Eve", "language_code": 7}),
        text_update(3002, "/help", update_id=2**70),
    ]
    for number, update in enumerate(bad):
        update.setdefault("update_id", 5000 + number)
        assert await post_raw(port, json.dumps(update).encode()) == 400, update
    new_warnings = warnings_in(bot.log())[warned:]
    assert len(new_warnings) == len(bad), new_warnings

    await user.send_command("/restart")
    await user.wait_for_message("Starting over")
    assert not [m for m in server.chat(3002).messages if INTERNAL_ERROR in (m.plain or "")]
    server.assert_no_errors()


async def test_polled_updates_with_bad_fields_are_dropped(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=3003)
    await user.send_command("/start")
    await user.wait_for_message("Question 1 of")
    warned = len(warnings_in(bot.log()))
    await server.push_update(text_update(3003, 12345))  # a number for a text
    await server.push_update(text_update("3003", "/help"))  # a string for a chat id
    await user.send_command("/restart")
    await user.wait_for_message("Starting over")
    assert not [m for m in server.chat(3003).messages if INTERNAL_ERROR in (m.plain or "")]
    dropped = [line for line in warnings_in(bot.log())[warned:] if DROPPED in line]
    assert len(dropped) == 2, bot.log()
    server.assert_no_errors()


async def test_a_failure_while_processing_is_logged_with_its_traceback_and_answered_500(
        server: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    async def fail(update: Update) -> None:
        raise RuntimeError("the handler broke")

    port = free_port()
    http_server = start_webhook_server("127.0.0.1", port, HOOK_PATH, Bot(server.token), fail, InFlight(), SECRET,
                                       health=_always_healthy)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.webhook_server"):
            assert await post_raw(port, json.dumps(text_update(3004, MARKER, update_id=77)).encode()) == 500
    finally:
        http_server.stop()
    failures = [record for record in caplog.records if record.name == "bot.webhook_server"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR and failures[0].exc_info is not None
    assert "the handler broke" in caplog.text and MARKER not in caplog.text
    assert isinstance(failures[0].exc_info[1], RuntimeError)


async def _always_healthy() -> bool:
    return True
