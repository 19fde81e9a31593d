"""Wiring the python-telegram-bot Application: polling or webhook, store opened and closed
with the application's lifecycle."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.settings import Settings
from bot.telegram_frontend import TelegramFrontEnd
from bot.update_processor import PerChatUpdateProcessor
from bot.wiring import open_service
from dialogs.content import Content

logger = logging.getLogger(__name__)
CONNECTION_POOL_SIZE = 64
POLL_TIMEOUT_SECONDS = 30


def build_application(settings: Settings, content: Content) -> Application:
    """The Application with our handlers; the store opens in post_init and closes in post_shutdown."""
    front_end = TelegramFrontEnd(content)

    async def post_init(application: Application) -> None:
        front_end.attach(await open_service(settings, content))
        await application.bot.set_my_commands(front_end.bot_commands())
        logger.info("Crossroads is ready (%s mode)", "webhook" if settings.webhook_url else "polling")

    async def post_shutdown(application: Application) -> None:
        if front_end._service is not None:
            await front_end.service.store.close()
        logger.info("Crossroads stopped; the session store is closed")

    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor())
        .connection_pool_size(CONNECTION_POOL_SIZE)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    front_end.install(application)
    return application


def run_telegram(settings: Settings, content: Content) -> int:
    """Run until SIGINT/SIGTERM: long polling, or a webhook server when WEBHOOK_URL is set."""
    application = build_application(settings, content)
    if not settings.webhook_url:
        application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT_SECONDS)
        return 0
    secret = settings.webhook_secret or secrets.token_urlsafe(32)
    if not settings.webhook_secret:
        logger.warning("WEBHOOK_SECRET is not set; using a random secret for this run")
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.port,
        url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0
