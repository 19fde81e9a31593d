"""The dialog service: load a session, apply an event, commit, and only then hand back replies.

Events of one chat are applied one at a time (a lock per chat, and the store's chat lock when
several processes share it); events of different chats run concurrently. A compare-and-set
conflict (another process wrote the same session) re-applies the event to the fresh session, so
nothing is lost or applied twice. Events may carry the front end's ordinal (Telegram's
update_id), stored with the session: an event whose ordinal is not newer than the last one
applied is a redelivery (a worker died before acknowledging it) or overtaken, and changes nothing.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

from dialogs.analytics import UsageEvent
from dialogs.commands import command_for
from dialogs.content import DEFAULT_LANGUAGE
from dialogs.engine import DialogEngine
from dialogs.errors import VersionConflict
from dialogs.events import Event, EventKind
from dialogs.operator_report import DEFAULT_WINDOWS, collect, report_reply
from dialogs.replies import Outcome, Role
from dialogs.session import GENERATION_LIMIT, Answer, Session
from dialogs.storage import SessionStore

MAX_CONFLICT_RETRIES = 5
#: Prompt message ids waiting to be written; past this many they are flushed in one transaction.
MAX_PENDING_PROMPTS = 512
#: Event ordinals are compared only with a session touched this recently: Telegram redelivers
#: within hours, and after a week without updates it starts update_ids afresh at random.
REDELIVERY_WINDOW_SECONDS = 24 * 3600


def random_generation() -> int:
    """A new session's first quiz generation: random, so that buttons from a forgotten
    session (whose generation is no longer stored) cannot match the new one."""
    return secrets.randbelow(GENERATION_LIMIT)


def _as_stored(outcome: Outcome) -> Session:
    """The session to commit. An outcome that closes the current question or asks a new one
    supersedes the message showing it (the front end is about to close or retire it), so none is
    stored: after a crash the front end must not touch a message whose buttons are already gone
    (Telegram rejects that edit), and the new question's message rides along with the next
    answer as usual."""
    if outcome.closed_prompt is not None or any(reply.role is Role.QUESTION for reply in outcome.replies):
        return replace(outcome.session, prompt_message_id=None)
    return outcome.session


class ChatLocks:
    """One asyncio.Lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the lock of ``chat_id``; waiters are served in arrival order."""
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class DialogService:
    """Engine plus store: the one entry point every front end calls."""

    def __init__(
        self, engine: DialogEngine | Mapping[str, DialogEngine], store: SessionStore,
        first_generation: Callable[[], int] = random_generation,
        clock: Callable[[], float] = time.time,
        lazy_prompts: bool = True, operators: frozenset[int] = frozenset(),
    ) -> None:
        #: One engine per language; ``engine`` is the default language's.
        self.engines: Mapping[str, DialogEngine] = (
            {engine.content.language: engine} if isinstance(engine, DialogEngine) else dict(engine))
        self.engine = self.engines.get(DEFAULT_LANGUAGE) or next(iter(self.engines.values()))
        self.store = store
        self._first_generation = first_generation
        #: False when several processes share the store: another worker may handle the chat's
        #: next event, so the prompt is written at once (cheaply: the store need not flush it).
        self._lazy_prompts = lazy_prompts
        self._clock = clock
        #: Chats allowed the operator's commands (ADMIN_CHAT_IDS).
        self._operators = operators
        self._locks = ChatLocks()
        #: Which message shows each chat's current question, not yet written. It rides along
        #: with the chat's next committed answer (no extra fsync per question); losing it in
        #: a crash only leaves an old keyboard on screen, whose presses are handled as stale.
        self._pending_prompts: dict[int, int | None] = {}

    async def handle(self, chat_id: int, event: Event, event_id: int | None = None,
                     decided: Callable[[Outcome], object] | None = None) -> Outcome:
        """Apply ``event`` to the chat's session; a changed session is committed before returning.

        ``event_id`` (increasing per chat) makes a repeated or overtaken event a no-op.
        ``decided`` is called once, as soon as the engine has decided (before the commit), for
        what may go out before the answer is durable: the acknowledgement of a button press,
        which says nothing about the answer and only stops the person's spinner."""
        async with self._locks.hold(chat_id), self.store.chat_lock(chat_id):
            for _ in range(MAX_CONFLICT_RETRIES):
                session = await self.store.load(chat_id) or Session(chat_id, generation=self._first_generation())
                if chat_id in self._pending_prompts:
                    session = replace(session, prompt_message_id=self._pending_prompts[chat_id])
                language = self.language_for(session.language or event.language)
                if session.language != language:
                    session = replace(session, language=language)
                now = self._clock()
                meant = self.engines[language].read(session, event)  # typed words -> what they mean
                if meant.kind is EventKind.LANGUAGE:
                    outcome = self._switch_language(session, meant, now)
                elif (command := command_for(meant)) is not None and command.admin_only:
                    outcome = await self._for_operators(chat_id, session, meant, now)
                else:
                    outcome = self.engines[language].handle(session, meant, now)
                if decided is not None:
                    decided(outcome)
                    decided = None
                if self._already_applied(session, event_id):
                    return self._replayed(session, outcome, language, now)
                if outcome.checkin is not None:
                    await self.store.set_checkin(chat_id, outcome.checkin, now + self.engines[language].checkin_after)
                if outcome.forget:
                    await self.store.delete(chat_id)
                    self._pending_prompts.pop(chat_id, None)
                    return outcome
                if not outcome.changed:
                    if outcome.usage:
                        await self.store.record_usage(outcome.usage)
                    return outcome
                stored = _as_stored(outcome)
                if event_id is not None:
                    stored = replace(stored, last_event_id=event_id)
                try:
                    saved = await self.store.save(stored, outcome.usage)
                except VersionConflict:
                    continue
                prompt = outcome.session.prompt_message_id
                if stored.prompt_message_id == prompt or not self._lazy_prompts:
                    self._pending_prompts.pop(chat_id, None)
                else:
                    # Only the durable copy forgets it: in this process the message stays the
                    # prompt until the front end has closed or replaced it and says so.
                    self._pending_prompts[chat_id] = prompt
                return replace(outcome, session=replace(saved, prompt_message_id=prompt))
            raise VersionConflict(chat_id, -1)

    async def _for_operators(self, chat_id: int, session: Session, event: Event, now: float) -> Outcome:
        """An operator's command (/stats): the figures for an operator's chat; for anyone else
        the engine's answer to an unknown command. Nothing is stored either way."""
        engine = self.engines[session.language or self.engine.content.language]
        if chat_id not in self._operators:
            return engine.handle(session, event, now)
        content = engine.content
        windows = await collect(self.store, [question.id for question in content.questions], DEFAULT_WINDOWS, now)
        return Outcome(session, replies=(report_reply(content, windows),))

    async def latest_result(self, chat_id: int) -> tuple[str, tuple[Answer, ...]] | None:
        """The person's latest result as (language, answers): the current quiz's, or during a
        retake the one before it; None without one (or one the content no longer fits). Reads
        only: nothing is locked or written (inline mode shows it in other chats)."""
        session = await self.store.load(chat_id)
        if session is None:
            return None
        engine = self.engine_for(session.language)
        session = engine.normalise(session)
        earlier = session.previous.answers if session.previous is not None else ()
        for answers in (session.answers, earlier):
            if engine.shared_result(answers) is not None:
                return engine.content.language, answers
        return None

    def language_for(self, code: str) -> str:
        """The language to speak for a language code ("pt-BR" -> "pt"); the default if unknown."""
        base = code.strip().casefold().replace("_", "-").split("-")[0].split(".")[0]
        return base if base in self.engines else self.engine.content.language

    def _switch_language(self, session: Session, event: Event, now: float) -> Outcome:
        """/language: a menu, or (with a known code) speak it from now on and show where we are."""
        code = event.text.strip().casefold()
        if code not in self.engines:
            return self.engines[session.language].handle(session, event, now)
        engine = self.engines[code]
        switched = replace(session, language=code)
        shown = engine.handle(switched, Event(EventKind.START), now)
        replies = (engine.views.text("language_set"), *shown.replies)
        return replace(shown, session=replace(shown.session, language=code), replies=replies,
                       changed=shown.changed or code != session.language)

    def engine_for(self, language: str) -> DialogEngine:
        """The engine that speaks ``language`` (or the default one)."""
        return self.engines.get(language, self.engine)

    def _replayed(self, session: Session, outcome: Outcome, language: str, now: float) -> Outcome:
        """An event seen before, or overtaken: what it would change is dropped. What it says
        without changing anything (a stale button's notice, help) still stands; otherwise the
        person is shown where they are, in case the first delivery died before replying."""
        if not (outcome.changed or outcome.forget):
            return outcome
        where = self.engines[language].handle(session, Event(EventKind.START), now)
        return Outcome(session) if where.changed else replace(where, notice="", checkin=None, usage=())

    def _already_applied(self, session: Session, event_id: int | None) -> bool:
        last = session.last_event_id
        if event_id is None or last is None or session.updated_at < self._clock() - REDELIVERY_WINDOW_SECONDS:
            return False
        return event_id <= last

    async def remember_prompt(self, chat_id: int, message_id: int | None) -> None:
        """Record the message that shows the chat's current question (written lazily)."""
        if not self._lazy_prompts:
            self._pending_prompts.pop(chat_id, None)
            await self.store.set_prompt(chat_id, message_id)
            return
        self._pending_prompts[chat_id] = message_id
        if len(self._pending_prompts) >= MAX_PENDING_PROMPTS:
            await self.flush()

    async def flush(self) -> None:
        """Write every pending prompt message id."""
        pending, self._pending_prompts = self._pending_prompts, {}
        await self.store.set_prompts(pending)

    async def close(self) -> None:
        """Flush what is pending and close the store."""
        try:
            await self.flush()
        finally:
            await self.store.close()

    async def record(self, *events: UsageEvent) -> None:
        """Append usage events that happen outside a dialog turn (a check-in sent)."""
        await self.store.record_usage(events)

    async def session(self, chat_id: int) -> Session | None:
        """The chat's stored session (for front ends that need the prompt message)."""
        return await self.store.load(chat_id)
