"""What goes with replies on Telegram besides text: the result card (with a message effect, plain
where Telegram refuses it) and the operator's funnel as pictures, and signed share links. A
result's card is sent in the background, after its text, and the chat's next reply waits for it
(:meth:`Attachments.delivered`), so the card comes first and a block it found out about is known
first."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application
from telegram.helpers import create_deep_linked_url

from bot.chat_lanes import ChatLanes
from bot.deep_link import decode_payload, encode_payload, share_url
from bot.funnel_chart import draw_funnel
from bot.result_card import draw_card
from dialogs.analytics import Figures
from dialogs.content import Content
from dialogs.events import Event
from dialogs.replies import ResultCard
from dialogs.scoring import score
from dialogs.service import DialogService
from dialogs.session import Answer

logger = logging.getLogger(__name__)
#: The party popper Telegram plays over the result's card in a private chat (Bot API 7.4 message
#: effects; every result card goes to a private chat).
RESULT_EFFECT = "5046509860389126442"
#: Result cards this process sent whose Telegram file it remembers (for inline mode).
MAX_CARD_FILES = 10_000


class Attachments:
    """Cards, funnel pictures and share links for one bot."""

    def __init__(self, content: Content, service: DialogService, lanes: ChatLanes, share_key: bytes = b"") -> None:
        self._content = content
        self.service = service
        self._lanes = lanes
        #: Signs share links (derived from the token; see bot.deep_link).
        self._share_key = share_key
        #: Each chat's result card still on its way.
        self._cards: dict[int, asyncio.Task[None]] = {}
        #: Runs the result card after its text (the Application's create_task, whose tasks a
        #: graceful stop waits for); set when the front end is installed.
        self.application: Application | None = None
        #: The Telegram file of each card sent (a card is the same picture for everyone with
        #: the same result), so inline mode can show it again without uploading; bounded.
        self._card_files: OrderedDict[ResultCard, str] = OrderedDict()

    def card_file(self, card: ResultCard) -> str | None:
        """The file_id of ``card`` if this process has sent it."""
        return self._card_files.get(card)

    def _remember_card(self, card: ResultCard, sent: Message) -> None:
        if sent.photo:
            self._card_files[card] = sent.photo[-1].file_id
            self._card_files.move_to_end(card)
            if len(self._card_files) > MAX_CARD_FILES:
                self._card_files.popitem(last=False)

    def deep_link(self, bot: Bot, answers: tuple[Answer, ...], language: str) -> str | None:
        """The link that opens the bot on these answers as a shared result (t.me/<bot>?start=...),
        or None when links cannot be signed."""
        if not self._share_key or not bot.username or len(answers) != len(self._content.questions):
            return None
        content = self.service.engine_for(language).content
        return create_deep_linked_url(bot.username, encode_payload(content, answers, self._share_key))

    def shared_answers(self, payload: str) -> tuple[Answer, ...] | None:
        """The answers a /start share payload carries, if it is genuine (signed with our key)."""
        return decode_payload(self._content, payload, self._share_key) if self._share_key else None

    def share_link(self, bot: Bot, event: Event, language: str) -> str | None:
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
            picture = await asyncio.to_thread(draw_card, card, bot.first_name or "", bot.username or "")
            if self._lanes.is_blocked(chat_id):
                return  # blocked since the text went out (the card follows it later)
            try:
                sent = await bot.send_photo(chat_id, photo=picture, message_effect_id=RESULT_EFFECT)
            except BadRequest as error:  # an effect Telegram refuses here: the card goes plain
                logger.info("the result card went without its effect: %s", error.message)
                sent = await bot.send_photo(chat_id, photo=picture)
            self._remember_card(card, sent)
        except Forbidden:
            self._lanes.block(chat_id)
        except Exception:  # noqa: BLE001 - never lose anything else over the picture
            logger.warning("could not send the result card", exc_info=True)

    async def send_funnel(self, bot: Bot, chat_id: int, funnel: Figures, language: str) -> None:
        """The operator's funnel as a picture after its figures; the text is what matters."""
        try:
            picture = await asyncio.to_thread(draw_funnel, self.service.engine_for(language).content, funnel)
            await bot.send_photo(chat_id, photo=picture)
        except Forbidden:
            raise
        except Exception:  # noqa: BLE001 - the figures went out already
            logger.warning("could not send the funnel picture", exc_info=True)

    async def follow_with_card(self, bot: Bot, chat_id: int, card: ResultCard) -> None:
        """Send the result's card in the background (the chat's next reply waits for it); at once
        without a running application."""
        sending = self._send_card(bot, chat_id, card)
        if self.application is None or not self.application.running:
            await sending
            return
        task = self._cards[chat_id] = self.application.create_task(sending)
        task.add_done_callback(lambda done: self._cards.pop(chat_id, None) if self._cards.get(chat_id) is done
                               else None)

    async def delivered(self, chat_id: int) -> None:
        """Wait for the chat's result card, if one is still on its way (it never raises)."""
        task = self._cards.get(chat_id)
        if task is not None:
            await asyncio.shield(task)

