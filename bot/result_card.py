"""The result card: a picture worth sharing, drawn with Pillow: the headline, the three scores as
bars, and a footer saying whose bot it is and how to take the quiz ("Which path is yours? Take
the quiz:" in the person's language, the bot's name and @username). Every text is fitted to
the card: a headline too long for one line takes two, other lines a smaller font or an ellipsis.

Pillow is imported lazily, on the first card, so that start-up never pays for it; callers run
:func:`draw_card` in a worker thread (``asyncio.to_thread``) so that other chats never wait
for a drawing. The console shows text bars instead.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

from bot.drawing import fits, font, write
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
#: The widest a line of text may be: the card's width inside its margins.
TEXT_WIDTH = WIDTH - 2 * MARGIN
#: The headline stays on one line (at 34, or smaller) while it fits at this size; else it takes
#: two lines of this size.
HEADLINE_SMALLEST = 28
JPEG_QUALITY = 88


def _write(draw: Any, position: tuple[int, int], text: str, size: int, fill: tuple[int, int, int]) -> None:
    write(draw, position, text, size, fill, TEXT_WIDTH)


def _write_headline(draw: Any, headline: str) -> None:
    """The headline on one line at 34 if it fits down to HEADLINE_SMALLEST; else on two lines,
    broken after its colon where it has one ("Your best fit:" / the path), else at the last
    space that lets both lines fit."""
    if draw.textlength(headline, font=font(HEADLINE_SMALLEST)) <= TEXT_WIDTH:
        _write(draw, (MARGIN, MARGIN - 8), headline, 34, INK)
        return
    head, colon, tail = headline.partition(": ")
    breaks = [(head + colon.rstrip(), tail)] if colon else []
    breaks += [(headline[:at], headline[at + 1:]) for at in range(len(headline) - 1, 0, -1) if headline[at] == " "]
    for first, second in breaks:
        if all(fits(draw, line, HEADLINE_SMALLEST, TEXT_WIDTH) for line in (first, second)):
            break
    else:
        _write(draw, (MARGIN, MARGIN - 8), headline, 34, INK)  # no break helps: one line, fitted
        return
    for row, line in enumerate((first, second)):
        _write(draw, (MARGIN, MARGIN - 20 + row * (HEADLINE_SMALLEST + 6)), line, HEADLINE_SMALLEST, INK)


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
        _write(draw, (MARGIN, FOOTER_TOP + 14), invite, 20, MUTED)
        _write(draw, (MARGIN, FOOTER_TOP + 44), signature, 22, INK)
    _write_headline(draw, headline)
    for index, (name, is_ruled_out) in enumerate(labels):
        label_top, bar_top = _layout(index)
        _write(draw, (MARGIN, label_top), name + (f"  ({ruled_out})" if is_ruled_out else ""), 22,
               MUTED if is_ruled_out else INK)
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
    score_font = font(26)
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
