"""Crossroads' real Application on the canned transport (shared by the rounds and the cold
start, so it imports only what production's start-up imports)."""

from __future__ import annotations

import inspect
from typing import Any

from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.settings import Settings
from bot.telegram_app import build_application
from bot.telegram_frontend import TelegramFrontEnd
from bot.update_processor import PerChatUpdateProcessor

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
BUILT_BY_SEAM = "bot.telegram_app.build_application"
BUILT_BY_MIRROR = "bench mirror of build_application (no transport seam yet)"


def build_crossroads_application(settings: Settings, front_end: TelegramFrontEnd, request: BaseRequest,
                                 updates_request: BaseRequest) -> tuple[AnyApplication, str]:
    """The real Application with ``request`` as its transport, and how it was built.

    Uses :func:`bot.telegram_app.build_application` once it accepts the transport (keywords
    ``request`` and ``get_updates_request``); until then the same construction is repeated
    here with the given transport in place of RetryingRequest, the only difference."""
    parameters = inspect.signature(build_application).parameters
    if "request" in parameters and "get_updates_request" in parameters:
        application = build_application(settings, front_end, request=request,  # type: ignore[call-arg]
                                        get_updates_request=updates_request)
        return application, BUILT_BY_SEAM
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor())
        .request(request)
        .get_updates_request(updates_request)
        .build()
    )
    front_end.install(application)
    return application, BUILT_BY_MIRROR
