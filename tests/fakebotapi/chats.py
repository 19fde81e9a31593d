"""Callback answers, chat actions, chats and members, and the bot's own settings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import QUERY_TOO_OLD, ApiError
from .models import CallbackAnswer, ChatActionRecord, RecordedRequest
from .validation import scope_key, validate_commands

if TYPE_CHECKING:
    from .server import FakeBotApi, Handler

__all__ = ["HANDLERS"]

_CALLBACK_TEXT_LIMIT = 200
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "record_audio", "upload_audio", "upload_document", "choose_sticker", "find_location",
    "pick_up_location", "record_video_note", "upload_video_note", "cancel",
})
# profile field -> maximum length; setMy<Field>/getMy<Field> read and write it.
_PROFILE: dict[str, int] = {"name": 64, "description": 512, "short_description": 120}
_PROFILE_METHODS = {f"{verb}my{name.replace('_', '')}": name for name in _PROFILE for verb in ("set", "get")}


class Answerable(Protocol):
    """A callback or inline query: answerable once, within the timeout."""

    created_at: float
    answered: bool


Query = TypeVar("Query", bound=Answerable)


def claim_query(api: FakeBotApi, queries: Mapping[str, Query], query_id: str) -> Query:
    """The query ``query_id``, marked answered; Telegram's 400 for an unknown, answered or expired one."""
    query = queries.get(query_id)
    if query is None or query.answered or time.monotonic() - query.created_at > api.callback_query_timeout:
        raise ApiError.bad_request(QUERY_TOO_OLD)
    query.answered = True
    return query


async def _answer_callback_query(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    query_id = str(params["callback_query_id"])
    text = params.get("text")
    if text is not None and len(text) > _CALLBACK_TEXT_LIMIT:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    query = claim_query(api, api._callback_queries, query_id)
    now = time.monotonic()
    delivered = api._delivered_at.get(query.update_id)
    api.callback_answers.append(CallbackAnswer(
        query_id, text, bool(params.get("show_alert", False)), params.get("url"), int(params.get("cache_time", 0)),
        query.chat_id, query.message_id, query.data, answered_at=now,
        latency_ms=None if delivered is None else (now - delivered) * 1000, since_press_ms=(now - query.created_at) * 1000,
    ))
    return True


async def _send_chat_action(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    action = str(params["action"]).lower()
    if action not in _CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    state = api._writable_chat(params["chat_id"])
    entry = ChatActionRecord(state.id, action)
    state.chat_actions.append(entry)
    api.chat_actions.append(entry)
    return True


async def _my_commands(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    """setMyCommands, getMyCommands and deleteMyCommands: one list per scope and language."""
    verb = record.method[:3].lower()
    commands = validate_commands(params["commands"]) if verb == "set" else []
    key = (scope_key(params.get("scope")), params.get("language_code", ""))
    if verb == "get":
        return list(api._commands.get(key, []))
    if commands:
        api._commands[key] = commands
    else:
        api._commands.pop(key, None)
    return True


async def _profile(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    """setMyName/Description/ShortDescription and their getters."""
    name = _PROFILE_METHODS[record.method.lower()]
    key = (name, params.get("language_code", ""))
    if record.method.lower().startswith("set"):
        value = params.get(name, "")
        if len(value) > _PROFILE[name]:
            raise ApiError.bad_request(f"{name} is too long")
        api._profile[key] = value
        return True
    default = api.bot_first_name if name == "name" else ""
    return {name: api._profile.get(key, default) or default}


async def _set_chat_menu_button(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    chat_id = params.get("chat_id")
    if chat_id is not None:
        api._resolve_chat(chat_id)
    api._menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
    return True


async def _get_chat_menu_button(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    default = api._menu_buttons.get(None, {"type": "default"})
    return api._menu_buttons.get(params.get("chat_id"), default)


async def _get_chat_member(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    state = api._resolve_chat(params["chat_id"])
    user_id = params["user_id"]
    if user_id == api.bot_id:
        return {"status": "member", "user": api.bot_user}
    user = api._users.get(user_id)
    if user is None or (state.type == "private" and state.id != user_id):
        raise ApiError.bad_request("user not found")
    if state.type == "private":
        return {"status": "member", "user": user.user}
    return {"status": "member", "user": user.user, "until_date": 0}


async def _get_chat_member_count(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    state = api._resolve_chat(params["chat_id"])
    return 2 if state.type == "private" else 1 + len(api._users)


async def _get_chat(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    state = api._resolve_chat(params["chat_id"])
    gift_types = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels")
    return {
        **state.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gift_types, False),
    }


async def _get_file(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    file_id = params["file_id"]
    path = f"documents/{file_id}"
    api._uploads.setdefault(path, b"fake file content for " + file_id.encode())
    return {
        "file_id": file_id,
        "file_unique_id": "AQAD" + file_id[-12:],
        "file_size": len(api._uploads[path]),
        "file_path": path,
    }


async def _get_me(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    return {
        **api.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def _close_or_log_out(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    """close and logOut: the server only remembers the call (after logOut the token is refused)."""
    if record.method.lower() == "close":
        api.closed = True
    else:
        api.logged_out = True
    return True


HANDLERS: dict[str, Handler] = {
    "answercallbackquery": _answer_callback_query,
    "sendchataction": _send_chat_action,
    **dict.fromkeys(("setmycommands", "getmycommands", "deletemycommands"), _my_commands),
    **dict.fromkeys(_PROFILE_METHODS, _profile),
    "setchatmenubutton": _set_chat_menu_button,
    "getchatmenubutton": _get_chat_menu_button,
    "getchatmember": _get_chat_member,
    "getchatmembercount": _get_chat_member_count,
    "getchat": _get_chat,
    "getfile": _get_file,
    "getme": _get_me,
    **dict.fromkeys(("close", "logout"), _close_or_log_out),
}
