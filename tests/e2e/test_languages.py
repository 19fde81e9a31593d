"""Every person in their language: the whole quiz, result, explanation, plan and /why in each
catalogue's language through the fake Bot API; the language from Telegram's language_code, then
switched with /language; menus and descriptions per language; /stats only for operators."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.content_files.loader import load_languages
from dialogs.commands import COMMANDS
from dialogs.scoring import score
from tests.e2e.harness import BotProcess, button_labels, showing
from tests.fakebotapi import FakeBotApi

LANGUAGES = load_languages()
OTHER = [code for code in LANGUAGES if code != "en"]
TELEGRAM_CODES = {"es": "es-ES", "pt": "pt-BR", "ru": "ru"}


def is_question(content, number: int):  # type: ignore[no-untyped-def]
    header = content.texts["question_header"].split("{bar}")[0].format(number=number, total=len(content.questions))
    return lambda message: header.strip() in (message.plain or "") and bool(message.buttons)


def headline(content) -> str:  # type: ignore[no-untyped-def]
    return content.texts["result_headline"].split("{")[0]


def test_every_language_of_the_issue_is_shipped() -> None:
    assert {"en", "es", "pt", "ru"} <= set(LANGUAGES)


@pytest.mark.parametrize("code", OTHER)
async def test_whole_quiz_in_the_persons_language(server: FakeBotApi, bot: BotProcess, code: str) -> None:
    content = LANGUAGES[code]
    user = server.user(user_id=12000 + OTHER.index(code), language_code=TELEGRAM_CODES.get(code, code))
    await user.send_command("/start")
    greeting = await user.wait_for_message(showing(content.texts["greeting"].split("{")[0][:30],
                                                   is_question(content, 1)))
    choices = [0, 1, 2, 1, 0, 0, 2]
    for index, choice in enumerate(choices):
        question = greeting if index == 0 else await user.wait_for_message(is_question(content, index + 1))
        assert content.questions[index].text in question.plain
        assert button_labels(question)[:3] == [o.label for o in content.questions[index].options]
        if index == 1:  # one answer typed in the person's own words
            await user.send_text(content.questions[1].options[choice].phrases[0])
        else:
            await user.press_button(content.questions[index].options[choice].label)
    result = await user.wait_for_message(lambda m: (m.plain or "").startswith(headline(content)) and m.kind == "text")
    expected = score(content, [(q.id, q.options[c].id) for q, c in zip(content.questions, choices)])
    best = content.paths[expected.recommended]
    assert result.plain.splitlines()[0] == content.texts.render("result_headline", path=best.name)
    translation = content.texts["excerpt_translation"].split("{")[0]
    assert translation in result.plain  # the quotes stay English, followed by our translation
    await user.press_button(content.texts["button_why"], message_id=result.message_id)
    why = await user.wait_for_message(content.texts.render("why_title", path=best.name))
    assert content.questions[0].options[0].reason in why.plain
    await user.press_button(content.texts["button_plan"], message_id=result.message_id)
    plan = await user.wait_for_message(content.texts.render("plan_title", path=best.name))
    assert content.plans[expected.recommended][0].text in plan.plain
    await user.press_button(content.texts["button_explain_menu"], message_id=result.message_id)
    menu = await user.wait_for_message(content.texts["explain_menu"])
    await user.press_button(content.paths["hybrid"].name, message_id=menu.message_id)
    explained = await user.wait_for_message(content.paths["hybrid"].summary[:40])
    assert all(item in explained.plain for item in content.paths["hybrid"].pros)
    with sqlite3.connect(bot.database) as db:
        (language,) = db.execute("SELECT language FROM sessions WHERE chat_id = ?", (user.id,)).fetchone()
    assert language == code
    server.assert_no_errors()


async def test_language_is_switched_with_the_language_command(server: FakeBotApi, bot: BotProcess) -> None:
    english, target = LANGUAGES["en"], LANGUAGES[OTHER[-1]]
    user = server.user(user_id=12100, language_code="de")  # a language Crossroads does not speak
    await user.send_command("/start")
    await user.wait_for_message(is_question(english, 1))
    await user.press_button(english.questions[0].options[0].label)
    await user.wait_for_message(is_question(english, 2))
    await user.send_command("/language")
    menu = await user.wait_for_message(english.texts["language_menu"])
    assert button_labels(menu) == [LANGUAGES[code].language_name for code in LANGUAGES]
    await user.press_button(target.language_name, message_id=menu.message_id)
    question = await user.wait_for_message(showing(target.texts["language_set"], is_question(target, 2)))  # where the person was, now in their language
    assert target.questions[1].text in question.plain
    await user.send_command("/help")
    await user.wait_for_message(target.texts["help_intro"])
    server.assert_no_errors()


async def test_menus_and_descriptions_in_every_language(server: FakeBotApi, bot: BotProcess) -> None:
    private = {"type": "all_private_chats"}
    for code, content in LANGUAGES.items():
        language = "" if code == "en" else code
        menu = server.commands(private, language)
        expected = [(c.name, content.commands[c.name].description) for c in COMMANDS if c.in_menu]
        assert [(c["command"], c["description"]) for c in menu] == expected
        described = [r.params for r in server.requests_for("setMyDescription")
                     if r.params.get("language_code", "") == language]
        assert described and described[-1]["description"] == content.bot_description
        short = [r.params for r in server.requests_for("setMyShortDescription")
                 if r.params.get("language_code", "") == language]
        assert short and short[-1]["short_description"] == content.bot_short_description
    assert "stats" not in [c["command"] for c in server.commands(private, "")]


async def test_stats_only_for_operators(server: FakeBotApi, tmp_path: Path) -> None:
    english = LANGUAGES["en"]
    bot = BotProcess(server, tmp_path, extra_env={"ADMIN_CHAT_IDS": "12301"})
    await bot.start()
    player = server.user(user_id=12300)
    await player.send_command("/start")
    await player.wait_for_message(is_question(english, 1))
    await player.send_command("/stats")
    refused = await player.wait_for_message(english.texts.render("unknown_command", command="/stats"))
    assert "Started" not in refused.plain
    admin = server.user(user_id=12301)
    await admin.send_command("/stats")
    report = await admin.wait_for_message(english.texts.render("stats_title", days=7))
    assert english.texts.render("stats_title", days=30) in report.plain
    assert "Started: 1." in report.plain
    picture = await admin.wait_for_message(lambda m: m.kind == "photo")
    assert picture.media["photo"][-1]["width"] == 800
    await bot.stop()
    server.assert_no_errors()
