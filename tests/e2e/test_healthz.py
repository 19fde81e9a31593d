"""/healthz in webhook mode: 200 only while the session store can write (a read-only database
answers 503, though reads still work), with Telegram's last webhook delivery error in its JSON
body, which never fails the check. The bot is built in this process (bot.telegram_app.serve)
so that its store can be made to refuse writes; it still talks real HTTP to the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from bot.flood_control import FloodLimits
from bot.serving import serve
from bot.settings import Settings
from tests.e2e.harness import free_port
from tests.fakebotapi import FakeBotApi
from tests.test_storage_contract import ReadOnlySqliteStore

SECRET = "s3cret-token_for-health"
UNPACED = FloodLimits(messages_per_second=1e6, burst=10**6, chat_messages_per_second=1e3, chat_burst=10**3)
NO_ERROR = {"last_error_message": None, "last_error_date": None}


async def health(port: int) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
        assert response.headers["Content-Type"] == "application/json"
        return response.status, json.loads(await response.read())


async def test_healthz_reports_the_webhook_error_and_fails_when_the_store_cannot_write(
        server: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(token=server.token, api_url=server.url, database=tmp_path / "crossroads.db",
                        webhook_url=f"http://127.0.0.1:{port}/hook", webhook_listen="127.0.0.1", port=port,
                        webhook_secret=SECRET, flood_limits=UNPACED)
    store = ReadOnlySqliteStore(settings.database)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(settings, stop, store=store))
    try:
        await server.wait_until(lambda: server.webhook_url is not None or serving.done(), timeout=20)
        assert await health(port) == (200, {"status": "ok", "webhook": NO_ERROR})

        # Telegram failed to deliver an update (the bot refuses a malformed one): reported, still healthy.
        await server.push_update({"message": {"message_id": 1, "date": 0, "text": 5, "chat": {"id": 77, "type": "private"},
                                              "from": {"id": 77, "is_bot": False, "first_name": "Eve"}}})
        await server.wait_until(lambda: any(attempt.status == 400 for attempt in server.webhook_attempts))
        status, body = await health(port)
        assert status == 200 and body["status"] == "ok"
        assert body["webhook"]["last_error_message"] == "Wrong response from the webhook: 400 Bad Request"
        assert isinstance(body["webhook"]["last_error_date"], int)

        # Telegram does not answer getWebhookInfo: health does not depend on it.
        server.inject_fault("getWebhookInfo", "500", times=1000)
        assert await health(port) == (200, {"status": "ok", "webhook": None})
        server.clear_faults()

        await store.refuse_writes()  # the disk went read-only: reads work, every write fails
        assert await store.count() == 0
        status, body = await health(port)
        assert status == 503 and body["status"] == "unavailable"
    finally:
        stop.set()
        await asyncio.wait_for(serving, 20)
