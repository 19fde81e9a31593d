"""Synthetic Bot API updates, as Telegram would deliver them: a /start message and presses of
an inline button on the message the system last sent with a keyboard."""

from __future__ import annotations

import json
import time
from itertools import count
from typing import Any

from bench.transport import BOT_USER, KeyboardMessage, private_chat


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}", "language_code": "en"}


class UpdateFactory:
    """Builds update JSON with increasing update ids (and message ids for typed messages)."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._update_ids = count(first_update_id)
        self._message_ids = count(1_000_000)

    def command(self, user_id: int, command: str = "/start") -> dict[str, Any]:
        """A typed command in the private chat with ``user_id``."""
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids), "date": int(time.time()), "chat": private_chat(user_id),
                "from": _user(user_id), "text": command,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            },
        }

    def button_press(
        self, user_id: int, shown: KeyboardMessage, keyboard: dict[str, Any], callback_data: str
    ) -> dict[str, Any]:
        """A press of the button carrying ``callback_data`` on the message ``shown``, whose
        decoded reply_markup is ``keyboard``."""
        update_id = next(self._update_ids)
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id), "from": _user(user_id), "chat_instance": f"ci{user_id}",
                "data": callback_data,
                "message": {
                    "message_id": shown.message_id, "date": int(time.time()), "chat": private_chat(user_id),
                    "from": BOT_USER, "text": shown.text, "reply_markup": keyboard,
                },
            },
        }


def decode_keyboard(shown: KeyboardMessage) -> dict[str, Any]:
    """The reply_markup of ``shown`` as a dict."""
    keyboard: dict[str, Any] = json.loads(shown.markup)
    return keyboard


def callback_data_of(keyboard: dict[str, Any]) -> list[str]:
    """Every button's callback data on a keyboard, row by row."""
    return [button["callback_data"] for row in keyboard["inline_keyboard"] for button in row if "callback_data" in button]
