"""One lane per chat: the calls into one chat go out one at a time, and none after Telegram said
the person blocked the bot.

Updates of one chat are handled in order, but a chat can still be written to from two places at
once (a result card sent in the background, a check-in falling due). Holding each chat's calls
in one lane makes the block found by one call known before the next call leaves: nothing is
written into a chat after the attempt that discovered the block, until the person comes back
(:meth:`ChatLanes.unblock`, on their my_chat_member update).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: What Telegram answers when a chat no longer accepts the bot's messages.
BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"


class ChatBlocked(Exception):
    """The chat blocked the bot; the call was not sent."""


class ChatLanes:
    """Per-chat locks (only while a chat has calls in flight) and the chats that blocked the bot."""

    def __init__(self) -> None:
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        #: Kept in memory: after a restart the first failed call finds out again.
        self._blocked: set[object] = set()

    def is_blocked(self, chat_id: object) -> bool:
        """Whether ``chat_id`` blocked the bot (as far as this process knows)."""
        return _key(chat_id) in self._blocked

    def block(self, chat_id: object) -> None:
        """Telegram refused a call into ``chat_id`` with 403: write nothing more to it."""
        self._blocked.add(_key(chat_id))

    def unblock(self, chat_id: object) -> None:
        """The person is back: writing to them is allowed again."""
        self._blocked.discard(_key(chat_id))

    @asynccontextmanager
    async def lane(self, chat_id: object) -> AsyncIterator[None]:
        """Hold ``chat_id``'s lane; raises :class:`ChatBlocked` once inside if the chat blocked the bot."""
        key = _key(chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                if key in self._blocked:
                    raise ChatBlocked()
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else holds or waits for it: forget the lock
                del self._waiting[key], self._locks[key]


def _key(chat_id: object) -> object:
    """Chat ids reach the transport as ints or strings (the JSON form): one key for both."""
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id
    return chat_id
