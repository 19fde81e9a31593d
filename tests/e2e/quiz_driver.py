"""A simulated person who plays the quiz through the fake server, tolerant of bot restarts."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dialogs.content import Content
from tests.fakebotapi import FakeBotApi

HEADER = re.compile(r"Question (\d+) of (\d+)")


def question_number(text: str | None) -> int | None:
    match = HEADER.search(text or "")
    return int(match.group(1)) if match else None


@dataclass
class QuizPlayer:
    """Answers ``choices`` (option index per question) and records what the bot acknowledged."""

    server: FakeBotApi
    content: Content
    user_id: int
    choices: list[int]
    acknowledged: dict[int, str] = field(default_factory=dict)  # question number -> option id
    finished: bool = False

    @property
    def user(self):
        return self.server.user(user_id=self.user_id)

    def current_prompt(self):
        """The latest question on screen that is past the last acknowledged answer, if any."""
        done = max(self.acknowledged, default=0)
        for message in reversed(self.user.messages):
            number = question_number(message.plain)
            if message.buttons and number is not None:
                return message if number > done else None
        return None

    def has_result(self) -> bool:
        return any((m.plain or "").startswith("Your best fit:") for m in self.user.messages)

    def _ready(self) -> bool:
        return self.current_prompt() is not None or self.has_result()

    async def step(self, ack_timeout: float) -> None:
        """Answer the question on screen, or ask the bot to show it; never raises on silence."""
        if self.has_result():
            self.finished = True
            return
        prompt = self.current_prompt()
        if prompt is None:
            # The next question may be on its way; if nothing comes, ask where we are.
            if not self.user.messages or not await self._wait(self._ready, ack_timeout):
                await self.user.send_command("/start")
                await self._wait(self._ready, ack_timeout)
            return
        number = question_number(prompt.plain)
        assert number is not None
        option = self.content.questions[number - 1].options[self.choices[number - 1]]
        await self.user.press_button(option.label, message_id=prompt.message_id)
        acked = await self._wait(lambda: self._moved_on(prompt.message_id, number), ack_timeout)
        if acked:
            self.acknowledged[number] = option.id
            return
        # Silence (the bot may have died before or after committing): ask where we are.
        await self.user.send_command("/start")
        await self._wait(lambda: self.has_result() or (
            (latest := self.current_prompt()) is not None and (question_number(latest.plain) or 0) > number),
            ack_timeout)

    def _moved_on(self, message_id: int, number: int) -> bool:
        """The tapped question was answered: closed ("Your answer: ..."), or turned in place into
        a later question or the result."""
        text = self.user.message(message_id).plain or ""
        return "Your answer:" in text or text.startswith("Your best fit:") or (question_number(text) or 0) > number

    async def _wait(self, predicate, timeout: float) -> bool:
        try:
            await self.server.wait_until(predicate, timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def play(self, ack_timeout: float = 5.0, max_steps: int = 200,
                   think: Callable[[], float] | None = None) -> None:
        """Play to the result; ``think`` gives a pause before each step (a person reading)."""
        for _ in range(max_steps):
            if think is not None:
                await asyncio.sleep(think())
            await self.step(ack_timeout)
            if self.finished:
                return
        raise AssertionError(f"user {self.user_id} did not finish in {max_steps} steps")
