"""Error reports to Sentry (``SENTRY_DSN``), with nothing in them that says who wrote what.

Without a DSN nothing happens: ``sentry_sdk`` is not even imported (the import alone costs
about a third of a second of cold start). With one, :func:`init_error_reporting` starts the
client from inside the running event loop (``bot.serving.serve``), so that the asyncio
integration reports what crashes a task, and the front end's error handler reports each failed
update through :func:`report_update_error` with two facts about it: its kind (``message``,
``callback`` or ``other``) and the chat's dialog state (e.g. ``asking_time``), never its content.

What leaves the process passes a :class:`Scrubber` twice: the client's ``before_send`` and
``before_breadcrumb`` hold the bot token and the webhook secret; a failed update adds one with
that update's own strings (texts, captions, button data, names, usernames, chat and user ids).
Every string anywhere in the event loses those values, anything shaped like a bot token and any
run of six or more digits (chat and user ids of other updates); ``user`` and request bodies,
headers and query strings are dropped, and log breadcrumbs keep their message only when it comes
from our own loggers, which by rule log what happened and never what was written. Log lines
never become events of their own (``event_level=None``): errors are reported once, here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, Protocol

from telegram import Update

from bot.settings import Settings
from dialogs.session import Session

logger = logging.getLogger(__name__)
REDACTED = "[REDACTED]"
#: Few breadcrumbs: the last lines before a failure are the useful ones, and each may carry data.
MAX_BREADCRUMBS = 20
#: How long a report may wait for the chat's dialog state (the store may be what failed).
STATE_TIMEOUT_SECONDS = 1.0
#: Loggers whose messages are ours: they name events and states, never people's words.
OWN_LOGGERS = ("bot", "dialogs", "bench")
#: Telegram's bot token (``123456:ABC-...``), wherever it appears (Bot API URLs, error texts).
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
#: Chat and user ids (negative for groups), and any other long number that might be one.
ID_PATTERN = re.compile(r"(?<![\w.])-?\d{6,}(?![\w.])")
#: Fields of an update that say who someone is or what they wrote (from ``Update.to_dict()``).
PRIVATE_FIELDS = frozenset({
    "text", "caption", "data", "query", "first_name", "last_name", "username", "title", "bio",
    "phone_number", "inline_message_id", "game_short_name", "invite_link", "description",
})
#: Keys of an event that hold no personal data (ids and trace ids of the event itself, the SDK).
SAFE_KEYS = frozenset({"event_id", "trace_id", "span_id", "parent_span_id", "timestamp", "start_timestamp",
                       "sdk", "modules", "platform", "level"})
#: Parts of an event's ``request`` that may stay: bodies, headers, cookies and queries go.
REQUEST_KEYS = ("method", "url")

Event = dict[str, Any]


class SessionSource(Protocol):
    """Where the dialog state comes from (:class:`dialogs.service.DialogService`)."""

    async def session(self, chat_id: int) -> Session | None:
        """The chat's stored session."""


