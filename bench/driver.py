"""The closed-loop load driver: ``users`` people take the quiz at once, each sending its next
update only when the previous one is fully processed.

Every quiz is one fresh person: /start, then one press per question (8 updates, all counted).
An update's latency runs from the moment its JSON is handed to the bot (parsed with
``Update.de_json`` and put on the Application's update queue, as the webhook server does) until
the system has finished processing it (its last handler group ran).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from itertools import count
from time import perf_counter, process_time, thread_time
from typing import Any

from telegram import Update

from bench.loopwatch import LoopReport, LoopWatch
from bench.population import FIRST_LIVE_CHAT_ID
from bench.systems import RunningSystem
from bench.transport import CannedRequest
from bench.updates import UpdateFactory, callback_data_of, decode_keyboard


class DriverError(RuntimeError):
    """The system did not behave like the quiz (no keyboard to press, an unchanged question)."""


@dataclass
class Phase:
    """What one measured phase produced."""

    updates: int
    seconds: float
    latencies: list[float]
    loop: LoopReport
    loop_cpu_seconds: float
    """CPU time of the event-loop thread (where every handler runs)."""
    process_cpu_seconds: float
    """CPU time of the whole process (with aiosqlite's thread)."""


class Driver:
    """Feeds synthetic updates to a started system. Pass :meth:`on_done` to the system builder."""

    def __init__(self, questions: int, seed: int = 1) -> None:
        self._questions = questions
        self._seed = seed
        self._factory = UpdateFactory()
        self._chat_ids = count(FIRST_LIVE_CHAT_ID)
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._system: RunningSystem | None = None
        self._name = ""
        self._prefix = ""
        self._transport: CannedRequest | None = None
        self.quizzes_run = 0
        #: Quizzes whose last answer was followed by a message (the result) in the same update.
        self.results_sent = 0

    def on_done(self, update: Update) -> None:
        """The system finished ``update``."""
        future = self._pending.pop(update.update_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    def attach(self, system: RunningSystem) -> None:
        """The system to drive (built with this driver's :meth:`on_done`)."""
        assert system.transport is not None
        self._system = system
        self.watch(system.name, system.answer_prefix, system.transport)

    def watch(self, name: str, answer_prefix: str, transport: CannedRequest) -> None:
        """Which system runs, its answer buttons' prefix, and the transport that sees its calls."""
        self._name, self._prefix, self._transport = name, answer_prefix, transport

    async def _submit(self, payload: dict[str, Any]) -> float:
        assert self._system is not None
        application = self._system.application
        started = perf_counter()
        update = Update.de_json(payload, application.bot)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[update.update_id] = future
        application.update_queue.put_nowait(update)
        await future
        return perf_counter() - started

    async def _quiz(self, rng: random.Random, latencies: list[float]) -> None:
        assert self._transport is not None
        transport, prefix = self._transport, self._prefix
        chat_id = next(self._chat_ids)
        latencies.append(await self._submit(self._factory.command(chat_id)))
        previous = None
        for _ in range(self._questions):
            shown = transport.keyboards.get(chat_id)
            if shown is None or shown == previous:  # a new message, or the tapped one showing the next question
                raise DriverError(f"{self._name}: no new question for chat {chat_id}")
            previous = shown
            keyboard = decode_keyboard(shown)
            choices = [data for data in callback_data_of(keyboard) if data.startswith(prefix)]
            if not choices:
                raise DriverError(f"{self._name}: no answer buttons for chat {chat_id}")
            payload = self._factory.button_press(chat_id, shown, keyboard, rng.choice(choices))
            sent_before = transport.messages_sent(chat_id)
            latencies.append(await self._submit(payload))
        shown = transport.keyboards.get(chat_id)
        if transport.messages_sent(chat_id) > sent_before or (  # the result sent anew, or shown in place
                shown is not None and shown != previous and not any(
                    data.startswith(prefix) for data in callback_data_of(decode_keyboard(shown)))):
            self.results_sent += 1
        transport.forget(chat_id)
        self.quizzes_run += 1

    async def run(self, quizzes: int, users: int) -> list[float]:
        """Run ``quizzes`` quizzes with ``users`` of them in flight at once; per-update latencies."""
        latencies: list[float] = []
        remaining = quizzes

        async def person(rng: random.Random) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await self._quiz(rng, latencies)

        await asyncio.gather(*(person(random.Random(self._seed * 100_003 + slot)) for slot in range(users)))
        return latencies

    async def measure(self, quizzes: int, users: int) -> Phase:
        """A measured phase, with the event loop watched."""
        watch = LoopWatch()
        watch.start()
        started, loop_cpu, process_cpu = perf_counter(), thread_time(), process_time()
        latencies = await self.run(quizzes, users)
        seconds = perf_counter() - started
        loop_cpu, process_cpu = thread_time() - loop_cpu, process_time() - process_cpu
        return Phase(len(latencies), seconds, latencies, await watch.stop(), loop_cpu, process_cpu)
