"""Many people at once, double taps, and two bot processes sharing one database."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.content_files.loader import load_content
from dialogs.scoring import score
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.quiz_driver import QuizPlayer, question_number
from tests.e2e.storage import Storage
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
PATH_NAMES = {path_id: path.name for path_id, path in CONTENT.paths.items()}
QUESTIONS = CONTENT.questions
USERS = int(__import__("os").environ.get("E2E_USERS", "200"))


async def stored_answers(storage: Storage, chat_id: int) -> list[list[str]]:
    return (await storage.answers()).get(chat_id, [])


async def test_200_concurrent_people_each_get_only_their_own_quiz(
    server: FakeBotApi, stored_bot: BotProcess, storage: Storage
) -> None:
    # This test is about isolation, not speed (the benchmark measures that): on a busy 2-core
    # machine, 200 people at once (and PostgreSQL's own processes) can push an answer past
    # Telegram's 15 s callback deadline, which would turn slowness into a failure here.
    server.callback_query_timeout = 120
    rng = random.Random(200)
    players = [
        QuizPlayer(server, CONTENT, 10_000 + n, [rng.randrange(len(q.options)) for q in QUESTIONS])
        for n in range(USERS)
    ]
    await asyncio.gather(*(player.play(ack_timeout=30) for player in players))

    for player in players:
        messages = player.user.messages
        # Every question was shown once, in order (each tap turns the question into the next).
        shown = [question_number(version.plain) for message in messages for version in message.versions
                 if version.buttons and question_number(version.plain)]
        assert shown == list(range(1, len(QUESTIONS) + 1)), server.describe(chat_id=player.user_id)
        expected = score(CONTENT, [(q.id, q.options[c].id) for q, c in zip(QUESTIONS, player.choices)])
        results = [m for m in messages if (m.plain or "").startswith("Your best fit:")]
        assert len(results) == 1
        assert results[0].plain.splitlines()[0] == f"Your best fit: {PATH_NAMES[expected.recommended]}"
        assert await stored_answers(storage, player.user_id) == [
            [q.id, q.options[c].id] for q, c in zip(QUESTIONS, player.choices)]
    # Every message went to a chat that asked for it.
    assert {r.params["chat_id"] for r in server.requests_for("sendMessage")} == {p.user_id for p in players}
    server.assert_no_errors()


async def test_double_tap_applies_an_answer_once(server: FakeBotApi, stored_bot: BotProcess, storage: Storage) -> None:
    user = server.user(user_id=3001)
    await user.send_command("/start")
    prompt = await user.wait_for_message(lambda m: bool(m.buttons))
    data = prompt.buttons[0][0][1]
    first, second = await asyncio.gather(user.press(prompt.message_id, data), user.press(prompt.message_id, data))
    await server.wait_until(lambda: server.callback_answer(first) and server.callback_answer(second))
    notices = sorted(server.callback_answer(q).text or "" for q in (first, second))
    assert notices[0] == "" and "earlier question" in notices[1]
    await user.wait_for_message("Question 2 of")
    assert await stored_answers(storage, 3001) == [[QUESTIONS[0].id, QUESTIONS[0].options[0].id]]

    # Two quick typed answers: both are applied, in order, to consecutive questions.
    await user.send_text("1")
    await user.send_text("2")
    await user.wait_for_message("Question 4 of")
    assert (await stored_answers(storage, 3001))[1:] == [
        [QUESTIONS[1].id, QUESTIONS[1].options[0].id], [QUESTIONS[2].id, QUESTIONS[2].options[1].id]]
    server.assert_no_errors()


def webhook_env(storage: Storage) -> dict[str, str]:
    if storage.name == "sqlite":
        return {}
    port = free_port()
    return {"WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port)}


async def test_two_bot_processes_on_one_database_never_overwrite_each_other(tmp_path: Path, storage: Storage) -> None:
    # Two fake servers stand for one bot seen by two processes: one sequence of update_ids.
    # On PostgreSQL a bot's processes are webhook workers (a second poller is refused).
    async with FakeBotApi(token="111:first-fake-token") as api_a, \
            FakeBotApi(token="222:second-fake-token", share_update_ids_with=api_a) as api_b:
        bots = [BotProcess(api, tmp_path / name, extra_env=storage.env() | webhook_env(storage))
                for name, api in (("a", api_a), ("b", api_b))]
        bot_a, bot_b = bots
        try:
            for process in bots:
                process.workdir.mkdir()
                if storage.name == "sqlite":
                    await process.start()
                else:
                    await process.start("--webhook", ready_method="setWebhook")
            user_a, user_b = api_a.user(user_id=4001), api_b.user(user_id=4001)
            await user_a.send_command("/start")
            prompt_a = await user_a.wait_for_message(lambda m: bool(m.buttons))
            await user_b.send_command("/start")
            prompt_b = await user_b.wait_for_message(lambda m: bool(m.buttons))
            # The same question on two screens, pressed at the same moment with different options.
            query_a, query_b = await asyncio.gather(
                user_a.press(prompt_a.message_id, prompt_a.buttons[0][0][1]),
                user_b.press(prompt_b.message_id, prompt_b.buttons[1][0][1]),
            )
            answer_a = await api_a.wait_until(lambda: api_a.callback_answer(query_a))
            answer_b = await api_b.wait_until(lambda: api_b.callback_answer(query_b))
            await asyncio.sleep(0.5)  # a notice that follows a late verdict comes as a message
            stale = CONTENT.texts["stale_button"]

            def told(answer, user) -> bool:  # type: ignore[no-untyped-def]
                """Told the press changed nothing: in the press's answer, or (when another process
                changed the verdict after the press was answered) in the chat."""
                return bool(answer.text) or any(stale in (m.plain or "") for m in user.messages)

            applied = [not told(answer_a, user_a), not told(answer_b, user_b)]
            assert sorted(applied) == [False, True]  # exactly one won; the other was told so
            winner = 0 if applied[0] else 1
            assert await stored_answers(storage, 4001) == [[QUESTIONS[0].id, QUESTIONS[0].options[winner].id]]
            # Each process continues from the shared state.
            await user_b.send_text("1")
            await user_b.wait_for_message("Question 3 of")
            await user_a.send_command("/start")
            await user_a.wait_for_message("Question 3 of")
            assert len(await stored_answers(storage, 4001)) == 2
            # The two processes talk to two separate fake servers that share chat id 4001, so
            # the stored "message showing the current question" can belong to the other server;
            # retiring its keyboard then fails harmlessly ("not found" or "can't be edited").
            harmless = ("message to edit not found", "message can't be edited")
            api_a.assert_no_errors(*harmless)
            api_b.assert_no_errors(*harmless)
        finally:
            for process in bots:
                if process.process is not None:
                    await process.stop()
