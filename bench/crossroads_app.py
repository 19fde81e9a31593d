"""Crossroads' real Application on the canned transport or its own (shared by the rounds and the cold
start, so it imports only what production's start-up imports)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application
from telegram.request import BaseRequest

from bot.settings import Settings
from bot.telegram_app import build_application
from bot.telegram_frontend import TelegramFrontEnd

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
BUILT_BY_SEAM = "bot.telegram_app.build_application"


def build_crossroads_application(settings: Settings, front_end: TelegramFrontEnd, request: BaseRequest | None,
                                 updates_request: BaseRequest | None) -> tuple[AnyApplication, str]:
    """The real Application (:func:`bot.telegram_app.build_application`) with ``request`` as its
    transport (None: the transport Crossroads ships), and how it was built (recorded in the results)."""
    application = build_application(settings, front_end, request=request, get_updates_request=updates_request)
    return application, BUILT_BY_SEAM
