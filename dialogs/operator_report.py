"""The operator's numbers (the /stats command, for ADMIN_CHAT_IDS only, and `python -m bot stats`):
the anonymous usage log read through the store's port, summed per window of days
(:func:`dialogs.analytics.figures`) and written out in the content's language. The reply carries
the longest window as its ``funnel``, for front ends that can draw a picture of it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dialogs.analytics import Figures, figures
from dialogs.content import Content
from dialogs.replies import Reply, Span
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


def report_reply(content: Content, windows: Sequence[Figures]) -> Reply:
    """Every window as text, one after the other, and the longest as the funnel picture's data."""
    text = "\n\n".join(format_figures(content, window) for window in windows)
    return Reply((Span(text),), funnel=windows[-1] if windows else None)
