"""The dialogs package's error tree.

    CrossroadsError
     ├── ContentError        content/ is missing or malformed (names file, key path, problem)
     └── StorageError        the session store failed
          └── VersionConflict  a compare-and-set write lost the race
"""

from __future__ import annotations


class CrossroadsError(Exception):
    """Base class of every error raised on purpose by Crossroads."""


class ContentError(CrossroadsError):
    """A content file is missing, unparsable or inconsistent."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(f"content error in {file} at {key or '(top level)'}: {problem}")


class StorageError(CrossroadsError):
    """The session store could not do what was asked."""


class VersionConflict(StorageError):
    """Another writer changed the session since it was read."""

    def __init__(self, chat_id: int, expected: int) -> None:
        self.chat_id = chat_id
        self.expected = expected
        super().__init__(f"session changed concurrently (expected version {expected})")
