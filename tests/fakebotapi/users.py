"""Simulated Telegram users and chats that talk to the bot through the fake Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .entities import utf16_len
from .models import BotMessage, ChatActionRecord

if TYPE_CHECKING:
    from .server import FakeBotApi

__all__ = ["ChatState", "MessagePredicate", "SimulatedChat", "SimulatedGroup", "SimulatedUser"]

MessagePredicate = Callable[[BotMessage], Any] | str | None


@dataclass(slots=True)
class _MessageWaiter:
    predicate: Callable[[BotMessage], Any]
    future: asyncio.Future[tuple[int, BotMessage]]
    since: int


@dataclass(slots=True)
class ChatState:
    """Server-side state of one chat (shared by the server and its Simulated* views)."""

    chat: dict[str, Any]
    started: bool = True
    blocked: bool = False
    last_message_id: int = 0
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_user_message_ids: set[int] = field(default_factory=set)
    chat_actions: list[ChatActionRecord] = field(default_factory=list)
    events: list[tuple[int, BotMessage]] = field(default_factory=list)
    waiters: list[_MessageWaiter] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        """The chat id."""
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        """private, group, supergroup or channel."""
        return str(self.chat.get("type", "private"))

    def next_message_id(self) -> int:
        """Allocate the next message id (shared by the bot and users, as in Telegram)."""
        self.last_message_id += 1
        return self.last_message_id

    def note_message_id(self, message_id: int) -> None:
        """Make sure future ids are larger than an externally chosen ``message_id``."""
        self.last_message_id = max(self.last_message_id, message_id)

    def forbidden_reason(self) -> str | None:
        """Why the bot may not send here (``None`` if it may)."""
        if self.blocked:
            return {
                "private": "bot was blocked by the user",
                "group": "bot was kicked from the group chat",
                "supergroup": "bot was kicked from the supergroup chat",
            }.get(self.type, "bot is not a member of the channel chat")
        if self.type == "private" and not self.started:
            return "bot can't initiate conversation with a user"
        return None

    def emit(self, seq: int, message: BotMessage) -> None:
        """Record that ``message`` was sent or edited and wake matching waiters."""
        self.events.append((seq, message))
        for waiter in list(self.waiters):
            if waiter.future.done() or seq <= waiter.since:
                continue
            try:
                matched = waiter.predicate(message)
            except Exception as exc:  # surface predicate bugs in the waiting test
                waiter.future.set_exception(exc)
                continue
            if matched:
                waiter.future.set_result((seq, message))
        self.waiters = [w for w in self.waiters if not w.future.done()]


def _as_predicate(predicate: MessagePredicate) -> Callable[[BotMessage], Any]:
    if predicate is None:
        return lambda message: True
    if isinstance(predicate, str):
        needle = predicate
        return lambda message: needle in (message.plain or "")
    return predicate


class SimulatedChat:
    """Test-side view of a chat: the bot's messages in it and helpers to await them."""

    def __init__(self, server: FakeBotApi, state: ChatState) -> None:
        self._server = server
        self._state = state
        self._cursor = server.event_seq

    @property
    def id(self) -> int:
        """Chat id."""
        return self._state.id

    @property
    def chat(self) -> dict[str, Any]:
        """The ``Chat`` JSON object."""
        return dict(self._state.chat)

    @property
    def state(self) -> ChatState:
        """Underlying server-side state (for advanced assertions)."""
        return self._state

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat (not deleted), oldest first, in current state."""
        return [m for m in self._state.bot_messages.values() if not m.deleted]

    @property
    def all_messages(self) -> list[BotMessage]:
        """All bot messages including deleted ones."""
        return list(self._state.bot_messages.values())

    @property
    def last_message(self) -> BotMessage | None:
        """The bot's most recent (not deleted) message."""
        messages = self.messages
        return messages[-1] if messages else None

    def message(self, message_id: int) -> BotMessage:
        """The bot message with ``message_id`` (raises ``KeyError``)."""
        return self._state.bot_messages[message_id]

    @property
    def chat_actions(self) -> list[ChatActionRecord]:
        """Accepted ``sendChatAction`` calls for this chat."""
        return list(self._state.chat_actions)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the custom reply keyboard currently shown, if any."""
        markup = self._state.reply_keyboard
        if not markup:
            return None
        return [[button["text"] for button in row] for row in markup["keyboard"]]

    async def _post(self, sender: dict[str, Any], content: dict[str, Any], reply_to: int | None = None) -> dict[str, Any]:
        """``sender`` posts ``content`` here: a ``message`` update the bot receives."""
        message: dict[str, Any] = {
            "message_id": self._state.next_message_id(), "from": dict(sender), "chat": dict(self._state.chat),
            "date": int(time.time()), **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = self._server.message_json(self.id, reply_to)
        self._state.user_messages[message["message_id"]] = message
        self._touch()
        await self._server.push_update({"message": message})
        return message

    @staticmethod
    def _command(word: str, args: str | None, name: str) -> dict[str, Any]:
        """``word [args]`` as text, ``name`` at its start marked as a ``bot_command``."""
        text = word if not args else f"{word} {args}"
        return {"text": text, "entities": [{"offset": 0, "length": utf16_len(name), "type": "bot_command"}]}

    def mark(self) -> int:
        """Current event sequence number; pass as ``since`` to only see later bot output."""
        return self._server.event_seq

    def _touch(self) -> None:
        """Reset the wait cursor: subsequent waits only see bot output after this action."""
        self._cursor = self._server.event_seq

    async def wait_for_message(
        self,
        predicate: MessagePredicate = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> BotMessage:
        """Wait until a bot message (new or edited) in this chat satisfies ``predicate``.

        ``predicate`` is a callable taking a :class:`BotMessage`, a substring of the parsed
        text, or ``None`` (any message). Only output after ``since`` is considered; by
        default that is the later of this chat's last user action (send/press) and the
        previous successful wait, so consecutive waits return consecutive messages.
        Raises ``TimeoutError`` with a summary of what the bot did instead.
        """
        check = _as_predicate(predicate)
        start = self._cursor if since is None else since
        for seq, message in self._state.events:
            if seq > start and not message.deleted and check(message):
                self._cursor = seq
                return message
        loop = asyncio.get_running_loop()
        waiter = _MessageWaiter(check, loop.create_future(), start)
        self._state.waiters.append(waiter)
        try:
            seq, message = await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"chat {self.id}: no bot message matching {predicate!r} within {timeout}s.\n"
                + self._server.describe(chat_id=self.id)
            ) from None
        finally:
            if waiter in self._state.waiters:
                self._state.waiters.remove(waiter)
        self._cursor = seq
        return message


class SimulatedUser(SimulatedChat):
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(self, server: FakeBotApi, state: ChatState, user: dict[str, Any]) -> None:
        super().__init__(server, state)
        self._user = user

    def __repr__(self) -> str:
        return f"<SimulatedUser {self.id} {self._user.get('first_name')!r}>"

    @property
    def user(self) -> dict[str, Any]:
        """The ``User`` JSON object."""
        return dict(self._user)

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return str(self._user["first_name"])

    @property
    def username(self) -> str | None:
        """The user's username, if any."""
        return self._user.get("username")

    @property
    def is_blocked(self) -> bool:
        """True while the user has blocked the bot."""
        return self._state.blocked

    # -- sending -------------------------------------------------------------------------

    async def _send(self, content: dict[str, Any], *, reply_to: int | None = None) -> dict[str, Any]:
        if self._state.blocked:
            await self.unblock_bot()  # writing to a blocked bot restarts it, like the apps do
        self._state.started = True
        return await self._post(self._user, content, reply_to)

    async def send_text(self, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        """Send a text message; returns the ``Message`` JSON the bot will receive."""
        return await self._send({"text": text}, reply_to=reply_to)

    async def send_command(self, command: str, args: str | None = None) -> dict[str, Any]:
        """Send ``/command [args]`` with a ``bot_command`` entity (leading '/' optional)."""
        word = command if command.startswith("/") else f"/{command}"
        return await self._send(self._command(word, args, word.split()[0]))

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a regular sticker."""
        sticker = {
            **self._server.file_ids("CAACAgIAAxkBAAI"), "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "emoji": emoji, "set_name": "TestStickers", "file_size": 23_456,
        }
        return await self._send({"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        """Send a photo (three sizes), optionally with a caption."""
        sizes = [{**self._server.file_ids("AgACAgIAAxkBAAI"), "width": w, "height": w, "file_size": w * 40}
                 for w in (90, 320, 800)]
        return await self._send({"photo": sizes, **({"caption": caption} if caption else {})})

    async def send_document(self, file_name: str = "notes.pdf", mime_type: str = "application/pdf") -> dict[str, Any]:
        """Send a document."""
        ids = self._server.file_ids("BQACAgIAAxkBAAI")
        return await self._send({"document": {**ids, "file_name": file_name, "mime_type": mime_type, "file_size": 12_345}})

    async def send_location(self, latitude: float = 52.52, longitude: float = 13.405) -> dict[str, Any]:
        """Send a location."""
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def edit_message(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of this user's own text messages (``edited_message`` update)."""
        original = self._state.user_messages.get(message_id)
        if original is None or "text" not in original:
            raise LookupError(f"user {self.id} has no text message {message_id} to edit")
        edited = {**original, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        self._state.user_messages[message_id] = edited
        self._touch()
        await self._server.push_update({"edited_message": edited})
        return edited

    # -- buttons ---------------------------------------------------------------------------

    async def press(self, message_id: int, callback_data: str, *, force: bool = False) -> str:
        """Press an inline button; returns the callback query id.

        The bot message must exist and currently show a button with ``callback_data``
        (a real client can only press what is on screen); ``force=True`` skips that check
        to simulate stale/forged callback data.
        """
        message = self._state.bot_messages.get(message_id)
        if not force:
            if message is None or message.deleted:
                raise LookupError(f"chat {self.id} has no bot message {message_id}")
            if callback_data not in message.callback_data:
                raise LookupError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"buttons: {message.buttons}"
                )
        self._touch()
        return await self._server.push_callback_query(self, message_id, callback_data)

    async def inline_query(self, query: str = "", chat_type: str = "sender") -> str:
        """Type "@bot ``query``" in a chat (``chat_type`` as Telegram reports it); returns the
        inline query id (see ``FakeBotApi.inline_answer``)."""
        self._touch()
        return await self._server.push_inline_query(self, query, chat_type)

    async def press_button(self, label: str, *, message_id: int | None = None) -> str:
        """Press the button whose label equals/contains ``label``; returns the query id.

        Uses the bot's latest message that has an inline keyboard unless ``message_id``
        is given.
        """
        if message_id is None:
            candidates = [m for m in self.messages if m.buttons]
            if not candidates:
                raise LookupError(f"chat {self.id}: no bot message with an inline keyboard")
            message = candidates[-1]
        else:
            message = self._state.bot_messages[message_id]
        button_label, data = message.find_button(label)
        if data is None:
            raise LookupError(f"button {button_label!r} is not a callback button")
        return await self.press(message.message_id, data)

    # -- membership ------------------------------------------------------------------------

    async def block_bot(self) -> None:
        """Block the bot: sends now fail with 403; a ``my_chat_member`` "kicked" update."""
        await self._set_blocked(True)

    async def unblock_bot(self) -> None:
        """Unblock (restart) the bot: ``my_chat_member`` back to "member"."""
        await self._set_blocked(False)

    async def _set_blocked(self, blocked: bool) -> None:
        if self._state.blocked == blocked:
            return
        self._state.blocked = blocked
        self._touch()
        bot = self._server.bot_user

        def member(status: str) -> dict[str, Any]:
            return {"user": dict(bot), "status": status, **({"until_date": 0} if status == "kicked" else {})}

        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        await self._server.push_update({"my_chat_member": {
            "chat": dict(self._state.chat), "from": dict(self._user), "date": int(time.time()),
            "old_chat_member": member(old), "new_chat_member": member(new),
        }})


class SimulatedGroup(SimulatedChat):
    """A group/supergroup the bot is a member of; users post into it."""

    def __repr__(self) -> str:
        return f"<SimulatedGroup {self.id} {self._state.chat.get('title')!r}>"

    async def send_text(self, user: SimulatedUser, text: str) -> dict[str, Any]:
        """``user`` posts ``text`` in the group."""
        return await self._post(user.user, {"text": text})

    async def send_command(
        self, user: SimulatedUser, command: str, args: str | None = None, *, mention: bool = True
    ) -> dict[str, Any]:
        """``user`` sends ``/command@botname [args]`` (``mention=False`` omits ``@botname``)."""
        word = command if command.startswith("/") else f"/{command}"
        if mention and "@" not in word:
            word = f"{word}@{self._server.bot_user['username']}"
        return await self._post(user.user, self._command(word, args, word))
