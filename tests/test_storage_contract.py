"""The storage contract (the ports of dialogs/storage.py), run against every backend, plus what
is particular to one backend (SQLite's file, the in-memory store's shared database).

To add a backend, add a class with ``make(clock)`` (a new, unopened store on the same shared
storage each call) and its factory to BACKENDS; every test in TestSessionStoreContract then runs
against it. The in-memory backend comes first: the fastest to fail.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import pytest

from bot.storage.memory import MemoryDatabase, MemorySessionStore
from bot.storage.postgres import PostgresSessionStore
from bot.storage.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteSessionStore
from dialogs.analytics import UsageEvent
from dialogs.errors import StorageError, VersionConflict
from dialogs.session import RESULT, PreviousResult, Session
from dialogs.storage import (
    ChatIsolation,
    CheckinQueue,
    HealthCheck,
    PollerSlot,
    SessionStore,
    StoreLifecycle,
    UsageLog,
    VersionedSessions,
)

ANSWERS = (("skills", "generalist"), ("risk", "predictable"), ("time", "little"))
PORTS = (StoreLifecycle, VersionedSessions, ChatIsolation, UsageLog, CheckinQueue, HealthCheck, SessionStore)


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Backend(Protocol):
    def make(self, clock: Callable[[], float] = time.time) -> SessionStore:
        """A new, unopened store on this backend's shared storage."""
        ...


class MemoryBackend:
    """Stores sharing one MemoryDatabase, as processes share a file or a server."""

    def __init__(self) -> None:
        self.database = MemoryDatabase()

    def make(self, clock: Callable[[], float] = time.time) -> SessionStore:
        return MemorySessionStore(self.database, clock=clock)


class SqliteBackend:
    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "sessions.db"

    def make(self, clock: Callable[[], float] = time.time) -> SessionStore:
        return SqliteSessionStore(self.path, clock=clock)


