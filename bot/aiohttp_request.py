"""A python-telegram-bot transport over aiohttp.

Why not python-telegram-bot's default HTTPXRequest: profiled on the wire (``python -m bench``,
README "Benchmark"), httpcore spends most of each call outside the bot's work: it tries
``import sniffio`` on every request when sniffio is absent, and its pool checks every idle
connection for expiry on every request. aiohttp's connector keeps idle connections in a
per-host list and costs a fraction per call (figures in the README).

Failures are mapped onto python-telegram-bot's errors, with one distinction the retry layer
(:mod:`bot.retrying_request`) needs: :class:`RequestNotSent` when the request provably never
left this process (no connection could be made or had from the pool), so any method can be
retried; a plain ``NetworkError``/``TimedOut`` when it may have reached Telegram.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_POOL_SIZE = 32
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
#: Idle connections are closed after this long, well before any server would close them
#: (a request sent on a connection the server is closing fails without an answer).
KEEPALIVE_SECONDS = 15.0
JSON_HEADERS = {"Content-Type": "application/json"}


class RequestNotSent(NetworkError):
    """The request never reached the network: retrying it cannot duplicate anything."""


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's ``BaseRequest`` over one ``aiohttp.ClientSession``."""

    def __init__(self, connection_pool_size: int = DEFAULT_POOL_SIZE, read_timeout: float | None = DEFAULT_READ_TIMEOUT,
                 connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
                 pool_timeout: float | None = DEFAULT_POOL_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (python-telegram-bot adds the long-poll time to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running event loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  raise_for_status=False)

    async def shutdown(self) -> None:
        """Close every connection."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; the status and body, or python-telegram-bot's error."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, self._connect_timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_read=_seconds(read_timeout, self._read_timeout), sock_connect=connect,
            # aiohttp's "connect" covers waiting for a pooled connection and opening a new one.
            connect=None if connect is None or pool is None else connect + pool,
        )  # aiohttp has no write timeout; the OS's socket buffers bound a stalled write.
        try:
            body = _body(request_data)
            headers = JSON_HEADERS if isinstance(body, bytes) else None
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise RequestNotSent(f"aiohttp: no connection within {timeout.connect} s; not sent") from error
        except aiohttp.ClientConnectorError as error:
            raise RequestNotSent(f"aiohttp.{type(error).__name__}: {error}; not sent") from error
        except TimeoutError as error:  # aiohttp's read timeouts are TimeoutError too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _body(request_data: RequestData | None) -> aiohttp.FormData | bytes | None:
    """The request body: the parameters as one JSON document (Telegram accepts JSON bodies, and
    encoding one costs a fraction of a urlencoded form), or a multipart form when there are files."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return json.dumps(request_data.parameters, separators=(",", ":"), ensure_ascii=False).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
