"""PostgreSQL going away while the bot runs: people are told politely, nothing they saw
acknowledged is lost, and the bot carries on by itself once the database is back."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dialogs.content_loader import load_content
from tests.e2e.harness import BotProcess
from tests.e2e.storage import PostgresStorage
from tests.fakebotapi import FakeBotApi
from tests.tcpproxy import TcpProxy

CONTENT = load_content()
QUESTIONS = CONTENT.questions
SORRY = CONTENT.texts["internal_error"]

pytestmark = pytest.mark.postgres


def question(number: int):
    return lambda m: f"Question {number} of" in (m.plain or "") and bool(m.buttons)


async def test_bot_apologises_during_an_outage_and_recovers(server: FakeBotApi, tmp_path: Path, postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        through_proxy = postgres_url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
        bot = BotProcess(server, tmp_path, extra_env={"DATABASE_URL": through_proxy})
        await bot.start()
        try:
            user = server.user(user_id=8101)
            await user.send_command("/start")
            await user.wait_for_message(question(1))
            await user.press_button(QUESTIONS[0].options[0].label)
            second = await user.wait_for_message(question(2))

            proxy.cut()  # the database is gone
            await user.press_button(QUESTIONS[1].options[1].label, message_id=second.message_id)
            await user.wait_for_message(SORRY, timeout=20)
            await user.send_text("2")
            await user.wait_for_message(SORRY, timeout=20)
            assert await PostgresStorage(postgres_url).answers() == {
                8101: [[QUESTIONS[0].id, QUESTIONS[0].options[0].id]]}  # the acknowledged answer is kept

            proxy.restore()  # back: the same button now works, with no restart of the bot
            await user.press_button(QUESTIONS[1].options[1].label, message_id=second.message_id)
            await user.wait_for_message(question(3), timeout=20)
            assert "Your answer:" in (user.message(second.message_id).plain or "")
            assert await PostgresStorage(postgres_url).answers() == {8101: [
                [QUESTIONS[0].id, QUESTIONS[0].options[0].id], [QUESTIONS[1].id, QUESTIONS[1].options[1].id]]}
            assert bot.process is not None and bot.process.returncode is None
        finally:
            await bot.stop()
