"""DialogService on the in-memory store (held to the same contract as SQLite and PostgreSQL by
tests/test_storage_contract.py): commit before reply, one event at a time per chat, many chats at
once, forget, and compare-and-set conflicts with another writer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.storage.memory import MemoryDatabase, MemorySessionStore
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.errors import VersionConflict
from dialogs.events import Event, EventKind
from dialogs.service import MAX_CONFLICT_RETRIES, ChatLocks, DialogService
from dialogs.session import Session, question_state
from tests.conftest import answer_event, first_options


@pytest.fixture
def database() -> MemoryDatabase:
    return MemoryDatabase()


async def _opened(database: MemoryDatabase) -> AsyncIterator[MemorySessionStore]:
    opened = MemorySessionStore(database)
    await opened.open()
    yield opened
    await opened.close()


store = pytest.fixture(_opened, name="store")
# An independent store on the same database, standing for another process.
other_store = pytest.fixture(_opened, name="other_store")


@pytest.fixture
def service(engine: DialogEngine, store: MemorySessionStore) -> DialogService:
    """A service whose new sessions start at generation 0, so tests can build button events."""
    return DialogService(engine, store, first_generation=lambda: 0)


async def test_buttons_from_a_forgotten_session_are_stale_in_the_next_one(
    engine: DialogEngine, store: MemorySessionStore, content: Content
) -> None:
    generations = iter([7, 8])
    service = DialogService(engine, store, first_generation=lambda: next(generations))
    started = await service.handle(9, Event(EventKind.START))
    old_button = started.replies[-1].buttons[0][0].event
    assert old_button.generation == 7
    await service.handle(9, Event(EventKind.FORGET))
    await service.handle(9, Event(EventKind.START))
    outcome = await service.handle(9, old_button)
    assert not outcome.changed and outcome.notice == content.texts["stale_button"]
    assert (await service.session(9)).answers == ()


async def test_new_sessions_start_at_unpredictable_generations(engine: DialogEngine, store: MemorySessionStore) -> None:
    service = DialogService(engine, store)
    generations = {(await service.handle(chat, Event(EventKind.START))).session.generation for chat in range(20)}
    assert len(generations) > 15


async def test_change_is_committed_before_handle_returns(
    service: DialogService, other_store: MemorySessionStore, content: Content
) -> None:
    await service.handle(1, Event(EventKind.START))
    outcome = await service.handle(1, answer_event(content, 0, 1))
    expected = ((content.questions[0].id, content.questions[0].options[1].id),)
    assert outcome.session.answers == expected
    seen = await other_store.load(1)
    assert seen is not None
    assert seen.answers == expected
    assert seen.version == outcome.session.version == 2


async def test_unchanged_session_is_not_written(service: DialogService, other_store: MemorySessionStore) -> None:
    started = await service.handle(1, Event(EventKind.START))
    outcome = await service.handle(1, Event(EventKind.COMMAND, command="help"))
    assert not outcome.changed
    assert (await other_store.load(1)).version == started.session.version


async def test_same_button_twice_concurrently_applies_once(service: DialogService, content: Content) -> None:
    await service.handle(3, Event(EventKind.START))
    event = answer_event(content, 0, 2)
    first, second = await asyncio.gather(service.handle(3, event), service.handle(3, event))
    assert [first.changed, second.changed].count(True) == 1
    stored = await service.session(3)
    assert stored.answers == ((content.questions[0].id, content.questions[0].options[2].id),)
    assert stored.version == 2
    assert content.texts["stale_button"] in (first.notice, second.notice)


async def test_many_typed_answers_for_one_chat_apply_in_order(service: DialogService, content: Content) -> None:
    await service.handle(4, Event(EventKind.START))
    outcomes = await asyncio.gather(*(service.handle(4, Event(EventKind.TEXT, text="1")) for _ in range(4)))
    assert all(o.changed for o in outcomes)
    stored = await service.session(4)
    assert stored.answers == tuple(first_options(content, 4))
    assert stored.version == 5
    assert len(service._locks) == 0  # no lock is kept for an idle chat


async def test_many_chats_concurrently_all_land(service: DialogService, store: MemorySessionStore, content: Content) -> None:
    chats = range(100, 160)
    await asyncio.gather(*(service.handle(chat, Event(EventKind.START)) for chat in chats))
    await asyncio.gather(*(service.handle(chat, answer_event(content, 0, chat % 3)) for chat in chats))
    assert await store.count() == len(chats)
    for chat in chats:
        session = await store.load(chat)
        question = content.questions[0]
        assert session.answers == ((question.id, question.options[chat % 3].id),)
        assert session.state == question_state(content.questions[1].id)


async def test_forget_deletes_the_row(service: DialogService, store: MemorySessionStore, other_store: MemorySessionStore) -> None:
    await service.handle(1, Event(EventKind.START))
    await service.handle(2, Event(EventKind.START))
    await service.handle(2, Event(EventKind.TEXT, text="1"))
    assert await store.count() == 2
    outcome = await service.handle(2, Event(EventKind.FORGET))
    assert outcome.forget
    assert await store.count() == 1
    assert await other_store.load(2) is None
    assert await other_store.load(1) is not None
    # Starting again begins a fresh quiz.
    again = await service.handle(2, Event(EventKind.START))
    assert again.session.answers == () and again.session.version == 1


async def test_applies_to_the_state_another_writer_left(
    service: DialogService, other_store: MemorySessionStore, engine: DialogEngine, content: Content
) -> None:
    await service.handle(5, Event(EventKind.START))
    await service.handle(5, Event(EventKind.TEXT, text="1"))
    # Another process answers question 2 behind this service's back.
    theirs = await other_store.load(5)
    await other_store.save(engine.handle(theirs, Event(EventKind.TEXT, text="2")).session)
    # The next typed answer is applied to question 3, on top of the other writer's answer.
    outcome = await service.handle(5, Event(EventKind.TEXT, text="3"))
    q = content.questions
    assert outcome.session.answers == ((q[0].id, q[0].options[0].id), (q[1].id, q[1].options[1].id),
                                       (q[2].id, q[2].options[2].id))
    assert (await other_store.load(5)).answers == outcome.session.answers


class RacingStore(MemorySessionStore):
    """A real store that lets another writer commit right after some of its loads, so the
    following save runs into a genuine compare-and-set conflict."""

    def __init__(self, database: MemoryDatabase, rival: MemorySessionStore, engine: DialogEngine, races: int) -> None:
        super().__init__(database)
        self.rival = rival
        self.engine = engine
        self.races = races
        self.loads = 0

    async def load(self, chat_id: int) -> Session | None:
        session = await super().load(chat_id)
        self.loads += 1
        if self.races > 0 and session is not None:
            self.races -= 1
            theirs = await self.rival.load(chat_id)
            await self.rival.save(self.engine.handle(theirs, Event(EventKind.TEXT, text="1")).session)
        return session


async def test_version_conflict_is_retried_on_the_fresh_session(
    database: MemoryDatabase, other_store: MemorySessionStore, engine: DialogEngine, content: Content
) -> None:
    racing = RacingStore(database, other_store, engine, races=0)
    await racing.open()
    try:
        service = DialogService(engine, racing)
        await service.handle(6, Event(EventKind.START))
        racing.races = 1
        outcome = await service.handle(6, Event(EventKind.TEXT, text="2"))
        assert racing.loads == 3  # start, then the conflicting attempt and its retry
        q = content.questions
        # The rival's answer to question 1 stands; ours was re-applied to question 2.
        expected = ((q[0].id, q[0].options[0].id), (q[1].id, q[1].options[1].id))
        assert outcome.session.answers == expected
        assert (await other_store.load(6)).answers == expected
        assert (await other_store.load(6)).version == 3
    finally:
        await racing.close()


async def test_stale_button_after_a_conflict_is_not_applied(
    database: MemoryDatabase, other_store: MemorySessionStore, engine: DialogEngine, content: Content
) -> None:
    racing = RacingStore(database, other_store, engine, races=0)
    await racing.open()
    try:
        service = DialogService(engine, racing)
        await service.handle(7, Event(EventKind.START))
        racing.races = 1
        # Our button answers question 1, but the rival answers it first: ours is now stale.
        outcome = await service.handle(7, answer_event(content, 0, 2))
        assert not outcome.changed
        assert outcome.notice == content.texts["stale_button"]
        stored = await other_store.load(7)
        assert stored.answers == ((content.questions[0].id, content.questions[0].options[0].id),)
    finally:
        await racing.close()


async def test_endless_conflicts_give_up_with_version_conflict(
    database: MemoryDatabase, other_store: MemorySessionStore, engine: DialogEngine
) -> None:
    racing = RacingStore(database, other_store, engine, races=0)
    await racing.open()
    try:
        service = DialogService(engine, racing)
        await service.handle(8, Event(EventKind.START))
        await service.handle(8, Event(EventKind.RESTART))
        racing.races = 10 * MAX_CONFLICT_RETRIES
        with pytest.raises(VersionConflict):
            await service.handle(8, Event(EventKind.RESTART))
        assert len(service._locks) == 0
    finally:
        await racing.close()


async def test_prompt_message_rides_along_with_the_next_answer(
    service: DialogService, other_store: MemorySessionStore, content: Content
) -> None:
    started = await service.handle(9, Event(EventKind.START))
    await service.remember_prompt(9, 777)
    # Not written yet (no extra commit per question)...
    assert (await other_store.load(9)).prompt_message_id is None
    # ...but the engine already sees it, and the next committed answer supersedes it: the
    # answered question is being closed, so no live prompt is stored (a restart must not try
    # to remove buttons that are already gone).
    outcome = await service.handle(9, answer_event(content, 0, 0))
    assert outcome.session.prompt_message_id == 777
    stored = await other_store.load(9)
    assert stored.prompt_message_id is None and stored.version == started.session.version + 1
    assert outcome.session.version == stored.version


async def test_a_live_prompt_is_stored_when_nothing_supersedes_it(
    service: DialogService, other_store: MemorySessionStore, content: Content
) -> None:
    await service.handle(10, Event(EventKind.START))
    await service.remember_prompt(10, 888)
    await service.flush()  # as on a clean shutdown
    assert (await other_store.load(10)).prompt_message_id == 888


async def test_flush_writes_pending_prompts_in_one_go(
    service: DialogService, other_store: MemorySessionStore
) -> None:
    for chat in (21, 22, 23):
        await service.handle(chat, Event(EventKind.START))
        await service.remember_prompt(chat, 1000 + chat)
    await service.flush()
    assert [(await other_store.load(chat)).prompt_message_id for chat in (21, 22, 23)] == [1021, 1022, 1023]


async def test_chat_locks_serialise_one_chat_and_free_others() -> None:
    locks = ChatLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold(1):
            order.append("a-in")
            await release.wait()
            order.append("a-out")

    async def waiter() -> None:
        async with locks.hold(1):
            order.append("b-in")

    async def other_chat() -> None:
        async with locks.hold(2):
            order.append("c-in")

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    second = asyncio.create_task(waiter())
    await other_chat()  # another chat is not blocked by chat 1
    await asyncio.sleep(0)
    assert order == ["a-in", "c-in"]
    release.set()
    await asyncio.gather(first, second)
    assert order == ["a-in", "c-in", "a-out", "b-in"]
    assert len(locks) == 0


async def test_a_redelivered_update_is_not_applied_twice(service: DialogService, store: MemorySessionStore,
                                                         content: Content) -> None:
    """A webhook worker that died after committing leaves Telegram to deliver the update again:
    the stored update_id makes it a no-op that only shows where the person is."""
    await service.handle(5, Event(EventKind.START), event_id=200)
    typed = Event(EventKind.TEXT, text="1")
    first = await service.handle(5, typed, event_id=201)
    assert first.changed and first.session.last_event_id == 201
    again = await service.handle(5, typed, event_id=201)
    assert not again.changed and again.replies[-1].buttons  # the current question, shown again
    stored = await store.load(5)
    assert stored is not None and len(stored.answers) == 1 and stored.version == first.session.version
    overtaken = await service.handle(5, typed, event_id=150)  # older than the last one applied
    assert not overtaken.changed
    later = await service.handle(5, typed, event_id=202)
    assert later.changed and len(later.session.answers) == 2
    # Without update ids (the console), every event applies.
    assert (await service.handle(5, typed)).changed


async def test_update_ids_are_ignored_on_sessions_idle_for_a_day(engine: DialogEngine) -> None:
    """After a quiet week Telegram restarts update_ids at random, possibly lower: an old
    session's stored id must not swallow new updates."""
    now = [1_000_000.0]
    store = MemorySessionStore(clock=lambda: now[0])
    await store.open()
    try:
        service = DialogService(engine, store, first_generation=lambda: 0, clock=lambda: now[0])
        await service.handle(6, Event(EventKind.START), event_id=900)
        await service.handle(6, Event(EventKind.TEXT, text="1"), event_id=901)
        assert not (await service.handle(6, Event(EventKind.TEXT, text="1"), event_id=5)).changed
        now[0] += 2 * 86_400
        assert (await service.handle(6, Event(EventKind.TEXT, text="1"), event_id=5)).changed
    finally:
        await store.close()


async def test_latest_result_is_the_finished_quiz_or_during_a_retake_the_one_before(
        service: DialogService, content: Content) -> None:
    """What inline mode shows: nothing before a first result, then the latest result, kept while
    a retake is under way, and nothing once the person asked to be forgotten."""
    assert await service.latest_result(1) is None
    await service.handle(1, Event(EventKind.START))
    assert await service.latest_result(1) is None  # a quiz under way is no result yet
    answers = first_options(content)
    for index in range(len(content.questions)):
        session = await service.store.load(1)
        await service.handle(1, answer_event(content, index, 0, session.generation))
    assert await service.latest_result(1) == ("en", tuple(answers))
    await service.handle(1, Event(EventKind.RESTART))
    assert await service.latest_result(1) == ("en", tuple(answers))
    await service.handle(1, Event(EventKind.FORGET))
    assert await service.latest_result(1) is None
