"""The SQLite session store (aiosqlite): WAL, synchronous=FULL, versioned schema migrations."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosqlite

from dialogs.analytics import UsageEvent
from dialogs.errors import StorageError, VersionConflict
from dialogs.session import Answer, PreviousResult, Session

#: Each entry migrates the schema from version N to N+1 (PRAGMA user_version holds N).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
               chat_id    INTEGER PRIMARY KEY,
               state      TEXT    NOT NULL,
               answers    TEXT    NOT NULL,
               generation INTEGER NOT NULL DEFAULT 0,
               version    INTEGER NOT NULL,
               created_at REAL    NOT NULL,
               updated_at REAL    NOT NULL
           )""",
    ),
    (
        "ALTER TABLE sessions ADD COLUMN prompt_message_id INTEGER",
        "CREATE INDEX sessions_updated_at ON sessions (updated_at)",
    ),
    (
        """CREATE TABLE checkins (
               chat_id    INTEGER PRIMARY KEY,
               path       TEXT    NOT NULL,
               due_at     REAL    NOT NULL,
               created_at REAL    NOT NULL
           )""",
        "CREATE INDEX checkins_due_at ON checkins (due_at)",
    ),
    (
        "ALTER TABLE sessions ADD COLUMN language TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sessions ADD COLUMN started_at REAL NOT NULL DEFAULT 0",
        """CREATE TABLE usage_events (
               id      INTEGER PRIMARY KEY,
               at      REAL    NOT NULL,
               kind    TEXT    NOT NULL,
               detail  TEXT    NOT NULL,
               how     TEXT    NOT NULL,
               seconds REAL
           )""",
        "CREATE INDEX usage_events_at ON usage_events (at)",
    ),
    ("ALTER TABLE sessions ADD COLUMN last_event_id INTEGER",),
)
_INSERT_USAGE = "INSERT INTO usage_events (at, kind, detail, how, seconds) VALUES (?, ?, ?, ?, ?)"
SCHEMA_VERSION = len(MIGRATIONS)
#: The kind of the usage row that check_writable writes and deletes in the same transaction.
_HEALTH_PROBE = "health_probe"
_Operation = Callable[[aiosqlite.Connection, float], Awaitable[Any]]

_SELECT = (
    "SELECT chat_id, state, answers, generation, version, prompt_message_id, created_at, updated_at, language, "
    "started_at, last_event_id FROM sessions WHERE chat_id = ?"
)
_UPDATE = (
    "UPDATE sessions SET state = ?, answers = ?, generation = ?, prompt_message_id = ?, language = ?, "
    "started_at = ?, last_event_id = ?, version = version + 1, updated_at = ? WHERE chat_id = ? AND version = ?"
)
_INSERT = (
    "INSERT INTO sessions (chat_id, state, answers, generation, prompt_message_id, language, started_at, "
    "last_event_id, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
    "ON CONFLICT (chat_id) DO NOTHING"
)
_SET_PROMPT = "UPDATE sessions SET prompt_message_id = ? WHERE chat_id = ?"


def _usage_row(event: UsageEvent) -> tuple[float, str, str, str, float | None]:
    return (event.at, event.kind, event.detail, event.how, event.seconds)


def encode_answers(answers: Sequence[Answer], prefilled: Sequence[Answer] = (),
                   verdict: tuple[str, str] | None = None, previous: PreviousResult | None = None) -> str:
    """Answers as compact JSON: [["skills","generalist"], ...]; with answers stated ahead of their
    question, {"a": [...], "p": [...]}, with the quiz's "Does this feel right?" vote, "v":
    [path, vote], and with the result before this one, "r": {"a": [...], "p": path} (the same
    column: no migration, older rows still read)."""
    given = [list(answer) for answer in answers]
    if not prefilled and not verdict and previous is None:
        return json.dumps(given, separators=(",", ":"))
    document: dict[str, object] = {"a": given, "p": [list(answer) for answer in prefilled]}
    if verdict:
        document["v"] = list(verdict)
    if previous is not None:
        document["r"] = {"a": [list(answer) for answer in previous.answers], "p": previous.path}
    return json.dumps(document, separators=(",", ":"))


def _pairs(items: object) -> tuple[Answer, ...]:
    if not isinstance(items, list):
        raise TypeError("not a list")
    return tuple((str(q), str(o)) for q, o in items)


def decode_answers(raw: str) -> tuple[Answer, ...]:
    """Inverse of encode_answers; malformed data yields no answers rather than a crash."""
    try:
        items = json.loads(raw)
        return _pairs(items["a"] if isinstance(items, dict) else items)
    except (ValueError, TypeError, KeyError):
        return ()


