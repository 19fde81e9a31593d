"""PostgreSQL specifics (the shared contract is in test_storage_contract.py): schema versions,
the per-chat and poller advisory locks, start-up failures named in one line, and a database
that goes away while the bot runs."""

from __future__ import annotations

import asyncio
import subprocess
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.storage.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresSessionStore, describe
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.errors import StorageError
from dialogs.events import Event, EventKind
from dialogs.service import DialogService
from dialogs.session import Session
from tests import pgtest
from tests.conftest import PYTHON, answer_event, bot_env
from tests.e2e.harness import free_port
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
async def store(postgres_url: str):
    opened = PostgresSessionStore(postgres_url)
    await opened.open()
    yield opened
    await opened.close()


async def _fetch(url: str, query: str):
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query)
    finally:
        await connection.close()


async def test_schema_version_table_records_the_current_version(store: PostgresSessionStore, postgres_url: str) -> None:
    assert await store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    rows = await _fetch(postgres_url, "SELECT version FROM schema_version")
    assert [row[0] for row in rows] == [SCHEMA_VERSION]
    columns = {row[0] for row in await _fetch(
        postgres_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'sessions' "
        "AND table_schema = current_schema()")}
    assert {"chat_id", "answers", "version", "prompt_message_id", "last_event_id", "updated_at"} <= columns


async def test_workers_starting_together_migrate_once(postgres_url: str) -> None:
    stores = [PostgresSessionStore(postgres_url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        rows = await _fetch(postgres_url, "SELECT version FROM schema_version")
        assert [row[0] for row in rows] == [SCHEMA_VERSION]
        saved = await stores[0].save(Session(chat_id=5))
        assert await stores[3].load(5) == saved
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_newer_database_is_refused(postgres_url: str) -> None:
    first = PostgresSessionStore(postgres_url)
    await first.open()
    await first.close()
    connection = await asyncpg.connect(postgres_url)
    await connection.execute("UPDATE schema_version SET version = $1", SCHEMA_VERSION + 1)
    await connection.close()
    with pytest.raises(StorageError, match="newer"):
        await PostgresSessionStore(postgres_url).open()


async def test_only_one_poller_per_database(postgres_url: str) -> None:
    one, two = PostgresSessionStore(postgres_url), PostgresSessionStore(postgres_url)
    await one.open()
    await two.open()
    try:
        assert await one.claim_poller()
        assert not await two.claim_poller()
        await one.release_poller()
        assert await two.claim_poller()
    finally:
        await one.close()
        await two.close()


async def test_service_skips_a_redelivered_update(store: PostgresSessionStore, engine: DialogEngine,
                                                  content: Content) -> None:
    service = DialogService(engine, store, first_generation=lambda: 0, lazy_prompts=False)
    await service.handle(3, Event(EventKind.START), event_id=100)
    first = await service.handle(3, answer_event(content, 0, 1), event_id=101)
    assert first.changed and first.session.last_event_id == 101
    again = await service.handle(3, Event(EventKind.TEXT, text="1"), event_id=101)  # the same update, again
    assert not again.changed
    assert [r.role.value for r in again.replies][-1] == "question"  # where they are, in case the reply was lost
    assert "Question 2 of" in again.replies[-1].plain_text
    stored = await store.load(3)
    assert stored is not None and len(stored.answers) == 1 and stored.version == first.session.version
    later = await service.handle(3, Event(EventKind.TEXT, text="1"), event_id=102)
    assert later.changed and len(later.session.answers) == 2


def test_describe_names_host_and_database_never_the_password() -> None:
    text = describe("postgresql://bob:s3cret@db.example.org:6543/crossroads")
    assert text == 'database "crossroads" at db.example.org:6543'
    assert "s3cret" not in text


@pytest.mark.parametrize("problem", ["refused", "no database", "bad login"])
def test_start_up_failure_is_one_line_naming_host_and_database(problem: str, tmp_path, postgres_url: str) -> None:
    parts = urlsplit(pgtest.admin_url())
    host = parts.hostname or "127.0.0.1"
    if problem == "refused":
        url = f"postgresql://postgres:hunter2pw@127.0.0.1:{free_port()}/crossroads"
        expected = 'database "crossroads" at 127.0.0.1'
    elif problem == "no database":
        url = f"postgresql://{parts.netloc}/no_such_db_here".replace("@", ":hunter2pw@", 1)
        expected = f'database "no_such_db_here" at {host}:{parts.port or 5432}'
    else:
        url = f"postgresql://no_such_role_x:hunter2pw@{host}:{parts.port or 5432}/crossroads"
        expected = f'database "crossroads" at {host}'
    done = subprocess.run([PYTHON, "-m", "bot", "--console"], input="", capture_output=True, text=True,
                          cwd=tmp_path, env=bot_env(tmp_path, DATABASE_URL=url), timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Crossroads cannot start: cannot connect to PostgreSQL") and expected in lines[0]
    assert "hunter2pw" not in done.stderr and "Traceback" not in done.stderr


async def test_database_outage_is_a_storage_error_and_recovery_is_automatic(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        url = postgres_url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
        store = PostgresSessionStore(url)
        await store.open()
        try:
            saved = await store.save(Session(chat_id=1))
            proxy.cut()
            with pytest.raises(StorageError, match="unavailable"):
                await store.save(Session(chat_id=2))
            with pytest.raises(StorageError):
                await store.load(1)
            proxy.restore()
            assert await store.load(1) == saved
            assert (await store.save(Session(chat_id=2))).version == 1
        finally:
            await store.close()
