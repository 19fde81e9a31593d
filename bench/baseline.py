"""The same seven-question quiz written the way python-telegram-bot's documentation suggests:
a ``ConversationHandler`` with one state per question, answers kept in ``user_data``.

This is baselines A (no persistence) and B (``PicklePersistence``). It reads the same content
as Crossroads and sends the same Bot API calls per step (answer the callback, close the
question by editing it, send the next question with its keyboard; the result at the end), so
the difference measured is the machinery, not the quiz. (Crossroads also sends a picture of the
result after it, off the update's path; the baselines have none.)
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler
from telegram.warnings import PTBUserWarning

from dialogs.content import Content
from dialogs.scoring import score

CONVERSATION_NAME = "quiz"
ANSWER_PREFIX = "a:"
BACK_DATA = "b"
ANSWERS = "answers"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class BaselineQuiz:
    """Handlers and texts for the ConversationHandler quiz over one loaded content."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._texts = content.texts
        self._total = len(content.questions)

    # -- texts ---------------------------------------------------------------------------
    def _question_html(self, index: int) -> str:
        question = self._content.questions[index]
        filled = round(7 * index / self._total)
        bar = self._texts["progress_filled"] * filled + self._texts["progress_empty"] * (7 - filled)
        header = self._texts.render("question_header", number=index + 1, total=self._total, bar=bar)
        return f"{html.escape(header)}\n\n<b>{html.escape(question.text)}</b>"

    def _keyboard(self, index: int) -> InlineKeyboardMarkup:
        question = self._content.questions[index]
        rows = [[InlineKeyboardButton(option.label, callback_data=f"{ANSWER_PREFIX}{question.id}:{option.id}")]
                for option in question.options]
        if index > 0:
            rows.append([InlineKeyboardButton(self._texts["button_back"], callback_data=BACK_DATA)])
        return InlineKeyboardMarkup(rows)

    def _result_html(self, answers: list[tuple[str, str]]) -> str:
        result = score(self._content, answers)
        headline = self._texts.render("result_headline", path=self._content.paths[result.recommended].name)
        lines = [f"<b>{html.escape(headline)}</b>", ""]
        for path_id in result.ranking:
            lines.append(html.escape(self._texts.render("result_bar", bar="", score=result.scores[path_id],
                                                        path=self._content.paths[path_id].name)))
        lines += ["", f"<b>{html.escape(self._texts['result_decided_title'])}</b>"]
        lines += [html.escape(self._texts.render("result_decided_line", answer=c.option.label,
                                                 points=c.points(result.recommended)))
                  for c in result.contributions]
        lines += [f"• {html.escape(c.option.reason)}" for c in result.contributions]
        return "\n".join(lines)

    # -- handlers ------------------------------------------------------------------------
    async def _ask(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, index: int) -> None:
        await context.bot.send_message(chat_id, self._question_html(index), parse_mode=ParseMode.HTML,
                                       reply_markup=self._keyboard(index), link_preview_options=NO_PREVIEW)

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/start: greet and ask the first question."""
        chat = update.effective_chat
        assert chat is not None and context.user_data is not None
        context.user_data[ANSWERS] = []
        await context.bot.send_message(chat.id, html.escape(self._texts.render("greeting", total=self._total)),
                                       parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
        await self._ask(context, chat.id, 0)
        return 0

    async def on_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """A button of the current question: record it, close the question, ask the next."""
        query = update.callback_query
        assert query is not None and query.data is not None and context.user_data is not None
        answers: list[tuple[str, str]] = context.user_data.setdefault(ANSWERS, [])
        index = len(answers)
        question_id, _, option_id = query.data[len(ANSWER_PREFIX):].partition(":")
        question = self._content.questions[index]
        option = question.option(option_id)
        await query.answer()
        if option is None or question.id != question_id:
            return index
        answers.append((question.id, option.id))
        answered = html.escape(self._texts.render("answered", label=option.label))
        closed = f"{self._question_html(index)}\n<i>{answered}</i>"
        await query.edit_message_text(closed, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
        chat_id = query.message.chat.id if query.message else query.from_user.id
        if index + 1 < self._total:
            await self._ask(context, chat_id, index + 1)
            return index + 1
        await context.bot.send_message(chat_id, self._result_html(answers), parse_mode=ParseMode.HTML,
                                       link_preview_options=NO_PREVIEW)
        del context.user_data[ANSWERS]
        return ConversationHandler.END

    async def on_back(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Back: forget the last answer and ask that question again."""
        query = update.callback_query
        assert query is not None and context.user_data is not None
        answers: list[tuple[str, str]] = context.user_data.setdefault(ANSWERS, [])
        await query.answer()
        if answers:
            answers.pop()
        chat_id = query.message.chat.id if query.message else query.from_user.id
        await self._ask(context, chat_id, len(answers))
        return len(answers)

    def conversation(self, persistent: bool) -> ConversationHandler[Any]:
        """The ConversationHandler: state i asks question i."""
        states = {
            index: [CallbackQueryHandler(self.on_answer, pattern=re.compile(f"^{ANSWER_PREFIX}{question.id}:")),
                    CallbackQueryHandler(self.on_back, pattern=f"^{BACK_DATA}$")]
            for index, question in enumerate(self._content.questions)
        }
        with warnings.catch_warnings():
            # "per_message=False ... CallbackQueryHandler will not be tracked for every message":
            # tracking per chat and user is what this quiz wants.
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=[CommandHandler("start", self.on_start)],
                states=states,  # type: ignore[arg-type]
                fallbacks=[CommandHandler("start", self.on_start)],
                name=CONVERSATION_NAME,
                persistent=persistent,
            )
