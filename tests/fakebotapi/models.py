"""Records kept by the fake Bot API: requests, bot messages, answers, chat actions, webhooks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .entities import Entity
from .spec import UploadedFile

__all__ = [
    "BotMessage",
    "CallbackAnswer",
    "ChatActionRecord",
    "InjectedFault",
    "InlineAnswer",
    "MessageVersion",
    "RecordedRequest",
    "WebhookAttempt",
]


@dataclass(slots=True)
class RecordedRequest:
    """One HTTP request to the Bot API, as seen by the server.

    ``params`` holds the decoded, typed parameters (``raw_params`` what was sent). ``fault``
    names the injected fault applied to it (``injected_error`` when the fault produced the
    error answer); ``abandoned`` is true when the client went away before an answer (e.g. a
    cancelled long poll). ``ok``/``status`` stay ``None`` when no answer was sent.
    """

    seq: int
    method: str
    http_method: str
    content_type: str
    raw_params: dict[str, Any]
    files: dict[str, UploadedFile]
    started_at: float
    params: dict[str, Any] = field(default_factory=dict)
    unknown_params: dict[str, Any] = field(default_factory=dict)
    finished_at: float | None = None
    status: int | None = None
    ok: bool | None = None
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    fault: str | None = None
    injected_error: bool = False
    abandoned: bool = False

    @property
    def rejected(self) -> bool:
        """True when the server genuinely refused the request.

        Errors produced by :meth:`FakeBotApi.inject_fault` and requests whose client went
        away before the answer do not count.
        """
        return self.ok is False and not self.injected_error and not self.abandoned

    @property
    def duration(self) -> float | None:
        """Seconds between arrival and answer."""
        return None if self.finished_at is None else self.finished_at - self.started_at

    def __repr__(self) -> str:
        outcome = "no answer" if self.ok is None else "ok" if self.ok else f"{self.error_code} {self.description!r}"
        extra = f" fault={self.fault}" if self.fault else ""
        extra += " abandoned" if self.abandoned else ""
        return f"<#{self.seq} {self.method} {self.params or self.raw_params} -> {outcome}{extra}>"


Buttons = list[list[tuple[str, str | None]]]


@dataclass(frozen=True, slots=True)
class MessageVersion:
    """The state of a bot message after it was sent or edited."""

    text: str | None
    parse_mode: str | None
    plain: str | None
    entities: tuple[Entity, ...]
    reply_markup: dict[str, Any] | None
    date: int
    at: float
    method: str

    @property
    def buttons(self) -> Buttons:
        """Inline keyboard as rows of ``(label, callback_data)`` (``None`` for non-callback)."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [
            [(button["text"], button.get("callback_data")) for button in row]
            for row in self.reply_markup["inline_keyboard"]
        ]


@dataclass(slots=True)
class BotMessage:
    """A message the bot sent, with its current state and edit history.

    ``text``/``plain`` are the raw text as sent and the parsed text (for media messages: the
    caption). ``edits`` lists the versions produced by edits, oldest first.
    """

    chat_id: int
    message_id: int
    kind: str
    date: int
    versions: list[MessageVersion]
    media: dict[str, Any] = field(default_factory=dict)
    reply_to: dict[str, Any] | None = None
    deleted: bool = False
    deleted_at: float | None = None

    @property
    def current(self) -> MessageVersion:
        """The latest version."""
        return self.versions[-1]

    @property
    def text(self) -> str | None:
        """Raw text (or caption) exactly as the bot sent it in the latest version."""
        return self.current.text

    @property
    def plain(self) -> str | None:
        """Parsed text as users see it (tags stripped, entities decoded)."""
        return self.current.plain

    @property
    def parse_mode(self) -> str | None:
        """parse_mode of the latest version."""
        return self.current.parse_mode

    @property
    def entities(self) -> tuple[Entity, ...]:
        """Entities of the latest version."""
        return self.current.entities

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """Normalised reply_markup of the latest version."""
        return self.current.reply_markup

    @property
    def buttons(self) -> Buttons:
        """Current inline keyboard as rows of ``(label, callback_data)``."""
        return self.current.buttons

    @property
    def button_labels(self) -> list[str]:
        """All current inline button labels, row by row."""
        return [label for row in self.buttons for label, _ in row]

    @property
    def callback_data(self) -> list[str]:
        """All current callback_data values, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]

    @property
    def edits(self) -> list[MessageVersion]:
        """Versions created by edits (empty if never edited)."""
        return self.versions[1:]

    @property
    def edit_date(self) -> int | None:
        """Unix time of the last edit."""
        return self.current.date if len(self.versions) > 1 else None

    def find_button(self, label: str) -> tuple[str, str | None]:
        """The button whose label equals ``label`` or, failing that, uniquely contains it."""
        flat = [button for row in self.buttons for button in row]
        exact = [button for button in flat if button[0] == label]
        if exact:
            return exact[0]
        partial = [button for button in flat if label in button[0]]
        if len(partial) == 1:
            return partial[0]
        labels = [button[0] for button in flat]
        if not partial:
            raise LookupError(f"no button matching {label!r} on message {self.message_id}: {labels}")
        raise LookupError(f"{label!r} is ambiguous on message {self.message_id}: {labels}")

    def to_json(self, bot: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        """Bot API ``Message`` JSON for the current state."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": dict(bot),
            "chat": dict(chat),
            "date": self.date,
        }
        if self.reply_to is not None:
            data["reply_to_message"] = self.reply_to
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        version = self.current
        if self.kind == "text":
            data["text"] = version.plain
            if version.entities:
                data["entities"] = [entity.to_json() for entity in version.entities]
        else:
            data.update(self.media)
            if version.plain:
                data["caption"] = version.plain
                if version.entities:
                    data["caption_entities"] = [entity.to_json() for entity in version.entities]
        if version.reply_markup and "inline_keyboard" in version.reply_markup:
            data["reply_markup"] = version.reply_markup
        return data

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        edits = f" edits={len(self.edits)}" if self.edits else ""
        return (
            f"<BotMessage {self.chat_id}/{self.message_id} {self.kind} {self.plain!r}"
            f" buttons={self.button_labels}{edits}{state}>"
        )


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An ``answerCallbackQuery`` call that Telegram accepted.

    ``latency_ms`` is measured from when the update carrying the query was delivered to the
    bot (returned by getUpdates / first POSTed to the webhook), ``since_press_ms`` from when
    the simulated user pressed the button.
    """

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered_at: float
    latency_ms: float | None
    since_press_ms: float


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """An ``answerInlineQuery`` call that Telegram accepted (results as checked, markup normalised)."""

    query_id: str
    user_id: int
    results: list[dict[str, Any]]
    cache_time: int
    is_personal: bool
    button: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ChatActionRecord:
    """A ``sendChatAction`` the server accepted."""

    chat_id: int
    action: str
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One POST of an update to the bot's webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    secret_header: str | None
    at: float
    manual: bool = False

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status <= 299


@dataclass(slots=True)
class InjectedFault:
    """A fault armed with :meth:`FakeBotApi.inject_fault`."""

    method: str
    kind: str
    remaining: int
    retry_after: int = 1
    seconds: float = 1.0
    description: str | None = None
    process_first: bool = False
    hits: list[float] = field(default_factory=list)
