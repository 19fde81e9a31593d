"""The session database an end-to-end test's bot uses, read back directly (not through the store):
SQLite in the test's directory, or a fresh schema of the test session's PostgreSQL database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Protocol

import asyncpg


class Storage(Protocol):
    name: str

    def env(self) -> dict[str, str]:
        """DATABASE_URL for the bot."""

    async def answers(self) -> dict[int, list[list[str]]]:
        """Every stored chat's answers."""

    async def hits(self, value: int) -> list[str]:
        """'table.column' of every stored value equal to ``value`` in any table."""


class SqliteStorage:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "crossroads.db"

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": f"sqlite:///{self.path}"}

    async def answers(self) -> dict[int, list[list[str]]]:
        if not self.path.exists():
            return {}
        with sqlite3.connect(self.path) as db:
            return {chat: json.loads(raw) for chat, raw in db.execute("SELECT chat_id, answers FROM sessions")}

    async def hits(self, value: int) -> list[str]:
        found = []
        with sqlite3.connect(self.path) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for column in [row[1] for row in db.execute(f"PRAGMA table_info({table})")]:
                    if db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (value,)).fetchone()[0]:
                        found.append(f"{table}.{column}")
        return found


class PostgresStorage:
    name = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url}

    async def answers(self) -> dict[int, list[list[str]]]:
        connection = await asyncpg.connect(self.url)
        try:
            exists = await connection.fetchval("SELECT to_regclass('sessions') IS NOT NULL")
            rows = await connection.fetch("SELECT chat_id, answers FROM sessions") if exists else []
        finally:
            await connection.close()
        return {row[0]: json.loads(row[1]) for row in rows}

    async def hits(self, value: int) -> list[str]:
        connection = await asyncpg.connect(self.url)
        try:
            columns = await connection.fetch(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()")
            found = []
            for table, column in columns:
                query = f'SELECT COUNT(*) FROM "{table}" WHERE "{column}"::text = $1'
                if await connection.fetchval(query, str(value)):
                    found.append(f"{table}.{column}")
        finally:
            await connection.close()
        return found
