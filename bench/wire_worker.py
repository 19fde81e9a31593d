"""One measured wire round; prints one JSON line.

    python -m bench.wire_worker --system crossroads --users 50 --quizzes 300 --stored 1000 --state /tmp/x.db

This process runs the Bot API server (:mod:`bench.wire_api`) and the load driver; the system
under test runs in a child process (:mod:`bench.wire_bot`) and talks to the server over
127.0.0.1 through its own HTTP client. An update's latency runs from when it became available
(queued on the server, which wakes the pending long poll) until the bot process reports it
done. CPU per update is the bot process's own (user + system time from ``/proc``, every thread),
never the server's. What this round shares with the core round is in :mod:`bench.worker_common`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from bench.driver import Driver
from bench.stats import percentile
from bench.wire_api import WireApi
from bench.worker_common import (
    PROJECT_ROOT,
    Outcome,
    peak_rss_mb,
    process_cpu_seconds,
    round_figures,
    round_parser,
    run_worker,
    warm_up,
)
from bot.callback_codec import VERSION as CALLBACK_VERSION
from bot.content_files.loader import load_content

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
T = TypeVar("T")


def parser() -> argparse.ArgumentParser:
    """The round's flags, and ``--profile``."""
    flags = round_parser("python -m bench.wire_worker", __doc__)
    flags.add_argument("--profile", type=Path,
                       help="sample the bot process with py-spy during the measured phase, collapsed stacks to this file")
    return flags


class WireDriver(Driver):
    """The closed-loop driver, submitting through the server instead of the update queue."""

    def __init__(self, api: WireApi, questions: int, seed: int) -> None:
        super().__init__(questions, seed)
        self._api = api
        self._done_at: dict[int, float] = {}

    def done(self, update_id: int) -> None:
        """The bot process finished ``update_id``."""
        future = self._pending.pop(update_id, None)
        if future is not None and not future.done():
            self._done_at[update_id] = perf_counter()
            future.set_result(None)

    async def _submit(self, payload: dict[str, Any]) -> float:
        update_id = int(payload["update_id"])
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[update_id] = future
        self._api.push(payload)
        await future
        return self._done_at.pop(update_id) - self._api.available_at.pop(update_id)


class DoneReader(asyncio.Protocol):
    """Reads ``<update_id>\\n`` lines from the bot process's pipe."""

    def __init__(self, driver: WireDriver) -> None:
        self._driver = driver
        self._buffer = b""
        self.closed = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        """Complete lines are finished updates."""
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for line in lines:
            self._driver.done(int(line))

    def connection_lost(self, exc: Exception | None) -> None:
        """The bot process closed its end (it exited)."""
        if not self.closed.done():
            self.closed.set_result(None)


async def _bot_process(args: argparse.Namespace, api: WireApi, done_fd: int) -> asyncio.subprocess.Process:
    command = [sys.executable, "-m", "bench.wire_bot", "--system", args.system, "--api-url", api.url,
               "--done-fd", str(done_fd), "--stored", str(args.stored),
               "--baseline-concurrency", str(args.baseline_concurrency), "--log-level", args.log_level]
    if args.state is not None:
        command += ["--state", str(args.state)]
    return await asyncio.create_subprocess_exec(*command, pass_fds=(done_fd,), stdout=asyncio.subprocess.PIPE,
                                                cwd=PROJECT_ROOT)


async def _profiler(out: Path, pid: int) -> asyncio.subprocess.Process:
    """py-spy sampling ``pid`` (it must be installed: it is no dependency of the project)."""
    py_spy = Path(sys.executable).with_name("py-spy")
    profiler = await asyncio.create_subprocess_exec(str(py_spy), "record", "--pid", str(pid), "--rate", "250",
                                                    "--format", "raw", "--output", str(out),
                                                    stdout=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(1)  # py-spy attaches
    return profiler


async def _while_alive(work: Coroutine[Any, Any, T], bot: asyncio.subprocess.Process) -> T:
    """``work``'s result; fails at once if the bot process exits first (its updates would
    never be done)."""
    task = asyncio.ensure_future(work)
    exited = asyncio.ensure_future(bot.wait())
    await asyncio.wait({task, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
        raise RuntimeError(f"the bot process exited with status {bot.returncode} during the round")
    exited.cancel()
    return task.result()


async def _wait_ready(api: WireApi, bot: asyncio.subprocess.Process) -> None:
    exited = asyncio.ensure_future(bot.wait())
    polled = asyncio.ensure_future(api.polled.wait())
    await asyncio.wait({exited, polled}, timeout=READY_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    polled.cancel()
    if exited.done():
        raise RuntimeError(f"the bot process exited with status {bot.returncode} before polling")
    exited.cancel()
    if not api.polled.is_set():
        raise RuntimeError("the bot process never polled for updates")


async def run_round(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server and the bot, warm up, measure, stop both; the figures as a dict."""
    content = load_content()
    api = WireApi()
    await api.start()
    driver = WireDriver(api, len(content.questions), seed=args.seed)
    prefix = f"{CALLBACK_VERSION}a:" if args.system == "crossroads" else "a:"
    driver.watch(args.system, prefix, api.canned)
    read_fd, write_fd = os.pipe()
    bot = await _bot_process(args, api, write_fd)
    os.close(write_fd)
    loop = asyncio.get_running_loop()
    _, reader = await loop.connect_read_pipe(lambda: DoneReader(driver), os.fdopen(read_fd, "rb", buffering=0))
    try:
        await _wait_ready(api, bot)
        await _while_alive(warm_up(driver, args), bot)
        rss_ready = peak_rss_mb(bot.pid)
        api.answer_latencies.clear()
        calls_before = sum(api.canned.calls.values())
        profiler = await _profiler(args.profile, bot.pid) if args.profile else None
        started, cpu_before = perf_counter(), process_cpu_seconds(bot.pid)
        latencies = await _while_alive(driver.run(args.quizzes, args.users), bot)
        seconds, cpu = perf_counter() - started, process_cpu_seconds(bot.pid) - cpu_before
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            await profiler.wait()
        calls = sum(api.canned.calls.values()) - calls_before
        rss = peak_rss_mb(bot.pid)
        answers = list(api.answer_latencies)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        try:
            out, _ = await asyncio.wait_for(bot.communicate(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            bot.kill()
            raise
        finally:
            await api.stop()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    report: dict[str, Any] = (json.loads(lines[-1]) if lines
                              else {"errors": 1, "first_error": f"exit status {bot.returncode}"})
    updates = len(latencies)
    own = {
        "answer_p50_ms": percentile(answers, 0.50) * 1000, "answer_p99_ms": percentile(answers, 0.99) * 1000,
        "answers": len(answers),
        "process_cpu_ms_per_update": cpu / updates * 1000, "api_calls_per_update": calls / updates,
        "cpu_us_per_api_call": cpu / calls * 1e6 if calls else float("nan"),
    }
    outcome = Outcome(rss, rss_ready, report["errors"], report["first_error"], driver.results_sent,
                      driver.quizzes_run, dict(api.canned.calls), report.get("notes", {}))
    return round_figures("wire", args, latencies, seconds, own, outcome)


def main(argv: list[str] | None = None) -> int:
    """Run one round and print its JSON line."""
    return run_worker(parser(), run_round, argv)


if __name__ == "__main__":
    sys.exit(main())
