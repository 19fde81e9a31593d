"""The command registry, and typed slash commands to events.

A command is declared once, in :data:`COMMANDS`. Everything else is derived from it: the
slash-command parser below, the Telegram command menu and /help (descriptions from
content/<language>/commands.yaml), the plain words that invoke it (the same catalogue, matched in
:mod:`dialogs.understanding`), the machine's triggers (:mod:`dialogs.machine`) and the words
answer labels may not start with (:mod:`bot.content_files.loader`).

Adding a command: one entry here and its words in each language's catalogue. A command that
shows a text names it (``info_text``) and is done; one that does something names nothing more
here and gets its handler in the engine's command table (keyed by the command's name; the
engine refuses to start without it). Only commands that move through the dialog machine or
travel on buttons keep an :class:`EventKind` of their own; the rest are ``EventKind.COMMAND``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dialogs.events import Event, EventKind

MAX_COMMAND_ECHO = 32
#: Unicode categories never echoed back: controls (Cc: bell, escape, newlines), format characters
#: (Cf: right-to-left overrides, embeddings and isolates, direction marks, zero-width
#: characters), lone surrogates (Cs: a reply holding one cannot be encoded), and line and
#: paragraph separators (Zl, Zp).
UNECHOED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class Command:
    """One command. ``info_text`` names the texts.yaml key of a command that only shows a text
    and changes nothing; ``takes_argument`` commands read what follows them (/explain a path,
    /change a question)."""

    name: str
    kind: EventKind = EventKind.COMMAND
    info_text: str | None = None
    takes_argument: bool = False
    in_menu: bool = True
    #: Only for the operator's chats (ADMIN_CHAT_IDS); everyone else is told it is unknown.
    admin_only: bool = False
    #: Said in plain words too (its catalogue ``phrases`` must not be empty); False for a
    #: button's typed form only.
    has_words: bool = True

    @property
    def is_machine_trigger(self) -> bool:
        """Commands that move through the dialog machine (the others never change state)."""
        return self.info_text is None and self.kind not in (EventKind.COMMAND, EventKind.FORGET, EventKind.LANGUAGE,
                                                            EventKind.VERDICT)

    @property
    def needs_handler(self) -> bool:
        """A registry-only command that does more than show a text: the engine's table handles it."""
        return self.kind is EventKind.COMMAND and self.info_text is None


COMMANDS: tuple[Command, ...] = (
    Command("start", EventKind.START),
    Command("restart", EventKind.RESTART),
    Command("back", EventKind.BACK),
    Command("explain", EventKind.EXPLAIN, takes_argument=True),
    Command("why", EventKind.WHY),
    Command("plan", EventKind.PLAN),
    Command("whatif", in_menu=False),
    Command("change", EventKind.CHANGE, takes_argument=True),
    Command("remind", EventKind.REMIND, in_menu=False),
    Command("language", EventKind.LANGUAGE, takes_argument=True),
    Command("help", info_text="help"),
    Command("privacy", info_text="privacy"),
    Command("forget", EventKind.FORGET),
    Command("stats", in_menu=False, admin_only=True),
    # The result's "Does this feel right?" buttons, typed (the console's shortcuts: /verdict yes,
    # no, or a path); no plain words, so that "not really" stays an answer mid-quiz.
    Command("verdict", EventKind.VERDICT, takes_argument=True, in_menu=False, has_words=False),
)
COMMANDS_BY_NAME: Mapping[str, Command] = MappingProxyType({command.name: command for command in COMMANDS})
#: Commands with a kind of their own (the machine's triggers, button commands), by kind.
COMMANDS_BY_KIND: Mapping[EventKind, Command] = MappingProxyType(
    {command.kind: command for command in COMMANDS if command.kind is not EventKind.COMMAND})


def command_for(event: Event) -> Command | None:
    """The registry command an event stands for, if any."""
    if event.kind is EventKind.COMMAND:
        return COMMANDS_BY_NAME.get(event.command)
    return COMMANDS_BY_KIND.get(event.kind)


def echoable(text: str) -> str:
    """``text`` as it may be said back to the person: without the characters that would garble
    the reply or a terminal (:data:`UNECHOED_CATEGORIES`), such as "/\u202eevil\u0007"."""
    return "".join(character for character in text if unicodedata.category(character) not in UNECHOED_CATEGORIES)


def command_event(command: Command, argument: str = "") -> Event:
    """The event a command produces; only commands that take an argument keep it."""
    return Event(command.kind, text=argument[:MAX_COMMAND_ECHO] if command.takes_argument else "",
                 command=command.name if command.kind is EventKind.COMMAND else "")


def parse_input(text: str, bot_username: str = "") -> Event:
    """Turn one typed line into an event: a slash command, or free text (understood by the engine)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return Event(EventKind.TEXT, text=stripped)
    head, _, rest = stripped[1:].partition(" ")
    name, _, mention = head.partition("@")
    if mention and bot_username and mention.casefold() != bot_username.casefold():
        return Event(EventKind.TEXT, text=stripped)
    command = COMMANDS_BY_NAME.get(name.casefold())
    if command is None:
        # Cleaned (from a bounded head: the name may be the whole message) before it is bounded.
        return Event(EventKind.UNKNOWN, text="/" + echoable(name[:4 * MAX_COMMAND_ECHO])[:MAX_COMMAND_ECHO])
    return command_event(command, rest.strip())
