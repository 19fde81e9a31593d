"""The result card: a PNG of the headline and the three scores, drawn with Pillow.

Pillow is imported lazily, on the first card, so that start-up never pays for it; callers run
:func:`draw_card` in a worker thread (``asyncio.to_thread``) so that other chats never wait
for a drawing. The console shows text bars instead.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialogs.replies import ResultCard

WIDTH, HEIGHT = 800, 420
MARGIN = 48
BAR_HEIGHT = 44
BAR_GAP = 34
BACKGROUND = (250, 248, 243)
INK = (33, 37, 41)
MUTED = (150, 150, 150)
COLOURS = ((46, 125, 50), (25, 118, 210), (239, 108, 0))
RULED_OUT = (200, 200, 200)
#: Fonts with wide Unicode coverage when the system has them; Pillow's own font otherwise.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=512)
def draw_card(card: ResultCard) -> bytes:
    """The card as PNG bytes. Cards repeat (the same headline and scores for many people), so
    they are cached; PNG is written with light compression: a few KB more, a fraction of the CPU."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN - 8), card.headline, fill=INK, font=_font(34))
    top = max((score for _, score, _ in card.bars), default=0) or 1
    label_font, score_font = _font(22), _font(26)
    usable = WIDTH - 2 * MARGIN - 70
    y = MARGIN + 70
    for index, (name, score, ruled_out) in enumerate(card.bars):
        colour = RULED_OUT if ruled_out else COLOURS[index % len(COLOURS)]
        draw.text((MARGIN, y), name + (f"  ({card.ruled_out})" if ruled_out else ""), fill=MUTED if ruled_out else INK,
                  font=label_font)
        bar_top = y + 30
        draw.rounded_rectangle((MARGIN, bar_top, MARGIN + usable, bar_top + BAR_HEIGHT - 14), radius=8,
                               fill=(232, 230, 224))
        length = round(usable * score / top)
        if length > 0:
            draw.rounded_rectangle((MARGIN, bar_top, MARGIN + max(length, 16), bar_top + BAR_HEIGHT - 14), radius=8,
                                   fill=colour)
        draw.text((MARGIN + usable + 14, bar_top - 2), str(score), fill=INK, font=score_font)
        y += BAR_HEIGHT + BAR_GAP + 20
    output = io.BytesIO()
    image.save(output, format="PNG", compress_level=1)
    return output.getvalue()
