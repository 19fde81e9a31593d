"""Typed input -> events: every command, /explain arguments, @mentions, unknown commands, text."""

from __future__ import annotations

import pytest

from dialogs.commands import COMMANDS, MAX_COMMAND_ECHO, Command, parse_input
from dialogs.content import PATH_IDS, Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.machine import TRIGGERS
from dialogs.session import Session


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("/start", EventKind.START, "start"),
        ("/restart", EventKind.RESTART, "restart"),
        ("/back", EventKind.BACK, "back"),
        ("/explain", EventKind.EXPLAIN, "explain"),
        ("/why", EventKind.WHY, "why"),
        ("/help", EventKind.COMMAND, "help"),
        ("/privacy", EventKind.COMMAND, "privacy"),
        ("/forget", EventKind.FORGET, "forget"),
    ],
)
def test_each_command(text: str, kind: EventKind, name: str) -> None:
    event = parse_input(text)
    assert (event.kind, event.name) == (kind, name)
    assert not event.via_button
    assert parse_input(f"  {text.upper()}  ") == event  # case and surrounding space do not matter


def test_every_command_is_covered() -> None:
    assert {c.name: c.kind for c in COMMANDS} == {
        "start": EventKind.START, "restart": EventKind.RESTART, "back": EventKind.BACK,
        "explain": EventKind.EXPLAIN, "why": EventKind.WHY, "help": EventKind.COMMAND,
        "privacy": EventKind.COMMAND, "forget": EventKind.FORGET, "plan": EventKind.PLAN,
        "change": EventKind.CHANGE, "remind": EventKind.REMIND, "language": EventKind.LANGUAGE, "stats": EventKind.COMMAND,
        "whatif": EventKind.COMMAND, "verdict": EventKind.VERDICT,
    }


def test_the_registry_is_the_one_source(content: Content, engine: DialogEngine) -> None:
    """Content words, /help, the machine's triggers all derive from the registry."""
    assert list(content.commands) == [c.name for c in COMMANDS]
    help_text = engine.views.info("help").plain_text
    for command in COMMANDS:
        if command.in_menu:
            assert f"/{command.name}" in help_text
            assert content.commands[command.name].description in help_text
        if command.is_machine_trigger:
            assert command.kind.value in TRIGGERS
        else:
            assert command.kind.value not in TRIGGERS


def test_arguments_of_non_explain_commands_are_ignored() -> None:
    assert parse_input("/start now please") == Event(EventKind.START)
    assert parse_input("/back 3") == Event(EventKind.BACK)


@pytest.mark.parametrize(
    ("text", "path_id"),
    [
        ("/explain side_hustle", "side_hustle"),
        ("/explain generative_ai", "generative_ai"),
        ("/explain hybrid", "hybrid"),
        ("/explain Generative AI career", "generative_ai"),
        ("/explain generative ai", "generative_ai"),
        ("/explain side-hustle", "side_hustle"),
        ("/explain Side Hustle", "side_hustle"),
        ("/explain   HYBRID  ", "hybrid"),
        ("/explain AI", "generative_ai"),
        ("/explain", ""),
        ("/explain    ", ""),
        ("/explain hybird", "hybrid"),
        ("/explain side hustles", "side_hustle"),
        ("/explain gen ai", "generative_ai"),
    ],
)
def test_explain_arguments(engine: DialogEngine, text: str, path_id: str) -> None:
    event = parse_input(text)
    assert event.kind is EventKind.EXPLAIN
    assert engine.path_id(event.text) == path_id


def test_explain_accepts_every_display_name_and_id(content: Content, engine: DialogEngine) -> None:
    for path_id in PATH_IDS:
        name = content.paths[path_id].name
        for text in (name, name.upper(), path_id, path_id.replace("_", "-"), name + "s", name.lower()[:-1]):
            assert engine.path_id(parse_input(f"/explain {text}").text) == path_id, text


def test_explain_unknown_path_names_none_and_is_bounded(engine: DialogEngine) -> None:
    event = parse_input("/explain Astronaut Career")
    assert event.kind is EventKind.EXPLAIN
    assert engine.path_id(event.text) == ""
    assert len(parse_input("/explain " + "x" * 500).text) == MAX_COMMAND_ECHO


@pytest.mark.parametrize(
    ("text", "username", "expected"),
    [
        ("/start@CrossroadsBot", "CrossroadsBot", Event(EventKind.START)),
        ("/start@crossroadsbot", "CrossroadsBot", Event(EventKind.START)),
        ("/explain@CrossroadsBot hybrid", "CrossroadsBot", Event(EventKind.EXPLAIN, text="hybrid")),
        ("/explain@CrossroadsBot", "CrossroadsBot", Event(EventKind.EXPLAIN)),
        ("/help@AnyBot", "", Event(EventKind.COMMAND, command="help")),
        ("/start@OtherBot", "CrossroadsBot", Event(EventKind.TEXT, text="/start@OtherBot")),
    ],
)
def test_commands_addressed_to_a_bot(text: str, username: str, expected: Event) -> None:
    assert parse_input(text, bot_username=username) == expected


@pytest.mark.parametrize(("text", "echo"), [("/dance", "/dance"), ("/Dance@CrossroadsBot now", "/Dance"), ("/", "/")])
def test_unknown_commands(text: str, echo: str) -> None:
    assert parse_input(text, bot_username="CrossroadsBot") == Event(EventKind.UNKNOWN, text=echo)


def test_unknown_command_echo_is_bounded() -> None:
    event = parse_input("/" + "z" * 200)
    assert event.kind is EventKind.UNKNOWN
    assert event.text == "/" + "z" * MAX_COMMAND_ECHO


@pytest.mark.parametrize(("text", "expected"), [("2", "2"), ("  Many hobbies  ", "Many hobbies"), ("", ""),
                                                ("back", "back"), ("start over", "start over")])
def test_free_text(text: str, expected: str) -> None:
    assert parse_input(text) == Event(EventKind.TEXT, text=expected)


def test_a_registry_command_without_a_handler_stops_the_engine(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that does something but has no handler is caught when the engine is built,
    not when someone first types it."""
    import dialogs.engine
    monkeypatch.setattr(dialogs.engine, "COMMANDS", (*COMMANDS, Command("dance")))
    with pytest.raises(LookupError, match="dance"):
        DialogEngine(content)


def test_registry_only_commands_are_one_kind_told_apart_by_name(engine: DialogEngine) -> None:
    help_event, whatif_event = parse_input("/help"), parse_input("/whatif")
    assert help_event.kind is whatif_event.kind is EventKind.COMMAND
    assert (help_event.name, whatif_event.name) == ("help", "whatif")
    assert engine.handle(Session(chat_id=1), help_event).replies != engine.handle(Session(chat_id=1), whatif_event).replies


def test_a_command_no_longer_in_the_registry_is_unknown(engine: DialogEngine, content: Content) -> None:
    session = Session(chat_id=1)
    outcome = engine.handle(session, Event(EventKind.COMMAND, command="retired"))
    assert outcome.session == session
    assert [reply.plain_text for reply in outcome.replies] == [content.texts.render("unknown_command", command="/retired")]
