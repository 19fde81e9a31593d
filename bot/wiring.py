"""The composition root: every long-lived object is built here, nowhere else."""

from __future__ import annotations

import logging
import time

from bot.settings import Settings
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.service import DialogService
from dialogs.sqlite_store import SqliteSessionStore

logger = logging.getLogger(__name__)
SECONDS_PER_DAY = 86_400


async def open_service(settings: Settings, content: Content) -> DialogService:
    """Open the session store (migrating it), purge expired sessions, and build the service."""
    store = SqliteSessionStore(settings.database)
    await store.open()
    purged = await store.purge_older_than(time.time() - settings.retention_days * SECONDS_PER_DAY)
    if purged:
        logger.info("purged %d sessions idle for over %d days", purged, settings.retention_days)
    return DialogService(DialogEngine(content, settings.retention_days), store,
                         checkin_after=settings.checkin_after_seconds)
