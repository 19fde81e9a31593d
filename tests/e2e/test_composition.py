"""The composition root (bot.wiring.build_crossroads) in this process: serve() and the console
are built by it, and each keyword seam (store, transport, clock) replaces exactly its part.
The whole bot still talks real HTTP to the fake Bot API."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.aiohttp_request import AiohttpRequest
from bot.content_files.loader import load_content
from bot.errors import ConfigError
from bot.flood_control import FloodLimits
from bot.serving import serve, shut_down
from bot.settings import Settings
from bot.storage.postgres import PostgresSessionStore
from bot.storage.sqlite import SqliteSessionStore
from bot.wiring import build_crossroads, make_store
from dialogs.commands import parse_input
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
FIXED_NOW = 1_700_000_000.0
UNPACED = FloodLimits(messages_per_second=1e6, burst=10**6, chat_messages_per_second=1e3, chat_burst=10**3)


class CountingTransport(AiohttpRequest):
    """The transport Crossroads ships, counting the Bot API methods it is asked to call."""

    def __init__(self) -> None:
        super().__init__(8)
        self.methods: list[str] = []

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.methods.append(url.rsplit("/", 1)[-1])
        return await super().do_request(url, method, *args, **kwargs)


def settings_for(server: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(token=server.token, api_url=server.url, database=tmp_path / "crossroads.db",
                    flood_limits=UNPACED, **overrides)


async def test_serve_is_built_by_the_root_with_the_transport_and_clock_seams(server: FakeBotApi,
                                                                            tmp_path: Path) -> None:
    transport = CountingTransport()
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(settings_for(server, tmp_path), stop, transport=transport,
                                        clock=lambda: FIXED_NOW))
    await server.wait_until(lambda: bool(server.requests_for("getUpdates")), timeout=20)
    user = server.user(user_id=4242)
    await user.send_command("/start")
    first = await user.wait_for_message(lambda m: CONTENT.questions[0].text in (m.plain or ""))
    assert first.buttons
    stop.set()
    await asyncio.wait_for(serving, 20)

    # Every call but the long poll went through the transport seam...
    assert {"getMe", "setMyCommands", "sendMessage"} <= set(transport.methods)
    assert "getUpdates" not in transport.methods
    # ...and the store DATABASE_URL names was stamped by the clock seam, then closed cleanly.
    with sqlite3.connect(tmp_path / "crossroads.db") as db:
        assert db.execute("SELECT updated_at FROM sessions WHERE chat_id = 4242").fetchone() == (FIXED_NOW,)


async def test_the_store_seam_replaces_the_configured_store(tmp_path: Path) -> None:
    elsewhere = SqliteSessionStore(tmp_path / "seam.db")
    crossroads = await build_crossroads(Settings(database=tmp_path / "configured.db"), telegram=False,
                                        store=elsewhere)
    try:
        assert crossroads.service.store is elsewhere
        assert crossroads.application is None and crossroads.front_end is None  # the console needs no Telegram
        await crossroads.service.handle(7, parse_input("/start"))
        assert await elsewhere.count() == 1
    finally:
        await shut_down(crossroads)
    assert (tmp_path / "seam.db").exists() and not (tmp_path / "configured.db").exists()


def test_database_url_alone_chooses_the_store(tmp_path: Path) -> None:
    sqlite = make_store(Settings.from_env({"DATABASE_URL": "sqlite:///here.db"}, cwd=tmp_path))
    postgres = make_store(Settings.from_env({"DATABASE_URL": "postgres://someone@db.invalid:5432/crossroads"}))
    assert isinstance(sqlite, SqliteSessionStore)
    assert isinstance(postgres, PostgresSessionStore)


@pytest.mark.postgres
async def test_a_second_poller_on_one_database_is_refused_at_build(server: FakeBotApi, tmp_path: Path,
                                                                   postgres_url: str) -> None:
    settings = settings_for(server, tmp_path, postgres_url=postgres_url)
    first = await build_crossroads(settings)
    try:
        with pytest.raises(ConfigError, match="already polling"):
            await build_crossroads(settings)
        webhook = await build_crossroads(settings_for(server, tmp_path, postgres_url=postgres_url,
                                                      webhook_url="https://example.invalid/hook"))
        await shut_down(webhook)  # webhook workers share the database freely
    finally:
        await shut_down(first)