class PostgresBackend:
    """A fresh schema of this test session's PostgreSQL database (tests/pgtest.py)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def make(self, clock: Callable[[], float] = time.time) -> SessionStore:
        return PostgresSessionStore(self.url, clock=clock)


#: Each backend built from the test's fixtures, in the order the suite runs them.
BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    "memory": lambda request: MemoryBackend(),
    "sqlite": lambda request: SqliteBackend(request.getfixturevalue("tmp_path")),
    "postgres": lambda request: PostgresBackend(request.getfixturevalue("postgres_url")),
}
#: Backends that need a server; without one their tests are reported as not run (tests/conftest.py).
NEEDS_SERVER = {"postgres": pytest.mark.postgres}


@pytest.fixture(params=[pytest.param(name, marks=NEEDS_SERVER.get(name, ())) for name in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param](request)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(backend: Backend, clock: ManualClock) -> AsyncIterator[SessionStore]:
    opened = backend.make(clock)
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def other_store(backend: Backend, clock: ManualClock) -> AsyncIterator[SessionStore]:
    """A second, independent store on the same storage (another process or connection)."""
    opened = backend.make(clock)
    await opened.open()
    yield opened
    await opened.close()


class TestSessionStoreContract:
    async def test_missing_session_loads_as_none(self, store: SessionStore) -> None:
        assert await store.load(404) is None
        assert await store.count() == 0

    async def test_round_trip_with_answers(self, store: SessionStore, clock: ManualClock) -> None:
        session = Session(chat_id=7, state="asking_goals", answers=ANSWERS, generation=2)
        saved = await store.save(session)
        assert saved.version == 1
        assert saved.created_at == saved.updated_at == clock.now
        loaded = await store.load(7)
        assert loaded == saved
        assert loaded.answers == ANSWERS
        assert isinstance(loaded.answers, tuple) and all(isinstance(a, tuple) for a in loaded.answers)
        assert (loaded.state, loaded.generation) == ("asking_goals", 2)

    async def test_the_previous_result_and_the_vote_ride_with_the_session(self, store: SessionStore) -> None:
        previous = PreviousResult(ANSWERS[:2], "hybrid")
        saved = await store.save(Session(chat_id=7, state=RESULT, answers=ANSWERS, prefilled=(),
                                         verdict=("hybrid", "agree"), previous=previous))
        loaded = await store.load(7)
        assert loaded == saved and loaded.previous == previous and loaded.verdict == ("hybrid", "agree")
        assert isinstance(loaded.previous.answers, tuple) and loaded.answers == ANSWERS
        cleared = await store.save(replace(loaded, previous=None))
        assert (await store.load(7)) == cleared and cleared.previous is None
        await store.delete(7)  # /forget takes the previous result with the rest
        assert await store.load(7) is None

    async def test_each_save_increments_the_version(self, store: SessionStore, clock: ManualClock) -> None:
        saved = await store.save(Session(chat_id=7, state="asking_risk", answers=ANSWERS[:1]))
        created = saved.created_at
        for expected in (2, 3, 4):
            clock.now += 10
            saved = await store.save(Session(chat_id=7, state="asking_time", answers=ANSWERS[:2],
                                             version=saved.version, created_at=saved.created_at))
            assert saved.version == expected
            assert (await store.load(7)).version == expected
        loaded = await store.load(7)
        assert loaded.created_at == created
        assert loaded.updated_at == clock.now
        assert loaded.answers == ANSWERS[:2]

    async def test_stale_version_conflicts_and_leaves_the_row_unchanged(self, store: SessionStore) -> None:
        first = await store.save(Session(chat_id=7, state="asking_risk", answers=ANSWERS[:1]))
        second = await store.save(replace(first, state="asking_time", answers=ANSWERS[:2]))
        with pytest.raises(VersionConflict) as caught:
            await store.save(replace(first, state=RESULT, answers=ANSWERS))
        assert caught.value.chat_id == 7
        assert await store.load(7) == second

    async def test_creating_an_existing_session_conflicts(self, store: SessionStore) -> None:
        existing = await store.save(Session(chat_id=7, state="asking_risk", answers=ANSWERS[:1]))
        with pytest.raises(VersionConflict):
            await store.save(Session(chat_id=7, state="asking_time", answers=ANSWERS[:2]))
        assert await store.load(7) == existing

    async def test_second_writer_with_old_version_conflicts(self, store: SessionStore, other_store: SessionStore) -> None:
        base = await store.save(Session(chat_id=9, state="asking_risk", answers=ANSWERS[:1]))
        seen_by_other = await other_store.load(9)
        assert seen_by_other == base
        winner = await store.save(replace(base, state="asking_time", answers=ANSWERS[:2]))
        with pytest.raises(VersionConflict):
            await other_store.save(replace(seen_by_other, state="asking_time", answers=(ANSWERS[0], ("risk", "safe_base"))))
        assert await other_store.load(9) == winner
        assert await store.load(9) == winner

    async def test_delete_removes_the_row(self, store: SessionStore, other_store: SessionStore) -> None:
        await store.save(Session(chat_id=1))
        await store.save(Session(chat_id=2))
        assert await store.delete(1) == 1
        assert await store.load(1) is None
        assert await other_store.load(1) is None
        assert await store.load(2) is not None
        assert await store.delete(1) == 0
        assert await store.count() == 1

    async def test_purge_older_than(self, store: SessionStore, clock: ManualClock) -> None:
        await store.save(Session(chat_id=1))
        clock.now += 100
        old = await store.save(Session(chat_id=2))
        clock.now += 100
        await store.save(Session(chat_id=3))
        clock.now += 100
        # chat 2 is touched again, so it is no longer idle
        await store.save(Session(chat_id=2, state="asking_risk", version=old.version))
        cutoff = clock.now - 150
        assert await store.purge_older_than(cutoff) == 1
        assert await store.load(1) is None
        assert await store.load(2) is not None and await store.load(3) is not None
        assert await store.purge_older_than(cutoff) == 0
        assert await store.purge_older_than(clock.now + 1) == 2
        assert await store.count() == 0

    async def test_set_prompt_keeps_the_version(self, store: SessionStore, other_store: SessionStore) -> None:
        saved = await store.save(Session(chat_id=4, state="asking_risk", answers=ANSWERS[:1]))
        await store.set_prompt(4, 12345)
        loaded = await other_store.load(4)
        assert loaded.prompt_message_id == 12345
        assert loaded.version == saved.version
        # a later save still succeeds with the unchanged version and writes the session's prompt
        after = await store.save(Session(chat_id=4, state="asking_time", answers=ANSWERS[:2], version=saved.version,
                                         prompt_message_id=12345))
        assert after.version == saved.version + 1
        assert (await store.load(4)).prompt_message_id == 12345
        await store.set_prompts({4: 555, 999: 2})
        assert (await other_store.load(4)).prompt_message_id == 555
        await store.set_prompt(4, None)
        assert (await store.load(4)).prompt_message_id is None
        await store.set_prompt(999, 1)  # no session: nothing happens
        assert await store.load(999) is None

    async def test_count(self, store: SessionStore) -> None:
        assert await store.count() == 0
        for chat_id in (10, 20, 30):
            await store.save(Session(chat_id=chat_id))
        assert await store.count() == 3
        await store.delete(20)
        assert await store.count() == 2

    async def test_checkins_are_claimed_once_when_due(self, store: SessionStore, other_store: SessionStore,
                                                      clock: ManualClock) -> None:
        assert await store.next_checkin_due() is None
        await store.set_checkin(1, "hybrid", clock.now + 100)
        await store.set_checkin(2, "side_hustle", clock.now + 50)
        await store.set_checkin(1, "generative_ai", clock.now + 200)  # replaces the earlier one
        assert await other_store.next_checkin_due() == clock.now + 50
        assert await store.claim_due_checkins(clock.now + 10, 10) == []
        assert await store.claim_due_checkins(clock.now + 60, 10) == [(2, "side_hustle")]
        assert await other_store.claim_due_checkins(clock.now + 60, 10) == []  # handed out once, to one store
        assert await other_store.claim_due_checkins(clock.now + 500, 10) == [(1, "generative_ai")]
        assert await store.next_checkin_due() is None

    async def test_claims_respect_the_limit_and_forget_removes_checkins(self, store: SessionStore,
                                                                       clock: ManualClock) -> None:
        for chat_id in range(5):
            await store.set_checkin(chat_id, "hybrid", clock.now - chat_id)
        first = await store.claim_due_checkins(clock.now, 2)
        assert sorted(chat for chat, _ in first) == [3, 4]  # the longest overdue first
        await store.save(Session(chat_id=0, state=RESULT, answers=ANSWERS))
        assert await store.delete(0) == 2  # the session and its check-in
        rest = await store.claim_due_checkins(clock.now, 10)
        assert sorted(chat for chat, _ in rest) == [1, 2]

    async def test_check_writable_commits_a_write_that_leaves_no_trace(self, store: SessionStore,
                                                                        clock: ManualClock) -> None:
        saved = await store.save(Session(chat_id=9, state="asking_risk", answers=ANSWERS[:1]))
        await store.check_writable()
        await store.check_writable()
        assert await store.count() == 1
        assert await store.load(9) == saved
        assert await store.usage_since(0) == []

    async def test_data_survives_close_and_reopen(self, backend: Backend, store: SessionStore) -> None:
        saved = await store.save(Session(chat_id=8, state=RESULT, answers=ANSWERS, generation=5))
        await store.close()
        reopened = backend.make()
        await reopened.open()
        try:
            assert await reopened.load(8) == saved
        finally:
            await reopened.close()


    async def test_every_backend_implements_every_port(self, store: SessionStore) -> None:
        assert all(isinstance(store, port) for port in PORTS)

    async def test_a_store_used_before_open_is_a_storage_error(self, backend: Backend) -> None:
        with pytest.raises(StorageError):
            await backend.make().load(1)

    async def test_a_whole_turn_runs_under_the_chat_lock(self, store: SessionStore, other_store: SessionStore) -> None:
        async with store.chat_lock(5), other_store.chat_lock(6):  # other chats are not held up
            assert await store.load(5) is None
            saved = await store.save(Session(chat_id=5, state="asking_risk"))
            await other_store.save(Session(chat_id=6))
        async with other_store.chat_lock(5):  # released
            assert await other_store.load(5) == saved

    async def test_usage_rides_along_with_a_save_and_not_with_a_conflict(self, store: SessionStore,
                                                                          other_store: SessionStore,
                                                                          clock: ManualClock) -> None:
        started = UsageEvent("start", at=clock.now)
        answered = UsageEvent("answer", "skills", "button", at=clock.now + 1)
        saved = await store.save(Session(chat_id=3), [started])
        with pytest.raises(VersionConflict):
            await store.save(Session(chat_id=3), [UsageEvent("lost", at=clock.now)])
        await store.save(replace(saved, state="asking_risk"), [answered])
        finished = UsageEvent("result", "hybrid", seconds=42.5, at=clock.now + 2)
        await other_store.record_usage([finished])
        await other_store.record_usage([])
        assert await other_store.usage_since(0) == [started, answered, finished]
        assert await store.usage_since(clock.now + 1) == [answered, finished]

    async def test_purge_drops_old_usage_too(self, store: SessionStore, clock: ManualClock) -> None:
        old, new = UsageEvent("start", at=clock.now - 10), UsageEvent("start", at=clock.now)
        await store.record_usage([old, new])
        assert await store.purge_older_than(clock.now - 5) == 0
        assert await store.usage_since(0) == [new]


# -- SQLite specifics --------------------------------------------------------------------------
async def _open(path: Path) -> SqliteSessionStore:
    store = SqliteSessionStore(path)
    await store.open()
    return store


async def test_sqlite_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await _open(path)
    try:
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        await store.close()


async def test_sqlite_schema_version_after_open(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await _open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        await store.close()


async def test_sqlite_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO sessions (chat_id, state, answers, generation, version, created_at, updated_at) "
        "VALUES (42, 'asking_time', '[[\"skills\",\"generalist\"],[\"risk\",\"predictable\"]]', 1, 6, 100.0, 200.0)"
    )
    raw.commit()
    raw.close()

    store = await _open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 5
        with sqlite3.connect(path) as check:
            columns = {row[1] for row in check.execute("PRAGMA table_info(sessions)")}
            assert {"prompt_message_id", "language", "last_event_id"} <= columns
            assert check.execute("PRAGMA user_version").fetchone()[0] == 5
            tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert {"checkins", "usage_events"} <= tables
        old = await store.load(42)
        assert old == Session(chat_id=42, state="asking_time", answers=ANSWERS[:2], generation=1, version=6,
                              prompt_message_id=None, created_at=100.0, updated_at=200.0)
        saved = await store.save(Session(chat_id=42, state="asking_goals", answers=ANSWERS, generation=1, version=6))
        assert saved.version == 7
    finally:
        await store.close()


async def test_sqlite_opening_twice_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await _open(path)
    await store.save(Session(chat_id=1, answers=ANSWERS))
    await store.close()
    store = await _open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert (await store.load(1)).answers == ANSWERS
    finally:
        await store.close()


async def test_sqlite_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    store = SqliteSessionStore(path)
    with pytest.raises(StorageError, match="newer"):
        await store.open()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_sqlite_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError):
        await SqliteSessionStore(blocker / "sub" / "s.db").open()


async def test_sqlite_malformed_answers_load_as_none(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await _open(path)
    try:
        await store.save(Session(chat_id=3, answers=ANSWERS))
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE sessions SET answers = 'not json' WHERE chat_id = 3")
        assert (await store.load(3)).answers == ()
    finally:
        await store.close()


class ReadOnlySqliteStore(SqliteSessionStore):
    """The real store, whose database stops taking writes on demand (as a disk gone read-only
    or full would; chmod does not stop root, and the tests may run as root)."""

    async def refuse_writes(self) -> None:
        """From now on every write fails with SQLite's "attempt to write a readonly database"."""
        await self._connection().execute("PRAGMA query_only = ON")


