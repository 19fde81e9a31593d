"""Message methods: sendMessage and the send* media methods, edits and deletes."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .entities import ParsedText
from .errors import ApiError
from .formatting import format_text
from .images import image_size, photo_problem
from .models import BotMessage, MessageVersion, RecordedRequest
from .spec import UploadedFile
from .users import ChatState
from .validation import normalize_reply_markup

if TYPE_CHECKING:
    from .server import FakeBotApi, Handler

__all__ = ["HANDLERS", "MESSAGE_EFFECTS"]

#: The message effects Telegram offers every bot (Bot API 7.4, message_effect_id): fire, thumbs
#: up and down, heart, party popper, poo. Any other id, or any id outside a private chat, is 400.
MESSAGE_EFFECTS = frozenset({
    "5104841245755180586", "5107584321108051014", "5104858069142078462", "5159385139981059251",
    "5046509860389126442", "5046589136895476101",
})
EFFECT_ID_INVALID = "Bad Request: EFFECT_ID_INVALID"

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CAPTIONED = frozenset({"photo", "document", "animation", "video", "audio", "voice"})


@dataclass(frozen=True, slots=True)
class _TextField:
    """Where a message keeps its formatted text, and Telegram's limits for it."""

    name: str
    entities: str
    limit: int
    too_long: str
    allow_empty: bool
    kinds: frozenset[str]


_TEXT = _TextField("text", "entities", 4096, "message is too long", False, frozenset({"text"}))
_CAPTION = _TextField("caption", "caption_entities", 1024, "message caption is too long", True, _CAPTIONED)

# send method -> kind of the message it creates; a file kind's parameter is named after it.
_SEND_KINDS = {"sendmessage": "text"} | {
    f"send{kind.replace('_', '')}": kind
    for kind in (
        "photo", "document", "sticker", "animation", "video", "audio", "voice", "video_note",
        "location", "venue", "contact", "dice", "poll",
    )
}

# file kind -> (file_id prefix, fixed fields of the file object)
_FILE_KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "document": ("BQACAgIAAxkDAAI", {}),
    "sticker": (
        "CAACAgIAAxkDAAI",
        {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
    ),
    "animation": ("CgACAgIAAxkDAAI", {"width": 320, "height": 240, "duration": 3}),
    "video": ("CgACAgIAAxkDAAI", {"width": 320, "height": 240, "duration": 3}),
    "video_note": ("DQACAgIAAxkDAAI", {"length": 240, "duration": 3}),
    "audio": ("CQACAgIAAxkDAAI", {"duration": 3}),
    "voice": ("CQACAgIAAxkDAAI", {"duration": 3}),
}
_PHOTO_PREFIX = "AgACAgIAAxkDAAI"


#: What a Bot API server without a newer touch answers when it is used (FakeBotApi.refused_touches).
TOUCH_REFUSALS = {
    "style": "Bad Request: can't parse inline keyboard button: Field \"style\" is not supported",
    "copy_text": "Bad Request: can't parse inline keyboard button: Field \"copy_text\" is not supported",
    "date_time": "Bad Request: can't parse entities: Unsupported start tag \"tg-time\"",
}


def refuse_touches(api: FakeBotApi, parsed: ParsedText | None, markup: Mapping[str, Any] | None) -> None:
    """400 for a touch this server is set not to know (an older server or client)."""
    refused = api.refused_touches
    if not refused:
        return
    buttons = [button for row in (markup or {}).get("inline_keyboard", ()) for button in row]
    used = {"style"} if any("style" in button for button in buttons) else set()
    used |= {"copy_text"} if any("copy_text" in button for button in buttons) else set()
    used |= {"date_time"} if parsed is not None and any(e.type == "date_time" for e in parsed.entities) else set()
    for touch in sorted(used & refused):
        raise ApiError(400, TOUCH_REFUSALS[touch])


def _parse(api: FakeBotApi, text: str, params: Mapping[str, Any], field: _TextField) -> ParsedText:
    parsed = format_text(text, params.get("parse_mode"), params.get(field.entities), strict_html=api.strict_html)
    if not parsed.text and not field.allow_empty:
        raise ApiError.bad_request("text must be non-empty")
    if parsed.utf16_length > field.limit:
        raise ApiError.bad_request(field.too_long)
    return parsed


def _version(text: str | None, params: Mapping[str, Any], parsed: ParsedText | None,
             markup: dict[str, Any] | None, method: str) -> MessageVersion:
    return MessageVersion(text, params.get("parse_mode"), parsed.text if parsed is not None else None,
                          parsed.entities if parsed is not None else (), markup, int(time.time()), time.monotonic(), method)


