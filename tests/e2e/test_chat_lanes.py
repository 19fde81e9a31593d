"""The transport's chat lanes against the fake Bot API over loopback: calls into one chat go out
one at a time, and once one of them finds the chat blocked, the others are refused here without
reaching Telegram (the race the hostile-input property test found: a reply queued behind the
pacing went out after the block was known)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Forbidden

from bot.aiohttp_request import AiohttpRequest
from bot.chat_lanes import ChatLanes
from bot.flood_control import FloodControl, FloodLimits
from bot.retrying_request import RetryingRequest
from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def lanes_and_bot(server: FakeBotApi) -> AsyncIterator[tuple[ChatLanes, Bot]]:
    lanes = ChatLanes()
    request = RetryingRequest(AiohttpRequest(8), lanes=lanes)
    async with Bot(server.token, base_url=f"{server.url}/bot", request=request) as bot:
        yield lanes, bot


def writes_into(server: FakeBotApi, chat_id: int) -> list[str]:
    return [record.method for record in server.requests if record.params.get("chat_id") in (chat_id, str(chat_id))]


async def test_after_a_call_finds_the_block_no_other_call_into_the_chat_is_sent(
    server: FakeBotApi, lanes_and_bot: tuple[ChatLanes, Bot],
) -> None:
    lanes, bot = lanes_and_bot
    user = server.user(user_id=4101)
    await user.block_bot()
    results = await asyncio.gather(
        bot.send_message(4101, "one"), bot.send_chat_action(4101, "typing"), bot.send_message(4101, "three"),
        return_exceptions=True,
    )
    assert all(isinstance(result, Forbidden) for result in results), results
    assert len(writes_into(server, 4101)) == 1  # the first found out; the other two never left
    assert lanes.is_blocked(4101)
    # Another chat is not held up by it.
    server.user(user_id=4102)
    await bot.send_message(4102, "hello")
    assert [message.plain for message in server.chat(4102).all_messages] == ["hello"]


async def test_a_chat_that_comes_back_is_written_to_again(server: FakeBotApi, lanes_and_bot: tuple[ChatLanes, Bot]) -> None:
    lanes, bot = lanes_and_bot
    user = server.user(user_id=4103)
    await user.block_bot()
    with pytest.raises(Forbidden):
        await bot.send_message(4103, "lost")
    await user.unblock_bot()
    with pytest.raises(Forbidden):  # the transport does not know yet: the front end tells it
        await bot.send_message(4103, "still held back")
    lanes.unblock(4103)
    await bot.send_message(4103, "welcome back")
    assert [message.plain for message in server.chat(4103).all_messages] == ["welcome back"]
    assert len(writes_into(server, 4103)) == 2


async def test_calls_into_one_chat_go_out_one_at_a_time(server: FakeBotApi, lanes_and_bot: tuple[ChatLanes, Bot]) -> None:
    _, bot = lanes_and_bot
    server.user(user_id=4104)
    await asyncio.gather(*(bot.send_message(4104, f"message {n}") for n in range(5)))
    records = [record for record in server.requests if record.params.get("chat_id") in (4104, "4104")]
    assert len(records) == 5
    for earlier, later in zip(records, records[1:]):
        assert earlier.finished_at is not None and later.started_at >= earlier.finished_at


async def test_every_call_into_a_chat_is_paced_and_calls_into_no_chat_are_not(server: FakeBotApi) -> None:
    """As Telegram (and python-telegram-bot's AIORateLimiter) count them: edits and chat
    actions draw on the chat's budget like messages; callback answers and calls about the bot
    itself do not."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    limits = FloodLimits(messages_per_second=1000, burst=1000, chat_messages_per_second=20, chat_burst=1)
    request = RetryingRequest(AiohttpRequest(8), flood=FloodControl(limits, sleep=sleep))
    async with Bot(server.token, base_url=f"{server.url}/bot", request=request) as bot:
        server.user(user_id=4105)
        sent = await bot.send_message(4105, "question")
        waits.clear()
        await bot.edit_message_text("edited", chat_id=4105, message_id=sent.message_id)
        await bot.send_chat_action(4105, "typing")
        assert len(waits) == 2  # each waited for the chat's next slot
        waits.clear()
        for _ in range(5):
            await bot.get_me()
            await bot.get_my_commands()
        assert waits == []
