"""The fake server: lifecycle, simulated users, the update queue, inspection, HTTP routing."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from . import chats, delivery, inline, messages
from .delivery import Described, LongPoll, WebhookConfig, end_long_poll, post_webhook, stop_webhook_task
from .errors import ApiError
from .faults import apply_fault, flood_error, make_fault
from .flood import FloodLimits
from .models import (
    CallbackAnswer,
    ChatActionRecord,
    InjectedFault,
    InlineAnswer,
    RecordedRequest,
    WebhookAttempt,
)
from .spec import BotApiSpec, MethodSpec, UploadedFile
from .users import ChatState, SimulatedChat, SimulatedGroup, SimulatedUser
from .validation import scope_key

__all__ = ["DEFAULT_TOKEN", "FakeBotApi", "Handler"]

DEFAULT_TOKEN = "123456:TEST-token-not-real"

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Update fields that carry a message the bot may later reply to or edit.
_MESSAGE_KEYS = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_message", "edited_business_message",
)

#: A method handler: ``(server, decoded params, record) -> result``; raises :class:`ApiError`.
Handler = Callable[["FakeBotApi", dict[str, Any], RecordedRequest], Awaitable[Any]]


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
class _Watcher:
    predicate: Callable[[], Any]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Counters:
    request: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    event: int = 0
    callback: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    file: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    user: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000_001))


class FakeBotApi:
    """In-process strict fake of the Telegram Bot API (see the package docstring)."""

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
        strays = [name for name in _HANDLERS if self.spec.method(name) is None]
        if strays:  # a handler under a misspelt or retired name would never run
            raise ValueError(f"handlers for methods the spec does not know: {strays}")
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
        #: The message effects this server accepts (an empty set: a client or chat without them).
        self.message_effects: frozenset[str] = messages.MESSAGE_EFFECTS
        #: Newer touches this server refuses with a 400 (keys of messages.TOUCH_REFUSALS), as a
        #: server or client without them would.
        self.refused_touches: frozenset[str] = frozenset()
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
        self._inline_queries: dict[str, inline.InlineQueryState] = {}
        #: answerInlineQuery calls accepted, in order.
        self.inline_answers: list[InlineAnswer] = []
        #: file_ids of every photo the bot sent (what an inline "cached photo" result may use).
        self.photo_file_ids: set[str] = set()
        self._commands: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self._profile: dict[tuple[str, str], Any] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._uploads: dict[str, bytes] = {}
        self._faults: list[InjectedFault] = []
        self._call_times: defaultdict[str, list[float]] = defaultdict(list)
        self._watchers: list[_Watcher] = []
        self._allowed_updates: frozenset[str] | None = None
        self._long_poll: LongPoll | None = None
        self._webhook: WebhookConfig | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._next_set_webhook_at = 0.0
        self._pending_event: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def _numbered(self, update: dict[str, Any]) -> dict[str, Any]:
        """``update`` with the next update_id in front, unless it has one."""
        if "update_id" in update:
            return update
        self._update_id_box[0] += 1
        return {"update_id": self._update_id_box[0] - 1, **update}

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening on ``host``:``port`` (a free port when 0)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotApi already started")
        self._pending_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop the webhook sender, wake long polls and shut the HTTP server down."""
        await stop_webhook_task(self)
        end_long_poll(self, None)
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
        names = {key: value for key, value in (("last_name", last_name), ("username", username)) if value}
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name, **names}
        if language_code:
            user["language_code"] = language_code
        state = ChatState({"id": user_id, "first_name": first_name, **names, "type": "private"}, started=started)
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
        chat = {"id": chat_id, "title": title, "type": type, **({"username": username} if username else {})}
        return SimulatedGroup(self, self._chat_state_for(chat))

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
            self._update_id_box[0] = max(self._update_id_box[0], int(data["update_id"]) + 1)
        data = self._numbered(data)
        update_id = int(data["update_id"])
        self._register_from_update(data)
        self.updates.append(data)
        kinds = [key for key in data if key != "update_id"]
        kind = kinds[0] if kinds else ""
        allowed = self._allowed_updates
        if kind in _DEFAULT_EXCLUDED_UPDATES if allowed is None else kind not in allowed:
            self.dropped_updates.append(data)
        else:
            self._pending.append(data)
            end_long_poll(self, None)
            if self._pending_event is not None:
                self._pending_event.set()
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

    async def push_inline_query(self, user: SimulatedUser, query: str, chat_type: str = "sender") -> str:
        """Create an ``inline_query`` update: ``user`` typed "@bot ``query``" in some chat."""
        query_id = str(3_458_764_513_820_540_928 + next(self._counters.callback) * 104_729)
        await self.push_update({"inline_query": {"id": query_id, "from": user.user, "query": query, "offset": "",
                                                 "chat_type": chat_type}})
        return query_id

    def inline_answer(self, query_id: str) -> InlineAnswer | None:
        """The accepted answer of inline query ``query_id``, if any."""
        return next((answer for answer in self.inline_answers if answer.query_id == query_id), None)

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
            message = message if isinstance(message, Mapping) else {}
            self._register_message(message, from_user=False)
            query_id = str(query.get("id"))
            if query_id not in self._callback_queries:
                self._callback_queries[query_id] = _CallbackQueryState(
                    query_id, int(update["update_id"]), message.get("chat", {}).get("id"),
                    message.get("message_id"), query.get("data"), time.monotonic())
        inline_query = update.get("inline_query")
        if isinstance(inline_query, Mapping) and str(inline_query.get("id")) not in self._inline_queries:
            sender = inline_query.get("from")
            user_id = sender.get("id") if isinstance(sender, Mapping) else None
            self._inline_queries[str(inline_query.get("id"))] = inline.InlineQueryState(
                str(inline_query.get("id")), user_id if isinstance(user_id, int) else 0, time.monotonic())
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

    # ------------------------------------------------------------------ faults

    def inject_fault(self, method: str, kind: str | int, times: int = 1, **kw: Any) -> InjectedFault:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail.

        Kinds: ``"429"`` (``retry_after=1``), ``"500"``/``"502"``/any 5xx (Telegram-style JSON
        error), ``"disconnect"`` (connection closed without a response), ``"delay"``
        (``seconds=1.0`` before answering normally). ``process_first=True`` (disconnect/delay)
        executes the request before dropping/delaying the answer, like a response lost on
        the way back. ``description`` overrides the error text.
        """
        fault = make_fault(self.spec, method, kind, times, kw)
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
        unexpected = [r for r in self.errors if not any(fragment in (r.description or "") for fragment in allowed)]
        if unexpected:
            lines = "\n".join(f"  {record!r}" for record in unexpected)
            raise AssertionError(f"the fake Bot API rejected {len(unexpected)} request(s):\n{lines}")

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` (case-insensitive)."""
        lowered = method.lower()
        return [record for record in self.requests if record.method.lower() == lowered]

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The accepted answer of callback query ``query_id``, if any."""
        return next((answer for answer in self.callback_answers if answer.query_id == query_id), None)

    def age_callback_query(self, query_id: str, seconds: float) -> None:
        """Pretend callback query ``query_id`` was created ``seconds`` earlier."""
        self._callback_queries[query_id].created_at -= seconds

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """Commands currently set for ``scope``/``language_code``."""
        return list(self._commands.get((scope_key(scope), language_code), []))

    @property
    def webhook_url(self) -> str | None:
        """The registered webhook URL, if any."""
        return self._webhook.url if self._webhook else None

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

    async def wait_for_request(self, method: str, predicate: Callable[[RecordedRequest], Any] | None = None,
                               timeout: float = 10.0, *, start: int = 0) -> RecordedRequest:
        """Wait for a finished request of ``method`` (index >= ``start`` in :attr:`requests`)."""
        lowered = method.lower()

        def find() -> RecordedRequest | None:
            return next((r for r in self.requests[start:] if r.method.lower() == lowered and r.finished_at is not None
                         and (predicate is None or predicate(r))), None)

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
        data = self._numbered(dict(update) if update is not None else self._sample_update())
        token = self._webhook.secret_token
        headers = {"right": token, "wrong": (token or "secret") + "-wrong", "missing": None}
        if secret_value is None and secret not in headers:
            raise ValueError("secret must be 'right', 'wrong' or 'missing'")
        header = secret_value if secret_value is not None else headers[secret]
        status, error, _ = await post_webhook(self, self._webhook.url, data, header)
        self.webhook_attempts.append(WebhookAttempt(
            int(data["update_id"]), self._webhook.url, status, error, header, time.monotonic(), manual=True))
        self._notify()
        if status is None:
            raise ConnectionError(error)
        return status

    def _sample_update(self) -> dict[str, Any]:
        """A minimal private-chat text message update for :meth:`post_to_webhook`."""
        user, chat = {"id": 1, "is_bot": False, "first_name": "Raw"}, {"id": 1, "first_name": "Raw", "type": "private"}
        return {"message": {"message_id": 1, "from": user, "chat": chat, "date": int(time.time()), "text": "raw"}}

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._handle_file(path)
        token, _, method_name = path.removeprefix("/bot").partition("/")
        method = self.spec.method(method_name) if method_name else None
        record = RecordedRequest(next(self._counters.request), method.name if method is not None else (method_name or path),
                                 request.method, request.content_type, {}, {}, time.monotonic())
        self.requests.append(record)
        self._call_times[record.method].append(record.started_at)
        try:
            try:
                record.raw_params, record.files = await self._read_params(request)
                method = self._route(path, token, method)
            except ApiError as exc:
                return self._finish(record, exc)
            fault = self._take_fault(method.name)
            if fault is None:
                return await self._process(record)
            return await apply_fault(fault, record, request, self._process, self._finish, self._notify)
        except asyncio.CancelledError:
            record.abandoned = True
            record.finished_at = time.monotonic()
            self._notify()
            raise

    def _route(self, path: str, token: str, method: MethodSpec | None) -> MethodSpec:
        """The method called, or the error the real server gives before reading parameters."""
        if not path.startswith("/bot"):
            raise ApiError(404, "Not Found")
        if not _TOKEN_RE.match(token):
            raise ApiError(401, "Unauthorized: invalid token specified")
        if token != self.token or self.logged_out:
            raise ApiError(401, "Unauthorized")
        if method is None:
            raise ApiError(404, "Not Found")
        return method

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
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
                    files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
        else:
            await request.read()
        return raw, files

    async def _process(self, record: RecordedRequest) -> web.Response:
        method = self.spec.methods[record.method]
        try:
            decoded = self.spec.decode(method, record.raw_params, record.files)
            record.params, record.unknown_params = decoded.params, decoded.unknown
            flood = flood_error(self.flood_limits, decoded.params)
            if flood is not None:
                record.fault = "flood"
                self.flood_rejections.append(record)
                raise flood
            handler = _HANDLERS.get(method.name.lower(), _unsimulated)
            result = await handler(self, decoded.params, record)
        except ApiError as exc:
            return self._finish(record, exc)
        return self._finish(record, result)

    def _finish(self, record: RecordedRequest, outcome: Any) -> web.Response:
        headers: dict[str, str] = {}
        if isinstance(outcome, ApiError):
            body = outcome.to_json()
            record.ok, record.error_code, record.description = False, outcome.error_code, outcome.description
            if outcome.parameters and "retry_after" in outcome.parameters:
                headers["Retry-After"] = str(outcome.parameters["retry_after"])
        else:
            described = isinstance(outcome, Described)
            result = outcome.result if described else outcome
            body = {"ok": True, "result": result, **({"description": outcome.description} if described else {})}
            record.ok, record.result = True, result
        record.status = outcome.error_code if isinstance(outcome, ApiError) else 200
        record.finished_at = time.monotonic()
        self._notify()
        return _json(body, record.status, headers)

    async def _handle_file(self, path: str) -> web.Response:
        token, _, file_path = path[len("/file/bot") :].partition("/")
        if token != self.token:
            return _json(ApiError(401, "Unauthorized").to_json(), 401)
        data = self._uploads.get(file_path)
        if data is None:
            return _json(ApiError(404, "Not Found").to_json(), 404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ chat lookups for handlers

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



def _json(body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        headers=dict(headers or {}),
    )


async def _unsimulated(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    """Known but unsimulated methods: ``true`` if they return Boolean, else a loud error.

    Answering ``true`` where python-telegram-bot expects an object would only crash the
    bot somewhere obscure, so such calls are rejected with an explicit description.
    """
    method = api.spec.methods[record.method]
    if method.returns == ("Boolean",):
        return True
    raise ApiError.bad_request(
        f"the fake Bot API does not simulate {method.name} (returns "
        f"{' or '.join(method.returns)}); add it to a HANDLERS table in tests/fakebotapi/"
    )


# lower-case method name -> handler; every other known method goes to _unsimulated.
_HANDLERS: dict[str, Handler] = {**messages.HANDLERS, **chats.HANDLERS, **delivery.HANDLERS, **inline.HANDLERS}
