"""The composition root: every long-lived object is built here, nowhere else."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from bot.settings import Settings
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.service import DialogService
from dialogs.sqlite_store import SqliteSessionStore

logger = logging.getLogger(__name__)
SECONDS_PER_DAY = 86_400


def build_engines(languages: Content | Mapping[str, Content], retention_days: int) -> dict[str, DialogEngine]:
    """One dialog engine per language, each knowing every language's name (for /language)."""
    contents = {languages.language: languages} if isinstance(languages, Content) else dict(languages)
    names = {code: content.language_name for code, content in contents.items()}
    return {code: DialogEngine(content, retention_days, names) for code, content in contents.items()}


async def open_store(settings: Settings) -> SqliteSessionStore:
    """The session store DATABASE_URL names, opened (and migrated)."""
    store = SqliteSessionStore(settings.database)
    await store.open()
    return store


async def open_service(settings: Settings, content: Content | Mapping[str, Content]) -> DialogService:
    """Open the session store (migrating it), purge expired sessions, and build the service
    (one engine per language when given every language's content)."""
    store = await open_store(settings)
    purged = await store.purge_older_than(time.time() - settings.retention_days * SECONDS_PER_DAY)
    if purged:
        logger.info("purged %d sessions idle for over %d days", purged, settings.retention_days)
    return DialogService(build_engines(content, settings.retention_days), store,
                         checkin_after=settings.checkin_after_seconds)
