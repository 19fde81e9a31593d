"""Webhook mode: the real bot serves a webhook on loopback; only the right secret gets in."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.e2e.harness import BotProcess, free_port
from tests.fakebotapi import FakeBotApi

SECRET = "s3cret-token_for-tests"


async def test_webhook_mode_with_right_wrong_and_missing_secret(server: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(server, tmp_path, extra_env={
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
    })
    await bot.start("--webhook", ready_method="setWebhook")
    try:
        registration = server.requests_for("setWebhook")[-1]
        assert registration.params["url"] == f"http://127.0.0.1:{port}/telegram/hook"
        assert registration.params["secret_token"] == SECRET
        assert not server.requests_for("getUpdates")

        user = server.user(user_id=2001)
        await user.send_command("/start")  # delivered by the fake server with the right secret
        await user.wait_for_message("Question 1 of")
        # Telegram may deliver before the server listens (it retries); what arrives carries the secret.
        # The 200 comes once the update is handled, i.e. just after the reply was sent.
        await server.wait_until(lambda: server.webhook_attempts and server.webhook_attempts[-1].status == 200)
        assert {attempt.secret_header for attempt in server.webhook_attempts} == {SECRET}

        sent_before = len(server.requests_for("sendMessage"))
        update = {"message": {"message_id": 99, "date": 0, "chat": {"id": 2001, "type": "private"},
                              "from": {"id": 2001, "is_bot": False, "first_name": "Eve"},
                              "text": "/restart", "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}}
        assert await server.post_to_webhook(update, secret="wrong") == 403
        assert await server.post_to_webhook(update, secret="missing") == 403
        assert len(server.requests_for("sendMessage")) == sent_before  # nothing got through

        assert await server.post_to_webhook(update, secret="right") == 200
        await user.wait_for_message("Starting over")

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "ok"  # and the webhook's last error: test_healthz
            async with http.post(f"http://127.0.0.1:{port}/telegram/hook", data=b"not json",
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 400
        server.assert_no_errors()
    finally:
        assert await bot.stop() == 0
