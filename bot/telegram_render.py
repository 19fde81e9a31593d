"""Rendering platform-free replies for Telegram: escaped HTML, split at 4096 characters,
inline keyboards with encoded callback data, and today's touches where allowed (coloured
buttons, a date in the reader's own locale, a copy button), each of which can be left out."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import KeyboardButtonStyle

from bot.callback_codec import encode
from dialogs.events import Event, EventKind
from dialogs.replies import Button, Reply, Role, Span, Style, Tone

MAX_MESSAGE_LENGTH = 4096  # characters of parsed text, counted in UTF-16 code units
_TAGS = {Style.PLAIN: ("", ""), Style.BOLD: ("<b>", "</b>"), Style.ITALIC: ("<i>", "</i>"),
         Style.QUOTE: ("<blockquote>", "</blockquote>"),
         Style.EXPANDABLE_QUOTE: ("<blockquote expandable>", "</blockquote>")}
#: Buttons that open a link instead of sending callback data (Share): event -> URL or None.
LinkFor = Callable[[Event], "str | None"]
_STYLES = {Tone.MAIN: KeyboardButtonStyle.PRIMARY, Tone.GOOD: KeyboardButtonStyle.SUCCESS,
           Tone.DANGER: KeyboardButtonStyle.DANGER}
#: How a date shows (Telegram's date_time_format): the long date, in the reader's own locale.
DATE_FORMAT = "D"


@dataclass(frozen=True)
class Touches:
    """Which of Telegram's newer touches to send. Each can be refused by the Bot API (a server or
    chat without it): the message then goes without it, as it did before them."""

    styles: bool = True  # coloured buttons (Bot API 9.4 ``style``)
    dates: bool = True  # dates shown in the reader's locale (9.5 ``date_time`` entity)
    copy: bool = True  # the plan's copy-to-clipboard button (7.11 ``copy_text``)

    @property
    def any(self) -> bool:
        return self.styles or self.dates or self.copy

    def without_refused(self, error: str) -> Touches | None:
        """These touches without the one Telegram's ``error`` refuses, or None when it names
        none of them (an error of another kind)."""
        text = error.casefold()
        if "style" in text:
            return replace(self, styles=False)
        if "copy" in text:
            return replace(self, copy=False)
        if "date" in text or "time" in text or "entit" in text:
            return replace(self, dates=False)
        return None

    def __and__(self, other: Touches) -> Touches:
        return Touches(self.styles and other.styles, self.dates and other.dates, self.copy and other.copy)


#: Every touch (what a bot sends until Telegram refuses one).
ALL_TOUCHES = Touches()


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage worth of content."""

    html: str
    markup: InlineKeyboardMarkup | None

    @property
    def wire(self) -> tuple[str, object]:
        """What Telegram receives (for telling two renderings apart: every button field counts)."""
        return self.html, None if self.markup is None else self.markup.to_dict()


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def span_html(span: Span, touches: Touches = Touches()) -> str:
    """One span as escaped HTML (a date as a date_time entity, when allowed, over its plain form)."""
    text = html.escape(span.text, quote=False)
    if span.style is Style.DATE:
        return f'<tg-time unix="{int(span.at)}" format="{DATE_FORMAT}">{text}</tg-time>' \
            if touches.dates and span.at is not None else text
    opening, closing = _TAGS[span.style]
    return f"{opening}{text}{closing}"


def _button(button: Button, link_for: LinkFor | None, touches: Touches) -> InlineKeyboardButton | None:
    style = _STYLES.get(button.tone) if touches.styles else None
    if button.copies:
        return InlineKeyboardButton(button.label, copy_text=CopyTextButton(button.copies), style=style) \
            if touches.copy else None
    if button.event.kind is EventKind.SHARE:
        url = link_for(button.event) if link_for is not None else None
        return InlineKeyboardButton(button.label, url=url, style=style) if url else None
    return InlineKeyboardButton(button.label, callback_data=encode(button.event), style=style)


def keyboard(reply: Reply, link_for: LinkFor | None = None, touches: Touches = Touches()) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard, or None; link buttons without a link and copy
    buttons where they are not allowed are left out."""
    rows = [[b for button in row if (b := _button(button, link_for, touches)) is not None] for row in reply.buttons]
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


def render(reply: Reply, limit: int = MAX_MESSAGE_LENGTH, link_for: LinkFor | None = None,
           touches: Touches = Touches()) -> list[TelegramMessage]:
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
    texts = ["".join(span_html(span, touches) for span in chunk).strip() or "…" for chunk in chunks]
    markup = keyboard(reply, link_for, touches)
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
