"""The composition root: :func:`build_crossroads` builds the whole application from Settings and
returns it. It only assembles: running is :mod:`bot.serving`'s job (and the console's), and
nothing here is imported back.

Polling, webhook, the console, the tests and the benchmark all call it; the session store is
chosen here, from DATABASE_URL, and nowhere else. Its keyword seams replace one part each: the
store, the HTTP transport to the Bot API, the clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.content_files.cache import load_languages_cached
from bot.errors import ConfigError
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage.sqlite import SqliteSessionStore
from dialogs.content import DEFAULT_LANGUAGE, Content
from dialogs.engine import DEFAULT_CHECKIN_AFTER_SECONDS, DialogEngine
from dialogs.machine import build_machine
from dialogs.service import DialogService
from dialogs.storage import PollerSlot, SessionStore

if TYPE_CHECKING:  # Telegram is imported only when a Telegram front end is built (not for the console)
    from telegram.ext import Application
    from telegram.request import BaseRequest

    from bot.telegram_frontend import TelegramFrontEnd

logger = logging.getLogger(__name__)
SECONDS_PER_DAY = 86_400
Clock = Callable[[], float]


def build_engines(languages: Content | Mapping[str, Content], retention_days: int,
                  checkin_after: float = DEFAULT_CHECKIN_AFTER_SECONDS) -> dict[str, DialogEngine]:
    """One dialog engine per language, each knowing every language's name (for /language)."""
    contents = {languages.language: languages} if isinstance(languages, Content) else dict(languages)
    names = {code: content.language_name for code, content in contents.items()}
    machine = build_machine(next(iter(contents.values())))  # the same questions in every language
    return {code: DialogEngine(content, retention_days, names, machine, checkin_after=checkin_after)
            for code, content in contents.items()}


def make_store(settings: Settings, clock: Clock = time.time) -> SessionStore:
    """The session store DATABASE_URL names, not yet opened: PostgreSQL for postgresql://
    URLs, else SQLite."""
    if settings.postgres_url:
        from bot.storage.postgres import PostgresSessionStore  # asyncpg only when it is used

        return PostgresSessionStore(settings.postgres_url, clock=clock)
    return SqliteSessionStore(settings.database, clock=clock)


async def open_store(settings: Settings, clock: Clock = time.time) -> SessionStore:
    """The session store DATABASE_URL names, opened (and migrated); for tools that need only
    the store (``python -m bot stats``)."""
    store = make_store(settings, clock)
    await store.open()
    return store


@dataclass
class Crossroads:
    """The built application: the opened dialog service and, for Telegram, the front end and
    python-telegram-bot's Application around it."""

    settings: Settings
    service: DialogService
    front_end: TelegramFrontEnd | None = None
    #: python-telegram-bot's Application (None for the console).
    application: Application[Any, Any, Any, Any, Any, Any] | None = None
    #: This application's metrics, in its own registry (served at /metrics by bot.serving).
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def telegram(self) -> Application[Any, Any, Any, Any, Any, Any]:
        """The Application (built with ``telegram=True``)."""
        if self.application is None:
            raise RuntimeError("this Crossroads was built without Telegram")
        return self.application


async def build_crossroads(
    settings: Settings,
    *,
    telegram: bool = True,
    contents: Mapping[str, Content] | None = None,
    store: SessionStore | None = None,
    transport: BaseRequest | None = None,
    updates_transport: BaseRequest | None = None,
    clock: Clock = time.time,
    on_token_rejected: Callable[[], None] | None = None,
) -> Crossroads:
    """Build Crossroads: content (every language), the session store opened, migrated and
    purged, the dialog service, and unless ``telegram=False`` (the console) the Telegram front
    end and Application. Polling (no WEBHOOK_URL) claims the database's one poller slot.

    Seams: ``store`` (an unopened store instead of the one DATABASE_URL names), ``transport`` and
    ``updates_transport`` (the Bot API HTTP clients instead of the ones Crossroads ships),
    ``clock``. ``on_token_rejected`` is called when Telegram answers 401 to any call."""
    if contents is None:
        contents = load_languages_cached(settings.content_dir, settings.content_cache_dir)
    store = store if store is not None else make_store(settings, clock)
    await store.open()
    try:
        purged = await store.purge_older_than(clock() - settings.retention_days * SECONDS_PER_DAY)
        if purged:
            logger.info("purged %d sessions idle for over %d days", purged, settings.retention_days)
        # Several processes may share a PostgreSQL database: prompts are written at once there.
        service = DialogService(build_engines(contents, settings.retention_days, settings.checkin_after_seconds),
                                store, clock=clock, lazy_prompts=not settings.postgres_url,
                                operators=settings.admin_chat_ids)
        if not telegram:
            return Crossroads(settings, service)
        if not settings.webhook_url:
            await _claim_polling(store)
    except BaseException:
        await store.close()
        raise
    from bot.deep_link import share_key
    from bot.telegram_app import build_application
    from bot.telegram_frontend import TelegramFrontEnd

    metrics = Metrics([question.id for question in contents[DEFAULT_LANGUAGE].questions])
    front_end = TelegramFrontEnd(contents[DEFAULT_LANGUAGE], service, share_key(settings.token), metrics=metrics)
    from bot.flood_control import SharedBudget

    # Workers sharing a database share the bot's flood budget through it (one token, one budget).
    shared = store if settings.postgres_url and isinstance(store, SharedBudget) else None
    application = build_application(settings, front_end, request=transport, get_updates_request=updates_transport,
                                    on_token_rejected=on_token_rejected, shared_budget=shared)
    return Crossroads(settings, service, front_end, application, metrics)


async def _claim_polling(store: SessionStore) -> None:
    """Polling is one process per bot: with PostgreSQL, a lock in the database refuses a second
    poller with a clear message (several processes serve by webhook instead)."""
    if isinstance(store, PollerSlot) and not await store.claim_poller():
        where = getattr(store, "where", "the database")
        raise ConfigError(
            f"another Crossroads process is already polling Telegram with {where}; polling runs in one "
            "process only: stop the other one, or run several workers with --webhook")