class Scrubber:
    """Removes the given values (and anything shaped like a token or an id) from every string
    of an event or breadcrumb, and drops the parts of an event that only carry personal data."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        # Longest first: a full name goes before the first name inside it. A single character
        # would blank out every word of one letter and hide nothing.
        literal = sorted({value for value in values if len(value.strip()) >= 2}, key=len, reverse=True)
        parts = [_bounded(value) for value in literal] + [TOKEN_PATTERN.pattern, ID_PATTERN.pattern]
        self._pattern = re.compile("|".join(parts))
        #: Numbers that are ids of this update (a chat id passed as a number, not in a string).
        self._numbers = frozenset(int(value) for value in literal if re.fullmatch(r"-?\d+", value))

    def text(self, value: str) -> str:
        """``value`` with every secret, token and id replaced by [REDACTED]."""
        return self._pattern.sub(REDACTED, value)

    def scrub(self, value: Any) -> Any:
        """Every string inside ``value`` (dicts, lists, tuples) scrubbed, and the ids among its
        numbers replaced; other values as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in self._numbers:
            return REDACTED
        if isinstance(value, dict):
            return {key: item if key in SAFE_KEYS else self.scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(item) for item in value]
        return value

    def before_send(self, event: Event, hint: dict[str, Any]) -> Event:
        """The ``before_send`` hook (and a scope's event processor): the event, scrubbed."""
        event.pop("user", None)
        request = event.get("request")
        if isinstance(request, dict):
            event["request"] = {key: request[key] for key in REQUEST_KEYS if key in request}
        crumbs = event.get("breadcrumbs")
        if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
            crumbs["values"] = [_without_foreign_log_message(crumb) for crumb in crumbs["values"]]
        scrubbed: Event = self.scrub(event)
        return scrubbed

    def before_breadcrumb(self, crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        """The ``before_breadcrumb`` hook: the breadcrumb, scrubbed (log lines of libraries
        keep only their logger and level)."""
        scrubbed: dict[str, Any] = self.scrub(_without_foreign_log_message(crumb))
        return scrubbed


def _bounded(value: str) -> str:
    """A pattern for ``value`` that does not match inside a longer word or number."""
    pattern = re.escape(value)
    if re.match(r"\w", value):
        pattern = r"(?<!\w)" + pattern
    if re.search(r"\w$", value):
        pattern += r"(?!\w)"
    return pattern


def _without_foreign_log_message(crumb: dict[str, Any]) -> dict[str, Any]:
    """A log breadcrumb without its data and, unless one of ours wrote it, its message."""
    if crumb.get("type") != "log":
        return crumb
    crumb = {key: value for key, value in crumb.items() if key != "data"}
    category = str(crumb.get("category") or "")
    if category.split(".")[0] not in OWN_LOGGERS:
        crumb.pop("message", None)
    return crumb


def init_error_reporting(settings: Settings, transport: Any = None) -> bool:
    """Start reporting to Sentry if ``SENTRY_DSN`` is set (call it inside the running loop);
    True if it started. ``transport`` replaces the HTTP transport (tests)."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.asyncio import AsyncioIntegration, enable_asyncio_integration
    from sentry_sdk.integrations.logging import LoggingIntegration

    scrubber = Scrubber([settings.token, settings.webhook_secret])
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        integrations=[
            AsyncioIntegration(),
            # Log lines become breadcrumbs only (scrubbed); never events, never Sentry logs.
            LoggingIntegration(level=logging.INFO, event_level=None, sentry_logs_level=None),
        ],
        # Integrations for libraries found installed (aiohttp, tornado, httpx...) would record
        # Bot API URLs and webhook bodies: only the ones named above, plus the SDK's defaults.
        auto_enabling_integrations=False,
        # No personal data: send_default_pii stays at its default (off; naming it is deprecated).
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=MAX_BREADCRUMBS,
        before_send=scrubber.before_send,  # type: ignore[arg-type]  # sentry's Event is a TypedDict of our dict
        before_breadcrumb=scrubber.before_breadcrumb,
        transport=transport,
    )
    # The integration patches the loop running at its first set-up only; a later serve() in the
    # same process (tests, the benchmark) runs on a new loop, patched here (once per loop).
    enable_asyncio_integration()
    logger.info("error reports go to Sentry")
    return True


def reporting() -> bool:
    """True once :func:`init_error_reporting` has started a client."""
    if "sentry_sdk" not in sys.modules:
        return False  # never imported: there is no DSN, and importing it now would only cost
    import sentry_sdk

    return sentry_sdk.is_initialized()


def update_kind(update: object) -> str:
    """``message``, ``callback`` or ``other``: what kind of update failed, never what it said."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return "callback"
        if update.effective_message is not None:
            return "message"
    return "other"


def private_values(update: object) -> list[str]:
    """Every string of ``update`` that says who someone is or what they wrote, and every id."""
    found: list[str] = []

    def collect(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                collect(item, name)
        elif isinstance(value, list):
            for item in value:
                collect(item, key)
        elif key in PRIVATE_FIELDS and isinstance(value, str):
            found.extend([value, *value.splitlines()])
        elif key in ("id", "chat_id", "user_id") and isinstance(value, int | str):
            found.append(str(value))

    if isinstance(update, Update):
        collect(update.to_dict())
    return found


async def dialog_state(update: object, sessions: SessionSource) -> str:
    """The chat's dialog state (``new`` before the first answer); ``unknown`` if the store does
    not say within a second, ``none`` for an update without a chat."""
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None:
        return "none"
    try:
        session = await asyncio.wait_for(sessions.session(chat.id), STATE_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - the store may be what failed; the report goes on without it
        return "unknown"
    return session.state if session is not None else "new"


async def report_update_error(error: BaseException | None, update: object, sessions: SessionSource) -> None:
    """Report a failed update, with its kind and the dialog state (nothing without a DSN)."""
    if error is None or not reporting():
        return
    import sentry_sdk

    kind, state = update_kind(update), await dialog_state(update, sessions)
    scrubber = Scrubber(private_values(update))
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("update_kind", kind)
        scope.set_tag("dialog_state", state)
        scope.set_context("update", {"kind": kind, "state": state})
        scope.add_event_processor(scrubber.before_send)  # type: ignore[arg-type]  # as in init_error_reporting
        sentry_sdk.capture_exception(error)
