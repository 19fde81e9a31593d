"""Running the Telegram bot: the python-telegram-bot Application over our front end, by long
polling or webhook, with graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.aiohttp_request import AiohttpRequest
from bot.checkins import run_checkins
from bot.errors import TokenRejected
from bot.flood_control import FloodControl, SharedBudget
from bot.retrying_request import RetryingRequest
from bot.settings import Settings
from bot.telegram_frontend import TelegramFrontEnd
from bot.update_processor import PerChatUpdateProcessor
from bot.wiring import Crossroads, build_crossroads
from dialogs.errors import StorageError
from dialogs.service import DialogService

logger = logging.getLogger(__name__)
#: Measured on the wire benchmark: 16 connections queue requests at 50 people in flight (more
#: CPU and latency per update); 32 to 256 cost the same at 200 in flight.
CONNECTION_POOL_SIZE = 64
POLL_TIMEOUT_SECONDS = 30
#: The share of the flood budget check-ins may use: live chats always find the rest free.
CHECKIN_SHARE = 1 / 3
#: How often a poller checks that it still holds the database's poller slot.
POLLER_CHECK_SECONDS = 2.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Only the updates the bot handles: less to parse, nothing unexpected to choke on.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def build_application(
    settings: Settings,
    front_end: TelegramFrontEnd,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    on_token_rejected: Callable[[], None] | None = None,
    shared_budget: SharedBudget | None = None,
) -> Application:
    """The Application with our handlers, retrying transport and per-chat update ordering.

    ``request`` and ``get_updates_request`` replace the HTTP transport (the benchmark's canned
    Bot API uses them). ``on_token_rejected`` is called when Telegram answers 401 to any call."""
    flood = FloodControl(settings.flood_limits, shared=shared_budget)
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor())
        .request(request or RetryingRequest(AiohttpRequest(CONNECTION_POOL_SIZE), flood=flood,
                                            on_unauthorized=on_token_rejected, lanes=front_end.lanes))
        .get_updates_request(
            # Its own flood control: a 429 on sending does not stop the bot hearing from people.
            get_updates_request
            or RetryingRequest(AiohttpRequest(1, read_timeout=POLL_TIMEOUT_SECONDS + 10),
                               flood=FloodControl(settings.flood_limits), on_unauthorized=on_token_rejected)
        )
        .build()
    )
    front_end.install(application)
    return application


async def _store_is_healthy(service: DialogService) -> bool:
    """True if the store can commit a write now (it may still answer reads when it cannot)."""
    try:
        await service.store.check_writable()
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        logger.exception("health check failed")
        return False
    return True


async def _process_now(application: Application, update: Update) -> None:
    """Handle a webhook update before answering Telegram (see bot/webhook_server.py), through
    the same per-chat update processor as polled updates."""
    await application.update_processor.process_update(update, application.process_update(update))


async def serve(settings: Settings, stop: asyncio.Event, **seams: Any) -> None:
    """Serve until ``stop`` is set; in-flight updates finish and the store closes cleanly.
    Raises :class:`TokenRejected` (after the same clean stop) when Telegram refuses the token.
    ``seams`` go to :func:`bot.wiring.build_crossroads`."""
    rejected = asyncio.Event()

    def token_rejected() -> None:
        rejected.set()
        stop.set()

    crossroads = await build_crossroads(settings, on_token_rejected=token_rejected, **seams)
    try:
        await crossroads.start()
        await _run(crossroads, stop)
    except InvalidToken:
        raise TokenRejected() from None  # python-telegram-bot's message holds the token: it stops here
    finally:
        await crossroads.stop()
        logger.info("Crossroads stopped; the session store is closed")
    if rejected.is_set():
        raise TokenRejected()


async def _run(crossroads: Crossroads, stop: asyncio.Event) -> None:
    """Receive updates (webhook or long polling) and send due check-ins until ``stop``."""
    settings, application, service = crossroads.settings, crossroads.telegram, crossroads.service
    assert crossroads.front_end is not None
    front_end = crossroads.front_end
    checkins = asyncio.create_task(run_checkins(
        service, lambda chat_id, reply: front_end.send_reply(application.bot, chat_id, reply),
        settings.checkin_poll_seconds, stop, per_second=settings.flood_limits.messages_per_second * CHECKIN_SHARE))
    gc.freeze()  # start-up objects (content, machine, app) never need collecting again
    gc.enable()  # python -m bot starts with collections off (bot.__main__)
    try:
        if settings.webhook_url:
            from bot.webhook_server import InFlight, start_webhook_server  # tornado: webhook mode only

            secret = settings.webhook_secret or secrets.token_urlsafe(32)
            if not settings.webhook_secret:
                logger.warning("WEBHOOK_SECRET is not set; using a random secret for this run")
            in_flight = InFlight()
            server = start_webhook_server(
                settings.webhook_listen, settings.port, urlsplit(settings.webhook_url).path,
                application.bot, lambda update: _process_now(application, update), in_flight, secret,
                lambda: _store_is_healthy(service),
            )
            await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                              allowed_updates=ALLOWED_UPDATES)
            logger.info("Crossroads is ready (webhook on port %d)", settings.port)
            await stop.wait()
            server.stop()
            await in_flight.wait_idle()
        else:
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT_SECONDS)
            logger.info("Crossroads is ready (long polling)")
            watch = asyncio.create_task(_watch_poller_slot(service, stop))
            await stop.wait()
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await application.updater.stop()
        logger.info("stopping: finishing updates in flight")
    finally:
        stop.set()  # the check-in loop ends with the serving
        await checkins


async def _watch_poller_slot(service: DialogService, stop: asyncio.Event) -> None:
    """While polling, re-check the database's poller slot (its lock dies with the connection at
    a database blip); stop, as on SIGTERM, if another process holds it now."""
    check = getattr(service.store, "check_poller", None)
    if check is None:
        return
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLLER_CHECK_SECONDS)
            return
        try:
            held = await check()
        except StorageError:
            continue  # the database is away: check again once it is back
        if not held:
            logger.error("another Crossroads process holds the poller slot now (taken while the database "
                         "was unreachable); this one stops polling: finishing updates in flight and exiting")
            stop.set()


def run_telegram(settings: Settings, **seams: Any) -> int:
    """Run until SIGTERM or SIGINT; ``seams`` go to :func:`bot.wiring.build_crossroads`."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stop_signal in STOP_SIGNALS:
            loop.add_signal_handler(stop_signal, stop.set)
        await serve(settings, stop, **seams)

    asyncio.run(main())
    return 0
