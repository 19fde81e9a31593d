"""The webhook HTTP server (tornado, which python-telegram-bot's webhook extra already ships).

POST <webhook path>  an update from Telegram; 403 unless X-Telegram-Bot-Api-Secret-Token matches,
                     400 (and one warning line) unless it is a well-formed update
GET  /metrics        the application's metrics, Prometheus' text format (bot.metrics)
GET  /healthz        200 when the session store can write, 503 otherwise; its JSON body also
                     carries Telegram's last webhook delivery error (getWebhookInfo), which
                     never fails the check

An update is answered 200 only once it has been handled (its answer committed, its replies
sent). Telegram sends a chat's next update only after that, and redelivers one that got no
answer, so with several workers behind one URL a chat's updates still run one at a time, in
update_id order, and an update whose worker died is redone by another (the stored update_id
makes a redelivery of an already committed update a no-op). An update that fails outside its
handlers (whose failures the Application's error handler logs and apologises for) is logged with
its traceback and answered 500, so that Telegram redelivers it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST
from telegram import Bot, Update

from bot.metrics import METRICS_PATH, Metrics
from bot.update_checks import update_problem

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1 << 20
#: Real updates nest a few levels (update, message, the message it replies to, its entities...);
#: far deeper JSON would only exhaust the parser's recursion.
MAX_JSON_DEPTH = 32
#: How long /healthz waits for getWebhookInfo before answering without it.
WEBHOOK_INFO_TIMEOUT_SECONDS = 3.0
HealthCheck = Callable[[], Awaitable[bool]]
ProcessUpdate = Callable[[Update], Awaitable[None]]


class MalformedUpdate(ValueError):
    """A webhook body that is not a well-formed update; its message never quotes the body."""


def _too_deep(data: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``data`` nests lists and objects deeper than ``limit`` (no recursion)."""
    level: list[object] = [data]
    for _ in range(limit + 1):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return True


def parse_update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook body; raises MalformedUpdate (saying why, never quoting it)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedUpdate("not JSON, or nested too deeply") from None
    if not isinstance(data, dict):
        raise MalformedUpdate(f"a JSON {type(data).__name__}, not an object")
    if _too_deep(data):
        raise MalformedUpdate(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        update = Update.de_json(data, bot)
    except Exception as error:  # noqa: BLE001 - whatever python-telegram-bot cannot build is malformed
        raise MalformedUpdate(f"not an update ({type(error).__name__})") from None
    problem = update_problem(update)
    if problem is not None:
        raise MalformedUpdate(problem)
    return update


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
            update = parse_update(self.request.body, self._bot)
        except MalformedUpdate as error:
            logger.warning("webhook request rejected: not a valid update: %s", error)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        self._in_flight.enter()
        try:
            await self._process(update)
        except Exception:  # noqa: BLE001 - logged here; 500 makes Telegram redeliver it
            logger.exception("webhook update %d failed; Telegram will redeliver it", update.update_id)
            raise tornado.web.HTTPError(HTTPStatus.INTERNAL_SERVER_ERROR) from None
        finally:
            self._in_flight.leave()
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: object, value: BaseException | None, tb: object) -> None:
        """HTTPErrors are logged above, once, without request details; anything else here."""
        if value is not None and not isinstance(value, tornado.web.HTTPError):
            logger.error("webhook request failed", exc_info=value)


async def last_webhook_error(bot: Bot) -> dict[str, object] | None:
    """Telegram's last failed delivery to this webhook (message and Unix time, both None if
    there was none), or None when Telegram does not tell us in time."""
    try:
        info = await asyncio.wait_for(bot.get_webhook_info(), WEBHOOK_INFO_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - never fails the health check
        logger.warning("health: getWebhookInfo failed: %s", type(error).__name__)
        return None
    when = info.last_error_date
    return {"last_error_message": info.last_error_message,
            "last_error_date": int(when.timestamp()) if when is not None else None}


class _HealthHandler(tornado.web.RequestHandler):
    """Liveness and readiness in one: the store must take a write. Telegram's last delivery
    error is reported alongside, for the operator; it never makes the check fail."""

    def initialize(self, check: HealthCheck, bot: Bot) -> None:
        self._check = check
        self._bot = bot

    async def get(self) -> None:
        healthy, webhook = await asyncio.gather(self._check(), last_webhook_error(self._bot))
        self.set_status(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if healthy else "unavailable", "webhook": webhook}))


class _MetricsHandler(tornado.web.RequestHandler):
    """The application's metrics for Prometheus to scrape."""

    def initialize(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(self._metrics.exposition())


def start_webhook_server(
    listen: str, port: int, path: str, bot: Bot, process: ProcessUpdate, in_flight: InFlight, secret: str,
    health: HealthCheck, metrics: Metrics | None = None,
) -> tornado.httpserver.HTTPServer:
    """Start listening; returns the server so that the caller can stop it (then wait for
    ``in_flight`` to drain). ``metrics``, when given, is served at /metrics."""
    route = "/" + path.strip("/")
    extra: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] = (
        [(METRICS_PATH, _MetricsHandler, {"metrics": metrics})] if metrics is not None else [])
    application = tornado.web.Application(
        [
            (HEALTH_PATH, _HealthHandler, {"check": health, "bot": bot}),
            (route, _UpdateHandler, {"bot": bot, "process": process, "in_flight": in_flight, "secret": secret}),
            *extra,
        ],
        log_function=lambda handler: None,
    )
    server = tornado.httpserver.HTTPServer(application, max_body_size=MAX_BODY_BYTES)
    server.listen(port, address=listen)
    return server
