"""One measured round of webhook workers; prints one JSON line.

    python -m bench.workers_round --db postgres --workers 2 --users 50 --quizzes 300

This process is Telegram and its load balancer: it runs the Bot API server
(:mod:`bench.wire_api`) and POSTs each update to the next of N production workers
(``python -m bot --webhook``, nothing of the benchmark inside them) in turn, so one chat's
updates land on different workers. A worker answers 200 once the update is handled (answer
committed, replies sent); a person sends its next update only then. An update's latency runs
from the POST to its 200.

The sessions live in a fresh SQLite file (one worker only: SQLite is one machine's file) or in
a fresh database ``crossroads_bench_<random>`` on the PostgreSQL server at BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/test), dropped at the end. CPU per update: the
workers' own (user + system time from ``/proc``), and the PostgreSQL backends' serving the
round's database (their pids from ``pg_stat_activity``; null when ``/proc`` does not show them);
this process's own (the Bot API server and the driver) is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from time import monotonic, perf_counter, process_time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from bench.driver import Driver
from bench.plan import worker_label
from bench.stats import latency_figures, print_round
from bench.transport import BOT_TOKEN
from bench.wire_api import WireApi
from bench.worker_common import PROJECT_ROOT, peak_rss_mb, process_cpu_seconds
from bot.callback_codec import VERSION as CALLBACK_VERSION
from bot.content_files.loader import load_content
from bot.storage.postgres import describe
from bot.webhook_server import HEALTH_PATH, SECRET_HEADER

ADMIN_URL_VARIABLE = "BENCH_DATABASE_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
WEBHOOK_PATH = "/webhook"
SECRET = "bench-workers-secret"
#: Flood control set beyond the synthetic load, as in the wire round: paid on every call, never waited on.
UNPACED_ENV = {"TELEGRAM_MESSAGES_PER_SECOND": "100000", "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "1000"}
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 10
LOG_TAIL_CHARS = 3000
LOG_LEVEL = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ", re.M)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(prog="python -m bench.workers_round", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--workers", type=int, required=True, help="webhook worker processes")
    parser.add_argument("--users", type=int, required=True, help="people in flight at once")
    parser.add_argument("--quizzes", type=int, required=True, help="measured quizzes (8 updates each)")
    parser.add_argument("--warm-up", type=int,
                        help="unmeasured quizzes first (default: one per person, so that every pool has grown)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state", type=Path, help="directory for the SQLite file and the workers' logs "
                                                   "(default: a temporary one, removed at the end)")
    args = parser.parse_args(argv)
    if args.db == "sqlite" and args.workers != 1:
        parser.error("SQLite serves one worker (a file on one machine); use --db postgres for more")
    return args


class WebhookDriver(Driver):
    """The closed-loop driver, POSTing each update to the next worker's webhook."""

    def __init__(self, questions: int, seed: int, session: aiohttp.ClientSession, urls: Iterable[str]) -> None:
        super().__init__(questions, seed)
        self._session = session
        self._urls = itertools.cycle(urls)
        self.errors = 0
        self.first_error: str | None = None

    async def _submit(self, payload: dict[str, Any]) -> float:
        url = next(self._urls)
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        started = perf_counter()
        async with self._session.post(url, data=json.dumps(payload), headers=headers) as response:
            await response.read()
        latency = perf_counter() - started
        if response.status != HTTPStatus.OK:
            self.errors += 1
            self.first_error = self.first_error or f"{url} answered {response.status} to update {payload['update_id']}"
        return latency


