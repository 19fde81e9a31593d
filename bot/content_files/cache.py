"""Validated content kept between starts, so that a restart skips parsing and checking YAML and
model weights that have not changed.

An entry's key is a hash of every byte that decides the loaded result: each file of the content
folder, the source of the ``dialogs`` package (the classes the loader builds) and of this one
(the loader's rules), and Python's version; so an edited catalogue or a new release is loaded and validated in full, and
only content that passed validation is ever written. A start whose files all have the size and
modification time they had when the key was last computed takes the key from a small index
instead of reading them again. The key is also stored inside the entry, so
an entry renamed or copied under another key is not believed. Entries live in a folder only this
user may write to, are written atomically, and the newest few are kept. Any doubt (unreadable,
truncated, corrupt, foreign-owned, not the shape the classes declare) means one warning and a
full load: the cache can make a start faster, never different, and never runs anything.

The format is data that cannot execute code: ``marshal`` of plain values (str, int, float, bool,
None, tuples, frozensets, dicts, bytes) after a magic header and a CRC-32 of the rest. Pickle was
used before, and loading a pickle calls whatever it names: an entry planted in the folder ran code
at start-up. Marshal calls nothing (no classes, no reducers); on Python 3.13+ it is also told to
refuse code objects, and before that a code object is only built, never run, and then rejected
like any other value of the wrong type. Each dataclass is written as the tuple of its fields and
rebuilt by :func:`_codec` from its type hints, through its own constructor, with a strict type
check on every value; read-only mappings carry a flag to come back read-only. The models'
weights, the bulk of an entry, go as packed integer arrays (bytes that can only unpack to ints),
and every class index is checked to be in range, as the loader checks it. The checksum turns
accidental damage (a truncated write, a flipped bit in the weights, which would still unmarshal)
into a full load before marshal sees it; it is no defence against someone who plants an entry,
and needs to be none: such an entry can only hold data, and is checked as above.

Why marshal: it reads an entry as fast as pickle did (measured: 44-51 ms against 44-50 ms on
a busy machine, for a third less on disk), so the start-up gain stays. JSON would be as safe but
slower to read than the pickle and would turn every tuple into a list to convert back; an HMAC
over pickle would keep the loader that runs code and add a secret owned by the very user who can
write the cache. What marshal does not promise is hardening against every crafted input (its
documentation's warning): what it reads here comes from this user's own folder only (the trust
check stays), and every value it builds is checked before use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import marshal
import operator
import os
import sys
import tempfile
import types
import typing
import zlib
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import dialogs
from bot.content_files.loader import default_content_dir, load_languages
from dialogs.content import Content
from dialogs.nlu.features import FeatureConfig
from dialogs.nlu.model import INT_CODES, LinearModel, integers

logger = logging.getLogger(__name__)
#: Bumped when what is written changes shape in a way the source hash would not catch.
CACHE_FORMAT = 2
#: The first bytes of every entry (a pickle, or anything else, never starts so).
MAGIC = b"crossroads-content-cache\0"
MARSHAL_VERSION = 4
CHECKSUM_BYTES = 4
ENTRY_PREFIX = "content-"
ENTRY_SUFFIX = ".marshal"
#: What format 1 wrote; such entries are deleted unread.
LEGACY_SUFFIXES = (".pickle",)
#: Entries kept (several content folders may share one cache: tests, staging copies).
KEEP_ENTRIES = 4
#: Per content folder: each source file's size and modification time when its key was last
#: computed, and that key (:func:`_key`).
INDEX_PREFIX = "files-"
PRIVATE = 0o700
#: Group or world write permission on the folder.
SHARED_WRITE = 0o022
DIALOGS_SOURCE = Path(dialogs.__file__).resolve().parent
LOADER_SOURCE = Path(__file__).resolve().parent
#: Values an "b" byte holds as itself (0..127). (Packed integers are signed arrays of 8 to 64
#: bits, dialogs.nlu.model.INT_CODES, in this machine's byte order, which the key covers.)
SMALL = 128

#: Values marshal writes and reads as they are.
LEAVES = (str, int, float, bool)

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


class EntryError(ValueError):
    """An entry is not what this version writes."""


def load_languages_cached(directory: Path | str | None, cache_dir: Path | None) -> Mapping[str, Content]:
    """Every language's content, as :func:`bot.content_files.loader.load_languages` returns it,
    from ``cache_dir`` when an entry for exactly these files exists (None: no cache)."""
    folder = Path(directory) if directory is not None else default_content_dir()
    if cache_dir is None:
        return load_languages(folder)
    try:
        key = _key(folder, cache_dir)
    except OSError:
        return load_languages(folder)  # the loader names the file it cannot read
    entry = cache_dir / f"{ENTRY_PREFIX}{key}{ENTRY_SUFFIX}"
    cached = _read(entry, key)
    if cached is not None:
        return cached
    contents = load_languages(folder)  # a ContentError leaves nothing behind
    _write(entry, key, contents)
    return contents


def entry_path(cache_dir: Path, directory: Path | str | None) -> Path:
    """Where the entry for the content in ``directory`` lives in ``cache_dir``."""
    folder = Path(directory) if directory is not None else default_content_dir()
    return cache_dir / f"{ENTRY_PREFIX}{fingerprint(folder)}{ENTRY_SUFFIX}"


def fingerprint(folder: Path) -> str:
    """A hash of every content file's name and bytes, the source of the dialogs package and of the
    loader, and Python's version."""
    digest = hashlib.sha256(_HEADER.encode())
    for label, path in _sources(folder):
        data = path.read_bytes()
        digest.update(f"\0{label}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:32]


_HEADER = f"{CACHE_FORMAT} {sys.version} {MARSHAL_VERSION} {sys.byteorder}"


def _sources(folder: Path) -> list[tuple[str, Path]]:
    """Every file the key covers, labelled, in a fixed order."""
    return [*_files("content", folder), *_files("dialogs", DIALOGS_SOURCE, "*.py"),
            *_files("content_files", LOADER_SOURCE, "*.py")]


def _key(folder: Path, cache_dir: Path) -> str:
    """The folder's :func:`fingerprint`, without reading a byte of its files when none has changed
    size or modification time since it was last computed (as Python's own bytecode cache
    decides): reading and hashing 5 MB of content and sources is a tenth of a second's start,
    a stat of each file a fiftieth of that. The index lives in the cache folder, under the same
    trust check as the entries; anything odd about it means the full hash."""
    stamps = tuple((label, status.st_size, status.st_mtime_ns)
                   for label, status in ((label, path.stat()) for label, path in _sources(folder)))
    index = cache_dir / f"{INDEX_PREFIX}{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]}{ENTRY_SUFFIX}"
    with contextlib.suppress(Exception):  # no index yet, unreadable, foreign, damaged: hash in full
        if _trusted(cache_dir):
            header, known, key = _unmarshalled(index.read_bytes())
            if header == _HEADER and known == stamps and type(key) is str:
                return key
    key = fingerprint(folder)
    with contextlib.suppress(OSError):  # an unwritable cache: the next start hashes again
        _replace(index, marshal.dumps((_HEADER, stamps, key), MARSHAL_VERSION))
    return key


def _files(label: str, root: Path, pattern: str = "*") -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            yield f"{label}/{path.relative_to(root).as_posix()}", path


def _trusted(folder: Path) -> bool:
    """The folder is this user's and nobody else may write to it."""
    status = folder.stat()
    return status.st_uid == os.getuid() and not status.st_mode & SHARED_WRITE


def _read(entry: Path, key: str) -> Mapping[str, Content] | None:
    try:
        if not _trusted(entry.parent):
            logger.warning("not using the content cache %s: other users may write to it", entry.parent)
            return None
        data = entry.read_bytes()
    except OSError:
        return None  # no entry yet (or no folder): a full load
    try:
        return decode(data, key)
    except Exception as error:  # noqa: BLE001 - a damaged or planted entry is replaced, never trusted
        logger.warning("the content cache entry %s is unusable (%s); loading the content in full",
                       entry.name, type(error).__name__)
        return None


def _write(entry: Path, key: str, contents: Mapping[str, Content]) -> None:
    folder = entry.parent
    try:
        data = encode(contents, key)
    except (TypeError, ValueError, OverflowError) as error:  # content this codec cannot hold: no cache
        logger.warning("could not cache the content: %s", error)
        return
    try:
        if _replace(entry, data):
            _prune(folder)
    except OSError as error:  # a read-only disk, a full one: the next start loads in full again
        logger.info("could not write the content cache in %s: %s", folder, error.strerror or error)


def _replace(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` in the cache folder at once (never half-written), creating the
    folder for this user only; False, writing nothing, when the folder is not trusted."""
    folder = path.parent
    folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    if not _trusted(folder):
        return False
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".writing-", delete=False) as scratch:
        scratch.write(data)
    os.replace(scratch.name, path)
    return True


def _prune(folder: Path) -> None:
    """Keep the newest entries only; delete the old format's entries unread."""
    for suffix in LEGACY_SUFFIXES:
        for legacy in folder.glob(f"{ENTRY_PREFIX}*{suffix}"):
            legacy.unlink(missing_ok=True)
    entries = sorted(folder.glob(f"{ENTRY_PREFIX}*{ENTRY_SUFFIX}"), key=lambda path: path.stat().st_mtime,
                     reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)


# -- The format ---------------------------------------------------------------------------------
def encode(contents: Mapping[str, Content], key: str) -> bytes:
    """An entry: the magic, the CRC-32 of the rest, then marshal of (key, {language: the content
    as plain values})."""
    encode_content = _codec(Content)[0]
    payload = marshal.dumps((key, {language: encode_content(content) for language, content in contents.items()}),
                            MARSHAL_VERSION)
    return MAGIC + zlib.crc32(payload).to_bytes(CHECKSUM_BYTES, "big") + payload


def decode(data: bytes, key: str) -> Mapping[str, Content]:
    """The contents of an entry written by :func:`encode` for ``key``; EntryError (or marshal's
    own ValueError, EOFError, TypeError) when it is anything else."""
    if not data.startswith(MAGIC):
        raise EntryError("not a content cache entry")
    body = memoryview(data)[len(MAGIC) + CHECKSUM_BYTES:]
    if zlib.crc32(body).to_bytes(CHECKSUM_BYTES, "big") != data[len(MAGIC):len(MAGIC) + CHECKSUM_BYTES]:
        raise EntryError("damaged (checksum)")  # truncated or flipped: never handed to marshal
    # Half a million new objects, none in a cycle: collections while they are made find nothing
    # and cost a third of the time (as at start-up, where bot.__main__ keeps the collector off).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _decode_payload(body, key)
    finally:
        if collecting:
            gc.enable()


def _unmarshalled(data: bytes | memoryview) -> Any:
    """Plain values only (never a code object, where this Python can refuse one)."""
    if sys.version_info >= (3, 13):
        return marshal.loads(data, allow_code=False)
    return marshal.loads(data)


def _decode_payload(data: memoryview, key: str) -> Mapping[str, Content]:
    payload = _unmarshalled(data)
    if type(payload) is not tuple or len(payload) != 2 or payload[0] != key or type(payload[1]) is not dict:
        raise EntryError("written for other sources")
    decode_content = _codec(Content)[1]
    contents = {_exactly(str, language): decode_content(value) for language, value in payload[1].items()}
    if not contents:
        raise EntryError("no languages")
    return MappingProxyType(contents)


def _exactly(kind: type, value: Any) -> Any:
    if type(value) is not kind:
        raise EntryError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _all_exactly(kind: type, values: Collection[Any]) -> bool:
    """Every value is of exactly this type (looped in C: the feature names are tens of thousands)."""
    return not values or set(map(type, values)) == {kind}


@cache
def _codec(hint: Any) -> tuple[Encoder, Decoder]:
    """How a value declared as ``hint`` becomes plain values and back (the decoder checks every type)."""
    if hint in LEAVES:
        return _leaf(hint)
    if hint is type(None):
        return lambda value: None, lambda value: _exactly(type(None), value)
    if hint is LinearModel:
        return _encode_model, _decode_model
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass_codec(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        return _optional(next(arg for arg in args if arg is not type(None)))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(args[0])
    if origin is tuple and Ellipsis not in args:
        return _fixed_tuple(args)
    if origin is frozenset:
        return _frozenset(args[0])
    if origin is Mapping:
        return _mapping(*args)
    raise TypeError(f"the content cache cannot hold a {hint!r}")


def _leaf(kind: type) -> tuple[Encoder, Decoder]:
    def check(value: Any) -> Any:
        return _exactly(kind, value)

    return check, check


def _optional(hint: Any) -> tuple[Encoder, Decoder]:
    encoder, decoder = _codec(hint)
    return (lambda value: None if value is None else encoder(value),
            lambda value: None if value is None else decoder(value))


def _sequence(hint: Any) -> tuple[Encoder, Decoder]:
    if hint in LEAVES:
        def decode_leaves(value: Any) -> Any:
            if type(value) is not tuple or not _all_exactly(hint, value):
                raise EntryError(f"expected a tuple of {hint.__name__}")
            return value

        return lambda value: tuple(_exactly(hint, item) for item in value), decode_leaves
    encoder, decoder = _codec(hint)
    return (lambda value: tuple(map(encoder, _exactly(tuple, value))),
            lambda value: tuple(map(decoder, _exactly(tuple, value))))


def _fixed_tuple(hints: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    codecs = [_codec(hint) for hint in hints]

    def decode_tuple(value: Any) -> Any:
        if type(value) is not tuple or len(value) != len(codecs):
            raise EntryError(f"expected a tuple of {len(codecs)}")
        return tuple(decoder(item) for (_, decoder), item in zip(codecs, value))

    return (lambda value: tuple(encoder(item) for (encoder, _), item in zip(codecs, _exactly(tuple, value))),
            decode_tuple)


def _frozenset(hint: Any) -> tuple[Encoder, Decoder]:
    encoder, decoder = _codec(hint)
    if hint in (str, int):
        def decode_leaves(value: Any) -> Any:
            if type(value) is not frozenset or not _all_exactly(hint, value):
                raise EntryError(f"expected a frozenset of {hint.__name__}")
            return value

        return lambda value: frozenset(map(encoder, value)), decode_leaves
    return (lambda value: frozenset(map(encoder, _exactly(frozenset, value))),
            lambda value: frozenset(map(decoder, _exactly(frozenset, value))))


def _mapping(key_hint: Any, value_hint: Any) -> tuple[Encoder, Decoder]:
    """(read-only?, dict): a MappingProxyType comes back as one, a dict as a dict."""
    encode_key, decode_key = _codec(key_hint)
    encode_value, decode_value = _codec(value_hint)
    leaves = key_hint in LEAVES and value_hint in LEAVES

    def encode_mapping(value: Any) -> Any:
        if type(value) not in (dict, MappingProxyType):
            raise TypeError(f"the content cache cannot hold a {type(value).__name__}")
        return type(value) is MappingProxyType, {encode_key(k): encode_value(v) for k, v in value.items()}

    def decode_mapping(value: Any) -> Any:
        if type(value) is not tuple or len(value) != 2 or type(value[0]) is not bool or type(value[1]) is not dict:
            raise EntryError("expected a mapping")
        found: dict[Any, Any] = value[1]
        if leaves:  # texts, phrase keys: checked in C, and the dict marshal made is ours to keep
            if not (_all_exactly(key_hint, found.keys()) and _all_exactly(value_hint, found.values())):
                raise EntryError(f"expected a mapping of {key_hint.__name__} to {value_hint.__name__}")
            rebuilt = found
        else:
            rebuilt = {decode_key(k): decode_value(v) for k, v in found.items()}
        return MappingProxyType(rebuilt) if value[0] else rebuilt

    return encode_mapping, decode_mapping


def _dataclass_codec(cls: type) -> tuple[Encoder, Decoder]:
    """The tuple of the fields, in order; rebuilt through the class's own constructor."""
    fields = dataclasses.fields(cls)
    if not all(field.init for field in fields):
        raise TypeError(f"the content cache cannot rebuild {cls.__name__}: a field is not in __init__")
    hints = typing.get_type_hints(cls)
    names = [field.name for field in fields]
    codecs = [_codec(hints[name]) for name in names]

    def encode_instance(value: Any) -> Any:
        if type(value) is not cls:
            raise TypeError(f"expected a {cls.__name__}, found {type(value).__name__}")
        return tuple(encoder(getattr(value, name)) for name, (encoder, _) in zip(names, codecs))

    def decode_instance(value: Any) -> Any:
        if type(value) is not tuple or len(value) != len(codecs):
            raise EntryError(f"expected the {len(codecs)} fields of {cls.__name__}")
        return cls(*[decoder(item) for (_, decoder), item in zip(codecs, value)])

    return encode_instance, decode_instance


# -- The models: their weights packed ------------------------------------------------------------
#: LinearModel's fields as _encode_model writes them (a new field fails the round trip until added).
MODEL_FIELDS = ("language", "classes", "intercepts", "spans", "indices", "weights", "scale", "temperature",
                "config", "corpus_sha256", "negators", "breaks")


def _packed(values: Any) -> tuple[str, bytes]:
    """Integers as the narrowest array typecode that holds them all, and its bytes."""
    packed = integers(values)
    return packed.typecode, packed.tobytes()


def _unpacked_array(value: Any) -> array[int]:
    if type(value) is not tuple or len(value) != 2 or value[0] not in INT_CODES:
        raise EntryError("expected packed integers")
    unpacked = array(value[0])
    unpacked.frombytes(_exactly(bytes, value[1]))  # a ValueError unless whole items
    return unpacked


def _unpacked(value: Any) -> tuple[int, ...]:
    return tuple(_unpacked_array(value))


def _class_indices(value: Any, classes: int) -> array[int]:
    """Packed class indices, each in 0..classes-1 (a wrong one would fail inference later)."""
    if type(value) is tuple and len(value) == 2 and value[0] == "b" and classes <= SMALL and type(value[1]) is bytes:
        if value[1].translate(None, bytes(range(classes))):  # what is left is out of range; in C
            raise EntryError("a class index is out of range")
        return _unpacked_array(value)
    indices = _unpacked_array(value)
    if indices and not 0 <= min(indices) <= max(indices) < classes:
        raise EntryError("a class index is out of range")
    return indices


def _encode_model(model: Any) -> Any:
    if type(model) is not LinearModel or tuple(field.name for field in dataclasses.fields(model)) != MODEL_FIELDS:
        raise TypeError("the content cache does not know this LinearModel's fields")
    spans = model.spans
    if type(spans) not in (dict, MappingProxyType):
        raise TypeError(f"the content cache cannot hold spans as a {type(spans).__name__}")
    starts, ends = [start for start, _ in spans.values()], [end for _, end in spans.values()]
    # As the loader builds them, each span starts where the one before ended: the ends say it all.
    adjoining = starts == [0, *ends[:-1]]
    return (model.language, _codec(tuple[str, ...])[0](model.classes), _packed(model.intercepts),
            tuple(spans), None if adjoining else _packed(starts), _packed(ends),
            _packed(model.indices), _packed(model.weights), _exactly(float, model.scale),
            _exactly(float, model.temperature), _codec(FeatureConfig)[0](model.config),
            _exactly(str, model.corpus_sha256), _codec(frozenset[str])[0](model.negators),
            _codec(frozenset[str])[0](model.breaks), type(spans) is MappingProxyType)


def _decode_model(value: Any) -> LinearModel:
    if type(value) is not tuple or len(value) != 15:
        raise EntryError("expected a model")
    (language, classes, intercepts, names, starts, ends, indices, weights, scale, temperature, config, sha,
     negators, breaks, read_only) = value
    classes = _codec(tuple[str, ...])[1](classes)
    # Tuples first, then the checks: min and max over a tuple make no new int objects.
    intercepts, ends = _unpacked(intercepts), _unpacked(ends)
    indices, weights = _class_indices(indices, len(classes)), _unpacked_array(weights)
    adjoining = starts is None
    starts = (0, *ends[:-1]) if adjoining else _unpacked(starts)
    if type(names) is not tuple or not _all_exactly(str, names):
        raise EntryError("expected the model's feature names")
    if len(intercepts) != len(classes) or len(indices) != len(weights) or not len(names) == len(starts) == len(ends):
        raise EntryError("the model's parts differ in length")
    # Adjoining spans end at the end of indices; others are checked one by one. (The order of
    # adjoining ends is not: a slice never fails, and the checksum has ruled out damage.)
    if adjoining and ends and ends[-1] != len(indices) or not adjoining and starts and not (
            min(starts) >= 0 and max(ends) <= len(indices) and all(map(operator.le, starts, ends))):
        raise EntryError("a feature's span is out of range")
    spans = dict(zip(names, zip(starts, ends)))
    if len(spans) != len(names):
        raise EntryError("a feature name is repeated")
    return LinearModel(
        _exactly(str, language), classes, intercepts, MappingProxyType(spans) if _exactly(bool, read_only) else spans,
        indices, weights, _exactly(float, scale), _exactly(float, temperature),
        _codec(FeatureConfig)[1](config), _exactly(str, sha), _codec(frozenset[str])[1](negators),
        _codec(frozenset[str])[1](breaks))
