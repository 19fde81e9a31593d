"""Update delivery: getUpdates long polling, and the webhook (setWebhook, its senders)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from .errors import ApiError
from .faults import too_many_requests
from .models import RecordedRequest, WebhookAttempt

if TYPE_CHECKING:
    from .server import FakeBotApi, Handler

__all__ = ["HANDLERS", "Described", "LongPoll", "WebhookConfig", "end_long_poll", "post_webhook", "stop_webhook_task",
           "webhook_loop"]

_LONG_POLL_MAX_TIMEOUT = 50
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]*$")


@dataclass(slots=True)
class Described:
    """A successful result that Telegram sends together with a ``description``."""

    result: Any
    description: str


@dataclass(slots=True)
class WebhookConfig:
    """What setWebhook registered, plus the last delivery error getWebhookInfo reports."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class LongPoll:
    """The getUpdates call currently waiting (a newer one ends it with 409)."""

    future: asyncio.Future[ApiError | None]
    record: RecordedRequest


# ---------------------------------------------------------------------- getUpdates


async def _get_updates(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    if api._webhook is not None:
        raise ApiError.conflict("can't use getUpdates method while webhook is active; use deleteWebhook to "
                                "delete the webhook first")
    offset = int(params.get("offset", 0))
    limit = max(1, min(100, int(params.get("limit", 100))))
    timeout = max(0, min(_LONG_POLL_MAX_TIMEOUT, int(params.get("timeout", 0))))
    api._set_allowed_updates(params.get("allowed_updates"))

    if offset < 0:
        api._pending = api._pending[offset:]  # the last -offset updates
    elif offset > 0:
        api._pending = [u for u in api._pending if u["update_id"] >= offset]
    batch = api._pending[:limit]
    if batch or timeout == 0:
        return _deliver(api, batch)

    end_long_poll(api, ApiError.conflict(
        "terminated by other getUpdates request; make sure that only one bot instance is running"))
    long_poll = LongPoll(asyncio.get_running_loop().create_future(), record)
    api._long_poll = long_poll
    api._notify()
    try:
        outcome = await asyncio.wait_for(asyncio.shield(long_poll.future), timeout)
    except TimeoutError:
        outcome = None
    finally:
        if api._long_poll is long_poll:
            api._long_poll = None
    if isinstance(outcome, ApiError):
        raise outcome
    if api._webhook is not None:
        return []
    return _deliver(api, api._pending[:limit])


def end_long_poll(api: FakeBotApi, outcome: ApiError | None) -> None:
    """Answer a waiting long poll now: with its updates (``None``) or with ``outcome``."""
    if api._long_poll is not None and not api._long_poll.future.done():
        api._long_poll.future.set_result(outcome)


def _deliver(api: FakeBotApi, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = time.monotonic()
    for update in batch:
        api._delivered_at.setdefault(int(update["update_id"]), now)
    return [json.loads(json.dumps(update)) for update in batch]


# ---------------------------------------------------------------------- webhook methods


async def _set_webhook(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    url = params.get("url", "")
    if not url:
        return await _delete_webhook(api, params, record)
    now = time.monotonic()
    if now < api._next_set_webhook_at:
        raise too_many_requests(1)
    api._next_set_webhook_at = now + api.set_webhook_cooldown

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError.bad_request("invalid webhook URL specified")
    if parts.hostname not in _LOCAL_HOSTS:
        raise ApiError.bad_request(f"bad webhook: Failed to resolve host: {parts.hostname} (the fake Bot API only "
                                   "delivers to 127.0.0.1/localhost)")
    secret = params.get("secret_token") or None
    if secret is not None:
        if len(secret) > 256:
            raise ApiError.bad_request("secret token is too long")
        if not _SECRET_TOKEN_RE.match(secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
    max_connections = max(1, min(100, int(params.get("max_connections", 40))))
    allowed = params.get("allowed_updates")
    config = WebhookConfig(url, secret, max_connections, params.get("ip_address"), allowed)

    def essentials(c: WebhookConfig) -> tuple[Any, ...]:
        return c.url, c.secret_token, c.max_connections, c.ip_address

    current = api._webhook
    if current is not None and essentials(current) == essentials(config) and not params.get("drop_pending_updates") \
            and allowed is None:
        return Described(True, "Webhook is already set")

    await stop_webhook_task(api)
    end_long_poll(api, ApiError.conflict("terminated by setWebhook request"))
    if params.get("drop_pending_updates"):
        api._pending.clear()
    api._set_allowed_updates(allowed)
    api._webhook = config
    api._webhook_task = asyncio.get_running_loop().create_task(webhook_loop(api, config), name="fakebotapi-webhook")
    return Described(True, "Webhook was set")


async def _delete_webhook(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    was_set = api._webhook is not None
    await stop_webhook_task(api)
    api._webhook = None
    if params.get("drop_pending_updates"):
        api._pending.clear()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def _get_webhook_info(api: FakeBotApi, params: dict[str, Any], record: RecordedRequest) -> Any:
    config = api._webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(api._pending),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        if config.ip_address:
            info["ip_address"] = config.ip_address
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
            info["last_error_message"] = config.last_error_message
        if config.allowed_updates:
            info["allowed_updates"] = list(config.allowed_updates)
    return info


async def stop_webhook_task(api: FakeBotApi) -> None:
    """Cancel the webhook sender, if one runs, and wait for it."""
    task, api._webhook_task = api._webhook_task, None
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---------------------------------------------------------------------- sending to the bot


async def post_webhook(
    api: FakeBotApi, url: str, update: Mapping[str, Any], secret_header: str | None
) -> tuple[int | None, str | None, int]:
    """POST one update; returns (status or None, error or None, Retry-After seconds)."""
    assert api._session is not None
    headers = {"Content-Type": "application/json"}
    if secret_header is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_header
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    try:
        async with api._session.post(url, data=body, headers=headers, allow_redirects=False,
                                     timeout=aiohttp.ClientTimeout(total=api.webhook_timeout)) as response:
            await response.read()
            if 200 <= response.status <= 299:
                return response.status, None, 0
            retry_after = response.headers.get("Retry-After", "0")
            error = f"Wrong response from the webhook: {response.status} {response.reason}"
            return response.status, error, int(retry_after) if retry_after.isdigit() else 0
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return None, f"Connection failed: {exc.__class__.__name__}: {exc}", 0


async def _attempt(api: FakeBotApi, config: WebhookConfig, url: str, update: dict[str, Any]) -> int | None:
    """Deliver ``update`` once and record it; None on success, else the seconds to wait."""
    update_id = int(update["update_id"])
    api._delivered_at.setdefault(update_id, time.monotonic())
    status, error, retry_after = await post_webhook(api, url, update, config.secret_token)
    api.webhook_attempts.append(WebhookAttempt(update_id, url, status, error, config.secret_token, time.monotonic()))
    if error is None:
        return None
    config.last_error_date = int(time.time())
    config.last_error_message = error
    api._notify()
    return retry_after


def _update_chat(update: Mapping[str, Any]) -> Any:
    """The chat an update belongs to (its delivery queue), or the update itself."""
    for value in update.values():
        if not isinstance(value, Mapping):
            continue
        for holder in (value, value.get("message")):
            if isinstance(holder, Mapping) and isinstance(holder.get("chat"), Mapping):
                return holder["chat"].get("id")
        if isinstance(value.get("from"), Mapping):
            return value["from"].get("id")
    return ("update", update.get("update_id"))


async def webhook_loop(api: FakeBotApi, config: WebhookConfig) -> None:
    """The webhook sender: one update at a time to ``config.url``; with ``api.webhook_backends``, to those
    URLs in turn, different chats concurrently (up to max_connections) and one chat's updates in order.

    The turn is kept per chat (a chat's first delivery takes the balancer's next worker, each later
    attempt the worker after its previous one), so a chat's consecutive updates always land on
    different workers; one turn shared by all chats would send every chat to the same worker each
    time whenever the number of busy chats is a multiple of the number of workers."""
    assert api._pending_event is not None
    pending_event = api._pending_event
    fan_out = bool(api.webhook_backends)
    limit = config.max_connections if fan_out else 1
    busy_chats: set[Any] = set()
    tasks: set[asyncio.Task[None]] = set()
    turn = itertools.count()
    chat_turns: dict[Any, int] = {}

    def backend(chat: Any) -> str:
        position = chat_turns.get(chat)
        if position is None:
            position = next(turn)
        chat_turns[chat] = position + 1
        return api.webhook_backends[position % len(api.webhook_backends)]

    async def deliver(update: dict[str, Any], chat: Any) -> None:
        delay = api.webhook_retry_delay
        try:
            while True:
                url = backend(chat) if fan_out else config.url
                retry_after = await _attempt(api, config, url, update)
                if retry_after is None:
                    if any(pending is update for pending in api._pending):
                        api._pending.remove(update)
                    return
                await asyncio.sleep(retry_after or delay)
                delay = min(delay * 2, api.webhook_max_retry_delay)
        finally:
            busy_chats.discard(chat)
            tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
            api._notify()
            pending_event.set()

    try:
        while True:
            waiting: set[Any] = set()
            chosen: tuple[dict[str, Any], Any] | None = None
            if len(tasks) < limit:
                for update in api._pending:
                    chat = _update_chat(update)
                    if chat in busy_chats or chat in waiting:
                        waiting.add(chat)  # an earlier update of this chat goes first
                        continue
                    chosen = (update, chat)
                    break
            if chosen is None:
                pending_event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pending_event.wait(), 0.05)
                continue
            busy_chats.add(chosen[1])
            task = asyncio.get_running_loop().create_task(deliver(*chosen))
            tasks.add(task)
    finally:  # stopping the sender ends its deliveries too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


HANDLERS: dict[str, Handler] = {
    "getupdates": _get_updates,
    "setwebhook": _set_webhook,
    "deletewebhook": _delete_webhook,
    "getwebhookinfo": _get_webhook_info,
}
