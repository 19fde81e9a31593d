"""The session store interface. Backends implement :class:`SessionStore`; the dialog never
sees SQL. One contract test suite (tests/test_storage_contract.py) runs against every backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from dialogs.analytics import UsageEvent
from dialogs.session import Session


class SessionStore(Protocol):
    """Durable per-chat sessions with compare-and-set writes."""

    async def open(self) -> None:
        """Connect, create or migrate the schema."""

    async def close(self) -> None:
        """Flush and release the backend."""

    def chat_lock(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        """Hold ``chat_id`` exclusively across every process sharing the store (load, apply,
        save); the service takes it inside its in-process lock."""

    async def load(self, chat_id: int) -> Session | None:
        """The stored session of ``chat_id``, or None."""

    async def save(self, session: Session, usage: Sequence[UsageEvent] = ()) -> Session:
        """Store ``session`` durably if the stored version still equals ``session.version``,
        with ``usage`` appended to the event log in the same transaction.

        Returns the session with its new version; raises VersionConflict otherwise (and
        appends nothing). Returns only after the write is committed."""

    async def record_usage(self, usage: Sequence[UsageEvent]) -> None:
        """Append anonymous usage events to the log."""

    async def usage_since(self, cutoff: float) -> list[UsageEvent]:
        """Every usage event at or after ``cutoff`` (epoch seconds), oldest first."""

    async def set_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Remember which message shows the current question (no version change)."""

    async def set_prompts(self, prompts: Mapping[int, int | None]) -> None:
        """set_prompt for several chats at once, in one transaction."""

    async def delete(self, chat_id: int) -> int:
        """Delete every row about ``chat_id`` (session and check-in); return how many rows were removed."""

    async def set_checkin(self, chat_id: int, path: str, due_at: float) -> None:
        """Remember to check in with ``chat_id`` at ``due_at`` about ``path`` (replacing any earlier one)."""

    async def claim_due_checkins(self, now: float, limit: int) -> list[tuple[int, str]]:
        """Remove and return up to ``limit`` check-ins due by ``now``; each is returned once,
        even to several processes sharing the store."""

    async def next_checkin_due(self) -> float | None:
        """When the earliest check-in is due, or None."""

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete sessions not updated since ``cutoff`` (epoch seconds), and usage events
        older than it; return how many sessions."""

    async def count(self) -> int:
        """How many sessions are stored."""

    async def check_writable(self) -> None:
        """Commit a cheap write that leaves no trace; raise StorageError if it fails (a full or
        read-only disk, a read-only database): the health check, since reads may still work."""
