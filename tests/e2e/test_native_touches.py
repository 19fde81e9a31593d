"""Touches of today's Telegram (issue 21, item 3), each sent as Telegram expects and each falling
back to the plain form where Telegram refuses it: a message effect on the result's card, coloured
buttons, the plan's copy button, the check-in's day as a date in the reader's locale."""

from __future__ import annotations

import time

from bot.telegram_attachments import RESULT_EFFECT
from tests.e2e.harness import BotProcess
from tests.e2e.quiz_driver import QuizPlayer
from tests.e2e.test_telegram_limits import CONTENT, QUESTIONS
from tests.fakebotapi import FakeBotApi


async def finish_a_quiz(server: FakeBotApi, user_id: int) -> QuizPlayer:
    player = QuizPlayer(server, CONTENT, user_id, [0] * len(QUESTIONS))
    await player.play()
    await player.user.wait_for_message(lambda m: m.kind == "photo")
    return player


async def test_the_result_card_comes_with_a_message_effect(server: FakeBotApi, bot: BotProcess) -> None:
    await finish_a_quiz(server, 36_001)
    (card,) = server.requests_for("sendPhoto")
    assert card.ok and str(card.params.get("message_effect_id")) == RESULT_EFFECT
    server.assert_no_errors()


async def test_where_telegram_refuses_the_effect_the_card_goes_plain(server: FakeBotApi, bot: BotProcess) -> None:
    server.message_effects = frozenset()  # a chat or client without message effects: 400 for any
    player = await finish_a_quiz(server, 36_002)
    refused, plain = server.requests_for("sendPhoto")
    assert not refused.ok and "EFFECT_ID_INVALID" in (refused.description or "")
    assert plain.ok and plain.params.get("message_effect_id") is None
    assert [m.kind for m in player.user.messages].count("photo") == 1  # one card, no error reply
    assert "went wrong" not in "".join(m.plain or "" for m in player.user.messages)
    server.assert_no_errors("EFFECT_ID_INVALID")


# -- coloured buttons ------------------------------------------------------------------------------
TEXTS = CONTENT.texts


def styles(message) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """Each button's label and its style (None: neutral) as the message shows them now."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {button["text"]: button.get("style") for row in rows for button in row}


def result_message(player: QuizPlayer):  # type: ignore[no-untyped-def]
    return next(m for m in player.user.messages if (m.plain or "").startswith("Your best fit:"))


async def test_the_main_action_is_coloured_and_not_sure_and_start_over_are_neutral(
        server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=36_101)
    await user.send_command("/start")
    question = await user.wait_for_message(lambda m: bool(m.buttons))
    first = QUESTIONS[0]
    assert styles(question) == {**{option.label: "primary" for option in first.options}, first.not_sure.label: None}
    player = await finish_a_quiz(server, 36_102)
    shown = styles(result_message(player))
    assert shown[TEXTS["button_plan"]] == "primary" and shown[TEXTS["button_verdict_yes"]] == "success"
    assert shown[TEXTS["button_restart"]] is None and shown[TEXTS["button_verdict_no"]] is None
    await player.user.send_command("/forget")
    await player.user.wait_for_message(TEXTS["forget_done"][:20])
    await user.send_text("please erase everything you know about me")
    confirm = await user.wait_for_message(lambda m: TEXTS["button_forget_yes"] in styles(m))
    assert styles(confirm)[TEXTS["button_forget_yes"]] == "danger"
    server.assert_no_errors()


async def test_where_telegram_refuses_button_styles_the_buttons_go_plain(server: FakeBotApi, bot: BotProcess) -> None:
    server.refused_touches = frozenset({"style"})
    player = await finish_a_quiz(server, 36_103)
    refused = list(server.errors)
    assert len(refused) == 1 and "style" in (refused[0].description or "")  # refused once, then left out
    assert all(style is None for message in player.user.messages for style in styles(message).values())
    assert "went wrong" not in "".join(m.plain or "" for m in player.user.messages)
    server.assert_no_errors('"style"')


# -- the plan's copy button --------------------------------------------------------------------------
async def test_the_plan_has_a_button_that_copies_it(server: FakeBotApi, bot: BotProcess) -> None:
    player = await finish_a_quiz(server, 36_201)
    result = result_message(player)
    await player.user.press_button(TEXTS["button_plan"], message_id=result.message_id)
    plan = await player.user.wait_for_message(lambda m: TEXTS["button_copy_plan"] in styles(m))
    (copy,) = [button for row in plan.reply_markup["inline_keyboard"] for button in row if "copy_text" in button]
    path = CONTENT.paths[next(p for p in CONTENT.paths if CONTENT.paths[p].name in (result.plain or "").splitlines()[0])]
    assert copy["copy_text"] == {"text": CONTENT.checklists[path.id]} and copy["style"] == "primary"
    server.assert_no_errors()


async def test_where_telegram_refuses_copy_buttons_the_plan_comes_without_one(server: FakeBotApi, bot: BotProcess) -> None:
    server.refused_touches = frozenset({"copy_text"})
    player = await finish_a_quiz(server, 36_202)
    await player.user.press_button(TEXTS["button_plan"], message_id=result_message(player).message_id)
    plan = await player.user.wait_for_message(lambda m: TEXTS["button_back_to_result"] in styles(m))
    assert TEXTS["button_copy_plan"] not in styles(plan) and TEXTS["button_restart"] in styles(plan)
    assert [r.description for r in server.errors] == [
        'Bad Request: can\'t parse inline keyboard button: Field "copy_text" is not supported']
    server.assert_no_errors("copy_text")


# -- the check-in's date --------------------------------------------------------------------------------
async def test_the_checkin_day_is_a_date_in_the_readers_locale(server: FakeBotApi, bot: BotProcess) -> None:
    player = await finish_a_quiz(server, 36_301)
    await player.user.press_button(TEXTS["button_remind"], message_id=result_message(player).message_id)
    promised = await player.user.wait_for_message(TEXTS["checkin_set"].split("{date}")[0])
    (date,) = [entity for entity in promised.entities if entity.type == "date_time"]
    day = (promised.plain or "")[date.offset:date.offset + date.length]
    assert date.date_time_format == "D" and day == time.strftime("%Y-%m-%d", time.gmtime(date.unix_time))
    assert abs(date.unix_time - (time.time() + 14 * 86_400)) < 120
    server.assert_no_errors()


async def test_where_telegram_refuses_dates_the_day_is_plain_text(server: FakeBotApi, bot: BotProcess) -> None:
    server.refused_touches = frozenset({"date_time"})
    player = await finish_a_quiz(server, 36_302)
    await player.user.press_button(TEXTS["button_remind"], message_id=result_message(player).message_id)
    promised = await player.user.wait_for_message(TEXTS["checkin_set"].split("{date}")[0])
    assert not promised.entities
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 14 * 86_400))
    assert promised.plain == TEXTS.render("checkin_set", date=day)
    assert ["tg-time" in (r.description or "") for r in server.errors] == [True]
    server.assert_no_errors("tg-time")
