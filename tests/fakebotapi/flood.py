"""Telegram's flood limits as token buckets (one for the bot, one per chat)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def counted(params: Mapping[str, Any]) -> bool:
    """What the limits count: every call into a chat (messages, edits, chat actions, photos), as
    python-telegram-bot's AIORateLimiter does; callback answers and calls about the bot carry
    no chat_id and are not counted."""
    return params.get("chat_id") is not None


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float
    refused_until: float = 0.0

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


@dataclass
class FloodLimits:
    """The fake's flood mode: a bucket for the bot and one per chat."""

    messages_per_second: float = 30.0
    burst: float = 30.0
    chat_messages_per_second: float = 1.0
    chat_burst: float = 3.0
    _overall: _Bucket | None = None
    _chats: dict[object, _Bucket] = field(default_factory=dict)

    def check(self, chat_id: object, now: float) -> int | None:
        """None if a message to ``chat_id`` may go now (it is counted), else retry_after."""
        if self._overall is None:
            self._overall = _Bucket(self.messages_per_second, self.burst, self.burst, now)
        chat = self._chats.setdefault(
            chat_id, _Bucket(self.chat_messages_per_second, self.chat_burst, self.chat_burst, now))
        for bucket in (self._overall, chat):
            if now < bucket.refused_until:
                return max(1, math.ceil(bucket.refused_until - now))
        for bucket in (self._overall, chat):
            bucket.refill(now)
            if bucket.tokens < 1:
                retry_after = max(1, math.ceil((1 - bucket.tokens) / bucket.rate))
                bucket.refused_until = now + retry_after
                return retry_after
        self._overall.tokens -= 1
        chat.tokens -= 1
        return None
