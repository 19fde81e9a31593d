"""Validated content kept between starts, so that a restart skips parsing and checking YAML that
has not changed (a measured 40 ms of a 290 ms cold start, for 1-2 ms here).

An entry's key is a hash of every byte that decides the loaded result: each file of the content
folder, the source of the ``dialogs`` package (the loader's rules and the classes it builds) and
Python's version; so an edited catalogue or a new release is loaded and validated in full, and
only content that passed validation is ever written. Entries live in a folder only this user
may write to (pickle runs code, so a folder anyone else can write to is never read), are written
atomically, and the newest few are kept. Any doubt (unreadable, corrupt, foreign-owned) means a
full load: the cache can make a start faster, never different.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dialogs.content import Content
from dialogs.content_loader import default_content_dir, load_languages

logger = logging.getLogger(__name__)
#: Bumped when what is written changes shape in a way the source hash would not catch.
CACHE_FORMAT = 1
ENTRY_PREFIX = "content-"
ENTRY_SUFFIX = ".pickle"
#: Entries kept (several content folders may share one cache: tests, staging copies).
KEEP_ENTRIES = 4
PRIVATE = 0o700
#: Group or world write permission on the folder.
SHARED_WRITE = 0o022
DIALOGS_SOURCE = Path(__file__).resolve().parent


def load_languages_cached(directory: Path | str | None, cache_dir: Path | None) -> Mapping[str, Content]:
    """Every language's content, as :func:`dialogs.content_loader.load_languages` returns it,
    from ``cache_dir`` when an entry for exactly these files exists (None: no cache)."""
    folder = Path(directory) if directory is not None else default_content_dir()
    if cache_dir is None:
        return load_languages(folder)
    try:
        entry = cache_dir / f"{ENTRY_PREFIX}{fingerprint(folder)}{ENTRY_SUFFIX}"
    except OSError:
        return load_languages(folder)  # the loader names the file it cannot read
    cached = _read(entry)
    if cached is not None:
        return cached
    contents = load_languages(folder)  # a ContentError leaves nothing behind
    _write(entry, contents)
    return contents


def fingerprint(folder: Path) -> str:
    """A hash of every content file's name and bytes, the dialogs package's source and Python's version."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode())
    for label, path in [*_files("content", folder), *_files("dialogs", DIALOGS_SOURCE, "*.py")]:
        data = path.read_bytes()
        digest.update(f"\0{label}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:32]


def _files(label: str, root: Path, pattern: str = "*") -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            yield f"{label}/{path.relative_to(root).as_posix()}", path


def _trusted(folder: Path) -> bool:
    """The folder is this user's and nobody else may write to it."""
    status = folder.stat()
    return status.st_uid == os.getuid() and not status.st_mode & SHARED_WRITE


def _read(entry: Path) -> Mapping[str, Content] | None:
    try:
        if not _trusted(entry.parent):
            logger.warning("not using the content cache %s: other users may write to it", entry.parent)
            return None
        data = entry.read_bytes()
    except OSError:
        return None  # no entry yet (or no folder): a full load
    try:
        contents = pickle.loads(data)  # noqa: S301 - our own entry, in a folder only we may write to
    except Exception:  # noqa: BLE001 - a damaged entry is replaced, never trusted
        logger.warning("the content cache entry %s is damaged; loading the content in full", entry.name)
        return None
    if not isinstance(contents, Mapping) or not all(isinstance(value, Content) for value in contents.values()):
        return None
    return contents


def _write(entry: Path, contents: Mapping[str, Content]) -> None:
    folder = entry.parent
    try:
        folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
        if not _trusted(folder):
            return
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".writing-", delete=False) as scratch:
            scratch.write(_dumps(contents))
        os.replace(scratch.name, entry)
        _prune(folder)
    except OSError as error:  # a read-only disk, a full one: the next start loads in full again
        logger.info("could not write the content cache in %s: %s", folder, error.strerror or error)


def _prune(folder: Path) -> None:
    """Keep the newest entries only."""
    entries = sorted(folder.glob(f"{ENTRY_PREFIX}*{ENTRY_SUFFIX}"), key=lambda path: path.stat().st_mtime,
                     reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """Rebuilds a read-only mapping when an entry is read."""
    return MappingProxyType(mapping)


def _dumps(contents: Mapping[str, Content]) -> bytes:
    """Pickle ``contents``; its read-only mappings (which pickle cannot take) go as dicts."""
    output = io.BytesIO()
    pickler = pickle.Pickler(output, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {MappingProxyType: lambda mapping: (_proxy, (dict(mapping),))}
    pickler.dump(contents)
    return output.getvalue()
