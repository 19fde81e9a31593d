"""The PostgreSQL session store (asyncpg): for platforms whose disk is wiped at every deploy, and
for several workers sharing one database.

Durability: every write is its own committed transaction and PostgreSQL's default
``synchronous_commit = on`` flushes the WAL before COMMIT returns, so a saved answer survives a
crash of the bot or the server. Prompt message ids are cosmetic (losing one leaves an old
keyboard whose presses are handled as stale), so they are written with ``synchronous_commit =
off``: no flush of their own.

Several processes: :meth:`PostgresSessionStore.chat_lock` takes a per-chat advisory lock, held
on one pooled connection for the whole load-apply-save of an event, so workers apply one chat's
events one at a time; compare-and-set on ``version`` stays as the last line of defence.

Why asyncpg rather than psycopg 3: on the local server, load plus compare-and-set save with 16
chats in flight ran at about the same rate (3,600-3,900 a second each) but asyncpg spent less
client CPU per round trip (about 180 us against 220-260 us), which is what a worker pays per
update; it needs no libpq and its pool resets advisory locks of returned connections.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.storage.sqlite import encode_answers, session_from_row
from dialogs.analytics import UsageEvent
from dialogs.errors import StorageError, VersionConflict
from dialogs.session import Session

#: Each entry migrates the schema from version N to N+1 (table schema_version holds N).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
               chat_id           BIGINT PRIMARY KEY,
               state             TEXT   NOT NULL,
               answers           TEXT   NOT NULL,
               generation        BIGINT NOT NULL DEFAULT 0,
               version           BIGINT NOT NULL,
               prompt_message_id BIGINT,
               language          TEXT   NOT NULL DEFAULT '',
               started_at        DOUBLE PRECISION NOT NULL DEFAULT 0,
               last_event_id     BIGINT,
               created_at        DOUBLE PRECISION NOT NULL,
               updated_at        DOUBLE PRECISION NOT NULL
           )""",
        "CREATE INDEX sessions_updated_at ON sessions (updated_at)",
        """CREATE TABLE checkins (
               chat_id    BIGINT PRIMARY KEY,
               path       TEXT   NOT NULL,
               due_at     DOUBLE PRECISION NOT NULL,
               created_at DOUBLE PRECISION NOT NULL
           )""",
        "CREATE INDEX checkins_due_at ON checkins (due_at)",
        """CREATE TABLE usage_events (
               id      BIGSERIAL PRIMARY KEY,
               at      DOUBLE PRECISION NOT NULL,
               kind    TEXT NOT NULL,
               detail  TEXT NOT NULL,
               how     TEXT NOT NULL,
               seconds DOUBLE PRECISION
           )""",
        "CREATE INDEX usage_events_at ON usage_events (at)",
    ),
    (
        # The bot's flood budget, shared by every worker (see bot.flood_control): the time, in
        # the database's clock, from which the next call's slot is free.
        "CREATE TABLE send_budget (id INTEGER PRIMARY KEY CHECK (id = 1), next_slot DOUBLE PRECISION NOT NULL)",
        "INSERT INTO send_budget (id, next_slot) VALUES (1, 0)",
    ),
)
#: Take the next send slot (GCRA): one every $1 seconds, up to $2 seconds of them saved up;
#: returns how far ahead of now the slot is (the seconds to wait, when positive).
_RESERVE_SLOT = """
    WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
    UPDATE send_budget SET next_slot = greatest(next_slot, clock.now - $2) + $1 FROM clock WHERE id = 1
    RETURNING next_slot - $1 - clock.now"""
_HOLD_SENDS = """
    UPDATE send_budget SET next_slot = greatest(next_slot, extract(epoch FROM clock_timestamp())::float8 + $1)
    WHERE id = 1"""
