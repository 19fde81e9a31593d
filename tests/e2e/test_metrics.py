"""/metrics from the real bot: in polling mode on METRICS_PORT, in webhook mode on the webhook's
port. Counters move with a quiz played by taps, and no label carries a chat id or what the
person wrote."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.quiz_driver import QuizPlayer
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
USER_ID = 7_314_159
#: Typed while the first question is asked: words no catalogue knows, so the question is asked back.
TYPED = "Zorblax quintessimo 88123"
SECRET = "metrics-secret_for-tests"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int) -> tuple[str, Samples]:
    """GET /metrics: the text and its samples ((name, labels) -> value)."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    parsed = {(sample.name, frozenset(sample.labels.items())): sample.value
              for family in text_string_to_metric_families(text) for sample in family.samples}
    return text, parsed


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str) -> float:
    return sum(count for (sample, _), count in samples.items() if sample == name)


async def scrape_until(port: int, ready: Callable[[Samples], bool], timeout: float = 10.0) -> tuple[str, Samples]:
    """Scrape until ``ready`` (an update is counted as its handler returns, just after its reply)."""
    deadline = time.monotonic() + timeout
    while True:
        text, samples = await scrape(port)
        if ready(samples) or time.monotonic() > deadline:
            return text, samples
        await asyncio.sleep(0.1)


async def test_polling_metrics_count_a_quiz_by_taps_and_name_nobody(server: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(server, tmp_path, extra_env={"METRICS_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"})
    await bot.start()
    try:
        user = server.user(user_id=USER_ID)
        await user.send_command("/start")
        await user.wait_for_message(lambda message: "Question 1 of" in (message.plain or ""))
        await user.send_text(TYPED)
        await user.wait_for_message(lambda message: CONTENT.texts["answer_hint"].split("(")[0] in (message.plain or ""))
        player = QuizPlayer(server, CONTENT, USER_ID, [0] * len(CONTENT.questions))
        await player.play()

        taps = len(CONTENT.questions)
        text, samples = await scrape_until(port, lambda s: value(s, "crossroads_updates_total", kind="button") >= taps
                                           and total(s, "crossroads_sessions_finished_total") >= 1)
        assert value(samples, "crossroads_updates_total", kind="button") >= taps
        assert value(samples, "crossroads_updates_total", kind="command") >= 1
        assert value(samples, "crossroads_updates_total", kind="text") == 1
        assert value(samples, "crossroads_update_handling_seconds_count", kind="button") >= taps
        assert value(samples, "crossroads_updates_in_flight") == 0
        assert value(samples, "crossroads_sessions_started_total") >= 1
        assert total(samples, "crossroads_sessions_finished_total") == 1
        first = CONTENT.questions[0].id
        assert value(samples, "crossroads_understanding_total", outcome="asked_back", question=first) == 1
        assert total(samples, "crossroads_understanding_total") == 1
        # Each tap on an answer timed to its next question (the last one: to the result).
        assert value(samples, "crossroads_tap_to_next_question_seconds_count") == taps
        assert 0 < value(samples, "crossroads_tap_to_next_question_seconds_sum") < taps * 5
        assert value(samples, "crossroads_replies_sent_total") >= taps
        for method in ("getMe", "getUpdates", "sendMessage", "answerCallbackQuery"):
            assert value(samples, "crossroads_bot_api_calls_total", method=method, outcome="ok") >= 1, method
        assert value(samples, "crossroads_bot_api_calls_total", method="sendMessage", outcome="ok") == len(
            server.requests_for("sendMessage"))

        forbidden = [str(USER_ID), *TYPED.casefold().split()]
        for (_, labels) in samples:
            for _, label_value in labels:
                assert not any(word in label_value.casefold() for word in forbidden), label_value
        assert not any(word in text.casefold() for word in forbidden)
        server.assert_no_errors()
    finally:
        assert await bot.stop() == 0
    assert "metrics at /metrics" in bot.log()


async def test_webhook_serves_metrics_on_its_port(server: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(server, tmp_path, extra_env={
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook", "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port), "WEBHOOK_SECRET": SECRET,
    })
    await bot.start("--webhook", ready_method="setWebhook")
    try:
        user = server.user(user_id=USER_ID)
        await user.send_command("/start")
        await user.wait_for_message(lambda message: "Question 1 of" in (message.plain or ""))
        _, samples = await scrape_until(port, lambda s: value(s, "crossroads_updates_total", kind="command") >= 1)
        assert value(samples, "crossroads_updates_total", kind="command") == 1
        assert value(samples, "crossroads_sessions_started_total") == 1
        assert value(samples, "crossroads_bot_api_calls_total", method="setWebhook", outcome="ok") == 1
        assert value(samples, "crossroads_bot_api_calls_total", method="getUpdates", outcome="ok") == 0
        server.assert_no_errors()
    finally:
        assert await bot.stop() == 0
