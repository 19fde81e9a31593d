"""Fixtures for end-to-end tests: a fake Bot API server and the real bot process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess
from tests.e2e.storage import PostgresStorage, SqliteStorage, Storage
from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(set_webhook_cooldown=0) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(server, tmp_path)
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The session database, once per backend: SQLite, and PostgreSQL (a fresh schema)."""
    if request.param == "postgres":
        return PostgresStorage(request.getfixturevalue("postgres_url"))
    return SqliteStorage(tmp_path)


@pytest.fixture
async def stored_bot(server: FakeBotApi, tmp_path: Path, storage: Storage) -> AsyncIterator[BotProcess]:
    """The bot on each storage backend."""
    process = BotProcess(server, tmp_path, extra_env=storage.env())
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()
