"""The operator's numbers (the /stats command, for ADMIN_CHAT_IDS only, and `python -m bot stats`):
the anonymous usage log read through the store's port, summed per window of days
(:func:`dialogs.analytics.figures`) and written out in the content's language. The reply carries
the longest window as its ``funnel``, for front ends that can draw a picture of it. :func:`write_csv`
writes the same figures as CSV (``python -m bot stats --csv``)."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from typing import TextIO

from dialogs.analytics import DISAGREE, Figures, figures
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
    lines.extend(_verdict_lines(content, window))
    return "\n".join(lines)


def _verdict_lines(content: Content, window: Figures) -> list[str]:
    """ "Does this feel right?": per recommended path, how many agreed and what felt right instead."""
    texts = content.texts
    if not window.verdicts:
        return [texts["stats_verdicts_none"]]
    names = {path_id: path.name for path_id, path in content.paths.items()}
    names[DISAGREE] = texts["stats_verdict_unpicked"]
    lines = [texts["stats_verdicts_title"]]
    for verdict in window.verdicts:
        instead = ", ".join(f"{names.get(how, how)} {count}" for how, count in verdict.instead.items()) or "–"
        lines.append(texts.render("stats_verdict_line", path=names.get(verdict.path, verdict.path),
                                  agreed=verdict.agreed, votes=verdict.votes,
                                  rate=f"{verdict.agreement_rate:.0%}", instead=instead))
    return lines


CSV_COLUMNS = ("section", "days", "subject", "measure", "value")


def write_csv(windows: Sequence[Figures], out: TextIO) -> None:
    """Every window as one long CSV table (stdlib csv): section, days, subject, measure, value.

    Sections: ``funnel`` (starts, completions, completion_rate, median_seconds, suggested, shares,
    checkins), ``question`` (subject: question id; reached, dropped, answered, typed, unsure),
    ``outcome`` (subject: path; results) and ``verdict`` (subject: the recommended path; votes,
    agreed, agreement_rate, and ``instead:<path>`` or ``instead:disagree`` for no path picked).
    Rates are fractions (0.25); an unknown median is empty. Ids, not names: it is for machines."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for window in windows:
        days = window.days
        median = "" if window.median_seconds is None else f"{window.median_seconds:g}"
        for measure, value in (("starts", window.starts), ("completions", window.completions),
                               ("completion_rate", _rate(window.completion_rate)), ("median_seconds", median),
                               ("suggested", window.suggested), ("shares", window.shares),
                               ("checkins", window.checkins)):
            writer.writerow(("funnel", days, "", measure, value))
        for question in window.questions:
            for measure, count in (("reached", question.reached), ("dropped", question.dropped),
                                   ("answered", question.answered), ("typed", question.typed),
                                   ("unsure", question.unsure)):
                writer.writerow(("question", days, question.question, measure, count))
        for path, count in sorted(window.outcomes.items()):
            writer.writerow(("outcome", days, path, "results", count))
        for verdict in window.verdicts:
            writer.writerow(("verdict", days, verdict.path, "votes", verdict.votes))
            writer.writerow(("verdict", days, verdict.path, "agreed", verdict.agreed))
            writer.writerow(("verdict", days, verdict.path, "agreement_rate", _rate(verdict.agreement_rate)))
            for how, count in verdict.instead.items():
                writer.writerow(("verdict", days, verdict.path, f"instead:{how}", count))


def _rate(value: float) -> str:
    return f"{value:.4f}"


def report_reply(content: Content, windows: Sequence[Figures]) -> Reply:
    """Every window as text, one after the other, and the longest as the funnel picture's data."""
    text = "\n\n".join(format_figures(content, window) for window in windows)
    return Reply((Span(text),), funnel=windows[-1] if windows else None)
