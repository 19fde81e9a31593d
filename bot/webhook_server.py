"""The webhook HTTP server (tornado, which python-telegram-bot's webhook extra already ships).

POST <webhook path>  an update from Telegram; 403 unless X-Telegram-Bot-Api-Secret-Token matches
GET  /healthz        200 when the session store answers, 503 otherwise

An update is answered 200 only once it has been handled (its answer committed, its replies
sent). Telegram sends a chat's next update only after that, and redelivers one that got no
answer, so with several workers behind one URL a chat's updates still run one at a time, in
update_id order, and an update whose worker died is redone by another (the stored update_id
makes a redelivery of an already committed update a no-op).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1 << 20
HealthCheck = Callable[[], Awaitable[bool]]
ProcessUpdate = Callable[[Update], Awaitable[None]]


class InFlight:
    """Counts the updates being handled, so that shutdown can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once nothing is in flight."""
        await self._idle.wait()


class _UpdateHandler(tornado.web.RequestHandler):
    """Accepts one update and queues it for the Application."""

    def initialize(self, bot: Bot, process: ProcessUpdate, in_flight: InFlight, secret: str) -> None:
        self._bot = bot
        self._process = process
        self._in_flight = in_flight
        self._secret = secret.encode()

    async def post(self) -> None:
        supplied = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(supplied, self._secret):
            logger.warning("webhook request rejected: missing or wrong secret token")
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self._bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("webhook request rejected: not a valid update")
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        self._in_flight.enter()
        try:
            await self._process(update)
        finally:
            self._in_flight.leave()
        self.set_status(HTTPStatus.OK)

    def log_exception(self, *args: object) -> None:
        """HTTPErrors are logged above, once, without request details."""


class _HealthHandler(tornado.web.RequestHandler):
    """Liveness and readiness in one: the store must answer."""

    def initialize(self, check: HealthCheck) -> None:
        self._check = check

    async def get(self) -> None:
        healthy = await self._check()
        self.set_status(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if healthy else "unavailable"}))


def start_webhook_server(
    listen: str, port: int, path: str, bot: Bot, process: ProcessUpdate, in_flight: InFlight, secret: str,
    health: HealthCheck,
) -> tornado.httpserver.HTTPServer:
    """Start listening; returns the server so that the caller can stop it (then wait for
    ``in_flight`` to drain)."""
    route = "/" + path.strip("/")
    application = tornado.web.Application(
        [
            (HEALTH_PATH, _HealthHandler, {"check": health}),
            (route, _UpdateHandler, {"bot": bot, "process": process, "in_flight": in_flight, "secret": secret}),
        ],
        log_function=lambda handler: None,
    )
    server = tornado.httpserver.HTTPServer(application, max_body_size=MAX_BODY_BYTES)
    server.listen(port, address=listen)
    return server
