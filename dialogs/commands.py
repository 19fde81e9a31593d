"""Typed input to events: slash commands and free text, shared by every front end."""

from __future__ import annotations

from dialogs.content import PATH_IDS, PATH_NAMES
from dialogs.events import Event, EventKind

COMMANDS: dict[str, EventKind] = {
    "start": EventKind.START,
    "restart": EventKind.RESTART,
    "back": EventKind.BACK,
    "explain": EventKind.EXPLAIN,
    "why": EventKind.WHY,
    "help": EventKind.HELP,
    "privacy": EventKind.PRIVACY,
    "forget": EventKind.FORGET,
}
MAX_COMMAND_ECHO = 32


def path_from_text(text: str) -> str:
    """A path id from 'hybrid', 'Generative AI career', 'side-hustle'...; '' when none; the
    cleaned text itself when it names no path (the engine then says it is unknown)."""
    cleaned = "_".join(text.casefold().replace("-", " ").split())
    if not cleaned:
        return ""
    for path_id in PATH_IDS:
        if cleaned in (path_id, "_".join(PATH_NAMES[path_id].casefold().split())):
            return path_id
    if cleaned in ("ai", "generative_ai_job", "gen_ai", "genai"):
        return "generative_ai"
    return cleaned[:MAX_COMMAND_ECHO]


def parse_input(text: str, bot_username: str = "") -> Event:
    """Turn one typed line into an event: a command, or free text for the current question."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return Event(EventKind.TEXT, text=stripped)
    head, _, rest = stripped[1:].partition(" ")
    name, _, mention = head.partition("@")
    if mention and bot_username and mention.casefold() != bot_username.casefold():
        return Event(EventKind.TEXT, text=stripped)
    kind = COMMANDS.get(name.casefold())
    if kind is None:
        return Event(EventKind.UNKNOWN, text="/" + name[:MAX_COMMAND_ECHO])
    if kind is EventKind.EXPLAIN:
        return Event(kind, text=path_from_text(rest))
    return Event(kind)
