"""Inline mode (issue 21, item 3): @bot in any chat answers with the person's own latest card and
its text, each with a button to take the quiz; nothing for someone without a result; cached per
person for a minute; the card left out where Telegram refuses it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.deep_link import decode_payload, share_key
from bot.telegram_inline import CACHE_SECONDS, START_PARAMETER
from dialogs.scoring import score
from tests.e2e.harness import BotProcess
from tests.e2e.quiz_driver import QuizPlayer
from tests.e2e.test_telegram_limits import CONTENT, QUESTIONS
from tests.fakebotapi import FakeBotApi

TEXTS = CONTENT.texts


async def finish_a_quiz(server: FakeBotApi, user_id: int, choices: list[int]) -> QuizPlayer:
    player = QuizPlayer(server, CONTENT, user_id, choices)
    await player.play()
    await player.user.wait_for_message(lambda m: m.kind == "photo")
    return player


def the_answers(choices: list[int]) -> tuple[tuple[str, str], ...]:
    return tuple((question.id, question.options[choice].id) for question, choice in zip(QUESTIONS, choices))


async def test_someone_without_a_result_is_shown_nothing_but_the_way_to_the_quiz(
        server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=37_001)
    query_id = await user.inline_query("my result")
    answer = await server.wait_until(lambda: server.inline_answer(query_id))
    assert answer.results == []
    assert answer.button == {"text": TEXTS["inline_start"], "start_parameter": START_PARAMETER}
    assert (answer.cache_time, answer.is_personal) == (CACHE_SECONDS, True)
    # The button opens the bot with /start inline: an ordinary start, not a broken shared link.
    await user.send_command(f"/start {START_PARAMETER}")
    greeting = await user.wait_for_message(lambda m: bool(m.buttons))
    assert TEXTS["shared_invalid"][:30] not in (greeting.plain or "")
    server.assert_no_errors()


async def test_a_result_is_offered_as_its_card_and_as_text_with_a_way_to_the_quiz(
        server: FakeBotApi, bot: BotProcess) -> None:
    choices = [1, 0, 2, 1, 0, 1, 2]
    player = await finish_a_quiz(server, 37_002, choices)
    card = next(m for m in player.user.messages if m.kind == "photo")
    query_id = await player.user.inline_query("")
    answer = await server.wait_until(lambda: server.inline_answer(query_id))
    assert (answer.cache_time, answer.is_personal) == (CACHE_SECONDS, True)
    photo, article = answer.results
    assert photo["type"] == "photo" and photo["photo_file_id"] == card.media["photo"][-1]["file_id"]
    path = CONTENT.paths[score(CONTENT, the_answers(choices)).recommended].name
    assert article["type"] == "article" and article["title"] == TEXTS.render("inline_title", path=path)
    text = article["input_message_content"]["message_text"]
    assert TEXTS.render("inline_headline", path=path) in text and TEXTS["card_invite"] in text
    for result in (photo, article):
        (button,) = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
        assert button["text"] == TEXTS["inline_take_quiz"] and button["style"] == "primary"
        link = urlsplit(button["url"])
        assert link.netloc == "t.me" and link.path == f"/{server.bot_user['username']}"
        payload = parse_qs(link.query)["start"][0]
        assert decode_payload(CONTENT, payload, share_key(server.token)) == the_answers(choices)
    server.assert_no_errors()


async def test_during_a_retake_the_result_before_it_is_offered(server: FakeBotApi, bot: BotProcess) -> None:
    choices = [0, 1, 0, 1, 0, 1, 0]
    player = await finish_a_quiz(server, 37_003, choices)
    await player.user.send_command("/restart")
    await player.user.wait_for_message(lambda m: bool(m.buttons) and "1" in (m.plain or ""))
    query_id = await player.user.inline_query("")
    answer = await server.wait_until(lambda: server.inline_answer(query_id))
    path = CONTENT.paths[score(CONTENT, the_answers(choices)).recommended].name
    assert [result["type"] for result in answer.results] == ["photo", "article"]
    assert answer.results[1]["title"] == TEXTS.render("inline_title", path=path)
    server.assert_no_errors()


async def test_where_telegram_refuses_the_card_the_text_goes_alone(server: FakeBotApi, bot: BotProcess) -> None:
    player = await finish_a_quiz(server, 37_004, [2, 2, 2, 2, 2, 2, 2])
    server.photo_file_ids.clear()  # Telegram no longer has the file
    query_id = await player.user.inline_query("")
    answer = await server.wait_until(lambda: server.inline_answer(query_id))
    assert [result["type"] for result in answer.results] == ["article"]
    assert [error.method for error in server.errors] == ["answerInlineQuery"]
    server.assert_no_errors("wrong file identifier")


async def test_where_telegram_refuses_coloured_buttons_the_inline_button_goes_plain(
        server: FakeBotApi, bot: BotProcess) -> None:
    player = await finish_a_quiz(server, 37_005, [0] * len(QUESTIONS))
    server.refused_touches = frozenset({"style"})
    query_id = await player.user.inline_query("")
    answer = await server.wait_until(lambda: server.inline_answer(query_id))
    assert all("style" not in button for result in answer.results
               for row in result["reply_markup"]["inline_keyboard"] for button in row)
    server.assert_no_errors('"style"')


async def test_an_answer_too_late_for_telegram_is_let_go_quietly(server: FakeBotApi, bot: BotProcess) -> None:
    server.callback_query_timeout = 0.0  # every answer arrives after Telegram stopped waiting
    user = server.user(user_id=37_006)
    await user.inline_query("")
    await server.wait_until(lambda: any(r.method == "answerInlineQuery" for r in server.errors))
    await user.send_command("/start")  # the bot carries on
    await user.wait_for_message(lambda m: bool(m.buttons))
    assert "update failed" not in bot.log() and "expired before its answer" in bot.log()
    server.assert_no_errors("query is too old")
