"""Issue 9 on Telegram: answers in the person's own words, "Did you mean", "Not sure" and
commands in plain words, through the real bot process and the fake Bot API."""

from __future__ import annotations

import json
import sqlite3

from bot.content_files.loader import load_content
from dialogs.content import NOT_SURE
from tests.e2e.harness import BotProcess, button_labels, showing
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
TEXTS = CONTENT.texts
TOTAL = len(QUESTIONS)
NOT_SURE_LABEL = QUESTIONS[0].not_sure.label


def is_question(number: int):
    return lambda message: f"Question {number} of {TOTAL}" in (message.plain or "") and bool(message.buttons)


def stored_answers(bot: BotProcess, chat_id: int) -> list[list[str]]:
    with sqlite3.connect(bot.database) as db:
        row = db.execute("SELECT answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return json.loads(row[0]) if row else []


async def test_own_words_are_taken_and_acknowledged(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=9101)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await user.press_button(QUESTIONS[0].options[0].label)
    await user.wait_for_message(is_question(2))
    await user.send_text("ups and downs don't bother me")
    label = QUESTIONS[1].option("variable_ok").label  # type: ignore[union-attr]
    await user.wait_for_message(showing(TEXTS.render("understood", label=label), is_question(3)))
    assert stored_answers(bot, 9101)[-1] == [QUESTIONS[1].id, "variable_ok"]
    server.assert_no_errors()


async def test_did_you_mean_pressed_typed_and_stale(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=9102)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    income = next(i for i, q in enumerate(QUESTIONS) if q.id == "income")
    for index in range(income):
        await user.press_button(QUESTIONS[index].options[0].label)
        await user.wait_for_message(is_question(index + 2))
    question = QUESTIONS[income]
    # An unclear reply: the bot asks, with the two likeliest answers as buttons, and changes nothing.
    await user.send_text("i kinda have a job")
    offer = await user.wait_for_message(TEXTS["did_you_mean_many"].split("?")[0])
    labels = button_labels(offer)
    assert labels[:2] == [question.option("keep_job").label, question.option("no_job").label]  # type: ignore[union-attr]
    assert len(stored_answers(bot, 9102)) == income
    stale = offer.find_button(labels[1])[1]
    # Pressing a candidate answers the question and moves on.
    await user.press_button(labels[0], message_id=offer.message_id)
    await user.wait_for_message(is_question(income + 2))
    assert stored_answers(bot, 9102)[-1] == [question.id, "keep_job"]
    # The pressed offer now shows the answer; its other candidate is stale and changes nothing.
    assert question.option("keep_job").label in user.message(offer.message_id).plain  # type: ignore[union-attr]
    before = stored_answers(bot, 9102)
    query = await user.press(offer.message_id, stale, force=True)
    answer = await server.wait_until(lambda: server.callback_answer(query))
    assert answer.text == TEXTS["stale_button"]
    assert stored_answers(bot, 9102) == before
    server.assert_no_errors()


async def test_did_you_mean_answered_by_typing(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=9103)
    await user.send_command("/start")
    await user.wait_for_message(is_question(1))
    await user.send_text("i love crafts but i'm also deep into data")
    offer = await user.wait_for_message(lambda m: bool(m.buttons) and "Question" not in (m.plain or ""))
    assert QUESTIONS[0].option("specialist").label in button_labels(offer)  # type: ignore[union-attr]
    await user.send_text(QUESTIONS[0].option("specialist").label)  # type: ignore[union-attr]
    await user.wait_for_message(is_question(2))
    assert stored_answers(bot, 9103) == [[QUESTIONS[0].id, "specialist"]]
    server.assert_no_errors()


async def test_not_sure_by_button_and_words_and_the_result_says_so(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=9104)
    await user.send_command("/start")
    first = await user.wait_for_message(is_question(1))
    assert NOT_SURE_LABEL in button_labels(first)
    await user.press_button(NOT_SURE_LABEL)
    for number, words in zip(range(2, TOTAL + 1), ["no idea", "dunno", "don't know", "skip", "not sure", "idk"]):
        await user.wait_for_message(is_question(number))
        await user.send_text(words)
    result = await user.wait_for_message(TEXTS["result_all_unsure"][:40])
    assert [row for row in button_labels(result)] == [TEXTS["button_restart"]]
    assert stored_answers(bot, 9104) == [[q.id, NOT_SURE] for q in QUESTIONS]
    server.assert_no_errors()


async def test_plain_word_commands(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=9105)
    await user.send_command("/start")
    first = await user.wait_for_message(is_question(1))
    await user.send_text("help")
    await user.wait_for_message(TEXTS["help_intro"])
    await user.press_button(QUESTIONS[0].options[0].label, message_id=first.message_id)
    await user.wait_for_message(is_question(2))
    await user.send_text("go back")
    await user.wait_for_message(showing(TEXTS["back_done"], is_question(1)))
    assert stored_answers(bot, 9105) == []
    await user.send_text("what is hybrid?")
    await user.wait_for_message(showing(CONTENT.paths["hybrid"].summary[:50], is_question(1)))
    await user.send_text("tell me about side hustles")
    await user.wait_for_message(showing(CONTENT.paths["side_hustle"].summary[:50], is_question(1)))
    await user.send_text("Explain generative AI")
    await user.wait_for_message(showing(CONTENT.paths["generative_ai"].summary[:50], is_question(1)))
    await user.press_button(QUESTIONS[0].options[1].label)
    await user.wait_for_message(is_question(2))
    await user.send_text("why?")
    await user.wait_for_message(TEXTS["result_not_ready"][:30])
    await user.send_text("start over")
    await user.wait_for_message(showing(TEXTS["restarted"], is_question(1)))
    assert stored_answers(bot, 9105) == []
    server.assert_no_errors()
