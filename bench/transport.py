"""A python-telegram-bot transport that never touches the network.

:class:`CannedRequest` answers every Bot API call with a valid canned response, so the
systems under test pay python-telegram-bot's whole request/response cost (parameter
serialisation, response parsing into ``telegram`` objects) without any I/O. It also records,
per chat, the last message that carried an inline keyboard: the driver presses its buttons.

Where a round sends real HTTP (the wire mode) no transport of the benchmark's own is involved:
Crossroads runs on the one it ships (:class:`bot.aiohttp_request.AiohttpRequest`, built by
:func:`bot.wiring.build_crossroads`), the baselines on python-telegram-bot's default, and
:mod:`bench.wire_api` answers them through :meth:`CannedRequest.respond`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7_000_000_001
BOT_TOKEN = f"{BOT_ID}:bench-token-not-secret"
BOT_USER: dict[str, Any] = {
    "id": BOT_ID, "is_bot": True, "first_name": "Crossroads bench", "username": "crossroads_bench_bot",
    "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False,
}
TRUE_METHODS = frozenset({
    "answerCallbackQuery", "sendChatAction", "setMyCommands", "deleteMyCommands", "deleteWebhook",
    "setMyDescription", "setMyShortDescription",
    "setWebhook", "close", "logOut",
})
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup"})
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})
#: What Telegram returns for an uploaded picture (one size is enough for the systems under test).
PHOTO_SIZES = [{"file_id": "bench-photo", "file_unique_id": "bench-photo-u", "width": 800, "height": 420}]
HTTP_OK = 200
HTTP_NOT_FOUND = 404


def private_chat(chat_id: int) -> dict[str, Any]:
    """The JSON of a private chat with user ``chat_id``."""
    return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}


def _ok(result: object) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


@dataclass(frozen=True)
class KeyboardMessage:
    """The last message a system sent to a chat with an inline keyboard."""

    message_id: int
    text: str
    markup: str
    """The reply_markup exactly as sent (JSON)."""


class CannedRequest(BaseRequest):
    """Answers Bot API calls from memory: getMe, messages (with ids counted per chat), and
    ``true`` for the calls whose result is a boolean; getUpdates is an empty batch.

    With ``yield_to_loop`` (the default) every call first yields to the event loop once, as
    a real HTTP request always does; without it a handler never suspends on the Bot API, which
    no real bot gets to do (a sequential Application would then hold the loop for its whole
    queue of updates)."""

    def __init__(self, yield_to_loop: bool = True) -> None:
        self.yield_to_loop = yield_to_loop
        self.calls: Counter[str] = Counter()
        self.keyboards: dict[int, KeyboardMessage] = {}
        self._next_message_id: dict[int, int] = {}

    @property
    def read_timeout(self) -> float | None:
        """No reads ever wait."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def messages_sent(self, chat_id: int) -> int:
        """How many messages were sent to ``chat_id`` (since it was last forgotten)."""
        return self._next_message_id.get(chat_id, 0)

    def forget(self, chat_id: int) -> None:
        """Drop what is recorded about ``chat_id`` (its quiz is over)."""
        self.keyboards.pop(chat_id, None)
        self._next_message_id.pop(chat_id, None)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Serialise the parameters as an HTTP transport would, then answer from memory."""
        if self.yield_to_loop:
            await asyncio.sleep(0)
        # The same per-parameter JSON encoding HTTPXRequest performs before sending.
        params = request_data.json_parameters if request_data is not None else {}
        return self.respond(url.rsplit("/", 1)[-1], params)

    def respond(self, api_method: str, params: dict[str, str]) -> tuple[int, bytes]:
        """The status and body Telegram would answer ``api_method`` with (parameters as sent on
        the wire: one JSON-encoded string each); the wire benchmark's server answers with it too."""
        self.calls[api_method] += 1
        if api_method in MESSAGE_METHODS:
            return HTTP_OK, self._message(api_method, params)
        if api_method in TRUE_METHODS:
            return HTTP_OK, _ok(True)
        if api_method == "getMe":
            return HTTP_OK, _ok(BOT_USER)
        if api_method == "getUpdates":
            return HTTP_OK, _ok([])
        if api_method == "getWebhookInfo":  # asked by a webhook worker's /healthz
            return HTTP_OK, _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        body = {"ok": False, "error_code": HTTP_NOT_FOUND, "description": f"Not Found: {api_method}"}
        return HTTP_NOT_FOUND, json.dumps(body).encode()

    def _message(self, api_method: str, params: dict[str, str]) -> bytes:
        """The Message a send or edit returns (the keyboard echoed, as Telegram does); a sent
        keyboard is recorded for the driver."""
        chat_id = int(params["chat_id"])
        if api_method in SEND_METHODS:
            message_id = self._next_message_id.get(chat_id, 0) + 1
            self._next_message_id[chat_id] = message_id
        else:
            message_id = int(params["message_id"])
        text = params.get("text", "")
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "chat": private_chat(chat_id),
            "from": BOT_USER, "text": text,
        }
        if api_method == "sendPhoto":
            del message["text"]
            message.update(photo=PHOTO_SIZES, caption=params.get("caption", ""))
        markup = params.get("reply_markup")
        if not markup:
            return _ok(message)
        if api_method in ("sendMessage", "editMessageText"):  # a question asked anew, or in place
            self.keyboards[chat_id] = KeyboardMessage(message_id, text, markup)
        # Splice the already-encoded keyboard in rather than decoding and re-encoding it.
        encoded = json.dumps(message)
        return f'{{"ok":true,"result":{encoded[:-1]},"reply_markup":{markup}}}}}'.encode()
