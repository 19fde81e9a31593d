"""The content cache: a restart reads validated content back instead of parsing YAML again, but
only for exactly the same files and code; anything doubtful means a full load, and nothing in the
cache folder is ever run (a planted pickle stays inert)."""

from __future__ import annotations

import dataclasses
import logging
import marshal
import os
import pickle
import zlib
from array import array
from pathlib import Path

import pytest

from bot.content_files import cache as content_cache
from bot.content_files.cache import ENTRY_SUFFIX, KEEP_ENTRIES, entry_path, fingerprint, load_languages_cached
from bot.content_files.loader import load_languages
from bot.settings import Settings
from dialogs.engine import DialogEngine
from dialogs.errors import ContentError
from dialogs.understanding import Interpreter, Reading


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"content-*{ENTRY_SUFFIX}"))


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


def test_unchanged_files_are_not_read_again_to_find_the_key(content_copy: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = load_languages_cached(content_copy, cache)
    [index] = cache.glob(f"{content_cache.INDEX_PREFIX}*")

    def no_hashing(folder: Path) -> str:
        raise AssertionError("hashed every file again")

    forbid_full_loads(monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(content_cache, "fingerprint", no_hashing)
        assert load_languages_cached(content_copy, cache) == first  # sizes and times unchanged: the index
    # A file touched but not changed: hashed again, and the same key finds the same entry.
    catalogue = content_copy / "catalogues" / "es.yaml"
    os.utime(catalogue, ns=(catalogue.stat().st_atime_ns, catalogue.stat().st_mtime_ns + 1_000_000))
    assert load_languages_cached(content_copy, cache) == first
    assert len(entries(cache)) == 1
    # A damaged index is ignored (and rewritten).
    index.write_bytes(b"\x00garbage")
    assert load_languages_cached(content_copy, cache) == first
    assert index.read_bytes() != b"\x00garbage"


def test_an_edit_of_the_same_size_is_noticed(content_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_languages_cached(content_copy, cache)
    catalogue = content_copy / "catalogues" / "en.yaml"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(text.replace("button_restart: ↺ Start over", "button_restart: ↺ Start OVER"), encoding="utf-8")
    assert load_languages_cached(content_copy, cache)["en"].texts["button_restart"] == "↺ Start OVER"


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
    whole = entry.read_bytes()
    entry.write_bytes(b"\x80\x05not a pickle")
    assert load_languages_cached(content_copy, cache) == good
    assert entry.read_bytes() == whole


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
    assert entry_path(cache, content_copy).exists()  # the newest survived


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


# -- What sits in the cache folder is data, never code ----------------------------------------
class Planted:
    """A pickle whose loading would create ``marker`` (what an attacker's entry would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps({"en": Planted(marker)}, protocol=pickle.HIGHEST_PROTOCOL)


def forged(payload: object) -> bytes:
    """An entry as someone who knows the format would plant it: the magic, a right checksum, marshal."""
    body = marshal.dumps(payload)
    return content_cache.MAGIC + zlib.crc32(body).to_bytes(content_cache.CHECKSUM_BYTES, "big") + body


def warnings_from_cache(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == content_cache.__name__ and record.levelno >= logging.WARNING]


def test_a_planted_pickle_is_never_run_and_the_content_is_rebuilt(content_copy: Path, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned"
    cache.mkdir(mode=0o700)
    entry = entry_path(cache, content_copy)
    entry.write_bytes(planted_pickle(marker))
    pickle.loads(planted_pickle(tmp_path / "control"))  # the control: unpickled, it does run
    assert (tmp_path / "control").exists()
    caplog.set_level(logging.WARNING, logger=content_cache.__name__)
    contents = load_languages_cached(content_copy, cache)
    assert not marker.exists()
    assert contents == load_languages(content_copy)
    assert len(warnings_from_cache(caplog)) == 1
    assert entry.read_bytes() != planted_pickle(marker)  # replaced by a good entry
    caplog.clear()
    assert load_languages_cached(content_copy, cache) == contents
    assert warnings_from_cache(caplog) == []


def test_an_old_pickle_entry_is_removed_unread(content_copy: Path, tmp_path: Path) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned"
    cache.mkdir(mode=0o700)
    legacy = cache / f"content-{fingerprint(content_copy)}.pickle"
    legacy.write_bytes(planted_pickle(marker))
    assert load_languages_cached(content_copy, cache) == load_languages(content_copy)
    assert not marker.exists() and not legacy.exists()


@pytest.mark.parametrize("damage", ["truncated", "empty", "flipped", "wrong shape", "code object"])
def test_a_truncated_or_corrupted_entry_is_rebuilt_with_one_warning(
        damage: str, content_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned"
    good = load_languages_cached(content_copy, cache)
    [entry] = entries(cache)
    whole = entry.read_bytes()
    key = fingerprint(content_copy)
    damaged = {
        "truncated": whole[:len(whole) // 2],
        "empty": b"",
        "flipped": whole[:len(whole) // 3] + bytes([whole[len(whole) // 3] ^ 0xFF]) + whole[len(whole) // 3 + 1:],
        "wrong shape": forged((key, {"en": ("not", "content")})),
        "code object": forged((key, {"en": compile(f"open({str(marker)!r}, 'w')", "planted", "exec")})),
    }[damage]
    entry.write_bytes(damaged)
    caplog.set_level(logging.WARNING, logger=content_cache.__name__)
    assert load_languages_cached(content_copy, cache) == good == load_languages(content_copy)
    assert len(warnings_from_cache(caplog)) == 1
    assert entry.read_bytes() == whole  # rebuilt
    assert not marker.exists()


def test_a_model_with_indices_out_of_range_is_rebuilt(content_copy: Path, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    good = load_languages_cached(content_copy, cache)
    [entry] = entries(cache)
    payload = marshal.loads(entry.read_bytes()[len(content_cache.MAGIC) + content_cache.CHECKSUM_BYTES:])
    english = payload[1]["en"]
    fields = [field.name for field in dataclasses.fields(good["en"])]
    model = list(english[fields.index("model")])
    code, packed = model[6]  # the class indices, as an array of this typecode
    model[6] = (code, packed[:-array(code).itemsize] + array(code, [-1]).tobytes())
    english = (*english[:fields.index("model")], tuple(model), *english[fields.index("model") + 1:])
    entry.write_bytes(forged((payload[0], {**payload[1], "en": english})))
    caplog.set_level(logging.WARNING, logger=content_cache.__name__)
    assert load_languages_cached(content_copy, cache) == good
    assert len(warnings_from_cache(caplog)) == 1


def test_a_stale_entry_is_rebuilt(content_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An entry left under a path that no longer matches the sources is never used."""
    cache = tmp_path / "cache"
    load_languages_cached(content_copy, cache)
    [stale] = entries(cache)
    model_file = content_copy / "nlu" / "en.json"
    model_file.write_text(model_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert entry_path(cache, content_copy) != stale
    stale.rename(entry_path(cache, content_copy))  # as if the new sources had the old entry's key
    caplog.set_level(logging.WARNING, logger=content_cache.__name__)
    assert load_languages_cached(content_copy, cache) == load_languages(content_copy)  # the body says it is older
    assert len(warnings_from_cache(caplog)) == 1


def test_content_from_the_cache_equals_content_loaded_fresh(content_copy: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    fresh = load_languages(content_copy)
    load_languages_cached(content_copy, cache)
    forbid_full_loads(monkeypatch)
    cached = load_languages_cached(content_copy, cache)
    assert list(cached) == list(fresh)
    for language, content in fresh.items():
        again = cached[language]
        assert again == content
        assert again.model is not None and content.model is not None
        assert again.model == content.model and again.model.config == content.model.config
        assert dict(again.model.spans) == dict(content.model.spans)
        # The same types throughout (read-only mappings stay read-only, tuples stay tuples).
        assert type(again.model.spans) is type(content.model.spans)
        assert type(again.paths) is type(content.paths) and type(again.texts.strings) is type(content.texts.strings)
        assert type(again.model.negators) is frozenset
        for packed in ("indices", "weights"):  # arrays of the same typecode, as the loader makes them
            assert getattr(again.model, packed).typecode == getattr(content.model, packed).typecode  # type: ignore[attr-defined]
        assert [type(option.weights) for question in again.questions for option in question.choices] == \
               [type(option.weights) for question in content.questions for option in question.choices]
    assert type(cached) is type(fresh)