SCHEMA_VERSION = len(MIGRATIONS)
#: Advisory locks of Crossroads itself use the two-int4 key space (class, object); chat locks
#: use the bigint key space, which PostgreSQL keeps apart, so a chat id never collides with them.
LOCK_CLASS = 0x43524F53  # "CROS"
MIGRATION_LOCK = 1
POLLER_LOCK = 2
CONNECT_TIMEOUT_SECONDS = 10.0
#: A poller-lock connection that does not answer SELECT 1 in this long is taken for lost.
POLLER_CHECK_TIMEOUT_SECONDS = 5.0
COMMAND_TIMEOUT_SECONDS = 30.0
DEFAULT_POOL_SIZE = 10
#: Errors that mean "the database did not do it": connection loss, server errors, timeouts.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError,
)
#: ...plus a malformed URL at connect time, and our own refusal of a newer schema.
CONNECT_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, ValueError)
MIGRATE_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, StorageError)

_COLUMNS = ("chat_id, state, answers, generation, version, prompt_message_id, created_at, updated_at, language, "
            "started_at, last_event_id")
_SELECT = f"SELECT {_COLUMNS} FROM sessions WHERE chat_id = $1"
_UPDATE = (
    "UPDATE sessions SET state = $1, answers = $2, generation = $3, prompt_message_id = $4, last_event_id = $5, "
    "language = $6, started_at = $7, version = version + 1, updated_at = $8 WHERE chat_id = $9 AND version = $10"
)
_INSERT = (
    "INSERT INTO sessions (chat_id, state, answers, generation, prompt_message_id, last_event_id, language, "
    "started_at, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) "
    "ON CONFLICT (chat_id) DO NOTHING"
)
_INSERT_USAGE = "INSERT INTO usage_events (at, kind, detail, how, seconds) VALUES ($1, $2, $3, $4, $5)"
#: The kind of the usage row that check_writable writes and deletes in the same transaction.
_HEALTH_PROBE = "health_probe"
_CLAIM_CHECKINS = (
    "DELETE FROM checkins WHERE chat_id IN (SELECT chat_id FROM checkins WHERE due_at <= $1 ORDER BY due_at "
    "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING chat_id, path"
)
#: Which server session this is: its pid and start time (a pid alone may be reused).
_SESSION_ID = "SELECT pid::text || '@' || backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()"
#: Which server session holds the poller lock in this database, if any (as _SESSION_ID).
_POLLER_HOLDER = (
    "SELECT a.pid::text || '@' || a.backend_start::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
#: One round trip: the set_config is local to the statement's own transaction, so its commit
#: does not wait for a WAL flush (see the module docstring).
_SET_PROMPT = (
    "WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "UPDATE sessions SET prompt_message_id = $1 FROM unflushed WHERE chat_id = $2"
)


def _usage_row(event: UsageEvent) -> tuple[float, str, str, str, float | None]:
    return (event.at, event.kind, event.detail, event.how, event.seconds)


def describe(url: str) -> str:
    """'database "crossroads" at db.example.com:5432' for messages: never the password."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    database = unquote(parts.path.lstrip("/")) or unquote(parts.username or "") or "postgres"
    return f'database "{database}" at {parts.hostname or "localhost"}:{port}'


def _reason(error: BaseException, url: str) -> str:
    """The error's own words, with the URL's password cut out should a driver ever echo it."""
    text = str(error).strip() or type(error).__name__
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


class PostgresSessionStore:
    """Sessions in one PostgreSQL table; every save is committed before it returns."""

    def __init__(self, url: str, clock: Callable[[], float] = time.time, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self._url = url
        self._clock = clock
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        #: The connection holding the current task's chat lock: the chat's load and save use it
        #: (a second pooled connection per chat could exhaust the pool while locks wait).
        self._turn: contextvars.ContextVar[asyncpg.Connection | None] = contextvars.ContextVar(
            f"crossroads_turn_{id(self)}", default=None)
        #: The connection holding the poller lock, its server session (_SESSION_ID, kept after
        #: the connection is lost), and whether this store claimed the lock at all.
        self._poller: asyncpg.Connection | None = None
        self._poller_session: str | None = None
        self._poller_claimed = False

    @property
    def where(self) -> str:
        """Host and database, for messages."""
        return describe(self._url)

    async def open(self) -> None:
        """Connect, and create or migrate the schema to SCHEMA_VERSION."""
        try:
            self._pool = await asyncpg.create_pool(
                self._url, min_size=1, max_size=self._pool_size, timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except CONNECT_ERRORS as error:
            raise StorageError(f"cannot connect to PostgreSQL {self.where}: {_reason(error, self._url)}") from None
        try:
            await self._migrate()
        except MIGRATE_ERRORS as error:
            await self.close()
            raise StorageError(f"cannot prepare PostgreSQL {self.where}: {_reason(error, self._url)}") from None

    async def _migrate(self) -> None:
        """Migrate under an advisory lock, so that workers starting together migrate once."""
        async with self._pool_or_fail().acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_CLASS, MIGRATION_LOCK)
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = await db.fetchval("SELECT max(version) FROM schema_version")
            if current is None:
                current = 0
                await db.execute("INSERT INTO schema_version (version) VALUES (0)")
            if current > SCHEMA_VERSION:
                raise StorageError(f"database schema version {current} is newer than this program's {SCHEMA_VERSION}")
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    await db.execute(statement)
            await db.execute("UPDATE schema_version SET version = $1", max(current, SCHEMA_VERSION))

    def _pool_or_fail(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("the session store is not open")
        return self._pool

    async def close(self) -> None:
        """Release the poller lock and close every connection."""
        await self.release_poller()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the database."""
        return int(await self._fetchval("SELECT max(version) FROM schema_version") or 0)

    # -- locks -------------------------------------------------------------------------------
    def chat_lock(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        """Hold the chat's advisory lock on one pooled connection (see the module docstring)."""
        return self._chat_lock(chat_id)

    @asynccontextmanager
    async def _chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        pool = self._pool_or_fail()
        try:
            connection = await pool.acquire()
        except DATABASE_ERRORS as error:
            raise StorageError(f"session database unavailable: {_reason(error, self._url)}") from None
        token = None
        try:
            try:
                await connection.execute("SELECT pg_advisory_lock($1::bigint)", chat_id)
            except DATABASE_ERRORS as error:
                raise StorageError(f"session database unavailable: {_reason(error, self._url)}") from None
            token = self._turn.set(connection)
            yield
        finally:
            if token is not None:
                self._turn.reset(token)
                if not connection.is_closed():
                    with contextlib.suppress(*DATABASE_ERRORS):  # a broken connection's locks died with it
                        await connection.execute("SELECT pg_advisory_unlock($1::bigint)", chat_id)
            with contextlib.suppress(*DATABASE_ERRORS):  # the pool replaces a broken connection by itself
                await pool.release(connection)

    async def claim_poller(self) -> bool:
        """Take the database-wide poller lock for as long as the store is open; False if another
        process holds it (Telegram allows one getUpdates consumer per bot)."""
        if self._poller is not None:
            return True
        if await self._take_poller():
            self._poller_claimed = True
            return True
        return False

    async def check_poller(self) -> bool:
        """True while this store still holds the poller lock. A session lock dies with its
        connection (a database restart or a network blip), so once the database answers again
        the lock is taken anew on a fresh connection: False if another process took it
        meanwhile. Raises StorageError while the database is unreachable (nobody can tell then)."""
        if not self._poller_claimed:
            return False
        connection = self._poller
        if connection is not None:
            try:
                await connection.fetchval("SELECT 1", timeout=POLLER_CHECK_TIMEOUT_SECONDS)
                return True  # the session, and so its lock, is alive
            except DATABASE_ERRORS:
                self._poller = None
                with contextlib.suppress(*DATABASE_ERRORS):  # a lost connection may be detached already
                    connection.terminate()
                    await self._pool_or_fail().release(connection)
        if await self._take_poller():
            return True
        # Our lost session may live on in the server until the server notices: the lock is ours then.
        holder = await self._fetchval(_POLLER_HOLDER, LOCK_CLASS, POLLER_LOCK)
        return holder is not None and holder == self._poller_session

    async def _take_poller(self) -> bool:
        """Try the poller lock on a pooled connection, kept while the lock is held."""
        try:
            connection = await self._pool_or_fail().acquire()
            try:
                session = await connection.fetchval(_SESSION_ID)
                taken = await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, POLLER_LOCK)
            except BaseException:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await self._pool_or_fail().release(connection)
                raise
            if taken:
                self._poller, self._poller_session = connection, session
                return True
            await self._pool_or_fail().release(connection)
        except DATABASE_ERRORS as error:
            raise StorageError(f"session database unavailable: {_reason(error, self._url)}") from None
        return False

    async def release_poller(self) -> None:
        """Give the poller lock back (closing the store does it too)."""
        self._poller_claimed = False
        if self._poller is not None and self._pool is not None:
            connection, self._poller = self._poller, None
            with contextlib.suppress(*DATABASE_ERRORS):
                await connection.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, POLLER_LOCK)
            with contextlib.suppress(*DATABASE_ERRORS):
                await self._pool.release(connection)

    # -- reads and writes ------------------------------------------------------------------
    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """The task's chat-lock connection if it holds one, else a pooled one; database
        failures become StorageError (the front end apologises; the pool reconnects later)."""
        held = self._turn.get()
        try:
            if held is not None:
                yield held
            else:
                async with self._pool_or_fail().acquire() as connection:
                    yield connection
        except DATABASE_ERRORS as error:
            raise StorageError(f"session database unavailable: {_reason(error, self._url)}") from None

    async def _fetchval(self, query: str, *args: Any) -> Any:
        async with self._connection() as db:
            return await db.fetchval(query, *args)

    async def load(self, chat_id: int) -> Session | None:
        """The stored session of ``chat_id``, or None."""
        async with self._connection() as db:
            row = await db.fetchrow(_SELECT, chat_id)
        if row is None:
            return None
        return session_from_row(row)

    async def save(self, session: Session, usage: Sequence[UsageEvent] = ()) -> Session:
        """Compare-and-set write (with its usage events, in one transaction), committed before returning."""
        now = self._clock()
        answers = encode_answers(session.answers, session.prefilled, session.verdict, session.previous)
        async with self._connection() as db:
            transaction = db.transaction()
            if usage:
                await transaction.start()
            try:
                if session.version == 0:
                    status = await db.execute(_INSERT, session.chat_id, session.state, answers, session.generation,
                                              session.prompt_message_id, session.last_event_id, session.language,
                                              session.started_at, now)
                    created = now
                else:
                    status = await db.execute(_UPDATE, session.state, answers, session.generation,
                                              session.prompt_message_id, session.last_event_id, session.language,
                                              session.started_at, now, session.chat_id, session.version)
                    created = session.created_at
                applied = status.endswith(" 1")  # "INSERT 0 1" / "UPDATE 1"
                if applied and usage:
                    await db.executemany(_INSERT_USAGE, [_usage_row(event) for event in usage])
            except BaseException:
                if usage:
                    await transaction.rollback()
                raise
            if usage:
                await transaction.commit()  # a lost race wrote nothing, so committing is harmless
        if not applied:
            raise VersionConflict(session.chat_id, session.version)
        return replace(session, version=session.version + 1, created_at=created, updated_at=now)

    async def record_usage(self, usage: Sequence[UsageEvent]) -> None:
        """Append usage events."""
        if usage:
            async with self._connection() as db:
                await db.executemany(_INSERT_USAGE, [_usage_row(event) for event in usage])

    async def usage_since(self, cutoff: float) -> list[UsageEvent]:
        """Usage events at or after ``cutoff``, oldest first."""
        async with self._connection() as db:
            rows = await db.fetch(
                "SELECT kind, detail, how, seconds, at FROM usage_events WHERE at >= $1 ORDER BY id", cutoff)
        return [UsageEvent(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    async def set_checkin(self, chat_id: int, path: str, due_at: float) -> None:
        """Remember to check in with ``chat_id`` at ``due_at`` about ``path`` (replacing any earlier one)."""
        async with self._connection() as db:
            await db.execute(
                "INSERT INTO checkins (chat_id, path, due_at, created_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (chat_id) DO UPDATE SET path = excluded.path, due_at = excluded.due_at",
                chat_id, path, due_at, self._clock())

    async def claim_due_checkins(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Remove and return up to ``limit`` due check-ins; workers claiming at once skip each
        other's rows, so each check-in is handed out once."""
        async with self._connection() as db:
            rows = await db.fetch(_CLAIM_CHECKINS, now, limit)
        return [(int(row[0]), str(row[1])) for row in rows]

    async def next_checkin_due(self) -> float | None:
        """When the earliest check-in is due, or None."""
        due = await self._fetchval("SELECT min(due_at) FROM checkins")
        return float(due) if due is not None else None

    async def set_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Remember the message that shows the current question."""
        await self.set_prompts({chat_id: message_id})

    async def set_prompts(self, prompts: Mapping[int, int | None]) -> None:
        """Remember several chats' prompt messages in one transaction (no version change)."""
        if not prompts:
            return
        rows = [(message_id, chat_id) for chat_id, message_id in prompts.items()]
        async with self._connection() as db:
            if len(rows) == 1:
                await db.execute(_SET_PROMPT, *rows[0])
            else:
                async with db.transaction():
                    await db.execute("SET LOCAL synchronous_commit = off")
                    await db.executemany(_SET_PROMPT, rows)

    async def delete(self, chat_id: int) -> int:
        """Delete every row about ``chat_id`` (its session and any check-in), in one transaction."""
        async with self._connection() as db, db.transaction():
            removed = 0
            for table in ("sessions", "checkins"):
                status = await db.execute(f"DELETE FROM {table} WHERE chat_id = $1", chat_id)  # noqa: S608 - fixed names
                removed += int(status.split()[-1])
        return removed

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete sessions idle since before ``cutoff``, and usage events older than it."""
        async with self._connection() as db, db.transaction():
            status = await db.execute("DELETE FROM sessions WHERE updated_at < $1", cutoff)
            await db.execute("DELETE FROM usage_events WHERE at < $1", cutoff)
        return int(status.split()[-1])

    async def reserve_send_slot(self, interval: float, tolerance: float) -> float:
        """The shared flood budget (bot.flood_control.SharedBudget): take the next call's slot,
        one every ``interval`` seconds with up to ``tolerance`` seconds saved up, in one atomic
        update of one row; the seconds to wait before sending (0 or less: now)."""
        return float(await self._fetchval(_RESERVE_SLOT, interval, tolerance))

    async def hold_sends(self, seconds: float) -> None:
        """Telegram answered 429: no worker gets a slot for ``seconds`` from now."""
        async with self._connection() as db:
            await db.execute(_HOLD_SENDS, seconds)

    async def count(self) -> int:
        """How many sessions are stored."""
        return int(await self._fetchval("SELECT count(*) FROM sessions"))

    async def check_writable(self) -> None:
        """Commit a usage row and its deletion in one transaction (a read-only server, such as a
        standby after a failover, or a full disk refuses it); raise StorageError on failure."""
        async with self._connection() as db, db.transaction():
            row_id = await db.fetchval(f"{_INSERT_USAGE} RETURNING id", self._clock(), _HEALTH_PROBE, "", "", None)
            await db.execute("DELETE FROM usage_events WHERE id = $1", row_id)
