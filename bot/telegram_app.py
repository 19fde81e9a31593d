"""The python-telegram-bot Application over our front end: its transports (retries, flood
control, chat lanes), per-chat update ordering and handlers. Assembled by :mod:`bot.wiring`; run
by :mod:`bot.serving`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.aiohttp_request import AiohttpRequest
from bot.flood_control import FloodControl, SharedBudget
from bot.retrying_request import RetryingRequest
from bot.settings import Settings
from bot.telegram_frontend import TelegramFrontEnd
from bot.update_processor import PerChatUpdateProcessor

logger = logging.getLogger(__name__)
#: Measured on the wire benchmark: 16 connections queue requests at 50 people in flight (more
#: CPU and latency per update); 32 to 256 cost the same at 200 in flight.
CONNECTION_POOL_SIZE = 64
POLL_TIMEOUT_SECONDS = 30
#: Only the updates the bot handles: less to parse, nothing unexpected to choke on.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER,
                   Update.INLINE_QUERY]


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
                                            on_unauthorized=on_token_rejected, lanes=front_end.lanes,
                                            metrics=front_end.metrics))
        .get_updates_request(
            # Its own flood control: a 429 on sending does not stop the bot hearing from people.
            get_updates_request
            or RetryingRequest(AiohttpRequest(1, read_timeout=POLL_TIMEOUT_SECONDS + 10),
                               flood=FloodControl(settings.flood_limits), on_unauthorized=on_token_rejected,
                               metrics=front_end.metrics)
        )
        .build()
    )
    front_end.install(application)
    return application
