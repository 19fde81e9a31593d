"""The result card: a picture worth sharing, drawn with Pillow: the headline, the three scores as
bars, and a footer saying whose bot it is and how to take the quiz ("Which path is yours? Take
the quiz:" in the person's language, the bot's name and @username).

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

WIDTH, HEIGHT = 800, 480
#: The footer band: the invitation on the left, the bot's name and @username under it.
FOOTER_TOP = 392
FOOTER = (236, 233, 225)
MARGIN = 48
BAR_HEIGHT = 44
BAR_GAP = 34
BACKGROUND = (250, 248, 243)
INK = (33, 37, 41)
MUTED = (150, 150, 150)
COLOURS = ((46, 125, 50), (25, 118, 210), (239, 108, 0))
RULED_OUT = (200, 200, 200)
TRACK = (232, 230, 224)
USABLE = WIDTH - 2 * MARGIN - 70
JPEG_QUALITY = 88
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


def _layout(index: int) -> tuple[int, int]:
    """Where bar ``index`` is: its label's top and its bar's top."""
    y = MARGIN + 70 + index * (BAR_HEIGHT + BAR_GAP + 20)
    return y, y + 30


@lru_cache(maxsize=64)
def _template(headline: str, labels: tuple[tuple[str, bool], ...], ruled_out: str, invite: str,
              signature: str) -> Any:
    """Everything but the scores: the background, the headline, each path's label and empty bar,
    the footer. Few exist (per language, path and bot), and text is the costly part."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    if invite or signature:
        draw.rectangle((0, FOOTER_TOP, WIDTH, HEIGHT), fill=FOOTER)
        draw.text((MARGIN, FOOTER_TOP + 14), invite, fill=MUTED, font=_font(20))
        draw.text((MARGIN, FOOTER_TOP + 44), signature, fill=INK, font=_font(22))
    draw.text((MARGIN, MARGIN - 8), headline, fill=INK, font=_font(34))
    label_font = _font(22)
    for index, (name, is_ruled_out) in enumerate(labels):
        label_top, bar_top = _layout(index)
        draw.text((MARGIN, label_top), name + (f"  ({ruled_out})" if is_ruled_out else ""),
                  fill=MUTED if is_ruled_out else INK, font=label_font)
        draw.rounded_rectangle((MARGIN, bar_top, MARGIN + USABLE, bar_top + BAR_HEIGHT - 14), radius=8,
                               fill=TRACK)
    return image


def signature(bot_name: str, username: str) -> str:
    """How the footer names the bot: "Crossroads · @crossroads_bot" (either part may be missing)."""
    return " · ".join(part for part in (bot_name, f"@{username}" if username else "") if part)


@lru_cache(maxsize=512)
def draw_card(card: ResultCard, bot_name: str = "", username: str = "") -> bytes:
    """The card as JPEG bytes (Telegram turns every photo into a JPEG anyway; writing one costs
    a third of a PNG's time). Cards repeat (the same headline and scores for many people), so
    they are cached."""
    from PIL import ImageDraw

    image = _template(card.headline, tuple((name, ruled) for name, _, ruled in card.bars), card.ruled_out,
                      card.invite, signature(bot_name, username)).copy()
    draw = ImageDraw.Draw(image)
    top = max((score for _, score, _ in card.bars), default=0) or 1
    score_font = _font(26)
    for index, (_, score, ruled_out) in enumerate(card.bars):
        _, bar_top = _layout(index)
        length = round(USABLE * score / top)
        if length > 0:
            colour = RULED_OUT if ruled_out else COLOURS[index % len(COLOURS)]
            draw.rounded_rectangle((MARGIN, bar_top, MARGIN + max(length, 16), bar_top + BAR_HEIGHT - 14), radius=8,
                                   fill=colour)
        draw.text((MARGIN + USABLE + 14, bar_top - 2), str(score), fill=INK, font=score_font)
    output = io.BytesIO()
    # The text is dark on light (brightness, kept at full resolution); halved colour resolution
    # only softens the bars' edges, for 40% fewer bytes and encoding time.
    image.save(output, format="JPEG", quality=JPEG_QUALITY)
    return output.getvalue()
