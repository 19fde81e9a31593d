"""The in-memory session store: the whole storage contract of :mod:`dialogs.storage` in dicts,
with no I/O, for unit tests (fast, nothing on disk) and a console that need not remember.

Several :class:`MemorySessionStore` objects may share one :class:`MemoryDatabase`: each then
stands for a process sharing a database, which is how the contract suite (and a test that races
two writers) makes a real compare-and-set conflict. Nothing survives the Python process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace

from dialogs.analytics import UsageEvent
from dialogs.errors import StorageError, VersionConflict
from dialogs.service import ChatLocks
from dialogs.session import Session


@dataclass
class MemoryDatabase:
    """What the stores sharing it see: sessions, check-ins, the usage log, and the chat locks."""

    sessions: dict[int, Session] = field(default_factory=dict)
    #: chat id -> (path, due_at)
    checkins: dict[int, tuple[str, float]] = field(default_factory=dict)
    usage: list[UsageEvent] = field(default_factory=list)
    locks: ChatLocks = field(default_factory=ChatLocks)


class MemorySessionStore:
    """Sessions in a :class:`MemoryDatabase` (a new one unless given); every method completes
    before it returns, so each write is as "committed" as memory allows."""

    def __init__(self, database: MemoryDatabase | None = None, clock: Callable[[], float] = time.time) -> None:
        self.database = database if database is not None else MemoryDatabase()
        self._clock = clock
        self._open = False

    def _db(self) -> MemoryDatabase:
        if not self._open:
            raise StorageError("the session store is not open")
        return self.database

    async def open(self) -> None:
        """Nothing to connect to or migrate."""
        self._open = True

    async def close(self) -> None:
        """Stop serving; the data stays in the database for the next store that opens it."""
        self._open = False

    def chat_lock(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        """An asyncio lock per chat, shared by every store on the same database."""
        return self._db().locks.hold(chat_id)

    async def load(self, chat_id: int) -> Session | None:
        """The stored session of ``chat_id``, or None."""
        return self._db().sessions.get(chat_id)

    async def save(self, session: Session, usage: Sequence[UsageEvent] = ()) -> Session:
        """Compare-and-set on ``version`` (0: none stored yet); appends ``usage`` only on success."""
        db = self._db()
        stored = db.sessions.get(session.chat_id)
        current = stored.version if stored is not None else 0
        if current != session.version:
            raise VersionConflict(session.chat_id, session.version)
        now = self._clock()
        created = stored.created_at if stored is not None else now
        saved = replace(session, version=current + 1, created_at=created, updated_at=now)
        db.sessions[session.chat_id] = saved
        db.usage.extend(usage)
        return saved

    async def record_usage(self, usage: Sequence[UsageEvent]) -> None:
        """Append usage events."""
        self._db().usage.extend(usage)

    async def usage_since(self, cutoff: float) -> list[UsageEvent]:
        """Usage events at or after ``cutoff``, in the order they were recorded."""
        return [event for event in self._db().usage if event.at >= cutoff]

    async def set_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Remember the message that shows the current question."""
        await self.set_prompts({chat_id: message_id})

    async def set_prompts(self, prompts: Mapping[int, int | None]) -> None:
        """Remember several chats' prompt messages (no version change; chats without a session are skipped)."""
        sessions = self._db().sessions
        for chat_id, message_id in prompts.items():
            if chat_id in sessions:
                sessions[chat_id] = replace(sessions[chat_id], prompt_message_id=message_id)

    async def delete(self, chat_id: int) -> int:
        """Forget ``chat_id``'s session and check-in; how many of the two there were."""
        db = self._db()
        return sum(table.pop(chat_id, None) is not None for table in (db.sessions, db.checkins))

    async def set_checkin(self, chat_id: int, path: str, due_at: float) -> None:
        """Remember to check in with ``chat_id`` at ``due_at`` about ``path`` (replacing any earlier one)."""
        self._db().checkins[chat_id] = (path, due_at)

    async def claim_due_checkins(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Remove and return up to ``limit`` check-ins due by ``now``, the longest overdue first."""
        checkins = self._db().checkins
        due = sorted((due_at, chat_id) for chat_id, (_, due_at) in checkins.items() if due_at <= now)[:max(limit, 0)]
        return [(chat_id, checkins.pop(chat_id)[0]) for _, chat_id in due]

    async def next_checkin_due(self) -> float | None:
        """When the earliest check-in is due, or None."""
        return min((due_at for _, due_at in self._db().checkins.values()), default=None)

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete sessions idle since before ``cutoff``, and older usage events."""
        db = self._db()
        idle = [chat_id for chat_id, session in db.sessions.items() if session.updated_at < cutoff]
        for chat_id in idle:
            del db.sessions[chat_id]
        db.usage[:] = [event for event in db.usage if event.at >= cutoff]
        return len(idle)

    async def count(self) -> int:
        """How many sessions are stored."""
        return len(self._db().sessions)

    async def check_writable(self) -> None:
        """Memory always takes writes while the store is open (StorageError once closed)."""
        self._db()
