"""Hostile Telegram input for the property test in ``test_hostile_input.py``.

Three parts:

* Hypothesis strategies that draw *actions*: a person typing random text or commands, pressing
  real, stale, copied or forged buttons, sending stickers and photos, editing messages,
  blocking the bot, posting in a group or a channel, and update kinds the bot has no handler
  for. Actions name chats and pick buttons by index, because which buttons exist is only known
  when the action runs against the live fake server.
* :class:`World`, which runs a batch of actions against one fake Bot API server and one real
  bot process, keeps the books the invariants need (when each chat was blocked, which callback
  queries must be answered, how many updates were fed) and then *settles*: it waits until the
  bot has handled everything it was sent, using per-chat sentinels (the bot handles the updates
  of one chat in order, so the reply to a unique unknown command proves every earlier update of
  that chat is done).
* :class:`LiveBot`, which keeps the server and the bot running in an event loop on a background
  thread, so that a synchronous ``@given`` test can drive one long-running bot process through
  hundreds of examples with ``asyncio.run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from bot.content_files.loader import load_content
from dialogs.content import PATH_IDS
from tests.e2e.harness import BotProcess
from tests.fakebotapi import FakeBotApi, SimulatedUser

CONTENT = load_content()
PATH_NAMES = {path_id: path.name for path_id, path in CONTENT.paths.items()}
PRIVATE_CHAT_IDS = (7001, 7002, 7003, 7004, 7005)
GROUP_CHAT_ID = -1007770001
CHANNEL_CHAT_ID = -1008880001
MAX_TEXT_UTF16 = 4096  # the longest message Telegram delivers
SETTLE_TIMEOUT = 30.0
BLOCKED = "bot was blocked by the user"
#: Bot API methods that do not write into a chat (polling, callback answers, set-up).
NOT_CHAT_WRITES = frozenset({"getupdates", "answercallbackquery", "getme", "setmycommands", "deletewebhook",
                             "setwebhook", "getwebhookinfo", "close", "logout"})

T = TypeVar("T")


# -- text ----------------------------------------------------------------------------------
def clip_utf16(text: str, limit: int = MAX_TEXT_UTF16) -> str:
    """The longest prefix of ``text`` that Telegram would deliver (``limit`` UTF-16 units)."""
    size = 0
    for index, character in enumerate(text):
        size += 2 if ord(character) > 0xFFFF else 1
        if size > limit:
            return text[:index]
    return text


#: Every code point but lone surrogates (which JSON cannot carry): controls, RTL, emoji, CJK...
CHARACTERS = st.characters(exclude_categories=("Cs",))
EMOJI = ("👍", "🚀🔥", "👩‍💻", "🇺🇦🇯🇵", "🏳️‍🌈", "❤️", "🤷🏽‍♀️", "😀" * 12, "🫠🫡", "\U0001f9d1\u200d\U0001f680")
RIGHT_TO_LEFT = (
    "مرحبا، أريد أن أبدأ مشروعًا جانبيًا",
    "שלום, אני רוצה קריירה בבינה מלאכותית",
    "\u202eevil override\u202c",
    "\u200f1\u200f",
    "اختيار ٢",
    "گزینه سوم",
)
ODD_TEXT = ("", " ", "\n", "\t\t", "\u200b", "\u00a0", "\u2028", "<b>bold</b>", "&amp; <i>", "</blockquote>",
            "a\x00b", "\x1b[31mred", "◀ Back", "Back", "↺ Start over", "About: Hybrid", "Why this result?",
            "/", "//start", " /start", "@crossroads_test_bot")
NUMBERS = ("0", "1", "2", "3", "4", "99", "-1", "+2", "1.5", "01", " 3 ", "10", "9" * 60, "²", "①", "٣", "𝟙",
           "⁵", "Ⅷ", "1e3", "three")
LABELS = tuple(dict.fromkeys(
    [option.label for question in CONTENT.questions for option in question.options]
    + [option.id for question in CONTENT.questions for option in question.options]
    + list(PATH_NAMES.values())
))

short_text = st.text(CHARACTERS, max_size=80)
long_text = st.builds(
    lambda chunk, repeat: clip_utf16(chunk * repeat),
    st.one_of(st.text(CHARACTERS, min_size=1, max_size=12), st.sampled_from(EMOJI + RIGHT_TO_LEFT)),
    st.integers(1, MAX_TEXT_UTF16),
)
whitespace = st.text(st.sampled_from(" \t\n\r\u00a0\u2003\u200b\u3000"), min_size=1, max_size=40)
mangled_label = st.sampled_from(LABELS).flatmap(
    lambda label: st.sampled_from(
        [label, label.upper(), f"  {label}!! ", label[: max(1, len(label) // 2)], label.replace(" ", ""), label + "?"]
    )
)
free_text = st.one_of(
    short_text, st.sampled_from(EMOJI + RIGHT_TO_LEFT + ODD_TEXT), long_text, whitespace,
    st.sampled_from(NUMBERS), mangled_label,
)
#: What people type to answer: numbers (in and out of range, in other scripts) and option labels.
typed_answer = st.one_of(st.sampled_from(NUMBERS), mangled_label)

COMMAND_WORDS = ("/start", "/restart", "/back", "/explain", "/why", "/help", "/privacy", "/forget", "/unknown",
                 "/start@otherbot", "/forget@otherbot", "/START", "/Help@crossroads_test_bot",
                 "/explain@CROSSROADS_TEST_BOT", "/", "/why@", "/😀", "/restart_now", "/back" + "k" * 40)
command_args = st.one_of(
    st.none(),
    st.sampled_from(list(PATH_IDS) + list(PATH_NAMES.values()) + ["side-hustle", "AI", "astronaut", "   ", "1"]),
    st.text(CHARACTERS, max_size=40),
)


# -- callback data -------------------------------------------------------------------------
QUESTION_IDS = tuple(question.id for question in CONTENT.questions)
OPTION_IDS = tuple(option.id for question in CONTENT.questions for option in question.options)
generation_field = st.one_of(
    st.integers(0, 3).map(str), st.integers(-10, 10**12).map(str),
    st.sampled_from(["", "00", "٣", "1e3", " 1", "0x1", "9" * 11]),
)
identifier = st.one_of(
    st.sampled_from(QUESTION_IDS), st.from_regex(r"[a-z][a-z0-9_]{0,22}", fullmatch=True),
    st.text(CHARACTERS, max_size=6),
)
option_field = st.one_of(st.sampled_from(OPTION_IDS), identifier)
forged_data = st.one_of(
    st.builds(lambda g, q, o: f"1a:{g}:{q}:{o}", generation_field, identifier, option_field),
    st.builds(lambda g, q, o: f"1a:{g}:{q}:{o}", st.integers(0, 3), st.sampled_from(QUESTION_IDS),
              st.sampled_from(OPTION_IDS)),
    st.builds(lambda g, q: f"1b:{g}:{q}", generation_field, identifier),
    st.builds(lambda p: f"1e:{p}", st.one_of(st.sampled_from(PATH_IDS), identifier)),
    st.sampled_from(["1w", "1r", "1", "1a", "1a::::", "2a:0:skills:generalist", "1a:0:skills:generalist:x",
                     "0a:0:skills:generalist", "1A:0:skills:generalist", ":", "1b:0:skills", "1e:", "1w:x"]),
    st.text(CHARACTERS, max_size=64),
    st.binary(max_size=64).map(lambda raw: raw.decode("utf-8", errors="replace")),
)


# -- actions -------------------------------------------------------------------------------
class Action:
    """One thing a person (or Telegram) does; ``run`` performs it against the live server."""

    #: True for actions in the group (they are settled through the group, not a private chat)
    group = False

    async def run(self, world: World) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class SendText(Action):
    user: int
    text: str
    reply: bool = False

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        reply_to = world.some_bot_message(self.user, 0) if self.reply else None
        await person.send_text(self.text, reply_to=reply_to)


@dataclass(frozen=True)
class SendCommand(Action):
    user: int
    command: str
    args: str | None

    async def run(self, world: World) -> None:
        await world.users[self.user].send_command(self.command, args=self.args)


@dataclass(frozen=True)
class SendMedia(Action):
    user: int
    kind: str  # sticker, photo, document, location
    caption: str | None = None

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        if self.kind == "sticker":
            await person.send_sticker()
        elif self.kind == "photo":
            await person.send_photo(caption=self.caption)
        elif self.kind == "document":
            await person.send_document()
        else:
            await person.send_location()


@dataclass(frozen=True)
class EditLastText(Action):
    """The person edits their latest text message (an ``edited_message`` update)."""

    user: int
    text: str

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        texts = [mid for mid, message in person.state.user_messages.items() if "text" in message]
        if texts and self.text:
            await person.edit_message(max(texts), self.text)


@dataclass(frozen=True)
class PressOnScreen(Action):
    """Press a button the bot currently shows (the latest keyboard); /start if there is none."""

    user: int
    pick: int

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        keyboards = [message for message in person.messages if message.callback_data]
        if not keyboards:
            await person.send_command("/start")
            return
        message = keyboards[-1]
        data = message.callback_data[self.pick % len(message.callback_data)]
        await world.press(person, message.message_id, data, force=False)


@dataclass(frozen=True)
class PressFromHistory(Action):
    """Press any button the bot ever showed in this chat (earlier questions and quizzes)."""

    user: int
    pick: int

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        buttons = world.button_history(self.user)
        if buttons:
            message_id, data = buttons[self.pick % len(buttons)]
            await world.press(person, message_id, data)


@dataclass(frozen=True)
class PressCopied(Action):
    """Press, in this chat, a button the bot sent to another chat."""

    user: int
    source: int
    pick: int
    missing_message: bool

    async def run(self, world: World) -> None:
        if self.source == self.user:
            return
        buttons = world.button_history(self.source)
        if not buttons:
            return
        _, data = buttons[self.pick % len(buttons)]
        target = world.missing_message_id() if self.missing_message else world.some_keyboard_message(self.user, self.pick)
        await world.press(world.users[self.user], target, data)


@dataclass(frozen=True)
class PressForged(Action):
    """Press forged or random callback data on the current keyboard, an old one, or no message."""

    user: int
    data: str
    target: str  # latest, any, missing
    pick: int = 0

    async def run(self, world: World) -> None:
        if self.target == "missing":
            message_id = world.missing_message_id()
        elif self.target == "latest":
            message_id = world.some_keyboard_message(self.user, -1)
        else:
            message_id = world.some_keyboard_message(self.user, self.pick)
        await world.press(world.users[self.user], message_id, self.data)


@dataclass(frozen=True)
class RawCallback(Action):
    """Callback queries a simulated client cannot produce: no data (a game), an inaccessible
    message (date 0), or a message in a group."""

    user: int
    data: str
    variant: str  # no_data, inaccessible, group
    pick: int = 0

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        query_id = f"raw-{next(world.raw_ids)}"
        query: dict[str, Any] = {"id": query_id, "from": person.user, "chat_instance": str(self.user * 7)}
        chat_id: int | None = self.user
        if self.variant == "no_data":
            query["game_short_name"] = "quiz"
            message = world.server.message_json(self.user, world.some_keyboard_message(self.user, self.pick))
            if message is not None:
                query["message"] = message
        elif self.variant == "inaccessible":
            query["data"] = self.data
            query["message"] = {"chat": person.chat, "message_id": world.some_keyboard_message(self.user, self.pick),
                                "date": 0}
        else:
            query["data"] = self.data
            group = world.group
            replies = group.messages
            if replies:
                message = world.server.message_json(group.id, replies[self.pick % len(replies)].message_id)
            else:
                message = {"message_id": group.state.next_message_id(), "from": world.server.bot_user,
                           "chat": group.chat, "date": int(time.time()), "text": "menu"}
            query["message"] = message
            chat_id = group.id
        world.track_query(query_id, self.user, chat_id)
        await world.server.push_update({"callback_query": query})


@dataclass(frozen=True)
class Block(Action):
    user: int

    async def run(self, world: World) -> None:
        await world.users[self.user].block_bot()


@dataclass(frozen=True)
class Unblock(Action):
    user: int

    async def run(self, world: World) -> None:
        await world.users[self.user].unblock_bot()


@dataclass(frozen=True)
class GroupPost(Action):
    """Someone writes in a group the bot is a member of (text, or a command with or without
    the bot's @username)."""

    user: int
    text: str
    command: str | None = None
    mention: bool = True
    group = True

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        if self.command is None:
            await world.group.send_text(person, self.text or ".")
        else:
            _, _, addressee = self.command.partition("@")
            if addressee.casefold() in ("", "crossroads_test_bot"):
                world.group_commands += 1  # commands for other bots get no reply
            await world.group.send_command(person, self.command, args=self.text or None, mention=self.mention)


@dataclass(frozen=True)
class ChannelPost(Action):
    """A post (or an edited post) in a channel the bot is in, possibly looking like a command."""

    text: str
    command: bool
    edited: bool

    async def run(self, world: World) -> None:
        text = self.text or "."
        if self.command:
            text = "/start " + text
        post: dict[str, Any] = {"message_id": next(world.channel_ids), "sender_chat": world.channel,
                                "chat": world.channel, "date": int(time.time()), "text": text}
        if self.command:
            post["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
        if self.edited:
            post["edit_date"] = int(time.time())
        await world.server.push_update({"edited_channel_post" if self.edited else "channel_post": post})


@dataclass(frozen=True)
class OtherUpdate(Action):
    """Updates the bot has no handler for, or messages with content it does not know."""

    user: int
    kind: str  # reaction, inline_query, poll_answer, group_join, unknown_kind, extra_fields, unknown_content
    text: str = ""

    async def run(self, world: World) -> None:
        person = world.users[self.user]
        now = int(time.time())
        if self.kind == "reaction":
            update: dict[str, Any] = {"message_reaction": {
                "chat": person.chat, "message_id": world.some_bot_message(self.user, 0) or 1, "user": person.user,
                "date": now, "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}
        elif self.kind == "inline_query":
            update = {"inline_query": {"id": f"iq-{next(world.raw_ids)}", "from": person.user,
                                       "query": clip_utf16(self.text, 256), "offset": ""}}
        elif self.kind == "poll_answer":
            update = {"poll_answer": {"poll_id": "5", "user": person.user, "option_ids": [0],
                                      "option_persistent_ids": ["a"]}}
        elif self.kind == "group_join":
            member = {"user": person.user, "status": "member"}
            update = {"chat_member": {"chat": world.group.chat, "from": person.user, "date": now,
                                      "old_chat_member": {**member, "status": "left"}, "new_chat_member": member}}
        elif self.kind == "unknown_kind":
            update = {"future_update_kind": {"chat": person.chat, "payload": self.text}}
        else:
            message: dict[str, Any] = {"message_id": person.state.next_message_id(), "from": person.user,
                                       "chat": person.chat, "date": now}
            if self.kind == "extra_fields":
                message.update({"text": self.text or "?", "future_field": {"nested": [1, {"x": None}]}})
                update = {"message": message, "future_top_level": {"x": 1}}
            else:  # unknown_content: a message with no content the bot knows
                message["future_content"] = {"id": 1, "payload": self.text}
                update = {"message": message}
            if person.is_blocked:
                await person.unblock_bot()  # writing to a blocked bot restarts it, as in the apps
        await world.server.push_update(update)


# -- strategies ----------------------------------------------------------------------------
private_chat = st.sampled_from(PRIVATE_CHAT_IDS)
picks = st.integers(0, 10**6)


def _weighted(*pairs: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in pairs for _ in range(weight)]).flatmap(lambda s: s)


actions: st.SearchStrategy[Action] = _weighted(
    (4, st.builds(SendText, private_chat, free_text, st.booleans())),
    (3, st.builds(SendText, private_chat, typed_answer, st.just(False))),
    (3, st.builds(SendCommand, private_chat, st.sampled_from(COMMAND_WORDS), command_args)),
    (5, st.builds(PressOnScreen, private_chat, picks)),
    (2, st.builds(PressFromHistory, private_chat, picks)),
    (2, st.builds(PressCopied, private_chat, private_chat, picks, st.booleans())),
    (3, st.builds(PressForged, private_chat, forged_data, st.sampled_from(["latest", "any", "missing"]), picks)),
    (1, st.builds(RawCallback, private_chat, forged_data, st.sampled_from(["no_data", "inaccessible", "group"]),
                  picks)),
    (2, st.builds(SendMedia, private_chat, st.sampled_from(["sticker", "photo", "document", "location"]),
                  st.one_of(st.none(), short_text))),
    (1, st.builds(EditLastText, private_chat, free_text)),
    (1, st.builds(Block, private_chat)),
    (1, st.builds(Unblock, private_chat)),
    (1, st.builds(GroupPost, private_chat, short_text, st.one_of(st.none(), st.sampled_from(COMMAND_WORDS)),
                  st.booleans())),
    (1, st.builds(ChannelPost, short_text, st.booleans(), st.booleans())),
    (1, st.builds(OtherUpdate, private_chat, st.sampled_from(
        ["reaction", "inline_query", "poll_answer", "group_join", "unknown_kind", "extra_fields", "unknown_content"]),
        short_text)),
)


def update_batches(min_size: int = 6, max_size: int = 20) -> st.SearchStrategy[list[Action]]:
    """A batch of hostile actions, fed to the bot before it is settled and checked."""
    return st.lists(actions, min_size=min_size, max_size=max_size)


# -- the world: one server, one bot, the books ---------------------------------------------
@dataclass
class QueryRecord:
    """A callback query the test pressed; ``exempt`` once its person blocked the bot."""

    query_id: str
    user: int
    chat_id: int | None
    exempt: bool
    verified: bool = False


@dataclass
class World:
    """The fake server, the bot process and what the invariants need to know."""

    server: FakeBotApi
    bot: BotProcess
    users: dict[int, SimulatedUser] = field(default_factory=dict)
    block_intervals: dict[int, list[list[float]]] = field(default_factory=lambda: defaultdict(list))
    queries: list[QueryRecord] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)
    group_dirty: bool = False
    group_commands: int = 0
    fed: int = 0
    dropped: int = 0
    batches: int = 0
    sentinels: int = 0
    raw_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    channel_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _missing_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(900_000))

    def __post_init__(self) -> None:
        for chat_id in PRIVATE_CHAT_IDS:
            self.users[chat_id] = self.server.user(user_id=chat_id, first_name=f"Person{chat_id}")
        self.group = self.server.group(GROUP_CHAT_ID, "Hostile Group")
        self.channel = {"id": CHANNEL_CHAT_ID, "title": "Hostile Channel", "type": "channel"}

    # -- lookups used by actions ----------------------------------------------------------
    def button_history(self, chat_id: int) -> list[tuple[int, str]]:
        """(message id, data) of every callback button the bot ever showed in the chat."""
        found: list[tuple[int, str]] = []
        for message in self.users[chat_id].all_messages:
            for version in message.versions:
                found.extend((message.message_id, data) for row in version.buttons for _, data in row if data)
        return list(dict.fromkeys(found))

    def some_keyboard_message(self, chat_id: int, pick: int) -> int:
        """A message of the chat that has, or had, a keyboard; a missing id when there is none."""
        ids = list(dict.fromkeys(message_id for message_id, _ in self.button_history(chat_id)))
        return ids[pick % len(ids)] if ids else self.missing_message_id()

    def some_bot_message(self, chat_id: int, pick: int) -> int | None:
        messages = self.users[chat_id].all_messages
        return messages[pick % len(messages)].message_id if messages else None

    def missing_message_id(self) -> int:
        return next(self._missing_ids)

    def track_query(self, query_id: str, user: int, chat_id: int | None) -> None:
        self.queries.append(QueryRecord(query_id, user, chat_id, exempt=self.users[user].is_blocked))

    async def press(self, person: SimulatedUser, message_id: int, data: str, *, force: bool = True) -> None:
        exempt = person.is_blocked
        query_id = await person.press(message_id, data, force=force)
        self.queries.append(QueryRecord(query_id, person.id, person.id, exempt=exempt))

    # -- running ------------------------------------------------------------------------------
    async def apply(self, action: Action, *, count: bool = True) -> None:
        """Run one action and book what it changed (``count``: it is one of the random ones)."""
        blocked_before = {chat_id: user.is_blocked for chat_id, user in self.users.items()}
        updates, dropped = len(self.server.updates), len(self.server.dropped_updates)
        moment = time.monotonic()  # no await happens between this and a block flag flipping
        await action.run(self)
        for chat_id, user in self.users.items():
            if user.is_blocked and not blocked_before[chat_id]:
                self.block_intervals[chat_id].append([moment, float("inf")])
                for query in self.queries:
                    if query.user == chat_id and not query.verified:
                        query.exempt = True
            elif blocked_before[chat_id] and not user.is_blocked:
                self.block_intervals[chat_id][-1][1] = moment
        if count:
            new_dropped = len(self.server.dropped_updates) - dropped
            self.fed += len(self.server.updates) - updates - new_dropped
            self.dropped += new_dropped
        chat = getattr(action, "user", None)  # the private chat the action is about, if any
        if chat is not None and not action.group:
            self.dirty.add(chat)
        if action.group or isinstance(action, RawCallback) and action.variant == "group":
            self.group_dirty = True

    async def run_batch(self, batch: list[Action]) -> None:
        """Feed a batch, then wait until the bot has handled all of it."""
        self.batches += 1
        for action in batch:
            await self.apply(action)
        await self.settle()

    async def guarded(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` unless the bot process dies first."""
        process = self.bot.process
        assert process is not None
        work = asyncio.ensure_future(awaitable)
        death = asyncio.ensure_future(process.wait())
        try:
            await asyncio.wait({work, death}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            death.cancel()
        if not work.done():
            work.cancel()
            raise AssertionError(f"the bot exited with {process.returncode}:\n{self.bot.log()[-4000:]}")
        return work.result()

    async def settle(self, *, everyone: bool = False) -> None:
        """Wait until the bot has handled every update sent so far to chats that can be reached.

        A unique unknown command is sent to each private chat that was used (blocked chats are
        left alone, unless ``everyone``: then the command unblocks them); its reply proves that
        every earlier update of that chat is done. Groups are settled by counting the "private
        chats only" replies to commands. Then every callback query that must be answered is
        awaited.
        """
        targets = sorted(PRIVATE_CHAT_IDS if everyone else self.dirty)
        waits: list[Coroutine[Any, Any, Any]] = []
        for chat_id in targets:
            user = self.users[chat_id]
            if user.is_blocked and not everyone:
                continue
            self.sentinels += 1
            token = f"/sentinel{self.sentinels}x"
            await self.apply(_Sentinel(chat_id, token), count=False)
            waits.append(user.wait_for_message(_mentions(token), timeout=SETTLE_TIMEOUT))
            self.dirty.discard(chat_id)
        if self.group_dirty:
            self.group_commands += 1
            await self.group.send_command(self.users[PRIVATE_CHAT_IDS[0]], "/sentinel")
            expected = self.group_commands
            waits.append(self.server.wait_until(lambda: len(self.group.all_messages) >= expected,
                                                timeout=SETTLE_TIMEOUT))
            self.group_dirty = False
        await self.guarded(asyncio.gather(*waits))
        pending = [query for query in self.queries if not query.verified and not query.exempt]
        with contextlib.suppress(TimeoutError):  # the invariant check names the unanswered queries
            await self.guarded(self.server.wait_until(
                lambda: all(self.server.callback_answer(query.query_id) for query in pending),
                timeout=SETTLE_TIMEOUT))
        for query in pending:
            query.verified = self.server.callback_answer(query.query_id) is not None

    def unanswered_queries(self) -> list[QueryRecord]:
        """Callback queries that had to be answered (their person never blocked the bot while
        they were pending) and were not."""
        return [query for query in self.queries if not query.verified and not query.exempt]

    async def drain(self) -> None:
        """Wait until the bot has fetched every queued update (so a SIGTERM finishes them)."""
        await self.guarded(self.server.wait_until(lambda: not self.server.pending_updates, timeout=SETTLE_TIMEOUT))

    def chat_writes(self, chat_id: int) -> list[Any]:
        """Finished requests that write into ``chat_id``."""
        return [record for record in self.server.requests
                if record.method.lower() not in NOT_CHAT_WRITES and record.finished_at is not None
                and record.params.get("chat_id") in (chat_id, str(chat_id))]


@dataclass(frozen=True)
class _Sentinel(Action):
    user: int
    token: str

    async def run(self, world: World) -> None:
        await world.users[self.user].send_command(self.token)


def _mentions(token: str) -> Callable[[Any], bool]:
    return lambda message: token in (message.plain or "")


# -- running the world on a background event loop --------------------------------------------
class LiveBot:
    """A fake Bot API server and one ``python -m bot`` process, alive for a whole test.

    They run on an event loop in a background thread; :meth:`call` runs a coroutine there and
    returns its result (or raises its exception) in the calling thread.
    """

    def __init__(self, workdir: Path, **bot_env: str) -> None:
        self._workdir = workdir
        self._bot_env = bot_env
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-bot-api", daemon=True)
        self.world: World | None = None

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 300.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> World:
        server = FakeBotApi(set_webhook_cooldown=0)
        await server.start()
        bot = BotProcess(server, self._workdir, extra_env=dict(self._bot_env))
        await bot.start()
        return World(server, bot)

    async def _stop(self) -> None:
        if self.world is None:
            return
        try:
            bot = self.world.bot
            if bot.process is not None and bot.process.returncode is None:
                await bot.stop()
        finally:
            await self.world.server.stop()

    def __enter__(self) -> LiveBot:
        self._thread.start()
        try:
            self.world = self.call(self._start(), timeout=60)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._thread.is_alive():
                self.call(self._stop(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()


__all__ = ["BLOCKED", "CHANNEL_CHAT_ID", "CONTENT", "GROUP_CHAT_ID", "PRIVATE_CHAT_IDS", "Action", "LiveBot",
           "World", "clip_utf16", "update_batches"]
