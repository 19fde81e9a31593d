"""PostgreSQL for tests: which server, whether it answers, and a private database per test session.

The server is TEST_DATABASE_URL, else the local default. Tests never touch an existing database's
tables: each test session creates ``crossroads_test_<pid>_<random>`` and drops it at the end, and
each test gets its own schema in it (``?search_path=...`` in the URL it hands out).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PROBE_TIMEOUT_SECONDS = 3.0
HOW_TO_RUN = (
    "PostgreSQL tests not run: no server at {where} ({reason}). Start one there, or set "
    "TEST_DATABASE_URL=postgresql://user@host:port/db; under CI=true they always run."
)


def admin_url() -> str:
    """The server tests use (its database must exist; tests create their own beside it)."""
    return os.environ.get("TEST_DATABASE_URL", "").strip() or DEFAULT_TEST_DATABASE_URL


def required() -> bool:
    """True when a missing server must fail the run rather than skip the PostgreSQL tests."""
    return bool(os.environ.get("TEST_DATABASE_URL", "").strip()) or os.environ.get("CI", "").lower() == "true"


def with_database(url: str, database: str, search_path: str | None = None) -> str:
    """``url`` pointing at another database (and schema)."""
    parts = urlsplit(url)
    query = f"search_path={search_path}" if search_path else ""
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, query, ""))


def where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}"


def probe(url: str) -> str | None:
    """None when the server accepts a login, else why not (one line)."""

    async def attempt() -> None:
        connection = await asyncpg.connect(url, timeout=PROBE_TIMEOUT_SECONDS)
        await connection.close()

    try:
        asyncio.run(attempt())
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=PROBE_TIMEOUT_SECONDS)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class ScratchDatabase:
    """A database of this test session; hands out one fresh schema per test."""

    admin: str
    name: str = field(default_factory=lambda: f"crossroads_test_{os.getpid()}_{secrets.token_hex(4)}")
    _schemas: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return with_database(self.admin, self.name)

    def create(self) -> None:
        """Create this session's database, first dropping any left by a test run that was killed."""
        asyncio.run(self._drop_orphans())
        asyncio.run(_admin(self.admin, f'CREATE DATABASE "{self.name}"'))

    async def _drop_orphans(self) -> None:
        connection = await asyncpg.connect(self.admin, timeout=PROBE_TIMEOUT_SECONDS)
        try:
            names = [row[0] for row in await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'crossroads\\_test\\_%'")]
            for name in names:
                pid = name.split("_")[2]
                if pid.isdigit() and not _alive(int(pid)):
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    def drop(self) -> None:
        asyncio.run(_admin(self.admin, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def new_schema(self) -> str:
        """A URL whose tables live in a new, empty schema."""
        schema = f"t{next(self._schemas)}"
        asyncio.run(_admin(self.url, f"CREATE SCHEMA {schema}"))
        return with_database(self.admin, self.name, schema)