async def test_sqlite_check_writable_fails_once_the_database_refuses_writes(tmp_path: Path) -> None:
    store = ReadOnlySqliteStore(tmp_path / "ro.db")
    await store.open()
    try:
        await store.check_writable()
        await store.refuse_writes()
        assert await store.count() == 0  # reads still work: a read is no health check
        with pytest.raises(StorageError, match="readonly"):
            await store.check_writable()
    finally:
        await store.close()


class _CountingStore(SqliteSessionStore):
    """The real store, counting its transactions."""

    commits = 0

    async def _commit(self, batch):  # type: ignore[no-untyped-def]
        self.commits += 1
        await super()._commit(batch)


async def test_concurrent_saves_share_transactions_and_keep_their_own_checks(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "group.db")
    await store.open()
    other = SqliteSessionStore(tmp_path / "group.db")
    await other.open()
    try:
        first = await store.save(Session(chat_id=1, state="asking_risk", answers=ANSWERS[:1]))
        store.commits = 0
        sessions = [Session(chat_id=100 + n, state="asking_risk", answers=ANSWERS[:1]) for n in range(100)]
        stale = Session(chat_id=1, state="asking_time", answers=ANSWERS[:2], version=first.version - 1)
        results = await asyncio.gather(*(store.save(s) for s in sessions), store.save(stale), return_exceptions=True)
        assert isinstance(results[-1], VersionConflict)
        assert all(isinstance(r, Session) and r.version == 1 for r in results[:-1])
        assert store.commits < 10  # a hundred saves, a handful of fsyncs
        assert await other.count() == 101
        assert (await other.load(1)).answers == ANSWERS[:1]
    finally:
        await store.close()
        await other.close()


