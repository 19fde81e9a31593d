"""Several ``python -m bot --webhook`` workers behind one URL, sharing one PostgreSQL database.

The fake Bot API stands for Telegram plus a load balancer: it delivers to the workers in turn,
different chats concurrently, one chat's updates one at a time in update_id order (the next
only after the previous one got its 200), and retries a failed delivery on the next worker.
People type all their answers at once, so every chat's updates land on different workers; one
worker is killed mid-flood and started again. Each chat's answers must be applied exactly
once, in the order they were typed.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bot.content_files.loader import load_content
from dialogs.scoring import score
from tests.conftest import PYTHON, bot_env
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.storage import PostgresStorage
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
PATH_NAMES = {path_id: path.name for path_id, path in CONTENT.paths.items()}
WORKERS = 3
PEOPLE = 24
SECRET = "workers-shared-secret"

pytestmark = pytest.mark.postgres


def worker(server: FakeBotApi, workdir: Path, port: int, database_url: str) -> BotProcess:
    workdir.mkdir()
    return BotProcess(server, workdir, extra_env={
        "DATABASE_URL": database_url, "WEBHOOK_URL": "http://127.0.0.1:8443/hook", "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port), "WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "INFO",
    })


async def test_workers_apply_each_chats_updates_once_in_order_through_a_kill(tmp_path: Path, postgres_url: str) -> None:
    storage = PostgresStorage(postgres_url)
    rng = random.Random(11)
    choices = {10_000 + n: [rng.randrange(len(q.options)) for q in QUESTIONS] for n in range(PEOPLE)}
    async with FakeBotApi(set_webhook_cooldown=0) as server:
        ports = [free_port() for _ in range(WORKERS)]
        server.webhook_backends = [f"http://127.0.0.1:{port}/hook" for port in ports]
        workers = [worker(server, tmp_path / f"w{n}", port, postgres_url) for n, port in enumerate(ports)]
        for process in workers:
            await process.start("--webhook", ready_method="setWebhook")
        try:
            # The flood: everyone sends /start and then all seven answers at once.
            for user_id, picks in choices.items():
                user = server.user(user_id=user_id)
                await user.send_command("/start")
                for pick in picks:
                    await user.send_text(str(pick + 1))
            total = PEOPLE * (len(QUESTIONS) + 1)

            def delivered() -> int:
                return len({a.update_id for a in server.webhook_attempts if a.ok})

            await server.wait_until(lambda: delivered() >= total // 3, timeout=60)
            await workers[0].kill()  # mid-flood: its updates in flight get no 200 and go elsewhere
            killed_at = delivered()
            await workers[0].start("--webhook", ready_method="setWebhook")

            async def finished() -> bool:
                answers = await storage.answers()
                return all(len(answers.get(user_id, [])) == len(QUESTIONS) for user_id in choices)

            for _ in range(600):
                if delivered() == total and await finished():
                    break
                await asyncio.sleep(0.1)
            assert killed_at < total, "the kill happened after the flood was over"

            answers = await storage.answers()
            for user_id, picks in choices.items():
                expected = [[q.id, q.options[c].id] for q, c in zip(QUESTIONS, picks)]
                assert answers.get(user_id) == expected, f"chat {user_id}: answers lost, repeated or out of order"
                result = score(CONTENT, [(q.id, q.options[c].id) for q, c in zip(QUESTIONS, picks)])
                headline = f"Your best fit: {PATH_NAMES[result.recommended]}"
                messages = server.user(user_id=user_id).messages
                assert any((m.plain or "").startswith(headline) for m in messages)
            # Every update was acknowledged, and each chat's updates really were spread over workers.
            assert delivered() == total
            by_chat: dict[int, set[str]] = {}
            for update in server.updates:
                chat = update["message"]["chat"]["id"]
                urls = {a.url for a in server.webhook_attempts if a.update_id == update["update_id"] and a.ok}
                assert len(urls) == 1
                by_chat.setdefault(chat, set()).update(urls)
            assert all(len(urls) >= 2 for urls in by_chat.values())
            assert len(set().union(*by_chat.values())) == WORKERS
            assert any(not a.ok and a.url == server.webhook_backends[0] for a in server.webhook_attempts)
        finally:
            for process in workers:
                if process.process is not None and process.process.returncode is None:
                    await process.stop()


async def test_a_second_poller_on_the_same_database_is_refused(server: FakeBotApi, tmp_path: Path,
                                                               postgres_url: str) -> None:
    first = BotProcess(server, tmp_path, extra_env={"DATABASE_URL": postgres_url})
    await first.start()
    try:
        env = bot_env(tmp_path, DATABASE_URL=postgres_url, TELEGRAM_BOT_TOKEN=server.token,
                      TELEGRAM_API_URL=server.url)
        second = await asyncio.create_subprocess_exec(
            PYTHON, "-m", "bot", cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 2
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1 and "already polling" in lines[0] and "--webhook" in lines[0], err.decode()
        # The first poller is untouched and still answers.
        user = server.user(user_id=9001)
        await user.send_command("/start")
        await user.wait_for_message("Question 1 of")
    finally:
        await first.stop()
