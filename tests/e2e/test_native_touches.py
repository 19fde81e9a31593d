"""Touches of today's Telegram (issue 21, item 3), each sent as Telegram expects and each falling
back to the plain form where Telegram refuses it: a message effect on the result's card."""

from __future__ import annotations

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
