"""The Telegram adapter: short handlers that turn updates into events, call the dialog service,
and hand its outcome to the delivery (:mod:`bot.telegram_delivery`; pictures and share links:
:mod:`bot.telegram_attachments`). No dialog state lives here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import replace

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callback_codec import decode
from bot.chat_lanes import ChatLanes
from bot.error_reporting import report_update_error
from bot.metrics import BUTTON, COMMAND, OTHER, TEXT, Metrics, understanding_outcomes
from bot.telegram_attachments import Attachments
from bot.telegram_delivery import Delivery
from bot.telegram_inline import START_PARAMETER, InlineMode
from bot.update_checks import update_problem
from dialogs.commands import COMMANDS, parse_input
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Outcome, Reply, Span
from dialogs.service import DialogService

logger = logging.getLogger(__name__)
MAX_SETTLED = 50_000
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's answer to an edit that changes nothing (such as one retried after it went through).
NOT_MODIFIED = "message is not modified"
EMPTY_KEYBOARD = InlineKeyboardMarkup([])

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
#: Checked before any other handler (python-telegram-bot runs lower groups first).
CHECK_GROUP = -1
def _log_event(event: Event, outcome: Outcome, started: float) -> None:
    """One INFO line per handled event: what happened, never what was written."""
    logger.info(
        "event=%s button=%s state=%s changed=%s ms=%.1f", event.name, event.via_button,
        outcome.session.state, outcome.changed, (time.perf_counter() - started) * 1000,
    )


class TelegramFrontEnd:
    """Handlers for one Application over the opened dialog service."""

    def __init__(self, content: Content, service: DialogService, share_key: bytes = b"",
                 lanes: ChatLanes | None = None, metrics: Metrics | None = None) -> None:
        self._content = content
        self.service = service
        #: What the handlers count (updates, replies, sessions, understanding), also passed to
        #: the transports (bot.telegram_app); its own registry unless the root passes one.
        self.metrics = metrics or Metrics()
        #: Chats whose person blocked the bot, until they unblock it, shared with the transport
        #: (which sends nothing into a blocked chat and learns of blocks from its 403s).
        self.lanes = lanes or ChatLanes()
        self.attachments = Attachments(content, service, self.lanes, share_key)
        self.delivery = Delivery(service, self.lanes, self.attachments)
        self.inline = InlineMode(service, self.attachments, self.delivery, self.metrics)

    def install(self, application: Application) -> None:
        """Register every handler on ``application``."""
        self.attachments.application = application
        application.add_handler(TypeHandler(Update, self.check_update), group=CHECK_GROUP)
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & ~filters.TEXT, self.on_unsupported))
        application.add_handler(MessageHandler(~PRIVATE & NEW_MESSAGE & filters.COMMAND, self.on_group_command))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_handler(InlineQueryHandler(self.inline.on_inline_query))
        application.add_error_handler(self.on_error)

    def bot_commands(self, content: Content | None = None) -> list[BotCommand]:
        """The command menu: the registry's menu commands, in order, described in one language."""
        content = content or self._content
        return [
            BotCommand(command.name, content.commands[command.name].description)
            for command in COMMANDS if command.in_menu
        ]

    async def publish_profile(self, bot: Bot) -> None:
        """Telegram's command menu, description and short description, in every language
        (the default ones in English, for languages the bot does not speak)."""
        calls: list[Awaitable[bool]] = []
        for code, engine in self.service.engines.items():
            language = None if code == self._content.language else code
            content = engine.content
            scopes = [BotCommandScopeAllPrivateChats()] + ([BotCommandScopeDefault()] if language is None else [])
            calls.extend(bot.set_my_commands(self.bot_commands(content), scope=scope, language_code=language)
                         for scope in scopes)
            calls.append(bot.set_my_description(content.bot_description, language_code=language))
            calls.append(bot.set_my_short_description(content.bot_short_description, language_code=language))
        await asyncio.gather(*calls)  # independent calls: at once, not one round trip after another

    def _engine(self, update: object, chat_id: int | None = None) -> DialogEngine:
        """The engine that speaks to this person: their app's language, as a first guess."""
        user = update.effective_user if isinstance(update, Update) else None
        return self.service.engine_for(self.service.language_for(user.language_code or "" if user else ""))

    @staticmethod
    def _language(update: Update) -> str:
        user = update.effective_user
        return (user.language_code or "") if user is not None else ""

    # -- handlers ------------------------------------------------------------------------
    async def check_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Drop an update whose fields are malformed before any other handler sees it."""
        problem = update_problem(update)
        if problem is not None:
            logger.warning("dropped an update: %s", problem)
            raise ApplicationHandlerStop

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed text or a command in a private chat."""
        message = update.effective_message
        assert message is not None and message.text is not None
        event = parse_input(message.text, context.bot.username)
        with self.metrics.handling(TEXT if event.kind is EventKind.TEXT else COMMAND):
            payload = message.text.strip().partition(" ")[2].strip()
            # A deep link: someone's shared result (inline mode's own button is a plain start).
            if event.kind is EventKind.START and payload and payload != START_PARAMETER:
                answers = self.attachments.shared_answers(payload)
                event = Event(EventKind.SHARED, answers=answers or ())
            event = replace(event, language=self._language(update))
            await self._handle(context, message.chat_id, event, pressed_message_id=None, update_id=update.update_id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button press: answered promptly, checked against the session."""
        query = update.callback_query
        assert query is not None
        with self.metrics.handling(BUTTON):  # the time from the tap to the next question sent
            message = query.message
            event = decode(query.data)
            if event is None or message is None or message.chat.type != "private":
                await self._answer(query, self._engine(update).content.texts["invalid_button"])
                return
            event = replace(event, language=self._language(update))
            await self._handle(context, message.chat.id, event, pressed_message_id=message.message_id, query=query,
                               update_id=update.update_id)

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos and the like."""
        chat = update.effective_chat
        assert chat is not None
        with self.metrics.handling(OTHER):
            await self.attachments.delivered(chat.id)
            if not self.lanes.is_blocked(chat.id):
                await self.send_reply(context.bot, chat.id, self._reply("unsupported_message", update))

    async def on_group_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Commands in groups and channels: the quiz is private."""
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None and message is not None
        with self.metrics.handling(OTHER):
            _, _, mention = (message.text or "").split(" ", 1)[0].partition("@")
            if mention and mention.casefold() != (context.bot.username or "").casefold():
                return  # a command for another bot in the same group
            await self.send_reply(context.bot, chat.id, self._reply("private_only", update))

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The person blocked or unblocked the bot: stop or resume writing to them."""
        change = update.my_chat_member
        assert change is not None
        with self.metrics.handling(OTHER):
            if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
                self.lanes.block(change.chat.id)
                logger.info("the person blocked the bot")
            else:
                self.lanes.unblock(change.chat.id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure, apologise to the person, if there is one, and report it (kind and
        dialog state only)."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(context.error, InvalidToken):
            logger.warning("an update was dropped: Telegram no longer accepts the bot token")  # serve() stops
            return
        if isinstance(context.error, Forbidden):
            if chat is not None:
                self.lanes.block(chat.id)
            logger.info("the person blocked the bot; not writing to them any more")
            return
        logger.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
        if chat is not None and chat.type == "private" and not self.lanes.is_blocked(chat.id):
            try:
                await self.send_reply(context.bot, chat.id, self._reply("internal_error", update))
            except Exception:  # noqa: BLE001 - the apology is best effort
                logger.warning("could not send the error apology")
        await report_update_error(context.error, update, self.service)  # to Sentry, if SENTRY_DSN is set

    def _reply(self, key: str, update: object) -> Reply:
        return self._engine(update).views.text(key)

    async def _handle(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, event: Event, pressed_message_id: int | None,
        query: CallbackQuery | None = None, update_id: int | None = None,
    ) -> None:
        """Apply the event (committed), then answer the button press, if any, while replying: a
        late or refused answer never holds up or stops the reply. The update_id makes a
        redelivered update (a webhook worker died before acknowledging) a no-op."""
        started = time.perf_counter()
        answering: asyncio.Future[None] | None = None
        acknowledged = ""

        def acknowledge(decided: Outcome) -> None:
            """Answer the press as soon as the engine has decided: its spinner stops while the
            answer is committed (the acknowledgement promises nothing about it)."""
            nonlocal answering, acknowledged
            if query is not None and answering is None:
                acknowledged = decided.notice
                answering = asyncio.ensure_future(self._answer(query, decided.notice))

        try:
            outcome = await self.service.handle(chat_id, event, event_id=update_id, decided=acknowledge)
            acknowledge(outcome)  # when the service returned before deciding (a replayed update)
            if outcome.notice and outcome.notice != acknowledged:
                # Another process changed the session meanwhile and the verdict with it: the
                # press was already answered, so the notice goes into the chat instead.
                outcome = replace(outcome, replies=(Reply((Span(outcome.notice),)), *outcome.replies))
            self._count(event, outcome)
            await self.delivery.deliver(context.bot, chat_id, outcome, pressed_message_id)
            self.metrics.replies.inc(len(outcome.replies))
            if query is not None and event.kind is EventKind.ANSWER and outcome.changed:
                self.metrics.tap_to_next_question.observe(time.perf_counter() - started)
        finally:
            if answering is not None:
                await answering
        _log_event(event, outcome, started)

    def _count(self, event: Event, outcome: Outcome) -> None:
        """Sessions started and finished, and what became of a typed message, from what the
        service committed (its usage events; a replayed update carries none)."""
        self.metrics.usage(outcome.usage)
        if event.kind is not EventKind.TEXT:
            return
        engine = self.service.engine_for(outcome.session.language)
        question = engine.current_question(outcome.session)
        asked_back = question.id if question is not None and engine.views.hint(question) in outcome.replies else None
        for understood, about in understanding_outcomes(outcome.usage, asked_back):
            self.metrics.understood(understood, about)

    @staticmethod
    async def _answer(query: CallbackQuery, notice: str | None = None) -> None:
        """Answer a button press (stops the spinner); a failure is only logged."""
        try:
            await query.answer(notice or None)
        except TelegramError as error:  # "query is too old", a timeout, a dropped connection
            logger.info("could not answer a button press: %s", error.message)

    async def send_reply(self, bot: Bot, chat_id: int, reply: Reply, language: str = "") -> int | None:
        """Send a reply outside an update (a check-in); the id of its last message."""
        message_id = await self.delivery.send_reply(bot, chat_id, reply, language)
        self.metrics.replies.inc()
        return message_id
