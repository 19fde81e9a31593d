"""Run the real bot (``python -m bot``) as a subprocess against the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakebotapi import FakeBotApi

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
#: The fake server enforces Telegram's flood limits only in its flood mode; elsewhere the bot is
#: told it may send far faster, so that 200 people at once take seconds, not minutes. The flood
#: tests pass Telegram's own limits (``TELEGRAM_LIMITS_ENV``).
UNPACED_ENV = {"TELEGRAM_MESSAGES_PER_SECOND": "100000", "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "1000"}
TELEGRAM_LIMITS_ENV = {"TELEGRAM_MESSAGES_PER_SECOND": "30", "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "1"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    """One ``python -m bot`` process pointed at the fake server."""

    server: FakeBotApi
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / "bot.log"

    @property
    def database(self) -> Path:
        return self.workdir / "crossroads.db"

    def env(self) -> dict[str, str]:
        base = {key: value for key, value in os.environ.items()
                if not key.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_", "CROSSROADS_"))}
        base.update({
            "TELEGRAM_BOT_TOKEN": self.server.token,
            "TELEGRAM_API_URL": self.server.url,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            **UNPACED_ENV,
        })
        base.update(self.extra_env)
        return base

    async def _spawn(self, *args: str) -> asyncio.subprocess.Process:
        """Start ``python -m bot ARGS``, its output appended to the log."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=self.workdir, env=self.env(),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )
        log.close()
        self.starts += 1
        return self.process

    async def start(self, *args: str, ready_method: str = "getUpdates") -> None:
        """Start the bot and wait until it registered its commands and asks for updates."""
        seen = len(self.server.requests_for(ready_method))
        process = await self._spawn(*args)
        ready = asyncio.ensure_future(self.server.wait_until(
            lambda: len(self.server.requests_for(ready_method)) > seen, timeout=START_TIMEOUT))
        exited = asyncio.ensure_future(process.wait())  # a bot that stops at start-up fails at once
        await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if not ready.done():
            ready.cancel()
            raise RuntimeError(f"the bot exited early:\n{self.log_path.read_text()}")
        ready.result()

    async def run_until_exit(self, *args: str, timeout: float = START_TIMEOUT) -> int:
        """Start the bot and wait for it to exit by itself; its exit status."""
        process = await self._spawn(*args)
        return await asyncio.wait_for(process.wait(), timeout)

    def _exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait for a clean exit; returns the exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise
        return int(self.process.returncode or 0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def button_labels(message: Any) -> list[str]:
    """Every button label of a bot message, flattened."""
    return [label for row in message.buttons for label, _ in row]


def showing(text: str, then: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A message that says ``text`` and is also ``then`` (such as the next question): a short
    reply and the question after it go out as one message (bot.telegram_render.packed)."""
    return lambda message: text in (message.plain or "") and then(message)
