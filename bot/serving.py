"""Running Crossroads on Telegram: start the assembled application (getMe, the profile and
command menus), receive updates by long polling or webhook, send due check-ins, and stop
gracefully on SIGTERM/SIGINT (updates in flight finish, the store closes). The entry point
(``python -m bot``) calls :func:`run_telegram`; tests and the benchmark call :func:`serve`,
:func:`start_telegram` and :func:`shut_down`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application

from bot.checkins import run_checkins
from bot.error_reporting import init_error_reporting
from bot.errors import TokenRejected
from bot.settings import Settings
from bot.telegram_app import ALLOWED_UPDATES, POLL_TIMEOUT_SECONDS
from bot.wiring import Crossroads, build_crossroads
from dialogs.errors import StorageError
from dialogs.service import DialogService
from dialogs.storage import PollerSlot

logger = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: The share of the flood budget check-ins may use: live chats always find the rest free.
CHECKIN_SHARE = 1 / 3
#: How often a poller checks that it still holds the database's poller slot.
POLLER_CHECK_SECONDS = 2.0


async def start_telegram(crossroads: Crossroads) -> None:
    """Telegram: check the token (getMe), publish the profile and command menus, start
    handling updates (polling or webhook is the caller's choice)."""
    application = crossroads.telegram
    assert crossroads.front_end is not None
    try:
        await application.initialize()
    except BaseException:
        # A refused getMe leaves the transports open (the Bot never counted as started).
        for transport in application.bot._request:  # noqa: SLF001 - no public handle on both
            await transport.shutdown()
        raise
    await crossroads.front_end.publish_profile(application.bot)
    await application.start()


def freeze_start_up() -> None:
    """Once started: the start-up objects (content, models, machine, application) never need
    collecting again, so the collector leaves them alone (without this, each full collection
    walks them all: a 20-40 ms pause while serving); then collections go back on
    (python -m bot starts with them off, bot.__main__)."""
    gc.freeze()
    gc.enable()


async def shut_down(crossroads: Crossroads) -> None:
    """Stop whatever runs (updates in flight finish), then close the session store."""
    try:
        application = crossroads.application
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
    finally:
        await crossroads.service.close()


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
    init_error_reporting(settings)  # here, inside the running loop: the asyncio integration needs it
    rejected = asyncio.Event()

    def token_rejected() -> None:
        rejected.set()
        stop.set()

    crossroads = await build_crossroads(settings, on_token_rejected=token_rejected, **seams)
    try:
        await start_telegram(crossroads)
        await _run(crossroads, stop)
    except InvalidToken:
        raise TokenRejected() from None  # python-telegram-bot's message holds the token: it stops here
    finally:
        await shut_down(crossroads)
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
        settings.checkin_poll_seconds, stop, per_second=settings.flood_limits.messages_per_second * CHECKIN_SHARE,
        metrics=crossroads.metrics))
    freeze_start_up()
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
                lambda: _store_is_healthy(service), crossroads.metrics,
            )
            await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                              allowed_updates=ALLOWED_UPDATES)
            logger.info("Crossroads is ready (webhook on port %d)", settings.port)
            await stop.wait()
            server.stop()
            await in_flight.wait_idle()
        else:
            assert application.updater is not None
            metrics_server = None
            if settings.metrics_port:  # off by default: polling has no HTTP server of its own
                from bot.metrics_server import start_metrics_server  # aiohttp's server side: only here

                metrics_server = await start_metrics_server(crossroads.metrics, settings.webhook_listen,
                                                            settings.metrics_port)
                logger.info("metrics at /metrics on port %d", settings.metrics_port)
            try:
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                                        timeout=POLL_TIMEOUT_SECONDS)
                logger.info("Crossroads is ready (long polling)")
                watch = asyncio.create_task(_watch_poller_slot(service, stop))
                await stop.wait()
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
                await application.updater.stop()
            finally:
                if metrics_server is not None:
                    await metrics_server.cleanup()
        logger.info("stopping: finishing updates in flight")
    finally:
        stop.set()  # the check-in loop ends with the serving
        await checkins


async def _watch_poller_slot(service: DialogService, stop: asyncio.Event) -> None:
    """While polling, re-check the database's poller slot (its lock dies with the connection at
    a database blip); stop, as on SIGTERM, if another process holds it now."""
    store = service.store
    if not isinstance(store, PollerSlot):
        return
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLLER_CHECK_SECONDS)
            return
        try:
            held = await store.check_poller()
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
