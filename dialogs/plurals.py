"""Plural categories (CLDR's cardinal rules) for the languages Crossroads speaks."""

from __future__ import annotations


def plural_category(language: str, count: int) -> str:
    """'one', 'few', 'many' or 'other' for ``count`` in ``language``."""
    n = abs(count)
    if language == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    if language == "pt":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"
