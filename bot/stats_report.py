"""The operator's numbers: /stats on Telegram (text and a funnel picture) and `python -m bot stats`."""

from __future__ import annotations

import io
import time
from collections.abc import Sequence

from dialogs.analytics import Figures, figures
from dialogs.content import Content
from dialogs.storage import SessionStore

SECONDS_PER_DAY = 86_400
DEFAULT_WINDOWS = (7, 30)


async def collect(store: SessionStore, question_ids: Sequence[str], windows: Sequence[int],
                  now: float | None = None) -> list[Figures]:
    """The figures for each window of days, from one read of the event log."""
    now = time.time() if now is None else now
    events = await store.usage_since(now - max(windows) * SECONDS_PER_DAY)
    return [figures((e for e in events if e.at >= now - days * SECONDS_PER_DAY), question_ids, days)
            for days in windows]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def format_figures(content: Content, window: Figures) -> str:
    """One window as text, in the content's language."""
    texts = content.texts
    if not window.starts and not window.completions and not window.shares:
        return texts.render("stats_none", days=window.days)
    names = {path_id: path.name for path_id, path in content.paths.items()}
    outcomes = ", ".join(f"{names.get(path, path)} {count}" for path, count in
                         sorted(window.outcomes.items(), key=lambda item: -item[1])) or "–"
    lines = [
        texts.render("stats_title", days=window.days),
        texts.render("stats_summary", starts=window.starts, completions=window.completions,
                     rate=f"{window.completion_rate:.0%}", median=_duration(window.median_seconds)),
    ]
    for number, figures_ in enumerate(window.questions, start=1):
        question = content.question(figures_.question)
        topic = question.topic if question else figures_.question
        answered = max(figures_.answered, 1)
        lines.append(texts.render("stats_question_line", number=number, topic=topic, reached=figures_.reached,
                                  dropped=figures_.dropped, typed=f"{figures_.typed / answered:.0%}",
                                  unsure=f"{figures_.unsure / answered:.0%}"))
    lines.append(texts.render("stats_outcomes", outcomes=outcomes))
    lines.append(texts.render("stats_shares", shares=window.shares, checkins=window.checkins))
    return "\n".join(lines)


def draw_funnel(content: Content, window: Figures) -> bytes:
    """The funnel (started, each question reached, finished) as a PNG bar chart."""
    from PIL import Image, ImageDraw

    from bot.result_card import _font

    rows = [("▶", window.starts)]
    for figures_ in window.questions:
        question = content.question(figures_.question)
        rows.append((question.topic if question else figures_.question, figures_.reached))
    rows.append(("✓", window.completions))
    width, row_height, margin = 800, 40, 40
    image = Image.new("RGB", (width, margin * 2 + 50 + row_height * len(rows)), (250, 248, 243))
    draw = ImageDraw.Draw(image)
    draw.text((margin, margin - 10), content.texts.render("stats_title", days=window.days), fill=(33, 37, 41),
              font=_font(28))
    top = max((count for _, count in rows), default=0) or 1
    label_width, usable = 220, width - 2 * margin - 220 - 60
    for index, (label, count) in enumerate(rows):
        y = margin + 50 + index * row_height
        draw.text((margin, y + 6), label, fill=(33, 37, 41), font=_font(20))
        length = round(usable * count / top)
        if length:
            draw.rectangle((margin + label_width, y + 6, margin + label_width + length, y + row_height - 8),
                           fill=(25, 118, 210))
        draw.text((margin + label_width + length + 10, y + 6), str(count), fill=(33, 37, 41), font=_font(20))
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
