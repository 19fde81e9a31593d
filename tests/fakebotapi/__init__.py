"""A strict in-process fake of the Telegram Bot API for end-to-end tests.

An aiohttp server on 127.0.0.1 that speaks the real wire format, so the real
python-telegram-bot ``Application`` runs against it over loopback with no mocks::

    async with FakeBotApi() as server:
        bot = telegram.Bot(server.token, base_url=server.base_url)
        user = server.user(user_id=42, first_name="Ada")
        await user.send_command("/start")
        reply = await user.wait_for_message(lambda m: "Welcome" in m.plain)
        await user.press_button("Next")
        server.assert_no_errors()

What it enforces (a rejected request lands in ``server.errors``; ``assert_no_errors`` fails):

* routing: 401 for a wrong or malformed token, 404 for an unknown method; names are
  case-insensitive;
* parameters, from ``bot-api-methods.json`` (Bot API 10.1, the same list as
  ``shared/telegram``): required fields, declared types, JSON/form/multipart/query bodies;
  unknown parameters are ignored as Telegram does but kept in ``unknown_params``; a method
  with no handler answers ``true`` if it returns Boolean, else a loud "does not simulate";
* text: lengths in UTF-16 units (4096 text, 1024 caption, 200 callback answer), explicit
  entities; ``parse_mode=HTML`` by our own parser after the Bot API's "HTML style" section (tags
  b/strong, i/em, u/ins, s/strike/del, tg-spoiler, span class="tg-spoiler", a href, code, pre
  with a language, blockquote [expandable], tg-emoji, tg-time; ``&lt; &gt; &amp; &quot;`` and
  numeric references); ``strict_html`` (default) also refuses what Telegram only tolerates: a
  stray ``&``, ``<a>`` without a usable href, nesting inside code/pre, blockquote in blockquote,
  link in link. Markdown modes are refused as not simulated, other modes as unsupported;
* keyboards and callback data (1..64 bytes), button ``style`` (primary, success, danger),
  ``copy_text`` (1..256 characters), edits ("message is not modified", not found), deletes,
  replies, message effects (private chats only), chat actions, commands, profile;
* newer touches refused on demand, as a server or client without them would:
  ``refused_touches`` ({"style", "copy_text", "date_time"}) and ``message_effects`` (empty);
* uploaded photos: PNG/JPEG/GIF/WebP headers are read; IMAGE_PROCESS_FAILED for anything else,
  PHOTO_INVALID_DIMENSIONS beyond width + height 10000 or a side ratio of 20;
* chats: "chat not found", 403 when blocked or never started (``user(..., started=False)``);
* answerCallbackQuery and answerInlineQuery within ``callback_query_timeout``, once per query;
  inline results (article, cached photo of a file the bot sent: ``photo_file_ids``) with unique
  ids, their texts parsed and keyboards checked like messages', and the results button;
* getUpdates offsets, long polls (409 for the older of two, 409 while a webhook is set),
  ``allowed_updates``; setWebhook to loopback only, one call a second.

How tests drive it:

* users and chats: ``server.user(...)`` and ``server.group(...)`` return
  :class:`SimulatedUser`/:class:`SimulatedGroup`, which send texts, commands, media, press
  buttons, type inline queries (``inline_query``), block the bot, and await the bot's
  :class:`BotMessage` s; ``server.enqueue_raw`` queues any update;
* inspection: ``requests`` (:class:`RecordedRequest`), ``errors``, ``callback_answers``,
  ``chat_actions``, ``inline_answers``, ``webhook_attempts``, ``wait_until``/``wait_for_request``;
* faults: ``inject_fault(method, "429" | "5xx" | "disconnect" | "delay", ...)`` for the next
  calls (``process_first=True``: executed, then the answer is lost or late), ``call_times``;
* flood mode: ``enable_flood_limits(...)`` refuses calls into chats (anything with a chat_id)
  beyond Telegram's rates with a real 429 (``flood_rejections``): token buckets for the bot
  (30/s) and per chat (1/s, burst 3); an empty bucket refuses its scope until a token is back;
* webhook: the bot's ``setWebhook`` starts delivery, one update at a time, retried with
  exponential backoff (or the answer's Retry-After); ``webhook_backends`` fans updates out over
  several worker URLs (chats concurrently, one chat in order, a chat's updates to the workers in
  turn); ``post_to_webhook`` sends one by hand with a right/wrong secret.

Where each concern lives:

=================  ==========================================================================
``server``         :class:`FakeBotApi`: lifecycle, users, update queue, inspection, HTTP
                   routing and recording, and the method -> handler table
``spec``           the method list; decoding and required/type checks of parameters
``messages``       send* (one path, table of media kinds), edits, deletes
``chats``          callback answers, chat actions, chats and members, commands, profile
``inline``         inline queries and answerInlineQuery
``delivery``       getUpdates and long polls, setWebhook and the webhook senders
``faults``         injected faults and flood-mode answers (``flood``: the token buckets)
``validation``     keyboards, commands, command scopes
``formatting``     parse modes and trimming (``telegram_html``: the HTML parser,
                   ``entities``: UTF-16 entities); ``images``: photo checks
``models``         the records tests inspect; ``users``: simulated users and chats
``errors``         :class:`ApiError`, serialised like Telegram's error answers
=================  ==========================================================================
"""

from .entities import Entity, EntityParseError, ParsedText
from .errors import ApiError
from .models import (
    BotMessage,
    CallbackAnswer,
    ChatActionRecord,
    InjectedFault,
    MessageVersion,
    RecordedRequest,
    WebhookAttempt,
)
from .server import DEFAULT_TOKEN, FakeBotApi
from .spec import BotApiSpec, UploadedFile
from .telegram_html import parse_html
from .users import SimulatedChat, SimulatedGroup, SimulatedUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiSpec",
    "BotMessage",
    "CallbackAnswer",
    "ChatActionRecord",
    "Entity",
    "EntityParseError",
    "FakeBotApi",
    "InjectedFault",
    "MessageVersion",
    "ParsedText",
    "RecordedRequest",
    "SimulatedChat",
    "SimulatedGroup",
    "SimulatedUser",
    "UploadedFile",
    "WebhookAttempt",
    "parse_html",
]
