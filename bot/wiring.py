"""The composition root: every long-lived object is built here, nowhere else."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from bot.errors import ConfigError
from bot.settings import Settings
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.machine import build_machine
from dialogs.service import DialogService
from dialogs.sqlite_store import SqliteSessionStore
from dialogs.storage import SessionStore

logger = logging.getLogger(__name__)
SECONDS_PER_DAY = 86_400


def build_engines(languages: Content | Mapping[str, Content], retention_days: int) -> dict[str, DialogEngine]:
    """One dialog engine per language, each knowing every language's name (for /language)."""
    contents = {languages.language: languages} if isinstance(languages, Content) else dict(languages)
    names = {code: content.language_name for code, content in contents.items()}
    machine = build_machine(next(iter(contents.values())))  # the same questions in every language
    return {code: DialogEngine(content, retention_days, names, machine) for code, content in contents.items()}


def make_store(settings: Settings) -> SessionStore:
    """The session store DATABASE_URL names: PostgreSQL for postgresql:// URLs, else SQLite."""
    if settings.postgres_url:
        from dialogs.postgres_store import PostgresSessionStore  # asyncpg only when it is used

        return PostgresSessionStore(settings.postgres_url)
    return SqliteSessionStore(settings.database)


async def open_store(settings: Settings) -> SessionStore:
    """The session store DATABASE_URL names, opened (and migrated)."""
    store = make_store(settings)
    await store.open()
    return store


async def open_service(settings: Settings, content: Content | Mapping[str, Content]) -> DialogService:
    """Open the session store (migrating it), purge expired sessions, and build the service
    (one engine per language when given every language's content)."""
    store = await open_store(settings)
    try:
        purged = await store.purge_older_than(time.time() - settings.retention_days * SECONDS_PER_DAY)
    except BaseException:
        await store.close()
        raise
    if purged:
        logger.info("purged %d sessions idle for over %d days", purged, settings.retention_days)
    # Several processes may share a PostgreSQL database: prompts are written at once there.
    return DialogService(build_engines(content, settings.retention_days), store,
                         checkin_after=settings.checkin_after_seconds, lazy_prompts=not settings.postgres_url)


async def claim_polling(service: DialogService, settings: Settings) -> None:
    """Polling is one process per bot: with PostgreSQL, a lock in the database refuses a second
    poller with a clear message (several processes serve by webhook instead)."""
    claim = getattr(service.store, "claim_poller", None)
    if claim is not None and not await claim():
        where = getattr(service.store, "where", "the database")
        raise ConfigError(
            f"another Crossroads process is already polling Telegram with {where}; polling runs in one "
            "process only: stop the other one, or run several workers with --webhook")
