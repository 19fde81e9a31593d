"""A strict in-process fake of the Telegram Bot API for end-to-end tests.

Quick start::

    async with FakeBotApi() as server:
        bot = telegram.Bot(server.token, base_url=f"{server.url}/bot")
        user = server.user(user_id=42, first_name="Ada")
        await user.send_command("/start")
        reply = await user.wait_for_message(lambda m: "Welcome" in m.plain)
        await user.press_button("Next")
        server.assert_no_errors()

See :class:`FakeBotApi` (server.py) and :class:`SimulatedUser` (users.py).
"""

from .entities import Entity, EntityParseError, ParsedText
from .errors import ApiError
from .models import (
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    InjectedFault,
    MessageVersion,
    RecordedRequest,
    WebhookAttempt,
)
from .server import DEFAULT_TOKEN, FakeBotApi
from .spec import BotApiSpec, UploadedFile
from .telegram_html import html_to_plain, parse_html
from .users import SimulatedChat, SimulatedGroup, SimulatedUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiSpec",
    "BotMessage",
    "CallbackAnswer",
    "ChatActionRecord",
    "Entity",
    "EntityParseError",
    "FakeBotApi",
    "InjectedFault",
    "MessageVersion",
    "ParsedText",
    "RecordedRequest",
    "SimulatedChat",
    "SimulatedGroup",
    "SimulatedUser",
    "UploadedFile",
    "WebhookAttempt",
    "html_to_plain",
    "parse_html",
]
