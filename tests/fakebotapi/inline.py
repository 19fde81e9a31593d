"""Inline mode: inline queries a user types (@bot in any chat) and the bot's answerInlineQuery."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .chats import claim_query
from .errors import ApiError
from .formatting import format_text
from .messages import refuse_touches
from .models import InlineAnswer, RecordedRequest
from .validation import normalize_reply_markup

if TYPE_CHECKING:
    from .server import FakeBotApi, Handler

__all__ = ["HANDLERS", "InlineQueryState"]

MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TEXT_LIMIT, _CAPTION_LIMIT = 4096, 1024


class InlineQueryState:
    """An inline query sent to the bot, answerable once within the callback timeout."""

    def __init__(self, query_id: str, user_id: int, created_at: float) -> None:
        self.query_id, self.user_id, self.created_at = query_id, user_id, created_at
        self.answered = False


def _formatted(api: FakeBotApi, text: Any, parse_mode: Any, entities: Any, limit: int, what: str) -> None:
    if not isinstance(text, str):
        raise ApiError.bad_request(f"{what} must be a String")
    parsed = format_text(text, parse_mode, entities, strict_html=api.strict_html)
    if not parsed.text.strip() and what == "message_text":
        raise ApiError.bad_request("MESSAGE_EMPTY")
    if parsed.utf16_length > limit:
        raise ApiError.bad_request("MESSAGE_TOO_LONG" if what == "message_text" else "caption is too long")


def _article(api: FakeBotApi, result: Mapping[str, Any]) -> None:
    if not isinstance(result.get("title"), str) or not result["title"].strip():
        raise ApiError.bad_request("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, Mapping) or "message_text" not in content:
        raise ApiError.bad_request("MESSAGE_EMPTY")
    _formatted(api, content["message_text"], content.get("parse_mode"), content.get("entities"), _TEXT_LIMIT,
               "message_text")


def _cached_photo(api: FakeBotApi, result: Mapping[str, Any]) -> None:
    if str(result.get("photo_file_id")) not in api.photo_file_ids:
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
    if result.get("caption") is not None:
        _formatted(api, result["caption"], result.get("parse_mode"), result.get("caption_entities"), _CAPTION_LIMIT,
                   "caption")


# result type -> its checks (the results Crossroads sends; any other type is refused loudly)
_RESULT_CHECKS = {"article": _article, "photo": _cached_photo}


def _result(api: FakeBotApi, index: int, result: Any, seen: set[str]) -> dict[str, Any]:
    if not isinstance(result, Mapping):
        raise ApiError.bad_request(f"can't parse InlineQueryResult number {index}")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise ApiError.bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise ApiError.bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    check = _RESULT_CHECKS.get(str(result.get("type")))
    if check is None:
        raise ApiError.bad_request(f"result type {result.get('type')!r} is not simulated by the fake")
    check(api, result)
    markup = normalize_reply_markup(result.get("reply_markup"), inline_only=True)
    refuse_touches(api, None, markup)
    return {**result, "reply_markup": markup} if markup is not None else dict(result)


def _button(button: Any) -> dict[str, Any] | None:
    if button is None:
        return None
    if not isinstance(button, Mapping) or not isinstance(button.get("text"), str) or not button["text"].strip():
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    start = button.get("start_parameter")
    if button.get("web_app") is None and (not isinstance(start, str) or not _START_PARAMETER.fullmatch(start)):
        raise ApiError.bad_request("START_PARAM_INVALID")
    return dict(button)


async def _answer_inline_query(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    query_id = str(params["inline_query_id"])
    results = params["results"]
    if len(results) > MAX_RESULTS:
        raise ApiError.bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked = [_result(api, index, result, seen) for index, result in enumerate(results)]
    button = _button(params.get("button"))
    cache_time = int(params.get("cache_time", 300))
    if cache_time < 0:
        raise ApiError.bad_request("CACHE_TIME_INVALID")
    query = claim_query(api, api._inline_queries, query_id)
    api.inline_answers.append(InlineAnswer(query_id, query.user_id, checked, cache_time,
                                           bool(params.get("is_personal", False)), button))
    return True


HANDLERS: dict[str, Handler] = {"answerinlinequery": _answer_inline_query}
