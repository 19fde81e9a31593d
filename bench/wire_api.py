"""A lean Bot API server for the wire benchmark: real HTTP on 127.0.0.1 (aiohttp), in the
driver's process, never in the bot's.

It answers like :class:`bench.transport.CannedRequest` (same messages, same keyboards recorded
for the driver) and serves updates by long polling (``getUpdates`` with ``offset`` and
``timeout``, woken as soon as an update is queued). It checks nothing beyond the token: the
strict fake in ``tests/fakebotapi`` is for correctness, this one must cost the machine as little
as possible, as the bot it serves shares the same two cores.

Times taken here (``time.perf_counter`` of this process): when each update became available
(queued), and when its ``answerCallbackQuery`` arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from time import perf_counter
from typing import Any

from aiohttp import web

from bench.transport import BOT_TOKEN, CannedRequest

JSON = "application/json"
MAX_BATCH = 100


class WireApi:
    """The server; :meth:`push` queues an update for the bot's next ``getUpdates``."""

    def __init__(self) -> None:
        self.canned = CannedRequest(yield_to_loop=False)
        self.available_at: dict[int, float] = {}
        #: Seconds from an update's availability to its answerCallbackQuery, in arrival order.
        self.answer_latencies: list[float] = []
        self.polled = asyncio.Event()
        self._pending: deque[tuple[int, bytes]] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # noqa: SLF001 - the only way to learn the port aiohttp picked
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close the listener and every connection (a long poll still waiting returns at once:
        aiohttp would otherwise wait for it to time out)."""
        self._closing = True
        self._wake.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> None:
        """Make ``update`` available to the bot now."""
        update_id = int(update["update_id"])
        self._pending.append((update_id, json.dumps(update).encode()))
        self.available_at[update_id] = perf_counter()
        self._wake.set()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != BOT_TOKEN:
            return web.Response(status=401, body=b'{"ok":false,"error_code":401,"description":"Unauthorized"}',
                                content_type=JSON)
        params = await _params(request)
        if method == "getUpdates":
            return web.Response(body=await self._get_updates(params), content_type=JSON)
        if method == "answerCallbackQuery":
            available = self.available_at.get(int(params["callback_query_id"]))
            if available is not None:
                self.answer_latencies.append(perf_counter() - available)
        status, body = self.canned.respond(method, params)
        return web.Response(status=status, body=body, content_type=JSON)

    async def _get_updates(self, params: dict[str, str]) -> bytes:
        self.polled.set()
        offset = int(params.get("offset", 0))
        limit = min(int(params.get("limit", MAX_BATCH)), MAX_BATCH)
        timeout = float(params.get("timeout", 0))
        self._confirm(offset)
        if not self._pending and timeout > 0 and not self._closing:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        batch = [body for _, body in list(self._pending)[:limit]]
        return b'{"ok":true,"result":[' + b",".join(batch) + b"]}"

    def _confirm(self, offset: int) -> None:
        """Drop the updates the bot confirmed (ids below ``offset``), as Telegram does."""
        while self._pending and self._pending[0][0] < offset:
            self._pending.popleft()


async def _params(request: web.Request) -> dict[str, str]:
    """The call's parameters as sent on the wire: urlencoded or multipart form fields (what
    python-telegram-bot sends), or a JSON body (every value re-encoded, as the form would carry it)."""
    if request.content_type == JSON:
        body = await request.json()
        return {key: value if isinstance(value, str) else json.dumps(value) for key, value in body.items()}
    if not request.body_exists:
        return dict(request.query)
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}
