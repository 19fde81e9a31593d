"""Staying inside Telegram's flood limits.

Telegram lets a bot send about 30 messages a second overall and about one a second to one
chat, tolerating short bursts; beyond that it answers 429 with ``retry_after`` and bans a bot
that keeps pushing for longer. :class:`FloodControl` therefore

- paces new messages (``sendMessage`` and the other calls that create one) with two token
  buckets: one for the bot, one per chat. A chat's bucket holds a burst of three, so the two
  or three messages answering one tap go out at once; only what exceeds the limits waits.
  Edits, callback answers, chat actions and everything else are not paced: Telegram's documented
  limits are about messages sent, and a late callback answer is worse than none.
- pauses *all* sending after a 429 for the ``retry_after`` Telegram asked for (every request,
  paced or not, waits until then), instead of retrying one request while the others go on
  and earn the bot a longer ban.

python-telegram-bot's ``AIORateLimiter`` does the second, but paces every call (answers and
edits included) at the overall rate and does not pace private chats at all; see the README's
"Benchmark" section for both measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

#: Calls that create a message in a chat: what Telegram's flood limits count.
PACED_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendAudio", "sendDocument", "sendVideo", "sendAnimation", "sendVoice",
    "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll", "sendDice",
    "sendSticker", "sendInvoice", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
})
#: Forget a chat's bucket once it has been full again for a while (it would start full anyway).
PRUNE_EVERY = 1024
TOKEN_EPSILON = 1e-6
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class FloodLimits:
    """Sending rates, per second, and how many messages one chat may get at once."""

    messages_per_second: float = 30.0
    burst: int = 30
    chat_messages_per_second: float = 1.0
    chat_burst: int = 3


TELEGRAM_LIMITS = FloodLimits()
#: Pacing aims this far under the rates it is given, and keeps a third of the overall burst in
#: reserve: requests reach Telegram a few milliseconds apart from when they were paced, so a
#: bot paced exactly at the limit would still be refused now and then.
RATE_MARGIN = 0.9
BURST_RESERVE = 1 / 3


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
    """Paces messages and holds every request during a 429 pause. One per bot."""

    def __init__(self, limits: FloodLimits = TELEGRAM_LIMITS, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        self._overall = TokenBucket(limits.messages_per_second * RATE_MARGIN,
                                    max(1.0, limits.burst * (1 - BURST_RESERVE)), clock())
        self._chats: dict[object, TokenBucket] = {}
        self._taken = 0

    @property
    def paused_for(self) -> float:
        """Seconds left of the current 429 pause (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Telegram said 429: no request goes out for ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def before(self, api_method: str, chat_id: object) -> None:
        """Wait until ``api_method`` to ``chat_id`` may be sent."""
        while True:
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            if api_method not in PACED_METHODS:
                return
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = TokenBucket(self._limits.chat_messages_per_second * RATE_MARGIN,
                                                          self._limits.chat_burst, now)
            delay = max(self._overall.wait(now), chat.wait(now))
            if delay <= 0:
                self._overall.tokens -= 1
                chat.tokens -= 1
                self._count(now)
                return
            await self._sleep(delay)

    def _count(self, now: float) -> None:
        self._taken += 1
        if self._taken % PRUNE_EVERY == 0:
            self._chats = {key: bucket for key, bucket in self._chats.items() if not bucket.full(now)}
