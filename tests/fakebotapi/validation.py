"""Semantic validation of Bot API objects (keyboards, commands, scopes) like Telegram does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import ApiError
from .telegram_html import checked_link

__all__ = [
    "CALLBACK_DATA_MAX_BYTES",
    "normalize_reply_markup",
    "scope_key",
    "validate_commands",
]

CALLBACK_DATA_MAX_BYTES = 64
COPY_TEXT_MAX = 256
#: InlineKeyboardButton.style (Bot API 9.4).
BUTTON_STYLES = frozenset({"primary", "success", "danger"})
MAX_COMMANDS = 100

_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
)
_OBJECT_ACTIONS = frozenset({"web_app", "login_url", "switch_inline_query_chosen_chat", "copy_text"})
# Actions that count as "used" only when non-empty (Telegram treats "" as absent).
_NON_EMPTY_ACTIONS = frozenset({"url", "callback_data"})
_INLINE_EXTRAS = ("style", "icon_custom_emoji_id")
_REPLY_BUTTON_FIELDS = (
    "text", "request_users", "request_chat", "request_contact", "request_location", "request_poll", "web_app",
    "style", "icon_custom_emoji_id",
)
_REPLY_MARKUP_FLAGS = ("is_persistent", "resize_keyboard", "one_time_keyboard", "input_field_placeholder", "selective")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SCOPE_TYPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def _button_error(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse inline keyboard button: {message}")


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, Mapping):
        raise _button_error("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _button_error('Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")

    used: list[str] = []
    for action in _INLINE_ACTIONS:
        if action not in button or button[action] is None:
            continue
        value = button[action]
        if action in _NON_EMPTY_ACTIONS:
            if not isinstance(value, str):
                raise _button_error(f'Field "{action}" must be of type String')
            if not value:
                continue
        if action == "pay" and value is not True:
            continue
        used.append(action)
    if not used:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(used) > 1:
        raise _button_error("exactly one of the optional fields must be used, got " + ", ".join(used))

    action = used[0]
    value = button[action]
    if action == "callback_data" and len(value.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if action == "url" and not re.match(r"^(https?|tg)://", checked_link(value)):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    if action in _OBJECT_ACTIONS and not isinstance(value, Mapping):
        raise _button_error(f'Field "{action}" must be of type Object')
    if action == "copy_text" and not (isinstance(value.get("text"), str) and 1 <= len(value["text"]) <= COPY_TEXT_MAX):
        raise ApiError(400, "Bad Request: COPY_TEXT_INVALID")  # CopyTextButton.text: 1-256 characters
    if button.get("style") is not None and button["style"] not in BUTTON_STYLES:
        raise _button_error(f'Field "style" must be one of {", ".join(sorted(BUTTON_STYLES))}')
    return {"text": text, action: value, **_present(button, _INLINE_EXTRAS)}


def _present(source: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``keys`` of ``source`` that are set (not None), in ``keys`` order."""
    return {key: source[key] for key in keys if source.get(key) is not None}


def _keyboard_error(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse keyboard button: {message}")


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        return {"text": button}
    if not isinstance(button, Mapping):
        raise _keyboard_error("KeyboardButton must be a String or an Object")
    if not isinstance(button.get("text"), str):
        raise _keyboard_error('Field "text" must be of type String')
    return _present(button, _REPLY_BUTTON_FIELDS)


def normalize_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a ``reply_markup`` object and return its normalised form.

    Returns ``None`` when the markup carries no keyboard (e.g. ``{"inline_keyboard": []}``).
    With ``inline_only`` (edit methods) anything but an inline keyboard is rejected.
    """
    if markup is None:
        return None
    if not isinstance(markup, Mapping):
        raise ApiError(400, "Bad Request: object expected as reply markup")

    if "inline_keyboard" in markup:
        rows = _rows(markup["inline_keyboard"], '"inline_keyboard" of the InlineKeyboardMarkup')
        keyboard = [[_inline_button(button) for button in row] for row in rows]
        keyboard = [row for row in keyboard if row]
        return {"inline_keyboard": keyboard} if keyboard else None

    if inline_only:
        if not markup:
            return None
        raise ApiError(400, "Bad Request: inline keyboard expected")

    if "keyboard" in markup:
        rows = _rows(markup["keyboard"], '"keyboard"')
        return {"keyboard": [[_reply_button(button) for button in row] for row in rows],
                **_present(markup, _REPLY_MARKUP_FLAGS)}
    if markup.get("remove_keyboard") or markup.get("hide_keyboard"):
        return {"remove_keyboard": True}
    if markup.get("force_reply") or markup.get("force_reply_keyboard"):
        return {"force_reply": True, **_present(markup, ("input_field_placeholder", "selective"))}
    return None


def _rows(rows: Any, field: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, f"Bad Request: field {field} must be an Array of Arrays")
    return rows


def validate_commands(commands: list[Any]) -> list[dict[str, str]]:
    """Validate a ``setMyCommands`` command list; returns the normalised commands."""
    if len(commands) > MAX_COMMANDS:
        raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, Mapping):
            raise ApiError(400, "Bad Request: can't parse BotCommand: expected an Object")
        for key in ("command", "description"):
            if key not in command:
                raise ApiError(400, f"Bad Request: can't parse BotCommand: Can't find field \"{key}\"")
            if not isinstance(command[key], str):
                raise ApiError(400, f'Bad Request: can\'t parse BotCommand: Field "{key}" must be of type String')
        name = command["command"]
        description = command["description"].strip()
        if not _COMMAND_RE.match(name):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": name, "description": description})
    return result


def scope_key(scope: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """Validate a ``BotCommandScope`` and return a hashable key for it."""
    if scope is None:
        return ("default",)
    kind = scope.get("type")
    if not isinstance(kind, str) or kind not in _SCOPE_TYPES:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope: unsupported type")
    values: list[Any] = [kind]
    for key in _SCOPE_TYPES[kind]:
        if scope.get(key) in (None, ""):
            raise ApiError(400, f"Bad Request: can't parse BotCommandScope: Can't find field \"{key}\"")
        values.append(str(scope[key]))
    return tuple(values)
