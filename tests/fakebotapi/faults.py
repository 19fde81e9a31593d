"""Injected faults (:meth:`FakeBotApi.inject_fault`) and flood mode, as HTTP answers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .errors import ApiError
from .flood import FloodLimits, counted
from .models import InjectedFault, RecordedRequest
from .spec import BotApiSpec

__all__ = ["apply_fault", "flood_error", "make_fault", "too_many_requests"]

_FAULT_OPTIONS = frozenset({"retry_after", "seconds", "s", "description", "process_first"})


def too_many_requests(retry_after: int, description: str | None = None) -> ApiError:
    """Telegram's 429, with ``retry_after`` in the body and the header."""
    return ApiError(429, description or f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def make_fault(spec: BotApiSpec, method: str, kind: str | int, times: int, options: Mapping[str, Any]) -> InjectedFault:
    """Check the arguments of :meth:`FakeBotApi.inject_fault` and build the fault."""
    kind = str(kind)
    if kind not in ("429", "disconnect", "delay") and not re.fullmatch(r"5\d\d", kind):
        raise ValueError(f"unknown fault kind {kind!r}")
    unknown = set(options) - _FAULT_OPTIONS
    if unknown:
        raise TypeError(f"unknown fault options: {sorted(unknown)}")
    if method != "*" and spec.method(method) is None:
        raise ValueError(f"unknown Bot API method {method!r}")
    return InjectedFault(
        method=method.lower(),
        kind=kind,
        remaining=times,
        retry_after=int(options.get("retry_after", 1)),
        seconds=float(options.get("seconds", options.get("s", 1.0))),
        description=options.get("description"),
        process_first=bool(options.get("process_first", False)),
    )


def flood_error(limits: FloodLimits | None, params: Mapping[str, Any]) -> ApiError | None:
    """The 429 flood mode answers to this call, or None when it may go (it is then counted)."""
    if limits is None or not counted(params):
        return None
    retry_after = limits.check(params.get("chat_id"), time.monotonic())
    return None if retry_after is None else too_many_requests(retry_after)


async def apply_fault(
    fault: InjectedFault,
    record: RecordedRequest,
    request: web.Request,
    process: Callable[[RecordedRequest], Awaitable[web.Response]],
    finish: Callable[[RecordedRequest, ApiError], web.Response],
    notify: Callable[[], None],
) -> web.StreamResponse:
    """Answer ``request`` as ``fault`` says; ``process`` runs it normally."""
    record.fault = fault.kind
    if fault.kind == "delay":
        if fault.process_first:
            response = await process(record)
            await asyncio.sleep(fault.seconds)
            return response
        await asyncio.sleep(fault.seconds)
        return await process(record)
    if fault.kind == "disconnect":
        if fault.process_first:
            await process(record)  # executed, but the answer is lost
        record.status = None
        record.finished_at = time.monotonic()
        if request.transport is not None:
            request.transport.abort()
        notify()
        return web.Response(status=204)
    if fault.kind == "429":
        error = too_many_requests(fault.retry_after, fault.description)
    else:
        code = int(fault.kind)
        default = "Internal Server Error" if code == 500 else HTTPStatus(code).phrase
        error = ApiError(code, fault.description or default)
    record.injected_error = True
    return finish(record, error)
