"""Rendering replies for Telegram: escaping, the 4096-character limit, callback data."""

from __future__ import annotations

import pytest

from bot.callback_codec import MAX_CALLBACK_DATA, decode, encode
from bot.telegram_render import MAX_MESSAGE_LENGTH, render, utf16_length
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Reply, Span, Style
from dialogs.scoring import score
from dialogs.session import Session
from tests.fakebotapi import parse_html

HOSTILE = "<script>alert('x') & </b> &amp; “quotes” 🙂 עברית"


def parsed(html: str) -> str:
    return parse_html(html).text


def test_dynamic_text_is_escaped_in_every_style() -> None:
    for style in Style:
        [message] = render(Reply((Span("Hi "), Span(HOSTILE, style))))
        assert parsed(message.html) == f"Hi {HOSTILE}"


def test_long_reply_is_split_under_the_limit_and_keeps_everything() -> None:
    lines = [f"line {n}: " + "é" * 70 + " 🙂\n" for n in range(300)]
    reply = Reply(tuple(Span(line, Style.BOLD if n % 2 else Style.PLAIN) for n, line in enumerate(lines)) + (
        Span("x" * 9000, Style.QUOTE),))
    messages = render(reply)
    assert len(messages) > 3
    for message in messages:
        assert 0 < utf16_length(parsed(message.html)) <= MAX_MESSAGE_LENGTH
    assert "".join(parsed(m.html) for m in messages).replace("\n", "") == "".join(
        span.text for span in reply.spans).replace("\n", "")


def test_keyboard_goes_on_the_last_part_only(engine: DialogEngine) -> None:
    outcome = engine.handle(Session(chat_id=1), Event(EventKind.START))
    question = outcome.replies[-1]
    long_question = Reply(question.spans + (Span("y" * 5000),), question.buttons, question.role)
    messages = render(long_question)
    assert [m.markup is not None for m in messages] == [False] * (len(messages) - 1) + [True]


def test_every_button_of_every_reply_fits_callback_data(engine: DialogEngine) -> None:
    session = Session(chat_id=1, generation=10**9 - 1)
    replies = list(engine.handle(session, Event(EventKind.START)).replies)
    for index in range(len(engine.content.questions)):
        replies.append(engine.views.question(index, 10**9 - 1))
    replies.append(engine.views.explain_menu())
    replies.extend(engine.views.explanation(path, with_buttons=True) for path in engine.content.paths)
    answers = tuple((q.id, q.options[0].id) for q in engine.content.questions)
    done = Session(chat_id=1, state="result", answers=answers, generation=10**9 - 1)
    for event in (Event(EventKind.START), Event(EventKind.WHY), Event(EventKind.PLAN), Event(EventKind.CHANGE),
                  Event(EventKind.COMMAND, command="help"), Event(EventKind.LANGUAGE)):
        replies.extend(engine.handle(done, event).replies)
    replies.append(engine.views.language_menu({"en": "English", "es": "Español", "pt": "Português", "ru": "Русский"}))
    replies.append(engine.views.checkin("hybrid"))
    replies.append(engine.views.shared_result(score(engine.content, answers)))
    kinds = set()
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                kinds.add(button.event.kind)
                if button.event.kind is EventKind.SHARE:
                    continue  # a link button, no callback data
                data = encode(button.event)
                assert len(data.encode()) <= MAX_CALLBACK_DATA
                assert decode(data) == button.event
    assert {EventKind.ANSWER, EventKind.BACK, EventKind.CHANGE, EventKind.PLAN, EventKind.REMIND, EventKind.LANGUAGE,
            EventKind.SHARE, EventKind.EXPLAIN, EventKind.WHY, EventKind.RESTART, EventKind.START} <= kinds


@pytest.mark.parametrize("data", [
    "", "1", "1a", "1a:x:skills:generalist", "1a:0:Skills:generalist", "1a:0:skills", "1a:-1:skills:a",
    "2a:0:skills:generalist", "1e:../etc", "1w:extra", "1r:1", "1b:0", "1a:0:skills:gen\n", "x" * 65,
    "1a:99999999999:skills:generalist", "1e:" + "a" * 30, None, 42,
])
def test_malformed_callback_data_decodes_to_nothing(data: object) -> None:
    assert decode(data) is None
