"""The whole quiz in a Telegram chat: the real bot process against the fake Bot API server."""

from __future__ import annotations

import sqlite3

from bot.content_files.loader import load_content
from dialogs.commands import COMMANDS
from dialogs.scoring import score
from tests.e2e.harness import BotProcess, button_labels, showing
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
PATH_NAMES = {path_id: path.name for path_id, path in CONTENT.paths.items()}
QUESTIONS = CONTENT.questions
TOTAL = len(QUESTIONS)
NAVIGATION_WORDS = ("back", "why", "restart", "explain", "help", "skip", "menu", "share")
HINT_START = CONTENT.texts["answer_hint"].split("(")[0]


def starting_with(prefix: str):
    return lambda message: (message.plain or "").startswith(prefix)


def is_question(number: int):
    return lambda message: f"Question {number} of {TOTAL}" in (message.plain or "") and bool(message.buttons)


async def answer_all_by_buttons(user, choices: list[int]) -> None:
    """Press the chosen option of every question, waiting for each next question."""
    for index, choice in enumerate(choices):
        label = QUESTIONS[index].options[choice].label
        await user.press_button(label)
        if index + 1 < TOTAL:
            await user.wait_for_message(is_question(index + 2))


async def test_complete_quiz_with_buttons(server: FakeBotApi, bot: BotProcess) -> None:
    commands = server.commands()
    assert [c["command"] for c in commands] == [c.name for c in COMMANDS if c.in_menu]

    user = server.user(user_id=1001)
    await user.send_command("/start")
    first = await user.wait_for_message(is_question(1))
    assert "▱" in first.plain and QUESTIONS[0].text in first.plain
    assert button_labels(first) == [option.label for option in QUESTIONS[0].choices]
    for message in user.messages:
        for label in button_labels(message):
            assert not label.lower().startswith(NAVIGATION_WORDS) or message.message_id != first.message_id

    choices = [index % len(q.options) for index, q in enumerate(QUESTIONS)]
    await answer_all_by_buttons(user, choices)
    result = await user.wait_for_message(lambda m: (m.plain or "").startswith("Your best fit:") and m.kind == "text")

    expected = score(CONTENT, [(q.id, q.options[c].id) for q, c in zip(QUESTIONS, choices)])
    headline = result.plain.splitlines()[0]
    assert headline == f"Your best fit: {PATH_NAMES[expected.recommended]}"
    assert [name for name in PATH_NAMES.values() if name in headline] == [PATH_NAMES[expected.recommended]]
    for path_id, value in expected.scores.items():
        assert f" {value} {PATH_NAMES[path_id]}" in result.plain
    assert CONTENT.article_title in result.plain
    labels = button_labels(result)
    assert CONTENT.texts["button_why"] in labels and CONTENT.texts["button_restart"] in labels
    assert CONTENT.texts["button_explain_menu"] in labels

    # Each tap turned the question on screen into the next one, and the last into the result:
    # one message for the whole quiz, then the result's card.
    assert result.message_id == first.message_id
    await user.wait_for_message(lambda m: m.kind == "photo" and m.message_id > result.message_id)
    assert [m.kind for m in user.messages] == ["text", "photo"]
    writes = [r.method for r in server.requests if r.params.get("chat_id") in (1001, "1001")]
    assert writes == ["sendMessage"] + ["editMessageText"] * TOTAL + ["sendPhoto"]
    # The answers stay readable: /why lists every one of them.
    await user.send_command("/why")
    why = await user.wait_for_message(lambda m: m.message_id > result.message_id + 1)
    for question, choice in zip(QUESTIONS, choices):
        assert question.options[choice].label in why.plain
    presses = [u for u in server.updates if "callback_query" in u]
    assert len(presses) == TOTAL
    # The answer goes out beside the reply, so the last one may land just after the result.
    await server.wait_until(lambda: len(server.callback_answers) == TOTAL)
    server.assert_no_errors()


async def test_typed_answers_and_hint(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1002)
    await user.send_command("/start")
    question = await user.wait_for_message(is_question(1))
    await user.send_text("asdf qwerty zxcv")
    # The hint and the question again, in one message below the person's text.
    again = await user.wait_for_message(showing(HINT_START, is_question(1)))
    assert again.message_id > question.message_id
    assert not user.message(question.message_id).buttons  # the outdated keyboard was retired
    await user.send_text("2")
    await user.wait_for_message(is_question(2))
    closed = user.message(again.message_id)
    assert QUESTIONS[0].options[1].label in closed.plain and not closed.buttons
    label = QUESTIONS[1].options[0].label
    await user.send_text(f"  {label.upper()}!! ")
    await user.wait_for_message(is_question(3))
    with sqlite3.connect(bot.database) as db:
        answers = db.execute("SELECT answers FROM sessions WHERE chat_id = 1002").fetchone()[0]
    assert QUESTIONS[1].options[0].id in answers
    server.assert_no_errors()


