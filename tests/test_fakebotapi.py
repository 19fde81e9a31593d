"""Tests proving the fake Bot API is strict and realistic.

Driven by python-telegram-bot's own ``telegram.Bot``/``Application`` (real HTTP over
loopback) and by raw httpx requests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import (
    ApiError,
    BotApiSpec,
    EntityParseError,
    FakeBotApi,
    parse_html,
)

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(callback_query_timeout=15.0, set_webhook_cooldown=0.0) as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=f"{server.url}/bot", base_file_url=server.base_file_url
    ) as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def api(server: FakeBotApi) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP client rooted at ``/bot<token>/``."""
    async with httpx.AsyncClient(base_url=f"{server.url}/bot{server.token}/") as client:
        yield client


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def texts(updates: Sequence[Update]) -> list[str | None]:
    """Text of each update's effective message (``None`` for non-message updates)."""
    return [u.effective_message.text if u.effective_message else None for u in updates]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_receiver(
    handler: Any,
) -> tuple[web.AppRunner, str]:
    """A tiny aiohttp webhook receiver on 127.0.0.1; returns (runner, url)."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


# ----------------------------------------------------------------------------- basics


async def test_get_me_via_ptb_and_raw_http(
    server: FakeBotApi, bot: Bot, api: httpx.AsyncClient
) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == server.bot_username and me.id == 123456
    assert me.can_join_groups is True

    response = await api.get("getMe")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["result"]["is_bot"] is True
    # Method names are case-insensitive, like Telegram.
    assert (await api.post("GETME")).json()["ok"] is True
    assert server.requests[-1].method == "getMe"


async def test_wrong_token_is_401(server: FakeBotApi) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.url}/bot123456:WRONG-token/getMe")
        malformed = await client.post(f"{server.url}/botnot-a-token/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert malformed.status_code == 401
    assert malformed.json()["description"] == "Unauthorized: invalid token specified"
    assert [record.error_code for record in server.errors] == [401, 401]


async def test_wrong_token_ptb_raises_invalid_token(server: FakeBotApi) -> None:
    ptb_bot = Bot("123456:WRONG-token", base_url=f"{server.url}/bot")
    with pytest.raises(InvalidToken):
        await ptb_bot.initialize()
    await ptb_bot.shutdown()


async def test_unknown_method_is_404(server: FakeBotApi, bot: Bot, api: httpx.AsyncClient) -> None:
    response = await api.post("sendTelepathicMessage", json={"chat_id": 1})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):  # PTB's mapping of 404 for do_api_request
        await bot.do_api_request("sendTelepathicMessage")
    assert [r.method for r in server.errors] == ["sendTelepathicMessage"] * 2  # logged too


async def test_missing_required_fields(server: FakeBotApi, api: httpx.AsyncClient) -> None:
    server.user(user_id=42)
    cases = [
        ("sendMessage", {"text": "hi"}, "Bad Request: chat_id is empty"),
        ("sendMessage", {"chat_id": 42}, "Bad Request: message text is empty"),
        ("sendMessage", {"chat_id": 42, "text": ""}, "Bad Request: message text is empty"),
        ("setMyCommands", {}, 'Bad Request: parameter "commands" is required'),
        ("sendChatAction", {"chat_id": 42}, "Bad Request: wrong parameter action in request"),
    ]
    for method, params, description in cases:
        response = await api.post(method, json=params)
        assert response.status_code == 400, (method, params)
        assert response.json() == {"ok": False, "error_code": 400, "description": description}
    assert [record.description for record in server.errors] == [c[2] for c in cases]


async def test_wrongly_typed_fields(server: FakeBotApi, api: httpx.AsyncClient) -> None:
    server.user(user_id=42)
    bad = [
        ("sendMessage", {"chat_id": 42, "text": "x", "disable_notification": "maybe"}),
        ("sendMessage", {"chat_id": 42, "text": {"not": "a string"}}),
        ("sendMessage", {"chat_id": {"id": 42}, "text": "x"}),
        ("getUpdates", {"limit": "ten"}),
        ("getUpdates", {"allowed_updates": "not json"}),
        ("getUpdates", {"allowed_updates": [1, 2]}),
        ("sendMessage", {"chat_id": 42, "text": "x", "reply_markup": "[1, 2]"}),
    ]
    for method, params in bad:
        response = await api.post(method, json=params)
        assert response.status_code == 400, (method, params, response.json())
        assert response.json()["description"].startswith("Bad Request: ")
    # Form-encoded values are strings and are decoded per declared type.
    ok = await api.post(
        "sendMessage", data={"chat_id": "42", "text": "x", "disable_notification": "true"}
    )
    assert ok.json()["ok"] is True
    assert server.requests[-1].params == {"chat_id": 42, "text": "x", "disable_notification": True}


async def test_all_body_encodings_are_accepted(server: FakeBotApi, api: httpx.AsyncClient) -> None:
    user = server.user(user_id=42)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    json_body = await api.post(
        "sendMessage", json={"chat_id": 42, "text": "json", "reply_markup": markup}
    )
    form = await api.post(
        "sendMessage", data={"chat_id": "42", "text": "form", "reply_markup": json.dumps(markup)}
    )
    query = await api.get("sendMessage", params={"chat_id": "42", "text": "query"})
    multipart = await api.post(
        "sendDocument",
        data={"chat_id": "42", "caption": "<b>doc</b>", "parse_mode": "HTML"},
        files={"document": ("notes.txt", b"hello", "text/plain")},
    )
    for response in (json_body, form, query, multipart):
        assert response.status_code == 200, response.json()
    assert [m.plain for m in user.messages] == ["json", "form", "query", "doc"]
    assert user.messages[0].buttons == [[("A", "a")]] == user.messages[1].buttons
    assert multipart.json()["result"]["document"]["file_size"] == 5
    assert multipart.json()["result"]["caption_entities"] == [
        {"offset": 0, "length": 3, "type": "bold"}
    ]


# ----------------------------------------------------------------------------- text validation


async def test_text_length_limits_count_utf16_after_parsing(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await bot.send_message(42, "a" * 4096)
    await bot.send_message(42, "😀" * 2048)  # 2 UTF-16 code units each -> exactly 4096
    await bot.send_message(42, "<b>" + "b" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "😀" * 2049)
    assert server.errors[-1].description == "Bad Request: message is too long"
    with pytest.raises(BadRequest, match="Text must be non-empty"):
        await bot.send_message(42, "<b> </b>", parse_mode="HTML")
    assert len(user.messages) == 3
    # Telegram trims surrounding whitespace of the stored text.
    message = await bot.send_message(42, "  \n hello \n\n")
    assert message.text == "hello"


async def test_invalid_html_is_rejected(server: FakeBotApi, bot: Bot) -> None:
    server.user(user_id=42)
    cases = {
        "<foo>x</foo>": 'Unsupported start tag "foo" at position 0',
        "<b>bold": 'Can\'t find end tag corresponding to start tag "b"',
        "<b>a <i>b</i>": 'Can\'t find end tag corresponding to start tag "b"',
        "<b><i>x</b></i>": (
            'Unmatched end tag "b" at position 7: the innermost open tag is "i"'
        ),
        "</b>": 'Unmatched end tag "b" at position 0: no tag is open',
        "1 < 2": 'Unescaped "<" at position 2; write "&lt;" for a literal "<"',
        "x<y": 'Unsupported start tag "y" at position 1',
        "<b": 'Start tag "b" at position 0 is not closed by ">"',
        "Q&A": 'Unescaped "&" at position 1; write "&amp;" for a literal "&"',
        "&nbsp;": (
            'Unsupported character reference "&nbsp;" at position 0; '
            "only &lt; &gt; &amp; &quot; and numeric ones are allowed"
        ),
        "<span>s</span>": 'Tag "span" at position 0 must have class="tg-spoiler"',
        "<br/>": 'Unsupported start tag "br" at position 0',
        "<b/>": 'Self-closing tag "b" at position 0 is not supported',
        "<a>example.org</a>": 'Tag "a" at position 0 needs a non-empty "href"',
        '<a href="javascript:alert(1)">x</a>': 'Tag "a" at position 0 has an invalid URL',
        "<code><b>x</b></code>": 'Tag "b" at position 6 can\'t be inside "code"',
        '<tg-emoji emoji-id="x">👍</tg-emoji>': (
            'Tag "tg-emoji" at position 0 needs a numeric "emoji-id" attribute'
        ),
    }
    for text, message in cases.items():
        with pytest.raises(BadRequest) as info:
            await bot.send_message(42, text, parse_mode="HTML")
        assert server.errors[-1].description == f"Bad Request: can't parse entities: {message}"
        assert str(info.value).startswith("Can't parse entities")
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(42, "x", parse_mode="BBCode")
    assert server.errors[-1].description == "Bad Request: unsupported parse_mode"


async def test_valid_html_entities_and_nesting(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    text = (
        "<b>bold <i>both</i></b> &lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; "
        '<a href="https://example.org">link</a> <tg-spoiler>s</tg-spoiler> '
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote</blockquote> <u>u</u><s>s</s><code>c</code>"
    )
    message = await bot.send_message(42, text, parse_mode="HTML")
    expected_plain = 'bold both <tag> & "q" AB link s x = 1quote usc'
    assert message.text == expected_plain
    assert user.last_message is not None
    assert user.last_message.plain == expected_plain
    assert user.last_message.text == text  # raw, as sent
    types = [(e.type, e.offset, e.length) for e in message.entities]
    assert types == [
        ("bold", 0, 9),
        ("italic", 5, 4),
        ("text_link", 25, 4),
        ("spoiler", 30, 1),
        ("pre", 32, 5),
        ("expandable_blockquote", 37, 5),
        ("underline", 43, 1),
        ("strikethrough", 44, 1),
        ("code", 45, 1),
    ]
    link = next(e for e in message.entities if e.type == "text_link")
    assert link.url == "https://example.org/"
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"
    server.assert_no_errors()


async def test_html_offsets_are_utf16_code_units(server: FakeBotApi, bot: Bot) -> None:
    server.user(user_id=42)
    # U+1F600 is two UTF-16 code units, U+00E9 one; both are more than one UTF-8 byte.
    message = await bot.send_message(
        42, "😀é <b>x<i>😀</i></b> &#x1F44D;<u>y</u>", parse_mode="HTML"
    )
    assert message.text == "😀é x😀 👍y"
    types = [(e.type, e.offset, e.length) for e in message.entities]
    assert types == [("bold", 4, 3), ("italic", 5, 2), ("underline", 10, 1)]
    server.assert_no_errors()


async def test_markdown_parse_modes_are_not_simulated(server: FakeBotApi, bot: Bot) -> None:
    server.user(user_id=42)
    for mode in ("MarkdownV2", "Markdown", "markdownv2"):
        with pytest.raises(BadRequest, match="(?i)does not simulate markdown"):
            await bot.send_message(42, r"*Price:* 5\.00\!", parse_mode=mode)
        assert server.errors[-1].description == (
            "Bad Request: the fake Bot API does not simulate Markdown parse modes"
        )


# ----------------------------------------------------------------------------- keyboards


async def test_callback_data_is_limited_to_64_bytes(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await bot.send_message(42, "ok", reply_markup=keyboard([("A", "x" * 64)]))
    await bot.send_message(42, "ok", reply_markup=keyboard([("B", "é" * 32)]))  # 64 bytes
    for data in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(42, "too long", reply_markup=keyboard([("C", data)]))
        assert server.errors[-1].description == "Bad Request: BUTTON_DATA_INVALID"
    assert [m.buttons for m in user.messages] == [[[("A", "x" * 64)]], [[("B", "é" * 32)]]]


async def test_inline_keyboard_shape_is_validated(
    server: FakeBotApi, api: httpx.AsyncClient
) -> None:
    server.user(user_id=42)
    cases = [
        ({"inline_keyboard": [{"text": "A", "callback_data": "a"}]}, "must be an Array of Arrays"),
        (
            {"inline_keyboard": [[{"text": "A"}]]},
            "Text buttons are unallowed in the inline keyboard",
        ),
        ({"inline_keyboard": [[{"callback_data": "a"}]]}, 'Can\'t find field "text"'),
        ({"inline_keyboard": [[{"text": "", "callback_data": "a"}]]}, "BUTTON_TEXT_INVALID"),
        (
            {"inline_keyboard": [[{"text": "A", "callback_data": "a", "url": "https://x.org"}]]},
            "exactly one of the optional fields",
        ),
        ({"inline_keyboard": [["A"]]}, "InlineKeyboardButton must be an Object"),
    ]
    for markup, fragment in cases:
        response = await api.post(
            "sendMessage", json={"chat_id": 42, "text": "x", "reply_markup": markup}
        )
        assert response.status_code == 400
        assert fragment in response.json()["description"], response.json()
    url_button = {"inline_keyboard": [[{"text": "Site", "url": "https://example.org/x"}]]}
    response = await api.post(
        "sendMessage", json={"chat_id": 42, "text": "x", "reply_markup": url_button}
    )
    assert response.json()["result"]["reply_markup"] == url_button


# ----------------------------------------------------------------------------- edits / deletes


async def test_edit_semantics(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    sent = await bot.send_message(
        42, "<b>Q1</b>", parse_mode="HTML", reply_markup=keyboard([("A", "a")])
    )

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Q1</b>", 42, sent.message_id, parse_mode="HTML", reply_markup=keyboard([("A", "a")])
        )
    assert (server.errors[-1].description or "").startswith("Bad Request: message is not modified")

    # Same text, but omitting reply_markup removes the keyboard: that *is* a modification.
    edited = await bot.edit_message_text("<b>Q1</b>", 42, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message)
    assert edited.reply_markup is None and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(42, sent.message_id)

    await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=keyboard([("B", "b")]))
    message = user.message(sent.message_id)
    assert message.plain == "Q1" and message.buttons == [[("B", "b")]]
    assert len(message.edits) == 2 and message.edits[0].buttons == []

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 42, 999)
    assert server.errors[-1].description == "Bad Request: message to edit not found"

    own = await user.send_text("user text")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", 42, own["message_id"])


async def test_delete_message(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    sent = await bot.send_message(42, "bye")
    assert await bot.delete_message(42, sent.message_id) is True
    assert user.messages == [] and user.all_messages[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(42, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("again", 42, sent.message_id)


async def test_send_to_unknown_chat(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello?")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_chat_action(777, "typing")
    assert server.errors[-1].description == "Bad Request: chat not found"


async def test_user_who_never_started_the_bot(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=43, started=False)
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(43, "hi")
    await user.send_command("/start")
    await bot.send_message(43, "hi")


async def test_blocked_user_is_forbidden(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await bot.send_message(42, "hello")
    await user.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "still there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(42, "typing")
    assert server.errors[-1].error_code == 403
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    assert member.old_chat_member.status == "member"
    # Writing to the bot again unblocks it (my_chat_member "member", then the message).
    await user.send_text("I'm back")
    later = await bot.get_updates(offset=updates[-1].update_id + 1)
    kinds = [u.my_chat_member.new_chat_member.status if u.my_chat_member else None for u in later]
    assert texts(later)[1] == "I'm back"
    assert kinds == ["member", None]
    await bot.send_message(42, "welcome back")
    server.assert_no_errors("bot was blocked by the user")


# ----------------------------------------------------------------------------- callbacks


async def test_answer_callback_query_rules(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    sent = await bot.send_message(42, "Pick", reply_markup=keyboard([("Yes", "yes"), ("No", "no")]))
    query_id = await user.press_button("Yes")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None and query.id == query_id and query.data == "yes"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.chat_instance

    assert await bot.answer_callback_query(query_id, text="Saved") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123456789")
    answer = server.callback_answer(query_id)
    assert answer is not None and answer.text == "Saved" and answer.data == "yes"
    assert answer.latency_ms is not None and 0 <= answer.latency_ms < 5000

    stale = await user.press(sent.message_id, "no")
    server.age_callback_query(stale, 16)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(stale)

    fresh = await user.press(sent.message_id, "no")
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(fresh, text="x" * 201)
    assert await bot.answer_callback_query(fresh, text="x" * 200)

    with pytest.raises(LookupError):
        await user.press(sent.message_id, "maybe")  # not on screen


# ----------------------------------------------------------------------------- polling


async def test_long_polling_wakes_on_update_and_honours_offset(
    server: FakeBotApi, bot: Bot
) -> None:
    user = server.user(user_id=42)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_until(lambda: server.is_long_polling)
    await user.send_text("hello")
    updates = await poll
    assert time.monotonic() - started < 2
    assert texts(updates) == ["hello"]
    assert server.delivered_at(updates[0].update_id) is not None

    # Unconfirmed updates are returned again; offset confirms them forever.
    assert [u.update_id for u in await bot.get_updates()] == [updates[0].update_id]
    await user.send_text("second")
    second = await bot.get_updates(offset=updates[0].update_id + 1)
    assert texts(second) == ["second"]
    assert second[0].update_id == updates[0].update_id + 1
    assert texts(await bot.get_updates()) == ["second"]
    assert await bot.get_updates(offset=second[0].update_id + 1, timeout=0) == ()
    assert server.pending_updates == []

    # limit, and an empty long poll that times out
    for i in range(3):
        await user.send_text(f"m{i}")
    assert len(await bot.get_updates(limit=2)) == 2
    last = (await bot.get_updates())[-1].update_id
    assert await bot.get_updates(offset=last + 1, timeout=1) == ()


async def test_allowed_updates_filters_new_updates(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await bot.send_message(42, "pick", reply_markup=keyboard([("A", "a")]))
    await bot.get_updates(allowed_updates=["callback_query"])
    await user.send_text("ignored")
    await user.press_button("A")
    updates = await bot.get_updates()
    assert [u.callback_query is not None for u in updates] == [True]
    assert server.dropped_updates[0]["message"]["text"] == "ignored"


async def test_overlapping_get_updates_conflict(server: FakeBotApi, bot: Bot) -> None:
    """Two bot instances polling at once: the older long poll is terminated with 409."""
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_until(lambda: server.is_long_polling)
    async with Bot(server.token, base_url=f"{server.url}/bot") as other_instance:
        second = asyncio.create_task(other_instance.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        await server.user(user_id=42).send_text("for the survivor")
        assert texts(await second) == ["for the survivor"]
    assert server.errors[-1].error_code == 409


async def test_get_updates_conflicts_with_webhook(server: FakeBotApi, bot: Bot) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response()

    runner, url = await start_receiver(ok)
    try:
        assert await bot.set_webhook(url) is True
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert await bot.delete_webhook() is True
        assert await bot.get_updates() == ()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


# ----------------------------------------------------------------------------- webhooks


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_set_webhook_is_rate_limited_like_telegram() -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response()

    runner, url = await start_receiver(ok)
    try:
        # The default cooldown allows one setWebhook per second.
        async with FakeBotApi() as strict, Bot(strict.token, base_url=strict.base_url) as ptb_bot:
            assert await ptb_bot.set_webhook(url)
            with pytest.raises(RetryAfter):
                await ptb_bot.set_webhook(url + "?again=1")
            assert await ptb_bot.delete_webhook()  # deleting is not rate limited
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retries(server: FakeBotApi, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    statuses = iter([500, 200, 200, 200, 200])

    async def receiver(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=next(statuses))

    runner, url = await start_receiver(receiver)
    try:
        user = server.user(user_id=42)
        await user.send_text("queued before webhook")
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
            await bot.set_webhook(url, secret_token="bad token!")
        with pytest.raises(BadRequest, match="Bad webhook"):
            await bot.set_webhook("https://example.com/hook")
        assert await bot.set_webhook(url, secret_token="s3cr3t_T0ken-x") is True
        await user.send_text("after webhook")

        await server.wait_until(lambda: len(received) >= 3)
        assert [r[0] for r in received] == ["s3cr3t_T0ken-x"] * 3
        texts = [r[1]["message"]["text"] for r in received]
        assert texts == ["queued before webhook", "queued before webhook", "after webhook"]
        assert [a.status for a in server.webhook_attempts] == [500, 200, 200]
        await server.wait_until(lambda: not server.pending_updates)
        info = await bot.get_webhook_info()
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        # Raw POSTs with a chosen secret header, for the bot's own secret checks.
        assert await server.post_to_webhook(secret="missing") == 200
        assert received[-1][0] is None
        await server.post_to_webhook({"update_id": 5, "message": {}}, secret="wrong")
        assert received[-1][0] == "s3cr3t_T0ken-x-wrong" and received[-1][1]["update_id"] == 5
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_webhook_without_secret_sends_no_header(server: FakeBotApi, bot: Bot) -> None:
    headers: list[str | None] = []

    async def receiver(request: web.Request) -> web.Response:
        headers.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        return web.Response()

    runner, url = await start_receiver(receiver)
    try:
        await bot.set_webhook(url, drop_pending_updates=True)
        await server.user(user_id=42).send_text("hi")
        await server.wait_until(lambda: headers)
        assert headers == [None]
    finally:
        await runner.cleanup()


# ----------------------------------------------------------------------------- faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_429_is_retry_after(server: FakeBotApi, bot: Bot) -> None:
    server.user(user_id=42)
    server.inject_fault("sendMessage", "429", retry_after=1)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(42, "x")
    assert info.value.retry_after in (1, dt.timedelta(seconds=1))
    assert server.requests[-1].status == 429 and server.requests[-1].fault == "429"
    assert server.errors == []  # injected faults are not "rejections"
    await bot.send_message(42, "x")  # the fault was used up
    times = server.call_times("sendMessage")
    assert len(times) == 2


async def test_fault_5xx_and_disconnect_are_network_errors(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    server.inject_fault("sendMessage", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(42, "x")
    server.inject_fault("sendMessage", "502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(42, "x")
    server.inject_fault("sendmessage", "disconnect")
    with pytest.raises(NetworkError, match="RemoteProtocolError"):
        await bot.send_message(42, "x")
    assert user.messages == []  # none of them was executed

    # A lost response: Telegram executed the request but the bot never heard back.
    server.inject_fault("sendMessage", "disconnect", process_first=True)
    with pytest.raises(NetworkError):
        await bot.send_message(42, "sent twice?")
    assert [m.plain for m in user.messages] == ["sent twice?"]
    assert server.errors == []


async def test_fault_delay_times_out(server: FakeBotApi) -> None:
    server.user(user_id=42)
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(server.token, base_url=f"{server.url}/bot", request=request) as slow_bot:
        server.inject_fault("sendMessage", "delay", seconds=1.0)
        with pytest.raises(TimedOut):
            await slow_bot.send_message(42, "x")
        await server.wait_until(lambda: server.requests[-1].abandoned, timeout=2)
        server.inject_fault("sendMessage", "delay", seconds=0.05)
        started = time.monotonic()
        await slow_bot.send_message(42, "y")
        assert time.monotonic() - started >= 0.05
    assert [m.plain for m in server.chat(42).messages] == ["y"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_is_observable_in_call_times(server: FakeBotApi, bot: Bot) -> None:
    """A client honouring retry_after shows the gap in call_times()."""
    server.user(user_id=42)
    server.inject_fault("sendMessage", "429", times=2, retry_after=1)
    attempts = 0
    while True:
        attempts += 1
        try:
            await bot.send_message(42, "eventually")
            break
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else delay
            await asyncio.sleep(seconds / 10)  # tests may shrink waits; gaps remain measurable
    times = server.call_times("sendMessage")
    assert attempts == 3 and len(times) == 3
    assert all(later - earlier >= 0.09 for earlier, later in itertools.pairwise(times))


# ----------------------------------------------------------------------------- misc methods


async def test_chat_actions_and_commands(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await bot.send_chat_action(42, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(42, "dancing")
    assert [a.action for a in user.chat_actions] == ["typing"]

    await bot.set_my_commands([("start", "Start the quiz"), ("help", "Show help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    for bad in (
        [("Start", "x")],
        [("start", "")],
        [("a" * 33, "x")],
        [(f"c{i}", "x") for i in range(101)],
    ):
        with pytest.raises(BadRequest):
            await bot.set_my_commands(bad)
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()


async def test_other_methods_return_objects_ptb_accepts(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42, first_name="Ada", username="ada")
    chat = await bot.get_chat(42)
    assert chat.first_name == "Ada" and chat.type == "private"
    member = await bot.get_chat_member(42, 42)
    assert member.status == "member" and member.user.id == 42
    assert await bot.get_chat_member_count(42) == 2
    for message in (
        await bot.send_dice(42),
        await bot.send_location(42, 1.5, 2.5),
        await bot.send_poll(42, "Side hustle or AI career?", ["Side hustle", "AI", "Both"]),
        await bot.send_sticker(42, "CAACAgIAAxkBAAIBfile"),
    ):
        assert unknown_fields(message) == []
    assert [m.kind for m in user.messages] == ["dice", "location", "poll", "sticker"]
    assert await bot.set_my_description("Helps you choose") is True
    assert (await bot.get_my_description()).description == "Helps you choose"
    assert (await bot.get_my_name()).name == server.bot_first_name
    assert await bot.set_message_reaction(42, user.messages[0].message_id) is True  # generic
    with pytest.raises(BadRequest):
        await bot.copy_message(42, 42, user.messages[0].message_id)
    assert "does not simulate copyMessage (returns MessageId)" in str(server.errors[-1].description)
    file = await bot.get_file("BQACAgIAAxkBAAIdoc")
    assert file.file_path is not None
    assert await file.download_as_bytearray() == bytearray(
        b"fake file content for BQACAgIAAxkBAAIdoc"
    )


async def test_log_out_and_delete_webhook_drop_pending(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await user.send_text("old news")
    await bot.delete_webhook(drop_pending_updates=True)
    assert server.pending_updates == [] and await bot.get_updates() == ()
    record = await server.wait_for_request("getUpdates")
    assert record.ok is True and record.params == {}
    assert await bot.log_out() is True
    with pytest.raises(InvalidToken):
        await bot.get_me()


async def test_group_and_channel_updates_via_enqueue_raw(server: FakeBotApi, bot: Bot) -> None:
    group_chat = {"id": -1001, "title": "Quiz club", "type": "supergroup"}
    sender = {"id": 7, "is_bot": False, "first_name": "Grace"}
    update_id = server.enqueue_raw(
        {
            "message": {
                "message_id": 10,
                "date": 1,
                "chat": group_chat,
                "from": sender,
                "text": "hi all",
            }
        }
    )
    channel = {"id": -1002, "title": "News", "type": "channel"}
    server.enqueue_raw(
        {"channel_post": {"message_id": 3, "date": 1, "text": "news", "chat": channel}}
    )
    updates = await bot.get_updates()
    assert updates[0].update_id == update_id and texts(updates) == ["hi all", "news"]
    assert updates[0].effective_chat is not None and updates[0].effective_chat.type == "supergroup"
    assert updates[1].channel_post is not None and updates[1].channel_post.text == "news"
    reply = await bot.send_message(-1001, "hello group", reply_to_message_id=10)
    assert reply.message_id == 11
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "hi all"
    last = server.chat(-1001).last_message
    assert last is not None and last.plain == "hello group"

    group = server.group(-1003, "Helpers")
    alice = server.user(user_id=42, first_name="Alice")
    await group.send_command(alice, "start")
    later = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert texts(later) == ["/start@crossroads_test_bot"]


async def test_wait_for_message_semantics(server: FakeBotApi, bot: Bot) -> None:
    user = server.user(user_id=42)
    await user.send_text("go")

    async def bot_side() -> None:
        await asyncio.sleep(0.01)
        first = await bot.send_message(42, "one")
        await bot.send_message(42, "two")
        await asyncio.sleep(0.01)
        await bot.edit_message_text("one (edited)", 42, first.message_id)

    task = asyncio.create_task(bot_side())
    assert (await user.wait_for_message()).plain == "one"
    assert (await user.wait_for_message()).plain == "two"
    edited = await user.wait_for_message("edited")
    assert edited.plain == "one (edited)" and len(edited.edits) == 1
    await task
    with pytest.raises(TimeoutError, match="no bot message"):
        await user.wait_for_message("never", timeout=0.05)


def unknown_fields(obj: Any, path: str = "") -> list[str]:
    """Paths of PTB objects that received JSON fields PTB does not know (``api_kwargs``)."""
    found: list[str] = []
    if isinstance(obj, TelegramObject):
        if obj.api_kwargs:
            found.append(f"{path or type(obj).__name__}: {sorted(obj.api_kwargs)}")
        for key, value in obj._get_attrs(include_private=False, recursive=False).items():
            found += unknown_fields(value, f"{path}.{key}")
    elif isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            found += unknown_fields(item, f"{path}[{index}]")
    return sorted(set(found))


async def test_generated_json_is_exactly_what_ptb_expects(server: FakeBotApi, bot: Bot) -> None:
    """Every update and returned Message parses in PTB without unknown fields."""
    user = server.user(user_id=42, first_name="Ada", last_name="L", username="ada")
    sent = await bot.send_message(
        42,
        "<b>Hi</b> <a href='https://x.org'>x</a>",
        parse_mode="HTML",
        reply_markup=keyboard([("A", "a")]),
    )
    photo = await bot.send_photo(42, png_bytes(4, 3), caption="<i>pic</i>", parse_mode="HTML")
    edited = await bot.edit_message_text(
        "edited", 42, sent.message_id, reply_markup=keyboard([("A", "a")])
    )
    for message in (sent, photo, edited):
        assert unknown_fields(message) == []
    assert photo.photo and photo.caption == "pic"

    text = await user.send_text("hello")
    await user.send_command("/start", "deep-link")
    await user.send_sticker()
    await user.send_photo(caption="look")
    await user.send_document()
    await user.send_location()
    await user.edit_message(text["message_id"], "hello (edited)")
    await user.press_button("A")
    await user.block_bot()
    updates = await bot.get_updates()
    assert len(updates) == 9
    for update in updates:
        assert unknown_fields(update) == [], update
    command = updates[1].message
    assert command is not None and command.entities[0].type == "bot_command"
    assert command.text == "/start deep-link"
    assert updates[6].edited_message is not None and updates[6].edited_message.edit_date
    assert [u.update_id for u in updates] == list(
        range(updates[0].update_id, updates[0].update_id + 9)
    )


# ----------------------------------------------------------------------------- Application e2e


async def test_ptb_application_polling_end_to_end(server: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_chat_action(update.effective_chat.id, "typing")
        await update.effective_chat.send_message(
            "<b>Welcome!</b> Ready?", parse_mode="HTML", reply_markup=keyboard([("Let's go", "go")])
        )

    async def go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Starting…")
        await query.edit_message_text("Question 1: <i>side hustle?</i>", parse_mode="HTML")

    application = Application.builder().token(server.token).base_url(f"{server.url}/bot").build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(go, pattern="^go$"))
    user = server.user(user_id=1001, first_name="Ada")
    updater = application.updater
    assert updater is not None
    async with application:
        await updater.start_polling(poll_interval=0.0, timeout=5)
        await application.start()
        try:
            await user.send_command("/start")
            welcome = await user.wait_for_message("Welcome", timeout=5)
            assert welcome.buttons == [[("Let's go", "go")]]
            assert [a.action for a in user.chat_actions] == ["typing"]
            query_id = await user.press_button("go")
            question = await user.wait_for_message(lambda m: (m.plain or "").startswith("Question"))
            assert question.message_id == welcome.message_id and question.buttons == []
            answer = await server.wait_until(lambda: server.callback_answer(query_id))
            assert answer.text == "Starting…"
        finally:
            await updater.stop()
            await application.stop()
    server.assert_no_errors()
    assert server.pending_updates == []  # the final getUpdates confirmed everything


async def test_ptb_application_webhook_end_to_end(server: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(f"echo {context.args}")

    application = Application.builder().token(server.token).base_url(f"{server.url}/bot").build()
    application.add_handler(CommandHandler("echo", echo))
    port = free_port()
    user = server.user(user_id=1002)
    updater = application.updater
    assert updater is not None
    async with application:
        await updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg",
            webhook_url=f"http://127.0.0.1:{port}/tg",
            secret_token="s3cret",
        )
        await application.start()
        try:
            await user.send_command("/echo", "a b")
            reply = await user.wait_for_message(timeout=5)
            assert reply.plain == "echo ['a', 'b']"
            assert server.webhook_attempts[-1].secret_header == "s3cret"
            assert await server.post_to_webhook(secret="right") == 200
            assert await server.post_to_webhook(secret="wrong") == 403
            assert await server.post_to_webhook(secret="missing") == 403
        finally:
            await updater.stop()
            await application.stop()
    server.assert_no_errors()


# ----------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<b>a</b><strong>b</strong><i>c</i><em>d</em>", "abcd"),
        ("<u>u</u><ins>i</ins><s>s</s><strike>t</strike><del>d</del>", "uistd"),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("&lt;&gt;&amp;&quot;&#33;&#x21;&#X21;", '<>&"!!!'),
        ("<B>case</b>", "case"),
        ("<blockquote>q</blockquote>", "q"),
        ("a > b", "a > b"),
        (
            "<b>bold <i>italic <s>strike <tg-spoiler>all</tg-spoiler></s></i></b>",
            "bold italic strike all",
        ),
        ("<a href='https://example.org/?a=1&amp;b=2' title=x>l</a>", "l"),
    ],
)
def test_parse_html_accepts(text: str, plain: str) -> None:
    assert parse_html(text).text == plain


def test_parse_html_entities_carry_their_attributes() -> None:
    parsed = parse_html(
        '<a href="https://example.org/?a=1&amp;b=2">l</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        "<pre>plain</pre><code>c</code>"
        '<tg-time unix="1647531900" format="wDT">t</tg-time>'
    )
    assert parsed.text == "l👍plainct"
    assert parsed.entities_json() == [
        {"offset": 0, "length": 1, "type": "text_link", "url": "https://example.org/?a=1&b=2"},
        {
            "offset": 1,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
        {"offset": 3, "length": 5, "type": "pre"},
        {"offset": 8, "length": 1, "type": "code"},
        {
            "offset": 9,
            "length": 1,
            "type": "date_time",
            "unix_time": 1647531900,
            "date_time_format": "wDT",
        },
    ]


def test_parse_html_same_range_keeps_outer_tag_first() -> None:
    parsed = parse_html("<i><b>x</b></i><u><s>y</s></u>")
    assert [e.type for e in parsed.entities] == ["italic", "bold", "underline", "strikethrough"]


def test_parse_html_drops_empty_entities() -> None:
    assert parse_html("a<b></b>c").entities == ()


def test_parse_html_lenient_mode_matches_real_server() -> None:
    assert parse_html("AT&T &nbsp;", strict=False).text == "AT&T &nbsp;"
    parsed = parse_html("<a>example.org</a>", strict=False)
    assert parsed.entities[0].url == "http://example.org/"
    assert parse_html("<code><b>x</b></code>", strict=False).text == "x"
    for text in ("AT&T", "<a>example.org</a>", "<code><b>x</b></code>"):
        with pytest.raises(EntityParseError):
            parse_html(text)
    # Structural errors are refused in both modes.
    for text in ("<b>x", "<b><i>x</b></i>", "1 < 2", "<foo>"):
        with pytest.raises(EntityParseError):
            parse_html(text, strict=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
def test_escaped_text_round_trips_through_html(text: str) -> None:
    assert parse_html(html.escape(text)).text == text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler"]),
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1),
        ),
        max_size=5,
    )
)
def test_html_entity_offsets_match_utf16_positions(parts: list[tuple[str, str]]) -> None:
    markup = "".join(f"<{tag}>{html.escape(body)}</{tag}>" for tag, body in parts)
    parsed = parse_html(markup)
    assert parsed.text == "".join(body for _, body in parts)
    utf16 = parsed.text.encode("utf-16-le")
    position = 0
    for entity, (_, body) in zip(parsed.entities, parts, strict=True):
        assert entity.offset == position
        assert utf16[2 * entity.offset : 2 * (entity.offset + entity.length)].decode(
            "utf-16-le"
        ) == body
        position += entity.length


def test_spec_covers_known_methods() -> None:
    spec = BotApiSpec.load()
    assert spec.method("SENDMESSAGE") is spec.method("sendMessage")
    send = spec.method("sendMessage")
    assert send is not None and send.fields["chat_id"].required
    assert spec.method("sendTelepathicMessage") is None
    assert ApiError(429, "x", {"retry_after": 3}).to_json()["parameters"] == {"retry_after": 3}


def png_bytes(width: int, height: int) -> bytes:
    """A real PNG of the given size (drawn by Pillow)."""
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(output, format="PNG")
    return output.getvalue()


async def test_send_photo_takes_only_real_images(server: FakeBotApi, bot: Bot) -> None:
    server.user(user_id=42)
    photo = await bot.send_photo(42, png_bytes(80, 60))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (80, 60)
    for data, problem in ((b"png-bytes", "IMAGE_PROCESS_FAILED"), (png_bytes(80, 60)[:40], "IMAGE_PROCESS_FAILED"),
                          (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "IMAGE_PROCESS_FAILED"),
                          (png_bytes(2, 100), "PHOTO_INVALID_DIMENSIONS")):
        with pytest.raises(BadRequest, match=f"(?i){problem}"):
            await bot.send_photo(42, data)
    assert len(server.user(user_id=42).messages) == 1


async def test_message_effects_only_known_ones_and_only_in_private_chats(server: FakeBotApi, bot: Bot) -> None:
    from tests.fakebotapi.messages import MESSAGE_EFFECTS

    user = server.user(user_id=77_001)
    effect = sorted(MESSAGE_EFFECTS)[0]
    sent = await bot.send_message(77_001, "hello", message_effect_id=effect)
    assert sent.message_id and user.messages[-1].plain == "hello"
    with pytest.raises(BadRequest, match="(?i)effect_id_invalid"):
        await bot.send_message(77_001, "hello", message_effect_id="123")
    group = server.group(-1_007_001, "Effects")
    with pytest.raises(BadRequest, match="(?i)effect_id_invalid"):
        await bot.send_message(group.id, "hello", message_effect_id=effect)
