"""The storage ports, one protocol per concern (as aiogram keeps ``BaseStorage`` apart from
``BaseEventIsolation``); the dialog never sees SQL.

    SessionStore          what every backend implements, and what DialogService takes
     ├── StoreLifecycle     open (connect, migrate) and close
     ├── VersionedSessions  sessions with compare-and-set writes, prompts, forgetting, retention
     ├── ChatIsolation      the per-chat lock across processes sharing the store
     ├── UsageLog           anonymous usage events
     ├── CheckinQueue       check-ins, each claimed once
     └── HealthCheck        a cheap committed write (reads may work on a full disk)
    PollerSlot            optional: the one getUpdates consumer per bot (PostgreSQL only); the
                          composition root asks ``isinstance(store, PollerSlot)``

One contract test suite (tests/test_storage_contract.py) holds every backend to these promises:
in memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from dialogs.analytics import UsageEvent
from dialogs.session import Session


@runtime_checkable
class StoreLifecycle(Protocol):
    """Opening and closing the backend."""

    async def open(self) -> None:
        """Connect, create or migrate the schema."""

    async def close(self) -> None:
        """Flush and release the backend (stored data stays)."""


@runtime_checkable
class VersionedSessions(Protocol):
    """Durable per-chat sessions with compare-and-set writes on their version counter."""

    async def load(self, chat_id: int) -> Session | None:
        """The stored session of ``chat_id``, or None."""

    async def save(self, session: Session, usage: Sequence[UsageEvent] = ()) -> Session:
        """Store ``session`` durably if the stored version still equals ``session.version``
        (0: no session stored yet), with ``usage`` appended to the usage log in the same
        transaction.

        Returns the session with its new version; raises VersionConflict otherwise (and
        appends nothing). Returns only after the write is committed."""

    async def set_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Remember which message shows the current question (no version change; nothing if
        the chat has no session)."""

    async def set_prompts(self, prompts: Mapping[int, int | None]) -> None:
        """set_prompt for several chats at once, in one transaction."""

    async def delete(self, chat_id: int) -> int:
        """Delete every row about ``chat_id`` (session and check-in); return how many rows were removed."""

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete sessions not updated since ``cutoff`` (epoch seconds), and usage events
        older than it; return how many sessions."""

    async def count(self) -> int:
        """How many sessions are stored."""


@runtime_checkable
class ChatIsolation(Protocol):
    """One event of a chat at a time across every process sharing the store."""

    def chat_lock(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        """Hold ``chat_id`` exclusively across every process sharing the store (load, apply,
        save); the service takes it inside its in-process lock."""


@runtime_checkable
class UsageLog(Protocol):
    """Anonymous usage events (no chat ids, no words), for the operator's figures."""

    async def record_usage(self, usage: Sequence[UsageEvent]) -> None:
        """Append anonymous usage events to the log."""

    async def usage_since(self, cutoff: float) -> list[UsageEvent]:
        """Every usage event at or after ``cutoff`` (epoch seconds), oldest first."""


@runtime_checkable
class CheckinQueue(Protocol):
    """Check-ins to send later, one per chat, each handed out once."""

    async def set_checkin(self, chat_id: int, path: str, due_at: float) -> None:
        """Remember to check in with ``chat_id`` at ``due_at`` about ``path`` (replacing any earlier one)."""

    async def claim_due_checkins(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Remove and return up to ``limit`` check-ins due by ``now``, the longest overdue first;
        each is returned once, even to several processes sharing the store."""

    async def next_checkin_due(self) -> float | None:
        """When the earliest check-in is due, or None."""


@runtime_checkable
class HealthCheck(Protocol):
    """Whether the store still takes writes."""

    async def check_writable(self) -> None:
        """Commit a cheap write that leaves no trace; raise StorageError if it fails (a full or
        read-only disk, a read-only database): the health check, since reads may still work."""


@runtime_checkable
class SessionStore(StoreLifecycle, VersionedSessions, ChatIsolation, UsageLog, CheckinQueue, HealthCheck, Protocol):
    """Every port all backends implement: what DialogService and the composition root take."""


@runtime_checkable
class PollerSlot(Protocol):
    """The database-wide slot of the one process that polls Telegram (Telegram allows one
    getUpdates consumer per bot). Only stores shared by several processes have it (PostgreSQL);
    elsewhere one process owns the store and there is nothing to claim."""

    async def claim_poller(self) -> bool:
        """Take the slot for as long as the store is open; False if another process holds it."""

    async def check_poller(self) -> bool:
        """True while this store still holds the slot (taken anew after a lost connection if
        nobody else took it); raises StorageError while nobody can tell."""

    async def release_poller(self) -> None:
        """Give the slot back (closing the store does it too)."""
