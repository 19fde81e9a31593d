"""The two-week check-in: due reminders are claimed from the store and sent, once each.

Reminders live in the database, so they survive restarts: the loop starts with the bot and
first sends whatever fell due while it was down. Claiming removes the reminder before it is
sent (at most once: a crash between the two loses that one reminder rather than repeating it).

Check-ins share the bot's flood budget with live chats, and a thousand may be due at once after a
day of downtime: they go out one at a time at no more than ``per_second`` (a third of the
bot's overall rate, bot.telegram_app), so people chatting now always find most of the budget free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.metrics import Metrics
from dialogs import analytics
from dialogs.analytics import UsageEvent
from dialogs.content import PATH_IDS
from dialogs.replies import Reply
from dialogs.service import DialogService

logger = logging.getLogger(__name__)
BATCH = 50
#: Check-ins a second at most: a third of Telegram's 30 calls a second.
CHECKINS_PER_SECOND = 10.0
SendReply = Callable[[int, Reply], Awaitable[object]]


async def run_checkins(service: DialogService, send: SendReply, poll_seconds: float, stop: asyncio.Event,
                       clock: Callable[[], float] = time.time, per_second: float = CHECKINS_PER_SECOND,
                       metrics: Metrics | None = None) -> None:
    """Send due check-ins until ``stop`` is set, at most ``per_second``; each sent is counted in
    ``metrics``."""
    gap = 1 / per_second
    while not stop.is_set():
        try:
            due = await service.store.claim_due_checkins(clock(), BATCH)
        except Exception:  # noqa: BLE001 - the store may be briefly away; try again later
            logger.warning("could not read due check-ins", exc_info=True)
            due = []
        for chat_id, path_id in due:
            if path_id not in PATH_IDS:
                continue
            started = time.monotonic()
            try:
                session = await service.session(chat_id)
                engine = service.engine_for(session.language if session else "")
                await send(chat_id, engine.views.checkin(path_id))
                if metrics is not None:
                    metrics.checkins.inc()
                await service.record(UsageEvent(analytics.CHECKIN_SENT, at=clock()))
                logger.info("check-in sent")
            except Exception:  # noqa: BLE001 - one chat's failure must not stop the others
                logger.warning("could not send a check-in", exc_info=True)
            await asyncio.sleep(max(0.0, gap - (time.monotonic() - started)))
        if len(due) == BATCH:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)
