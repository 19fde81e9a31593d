"""An HTTPXRequest that survives Bot API faults: honours 429 retry_after, retries 5xx answers
and network errors with exponential backoff, a bounded number of times.

It works at the transport level (``do_request``), below python-telegram-bot's error mapping,
so a request that finally succeeds looks to the bot like any other.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 120.0
TOO_MANY_REQUESTS = 429
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


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded retries for 429, 5xx and network errors."""

    def __init__(self, *args: Any, max_attempts: int = MAX_ATTEMPTS, sleep: Sleep = asyncio.sleep,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_attempts = max_attempts
        self._sleep = sleep

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send, retrying transient failures; the last failure is returned or raised as is."""
        for attempt in range(self._max_attempts):
            last = attempt == self._max_attempts - 1
            try:
                code, payload = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as error:  # transport failures and timeouts only, at this level
                if last:
                    raise
                delay = backoff_seconds(attempt)
                logger.warning("%s failed (%s); retrying in %.1f s", _method(url), type(error).__name__, delay)
                await self._sleep(delay)
                continue
            if code == TOO_MANY_REQUESTS and not last:
                wait = retry_after_seconds(payload)
                delay = min(wait, MAX_RETRY_AFTER_SECONDS) if wait is not None else backoff_seconds(attempt)
                logger.warning("%s rate-limited; waiting %.1f s as asked", _method(url), delay)
                await self._sleep(delay)
                continue
            if code >= 500 and not last:
                delay = backoff_seconds(attempt)
                logger.warning("%s answered %d; retrying in %.1f s", _method(url), code, delay)
                await self._sleep(delay)
                continue
            return code, payload
        raise AssertionError("unreachable")  # the loop always returns or raises