def decode_prefilled(raw: str) -> tuple[Answer, ...]:
    """The answers stated ahead of their question that encode_answers stored; () if none."""
    try:
        items = json.loads(raw)
        return _pairs(items["p"]) if isinstance(items, dict) else ()
    except (ValueError, TypeError, KeyError):
        return ()


def decode_verdict(raw: str) -> tuple[str, str] | None:
    """The vote encode_answers stored; None if none (or malformed)."""
    try:
        items = json.loads(raw)
        path, vote = items["v"]
        return (str(path), str(vote))
    except (ValueError, TypeError, KeyError):
        return None


def decode_previous(raw: str) -> PreviousResult | None:
    """The result before this one that encode_answers stored; None if none (or malformed)."""
    try:
        items = json.loads(raw)
        previous = items["r"]
        return PreviousResult(_pairs(previous["a"]), str(previous["p"]))
    except (ValueError, TypeError, KeyError):
        return None


def session_from_row(row: Sequence[Any]) -> Session:
    """A session from its row, columns in the order both stores select them: chat_id, state,
    answers, generation, version, prompt_message_id, created_at, updated_at, language,
    started_at, last_event_id."""
    answers = row[2]
    return Session(
        chat_id=row[0], state=row[1], answers=decode_answers(answers), generation=row[3], version=row[4],
        prompt_message_id=row[5], created_at=row[6], updated_at=row[7], language=row[8], started_at=row[9],
        last_event_id=row[10], prefilled=decode_prefilled(answers), verdict=decode_verdict(answers),
        previous=decode_previous(answers),
    )


