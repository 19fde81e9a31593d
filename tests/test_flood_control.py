"""Flood control on a fake clock: every call into a chat paced to Telegram's limits, a tap's replies
never slowed, calls into no chat never paced, and a 429 pause that holds every request."""

from __future__ import annotations

import asyncio

from bot.flood_control import RATE_MARGIN, FloodControl, FloodLimits


class Clock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def control(clock: Clock, limits: FloodLimits | None = None) -> FloodControl:
    return FloodControl(limits or FloodLimits(), clock=clock, sleep=clock.sleep)


async def test_the_messages_answering_one_tap_go_out_at_once() -> None:
    clock = Clock()
    flood = control(clock)
    for _ in range(3):  # close the question, send the next, and one more
        await flood.before(42)
    assert clock.slept == []


async def test_one_chat_is_paced_to_about_one_message_a_second() -> None:
    clock = Clock()
    flood = control(clock)
    started = clock.now
    for _ in range(13):
        await flood.before(42)
    # 3 at once, then 10 more at the chat's rate (a little under 1/s, the safety margin).
    assert clock.now - started >= 10 / RATE_MARGIN - 1e-6
    assert clock.now - started <= 10 / RATE_MARGIN + 0.5


async def test_the_bot_is_paced_to_about_30_messages_a_second_overall() -> None:
    clock = Clock()
    flood = control(clock)
    started = clock.now
    for chat in range(200):  # 200 different chats: only the overall limit applies
        await flood.before(chat)
    elapsed = clock.now - started
    # Telegram's allowance (a burst of 30, then 30 a second) is never used up to the last token...
    assert elapsed >= (200 - 30) / 30
    # ...and not much slower: a burst of 20, then a little under 30 a second (the safety margin).
    assert elapsed <= (200 - 20) / (30 * RATE_MARGIN) + 0.1


async def test_calls_into_no_chat_are_not_paced() -> None:
    clock = Clock()
    flood = control(clock)
    for _ in range(400):  # answerCallbackQuery, getUpdates, setMyCommands: no chat_id
        await flood.before(None)
    assert clock.slept == []


async def test_a_429_pauses_every_request_until_retry_after() -> None:
    clock = Clock()
    flood = control(clock)
    await flood.pause(5)
    assert flood.paused_for == 5
    started = clock.now
    await flood.before(None)  # not paced, but paused like everything else
    assert clock.now - started >= 5
    assert flood.paused_for == 0
    await flood.pause(2)
    await flood.pause(1)  # a shorter pause never shortens the current one
    assert flood.paused_for == 2


async def test_concurrent_senders_share_the_overall_rate() -> None:
    clock = Clock()
    flood = control(clock, FloodLimits(messages_per_second=10, burst=3, chat_messages_per_second=100, chat_burst=100))
    sent: list[float] = []

    async def sender(chat: int) -> None:
        for _ in range(5):
            await flood.before(chat)
            sent.append(clock.now)

    await asyncio.gather(*(sender(chat) for chat in range(6)))
    assert len(sent) == 30
    # Any one-second window holds at most the burst plus the rate's worth.
    for start in sent:
        assert sum(start <= t < start + 1 for t in sent) <= 2 + 10
