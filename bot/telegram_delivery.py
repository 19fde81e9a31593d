"""Delivering an outcome on Telegram with as few calls as the chat allows: a tap on the question on
screen turns that message into what comes next (one edit); otherwise the answered question is
closed, an outdated keyboard retired, and the replies sent below the person's text. Remembers
which message shows each chat's current question, and never repeats an edit Telegram would
refuse as "not modified"."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.chat_lanes import ChatLanes
from bot.telegram_attachments import Attachments
from bot.telegram_render import TelegramMessage, Touches, packed, render
from dialogs.events import Event
from dialogs.replies import Outcome, Reply, Role
from dialogs.service import DialogService

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_SETTLED = 50_000
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's answer to an edit that changes nothing (such as one retried after it went through).
NOT_MODIFIED = "message is not modified"


class Delivery:
    """Sends, edits and closes messages for the front end; one per bot."""

    def __init__(self, service: DialogService, lanes: ChatLanes, attachments: Attachments) -> None:
        self._service = service
        self._lanes = lanes
        self.attachments = attachments
        #: Messages this process closed or stripped of buttons, so that it never repeats an
        #: edit Telegram would refuse as "message is not modified".
        self._settled: OrderedDict[tuple[int, int], str] = OrderedDict()
        #: Telegram's newer touches this bot sends; one Telegram refuses is left out from then on.
        self.touches = Touches()

    async def _touched(self, call: Callable[[TelegramMessage], Awaitable[T]],
                       rendered: Callable[[Touches], TelegramMessage]) -> T:
        """``call`` with the message rendered with today's touches; where Telegram refuses one
        (400 naming it), again without it, and without it from now on: the plain form people
        got before these touches existed."""
        touches = self.touches
        message = rendered(touches)
        while True:
            try:
                return await call(message)
            except BadRequest as error:
                narrowed = None if NOT_MODIFIED in error.message.casefold() else touches.without_refused(error.message)
                plainer = rendered(narrowed) if narrowed is not None else message
                if plainer.wire == message.wire:
                    raise
                logger.info("Telegram refused a newer touch, sending without it: %s", error.message)
                self.touches &= narrowed  # type: ignore[operator]
                touches, message = narrowed, plainer  # type: ignore[assignment]

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

    async def deliver(
        self, bot: Bot, chat_id: int, outcome: Outcome, pressed_message_id: int | None
    ) -> None:
        """Show the outcome with as few calls as the chat allows, and record which message now
        shows the current question. A tap on the question on screen turns that message into
        what comes next (one call); otherwise the answered question is closed, an outdated
        keyboard retired, and the replies sent below the person's text."""
        await self.attachments.delivered(chat_id)
        if self._lanes.is_blocked(chat_id):
            return
        stored = prompt = outcome.session.prompt_message_id
        language = outcome.session.language
        replies = packed(outcome.replies)
        try:
            in_place = self._in_place(bot, replies, language) if pressed_message_id == prompt else None
            if pressed_message_id is not None and in_place is not None:
                await self._replace(bot, chat_id, pressed_message_id, replies[0], in_place, language)
                prompt = pressed_message_id if replies[0].role is Role.QUESTION else None
                replies = replies[1:]
                # The committed session forgot the prompt (an answer supersedes the message that
                # asked it, see dialogs.service): the same message asks again, so say so.
                stored = None if prompt is not None else stored
            else:
                if outcome.closed_prompt is not None:
                    target = pressed_message_id or prompt
                    if target is not None:
                        await self._edit(bot, chat_id, target, outcome.closed_prompt)
                    if target == prompt:
                        prompt = None
                # Once a question is answered (from another message, such as "Did you mean"), or a
                # new one is asked, the keyboard still shown is outdated.
                outdated = outcome.forget or outcome.closed_prompt is not None
                if prompt is not None and (outdated or any(r.role is Role.QUESTION for r in replies)):
                    await self._retire_keyboard(bot, chat_id, prompt)
                    prompt = None
            for reply in replies:
                sent_id = await self.send_reply(bot, chat_id, reply, language)
                if reply.role is Role.QUESTION:
                    prompt = sent_id
        except Forbidden:
            self._lanes.block(chat_id)
            logger.info("the person blocked the bot; not writing to them any more")
            # Delivery stopped part-way: which message shows the current question is no longer
            # known (the new one may never have been sent, the old one may be closed already), so
            # none is remembered; editing a guess later could repeat a closed question's text.
            prompt = None
        if prompt != stored and not outcome.forget:
            await self._service.remember_prompt(chat_id, prompt)

    def _in_place(self, bot: Bot, replies: tuple[Reply, ...], language: str) -> TelegramMessage | None:
        """The first reply as the one message that can take the place of the question tapped (the
        next question, or the result), or None if it cannot."""
        if not replies or replies[0].role not in (Role.QUESTION, Role.RESULT):
            return None
        messages = render(replies[0], link_for=lambda event: self.attachments.share_link(bot, event, language),
                          touches=self.touches)
        return messages[0] if len(messages) == 1 else None

    async def _replace(self, bot: Bot, chat_id: int, message_id: int, reply: Reply, message: TelegramMessage,
                       language: str) -> None:
        """Turn the question tapped into ``reply`` (rendered: ``message``, its buttons included); a
        result's card follows it."""
        self._settled.pop((chat_id, message_id), None)  # it shows buttons again

        shown_with = self.touches  # what ``message`` was rendered with (just now, by _in_place)

        def rendered(touches: Touches) -> TelegramMessage:
            if touches == shown_with:
                return message
            link_for = lambda event: self.attachments.share_link(bot, event, language)  # noqa: E731
            return render(reply, link_for=link_for, touches=touches)[0]

        async def edit(shown: TelegramMessage) -> object:
            return await bot.edit_message_text(
                shown.html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=shown.markup, link_preview_options=NO_PREVIEW,
            )

        try:
            await self._touched(edit, rendered)
        except BadRequest as error:
            # "Not modified": a retried edit that had gone through, which is fine. Otherwise the
            # message vanished meanwhile: say it anew below.
            if NOT_MODIFIED not in error.message.casefold():
                logger.info("could not show the next step in place: %s", error.message)
                await self.send_reply(bot, chat_id, reply, language)
                return
        if reply.card is not None:
            await self.attachments.follow_with_card(bot, chat_id, reply.card)

    async def send_reply(self, bot: Bot, chat_id: int, reply: Reply, language: str = "") -> int | None:
        """Send a reply (split if long); return the id of its last message. A result's card
        follows its text without holding up the update: the person reads the result at once."""
        last: int | None = None

        def link_for(event: Event) -> str | None:
            return self.attachments.share_link(bot, event, language)

        async def send(message: TelegramMessage) -> Message:
            return await bot.send_message(chat_id, message.html, parse_mode=ParseMode.HTML,
                                          reply_markup=message.markup, link_preview_options=NO_PREVIEW)

        touches = self.touches
        messages = render(reply, link_for=link_for, touches=touches)

        def message_at(index: int) -> Callable[[Touches], TelegramMessage]:
            return lambda wanted: messages[index] if wanted == touches else render(
                reply, link_for=link_for, touches=wanted)[index]

        for index in range(len(messages)):
            sent = await self._touched(send, message_at(index))
            last = sent.message_id
        if reply.card is not None:
            await self.attachments.follow_with_card(bot, chat_id, reply.card)
        if reply.funnel is not None:
            await self.attachments.send_funnel(bot, chat_id, reply.funnel, language)
        return last

    async def _edit(self, bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
        """Replace a question with its answered form; a vanished message is not an error."""
        message: TelegramMessage = render(reply)[0]
        if not self._settle(chat_id, message_id, message.html):
            return  # already shows exactly this: Telegram would refuse the edit as "not modified"
        try:
            await bot.edit_message_text(
                message.html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            logger.info("could not close an answered question: %s", error.message)

    async def _retire_keyboard(self, bot: Bot, chat_id: int, message_id: int) -> None:
        """Remove the buttons of a question that is no longer current."""
        if not self._settle(chat_id, message_id, ""):
            return  # its buttons are gone already (retired or closed in this process)
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except BadRequest as error:
            logger.info("could not retire an old keyboard: %s", error.message)