class SqliteSessionStore:
    """Sessions in one SQLite file; every save is committed (fsync'd) before it returns."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self._path = str(path)
        self._clock = clock
        self._db: aiosqlite.Connection | None = None
        self._pending_writes: list[tuple[_Operation, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    async def open(self) -> None:
        """Connect, enable WAL and FULL sync, and migrate the schema to SCHEMA_VERSION."""
        try:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self._path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=FULL")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._db.execute("PRAGMA secure_delete=ON")  # forgotten data is overwritten, not just unlinked
            await self._migrate()
        except Exception as error:  # aiosqlite raises sqlite3 errors and OSError
            await self.close()
            raise StorageError(f"cannot open the session database {self._path}: {error}") from error

    async def _migrate(self) -> None:
        db = self._connection()
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StorageError(f"database schema version {current} is newer than this program's {SCHEMA_VERSION}")
        for version in range(current, SCHEMA_VERSION):
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[version]:
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {version + 1:d}")
                await db.execute("COMMIT")
            except Exception:
                await db.execute("ROLLBACK")
                raise

    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StorageError("the session store is not open")
        return self._db

    async def close(self) -> None:
        """Finish pending writes, then close (a clean WAL checkpoint happens on close)."""
        if self._writer is not None and not self._writer.done():
            await self._writer
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the file."""
        async with self._connection().execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    def chat_lock(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        """Nothing to hold: one process owns a SQLite file's chats (the service's in-process lock
        orders them), and compare-and-set keeps a second process from overwriting anything."""
        return nullcontext()

    async def load(self, chat_id: int) -> Session | None:
        """The stored session of ``chat_id``, or None."""
        rows = await self._connection().execute_fetchall(_SELECT, (chat_id,))
        if not rows:
            return None
        return session_from_row(next(iter(rows)))

    async def save(self, session: Session, usage: Sequence[UsageEvent] = ()) -> Session:
        """Compare-and-set write (with its usage events), committed (fsync'd) before returning."""
        return await self._write(lambda db, now: self._save_one(db, session, now, usage))

    async def record_usage(self, usage: Sequence[UsageEvent]) -> None:
        """Append usage events."""
        if usage:
            rows = [_usage_row(event) for event in usage]
            await self._write(lambda db, now: db.executemany(_INSERT_USAGE, rows))

    async def usage_since(self, cutoff: float) -> list[UsageEvent]:
        """Usage events at or after ``cutoff``."""
        rows = await self._connection().execute_fetchall(
            "SELECT kind, detail, how, seconds, at FROM usage_events WHERE at >= ? ORDER BY id", (cutoff,))
        return [UsageEvent(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    async def set_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Remember the message that shows the current question."""
        await self.set_prompts({chat_id: message_id})

    async def set_prompts(self, prompts: Mapping[int, int | None]) -> None:
        """Remember several chats' prompt messages (no version change)."""
        if prompts:
            rows = [(message_id, chat_id) for chat_id, message_id in prompts.items()]
            await self._write(lambda db, now: db.executemany(_SET_PROMPT, rows))

    async def delete(self, chat_id: int) -> int:
        """Delete every row about ``chat_id`` (its session and any check-in)."""

        async def delete_all(db: aiosqlite.Connection, now: float) -> int:
            removed = 0
            for table in ("sessions", "checkins"):
                cursor = await db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (chat_id,))  # noqa: S608 - fixed names
                removed += max(cursor.rowcount, 0)
            return removed

        return int(await self._write(delete_all))

    async def set_checkin(self, chat_id: int, path: str, due_at: float) -> None:
        """Remember to check in with ``chat_id`` at ``due_at`` about ``path`` (replacing any earlier one)."""
        await self._write(lambda db, now: db.execute(
            "INSERT INTO checkins (chat_id, path, due_at, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET path = excluded.path, due_at = excluded.due_at",
            (chat_id, path, due_at, now)))

    async def claim_due_checkins(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Remove and return up to ``limit`` check-ins due by ``now``: each is handed out once."""

        async def claim(db: aiosqlite.Connection, _: float) -> list[tuple[int, str]]:
            rows = await db.execute_fetchall(
                "DELETE FROM checkins WHERE chat_id IN "
                "(SELECT chat_id FROM checkins WHERE due_at <= ? ORDER BY due_at LIMIT ?) RETURNING chat_id, path",
                (now, limit))
            return [(int(row[0]), str(row[1])) for row in rows]

        return list(await self._write(claim))

    async def next_checkin_due(self) -> float | None:
        """When the earliest check-in is due, or None."""
        async with self._connection().execute("SELECT MIN(due_at) FROM checkins") as cursor:
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete sessions idle since before ``cutoff``."""
        async def purge(db: aiosqlite.Connection, now: float) -> int:
            cursor = await db.execute("DELETE FROM sessions WHERE updated_at < ?", (cutoff,))
            await db.execute("DELETE FROM usage_events WHERE at < ?", (cutoff,))
            return max(cursor.rowcount, 0)

        return int(await self._write(purge))

    # -- group commit ----------------------------------------------------------------------
    async def _write(self, operation: _Operation) -> Any:
        """Run a write in the next transaction and wait until that transaction is committed.

        Writes that arrive while a commit is under way are committed together (group commit):
        one fsync for many people, each still durable before its reply and still checked
        against its own version. Every write goes through here, so transactions never mix."""
        self._connection()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending_writes.append((operation, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending_writes:
            batch, self._pending_writes = self._pending_writes, []
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[_Operation, asyncio.Future[Any]]]) -> None:
        db = self._connection()
        now = self._clock()
        results: list[Any] = []
        try:
            if len(batch) > 1:
                await db.execute("BEGIN IMMEDIATE")
            for operation, _ in batch:
                results.append(await operation(db, now))
            if len(batch) > 1:
                await db.execute("COMMIT")
        except Exception as error:  # every waiter must hear about it
            if db.in_transaction:
                await db.execute("ROLLBACK")
            results = [StorageError(f"session write failed: {error}")] * len(batch)
        for (_, future), result in zip(batch, results):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    @staticmethod
    async def _save_one(db: aiosqlite.Connection, session: Session, now: float,
                        usage: Sequence[UsageEvent] = ()) -> Session | VersionConflict:
        answers = encode_answers(session.answers, session.prefilled, session.verdict, session.previous)
        if session.version == 0:
            cursor = await db.execute(_INSERT, (session.chat_id, session.state, answers, session.generation,
                                                session.prompt_message_id, session.language, session.started_at,
                                                session.last_event_id, now, now))
            created = now
        else:
            cursor = await db.execute(_UPDATE, (session.state, answers, session.generation, session.prompt_message_id,
                                                session.language, session.started_at, session.last_event_id, now,
                                                session.chat_id, session.version))
            created = session.created_at
        if cursor.rowcount != 1:
            return VersionConflict(session.chat_id, session.version)
        if usage:
            await db.executemany(_INSERT_USAGE, [_usage_row(event) for event in usage])
        return replace(session, version=session.version + 1, created_at=created, updated_at=now)

    async def count(self) -> int:
        """How many sessions are stored."""
        async with self._connection().execute("SELECT COUNT(*) FROM sessions") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def check_writable(self) -> None:
        """Commit a usage row and its deletion in one transaction (through the group commit, so
        the write reaches the WAL and is fsync'd like any other); raise StorageError on failure."""

        async def probe(db: aiosqlite.Connection, now: float) -> None:
            own = not db.in_transaction  # alone in its batch: autocommit, so it opens its own
            if own:
                await db.execute("BEGIN IMMEDIATE")
            cursor = await db.execute(_INSERT_USAGE, (now, _HEALTH_PROBE, "", "", None))
            await db.execute("DELETE FROM usage_events WHERE id = ?", (cursor.lastrowid,))
            if own:
                await db.execute("COMMIT")

        await self._write(probe)
