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


def draw_funnel(content: Content, window: Figures) -> bytes:
    """The funnel (started, each question reached, finished) as a PNG bar chart."""
    from PIL import Image, ImageDraw

    from bot.drawing import font, write

    rows = [("▶", window.starts)]
    for figures_ in window.questions:
        question = content.question(figures_.question)
        rows.append((question.topic if question else figures_.question, figures_.reached))
    rows.append(("✓", window.completions))
    width, row_height, margin = WIDTH, ROW_HEIGHT, MARGIN
    image = Image.new("RGB", (width, margin * 2 + 50 + row_height * len(rows)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    write(draw, (margin, margin - 10), content.texts.render("stats_title", days=window.days), 28, (33, 37, 41),
          width - 2 * margin)
    top = max((count for _, count in rows), default=0) or 1
    label_width, usable = LABEL_WIDTH, width - 2 * margin - LABEL_WIDTH - 60
    for index, (label, count) in enumerate(rows):
        y = margin + 50 + index * row_height
        write(draw, (margin, y + 6), label, 20, (33, 37, 41), label_width - 12)
        length = round(usable * count / top)
        if length:
            draw.rectangle((margin + label_width, y + 6, margin + label_width + length, y + row_height - 8),
                           fill=(25, 118, 210))
        draw.text((margin + label_width + length + 10, y + 6), str(count), fill=(33, 37, 41), font=font(20))
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
