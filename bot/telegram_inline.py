"""Inline mode: a person types @bot in any chat and posts their own latest result, as its card
(when this process has sent that card: Telegram needs a file it already has) and as text, each
with a button that opens the quiz; someone without a result is shown nothing but the button to
take it. Telegram caches each answer for the person who asked, for a minute. Nothing the person
typed after @bot is read or kept."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import KeyboardButtonStyle, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.metrics import INLINE, Metrics
from bot.telegram_attachments import Attachments
from bot.telegram_delivery import Delivery
from bot.telegram_render import ALL_TOUCHES, Touches, render, span_html
from dialogs.content import Content
from dialogs.scoring import score
from dialogs.service import DialogService
from dialogs.session import Answer

logger = logging.getLogger(__name__)
#: How long Telegram may show the same answer to the same person (is_personal).
CACHE_SECONDS = 60
#: The /start payload of the "take the quiz" button above the results.
START_PARAMETER = "inline"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's answer to an inline query answered too late (or twice).
QUERY_TOO_OLD = "query is too old"


class InlineMode:
    """Answers inline queries from the person's stored session (read only)."""

    def __init__(self, service: DialogService, attachments: Attachments, delivery: Delivery, metrics: Metrics) -> None:
        self._service = service
        self._attachments = attachments
        self._delivery = delivery
        self._metrics = metrics

    async def on_inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        assert query is not None
        with self._metrics.handling(INLINE):
            latest = await self._service.latest_result(query.from_user.id)
            language = latest[0] if latest else self._service.language_for(query.from_user.language_code or "")
            content = self._service.engine_for(language).content
            button = InlineQueryResultsButton(content.texts["inline_start"], start_parameter=START_PARAMETER)
            touches, with_card = self._delivery.touches, True
            while True:
                results = self.results(context.bot, content, latest[1], touches, with_card) if latest else []
                try:
                    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, button=button)
                    return
                except BadRequest as error:
                    if QUERY_TOO_OLD in error.message.casefold():  # the person has moved on: nothing to show
                        logger.info("an inline query expired before its answer")
                        return
                    # What Telegram refuses goes: a coloured button, else the card (a file it no
                    # longer has); the text alone is today's plain form.
                    narrowed = touches.without_refused(error.message)
                    if narrowed is not None and narrowed != touches:
                        touches = narrowed
                        self._delivery.touches &= narrowed
                    elif with_card and any(isinstance(r, InlineQueryResultCachedPhoto) for r in results):
                        with_card = False
                    else:
                        raise
                    logger.info("an inline answer went without a refused part: %s", error.message)

    def results(self, bot: Bot, content: Content, answers: tuple[Answer, ...], touches: Touches = ALL_TOUCHES,
                with_card: bool = True) -> list[InlineQueryResult]:
        """The person's result as a card (if its file is known) and as a message, each with a
        button to take the quiz (a deep link that shows this result first)."""
        texts = content.texts
        result = score(content, answers)
        reply = self._service.engine_for(content.language).views.posted_result(result)
        link = self._attachments.deep_link(bot, answers, content.language) or f"https://t.me/{bot.username}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts["inline_take_quiz"], url=link,
                                                             style=KeyboardButtonStyle.PRIMARY
                                                             if touches.styles else None)]])
        path = content.paths[result.recommended].name
        headline = reply.spans[0]
        (message,) = render(reply)
        found: list[InlineQueryResult] = []
        file_id = self._attachments.card_file(reply.card) if reply.card is not None and with_card else None
        if file_id is not None:
            found.append(InlineQueryResultCachedPhoto("card", file_id, caption=span_html(headline).strip(),
                                                      parse_mode=ParseMode.HTML, reply_markup=markup))
        found.append(InlineQueryResultArticle(
            "text", texts.render("inline_title", path=path),
            InputTextMessageContent(message.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW),
            reply_markup=markup, description=reply.spans[1].text.strip(),
        ))
        return found
