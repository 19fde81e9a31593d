"""Fault injection: kill -9 the bot at seeded random moments while people answer; every answer
the person saw acknowledged must survive, and everyone continues after their last one."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess
from tests.e2e.quiz_driver import QuizPlayer
from tests.e2e.storage import Storage
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
SEED = 20261125
KILLS = int(__import__("os").environ.get("E2E_KILLS", "24"))
PEOPLE = 12


async def test_acknowledged_answers_survive_random_kills(server: FakeBotApi, tmp_path: Path, storage: Storage) -> None:
    rng = random.Random(SEED)
    bot = BotProcess(server, tmp_path, extra_env=storage.env())
    await bot.start()
    players = [QuizPlayer(server, CONTENT, 50_000 + n, [rng.randrange(len(q.options)) for q in QUESTIONS])
               for n in range(PEOPLE)]
    kills_done = 0
    kills_mid_quiz = 0

    async def killer() -> None:
        nonlocal kills_done, kills_mid_quiz
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.02, 0.4))
            await bot.kill()
            kills_done += 1
            kills_mid_quiz += any(0 < len(p.acknowledged) < len(QUESTIONS) for p in players)
            # Everyone's acknowledged answers must already be on disk at the moment of the kill.
            on_disk = await storage.answers()
            for player in players:
                answers = on_disk.get(player.user_id, [])
                for number, option_id in player.acknowledged.items():
                    assert len(answers) >= number and answers[number - 1] == [QUESTIONS[number - 1].id, option_id], (
                        f"kill {kills_done}: user {player.user_id} lost acknowledged answer {number}")
            await bot.start()

    async def play(player: QuizPlayer) -> None:
        # People read before they tap, so their answers are spread over the whole run of kills.
        think = random.Random(player.user_id)
        await player.play(ack_timeout=3.0, max_steps=400, think=lambda: think.uniform(0.2, 1.6))

    try:
        await asyncio.gather(killer(), *(play(player) for player in players))
    except BaseException:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()  # never leave a bot behind when the test fails
        raise
    assert kills_done == KILLS
    assert kills_mid_quiz >= KILLS // 2  # the kills really landed while people were answering
    assert sum(not p.finished for p in players) == 0

    # Everyone finished; their stored answers are exactly what they chose, in order.
    final = await storage.answers()
    for player in players:
        assert player.finished
        assert final[player.user_id] == [[q.id, q.options[c].id] for q, c in zip(QUESTIONS, player.choices)]
        assert len(player.acknowledged) >= 1
    await bot.stop()