# -- backend particulars -------------------------------------------------------------------------
def test_only_postgres_has_the_poller_slot(tmp_path: Path) -> None:
    """Polling is one process per bot: only a store several processes share needs the slot."""
    assert isinstance(PostgresSessionStore("postgresql://nobody@127.0.0.1/none"), PollerSlot)
    assert not isinstance(SqliteSessionStore(tmp_path / "s.db"), PollerSlot)
    assert not isinstance(MemorySessionStore(), PollerSlot)


#: Backends whose chat lock holds across stores (SQLite's needs none: one process owns a file).
LOCKING_ACROSS_STORES = ("memory", "postgres")


@pytest.fixture(params=[pytest.param(name, marks=NEEDS_SERVER.get(name, ())) for name in LOCKING_ACROSS_STORES])
def locking_backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param](request)


async def test_the_chat_lock_excludes_other_stores_per_chat(locking_backend: Backend) -> None:
    """A second store (another worker) waits for the chat another holds, then sees its commit;
    other chats go on meanwhile."""
    one, two = locking_backend.make(), locking_backend.make()
    await one.open()
    await two.open()
    order: list[str] = []
    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with one.chat_lock(7):
            holding.set()
            await release.wait()
            await one.save(Session(chat_id=7))
            order.append("first saved")

    async def second() -> None:
        await holding.wait()
        async with two.chat_lock(8):
            order.append("other chat")
        waiting = asyncio.create_task(third())
        await asyncio.sleep(0.2)  # long enough for the request to reach a database server
        release.set()
        await waiting

    async def third() -> None:
        async with two.chat_lock(7):
            order.append("second got 7")
            assert await two.load(7) is not None  # it sees the first one's commit

    try:
        await asyncio.gather(first(), second())
        assert order == ["other chat", "first saved", "second got 7"]
        if isinstance(locking_backend, MemoryBackend):
            assert len(locking_backend.database.locks) == 0  # nothing left behind
    finally:
        await one.close()
        await two.close()


async def test_memory_stores_keep_nothing_apart_from_their_database() -> None:
    one, two = MemorySessionStore(), MemorySessionStore()
    await one.open()
    await two.open()
    await one.save(Session(chat_id=1))
    assert await two.load(1) is None
