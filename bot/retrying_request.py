"""A transport wrapper that survives Bot API faults without ever doing harm: it retries only
what is safe to retry, paces messages and honours 429 for every request at once.

It works at the transport level (``do_request``), below python-telegram-bot's error mapping,
so a request that finally succeeds looks to the bot like any other. What is retried:

- 429: always, however many times (Telegram did not run the call); *all* sending pauses for ``retry_after``
  (:class:`bot.flood_control.FloodControl`), then the call is sent again.
- 5xx: always (Telegram answers 5xx for calls it could not complete), with backoff.
- a request that never left this process (:class:`bot.aiohttp_request.RequestNotSent`: no
  connection): always, with backoff.
- a request that may have reached Telegram and got no answer (a dropped connection, a read
  timeout): only when sending it twice changes nothing, i.e. not for calls that create a
  message (a second copy would be a duplicate the person sees) and not for
  ``answerCallbackQuery`` (an answer that is late is worthless, and the person's next question
  never depends on it).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import Forbidden, NetworkError
from telegram.request import BaseRequest, RequestData

from bot.aiohttp_request import RequestNotSent
from bot.chat_lanes import BLOCKED_DESCRIPTION, ChatBlocked, ChatLanes
from bot.flood_control import FloodControl
from bot.metrics import NETWORK, Metrics, api_outcome

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 120.0
#: 429s one call goes through before its answer is returned as it is (an hour or more of pauses).
MAX_RATE_LIMITED = 60
TOO_MANY_REQUESTS = 429
UNAUTHORIZED = 401
FORBIDDEN = 403
#: Calls that create a message: a second copy would be a duplicate the person sees.
MESSAGE_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendAudio", "sendDocument", "sendVideo", "sendAnimation", "sendVoice",
    "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll", "sendDice",
    "sendSticker", "sendInvoice", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
})
#: Calls that must not be sent twice when their fate is unknown.
NOT_REPEATABLE = MESSAGE_METHODS | {"answerCallbackQuery"}
Sleep = Callable[[float], Awaitable[Any]]


def retry_after_seconds(payload: bytes) -> float | None:
    """The retry_after of a 429 answer, if it carries one."""
    try:
        value = json.loads(payload)["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) and value >= 0 else None


def backoff_seconds(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, ... capped."""
    return min(BACKOFF_BASE_SECONDS * 2**attempt, BACKOFF_CAP_SECONDS)


def _method(url: str) -> str:
    """The Bot API method of a request URL (never the URL itself: it contains the token)."""
    return url.rsplit("/", 1)[-1]


class RetryingRequest(BaseRequest):
    """Wraps a transport (``transport``) with bounded, safe retries and flood control."""

    def __init__(self, transport: BaseRequest, *, flood: FloodControl | None = None, max_attempts: int = MAX_ATTEMPTS,
                 sleep: Sleep = asyncio.sleep, on_unauthorized: Callable[[], None] | None = None,
                 lanes: ChatLanes | None = None, metrics: Metrics | None = None) -> None:
        self._transport = transport
        #: Counts every attempt by method and outcome (Telegram counts each one too).
        self._metrics = metrics
        #: Calls into one chat go out one at a time, none once the chat blocked the bot.
        self.lanes = lanes or ChatLanes()
        self._on_unauthorized = on_unauthorized
        self._flood = flood or FloodControl(sleep=sleep)
        self._max_attempts = max_attempts
        self._sleep = sleep

    @property
    def read_timeout(self) -> float | None:
        """The wrapped transport's default read timeout."""
        return self._transport.read_timeout

    async def initialize(self) -> None:
        """Open the wrapped transport."""
        await self._transport.initialize()

    async def shutdown(self) -> None:
        """Close the wrapped transport."""
        await self._transport.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send, retrying what is safe to retry; the last failure is returned or raised as is.
        A call into a chat waits for that chat's lane; into a chat that blocked the bot, it is
        refused here (Forbidden) without being sent."""
        api_method = _method(url)
        target = request_data.parameters.get("chat_id") if request_data else None
        if target is None:
            return await self._send(url, method, api_method, None, request_data, *args, **kwargs)
        try:
            async with self.lanes.lane(target):
                code, payload = await self._send(url, method, api_method, target, request_data, *args, **kwargs)
                if code == FORBIDDEN:
                    self.lanes.block(target)
                return code, payload
        except ChatBlocked:
            raise Forbidden(BLOCKED_DESCRIPTION) from None

    async def _send(self, url: str, method: str, api_method: str, target: object, request_data: RequestData | None,
                    *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        attempt = refused = 0
        while True:
            last = attempt >= self._max_attempts - 1
            await self._flood.before(target)
            try:
                code, payload = await self._transport.do_request(url, method, request_data, *args, **kwargs)
            except NetworkError as error:  # transport failures and timeouts only, at this level
                if self._metrics is not None:
                    self._metrics.api_call(api_method, NETWORK)
                if last or (api_method in NOT_REPEATABLE and not isinstance(error, RequestNotSent)):
                    raise
                delay = backoff_seconds(attempt)
                attempt += 1
                logger.warning("%s failed (%s); retrying in %.1f s", api_method, type(error).__name__, delay)
                await self._sleep(delay)
                continue
            if self._metrics is not None:
                self._metrics.api_call(api_method, api_outcome(code))
            if code == TOO_MANY_REQUESTS and refused < MAX_RATE_LIMITED:
                # Telegram did not run the call: it waits and goes again, however many times it
                # takes (a storm of 429s must not reach the person as an error).
                wait = retry_after_seconds(payload)
                delay = min(wait, MAX_RETRY_AFTER_SECONDS) if wait is not None else backoff_seconds(min(refused, 4))
                refused += 1
                logger.warning("%s rate-limited; all sending paused for %.1f s as asked", api_method, delay)
                await self._flood.pause(delay)
                continue
            if code == UNAUTHORIZED and self._on_unauthorized is not None:
                self._on_unauthorized()  # the token was revoked: nothing will work any more
            if code >= 500 and not last:
                delay = backoff_seconds(attempt)
                attempt += 1
                logger.warning("%s answered %d; retrying in %.1f s", api_method, code, delay)
                await self._sleep(delay)
                continue
            return code, payload
