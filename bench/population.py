"""Sessions already stored before a measured round, identical in meaning for every system:
``count`` people part-way through the quiz (0 to 6 answers given), chat ids 1..count.

- Crossroads: rows in the real SQLite schema (the store is opened once so its own migrations
  create the schema; rows are then bulk-inserted with ``sqlite3``).
- Baseline B: a PicklePersistence file written through PicklePersistence's own API.
- Baseline A: the same entries put straight into the Application's memory (it has no storage).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.ext import Application, ConversationHandler, PersistenceInput, PicklePersistence

from bench.baseline import ANSWERS, CONVERSATION_NAME
from bench.transport import BOT_TOKEN, CannedRequest
from bot.storage.sqlite import SqliteSessionStore, encode_answers
from dialogs.content import Content
from dialogs.session import GENERATION_LIMIT, question_state

SECONDS_PER_DAY = 86_400
#: Stored sessions were last touched within this many days (well inside the retention period).
MAX_AGE_DAYS = 30
#: Live (benchmarked) people get chat ids from here up, never colliding with stored ones.
FIRST_LIVE_CHAT_ID = 1_000_000_000
INSERT_BATCH = 10_000
PICKLE_STORE = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)


@dataclass(frozen=True)
class StoredSession:
    """One person part-way through the quiz."""

    chat_id: int
    answers: tuple[tuple[str, str], ...]


def stored_sessions(content: Content, count: int, seed: int = 5) -> Iterator[StoredSession]:
    """``count`` sessions with random answers to the first 0-6 questions."""
    rng = random.Random(seed)
    questions = content.questions
    for chat_id in range(1, count + 1):
        given = rng.randrange(len(questions))
        answers = tuple((q.id, rng.choice(q.options).id) for q in questions[:given])
        yield StoredSession(chat_id, answers)


async def create_sqlite(path: Path) -> None:
    """An empty database with the current schema, created by the store's own migrations."""
    store = SqliteSessionStore(path)
    await store.open()
    await store.close()


def fill_sqlite(path: Path, content: Content, count: int, seed: int = 5) -> None:
    """Bulk-insert ``count`` stored sessions, then checkpoint so the file stands alone."""
    rng = random.Random(seed + 1)
    now = time.time()
    questions = content.questions

    def row(session: StoredSession) -> tuple[Any, ...]:
        updated = now - rng.uniform(0, MAX_AGE_DAYS * SECONDS_PER_DAY)
        return (session.chat_id, question_state(questions[len(session.answers)].id), encode_answers(session.answers),
                rng.randrange(GENERATION_LIMIT), len(session.answers) + 1, 2 * len(session.answers) + 2,
                updated - 60, updated)

    connection = sqlite3.connect(path)
    try:
        rows = [row(session) for session in stored_sessions(content, count, seed)]
        for start in range(0, len(rows), INSERT_BATCH):
            with connection:
                connection.executemany(
                    "INSERT INTO sessions (chat_id, state, answers, generation, version, prompt_message_id, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[start:start + INSERT_BATCH])
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def pickle_persistence(path: Path) -> PicklePersistence[Any, Any, Any]:
    """Baseline B's persistence: user_data and conversations in one pickle file, written only
    when flushed (the benchmark flushes after every update)."""
    return PicklePersistence(path, store_data=PICKLE_STORE, single_file=True, on_flush=True, update_interval=3600)


async def write_pickle(path: Path, content: Content, count: int, seed: int = 5) -> None:
    """Baseline B's stored sessions, written through PicklePersistence itself."""
    persistence = pickle_persistence(path)
    persistence.set_bot(Bot(BOT_TOKEN, request=CannedRequest(), get_updates_request=CannedRequest()))
    await persistence.get_user_data()  # loads (here: starts) the file's data
    for session in stored_sessions(content, count, seed):
        await persistence.update_user_data(session.chat_id, {ANSWERS: list(session.answers)})
        await persistence.update_conversation(CONVERSATION_NAME, (session.chat_id, session.chat_id),
                                              len(session.answers))
    await persistence.flush()


def preload_memory(application: Application[Any, Any, Any, Any, Any, Any], conversation: ConversationHandler[Any],
                   content: Content, count: int, seed: int = 5) -> None:
    """Baseline A's stored sessions, placed where the Application keeps them in memory.

    There is no public way to seed a non-persistent ConversationHandler; this writes the
    same dictionary that Application.initialize fills from a persistence (a private one)."""
    conversations = conversation._conversations  # noqa: SLF001
    for session in stored_sessions(content, count, seed):
        application.user_data[session.chat_id][ANSWERS] = list(session.answers)
        conversations[(session.chat_id, session.chat_id)] = len(session.answers)
