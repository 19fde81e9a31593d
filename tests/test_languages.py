"""Languages in the dialog core: every catalogue's labels and path names understood, the service
choosing and switching languages (also when asked in words), plural forms, and the console's
language. Each language's understanding figures: tests/test_understanding.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.content_files.loader import load_languages
from bot.storage.memory import MemorySessionStore
from bot.wiring import build_engines
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.plurals import plural_category
from dialogs.service import DialogService
from dialogs.understanding import Interpreter, Reading
from tests.conftest import PYTHON, bot_env

LANGUAGES = load_languages()


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_label_and_plain_command_is_understood_in_its_language(code: str) -> None:
    content = LANGUAGES[code]
    interpreter = Interpreter(content)
    for question in content.questions:
        for option in question.choices:
            assert interpreter.read(option.label, question).options == (option.id,)
    for path in content.paths.values():
        prefix = content.commands["explain"].path_prefixes[0]
        reading = interpreter.read(f"{prefix} {path.name}", None)
        assert reading.reading is Reading.COMMAND and reading.event is not None
        assert reading.event.text == path.id, (prefix, path.name)


@pytest.mark.parametrize(("language", "counts"), [
    ("en", {1: "one", 2: "other", 0: "other"}),
    ("ru", {1: "one", 21: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many", 22: "few"}),
    ("pt", {0: "one", 1: "one", 2: "other"}),
    ("es", {1: "one", 3: "other"}),
])
def test_plural_categories(language: str, counts: dict[int, str]) -> None:
    for count, category in counts.items():
        assert plural_category(language, count) == category


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_points_read_naturally_in_every_language(code: str) -> None:
    views = DialogEngine(LANGUAGES[code]).views
    for count in (1, 2, 5, 11, 21):
        assert str(count) in views.points(count)


async def test_service_picks_remembers_and_switches_the_language() -> None:
    engines = build_engines(LANGUAGES, retention_days=90)
    store = MemorySessionStore()
    await store.open()
    try:
        service = DialogService(engines, store, first_generation=lambda: 0)
        assert service.language_for("pt-BR") == ("pt" if "pt" in LANGUAGES else "en")
        assert service.language_for("de") == "en" and service.language_for("") == "en"
        other = next(code for code in LANGUAGES if code != "en")
        started = await service.handle(1, Event(EventKind.START, language=other))
        assert LANGUAGES[other].questions[0].text in started.replies[-1].plain_text
        assert (await service.session(1)).language == other  # type: ignore[union-attr]
        later = await service.handle(1, Event(EventKind.TEXT, text="1", language="en"))  # the stored choice wins
        assert LANGUAGES[other].questions[1].text in later.replies[-1].plain_text
        switched = await service.handle(1, Event(EventKind.LANGUAGE, text="en"))
        assert switched.replies[0].plain_text == LANGUAGES["en"].texts["language_set"]
        assert LANGUAGES["en"].questions[1].text in switched.replies[-1].plain_text
        assert (await service.session(1)).language == "en"  # type: ignore[union-attr]
        menu = await service.handle(1, Event(EventKind.LANGUAGE))
        assert [b.label for row in menu.replies[0].buttons for b in row] == [c.language_name for c in LANGUAGES.values()]
    finally:
        await store.close()


ASKED_IN_WORDS = {"en": ("can we do this in spanish?", "es"), "es": ("¿podemos seguir en inglés?", "en"),
                  "pt": ("dá pra continuar em inglês?", "en"), "ru": ("давай лучше на английском", "en")}


@pytest.mark.parametrize("code", sorted(ASKED_IN_WORDS))
async def test_a_language_asked_for_in_words_is_switched_to(code: str) -> None:
    engines = build_engines(LANGUAGES, retention_days=90)
    store = MemorySessionStore()
    await store.open()
    try:
        service = DialogService(engines, store, first_generation=lambda: 0)
        await service.handle(1, Event(EventKind.START, language=code))
        text, target = ASKED_IN_WORDS[code]
        switched = await service.handle(1, Event(EventKind.TEXT, text=text))
        assert switched.replies[0].plain_text == LANGUAGES[target].texts["language_set"]
        assert LANGUAGES[target].questions[0].text in switched.replies[-1].plain_text
        assert (await service.session(1)).language == target  # type: ignore[union-attr]
    finally:
        await store.close()


def test_console_follows_lang_and_the_lang_flag(tmp_path: Path, content: Content) -> None:
    other = next((code for code in LANGUAGES if code != "en"), None)
    assert other is not None
    target = LANGUAGES[other]
    for args, env in ((["--console"], {"LANG": f"{other}_XX.UTF-8"}), (["--console", "--lang", other], {})):
        folder = tmp_path / "_".join(args).strip("-")
        folder.mkdir()
        done = subprocess.run([PYTHON, "-m", "bot", *args], input="1\n", capture_output=True, text=True,
                              encoding="utf-8", cwd=folder, env=bot_env(folder, **env), timeout=60)
        assert done.returncode == 0, done.stderr
        assert target.questions[0].text in done.stdout and target.questions[1].text in done.stdout
        assert content.questions[0].text not in done.stdout
