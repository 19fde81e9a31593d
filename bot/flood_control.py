"""Staying inside Telegram's flood limits.

Telegram lets a bot make about 30 calls a second into chats overall and about one a second into
one chat, tolerating short bursts; beyond that it answers 429 with ``retry_after`` and bans a bot
that keeps pushing for longer. Like python-telegram-bot's ``AIORateLimiter``, what counts is
every call that carries a ``chat_id``: messages, edits, chat actions, photos. Callback answers
and calls about the bot itself (getUpdates, setMyCommands) carry none and are not paced.
:class:`FloodControl` therefore

- paces chat-bound calls with two budgets: one for the bot, one per chat. A chat's bucket holds
  a burst of three, so the two or three calls answering one tap go out at once; only what exceeds
  the limits waits. The bot's budget hands out send slots in order (the generic cell rate
  algorithm: each call reserves the next free slot and sleeps until it, so waiting calls never
  wake to find the slot taken): in this process (:class:`LocalBudget`), or, when several workers
  share one bot token, from a :class:`SharedBudget` they all draw from (PostgreSQL: one row, see
  :mod:`bot.storage.postgres`), so that two workers do not send twice the rate.
- pauses *all* sending after a 429 for the ``retry_after`` Telegram asked for (every request,
  paced or not, waits until then; with a shared budget, every worker), instead of retrying one
  request while the others go on and earn the bot a longer ban.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger(__name__)
#: Forget a chat's bucket once it has been full again for a while (it would start full anyway).
PRUNE_EVERY = 1024
TOKEN_EPSILON = 1e-6
#: One warning a minute at most while the shared budget is away.
WARN_EVERY_SECONDS = 60.0
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class FloodLimits:
    """Call rates, per second, and how many calls one chat may get at once."""

    messages_per_second: float = 30.0
    burst: int = 30
    chat_messages_per_second: float = 1.0
    chat_burst: int = 3


TELEGRAM_LIMITS = FloodLimits()
#: Pacing aims this far under the rates it is given, and keeps part of the overall burst in
#: reserve: requests reach Telegram a few milliseconds apart from when they were paced, so a
#: bot paced exactly at the limit would still be refused now and then.
RATE_MARGIN = 0.97
BURST_RESERVE = 1 / 3


@runtime_checkable
class SharedBudget(Protocol):
    """The bot's overall budget, shared by every process that sends with its token."""

    async def reserve_send_slot(self, interval: float, tolerance: float) -> float:
        """Take the next call's slot (one every ``interval`` seconds, up to ``tolerance`` seconds
        of them saved up); the seconds to wait before sending (0: now)."""
        ...

    async def hold_sends(self, seconds: float) -> None:
        """Telegram said 429: no slot is given for ``seconds`` from now, to any process."""
        ...


class LocalBudget:
    """The bot's budget in this process: the same slots as a :class:`SharedBudget`, in memory."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._next_slot = float("-inf")

    async def reserve_send_slot(self, interval: float, tolerance: float) -> float:
        now = self._clock()
        start = max(self._next_slot, now - tolerance)
        self._next_slot = start + interval
        return start - now

    async def hold_sends(self, seconds: float) -> None:
        self._next_slot = max(self._next_slot, self._clock() + seconds)


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up; starts full."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self.tokens, self.updated = rate, capacity, capacity, now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        # Within a hair of a whole token counts as one: float rounding must not leave a sender
        # sleeping nanoseconds in a loop.
        return 0.0 if self.tokens >= 1 - TOKEN_EPSILON else (1 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        """Whether the bucket would be full at ``now``."""
        return self.tokens + (now - self.updated) * self.rate >= self.capacity


class FloodControl:
    """Paces chat-bound calls and holds every request during a 429 pause. One per bot transport."""

    def __init__(self, limits: FloodLimits = TELEGRAM_LIMITS, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep, shared: SharedBudget | None = None) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._shared = shared
        self._warned_at = -WARN_EVERY_SECONDS
        self._paused_until = 0.0
        rate = limits.messages_per_second * RATE_MARGIN
        capacity = max(1.0, limits.burst * (1 - BURST_RESERVE))
        self._local = LocalBudget(clock)
        #: The budget's terms: one slot every interval, ``tolerance`` seconds of burst.
        self._interval = 1 / rate
        self._tolerance = (capacity - 1) / rate
        self._chats: dict[object, TokenBucket] = {}
        self._taken = 0

    @property
    def paused_for(self) -> float:
        """Seconds left of the current 429 pause (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: no request goes out for ``seconds`` from now (nor from the other
        workers, with a shared budget)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._shared is not None:
            try:
                await self._shared.hold_sends(seconds)
            except Exception:  # noqa: BLE001 - the shared budget is away: this process still pauses
                logger.warning("could not share a 429 pause with the other workers", exc_info=True)

    async def before(self, chat_id: object) -> None:
        """Wait until a call into ``chat_id`` (None: a call into no chat) may be sent."""
        await self._wait_for_pause()
        if chat_id is None:
            return
        chat = self._chat_bucket(chat_id)
        while (delay := chat.wait(self._clock())) > 0:  # the chat's own pace first: no overall slot
            await self._sleep(delay)                     # is held while waiting for it
        if not await self._shared_slot():
            delay = await self._local.reserve_send_slot(self._interval, self._tolerance)
            if delay > 0:
                await self._sleep(delay)
        await self._wait_for_pause()
        # The chat's token is taken when the call really leaves (calls into one chat go one at a
        # time, see bot.chat_lanes): a call held up by the overall budget must not leave its
        # chat's next call free to follow it closer than Telegram allows.
        chat.wait(self._clock())
        chat.tokens -= 1
        self._count()

    async def _shared_slot(self) -> bool:
        """Wait for a slot of the shared budget; False when there is none (or it is away: then
        this process paces by itself, as a single worker would)."""
        if self._shared is None:
            return False
        try:
            delay = await self._shared.reserve_send_slot(self._interval, self._tolerance)
        except Exception as error:  # noqa: BLE001 - a database blip must not stop replies
            if self._clock() - self._warned_at > WARN_EVERY_SECONDS:
                self._warned_at = self._clock()
                logger.warning("the shared flood budget is unavailable (%s); pacing this worker by itself",
                               type(error).__name__)
            return False
        if delay > 0:
            await self._sleep(delay)
        return True

    async def _wait_for_pause(self) -> None:
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)

    def _chat_bucket(self, chat_id: object) -> TokenBucket:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(self._limits.chat_messages_per_second * RATE_MARGIN,
                                                      self._limits.chat_burst, self._clock())
        return chat

    def _count(self) -> None:
        self._taken += 1
        if self._taken % PRUNE_EVERY == 0:
            now = self._clock()
            self._chats = {key: bucket for key, bucket in self._chats.items() if not bucket.full(now)}