def _emit(api: FakeBotApi, state: ChatState, message: BotMessage) -> None:
    api._counters.event += 1
    state.emit(api._counters.event, message)


# ---------------------------------------------------------------------- sending


async def _send(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    kind = _SEND_KINDS[record.method.lower()]
    field = next((f for f in (_TEXT, _CAPTION) if kind in f.kinds), None)
    text_name = "text" if kind == "text" else "caption"
    parsed = None
    if field is not None and params.get(field.name):
        parsed = _parse(api, params[field.name], params, field)
    markup = normalize_reply_markup(params.get("reply_markup"))
    refuse_touches(api, parsed, markup)
    state = api._writable_chat(params["chat_id"])
    effect = params.get("message_effect_id")
    if effect is not None and (state.chat.get("type") != "private" or str(effect) not in api.message_effects):
        raise ApiError(400, EFFECT_ID_INVALID)  # effects exist in private chats only, and not every id
    media = {} if kind == "text" else _media_payload(api, kind, params)
    reply_to = _reply_to(api, state, params)
    version = _version(params.get(text_name), params, parsed, markup, record.method)
    message = BotMessage(state.id, state.next_message_id(), kind, version.date, [version], media, reply_to)
    state.bot_messages[message.message_id] = message
    if markup is not None and "keyboard" in markup:
        state.reply_keyboard = markup
    elif markup is not None and "remove_keyboard" in markup:
        state.reply_keyboard = None
    _emit(api, state, message)
    return message.to_json(api.bot_user, state.chat)


def _reply_to(api: FakeBotApi, state: ChatState, params: Mapping[str, Any]) -> dict[str, Any] | None:
    reply = params.get("reply_parameters")
    if not isinstance(reply, Mapping) or reply.get("message_id") is None:
        return None
    message_id = int(reply["message_id"])
    if reply.get("chat_id") not in (None, state.id):
        state = api._resolve_chat(reply["chat_id"])
    found = api.message_json(state.id, message_id)
    bot_message = state.bot_messages.get(message_id)
    deleted = (bot_message is not None and bot_message.deleted) or (message_id in state.deleted_user_message_ids)
    if found is None or deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise ApiError.bad_request("message to be replied not found")
    found.pop("reply_to_message", None)
    return found


def _file_object(api: FakeBotApi, value: Any, prefix: str, **extra: Any) -> dict[str, Any]:
    ids = api.file_ids(prefix)
    if isinstance(value, UploadedFile):
        api._uploads[f"documents/{ids['file_id']}"] = value.data
        extra.setdefault("file_size", len(value.data))
        if value.filename and prefix.startswith("BQ"):
            extra.setdefault("file_name", value.filename)
    elif isinstance(value, str) and not value.startswith(("http://", "https://")):
        ids["file_id"] = value  # re-sending by file_id keeps the id
    return {**ids, **extra}


def _media_payload(api: FakeBotApi, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if kind in _FILE_KINDS:
        prefix, extra = _FILE_KINDS[kind]
        return {kind: _file_object(api, params.get(kind), prefix, **extra)}
    return _PAYLOADS[kind](api, params)


def _photo(api: FakeBotApi, params: Mapping[str, Any]) -> dict[str, Any]:
    value = params.get("photo")
    if isinstance(value, UploadedFile):
        problem = photo_problem(value.data)
        if problem is not None:
            raise ApiError(400, problem)
        width, height = image_size(value.data) or (0, 0)
        photo = _file_object(api, value, _PHOTO_PREFIX, width=width, height=height)
        api.photo_file_ids.add(photo["file_id"])
        return {"photo": [photo]}
    return {"photo": [_file_object(api, value, _PHOTO_PREFIX, width=w, height=w, file_size=w * 40) for w in (90, 320, 800)]}


def _location(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"latitude": params["latitude"], "longitude": params["longitude"]}


def _venue(api: FakeBotApi, params: Mapping[str, Any]) -> dict[str, Any]:
    location = _location(params)
    venue = {"location": location, "title": params["title"], "address": params["address"]}
    return {"venue": venue, "location": location}


def _poll(api: FakeBotApi, params: Mapping[str, Any]) -> dict[str, Any]:
    options = [
        {"persistent_id": str(index), "text": option if isinstance(option, str) else option.get("text", ""), "voter_count": 0}
        for index, option in enumerate(params["options"])
    ]
    if not 2 <= len(options) <= 12:
        raise ApiError.bad_request("poll must have 2-12 options")  # POLL_OPTIONS_INVALID
    poll = {
        "id": str(5_000_000_000_000_000_000 + next(api._counters.file)),
        "question": params["question"],
        "options": options,
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": params.get("is_anonymous", True),
        "type": params.get("type", "regular"),
        "allows_multiple_answers": params.get("allows_multiple_answers", False),
        "allows_revoting": params.get("allows_revoting", True),
        "members_only": params.get("members_only", False),
    }
    return {"poll": poll}


# kind -> payload builder, for kinds that are not a single file
_PAYLOADS: dict[str, Callable[[FakeBotApi, Mapping[str, Any]], dict[str, Any]]] = {
    "photo": _photo,
    "location": lambda api, params: {"location": _location(params)},
    "venue": _venue,
    "contact": lambda api, params: {
        "contact": {"phone_number": params["phone_number"], "first_name": params["first_name"]}
    },
    "dice": lambda api, params: {"dice": {"emoji": params.get("emoji", "🎲"), "value": 4}},
    "poll": _poll,
}


# ---------------------------------------------------------------------- editing


def _edit_target(api: FakeBotApi, params: Mapping[str, Any]) -> tuple[ChatState, BotMessage]:
    if "chat_id" not in params and "message_id" not in params and "inline_message_id" in params:
        raise ApiError.bad_request("MESSAGE_ID_INVALID")  # inline messages are not simulated
    if "message_id" not in params:
        raise ApiError.bad_request("message identifier is not specified")
    if "chat_id" not in params:
        raise ApiError.bad_request("chat_id is empty")
    state = api._resolve_chat(params["chat_id"])
    message = state.bot_messages.get(params["message_id"])
    if message is None or message.deleted:
        if params["message_id"] in state.user_messages:
            raise ApiError.bad_request("message can't be edited")
        raise ApiError.bad_request("message to edit not found")
    return state, message


def _apply_edit(api: FakeBotApi, state: ChatState, message: BotMessage, version: MessageVersion) -> Any:
    current = message.current
    if (version.plain, version.entities, version.reply_markup) == (current.plain, current.entities, current.reply_markup):
        raise ApiError(400, _NOT_MODIFIED)
    message.versions.append(version)
    _emit(api, state, message)
    return message.to_json(api.bot_user, state.chat)


async def _edit_text(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    """editMessageText and editMessageCaption."""
    field = _TEXT if record.method.lower() == "editmessagetext" else _CAPTION
    text = params.get(field.name) or ""
    if not text and not field.allow_empty:
        raise ApiError.bad_request("message text is empty")
    parsed = _parse(api, text, params, field)
    markup = normalize_reply_markup(params.get("reply_markup"), inline_only=True)
    refuse_touches(api, parsed, markup)
    state, message = _edit_target(api, params)
    if message.kind not in field.kinds:
        raise ApiError.bad_request(f"there is no {field.name} in the message to edit")
    version = _version(text or None, params, parsed, markup, record.method)
    return _apply_edit(api, state, message, version)


async def _edit_reply_markup(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    markup = normalize_reply_markup(params.get("reply_markup"), inline_only=True)
    refuse_touches(api, None, markup)
    state, message = _edit_target(api, params)
    version = dataclasses.replace(message.current, reply_markup=markup, date=int(time.time()), at=time.monotonic(),
                                  method=record.method)
    return _apply_edit(api, state, message, version)


# ---------------------------------------------------------------------- deleting


def _delete(state: ChatState, message_id: int) -> bool:
    message = state.bot_messages.get(message_id)
    if message is not None and not message.deleted:
        message.deleted = True
        message.deleted_at = time.monotonic()
        return True
    if message_id in state.user_messages and message_id not in state.deleted_user_message_ids:
        state.deleted_user_message_ids.add(message_id)
        return True
    return False


async def _delete_message(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    state = api._resolve_chat(params["chat_id"])
    if not _delete(state, params["message_id"]):
        raise ApiError.bad_request("message to delete not found")
    return True


async def _delete_messages(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    state = api._resolve_chat(params["chat_id"])
    ids = [int(message_id) for message_id in params["message_ids"]]
    if not 1 <= len(ids) <= 100:
        raise ApiError.bad_request("too many message identifiers specified")
    for message_id in ids:
        _delete(state, message_id)
    return True


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(_SEND_KINDS, _send),
    "editmessagetext": _edit_text,
    "editmessagecaption": _edit_text,
    "editmessagereplymarkup": _edit_reply_markup,
    "deletemessage": _delete_message,
    "deletemessages": _delete_messages,
}