@dataclass
class Database:
    """Where the round's sessions live; for PostgreSQL, a connection to the server's admin database."""

    url: str
    name: str = ""
    admin: asyncpg.Connection | None = None

    @classmethod
    async def create(cls, kind: str, work: Path) -> Database:
        """A fresh SQLite file in ``work``, or a fresh database on the PostgreSQL server."""
        if kind == "sqlite":
            return cls(f"sqlite:///{work / 'crossroads.db'}")
        admin_url = os.environ.get(ADMIN_URL_VARIABLE, "").strip() or DEFAULT_ADMIN_URL
        name = f"crossroads_bench_{secrets.token_hex(4)}"
        try:
            admin = await asyncpg.connect(admin_url, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, asyncpg.PostgresError) as error:
            raise RuntimeError(f"no PostgreSQL for the benchmark at {describe(admin_url)} "
                               f"({ADMIN_URL_VARIABLE}): {error}") from None
        await admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(admin_url)
        return cls(urlunsplit((parts.scheme, parts.netloc, "/" + name, "", "")), name, admin)

    async def drop(self) -> None:
        """Drop the PostgreSQL database (its connections too)."""
        if self.admin is not None:
            await self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await self.admin.close()

    async def backends_cpu(self) -> dict[int, float] | None:
        """CPU seconds of each server process serving the database ({} for SQLite, which has
        none); None when ``/proc`` does not show them (another host, or not readable)."""
        if self.admin is None:
            return {}
        rows = await self.admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self.name)
        seconds = {}
        for (pid,) in rows:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
                    return None
                seconds[pid] = process_cpu_seconds(pid)
            except FileNotFoundError:
                continue  # it exited in between
            except OSError:
                return None
        return seconds


