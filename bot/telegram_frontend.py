"""The Telegram adapter: short handlers that turn updates into events, call the dialog service,
and render its outcome. No dialog state lives here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
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
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callback_codec import decode
from bot.chat_lanes import ChatLanes
from bot.deep_link import decode_payload, encode_payload, share_url
from bot.funnel_chart import draw_funnel
from bot.result_card import draw_card
from bot.telegram_render import TelegramMessage, packed, render
from bot.update_checks import update_problem
from dialogs.analytics import Figures
from dialogs.commands import COMMANDS, parse_input
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Outcome, Reply, ResultCard, Role, Span
from dialogs.scoring import score
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
        "event=%s button=%s state=%s changed=%s ms=%.1f", event.kind.value, event.via_button,
        outcome.session.state, outcome.changed, (time.perf_counter() - started) * 1000,
    )


class TelegramFrontEnd:
    """Handlers for one Application over the opened dialog service."""

    def __init__(self, content: Content, service: DialogService, share_key: bytes = b"",
                 lanes: ChatLanes | None = None) -> None:
        self._content = content
        self.service = service
        #: Messages this process closed or stripped of buttons, so that it never repeats an
        #: edit Telegram would refuse as "message is not modified".
        self._settled: OrderedDict[tuple[int, int], str] = OrderedDict()
        #: Signs share links (derived from the token; see bot.deep_link).
        self._share_key = share_key
        #: Chats whose person blocked the bot, until they unblock it, shared with the transport
        #: (which sends nothing into a blocked chat and learns of blocks from its 403s).
        self.lanes = lanes or ChatLanes()
        #: Each chat's result card still on its way: the chat's next reply waits for it, so that
        #: the card comes before it and a block the card found out about is known first.
        self._cards: dict[int, asyncio.Task[None]] = {}
        #: Runs the result card after its text (set by :meth:`install`: the Application's
        #: create_task, whose tasks a graceful stop waits for).
        self._application: Application | None = None

    def install(self, application: Application) -> None:
        """Register every handler on ``application``."""
        self._application = application
        application.add_handler(TypeHandler(Update, self.check_update), group=CHECK_GROUP)
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & ~filters.TEXT, self.on_unsupported))
        application.add_handler(MessageHandler(~PRIVATE & NEW_MESSAGE & filters.COMMAND, self.on_group_command))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
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
        payload = message.text.strip().partition(" ")[2].strip()
        if event.kind is EventKind.START and payload:  # a deep link: someone's shared result
            answers = decode_payload(self._content, payload, self._share_key) if self._share_key else None
            event = Event(EventKind.SHARED, answers=answers or ())
        event = replace(event, language=self._language(update))
        await self._handle(context, message.chat_id, event, pressed_message_id=None, update_id=update.update_id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button press: answered promptly, checked against the session."""
        query = update.callback_query
        assert query is not None
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
        await self._card_delivered(chat.id)
        if not self.lanes.is_blocked(chat.id):
            await self._send(context, chat.id, self._reply("unsupported_message", update))

    async def on_group_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Commands in groups and channels: the quiz is private."""
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None and message is not None
        _, _, mention = (message.text or "").split(" ", 1)[0].partition("@")
        if mention and mention.casefold() != (context.bot.username or "").casefold():
            return  # a command for another bot in the same group
        await self._send(context, chat.id, self._reply("private_only", update))

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The person blocked or unblocked the bot: stop or resume writing to them."""
        change = update.my_chat_member
        assert change is not None
        if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            self.lanes.block(change.chat.id)
            logger.info("the person blocked the bot")
        else:
            self.lanes.unblock(change.chat.id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure and apologise to the person, if there is one."""
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
                await self._send(context, chat.id, self._reply("internal_error", update))
            except Exception:  # noqa: BLE001 - the apology is best effort
                logger.warning("could not send the error apology")

    # -- delivery ------------------------------------------------------------------------
    def _settle(self, chat_id: int, message_id: int, html: str) -> bool:
        """Note that a message is being closed (``html``: its new text) or stripped of its
        buttons (""); False if this process already did exactly that, or closed it (a closed
        message has no buttons left to remove). Bounded: the oldest entries are forgotten."""
        key = (chat_id, message_id)
        done = self._settled.get(key)
        if done is not None and (done == html or not html):
            return False
        self._settled[key] = html
        self._settled.move_to_end(key)
        if len(self._settled) > MAX_SETTLED:
            self._settled.popitem(last=False)
        return True

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
            await self._deliver(context, chat_id, outcome, pressed_message_id)
        finally:
            if answering is not None:
                await answering
        _log_event(event, outcome, started)

    @staticmethod
    async def _answer(query: CallbackQuery, notice: str | None = None) -> None:
        """Answer a button press (stops the spinner); a failure is only logged."""
        try:
            await query.answer(notice or None)
        except TelegramError as error:  # "query is too old", a timeout, a dropped connection
            logger.info("could not answer a button press: %s", error.message)

    async def _deliver(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, outcome: Outcome, pressed_message_id: int | None
    ) -> None:
        """Show the outcome with as few calls as the chat allows, and record which message now
        shows the current question. A tap on the question on screen turns that message into
        what comes next (one call); otherwise the answered question is closed, an outdated
        keyboard retired, and the replies sent below the person's text."""
        await self._card_delivered(chat_id)
        if self.lanes.is_blocked(chat_id):
            return
        stored = prompt = outcome.session.prompt_message_id
        language = outcome.session.language
        replies = packed(outcome.replies)
        try:
            if pressed_message_id is not None and pressed_message_id == prompt and self._fits_in_place(replies):
                await self._replace(context.bot, chat_id, pressed_message_id, replies[0], language)
                prompt = pressed_message_id if replies[0].role is Role.QUESTION else None
                replies = replies[1:]
            else:
                if outcome.closed_prompt is not None:
                    target = pressed_message_id or prompt
                    if target is not None:
                        await self._edit(context, chat_id, target, outcome.closed_prompt)
                    if target == prompt:
                        prompt = None
                # Once a question is answered (from another message, such as "Did you mean"), or a
                # new one is asked, the keyboard still shown is outdated.
                outdated = outcome.forget or outcome.closed_prompt is not None
                if prompt is not None and (outdated or any(r.role is Role.QUESTION for r in replies)):
                    await self._retire_keyboard(context, chat_id, prompt)
                    prompt = None
            for reply in replies:
                sent_id = await self._send(context, chat_id, reply, language)
                if reply.role is Role.QUESTION:
                    prompt = sent_id
        except Forbidden:
            self.lanes.block(chat_id)
            logger.info("the person blocked the bot; not writing to them any more")
            # Delivery stopped part-way: which message shows the current question is no longer
            # known (the new one may never have been sent, the old one may be closed already), so
            # none is remembered; editing a guess later could repeat a closed question's text.
            prompt = None
        if prompt != stored and not outcome.forget:
            await self.service.remember_prompt(chat_id, prompt)

    @staticmethod
    def _fits_in_place(replies: tuple[Reply, ...]) -> bool:
        """Whether the first reply can take the place of the question tapped: the next question,
        or the result, in one message."""
        return bool(replies) and replies[0].role in (Role.QUESTION, Role.RESULT) and len(render(replies[0])) == 1

    async def _replace(self, bot: Bot, chat_id: int, message_id: int, reply: Reply, language: str) -> None:
        """Turn the question tapped into ``reply`` (its buttons included); a result's card follows it."""
        message = render(reply, link_for=lambda event: self._share_link(bot, event, language))[0]
        self._settled.pop((chat_id, message_id), None)  # it shows buttons again
        try:
            await bot.edit_message_text(
                message.html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=message.markup, link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            # "Not modified": a retried edit that had gone through, which is fine. Otherwise the
            # message vanished meanwhile: say it anew below.
            if NOT_MODIFIED not in error.message.casefold():
                logger.info("could not show the next step in place: %s", error.message)
                await self.send_reply(bot, chat_id, reply, language)
                return
        if reply.card is not None:
            await self._follow_with_card(bot, chat_id, reply.card)

    async def _send(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, language: str = "") -> int | None:
        """Send a reply (split if long); return the id of its last message."""
        return await self.send_reply(context.bot, chat_id, reply, language)

    def _share_link(self, bot: Bot, event: Event, language: str) -> str | None:
        """The share sheet URL for a Share button, or None when sharing is not possible."""
        if not self._share_key or not bot.username or len(event.answers) != len(self._content.questions):
            return None
        content = self.service.engine_for(language).content
        path = content.paths[score(content, event.answers).recommended].name
        payload = encode_payload(content, event.answers, self._share_key)
        return share_url(bot.username, payload, content.texts.render("share_text", path=path))

    async def _send_card(self, bot: Bot, chat_id: int, card: ResultCard) -> None:
        """Draw the result card off the event loop (about a millisecond: no "sending a photo"
        indicator is worth its call) and send it; a picture is a bonus, so a failure is only logged."""
        try:
            picture = await asyncio.to_thread(draw_card, card)
            if self.lanes.is_blocked(chat_id):
                return  # blocked since the text went out (the card follows it later)
            await bot.send_photo(chat_id, photo=picture)
        except Forbidden:
            self.lanes.block(chat_id)
        except Exception:  # noqa: BLE001 - never lose anything else over the picture
            logger.warning("could not send the result card", exc_info=True)

    async def send_reply(self, bot: Bot, chat_id: int, reply: Reply, language: str = "") -> int | None:
        """Send a reply (split if long); return the id of its last message. A result's card
        follows its text without holding up the update: the person reads the result at once."""
        last: int | None = None
        for message in render(reply, link_for=lambda event: self._share_link(bot, event, language)):
            sent = await bot.send_message(
                chat_id, message.html, parse_mode=ParseMode.HTML, reply_markup=message.markup,
                link_preview_options=NO_PREVIEW,
            )
            last = sent.message_id
        if reply.card is not None:
            await self._follow_with_card(bot, chat_id, reply.card)
        if reply.funnel is not None:
            await self._send_funnel(bot, chat_id, reply.funnel, language)
        return last

    async def _send_funnel(self, bot: Bot, chat_id: int, funnel: Figures, language: str) -> None:
        """The operator's funnel as a picture after its figures; the text is what matters."""
        try:
            picture = await asyncio.to_thread(draw_funnel, self.service.engine_for(language).content, funnel)
            await bot.send_photo(chat_id, photo=picture)
        except Forbidden:
            raise
        except Exception:  # noqa: BLE001 - the figures went out already
            logger.warning("could not send the funnel picture", exc_info=True)

    async def _follow_with_card(self, bot: Bot, chat_id: int, card: ResultCard) -> None:
        """Send the result's card in the background (the chat's next reply waits for it); at once
        without a running application."""
        sending = self._send_card(bot, chat_id, card)
        if self._application is None or not self._application.running:
            await sending
            return
        task = self._cards[chat_id] = self._application.create_task(sending)
        task.add_done_callback(lambda done: self._cards.pop(chat_id, None) if self._cards.get(chat_id) is done
                               else None)

    async def _card_delivered(self, chat_id: int) -> None:
        """Wait for the chat's result card, if one is still on its way (it never raises)."""
        task = self._cards.get(chat_id)
        if task is not None:
            await asyncio.shield(task)

    async def _edit(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, reply: Reply) -> None:
        """Replace a question with its answered form; a vanished message is not an error."""
        message: TelegramMessage = render(reply)[0]
        if not self._settle(chat_id, message_id, message.html):
            return  # already shows exactly this: Telegram would refuse the edit as "not modified"
        try:
            await context.bot.edit_message_text(
                message.html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            logger.info("could not close an answered question: %s", error.message)

    async def _retire_keyboard(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int) -> None:
        """Remove the buttons of a question that is no longer current."""
        if not self._settle(chat_id, message_id, ""):
            return  # its buttons are gone already (retired or closed in this process)
        try:
            await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except BadRequest as error:
            logger.info("could not retire an old keyboard: %s", error.message)
