"""The console chat: the whole quiz in a terminal, on the same engine and storage as Telegram."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TextIO

from dialogs.commands import parse_input
from dialogs.events import EventKind
from dialogs.replies import Outcome, Reply
from dialogs.service import DialogService

#: The console's chat id; Telegram never uses 0, so one database can serve both.
CONSOLE_CHAT_ID = 0
QUIT_COMMANDS = frozenset({"/quit", "/exit"})


def render(reply: Reply) -> str:
    """A reply as plain terminal text: answers with the number to type, other buttons as commands."""
    lines = [reply.plain_text.rstrip()]
    shortcuts: list[str] = []
    for row in reply.buttons:
        for button in row:
            if button.event.kind is EventKind.ANSWER:
                lines.append(f"  {button.shortcut}) {button.label}")
            elif button.shortcut:  # buttons with nothing to type (Share) do not apply here
                shortcuts.append(f"{button.label} = {button.shortcut}")
    if shortcuts:
        lines.append("  [" + " | ".join(shortcuts) + "]")
    return "\n".join(lines)


def render_outcome(outcome: Outcome) -> str:
    """Everything one event shows in the terminal."""
    parts = [outcome.notice] if outcome.notice else []
    parts.extend(render(reply) for reply in outcome.replies)
    return "\n\n".join(parts)


async def run_console(service: DialogService, language: str, stdin: TextIO, stdout: TextIO) -> int:
    """Play the quiz until /quit or end of input, in ``language`` unless the person has chosen
    another with /language; returns the exit status."""
    texts = service.engine_for(language).content.texts

    def show(text: str) -> None:
        stdout.write(text + "\n\n")
        stdout.flush()

    show(texts["console_intro"])
    show(render_outcome(await service.handle(CONSOLE_CHAT_ID, replace(parse_input("/start"), language=language))))
    while True:
        stdout.write(texts["console_prompt"])
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            stdout.write("\n")
            break
        if line.strip().casefold() in QUIT_COMMANDS:
            break
        if not line.strip():
            continue
        outcome = await service.handle(CONSOLE_CHAT_ID, replace(parse_input(line), language=language))
        texts = service.engine_for(outcome.session.language or language).content.texts
        show(render_outcome(outcome))
    show(texts["console_bye"])
    return 0
