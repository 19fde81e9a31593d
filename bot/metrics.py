"""Operational metrics in Prometheus' text format, one registry per application.

:class:`Metrics` is built by the composition root (:func:`bot.wiring.build_crossroads`) and handed
to whatever counts: the front end (updates, replies, sessions, understanding), the transport (Bot
API calls) and the check-in loop. Nothing registers in prometheus_client's global default
registry, so two applications in one process (the tests, the benchmark) never share counters.

Label values come only from fixed vocabularies (update kinds, API outcomes, understanding
outcomes, Bot API method names, path ids): never a chat id, a user id or anything a person wrote.

Served at ``GET /metrics``: by the webhook server on its port (:mod:`bot.webhook_server`), and in
polling mode by :mod:`bot.metrics_server` on METRICS_PORT when it is set (:mod:`bot.serving`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from dialogs import analytics
from dialogs.analytics import UsageEvent
from dialogs.content import PATH_IDS

METRICS_PATH = "/metrics"
TEXT, BUTTON, COMMAND, INLINE, OTHER = "text", "button", "command", "inline", "other"
UPDATE_KINDS = (TEXT, BUTTON, COMMAND, INLINE, OTHER)
OK, RATE_LIMITED, CLIENT_ERROR, SERVER_ERROR, NETWORK = "ok", "429", "4xx", "5xx", "network"
API_OUTCOMES = (OK, RATE_LIMITED, CLIENT_ERROR, SERVER_ERROR, NETWORK)
#: What became of a typed message while a question was asked: read as an answer, answered with
#: "Did you mean ...?", or not understood and the question asked again.
TAKEN, OFFERED, ASKED_BACK = "taken", "offered", "asked_back"
UNDERSTANDING_OUTCOMES = (TAKEN, OFFERED, ASKED_BACK)
#: A Bot API method name as the URL ends (sendMessage); anything else is counted as "other".
_METHOD_NAME = re.compile(r"[A-Za-z]{1,64}")
#: Handling an update takes milliseconds (a commit and a send or two), seconds when Telegram
#: asks the bot to wait (429) or the database is slow.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def api_outcome(status: int) -> str:
    """The outcome label of a Bot API answer's HTTP status."""
    if status == 429:
        return RATE_LIMITED
    if status >= 500:
        return SERVER_ERROR
    if status >= 400:
        return CLIENT_ERROR
    return OK


def method_label(method: str) -> str:
    """A Bot API method name, or "other" for anything that does not look like one."""
    return method if _METHOD_NAME.fullmatch(method) else OTHER


class Metrics:
    """Every metric of one application, in its own registry. ``question_ids`` (the content's) are
    the values of the ``question`` label; anything else is counted as "other"."""

    def __init__(self, question_ids: Sequence[str] = ()) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._questions = frozenset(question_ids)
        self.updates = Counter("crossroads_updates", "Updates handled, by kind.", ["kind"], registry=registry)
        self.update_seconds = Histogram(
            "crossroads_update_handling_seconds",
            "Time to handle an update, by kind (for buttons: from the tap to the next question sent).",
            ["kind"], buckets=LATENCY_BUCKETS, registry=registry)
        self.tap_to_next_question = Histogram(
            "crossroads_tap_to_next_question_seconds",
            "From the tap on an answer to the next question (or the result) shown.",
            buckets=LATENCY_BUCKETS, registry=registry)
        self.in_flight = Gauge("crossroads_updates_in_flight", "Updates being handled now.", registry=registry)
        self.replies = Counter("crossroads_replies_sent", "Replies sent (a reply is one or more messages).",
                               registry=registry)
        self.api_calls = Counter("crossroads_bot_api_calls", "Bot API requests sent (each attempt), by method "
                                 "and outcome.", ["method", "outcome"], registry=registry)
        self.sessions_started = Counter("crossroads_sessions_started", "Quizzes begun.", registry=registry)
        self.sessions_finished = Counter("crossroads_sessions_finished", "Quizzes completed, by recommended path.",
                                         ["path"], registry=registry)
        self.understanding = Counter("crossroads_understanding", "Typed answers while a question was asked, by "
                                     "what became of them and the question.", ["outcome", "question"],
                                     registry=registry)
        self.checkins = Counter("crossroads_checkins_sent", "Two-week check-ins sent.", registry=registry)
        for kind in UPDATE_KINDS:  # every series present from the start, at zero
            self.updates.labels(kind)
            self.update_seconds.labels(kind)
        for outcome in UNDERSTANDING_OUTCOMES:
            for question in question_ids:
                self.understanding.labels(outcome, question)

    @contextmanager
    def handling(self, kind: str) -> Iterator[None]:
        """Count one update of ``kind`` (one of UPDATE_KINDS), in flight while the block runs."""
        assert kind in UPDATE_KINDS, kind
        started = time.perf_counter()
        self.in_flight.inc()
        try:
            yield
        finally:
            self.in_flight.dec()
            self.updates.labels(kind).inc()
            self.update_seconds.labels(kind).observe(time.perf_counter() - started)

    def api_call(self, method: str, outcome: str) -> None:
        """One Bot API request and its outcome (one of API_OUTCOMES)."""
        assert outcome in API_OUTCOMES, outcome
        self.api_calls.labels(method_label(method), outcome).inc()

    def usage(self, events: Iterable[UsageEvent]) -> None:
        """Sessions started and finished, from a committed turn's usage events."""
        for event in events:
            if event.kind == analytics.STARTED:
                self.sessions_started.inc()
            elif event.kind == analytics.RESULT:
                self.sessions_finished.labels(event.detail if event.detail in PATH_IDS else OTHER).inc()

    def understood(self, outcome: str, question: str) -> None:
        """What became of one typed answer to ``question`` (one of UNDERSTANDING_OUTCOMES)."""
        assert outcome in UNDERSTANDING_OUTCOMES, outcome
        self.understanding.labels(outcome, question if question in self._questions else OTHER).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def understanding_outcomes(events: Iterable[UsageEvent], asked_back: str | None) -> list[tuple[str, str]]:
    """What became of a typed message, question by question, from its turn's usage events: each
    answer taken from it and each "Did you mean" offered (a message may state several facts) or,
    failing those, the question ``asked_back`` (its id; None when none was)."""
    outcomes = [(TAKEN if event.kind == analytics.ANSWERED else OFFERED, event.detail) for event in events
                if event.kind == analytics.ANSWERED and event.how != analytics.BUTTON
                or event.kind == analytics.SUGGESTED]
    return outcomes or ([(ASKED_BACK, asked_back)] if asked_back is not None else [])
