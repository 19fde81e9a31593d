"""Metrics: one registry per application, fixed label vocabularies, and the transport's count of
Bot API calls by method and outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.metrics import (
    API_OUTCOMES,
    ASKED_BACK,
    OFFERED,
    TAKEN,
    UNDERSTANDING_OUTCOMES,
    UPDATE_KINDS,
    Metrics,
    api_outcome,
    method_label,
    understanding_outcomes,
)
from bot.retrying_request import RetryingRequest
from dialogs import analytics
from dialogs.analytics import UsageEvent
from dialogs.content import PATH_IDS

QUESTIONS = ("skills", "income")
#: Every label and the values it may take (None: Bot API method names).
VOCABULARIES: dict[str, frozenset[str] | None] = {
    "kind": frozenset(UPDATE_KINDS), "outcome": frozenset(API_OUTCOMES) | frozenset(UNDERSTANDING_OUTCOMES),
    "path": frozenset(PATH_IDS) | {"other"}, "question": frozenset(QUESTIONS) | {"other"}, "method": None,
    "le": None,
}


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The exposition parsed back: (sample name, sorted labels) -> value."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics.exposition().decode())
            for sample in family.samples}


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return samples(metrics).get((name, tuple(sorted(labels.items()))), 0.0)


def test_each_application_has_its_own_registry_and_none_uses_the_global_one() -> None:
    first, second = Metrics(), Metrics()
    first.updates.labels("text").inc()
    assert value(first, "crossroads_updates_total", kind="text") == 1
    assert value(second, "crossroads_updates_total", kind="text") == 0
    assert not any(name.startswith("crossroads_") for name in REGISTRY._names_to_collectors)  # noqa: SLF001


def test_fixed_series_are_present_at_zero() -> None:
    exposed = samples(Metrics(QUESTIONS))
    for kind in UPDATE_KINDS:
        assert exposed[("crossroads_updates_total", (("kind", kind),))] == 0
    for outcome in UNDERSTANDING_OUTCOMES:
        for question in QUESTIONS:
            assert exposed[("crossroads_understanding_total", (("outcome", outcome), ("question", question)))] == 0
    assert exposed[("crossroads_tap_to_next_question_seconds_count", ())] == 0


async def test_handling_counts_the_update_times_it_and_holds_it_in_flight() -> None:
    metrics = Metrics()
    with metrics.handling("button"):
        assert value(metrics, "crossroads_updates_in_flight") == 1
        await asyncio.sleep(0.01)
    assert value(metrics, "crossroads_updates_in_flight") == 0
    assert value(metrics, "crossroads_updates_total", kind="button") == 1
    assert value(metrics, "crossroads_update_handling_seconds_count", kind="button") == 1
    assert value(metrics, "crossroads_update_handling_seconds_sum", kind="button") >= 0.01
    with pytest.raises(AssertionError), metrics.handling("sticker"):
        pass


def test_api_outcomes_and_method_names() -> None:
    assert [api_outcome(code) for code in (200, 400, 403, 429, 500, 502)] == ["ok", "4xx", "4xx", "429", "5xx", "5xx"]
    assert method_label("sendMessage") == "sendMessage"
    for odd in ("", "send Message", "12345", "a" * 65, "sendMessage?chat_id=1"):
        assert method_label(odd) == "other"


def test_sessions_from_usage_events() -> None:
    metrics = Metrics()
    path = next(iter(PATH_IDS))
    metrics.usage([UsageEvent(analytics.STARTED), UsageEvent(analytics.REACHED, "q1"),
                   UsageEvent(analytics.RESULT, path, seconds=3.0), UsageEvent(analytics.RESULT, "not-a-path")])
    assert value(metrics, "crossroads_sessions_started_total") == 1
    assert value(metrics, "crossroads_sessions_finished_total", path=path) == 1
    assert value(metrics, "crossroads_sessions_finished_total", path="other") == 1


def test_understanding_outcomes_by_question() -> None:
    typed = UsageEvent(analytics.ANSWERED, "q1", how=analytics.TYPED)
    unsure = UsageEvent(analytics.ANSWERED, "q1", how=analytics.UNSURE)
    tapped = UsageEvent(analytics.ANSWERED, "q1", how=analytics.BUTTON)
    assert understanding_outcomes([typed], asked_back=None) == [(TAKEN, "q1")]
    assert understanding_outcomes([unsure], asked_back=None) == [(TAKEN, "q1")]
    assert understanding_outcomes([UsageEvent(analytics.SUGGESTED, "q1")], asked_back=None) == [(OFFERED, "q1")]
    assert understanding_outcomes([], asked_back="q2") == [(ASKED_BACK, "q2")]
    assert understanding_outcomes([tapped], asked_back=None) == []
    assert understanding_outcomes([], asked_back=None) == []
    # Several facts in one message: each question it answered or offered, and nothing asked back.
    several = [UsageEvent(analytics.REACHED, "q2"), typed, UsageEvent(analytics.ANSWERED, "q3", how=analytics.TYPED),
               UsageEvent(analytics.SUGGESTED, "q4")]
    assert understanding_outcomes(several, asked_back="q2") == [(TAKEN, "q1"), (TAKEN, "q3"), (OFFERED, "q4")]


def test_a_question_the_content_does_not_have_is_counted_as_other() -> None:
    metrics = Metrics(QUESTIONS)
    metrics.understood(TAKEN, "skills")
    metrics.understood(OFFERED, "I would love to freelance")
    assert value(metrics, "crossroads_understanding_total", outcome=TAKEN, question="skills") == 1
    assert value(metrics, "crossroads_understanding_total", outcome=OFFERED, question="other") == 1


class ScriptedTransport(BaseRequest):
    """Answers each request with the next scripted status (or raises the scripted error)."""

    def __init__(self, script: list[int | Exception]) -> None:
        self.script = list(script)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step, b'{"ok": false, "parameters": {"retry_after": 0}}' if step == 429 else b'{"ok": true}'


async def test_the_transport_counts_every_attempt_by_method_and_outcome() -> None:
    metrics = Metrics()

    async def no_sleep(seconds: float) -> None:
        pass

    transport = ScriptedTransport([NetworkError("down"), 502, 429, 200, 400])
    request = RetryingRequest(transport, sleep=no_sleep, metrics=metrics)
    url = "https://api.telegram.org/bot123:SECRET/getMe"
    assert (await request.do_request(url, "POST"))[0] == 200
    assert (await request.do_request(url.replace("getMe", "sendMessage"), "POST"))[0] == 400
    for outcome in ("network", "5xx", "429", "ok"):
        assert value(metrics, "crossroads_bot_api_calls_total", method="getMe", outcome=outcome) == 1
    assert value(metrics, "crossroads_bot_api_calls_total", method="sendMessage", outcome="4xx") == 1


def test_every_label_value_comes_from_a_fixed_vocabulary() -> None:
    metrics = Metrics(QUESTIONS)
    metrics.api_call("sendMessage", "ok")
    metrics.usage([UsageEvent(analytics.RESULT, next(iter(PATH_IDS)))])
    metrics.understood(TAKEN, "skills")
    metrics.understood(ASKED_BACK, "42 Baker Street")
    with metrics.handling("text"):
        pass
    for (_, labels), _ in samples(metrics).items():
        for label, label_value in labels:
            allowed = VOCABULARIES[label]
            assert allowed is None or label_value in allowed, (label, label_value)
