"""The content cache: a restart reads validated content back instead of parsing YAML again, but
only for exactly the same files and code; anything doubtful means a full load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import Settings
from dialogs import content_cache
from dialogs.content_cache import KEEP_ENTRIES, fingerprint, load_languages_cached
from dialogs.content_loader import load_languages
from dialogs.engine import DialogEngine
from dialogs.errors import ContentError
from dialogs.understanding import Interpreter, Reading


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("content-*.pickle"))


def forbid_full_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(folder: Path) -> None:
        raise AssertionError(f"loaded {folder} in full")

    monkeypatch.setattr(content_cache, "load_languages", refuse)


def test_a_second_start_reads_the_same_content_back(content_copy: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = load_languages_cached(content_copy, cache)
    assert len(entries(cache)) == 1
    assert os.stat(cache).st_mode & 0o777 == 0o700
    forbid_full_loads(monkeypatch)
    second = load_languages_cached(content_copy, cache)
    assert second == first == load_languages(content_copy)
    # What was read back works: typed words are understood, the engine runs.
    english = second["en"]
    question = english.questions[0]
    phrase = question.options[0].phrases[0]
    assert Interpreter(english).read(phrase, question).reading in (Reading.ANSWER, Reading.SUGGEST)
    DialogEngine(english, 90)


def test_an_edited_file_is_loaded_and_validated_in_full(content_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_languages_cached(content_copy, cache)
    catalogue = content_copy / "catalogues" / "en.yaml"
    before = fingerprint(content_copy)
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace("button_restart: ↺ Start over", "button_restart: ↺ Begin again"), encoding="utf-8")
    assert fingerprint(content_copy) != before
    edited = load_languages_cached(content_copy, cache)
    assert edited["en"].texts["button_restart"] == "↺ Begin again"
    assert len(entries(cache)) == 2


def test_invalid_content_is_refused_and_never_cached(content_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (content_copy / "questions.yaml").write_text("questions: [", encoding="utf-8")
    with pytest.raises(ContentError, match="YAML syntax error"):
        load_languages_cached(content_copy, cache)
    assert entries(cache) == []


def test_a_damaged_entry_is_replaced(content_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = load_languages_cached(content_copy, cache)
    [entry] = entries(cache)
    entry.write_bytes(b"\x80\x05not a pickle")
    assert load_languages_cached(content_copy, cache) == good
    assert entry.read_bytes().startswith(b"\x80") and len(entry.read_bytes()) > 1000


def test_a_folder_others_may_write_to_is_never_read(content_copy: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    load_languages_cached(content_copy, cache)
    cache.chmod(0o777)
    loads: list[Path] = []

    def counted(folder: Path) -> object:
        loads.append(folder)
        return load_languages(folder)

    monkeypatch.setattr(content_cache, "load_languages", counted)
    load_languages_cached(content_copy, cache)
    assert loads == [content_copy]


def test_only_the_newest_entries_are_kept(content_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    texts = content_copy / "catalogues" / "en.yaml"
    original = texts.read_text(encoding="utf-8")
    for round_number in range(KEEP_ENTRIES + 2):
        texts.write_text(original + f"\n# edit {round_number}\n", encoding="utf-8")
        load_languages_cached(content_copy, cache)
    assert len(entries(cache)) == KEEP_ENTRIES
    assert (cache / f"content-{fingerprint(content_copy)}.pickle").exists()  # the newest survived


def test_an_unwritable_cache_still_starts(content_copy: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert load_languages_cached(content_copy, blocker / "cache") == load_languages(content_copy)


def test_where_the_cache_lives() -> None:
    assert Settings.from_env({"HOME": "/home/someone"}).content_cache_dir == Path("/home/someone/.cache/crossroads")
    assert Settings.from_env({"HOME": "/h", "XDG_CACHE_HOME": "/xdg"}).content_cache_dir == Path("/xdg/crossroads")
    assert Settings.from_env({"CROSSROADS_CACHE_DIR": "/var/cache/x"}).content_cache_dir == Path("/var/cache/x")
    assert Settings.from_env({"HOME": "/h", "CROSSROADS_CACHE_DIR": "off"}).content_cache_dir is None
    assert Settings.from_env({}).content_cache_dir is None
    assert Settings().content_cache_dir is None
