"""Rendering platform-free replies for Telegram: escaped HTML, split at 4096 characters,
inline keyboards with encoded callback data."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callback_codec import encode
from dialogs.events import Event, EventKind
from dialogs.replies import Button, Reply, Role, Span, Style

MAX_MESSAGE_LENGTH = 4096  # characters of parsed text, counted in UTF-16 code units
_TAGS = {Style.PLAIN: ("", ""), Style.BOLD: ("<b>", "</b>"), Style.ITALIC: ("<i>", "</i>"),
         Style.QUOTE: ("<blockquote>", "</blockquote>"),
         Style.EXPANDABLE_QUOTE: ("<blockquote expandable>", "</blockquote>")}
#: Buttons that open a link instead of sending callback data (Share): event -> URL or None.
LinkFor = Callable[[Event], "str | None"]


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage worth of content."""

    html: str
    markup: InlineKeyboardMarkup | None


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def span_html(span: Span) -> str:
    """One span as escaped HTML."""
    opening, closing = _TAGS[span.style]
    return f"{opening}{html.escape(span.text, quote=False)}{closing}"


def _button(button: Button, link_for: LinkFor | None) -> InlineKeyboardButton | None:
    if button.event.kind is EventKind.SHARE:
        url = link_for(button.event) if link_for is not None else None
        return InlineKeyboardButton(button.label, url=url) if url else None
    return InlineKeyboardButton(button.label, callback_data=encode(button.event))


def keyboard(reply: Reply, link_for: LinkFor | None = None) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard, or None; link buttons without a link are left out."""
    rows = [[b for button in row if (b := _button(button, link_for)) is not None] for row in reply.buttons]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _pieces(span: Span, limit: int) -> list[Span]:
    """Split an over-long span at line breaks, then at the limit."""
    if utf16_length(span.text) <= limit:
        return [span]
    pieces: list[Span] = []
    current = ""
    for line in span.text.splitlines(keepends=True):
        while utf16_length(line) > limit:
            head, line = line[: limit // 2], line[limit // 2:]
            if current:
                pieces.append(Span(current, span.style))
                current = ""
            pieces.append(Span(head, span.style))
        if utf16_length(current + line) > limit:
            pieces.append(Span(current, span.style))
            current = ""
        current += line
    if current:
        pieces.append(Span(current, span.style))
    return pieces


def render(reply: Reply, limit: int = MAX_MESSAGE_LENGTH, link_for: LinkFor | None = None) -> list[TelegramMessage]:
    """The reply as one or more messages; the keyboard goes on the last one."""
    chunks: list[list[Span]] = [[]]
    size = 0
    for whole in reply.spans:
        for span in _pieces(whole, limit):
            length = utf16_length(span.text)
            if size + length > limit and chunks[-1]:
                chunks.append([])
                size = 0
            chunks[-1].append(span)
            size += length
    texts = ["".join(span_html(span) for span in chunk).strip() or "…" for chunk in chunks]
    markup = keyboard(reply, link_for)
    return [TelegramMessage(text, markup if index == len(texts) - 1 else None) for index, text in enumerate(texts)]


def packed(replies: tuple[Reply, ...], limit: int = MAX_MESSAGE_LENGTH) -> tuple[Reply, ...]:
    """The replies with each text-only one joined to the reply after it when both fit in one
    message ("Welcome!" and the first question, "Got it" and the next one): every message is a
    call Telegram counts against the bot's limits."""
    joined: list[Reply] = []
    for reply in replies:
        previous = joined[-1] if joined else None
        if (previous is not None and not previous.buttons and previous.card is None and previous.role is Role.INFO
                and utf16_length(previous.plain_text) + utf16_length(reply.plain_text) + 2 <= limit):
            joined[-1] = replace(reply, spans=(*previous.spans, Span("\n\n"), *reply.spans))
        else:
            joined.append(reply)
    return tuple(joined)
