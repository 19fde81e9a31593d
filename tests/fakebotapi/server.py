"""A strict, in-process fake of the Telegram Bot API HTTP server (aiohttp, 127.0.0.1 only).

Point python-telegram-bot at it with ``base_url=f"{server.url}/bot"``; it then calls
``{server.url}/bot{token}/{method}`` exactly as it would call api.telegram.org. Requests are
decoded and validated like the real server does (see :mod:`.spec`, :mod:`.validation`,
:mod:`.telegram_html`) and every request, message, answer and webhook delivery is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .entities import ParsedText
from .errors import ApiError
from .flood import FloodLimits
from .flood import counted as flood_counted
from .formatting import format_text
from .images import image_size, photo_problem
from .models import (
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    InjectedFault,
    MessageVersion,
    RecordedRequest,
    WebhookAttempt,
)
from .spec import BotApiSpec, MethodSpec, UploadedFile
from .users import ChatState, SimulatedChat, SimulatedGroup, SimulatedUser
from .validation import normalize_reply_markup, scope_key, validate_commands

__all__ = ["DEFAULT_TOKEN", "FakeBotApi"]

DEFAULT_TOKEN = "123456:TEST-token-not-real"

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_MESSAGE_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024
_CALLBACK_TEXT_LIMIT = 200
_LONG_POLL_MAX_TIMEOUT = 50
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "record_audio",
        "upload_audio",
        "upload_document",
        "choose_sticker",
        "find_location",
        "pick_up_location",
        "record_video_note",
        "upload_video_note",
        "cancel",
    ]
)
_MESSAGE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
# sendX methods that create a message: method -> (message kind, file parameter or None)
_MEDIA_METHODS: dict[str, tuple[str, str | None]] = {
    "sendphoto": ("photo", "photo"),
    "senddocument": ("document", "document"),
    "sendsticker": ("sticker", "sticker"),
    "sendanimation": ("animation", "animation"),
    "sendvideo": ("video", "video"),
    "sendaudio": ("audio", "audio"),
    "sendvoice": ("voice", "voice"),
    "sendvideonote": ("video_note", "video_note"),
    "sendlocation": ("location", None),
    "sendvenue": ("venue", None),
    "sendcontact": ("contact", None),
    "senddice": ("dice", None),
    "sendpoll": ("poll", None),
}
_CAPTIONED = frozenset({"photo", "document", "animation", "video", "audio", "voice"})
# setMyX method -> (result/parameter field, maximum length)
_PROFILE_FIELDS: dict[str, tuple[str, int]] = {
    "setmyname": ("name", 64),
    "setmydescription": ("description", 512),
    "setmyshortdescription": ("short_description", 120),
}

Handler = Callable[[dict[str, Any], RecordedRequest], Awaitable[Any]]


@dataclass(slots=True)
class _Described:
    """A successful result that Telegram sends together with a ``description``."""

    result: Any
    description: str


@dataclass(slots=True)
class _CallbackQueryState:
    query_id: str
    update_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created_at: float
    answered: bool = False


@dataclass(slots=True)
class _WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class _Watcher:
    predicate: Callable[[], Any]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _LongPoll:
    future: asyncio.Future[ApiError | None]
    record: RecordedRequest


@dataclass(slots=True)
class _Counters:
    request: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    event: int = 0
    callback: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    file: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    user: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000_001))


class FakeBotApi:
    """In-process strict fake of the Telegram Bot API.

    Use as ``async with FakeBotApi() as server:``; the bot talks to ``server.url`` (API root,
    ``base_url=f"{server.url}/bot"`` for python-telegram-bot). The package docstring
    (``tests/fakebotapi/__init__.py``) gives a quick tour of the test-side API.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "crossroads_test_bot",
        bot_first_name: str = "Crossroads Test",
        host: str = "127.0.0.1",
        port: int = 0,
        callback_query_timeout: float = 15.0,
        strict_html: bool = True,
        webhook_retry_delay: float = 0.05,
        webhook_max_retry_delay: float = 2.0,
        webhook_timeout: float = 10.0,
        set_webhook_cooldown: float = 1.0,
        first_update_id: int = 100_000_001,
        spec: BotApiSpec | None = None,
        share_update_ids_with: FakeBotApi | None = None,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a Bot API token: {token!r}")
        self.token = token
        self.host = host
        self.port = port
        self.callback_query_timeout = callback_query_timeout
        self.strict_html = strict_html
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_retry_delay = webhook_max_retry_delay
        self.webhook_timeout = webhook_timeout
        self.set_webhook_cooldown = set_webhook_cooldown
        self.spec = spec or BotApiSpec.load()
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name

        self.requests: list[RecordedRequest] = []
        self.updates: list[dict[str, Any]] = []
        self.dropped_updates: list[dict[str, Any]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.webhook_attempts: list[WebhookAttempt] = []
        #: Several bot workers behind one webhook URL: when set, updates go to these URLs in
        #: turn (a load balancer), as Telegram delivers them: different chats concurrently (up to
        #: max_connections), one chat's updates one at a time in update_id order, each next one
        #: only after the previous one got a 2xx; failures are retried on the next URL.
        self.webhook_backends: list[str] = []
        self.logged_out = False
        self.closed = False
        #: Telegram's flood limits, enforced when set (:meth:`enable_flood_limits`).
        self.flood_limits: FloodLimits | None = None
        #: Messages refused with 429 by the flood limits (not counted in :attr:`errors`).
        self.flood_rejections: list[RecordedRequest] = []

        self._counters = _Counters()
        #: One bot's update_ids form one sequence; two fake servers standing for the same bot
        #: (two processes of it) share the box.
        self._update_id_box: list[int] = (
            share_update_ids_with._update_id_box if share_update_ids_with is not None else [first_update_id])
        self._pending: list[dict[str, Any]] = []
        self._delivered_at: dict[int, float] = {}
        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, SimulatedUser] = {}
        self._callback_queries: dict[str, _CallbackQueryState] = {}
        self._commands: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self._profile: dict[tuple[str, str], Any] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._uploads: dict[str, bytes] = {}
        self._faults: list[InjectedFault] = []
        self._call_times: defaultdict[str, list[float]] = defaultdict(list)
        self._watchers: list[_Watcher] = []
        self._allowed_updates: frozenset[str] | None = None
        self._long_poll: _LongPoll | None = None
        self._webhook: _WebhookConfig | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._next_set_webhook_at = 0.0
        self._pending_event: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Handler] = self._build_handlers()

    @property
    def _next_update_id(self) -> int:
        return self._update_id_box[0]

    @_next_update_id.setter
    def _next_update_id(self, value: int) -> None:
        self._update_id_box[0] = value

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening on ``host``:``port`` (a free port when 0)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotApi already started")
        self._pending_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop the webhook sender, wake long polls and shut the HTTP server down."""
        await self._stop_webhook_task()
        if self._long_poll is not None and not self._long_poll.future.done():
            self._long_poll.future.set_result(None)
        for watcher in self._watchers:
            if not watcher.future.done():
                watcher.future.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """API root, e.g. ``http://127.0.0.1:41234`` (the bot calls ``{url}/bot{token}/...``)."""
        if self._runner is None:
            raise RuntimeError("FakeBotApi is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for python-telegram-bot's ``base_url`` (``{url}/bot``)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for python-telegram-bot's ``base_file_url`` (file downloads)."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a ``User`` (as it appears in ``from`` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ simulated users

    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Alex",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = True,
    ) -> SimulatedUser:
        """Create (or return the existing) user with a private chat (chat id == user id).

        With ``started=False`` the user never pressed Start: sends fail with 403 "bot can't
        initiate conversation with a user" until the user writes to the bot.
        """
        if user_id is None:
            user_id = next(self._counters.user)
        if user_id in self._users:
            return self._users[user_id]
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "first_name": first_name}
        if last_name:
            user["last_name"] = chat["last_name"] = last_name
        if username:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        chat["type"] = "private"
        state = ChatState(chat, started=started)
        self._chats[user_id] = state
        simulated = SimulatedUser(self, state, user)
        self._users[user_id] = simulated
        return simulated

    def group(
        self,
        chat_id: int = -1001234567890,
        title: str = "Test Group",
        *,
        type: str = "supergroup",
        username: str | None = None,
    ) -> SimulatedGroup:
        """Create (or return) a group/supergroup/channel chat the bot is a member of."""
        state = self._chats.get(chat_id)
        if state is None:
            chat: dict[str, Any] = {"id": chat_id, "title": title, "type": type}
            if username:
                chat["username"] = username
            state = ChatState(chat)
            self._chats[chat_id] = state
        return SimulatedGroup(self, state)

    def chat(self, chat_id: int) -> SimulatedChat:
        """Inspection view of any known chat (e.g. one registered via :meth:`enqueue_raw`)."""
        if chat_id in self._users:
            return self._users[chat_id]
        return SimulatedChat(self, self._chats[chat_id])

    def file_ids(self, prefix: str) -> dict[str, str]:
        """Fresh realistic ``file_id``/``file_unique_id`` pair."""
        n = next(self._counters.file)
        return {
            "file_id": f"{prefix}{n:06d}Dq6cxGAAQIAAN4AAM2BA",
            "file_unique_id": f"AQADq6cxG{n:06d}",
        }

    # ------------------------------------------------------------------ updates

    @property
    def event_seq(self) -> int:
        """Sequence number of the latest bot message event (send/edit) in any chat."""
        return self._counters.event

    def enqueue_raw(self, update: Mapping[str, Any]) -> int:
        """Queue an arbitrary update dict; assigns ``update_id`` if missing. Returns it.

        Chats found in the update (message.chat, callback_query.message.chat,
        my_chat_member.chat, ...) become known, so the bot may answer there.
        """
        data = json.loads(json.dumps(update))  # deep copy, and proves it is JSON-serialisable
        if "update_id" in data:
            update_id = int(data["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
        else:
            update_id = self._next_update_id
            self._next_update_id += 1
            data = {"update_id": update_id, **data}
        self._register_from_update(data)
        self.updates.append(data)
        kinds = [key for key in data if key != "update_id"]
        kind = kinds[0] if kinds else ""
        if not self._is_allowed(kind):
            self.dropped_updates.append(data)
        else:
            self._pending.append(data)
            self._wake_consumers()
        self._notify()
        return update_id

    async def push_update(self, update: Mapping[str, Any]) -> int:
        """Like :meth:`enqueue_raw`, then yield to the event loop once."""
        update_id = self.enqueue_raw(update)
        await asyncio.sleep(0)
        return update_id

    async def push_callback_query(self, user: SimulatedUser, message_id: int, data: str) -> str:
        """Create a ``callback_query`` update for a press in ``user``'s chat."""
        query_id = str(4_611_686_018_427_387_904 + next(self._counters.callback) * 7919)
        message_json = self.message_json(user.id, message_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.user,
            "chat_instance": str(-(8_000_000_000_000_000_000 // 3 + user.id)),
            "data": data,
        }
        if message_json is not None:
            query["message"] = message_json
        await self.push_update({"callback_query": query})
        return query_id

    def message_json(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current ``Message`` JSON of a bot or user message (``None`` if unknown)."""
        state = self._chats.get(chat_id)
        if state is None:
            return None
        bot_message = state.bot_messages.get(message_id)
        if bot_message is not None:
            return bot_message.to_json(self.bot_user, state.chat)
        user_message = state.user_messages.get(message_id)
        return dict(user_message) if user_message is not None else None

    @property
    def is_long_polling(self) -> bool:
        """True while a getUpdates long poll is waiting for updates."""
        return self._long_poll is not None and not self._long_poll.future.done()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot."""
        return list(self._pending)

    def delivered_at(self, update_id: int) -> float | None:
        """``time.monotonic()`` when the update was first handed to the bot."""
        return self._delivered_at.get(update_id)

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _set_allowed_updates(self, allowed: Sequence[str] | None) -> None:
        if allowed is None:
            return
        self._allowed_updates = frozenset(allowed) if allowed else None

    def _register_from_update(self, update: Mapping[str, Any]) -> None:
        for key in _MESSAGE_KEYS:
            message = update.get(key)
            if isinstance(message, Mapping):
                self._register_message(message, from_user=True)
        query = update.get("callback_query")
        if isinstance(query, Mapping):
            message = query.get("message")
            if isinstance(message, Mapping):
                self._register_message(message, from_user=False)
            chat_id = message.get("chat", {}).get("id") if isinstance(message, Mapping) else None
            query_id = str(query.get("id"))
            if query_id not in self._callback_queries:
                self._callback_queries[query_id] = _CallbackQueryState(
                    query_id=query_id,
                    update_id=int(update["update_id"]),
                    chat_id=chat_id,
                    message_id=message.get("message_id") if isinstance(message, Mapping) else None,
                    data=query.get("data"),
                    created_at=time.monotonic(),
                )
        for key in ("my_chat_member", "chat_member", "chat_join_request"):
            member = update.get(key)
            if isinstance(member, Mapping) and isinstance(member.get("chat"), Mapping):
                self._chat_state_for(member["chat"])

    def _chat_state_for(self, chat: Mapping[str, Any]) -> ChatState:
        chat_id = int(chat["id"])
        state = self._chats.get(chat_id)
        if state is None:
            state = ChatState(dict(chat))
            self._chats[chat_id] = state
        return state

    def _register_message(self, message: Mapping[str, Any], *, from_user: bool) -> None:
        chat = message.get("chat")
        if not isinstance(chat, Mapping) or "id" not in chat:
            return
        state = self._chat_state_for(chat)
        message_id = message.get("message_id")
        if isinstance(message_id, int):
            state.note_message_id(message_id)
            if from_user and message_id not in state.bot_messages:
                state.user_messages[message_id] = dict(message)  # latest version wins

    def _wake_consumers(self) -> None:
        if self._long_poll is not None and not self._long_poll.future.done():
            self._long_poll.future.set_result(None)
        if self._pending_event is not None:
            self._pending_event.set()

    # ------------------------------------------------------------------ faults

    def inject_fault(
        self, method: str, kind: str | int, times: int = 1, **kw: Any
    ) -> InjectedFault:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail.

        Kinds: ``"429"`` (``retry_after=1``), ``"500"``/``"502"``/any 5xx (Telegram-style JSON
        error), ``"disconnect"`` (connection closed without a response), ``"delay"``
        (``seconds=1.0`` before answering normally). ``process_first=True`` (disconnect/delay)
        executes the request before dropping/delaying the answer, like a response lost on
        the way back. ``description`` overrides the error text.
        """
        kind = str(kind)
        if kind not in ("429", "disconnect", "delay") and not re.fullmatch(r"5\d\d", kind):
            raise ValueError(f"unknown fault kind {kind!r}")
        unknown = set(kw) - {"retry_after", "seconds", "s", "description", "process_first"}
        if unknown:
            raise TypeError(f"unknown fault options: {sorted(unknown)}")
        if method != "*" and self.spec.method(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        fault = InjectedFault(
            method=method.lower(),
            kind=kind,
            remaining=times,
            retry_after=int(kw.get("retry_after", 1)),
            seconds=float(kw.get("seconds", kw.get("s", 1.0))),
            description=kw.get("description"),
            process_first=bool(kw.get("process_first", False)),
        )
        self._faults.append(fault)
        return fault

    def enable_flood_limits(self, messages_per_second: float = 30.0, burst: float = 30.0,
                            chat_messages_per_second: float = 1.0, chat_burst: float = 3.0) -> FloodLimits:
        """Flood mode: refuse calls into chats beyond Telegram's rates with 429 (see ``flood.py``)."""
        self.flood_limits = FloodLimits(messages_per_second, burst, chat_messages_per_second, chat_burst)
        return self.flood_limits

    def clear_faults(self) -> None:
        """Cancel every injected fault that has not fired yet."""
        self._faults.clear()

    def call_times(self, method: str) -> list[float]:
        """``time.monotonic()`` of every call of ``method`` (faulted ones included)."""
        spec = self.spec.method(method)
        return list(self._call_times[spec.name if spec else method])

    def _take_fault(self, method: str) -> InjectedFault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in ("*", method.lower()):
                fault.remaining -= 1
                fault.hits.append(time.monotonic())
                return fault
        return None

    # ------------------------------------------------------------------ inspection

    @property
    def errors(self) -> list[RecordedRequest]:
        """Requests the server rejected (excluding injected faults and abandoned polls)."""
        return [record for record in self.requests if record.rejected]

    def assert_no_errors(self, *allowed: str) -> None:
        """Fail if any request was rejected, except descriptions containing ``allowed``."""
        unexpected = [
            record
            for record in self.errors
            if not any(fragment in (record.description or "") for fragment in allowed)
        ]
        if unexpected:
            lines = "\n".join(f"  {record!r}" for record in unexpected)
            raise AssertionError(
                f"the fake Bot API rejected {len(unexpected)} request(s):\n{lines}"
            )

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` (case-insensitive)."""
        lowered = method.lower()
        return [record for record in self.requests if record.method.lower() == lowered]

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The accepted answer of callback query ``query_id``, if any."""
        for answer in self.callback_answers:
            if answer.query_id == query_id:
                return answer
        return None

    def age_callback_query(self, query_id: str, seconds: float) -> None:
        """Pretend callback query ``query_id`` was created ``seconds`` earlier."""
        self._callback_queries[query_id].created_at -= seconds

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands currently set for ``scope``/``language_code``."""
        return list(self._commands.get((scope_key(scope), language_code), []))

    @property
    def webhook_url(self) -> str | None:
        """The registered webhook URL, if any."""
        return self._webhook.url if self._webhook else None

    @property
    def webhook_secret_token(self) -> str | None:
        """The registered webhook secret token, if any."""
        return self._webhook.secret_token if self._webhook else None

    def describe(self, *, chat_id: int | None = None, last: int = 15) -> str:
        """A short human-readable summary of recent activity (used in timeout errors)."""
        lines = ["recent requests:"]
        lines += [f"  {record!r}" for record in self.requests[-last:]] or ["  (none)"]
        if self.errors:
            lines.append("rejected requests:")
            lines += [f"  {record!r}" for record in self.errors[-last:]]
        if chat_id is not None and chat_id in self._chats:
            lines.append(f"bot messages in chat {chat_id}:")
            messages = list(self._chats[chat_id].bot_messages.values())[-last:]
            lines += [f"  {message!r}" for message in messages] or ["  (none)"]
        lines.append(f"pending updates: {[u['update_id'] for u in self._pending]}")
        return "\n".join(lines)

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every state change).

        Returns the predicate's value; raises ``TimeoutError`` with an activity summary.
        """
        value = predicate()
        if value:
            return value
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        watcher = _Watcher(predicate, future)
        self._watchers.append(watcher)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s.\n{self.describe()}") from None
        finally:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    async def wait_for_request(
        self,
        method: str,
        predicate: Callable[[RecordedRequest], Any] | None = None,
        timeout: float = 10.0,
        *,
        start: int = 0,
    ) -> RecordedRequest:
        """Wait for a finished request of ``method`` (index >= ``start`` in :attr:`requests`)."""
        lowered = method.lower()

        def find() -> RecordedRequest | None:
            for record in self.requests[start:]:
                if (
                    record.method.lower() == lowered
                    and record.finished_at is not None
                    and (predicate is None or predicate(record))
                ):
                    return record
            return None

        found: RecordedRequest = await self.wait_until(find, timeout)
        return found

    def _notify(self) -> None:
        for watcher in list(self._watchers):
            if watcher.future.done():
                continue
            try:
                value = watcher.predicate()
            except Exception as exc:
                watcher.future.set_exception(exc)
                continue
            if value:
                watcher.future.set_result(value)

    # ------------------------------------------------------------------ webhook helpers

    async def post_to_webhook(
        self,
        update: Mapping[str, Any] | None = None,
        *,
        secret: str = "right",
        secret_value: str | None = None,
    ) -> int:
        """POST ``update`` straight to the registered webhook and return the HTTP status.

        ``secret`` is ``"right"`` (the registered token; no header if none was set),
        ``"wrong"`` or ``"missing"``; ``secret_value`` sends that exact header value. The
        update is not queued or retried; ``update_id`` is assigned if missing.
        """
        if self._webhook is None:
            raise RuntimeError("no webhook is set")
        data = dict(update) if update is not None else self._sample_update()
        if "update_id" not in data:
            data = {"update_id": self._next_update_id, **data}
            self._next_update_id += 1
        if secret_value is not None:
            header: str | None = secret_value
        elif secret == "right":
            header = self._webhook.secret_token
        elif secret == "wrong":
            header = (self._webhook.secret_token or "secret") + "-wrong"
        elif secret == "missing":
            header = None
        else:
            raise ValueError("secret must be 'right', 'wrong' or 'missing'")
        status, error, _ = await self._post_webhook(self._webhook.url, data, header)
        self.webhook_attempts.append(
            WebhookAttempt(
                update_id=int(data["update_id"]),
                url=self._webhook.url,
                status=status,
                error=error,
                secret_header=header,
                at=time.monotonic(),
                manual=True,
            )
        )
        self._notify()
        if status is None:
            raise ConnectionError(error)
        return status

    def _sample_update(self) -> dict[str, Any]:
        """A minimal private-chat text message update for :meth:`post_to_webhook`."""
        user = {"id": 1, "is_bot": False, "first_name": "Raw"}
        chat = {"id": 1, "first_name": "Raw", "type": "private"}
        message = {"message_id": 1, "from": user, "chat": chat, "date": int(time.time())}
        return {"message": {**message, "text": "raw"}}

    async def _post_webhook(
        self, url: str, update: Mapping[str, Any], secret_header: str | None
    ) -> tuple[int | None, str | None, int]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if secret_header is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_header
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                allow_redirects=False,
            ) as response:
                await response.read()
                if 200 <= response.status <= 299:
                    return response.status, None, 0
                retry_after = response.headers.get("Retry-After", "0")
                return (
                    response.status,
                    f"Wrong response from the webhook: {response.status} {response.reason}",
                    int(retry_after) if retry_after.isdigit() else 0,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, f"Connection failed: {exc.__class__.__name__}: {exc}", 0

    @staticmethod
    def _update_chat(update: Mapping[str, Any]) -> Any:
        """The chat an update belongs to (its delivery queue), or the update itself."""
        for value in update.values():
            if not isinstance(value, Mapping):
                continue
            for holder in (value, value.get("message")):
                if isinstance(holder, Mapping) and isinstance(holder.get("chat"), Mapping):
                    return holder["chat"].get("id")
            if isinstance(value.get("from"), Mapping):
                return value["from"].get("id")
        return ("update", update.get("update_id"))

    async def _webhook_fan_out(self, config: _WebhookConfig) -> None:
        """Deliver to ``webhook_backends``: see its comment in ``__init__``."""
        assert self._pending_event is not None
        busy_chats: set[Any] = set()
        tasks: set[asyncio.Task[None]] = set()
        turn = itertools.count()

        async def deliver(update: dict[str, Any], chat: Any) -> None:
            update_id = int(update["update_id"])
            delay = self.webhook_retry_delay
            try:
                while True:
                    url = self.webhook_backends[next(turn) % len(self.webhook_backends)]
                    self._delivered_at.setdefault(update_id, time.monotonic())
                    status, error, retry_after = await self._post_webhook(url, update, config.secret_token)
                    self.webhook_attempts.append(WebhookAttempt(
                        update_id=update_id, url=url, status=status, error=error,
                        secret_header=config.secret_token, at=time.monotonic()))
                    if error is None:
                        if any(pending is update for pending in self._pending):
                            self._pending.remove(update)
                        return
                    config.last_error_date = int(time.time())
                    config.last_error_message = error
                    self._notify()
                    await asyncio.sleep(retry_after or delay)
                    delay = min(delay * 2, self.webhook_max_retry_delay)
            finally:
                busy_chats.discard(chat)
                self._notify()
                self._pending_event.set()

        try:
            while True:
                waiting: set[Any] = set()
                chosen: tuple[dict[str, Any], Any] | None = None
                if len(tasks) < config.max_connections:
                    for update in self._pending:
                        chat = self._update_chat(update)
                        if chat in busy_chats or chat in waiting:
                            waiting.add(chat)  # an earlier update of this chat goes first
                            continue
                        chosen = (update, chat)
                        break
                if chosen is None:
                    self._pending_event.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._pending_event.wait(), 0.05)
                    continue
                busy_chats.add(chosen[1])
                task = asyncio.get_running_loop().create_task(deliver(*chosen))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()

    async def _webhook_loop(self, config: _WebhookConfig) -> None:
        assert self._pending_event is not None
        if self.webhook_backends:
            await self._webhook_fan_out(config)
            return
        delay = self.webhook_retry_delay
        while True:
            while not self._pending:
                self._pending_event.clear()
                await self._pending_event.wait()
            update = self._pending[0]
            update_id = int(update["update_id"])
            self._delivered_at.setdefault(update_id, time.monotonic())
            status, error, retry_after = await self._post_webhook(
                config.url, update, config.secret_token
            )
            self.webhook_attempts.append(
                WebhookAttempt(
                    update_id=update_id,
                    url=config.url,
                    status=status,
                    error=error,
                    secret_header=config.secret_token,
                    at=time.monotonic(),
                )
            )
            if error is None:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                delay = self.webhook_retry_delay
                self._notify()
                continue
            config.last_error_date = int(time.time())
            config.last_error_message = error
            self._notify()
            await asyncio.sleep(retry_after or delay)
            delay = min(delay * 2, self.webhook_max_retry_delay)

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._handle_file(path)
        token, _, method_name = path.removeprefix("/bot").partition("/")
        method = self.spec.method(method_name) if method_name else None
        record = RecordedRequest(
            seq=next(self._counters.request),
            method=method.name if method is not None else (method_name or path),
            http_method=request.method,
            content_type=request.content_type,
            raw_params={},
            files={},
            started_at=time.monotonic(),
        )
        self.requests.append(record)
        self._call_times[record.method].append(record.started_at)
        try:
            try:
                record.raw_params, record.files = await self._read_params(request)
            except ApiError as exc:
                return self._finish(record, exc)
            routing_error = self._routing_error(path, token, method)
            if routing_error is not None or method is None:
                return self._finish(record, routing_error or ApiError(404, "Not Found"))
            fault = self._take_fault(method.name)
            if fault is None:
                return await self._process(record)
            return await self._apply_fault(fault, record, request)
        except asyncio.CancelledError:
            record.abandoned = True
            record.finished_at = time.monotonic()
            self._notify()
            raise

    def _routing_error(self, path: str, token: str, method: MethodSpec | None) -> ApiError | None:
        """Errors the real server gives before looking at parameters (bad path/token/method)."""
        if not path.startswith("/bot"):
            return ApiError(404, "Not Found")
        if not _TOKEN_RE.match(token):
            return ApiError(401, "Unauthorized: invalid token specified")
        if token != self.token or self.logged_out:
            return ApiError(401, "Unauthorized")
        if method is None:
            return ApiError(404, "Not Found")
        return None

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return raw, files
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(data, dict):
                    raise ApiError(400, "Bad Request: JSON body must be an Object")
                raw.update(data)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files[key] = UploadedFile(key, value.filename, value.content_type, data)
                else:
                    raw[key] = value
        else:
            await request.read()
        return raw, files

    async def _process(self, record: RecordedRequest) -> web.Response:
        method = self.spec.methods[record.method]
        try:
            decoded = self.spec.decode(method, record.raw_params, record.files)
            record.params = decoded.params
            record.unknown_params = decoded.unknown
            if self.flood_limits is not None and flood_counted(decoded.params):
                retry_after = self.flood_limits.check(decoded.params.get("chat_id"), time.monotonic())
                if retry_after is not None:
                    record.fault = "flood"
                    self.flood_rejections.append(record)
                    raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
            handler = self._handlers.get(method.name.lower(), self._m_generic)
            result = await handler(decoded.params, record)
        except ApiError as exc:
            return self._finish(record, exc)
        return self._finish(record, result)

    def _finish(self, record: RecordedRequest, outcome: Any) -> web.Response:
        headers: dict[str, str] = {}
        if isinstance(outcome, ApiError):
            body = outcome.to_json()
            status = outcome.error_code
            record.ok = False
            record.error_code = outcome.error_code
            record.description = outcome.description
            if outcome.parameters and "retry_after" in outcome.parameters:
                headers["Retry-After"] = str(outcome.parameters["retry_after"])
        else:
            status = 200
            record.ok = True
            if isinstance(outcome, _Described):
                body = {"ok": True, "result": outcome.result, "description": outcome.description}
                record.result = outcome.result
            else:
                body = {"ok": True, "result": outcome}
                record.result = outcome
        record.status = status
        record.finished_at = time.monotonic()
        self._notify()
        return self._json(body, status, headers)

    @staticmethod
    def _json(
        body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            status=status,
            content_type="application/json",
            headers=dict(headers or {}),
        )

    async def _apply_fault(
        self, fault: InjectedFault, record: RecordedRequest, request: web.Request
    ) -> web.Response:
        record.fault = fault.kind
        if fault.kind == "delay":
            if fault.process_first:
                response = await self._process(record)
                await asyncio.sleep(fault.seconds)
                return response
            await asyncio.sleep(fault.seconds)
            return await self._process(record)
        if fault.kind == "disconnect":
            if fault.process_first:
                await self._process(record)  # executed, but the answer is lost
            record.status = None
            record.finished_at = time.monotonic()
            if request.transport is not None:
                request.transport.abort()
            self._notify()
            return web.Response(status=204)
        if fault.kind == "429":
            error = ApiError(
                429,
                fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        else:
            code = int(fault.kind)
            default = "Internal Server Error" if code == 500 else HTTPStatus(code).phrase
            error = ApiError(code, fault.description or default)
        record.injected_error = True
        return self._finish(record, error)

    async def _handle_file(self, path: str) -> web.Response:
        token, _, file_path = path[len("/file/bot") :].partition("/")
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").to_json(), 401)
        data = self._uploads.get(file_path)
        if data is None:
            return self._json(ApiError(404, "Not Found").to_json(), 404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ helpers for handlers

    def _resolve_chat(self, chat_id: Any) -> ChatState:
        if isinstance(chat_id, int):
            state = self._chats.get(chat_id)
            if state is not None:
                return state
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for state in self._chats.values():
                username = state.chat.get("username")
                if state.type != "private" and username and username.lower() == wanted:
                    return state
        raise ApiError.bad_request("chat not found")

    def _writable_chat(self, chat_id: Any) -> ChatState:
        state = self._resolve_chat(chat_id)
        reason = state.forbidden_reason()
        if reason is not None:
            raise ApiError.forbidden(reason)
        return state

    def _format(
        self,
        text: str,
        parse_mode: str | None,
        entities: Sequence[Any] | None,
        *,
        limit: int,
        too_long: str,
        allow_empty: bool,
    ) -> ParsedText:
        parsed = format_text(text, parse_mode, entities, strict_html=self.strict_html)
        if not parsed.text and not allow_empty:
            raise ApiError.bad_request("text must be non-empty")
        if parsed.utf16_length > limit:
            raise ApiError.bad_request(too_long)
        return parsed

    def _reply_to(self, state: ChatState, params: Mapping[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, Mapping) or reply.get("message_id") is None:
            return None
        message_id = reply["message_id"]
        if reply.get("chat_id") not in (None, state.id):
            state = self._resolve_chat(reply["chat_id"])
        found = self.message_json(state.id, int(message_id))
        bot_message = state.bot_messages.get(int(message_id))
        deleted = (bot_message is not None and bot_message.deleted) or (
            int(message_id) in state.deleted_user_message_ids
        )
        if found is None or deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError.bad_request("message to be replied not found")
        found.pop("reply_to_message", None)
        return found

    def _new_bot_message(
        self,
        state: ChatState,
        kind: str,
        version: MessageVersion,
        *,
        media: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> BotMessage:
        message = BotMessage(
            chat_id=state.id,
            message_id=state.next_message_id(),
            kind=kind,
            date=version.date,
            versions=[version],
            media=media or {},
            reply_to=reply_to,
        )
        state.bot_messages[message.message_id] = message
        markup = version.reply_markup
        if markup is not None and "keyboard" in markup:
            state.reply_keyboard = markup
        elif markup is not None and "remove_keyboard" in markup:
            state.reply_keyboard = None
        self._emit(state, message)
        return message

    def _emit(self, state: ChatState, message: BotMessage) -> None:
        self._counters.event += 1
        state.emit(self._counters.event, message)

    def _edit_target(self, params: Mapping[str, Any]) -> tuple[ChatState, BotMessage]:
        if "chat_id" not in params and "message_id" not in params:
            if "inline_message_id" in params:
                raise ApiError.bad_request("MESSAGE_ID_INVALID")
            raise ApiError.bad_request("message identifier is not specified")
        if "chat_id" not in params:
            raise ApiError.bad_request("chat_id is empty")
        if "message_id" not in params:
            raise ApiError.bad_request("message identifier is not specified")
        state = self._resolve_chat(params["chat_id"])
        message = state.bot_messages.get(params["message_id"])
        if message is None or message.deleted:
            if params["message_id"] in state.user_messages:
                raise ApiError.bad_request("message can't be edited")
            raise ApiError.bad_request("message to edit not found")
        return state, message

    def _apply_edit(self, state: ChatState, message: BotMessage, version: MessageVersion) -> Any:
        current = message.current
        if (
            version.plain == current.plain
            and version.entities == current.entities
            and version.reply_markup == current.reply_markup
        ):
            raise ApiError(400, _NOT_MODIFIED)
        message.versions.append(version)
        self._emit(state, message)
        return message.to_json(self.bot_user, state.chat)

    def _version(
        self,
        *,
        text: str | None,
        parse_mode: str | None,
        parsed: ParsedText | None,
        reply_markup: dict[str, Any] | None,
        method: str,
    ) -> MessageVersion:
        return MessageVersion(
            text=text,
            parse_mode=parse_mode,
            plain=parsed.text if parsed is not None else None,
            entities=parsed.entities if parsed is not None else (),
            reply_markup=reply_markup,
            date=int(time.time()),
            at=time.monotonic(),
            method=method,
        )

    # ------------------------------------------------------------------ method handlers

    def _build_handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {}
        for name in dir(self):
            if name.startswith("_m_") and "_" not in name[3:] and name != "_m_generic":
                handlers[name[3:]] = getattr(self, name)
        for method in _MEDIA_METHODS:
            handlers[method] = self._m_send_media
        for method in ("setmyname", "setmydescription", "setmyshortdescription"):
            handlers[method] = self._m_set_profile
        for method in ("getmyname", "getmydescription", "getmyshortdescription"):
            handlers[method] = self._m_get_profile
        return handlers

    async def _m_generic(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        """Known but unsimulated methods: ``true`` if they return Boolean, else a loud error.

        Answering ``true`` where python-telegram-bot expects an object would only crash the
        bot somewhere obscure, so such calls are rejected with an explicit description.
        """
        method = self.spec.methods[record.method]
        if method.returns == ("Boolean",):
            return True
        raise ApiError.bad_request(
            f"the fake Bot API does not simulate {method.name} (returns "
            f"{' or '.join(method.returns)}); extend tests/fakebotapi/server.py"
        )

    async def _m_getme(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getupdates(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        if self._webhook is not None:
            raise ApiError.conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        offset = int(params.get("offset", 0))
        limit = max(1, min(100, int(params.get("limit", 100))))
        timeout = max(0, min(_LONG_POLL_MAX_TIMEOUT, int(params.get("timeout", 0))))
        self._set_allowed_updates(params.get("allowed_updates"))

        if offset < 0:
            keep = -offset
            self._pending = self._pending[-keep:] if keep else []
        elif offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        batch = self._pending[:limit]
        if batch or timeout == 0:
            return self._deliver(batch)

        if self._long_poll is not None and not self._long_poll.future.done():
            self._long_poll.future.set_result(
                ApiError.conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            )
        long_poll = _LongPoll(asyncio.get_running_loop().create_future(), record)
        self._long_poll = long_poll
        self._notify()
        try:
            outcome = await asyncio.wait_for(asyncio.shield(long_poll.future), timeout)
        except TimeoutError:
            outcome = None
        finally:
            if self._long_poll is long_poll:
                self._long_poll = None
        if isinstance(outcome, ApiError):
            raise outcome
        if self._webhook is not None:
            return []
        return self._deliver(self._pending[:limit])

    def _deliver(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        now = time.monotonic()
        for update in batch:
            self._delivered_at.setdefault(int(update["update_id"]), now)
        return [json.loads(json.dumps(update)) for update in batch]

    async def _m_sendmessage(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        parsed = self._format(
            params["text"],
            params.get("parse_mode"),
            params.get("entities"),
            limit=_MESSAGE_TEXT_LIMIT,
            too_long="message is too long",
            allow_empty=False,
        )
        markup = normalize_reply_markup(params.get("reply_markup"))
        state = self._writable_chat(params["chat_id"])
        reply_to = self._reply_to(state, params)
        version = self._version(
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            reply_markup=markup,
            method=record.method,
        )
        message = self._new_bot_message(state, "text", version, reply_to=reply_to)
        return message.to_json(self.bot_user, state.chat)

    async def _m_send_media(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        kind, file_param = _MEDIA_METHODS[record.method.lower()]
        parsed: ParsedText | None = None
        if kind in _CAPTIONED and params.get("caption"):
            parsed = self._format(
                params["caption"],
                params.get("parse_mode"),
                params.get("caption_entities"),
                limit=_CAPTION_LIMIT,
                too_long="message caption is too long",
                allow_empty=True,
            )
        markup = normalize_reply_markup(params.get("reply_markup"))
        state = self._writable_chat(params["chat_id"])
        media = self._media_payload(kind, file_param, params)
        reply_to = self._reply_to(state, params)
        version = self._version(
            text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            reply_markup=markup,
            method=record.method,
        )
        message = self._new_bot_message(state, kind, version, media=media, reply_to=reply_to)
        return message.to_json(self.bot_user, state.chat)

    def _file_object(self, value: Any, prefix: str, **extra: Any) -> dict[str, Any]:
        ids = self.file_ids(prefix)
        if isinstance(value, UploadedFile):
            self._uploads[f"documents/{ids['file_id']}"] = value.data
            extra.setdefault("file_size", len(value.data))
            if value.filename and prefix.startswith("BQ"):
                extra.setdefault("file_name", value.filename)
        elif isinstance(value, str) and not value.startswith(("http://", "https://")):
            ids["file_id"] = value  # re-sending by file_id keeps the id
        return {**ids, **extra}

    def _media_payload(
        self, kind: str, file_param: str | None, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        value = params.get(file_param) if file_param else None
        if kind == "photo":
            if isinstance(value, UploadedFile):
                problem = photo_problem(value.data)
                if problem is not None:
                    raise ApiError(400, problem)
                width, height = image_size(value.data) or (0, 0)
                return {"photo": [self._file_object(value, "AgACAgIAAxkDAAI", width=width, height=height)]}
            return {
                "photo": [
                    self._file_object(value, "AgACAgIAAxkDAAI", width=w, height=w, file_size=w * 40)
                    for w in (90, 320, 800)
                ]
            }
        if kind == "document":
            return {"document": self._file_object(value, "BQACAgIAAxkDAAI")}
        if kind == "sticker":
            return {
                "sticker": self._file_object(
                    value,
                    "CAACAgIAAxkDAAI",
                    type="regular",
                    width=512,
                    height=512,
                    is_animated=False,
                    is_video=False,
                )
            }
        if kind in ("animation", "video"):
            return {
                kind: self._file_object(value, "CgACAgIAAxkDAAI", width=320, height=240, duration=3)
            }
        if kind == "video_note":
            return {kind: self._file_object(value, "DQACAgIAAxkDAAI", length=240, duration=3)}
        if kind in ("audio", "voice"):
            return {kind: self._file_object(value, "CQACAgIAAxkDAAI", duration=3)}
        if kind == "location":
            return {"location": {"latitude": params["latitude"], "longitude": params["longitude"]}}
        if kind == "venue":
            location = {"latitude": params["latitude"], "longitude": params["longitude"]}
            return {
                "venue": {
                    "location": location,
                    "title": params["title"],
                    "address": params["address"],
                },
                "location": location,
            }
        if kind == "contact":
            contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
            return {"contact": contact}
        if kind == "dice":
            emoji = params.get("emoji", "🎲")
            return {"dice": {"emoji": emoji, "value": 4}}
        if kind == "poll":
            options = [
                {
                    "persistent_id": str(index),
                    "text": option if isinstance(option, str) else option.get("text", ""),
                    "voter_count": 0,
                }
                for index, option in enumerate(params["options"])
            ]
            if not 2 <= len(options) <= 12:
                raise ApiError.bad_request("poll must have 2-12 options")  # POLL_OPTIONS_INVALID
            return {
                "poll": {
                    "id": str(5_000_000_000_000_000_000 + next(self._counters.file)),
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
            }
        raise AssertionError(kind)  # pragma: no cover

    async def _m_editmessagetext(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        text = params.get("text")
        if not text:
            raise ApiError.bad_request("message text is empty")
        parsed = self._format(
            text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=_MESSAGE_TEXT_LIMIT,
            too_long="message is too long",
            allow_empty=False,
        )
        markup = normalize_reply_markup(params.get("reply_markup"), inline_only=True)
        state, message = self._edit_target(params)
        if message.kind != "text":
            raise ApiError.bad_request("there is no text in the message to edit")
        version = self._version(
            text=text,
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            reply_markup=markup,
            method=record.method,
        )
        return self._apply_edit(state, message, version)

    async def _m_editmessagecaption(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        caption = params.get("caption") or ""
        parsed = self._format(
            caption,
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=_CAPTION_LIMIT,
            too_long="message caption is too long",
            allow_empty=True,
        )
        markup = normalize_reply_markup(params.get("reply_markup"), inline_only=True)
        state, message = self._edit_target(params)
        if message.kind not in _CAPTIONED:
            raise ApiError.bad_request("there is no caption in the message to edit")
        version = self._version(
            text=caption or None,
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            reply_markup=markup,
            method=record.method,
        )
        return self._apply_edit(state, message, version)

    async def _m_editmessagereplymarkup(
        self, params: dict[str, Any], record: RecordedRequest
    ) -> Any:
        markup = normalize_reply_markup(params.get("reply_markup"), inline_only=True)
        state, message = self._edit_target(params)
        current = message.current
        version = MessageVersion(
            text=current.text,
            parse_mode=current.parse_mode,
            plain=current.plain,
            entities=current.entities,
            reply_markup=markup,
            date=int(time.time()),
            at=time.monotonic(),
            method=record.method,
        )
        return self._apply_edit(state, message, version)

    async def _m_deletemessage(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        state = self._resolve_chat(params["chat_id"])
        if not self._delete(state, params["message_id"]):
            raise ApiError.bad_request("message to delete not found")
        return True

    async def _m_deletemessages(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        state = self._resolve_chat(params["chat_id"])
        ids = [int(message_id) for message_id in params["message_ids"]]
        if not 1 <= len(ids) <= 100:
            raise ApiError.bad_request("too many message identifiers specified")
        for message_id in ids:
            self._delete(state, message_id)
        return True

    def _delete(self, state: ChatState, message_id: int) -> bool:
        message = state.bot_messages.get(message_id)
        if message is not None and not message.deleted:
            message.deleted = True
            message.deleted_at = time.monotonic()
            return True
        if message_id in state.user_messages and message_id not in state.deleted_user_message_ids:
            state.deleted_user_message_ids.add(message_id)
            return True
        return False

    async def _m_answercallbackquery(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        query_id = str(params["callback_query_id"])
        text = params.get("text")
        if text is not None and len(text) > _CALLBACK_TEXT_LIMIT:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        query = self._callback_queries.get(query_id)
        now = time.monotonic()
        if query is None or query.answered or now - query.created_at > self.callback_query_timeout:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answered = True
        delivered = self._delivered_at.get(query.update_id)
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=text,
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=int(params.get("cache_time", 0)),
                chat_id=query.chat_id,
                message_id=query.message_id,
                data=query.data,
                answered_at=now,
                latency_ms=None if delivered is None else (now - delivered) * 1000,
                since_press_ms=(now - query.created_at) * 1000,
            )
        )
        return True

    async def _m_sendchataction(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        action = str(params["action"]).lower()
        if action not in _CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        state = self._writable_chat(params["chat_id"])
        entry = ChatActionRecord(state.id, action)
        state.chat_actions.append(entry)
        self.chat_actions.append(entry)
        return True

    async def _m_setmycommands(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        commands = validate_commands(params["commands"])
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    async def _m_getmycommands(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        return list(self._commands.get(key, []))

    async def _m_deletemycommands(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        key = (scope_key(params.get("scope")), params.get("language_code", ""))
        self._commands.pop(key, None)
        return True

    async def _m_set_profile(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        field_name, limit = _PROFILE_FIELDS[record.method.lower()]
        value = params.get(field_name, "")
        if len(value) > limit:
            raise ApiError.bad_request(f"{field_name} is too long")
        self._profile[(field_name, params.get("language_code", ""))] = value
        return True

    async def _m_get_profile(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        field_name, _ = _PROFILE_FIELDS[record.method.lower().replace("get", "set", 1)]
        default = self.bot_first_name if field_name == "name" else ""
        value = self._profile.get((field_name, params.get("language_code", "")), default)
        return {field_name: value or default}

    async def _m_setchatmenubutton(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._resolve_chat(chat_id)
        self._menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    async def _m_getchatmenubutton(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        chat_id = params.get("chat_id")
        return self._menu_buttons.get(chat_id, self._menu_buttons.get(None, {"type": "default"}))

    async def _m_getchatmember(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        state = self._resolve_chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            return {"status": "member", "user": self.bot_user}
        user = self._users.get(user_id)
        if user is None or (state.type == "private" and state.id != user_id):
            raise ApiError.bad_request("user not found")
        if state.type == "private":
            return {"status": "member", "user": user.user}
        return {"status": "member", "user": user.user, "until_date": 0}

    async def _m_getchatmembercount(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        state = self._resolve_chat(params["chat_id"])
        return 2 if state.type == "private" else 1 + len(self._users)

    async def _m_getchat(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        state = self._resolve_chat(params["chat_id"])
        return {
            **state.chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_getfile(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        file_id = params["file_id"]
        path = f"documents/{file_id}"
        self._uploads.setdefault(path, b"fake file content for " + file_id.encode())
        return {
            "file_id": file_id,
            "file_unique_id": "AQAD" + file_id[-12:],
            "file_size": len(self._uploads[path]),
            "file_path": path,
        }

    async def _m_setwebhook(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        url = params.get("url", "")
        if not url:
            return await self._m_deletewebhook(params, record)
        now = time.monotonic()
        if now < self._next_set_webhook_at:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._next_set_webhook_at = now + self.set_webhook_cooldown

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError.bad_request("invalid webhook URL specified")
        if parts.hostname not in _LOCAL_HOSTS:
            raise ApiError.bad_request(
                f"bad webhook: Failed to resolve host: {parts.hostname} (the fake Bot API only "
                "delivers to 127.0.0.1/localhost)"
            )
        secret = params.get("secret_token") or None
        if secret is not None:
            if len(secret) > 256:
                raise ApiError.bad_request("secret token is too long")
            if not _SECRET_TOKEN_RE.match(secret):
                raise ApiError.bad_request("secret token contains unallowed characters")
        max_connections = max(1, min(100, int(params.get("max_connections", 40))))
        allowed = params.get("allowed_updates")
        config = _WebhookConfig(url, secret, max_connections, params.get("ip_address"), allowed)

        current = self._webhook
        if (
            current is not None
            and (current.url, current.secret_token, current.max_connections, current.ip_address)
            == (config.url, config.secret_token, config.max_connections, config.ip_address)
            and not params.get("drop_pending_updates")
            and allowed is None
        ):
            return _Described(True, "Webhook is already set")

        await self._stop_webhook_task()
        if self._long_poll is not None and not self._long_poll.future.done():
            self._long_poll.future.set_result(ApiError.conflict("terminated by setWebhook request"))
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._set_allowed_updates(allowed)
        self._webhook = config
        self._webhook_task = asyncio.get_running_loop().create_task(
            self._webhook_loop(config), name="fakebotapi-webhook"
        )
        return _Described(True, "Webhook was set")

    async def _m_deletewebhook(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        was_set = self._webhook is not None
        await self._stop_webhook_task()
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _m_getwebhookinfo(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        config = self._webhook
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if config is not None:
            info["max_connections"] = config.max_connections
            if config.ip_address:
                info["ip_address"] = config.ip_address
            if config.last_error_date is not None:
                info["last_error_date"] = config.last_error_date
                info["last_error_message"] = config.last_error_message
            if config.allowed_updates:
                info["allowed_updates"] = list(config.allowed_updates)
        return info

    async def _m_close(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        self.closed = True
        return True

    async def _m_logout(self, params: dict[str, Any], record: RecordedRequest) -> Any:
        self.logged_out = True
        return True
