"""Capacity under Telegram's limits: how many quizzes a second Crossroads finishes when Telegram,
not the CPU, is the ceiling.

    python -m bench.capacity [--people 200] [--workers 0 1 2 4] [--database-url URL]

The fake Bot API (this process) enforces Telegram's flood limits on every call into a chat (30 a
second for the bot with a burst of 30, one a second per chat with a burst of 3) and answers 429
beyond them. Crossroads runs as real ``python -m bot`` processes: workers=0 is one polling
process on SQLite; N > 0 is N webhook workers on PostgreSQL behind the fake's round-robin
balancer, sharing one budget through the database. ``people`` arrive within two seconds, start
with /start and tap one answer per question after a human think time (1 to 3 s).

Reported: quizzes finished a second (people / time from the first arrival to the last result),
calls per quiz (every call that carries a chat_id, the result card included), 429s (share of
chat calls), person-visible errors (the apology or nothing at all), and the p50/p95 time from a
tap to the next question (or the result) on screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bot.content_files.loader import load_content
from tests.e2e.harness import TELEGRAM_LIMITS_ENV, BotProcess, free_port
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
HEADER = re.compile(r"Question (\d+) of (\d+)")
RESULT = "Your best fit:"
APOLOGY = CONTENT.texts["internal_error"]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
THINK_SECONDS = (1.0, 3.0)
#: A person gives up on a question after this long (counted as stranded).
PATIENCE_SECONDS = 120.0


def _number(text: str | None) -> int:
    match = HEADER.search(text or "")
    return int(match.group(1)) if match else 0


@dataclass
class Person:
    """One person tapping through the quiz; records each tap's wait for what comes next."""

    server: FakeBotApi
    user_id: int
    rng: random.Random
    waits: list[float] = field(default_factory=list)
    finished_at: float | None = None
    stranded: bool = False

    def _screen(self) -> tuple[int, int, bool]:
        """(message id, question number) of the latest question with buttons; whether the result is there."""
        user = self.server.user(user_id=self.user_id)
        done = any((m.plain or "").startswith(RESULT) for m in user.messages)
        for message in reversed(user.messages):
            if message.buttons and _number(message.plain):
                return message.message_id, _number(message.plain), done
        return 0, 0, done

    def _moved_past(self, number: int) -> bool:
        _, shown, done = self._screen()
        return done or shown > number

    async def play(self) -> None:
        user = self.server.user(user_id=self.user_id)
        try:
            await user.send_command("/start")
            await self.server.wait_until(lambda: self._screen()[1] == 1, timeout=PATIENCE_SECONDS)
            for number in range(1, len(QUESTIONS) + 1):
                await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
                message_id, _, _ = self._screen()
                option = self.rng.choice(QUESTIONS[number - 1].options)
                tapped = time.monotonic()
                await user.press_button(option.label, message_id=message_id)
                await self.server.wait_until(partial(self._moved_past, number), timeout=PATIENCE_SECONDS)
                self.waits.append(time.monotonic() - tapped)
            self.finished_at = time.monotonic()
        except TimeoutError:
            self.stranded = True


async def measure(people: int, workers: int, database_url: str, work: Path, seed: int = 7) -> dict[str, float]:
    """One run: ``people`` through ``workers`` (0: one polling process on SQLite)."""
    rng = random.Random(seed)
    async with FakeBotApi(set_webhook_cooldown=0) as server:
        processes: list[BotProcess] = []
        if workers == 0:
            processes.append(BotProcess(server, work / "polling", extra_env=dict(TELEGRAM_LIMITS_ENV)))
            (work / "polling").mkdir()
            await processes[0].start()
        else:
            await _reset_postgres(database_url)
            ports = [free_port() for _ in range(workers)]
            server.webhook_backends = [f"http://127.0.0.1:{port}/hook" for port in ports]
            for number, port in enumerate(ports):
                (work / f"w{number}").mkdir()
                process = BotProcess(server, work / f"w{number}", extra_env={
                    **TELEGRAM_LIMITS_ENV, "DATABASE_URL": database_url, "WEBHOOK_URL": "http://127.0.0.1:8443/hook",
                    "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port), "WEBHOOK_SECRET": "capacity", "LOG_LEVEL": "INFO"})
                await process.start("--webhook", ready_method="setWebhook")
                processes.append(process)
        server.enable_flood_limits()
        first_call = len(server.requests)
        crowd = [Person(server, 50_000 + n, random.Random(rng.random())) for n in range(people)]
        started = time.monotonic()

        async def arrive(person: Person, delay: float) -> None:
            await asyncio.sleep(delay)
            await person.play()

        try:
            await asyncio.gather(*(arrive(person, rng.uniform(0, 2.0)) for person in crowd))
        finally:
            for process in processes:
                await process.stop(timeout=60)
        chat_calls = [r for r in server.requests[first_call:] if r.params.get("chat_id") is not None]
        refused = [r for r in chat_calls if r.fault == "flood"]
        apologies = sum(any(APOLOGY in (m.plain or "") for m in server.user(user_id=p.user_id).messages) for p in crowd)
        finished = [p.finished_at for p in crowd if p.finished_at is not None]
        waits = sorted(w for p in crowd for w in p.waits)
        span = (max(finished) - started) if finished else float("nan")
        return {
            "people": people, "workers": workers, "finished": len(finished),
            "quizzes_per_second": len(finished) / span if finished else 0.0,
            "calls_per_quiz": (len(chat_calls) - len(refused)) / max(1, len(finished)),
            "calls_429": len(refused), "share_429": len(refused) / max(1, len(chat_calls)),
            "errors_seen": apologies + sum(p.stranded for p in crowd),
            "tap_p50": statistics.median(waits) if waits else float("nan"),
            "tap_p95": waits[int(0.95 * (len(waits) - 1))] if waits else float("nan"),
            "seconds": span,
        }


async def _reset_postgres(database_url: str) -> None:
    """A clean database for each run (the tables are created again by the workers)."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 4],
                        help="0: one polling process on SQLite; N: N webhook workers on PostgreSQL")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args(argv)
    print("capacity under Telegram's limits (30 calls/s overall, 1/s per chat, every chat call counted)")
    print("setup                      quizzes/s  calls/quiz   429s (share)   errors   tap p50   tap p95   finished")
    for workers in args.workers:
        with tempfile.TemporaryDirectory(prefix="crossroads-capacity-") as folder:
            figures = asyncio.run(measure(args.people, workers, args.database_url, Path(folder)))
        setup = "1 poller, SQLite" if workers == 0 else f"{workers} webhook workers, PostgreSQL"
        print(f"{setup:26} {figures['quizzes_per_second']:9.2f}  {figures['calls_per_quiz']:10.2f}   "
              f"{figures['calls_429']:4d} ({figures['share_429']:5.1%})   {figures['errors_seen']:6d}   "
              f"{figures['tap_p50']:6.2f} s  {figures['tap_p95']:6.2f} s   {figures['finished']}/{figures['people']}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
