"""The webhook HTTP server (tornado, which python-telegram-bot's webhook extra already ships).

POST <webhook path>  an update from Telegram; 403 unless X-Telegram-Bot-Api-Secret-Token matches
GET  /healthz        200 when the session store answers, 503 otherwise
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


class _UpdateHandler(tornado.web.RequestHandler):
    """Accepts one update and queues it for the Application."""

    def initialize(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self._bot = bot
        self._queue = queue
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
        await self._queue.put(update)
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
    listen: str, port: int, path: str, bot: Bot, queue: asyncio.Queue[object], secret: str, health: HealthCheck
) -> tornado.httpserver.HTTPServer:
    """Start listening; returns the server so that the caller can stop it."""
    route = "/" + path.strip("/")
    application = tornado.web.Application(
        [
            (HEALTH_PATH, _HealthHandler, {"check": health}),
            (route, _UpdateHandler, {"bot": bot, "queue": queue, "secret": secret}),
        ],
        log_function=lambda handler: None,
    )
    server = tornado.httpserver.HTTPServer(application, max_body_size=MAX_BODY_BYTES)
    server.listen(port, address=listen)
    return server