@dataclass
class Worker:
    """One ``python -m bot --webhook`` process."""

    process: asyncio.subprocess.Process
    url: str
    log: Path

    def log_tail(self) -> str:
        """The end of its stderr."""
        return self.log.read_text(errors="replace")[-LOG_TAIL_CHARS:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_environment(port: int, api_url: str, database_url: str) -> dict[str, str]:
    """Production configuration, from the environment as on a platform; this checkout importable."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_", "CROSSROADS_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": api_url, "DATABASE_URL": database_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{WEBHOOK_PATH}", "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port),
        "WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "WARNING", **UNPACED_ENV,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")])),
    })
    return env


async def start_worker(index: int, api_url: str, database_url: str, work: Path) -> Worker:
    """Start one worker (not waiting for it)."""
    port = free_port()
    log = work / f"worker-{index}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--webhook", cwd=work, env=worker_environment(port, api_url, database_url),
            stdin=asyncio.subprocess.DEVNULL, stdout=stderr, stderr=stderr)
    return Worker(process, f"http://127.0.0.1:{port}", log)


async def wait_healthy(worker: Worker, session: aiohttp.ClientSession) -> None:
    """Return once the worker answers its health check; fail if it exits or never does."""
    deadline = monotonic() + READY_TIMEOUT_SECONDS
    while monotonic() < deadline:
        if worker.process.returncode is not None:
            raise RuntimeError(f"worker {worker.url} exited with status {worker.process.returncode} before it was "
                               f"ready:\n{worker.log_tail()}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(worker.url + HEALTH_PATH) as response:
                if response.status == HTTPStatus.OK:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker {worker.url} not ready after {READY_TIMEOUT_SECONDS} s:\n{worker.log_tail()}")


async def stop_workers(workers: list[Worker]) -> list[int]:
    """SIGTERM every worker and wait for it (a kill after the timeout); their exit statuses."""
    for worker in workers:
        if worker.process.returncode is None:
            worker.process.send_signal(signal.SIGTERM)
    statuses = []
    for worker in workers:
        try:
            statuses.append(await asyncio.wait_for(worker.process.wait(), STOP_TIMEOUT_SECONDS))
        except TimeoutError:
            worker.process.kill()
            statuses.append(await worker.process.wait())
    return statuses


@contextlib.asynccontextmanager
async def running_workers(args: argparse.Namespace, api: WireApi, work: Path,
                          session: aiohttp.ClientSession) -> AsyncIterator[tuple[Database, list[Worker], list[int]]]:
    """The database and the started, healthy workers; on leaving, the workers stopped (their
    statuses filled into the yielded list) and the database dropped, whatever happened."""
    database = await Database.create(args.db, work)
    workers: list[Worker] = []
    statuses: list[int] = []
    try:
        for index in range(args.workers):
            workers.append(await start_worker(index, api.url, database.url, work))
        await asyncio.gather(*(wait_healthy(worker, session) for worker in workers))
        yield database, workers, statuses
    finally:
        try:
            statuses += await stop_workers(workers)
        finally:
            await database.drop()


def _cpu(workers: list[Worker]) -> float:
    return sum(process_cpu_seconds(worker.process.pid) for worker in workers)


def _db_cpu(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """CPU the backends spent between the snapshots (one that started in between counts whole)."""
    if before is None or after is None:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def _measure(args: argparse.Namespace, driver: WebhookDriver, api: WireApi, database: Database,
                   workers: list[Worker]) -> dict[str, Any]:
    """Warm up, then the measured phase; its figures."""
    warm_up = args.users if args.warm_up is None else args.warm_up
    if warm_up:
        await driver.run(warm_up, args.users)
    db_before, calls_before = await database.backends_cpu(), sum(api.canned.calls.values())
    started, cpu_before, driver_before = perf_counter(), _cpu(workers), process_time()
    latencies = await driver.run(args.quizzes, args.users)
    seconds, cpu = perf_counter() - started, _cpu(workers) - cpu_before
    driver_cpu, calls = process_time() - driver_before, sum(api.canned.calls.values()) - calls_before
    db_after = await database.backends_cpu()
    db_cpu = _db_cpu(db_before, db_after)
    figures = latency_figures(latencies, seconds)
    updates = figures["updates"]
    return {
        **figures, "cpu_ms_per_update": cpu / updates * 1000,
        "db_cpu_ms_per_update": None if db_cpu is None else db_cpu / updates * 1000,
        "total_cpu_ms_per_update": None if db_cpu is None else (cpu + db_cpu) / updates * 1000,
        "db_backends": None if db_after is None else len(db_after),
        "db_backends_exited": None if db_before is None or db_after is None else len(set(db_before) - set(db_after)),
        "driver_cpu_ms_per_update": driver_cpu / updates * 1000, "api_calls_per_update": calls / updates,
        "peak_rss_mb": max(peak_rss_mb(worker.process.pid) for worker in workers),
    }


def _log_findings(workers: list[Worker]) -> dict[str, Any]:
    """Warnings and errors the workers logged (at LOG_LEVEL=WARNING, nothing else is logged)."""
    lines = [(match.group(1), line) for worker in workers for line in worker.log.read_text(errors="replace").splitlines()
             if (match := LOG_LEVEL.match(line))]
    warnings = [line for level, line in lines if level == "WARNING"]
    errors = [line for level, line in lines if level != "WARNING"]
    return {"worker_warnings": len(warnings), "first_worker_warning": warnings[0] if warnings else None,
            "worker_errors": len(errors), "first_worker_error": errors[0] if errors else None}


async def run_round(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start the server, the database and the workers, warm up, measure, stop; the figures."""
    content = load_content()
    api = WireApi()
    await api.start()
    connector = aiohttp.TCPConnector(limit=args.users + args.workers)
    try:
        async with aiohttp.ClientSession(connector=connector) as session, \
                running_workers(args, api, work, session) as (database, workers, statuses):
            driver = WebhookDriver(len(content.questions), args.seed, session,
                                   [worker.url + WEBHOOK_PATH for worker in workers])
            driver.watch("crossroads", f"{CALLBACK_VERSION}a:", api.canned)
            figures = await _measure(args, driver, api, database, workers)
    finally:
        await api.stop()
    findings = _log_findings(workers)
    bad_exits = sum(status != 0 for status in statuses)
    return {
        "mode": "workers", "system": worker_label(args.db, args.workers), "db": args.db, "workers": args.workers,
        "users": args.users, "stored": 0, "quizzes": args.quizzes, **figures,
        "errors": driver.errors + findings["worker_errors"] + bad_exits,
        "first_error": driver.first_error or findings["first_worker_error"], "worker_exit_statuses": statuses,
        **findings, "results_sent": driver.results_sent, "quizzes_run": driver.quizzes_run,
        "api_calls": dict(api.canned.calls),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one round and print its JSON line; 1 on any error or a quiz without its result."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crossroads-workers-") as scratch:
        work = args.state or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        figures = asyncio.run(run_round(args, work))
    return print_round(figures)


if __name__ == "__main__":
    sys.exit(main())
