"""Issue 18 on Telegram: every command in plain words, several facts in one message, questions
about the paths and small talk, through the real bot process and the fake Bot API."""

from __future__ import annotations

import json
import sqlite3

from bot.content_files.loader import load_languages
from tests.e2e.harness import BotProcess, button_labels, showing
from tests.fakebotapi import FakeBotApi

LANGUAGES = load_languages()
CONTENT = LANGUAGES["en"]
QUESTIONS = CONTENT.questions
TEXTS = CONTENT.texts
TOTAL = len(QUESTIONS)
HEADLINE = TEXTS["result_headline"].split("{")[0]


def is_question(number: int):  # type: ignore[no-untyped-def]
    return lambda message: f"Question {number} of {TOTAL}" in (message.plain or "") and bool(message.buttons)


def is_result(message) -> bool:  # type: ignore[no-untyped-def]
    return (message.plain or "").startswith(HEADLINE) and message.kind == "text"


def stored(bot: BotProcess, chat_id: int) -> tuple[str, list[list[str]]] | None:
    with sqlite3.connect(bot.database) as db:
        row = db.execute("SELECT state, answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return (row[0], json.loads(row[1])) if row else None


async def finish(user) -> None:  # type: ignore[no-untyped-def]
    await user.send_command("/start")
    for index, question in enumerate(QUESTIONS):
        await user.wait_for_message(is_question(index + 1))
        await user.press_button(question.options[0].label)
    await user.wait_for_message(is_result)


async def test_a_new_chat_saying_hi_is_greeted_and_small_talk_keeps_its_place(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=18001)
    await user.send_text("hi")
    await user.wait_for_message(showing(TEXTS.render("greeting", total=TOTAL).split("\n")[0], is_question(1)))
    assert TEXTS["resume"] not in "".join(m.plain or "" for m in user.messages)
    await user.send_text("thanks!")
    await user.wait_for_message(showing(TEXTS["chat_thanks"], is_question(1)))
    assert stored(bot, 18001) == ("asking_skills", [])
    server.assert_no_errors()


async def test_plain_word_commands_mid_quiz(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=18002)
    await user.send_command("/start")
    for index in range(3):
        await user.wait_for_message(is_question(index + 1))
        await user.press_button(QUESTIONS[index].options[0].label)
    await user.wait_for_message(is_question(4))
    await user.send_text("undo that last one")
    await user.wait_for_message(showing(TEXTS["back_done"], is_question(3)))
    assert len(stored(bot, 18002)[1]) == 2  # type: ignore[index]
    await user.send_text("do AI jobs pay well?")
    quote = await user.wait_for_message(showing(TEXTS["topic_title"], is_question(3)))
    assert CONTENT.excerpts["ai_salaries"].text in (quote.plain or "")
    await user.send_text("which bootcamp is the best one to join?")
    await user.wait_for_message(TEXTS["topic_uncovered"])
    await user.send_text("can we start over from scratch")
    await user.wait_for_message(showing(TEXTS["restarted"], is_question(1)))
    assert stored(bot, 18002)[1] == []  # type: ignore[index]
    server.assert_no_errors()


async def test_plain_word_commands_after_the_result(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=18003)
    await finish(user)
    await user.send_text("why did i get this?")
    await user.wait_for_message(TEXTS["why_title"].split("{")[0])
    await user.send_text("what would change my result?")
    await user.wait_for_message(TEXTS["whatif_title"])
    await user.send_text("so what should i do next?")
    await user.wait_for_message(TEXTS["plan_title"].split("{")[0])
    await user.send_text("tell me more about the hybrid route")
    await user.wait_for_message(CONTENT.paths["hybrid"].summary)
    await user.send_text("how does this bot work, what can you do")
    await user.wait_for_message(TEXTS["help_intro"])
    await user.send_text("what data do you keep about me?")
    await user.wait_for_message(TEXTS["privacy"].split("{")[0][:40])
    await user.send_text("remind me about this in a couple of weeks")
    await user.wait_for_message(TEXTS["checkin_set"].split("{date}")[0])
    await user.send_text("change my answer about my job")
    income = next(q for q in QUESTIONS if q.id == "income")
    await user.wait_for_message(lambda m: income.text in (m.plain or "") and bool(m.buttons))
    assert stored(bot, 18003)[0] == "changing_income"  # type: ignore[index]
    await user.send_text("can we do this in spanish?")
    await user.wait_for_message(LANGUAGES["es"].texts["language_set"])
    await user.send_text("borra todo lo que sabes de mí, por favor")
    confirm = await user.wait_for_message(LANGUAGES["es"].texts["forget_confirm"])
    assert button_labels(confirm) == [LANGUAGES["es"].texts["button_forget_yes"], LANGUAGES["es"].texts["button_forget_no"]]
    assert stored(bot, 18003) is not None  # nothing deleted before the tap
    await user.press_button(LANGUAGES["es"].texts["button_forget_yes"], message_id=confirm.message_id)
    await user.wait_for_message(LANGUAGES["es"].texts["forget_done"])
    assert stored(bot, 18003) is None
    server.assert_no_errors()


async def test_several_facts_in_the_first_message(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=18004)
    await user.send_text("software dev, lots of free time since I got laid off, want to be my own boss")
    noted = await user.wait_for_message(TEXTS["facts_noted"])
    labels = button_labels(noted)
    assert labels and all(label.startswith(TEXTS["button_fact"].split("{")[0]) for label in labels)
    question = await user.wait_for_message(lambda m: bool(m.buttons) and "Question" in (m.plain or ""))
    state, answers = stored(bot, 18004)  # type: ignore[misc]
    assert ["skills", "specialist"] in (answers if isinstance(answers, list) else answers["a"] + answers["p"])
    assert QUESTIONS[0].text not in (question.plain or "")  # skills was stated: not asked
    # A fact that was not right: one tap and its question is asked when the quiz gets there.
    query = await user.press_button(labels[-1], message_id=noted.message_id)
    answer = await server.wait_until(lambda: server.callback_answer(query))
    assert answer.text and answer.text.startswith(TEXTS["fact_reopened"].split("{")[0])
    server.assert_no_errors()
