"""Updates of different chats run concurrently; updates of one chat run one at a time, in order;
one busy chat never stalls the others.

python-telegram-bot takes its concurrency slot *before* calling us, so an update waiting for its
chat's lock would hold a slot: a chat with hundreds of queued updates would block everyone. So
its own limit is lifted and ours is taken only once the chat's lock is held, and each chat's
backlog is bounded: beyond :data:`MAX_CHAT_BACKLOG` waiting updates, further ones of that chat
are dropped with a log line (no person taps that fast; a script or a stuck client does).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from dialogs.service import ChatLocks

logger = logging.getLogger(__name__)
DEFAULT_MAX_CONCURRENT_UPDATES = 256
#: Updates of one chat held at once (the one running included); more are dropped. A person
#: cannot get 32 taps ahead of the bot; a hostile batch of 20 mixed updates must all be handled.
MAX_CHAT_BACKLOG = 32


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises the whole handling of an update (commit and replies) per chat."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT_UPDATES,
                 max_chat_backlog: int = MAX_CHAT_BACKLOG) -> None:
        super().__init__(sys.maxsize)  # python-telegram-bot's slot comes before the chat lock: lifted
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._max_chat_backlog = max_chat_backlog
        self._backlog: dict[int, int] = {}
        self._locks = ChatLocks()
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once every earlier update of the same chat is done, in one of the
        slots; drop it if its chat already has a full backlog."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        waiting = self._backlog.get(chat.id, 0)
        if waiting >= self._max_chat_backlog:
            self.dropped += 1
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            logger.warning("dropped an update: its chat already has %d waiting (%d dropped so far)", waiting,
                           self.dropped)
            return
        self._backlog[chat.id] = waiting + 1
        try:
            async with self._locks.hold(chat.id), self._slots:
                await coroutine
        finally:
            left = self._backlog[chat.id] - 1
            if left:
                self._backlog[chat.id] = left
            else:
                del self._backlog[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
