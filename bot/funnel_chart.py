"""The operator's funnel as a picture (the /stats reply's ``funnel``, see
:mod:`dialogs.operator_report`): started, each question reached, finished, as a PNG bar chart."""

from __future__ import annotations

import io

from dialogs.analytics import Figures
from dialogs.content import Content

WIDTH, ROW_HEIGHT, MARGIN = 800, 40, 40
#: The column of the row labels (the questions' short topics), left of the bars; a longer label
#: is drawn smaller (bot.drawing).
LABEL_WIDTH = 280
BACKGROUND = (250, 248, 243)
INK = (33, 37, 41)
BAR = (25, 118, 210)


def draw_funnel(content: Content, window: Figures) -> bytes:
    """The funnel (started, each question reached, finished) as a PNG bar chart."""
    from PIL import Image, ImageDraw

    from bot.drawing import font, write

    rows = [("▶", window.starts)]
    for figures_ in window.questions:
        question = content.question(figures_.question)
        rows.append((question.topic if question else figures_.question, figures_.reached))
    rows.append(("✓", window.completions))
    image = Image.new("RGB", (WIDTH, MARGIN * 2 + 50 + ROW_HEIGHT * len(rows)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    write(draw, (MARGIN, MARGIN - 10), content.texts.render("stats_title", days=window.days), 28, INK,
          WIDTH - 2 * MARGIN)
    top = max((count for _, count in rows), default=0) or 1
    bars_left, usable = MARGIN + LABEL_WIDTH, WIDTH - 2 * MARGIN - LABEL_WIDTH - 60
    for index, (label, count) in enumerate(rows):
        y = MARGIN + 50 + index * ROW_HEIGHT
        write(draw, (MARGIN, y + 6), label, 20, INK, LABEL_WIDTH - 12)
        length = round(usable * count / top)
        if length:
            draw.rectangle((bars_left, y + 6, bars_left + length, y + ROW_HEIGHT - 8), fill=BAR)
        draw.text((bars_left + length + 10, y + 6), str(count), fill=INK, font=font(20))
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