async def test_restart_mid_quiz_and_stale_buttons(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1003)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await user.press_button(QUESTIONS[0].options[0].label)
    second = await user.wait_for_message(is_question(2))
    stale_data = second.buttons[0][0][1]
    await user.send_command("/restart")
    await user.wait_for_message(showing("Starting over", is_question(1)))
    # The question-2 button from the previous quiz changes nothing and gets a polite notice.
    query = await user.press(second.message_id, stale_data, force=True)
    answer = await server.wait_until(lambda: server.callback_answer(query))
    assert "earlier question" in answer.text
    with sqlite3.connect(bot.database) as db:
        state, answers, generation = db.execute(
            "SELECT state, answers, generation FROM sessions WHERE chat_id = 1003").fetchone()
    first_generation = int(stale_data.split(":")[1])
    assert (state, answers, generation) == (f"asking_{QUESTIONS[0].id}", "[]", first_generation + 1)
    server.assert_no_errors()


async def test_back_goes_to_previous_question(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1004)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await user.press_button(QUESTIONS[0].options[0].label)
    await user.wait_for_message(is_question(2))
    await user.press_button(QUESTIONS[1].options[0].label)
    await user.wait_for_message(is_question(3))
    await user.send_command("/back")
    await user.wait_for_message(is_question(2))
    await user.press_button("Back")  # the Back button on question 2
    back_to_first = await user.wait_for_message(is_question(1))
    assert "Back" not in " ".join(button_labels(back_to_first))
    await user.send_command("/back")
    await user.wait_for_message("first question")
    with sqlite3.connect(bot.database) as db:
        answers = db.execute("SELECT answers FROM sessions WHERE chat_id = 1004").fetchone()[0]
    assert answers == "[]"
    server.assert_no_errors()


async def test_explain_each_path_and_why_after_result(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1005)
    await user.send_command("/explain")
    menu = await user.wait_for_message("Which path")
    assert button_labels(menu) == list(PATH_NAMES.values())
    for path in CONTENT.paths.values():
        await user.send_command("/explain", args=path.id)
        explanation = await user.wait_for_message(starting_with(path.name))
        assert path.summary in explanation.plain
        assert all(item in explanation.plain for item in path.pros + path.cons)
        assert CONTENT.excerpts[path.excerpts[0]].text in explanation.plain
    await user.send_command("/explain", args="astronaut")
    await user.wait_for_message("I don't know that path")

    await user.send_command("/why")
    await user.wait_for_message("once the quiz is finished")

    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await answer_all_by_buttons(user, [0] * TOTAL)
    await user.wait_for_message("Your best fit:")
    await user.press_button(CONTENT.texts["button_why"])
    why = await user.wait_for_message(CONTENT.texts["why_title"].split("{")[0])
    for question in QUESTIONS:
        assert question.options[0].label in why.plain
    await user.press_button(CONTENT.texts["button_explain_menu"])
    await user.wait_for_message(CONTENT.texts["explain_menu"])
    await user.press_button("Hybrid")
    hybrid = await user.wait_for_message(lambda m: (m.plain or "").startswith("Hybrid"))
    assert CONTENT.paths["hybrid"].fits in hybrid.plain
    server.assert_no_errors()


async def test_resume_after_sigkill(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1006)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await answer_all_by_buttons(user, [1, 0, 2])  # returns once question 4 is shown
    await bot.kill()
    await bot.start()
    await user.send_command("/start")
    resumed = await user.wait_for_message(showing("Welcome back", is_question(4)))
    assert QUESTIONS[3].text in resumed.plain
    await user.press_button(QUESTIONS[3].options[0].label)
    await user.wait_for_message(is_question(5))
    # The kill can land between sending question 4 and recording its message id; the bot then
    # tries to retire question 3's keyboard, which is already gone. Telegram answers "not
    # modified" and nothing else is affected.
    server.assert_no_errors("message is not modified")


async def test_help_privacy_forget(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=1007)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await user.send_command("/help")
    help_message = await user.wait_for_message("/restart")
    assert "/explain" in help_message.plain
    await user.send_command("/privacy")
    privacy = await user.wait_for_message("What I store")
    assert "90 days" in privacy.plain
    await user.send_command("/forget")
    await user.wait_for_message("deleted everything")
    with sqlite3.connect(bot.database) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE chat_id = 1007").fetchone()[0] == 0
    await user.send_command("/dance")
    await user.wait_for_message("I don't know the command /dance")
    server.assert_no_errors()
