"""Text on the pictures (the result card, the operator's funnel): fonts, and lines fitted to
their width. Pillow is imported lazily, on the first picture, so that start-up never pays for it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

#: Fonts with wide Unicode coverage when the system has them; Pillow's own font otherwise.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
#: Text too wide for its line is drawn smaller, down to this share of its size, then shortened
#: with an ellipsis.
SMALLEST_SHARE = 0.6
ELLIPSIS = "…"


@lru_cache(maxsize=64)
def font(size: int) -> Any:
    """The font at ``size`` pixels."""
    from PIL import ImageFont

    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def fitted(draw: Any, text: str, size: int, width: int) -> tuple[str, int]:
    """``text`` and a font size at most ``size`` at which it fits on one line of ``width``:
    smaller when it must be, then cut short with an ellipsis when even the smallest is too wide."""
    smallest = max(1, round(size * SMALLEST_SHARE))
    for candidate in range(size, smallest - 1, -1):
        if draw.textlength(text, font=font(candidate)) <= width:
            return text, candidate
    narrow = font(smallest)
    while text and draw.textlength(text.rstrip() + ELLIPSIS, font=narrow) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS, smallest


def fits(draw: Any, text: str, size: int, width: int) -> bool:
    """Whether ``text`` fits on one line of ``width`` at ``size`` or somewhat smaller."""
    return fitted(draw, text, size, width)[0] == text


def write(draw: Any, position: tuple[int, int], text: str, size: int, fill: tuple[int, int, int],
          width: int) -> None:
    """Draw ``text`` at ``position``, fitted to ``width`` (:func:`fitted`); a smaller font keeps
    the line's vertical middle."""
    line, line_size = fitted(draw, text, size, width)
    x, y = position
    draw.text((x, y + (size - line_size) // 2), line, fill=fill, font=font(line_size))
