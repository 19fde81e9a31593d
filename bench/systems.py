"""The three systems under test, built and started the way each would run in production, with a
completion hook the driver listens to: on the canned transport (core only), or, given
``api_url``, on their own real HTTP client, long polling a Bot API server in another process
(the wire mode).

- ``a``: :class:`bench.baseline.BaselineQuiz` in a ConversationHandler, nothing persisted.
- ``b``: the same with PicklePersistence, flushed to disk after every update.
- ``crossroads``: the real front end, dialog service, engine and SQLite store, started as
  :func:`bot.telegram_app.serve` starts them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bench.baseline import ANSWER_PREFIX, BaselineQuiz
from bench.population import pickle_persistence, preload_memory
from bench.transport import BOT_TOKEN, CannedRequest
from bot.callback_codec import VERSION as CALLBACK_VERSION
from bot.flood_control import FloodLimits
from bot.serving import freeze_start_up, shut_down, start_telegram
from bot.settings import DEFAULT_API_URL, Settings
from bot.telegram_app import ALLOWED_UPDATES, POLL_TIMEOUT_SECONDS
from bot.wiring import build_crossroads
from dialogs.content import Content

SYSTEMS = ("a", "b", "crossroads")
BUILT_BY = "bot.wiring.build_crossroads"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
#: The completion hook runs in a handler group after every real handler.
DONE_GROUP = 1_000_000
DoneCallback = Callable[[Update], None]
#: The synthetic people tap hundreds of times a second, which Telegram itself would refuse
#: (and the benchmark's server does not enforce): Crossroads runs with limits beyond that load,
#: so its flood control is paid for on every call but never waits.
BENCH_FLOOD_LIMITS = FloodLimits(messages_per_second=1e9, burst=10**9, chat_messages_per_second=1e9, chat_burst=10**9)


@dataclass
class RunningSystem:
    """A started system: feed ``application.update_queue``; ``transport`` shows what it sent."""

    name: str
    application: AnyApplication
    transport: CannedRequest | None
    """The canned transport (None on the wire: the server process sees the calls)."""
    answer_prefix: str
    stop: Callable[[], Awaitable[None]]
    notes: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _install_hooks(application: AnyApplication, on_done: DoneCallback, errors: list[str], flush: bool) -> None:
    """Signal the end of each update (after a persistence flush for baseline B) and count
    handler errors."""

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if flush:
            user = update.effective_user
            if user is not None:
                # process_update marks user_data for persistence only after the last handler
                # group; mark it here so this very update is in the flush.
                application.mark_data_for_update_persistence(user_ids=user.id)
            await application.update_persistence()
            assert application.persistence is not None
            await application.persistence.flush()
        on_done(update)

    async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(repr(context.error))

    application.add_handler(TypeHandler(Update, done), group=DONE_GROUP)
    application.add_error_handler(count_error)


async def start_baseline(content: Content, durable: bool, stored: int, pickle_path: Path | None,
                         on_done: DoneCallback, concurrency: int = 1, api_url: str | None = None) -> RunningSystem:
    """Baseline A (``durable=False``) or B (``durable=True``, state in ``pickle_path``); with
    ``api_url``, on python-telegram-bot's default HTTPXRequest, long polling as its docs show."""
    builder = ApplicationBuilder().token(BOT_TOKEN).concurrent_updates(concurrency if concurrency > 1 else False)
    transport = None
    if api_url is None:
        transport = CannedRequest()
        builder = builder.request(transport).get_updates_request(CannedRequest())
    else:
        builder = builder.base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
    if durable:
        assert pickle_path is not None
        builder = builder.persistence(pickle_persistence(pickle_path))
    application: AnyApplication = builder.build()
    conversation = BaselineQuiz(content).conversation(persistent=durable)
    application.add_handler(conversation)
    errors: list[str] = []
    _install_hooks(application, on_done, errors, flush=durable)
    if not durable and stored:
        preload_memory(application, conversation, content, stored)
    await application.initialize()
    await application.start()
    if api_url is not None:
        assert application.updater is not None
        await application.updater.start_polling()

    async def stop() -> None:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()

    return RunningSystem("b" if durable else "a", application, transport, ANSWER_PREFIX, stop,
                         notes={"concurrent_updates": str(concurrency)}, errors=errors)


async def start_crossroads(database: Path, on_done: DoneCallback, api_url: str | None = None) -> RunningSystem:
    """Crossroads built by the composition root (:func:`bot.wiring.build_crossroads`) and started
    as serve() starts it; on the canned transport, or with ``api_url`` on the transport
    Crossroads ships, long polling as serve() does."""
    settings = Settings(token=BOT_TOKEN, database=database, flood_limits=BENCH_FLOOD_LIMITS,
                        api_url=api_url or DEFAULT_API_URL)
    transport = CannedRequest() if api_url is None else None
    crossroads = await build_crossroads(settings, transport=transport,
                                        updates_transport=CannedRequest() if transport is not None else None)
    application = crossroads.telegram
    errors: list[str] = []
    _install_hooks(application, on_done, errors, flush=False)
    await start_telegram(crossroads)
    freeze_start_up()  # as serve() does once started
    if api_url is not None:
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT_SECONDS)
    return RunningSystem("crossroads", application, transport, f"{CALLBACK_VERSION}a:", partial(shut_down, crossroads),
                         notes={"built_by": BUILT_BY}, errors=errors)
