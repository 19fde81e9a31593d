"""Error reports (bot/error_reporting.py): what reaches Sentry says what failed, in which kind of
update and dialog state, and nothing about who wrote what. No network: the SDK's transport is
replaced by one that keeps the envelopes, and the test reads what would have gone on the wire."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.error_reporting import init_error_reporting, report_update_error
from bot.settings import Settings
from dialogs.session import Session
from tests.conftest import PYTHON

TOKEN = "123456:made-up-token-for-the-scrubber-tests"
DSN = "https://public@o1.ingest.invalid/1"
CHAT_ID = 550012345
TEXT = "I am burned out and my boss Carla must never know"
FIRST, LAST, USERNAME = "Ximena", "Quenteiro", "xq_private"
BUTTON = "v1:answer:risk:low"
PRIVATE = (TEXT, FIRST, LAST, USERNAME, str(CHAT_ID), TOKEN, TOKEN.partition(":")[2])


class KeptEnvelopes(Transport):
    """A transport that sends nothing and keeps every envelope."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [dict(event) for envelope in self.envelopes if (event := envelope.get_event()) is not None]

    def wire(self) -> str:
        return b"".join(envelope.serialize() for envelope in self.envelopes).decode()


class StoredSessions:
    """The dialog service's session look-up, with one chat in one state."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.asked: list[int] = []

    async def session(self, chat_id: int) -> Session | None:
        self.asked.append(chat_id)
        return Session(chat_id=chat_id, state=self.state)


def settings(**env: str) -> Settings:
    return Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env})


@pytest.fixture
def transport() -> Iterator[KeptEnvelopes]:
    """Sentry started as serve() starts it, with the keeping transport; stopped afterwards."""
    kept = KeptEnvelopes()
    yield kept
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    for scope in (sentry_sdk.get_isolation_scope(), sentry_sdk.get_current_scope()):
        scope.clear()  # breadcrumbs and extra context must not reach the next test's reports


def person_update(kind: str) -> Update:
    """A real update from a person with a name, a username and a chat id: a typed text or a tap."""
    user = User(id=CHAT_ID, is_bot=False, first_name=FIRST, last_name=LAST, username=USERNAME, language_code="en")
    chat = Chat(id=CHAT_ID, type=Chat.PRIVATE, first_name=FIRST, last_name=LAST, username=USERNAME)
    message = Message(message_id=7, date=datetime.now(UTC), chat=chat, from_user=user, text=TEXT)
    if kind == "callback":
        return Update(update_id=3, callback_query=CallbackQuery(id="42", from_user=user, chat_instance="ci",
                                                                data=BUTTON, message=message))
    return Update(update_id=3, message=message)


@pytest.mark.parametrize("kind", ["message", "callback"])
async def test_a_failed_update_is_reported_without_texts_names_ids_or_the_token(
        transport: KeptEnvelopes, kind: str) -> None:
    assert init_error_reporting(settings(SENTRY_DSN=DSN, WEBHOOK_SECRET="hook_secret_1"), transport=transport)
    update = person_update(kind)
    data = BUTTON if kind == "callback" else "none"  # a tap's data says which answer the person chose
    # What a failing update leaves behind: log lines (a library's and ours), a Bot API call, extra context.
    logging.getLogger("telegram.ext.Application").warning("update %s from %s: %r", CHAT_ID, FIRST, TEXT)
    logging.getLogger("bot.telegram_frontend").warning("chat %s (%s @%s) wrote %s; data %s", CHAT_ID, FIRST,
                                                       USERNAME, TEXT, data)
    sentry_sdk.add_breadcrumb(category="http", type="http", message=f"POST https://api.telegram.org/bot{TOKEN}/sendMessage",
                              data={"url": f"https://api.telegram.org/bot{TOKEN}/sendMessage", "body": TEXT})
    sentry_sdk.set_extra("person", {"name": f"{FIRST} {LAST}", "chat": CHAT_ID, "said": TEXT})
    try:
        raise ValueError(f"cannot handle {TEXT!r} ({data}) from {FIRST} {LAST} @{USERNAME} in chat {CHAT_ID} "
                         f"at https://api.telegram.org/bot{TOKEN}/editMessageText")
    except ValueError as error:
        # The error handler logs it first: a log line is a breadcrumb, never an event of its own.
        logging.getLogger("bot.telegram_frontend").error("update failed: %s", type(error).__name__, exc_info=error)
        sessions = StoredSessions("asking_time")
        await report_update_error(error, update, sessions)

    [event] = transport.events()
    wire = transport.wire()
    for value in (*PRIVATE, BUTTON):
        assert value not in wire, value
    assert "hook_secret_1" not in wire
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["contexts"]["update"] == {"kind": kind, "state": "asking_time"}
    assert event["tags"] == {"update_kind": kind, "dialog_state": "asking_time"}
    assert sessions.asked == [CHAT_ID]
    assert "user" not in event
    library, ours, call, failed = event["breadcrumbs"]["values"]
    assert library == {"type": "log", "category": "telegram.ext.Application", "level": "warning",
                       "timestamp": library["timestamp"]}  # a library's line: its logger and level only
    assert ours["message"].startswith("chat [REDACTED] ([REDACTED] @[REDACTED]) wrote [REDACTED]; data ")
    assert call["data"]["url"] == "https://api.telegram.org/bot[REDACTED]/sendMessage"
    assert failed["message"] == "update failed: ValueError"


async def test_a_crashed_task_is_reported_by_the_asyncio_integration_without_token_or_ids(
        transport: KeptEnvelopes) -> None:
    assert init_error_reporting(settings(SENTRY_DSN=DSN), transport=transport)

    async def check_in() -> None:
        raise RuntimeError(f"check-in to chat {CHAT_ID} failed at https://api.telegram.org/bot{TOKEN}/sendMessage")

    with contextlib.suppress(RuntimeError):
        await asyncio.create_task(check_in())

    [event] = transport.events()
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    for value in (str(CHAT_ID), TOKEN, TOKEN.partition(":")[2]):
        assert value not in transport.wire()


async def test_without_a_dsn_nothing_is_initialised_or_reported() -> None:
    sessions = StoredSessions("asking_time")
    assert not init_error_reporting(settings())
    await report_update_error(ValueError(TEXT), person_update("message"), sessions)
    assert not sentry_sdk.is_initialized()
    assert sessions.asked == []  # not even the state is looked up


def test_without_a_dsn_sentry_is_never_imported() -> None:
    script = (
        "import asyncio, sys\n"
        "from bot.error_reporting import init_error_reporting, report_update_error\n"
        "from bot.settings import Settings\n"
        "async def main():\n"
        "    assert not init_error_reporting(Settings.from_env({'TELEGRAM_BOT_TOKEN': '1:x'}))\n"
        "    await report_update_error(ValueError('x'), None, None)\n"
        "asyncio.run(main())\n"
        "print('sentry_sdk' in sys.modules)\n"
    )
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

