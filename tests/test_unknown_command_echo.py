"""An unknown command's name is said back without control, direction or other format characters,
which would garble the reply or the console's terminal ("/\\u202eevil\\u0007")."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from dialogs.commands import MAX_COMMAND_ECHO, UNECHOED_CATEGORIES, echoable, parse_input
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.session import Session
from tests.conftest import all_text
from tests.test_console import console

#: Bidi overrides, embeddings, isolates and marks, the Arabic letter mark, controls (bell, escape,
#: backspace, NUL, DEL, C1), zero-width and other format characters, a lone surrogate, line and
#: paragraph separators.
HOSTILE = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
           "\u0007\u001b\b\x00\x7f\x85\u009b\u200b\u200d\u2060\ufeff\u00ad\ud800\u2028\u2029")
NAMES = ["/\u202eevil\u0007", "/\u202elive\u202c", "/x\u001b[31mred\u001b[0m", "/\u2066evil\u2069\u200f",
         "/" + HOSTILE + "evil" + HOSTILE, "/ev\u061cil\u00ad@CrossroadsBot now", "/" + HOSTILE * 10 + "evil"]


def clean(text: str) -> bool:
    return not any(unicodedata.category(character) in UNECHOED_CATEGORIES for character in text)


def test_the_brief_s_characters_are_all_unechoed() -> None:
    bidi = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"]
    controls = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
    assert echoable("".join(bidi + controls) + "évil 🙂") == "évil 🙂"


@pytest.mark.parametrize("text", NAMES)
def test_an_unknown_command_is_echoed_clean_and_bounded(text: str) -> None:
    event = parse_input(text, bot_username="CrossroadsBot")
    assert event.kind is EventKind.UNKNOWN
    assert clean(event.text) and event.text.startswith("/") and len(event.text) <= MAX_COMMAND_ECHO + 1
    if len(text) < 100:  # what is left of a name made mostly of them is bounded all the same
        assert any(word in event.text for word in ("evil", "live", "red")), ascii(event.text)


@pytest.mark.parametrize("text", NAMES)
def test_the_engine_s_reply_holds_none_of_them(content: Content, engine: DialogEngine, text: str) -> None:
    for session in (Session(chat_id=1), engine.handle(Session(chat_id=1), parse_input("/start")).session):
        outcome = engine.handle(session, parse_input(text, bot_username="CrossroadsBot"))
        assert clean(all_text(outcome)), ascii(all_text(outcome))
        assert content.texts.render("unknown_command", command=echoable(parse_input(text).text)) in all_text(outcome)
    # The engine cleans what it echoes whoever built the event (a front end of its own).
    outcome = engine.handle(Session(chat_id=1), Event(EventKind.UNKNOWN, text="/\u202eevil\u0007"))
    assert all_text(outcome) == content.texts.render("unknown_command", command="/evil")


def test_the_console_s_reply_holds_none_of_them(content: Content, tmp_path: Path) -> None:
    lines = [name for name in NAMES if "\ud800" not in name]  # stdin is UTF-8: no lone surrogate
    done = console(tmp_path, lines)
    assert done.returncode == 0, done.stderr
    before, after = content.texts["unknown_command"].split("{command}")
    echoed = [line for line in done.stdout.splitlines() if before in line]
    assert len(echoed) == len(lines), done.stdout
    for line in echoed:
        assert clean(line) and line.endswith(after), ascii(line)
    assert content.texts.render("unknown_command", command="/evil") in done.stdout
