"""Issue 10 on Telegram: the result as sent (card, collapsed quotes, buttons), /why and the plan,
share links for a friend, changing an answer across a kill -9, and the two-week check-in."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.content_files.loader import load_content
from bot.storage.sqlite import decode_answers, decode_previous
from dialogs.scoring import score
from dialogs.session import PreviousResult
from tests.e2e.harness import BotProcess, button_labels, showing
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
QUESTIONS = CONTENT.questions
TEXTS = CONTENT.texts
TOTAL = len(QUESTIONS)
HEADLINE = TEXTS["result_headline"].split("{")[0]


def is_question(number: int):
    return lambda message: f"Question {number} of {TOTAL}" in (message.plain or "") and bool(message.buttons)


def is_result(message) -> bool:  # type: ignore[no-untyped-def]
    """A result (after a retake, under the line saying what changed since the last one)."""
    return HEADLINE in (message.plain or "") and message.kind == "text"


def answers_of(choices: list[int]) -> list[tuple[str, str]]:
    return [(question.id, question.options[choice].id) for question, choice in zip(QUESTIONS, choices)]


async def play(user, choices: list[int]):  # type: ignore[no-untyped-def]
    """Answer every question by buttons; return the result message."""
    await user.send_command("/start")
    for index, choice in enumerate(choices):
        await user.wait_for_message(is_question(index + 1))
        await user.press_button(QUESTIONS[index].options[choice].label)
    return await user.wait_for_message(is_result)


def share_link(message) -> str:  # type: ignore[no-untyped-def]
    urls = [button["url"] for row in message.reply_markup["inline_keyboard"] for button in row if "url" in button]
    assert len(urls) == 1, urls
    return urls[0]


def stored_checkins(bot: BotProcess, chat_id: int) -> int:
    """How many check-ins the chat has in the database."""
    with sqlite3.connect(bot.database) as db:
        return int(db.execute("SELECT COUNT(*) FROM checkins WHERE chat_id = ?", (chat_id,)).fetchone()[0])


def stored(bot: BotProcess, chat_id: int) -> tuple[str, list[list[str]]]:
    """The chat's state and answers in the database."""
    with sqlite3.connect(bot.database) as db:
        state, answers = db.execute("SELECT state, answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return state, [list(answer) for answer in decode_answers(answers)]


def stored_previous(bot: BotProcess, chat_id: int) -> PreviousResult | None:
    """The result before the current one, as stored with the chat's session."""
    with sqlite3.connect(bot.database) as db:
        (answers,) = db.execute("SELECT answers FROM sessions WHERE chat_id = ?", (chat_id,)).fetchone()
    return decode_previous(answers)


async def test_result_card_quotes_buttons_why_and_plan(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=10101)
    choices = [0, 1, 2, 0, 1, 0, 2]
    result = await play(user, choices)
    answers = [(q.id, q.options[c].id) for q, c in zip(QUESTIONS, choices)]
    expected = score(CONTENT, answers)
    best = CONTENT.paths[expected.recommended].name
    assert result.plain.splitlines()[0] == TEXTS.render("result_headline", path=best)
    # The card follows the text (which did not wait for it), as a real image the fake server accepted.
    await user.wait_for_message(lambda m: m.kind == "photo")
    photos = [m for m in user.messages if m.kind == "photo"]
    assert len(photos) == 1 and photos[0].message_id > result.message_id
    # Quotes are collapsed; what is visible fits one screen.
    collapsed = [e for e in result.entities if e.type == "expandable_blockquote"]
    assert len(collapsed) == 1
    visible = result.plain[:collapsed[0].offset]
    assert len(visible) < 700
    labels = button_labels(result)
    for key in ("button_plan", "button_why", "button_change", "button_share", "button_remind", "button_restart"):
        assert TEXTS[key] in labels
    link = urlsplit(share_link(result))
    assert (link.scheme, link.netloc, link.path) == ("https", "t.me", "/share/url")
    deep = urlsplit(parse_qs(link.query)["url"][0])
    assert deep.netloc == "t.me" and deep.path == f"/{server.bot_user['username']}"
    payload = parse_qs(deep.query)["start"][0]
    assert len(payload) <= 64 and str(user.id) not in payload
    print("\n--- result as sent ---\n" + result.plain + "\n--- card: "
          f"{photos[0].media['photo'][-1]['width']}x{photos[0].media['photo'][-1]['height']} ---")
    # /why adds up, and the plan follows the recommendation.
    await user.press_button(TEXTS["button_why"], message_id=result.message_id)
    why = await user.wait_for_message(TEXTS.render("why_title", path=best))
    for path_id in expected.scores:
        assert f"{CONTENT.paths[path_id].name} {expected.scores[path_id]} point" in why.plain
    await user.press_button(TEXTS["button_plan"], message_id=result.message_id)
    plan = await user.wait_for_message(TEXTS.render("plan_title", path=best))
    for step in CONTENT.plans[expected.recommended]:
        assert step.text in plan.plain
    # Every press answered: the answer goes out beside the reply, so it may land just after it.
    await server.wait_until(lambda: len(server.callback_answers) == TOTAL + 2)
    server.assert_no_errors()


async def test_share_link_for_a_friend_and_a_forged_one(server: FakeBotApi, bot: BotProcess) -> None:
    owner = server.user(user_id=10201)
    result = await play(owner, [1, 0, 2, 1, 0, 0, 1])
    deep = urlsplit(parse_qs(urlsplit(share_link(result)).query)["url"][0])
    payload = parse_qs(deep.query)["start"][0]
    friend = server.user(user_id=10202)
    await friend.send_command("/start", payload)
    shared = await friend.wait_for_message(TEXTS["shared_title"])
    owner_best = CONTENT.paths[score(CONTENT, [(q.id, q.options[c].id) for q, c in
                                               zip(QUESTIONS, [1, 0, 2, 1, 0, 0, 1])]).recommended].name
    assert TEXTS.render("shared_headline", path=owner_best) in shared.plain
    assert button_labels(shared) == [TEXTS["button_take_quiz"]]
    with sqlite3.connect(bot.database) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE chat_id = 10202").fetchone()[0] == 0
    await friend.press_button(TEXTS["button_take_quiz"])
    await friend.wait_for_message(is_question(1))
    # A forged payload (one answer changed) and a truncated one fall back to a normal start.
    for bad in (payload[:8] + ("1" if payload[8] != "1" else "2") + payload[9:], payload[:-3]):
        stranger = server.user(user_id=10203 + len(bad))
        await stranger.send_command("/start", bad)
        await stranger.wait_for_message(showing(TEXTS["shared_invalid"][:40], is_question(1)))
    server.assert_no_errors()


async def test_change_an_answer_across_a_kill(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=10301)
    choices = [0, 0, 0, 0, 0, 0, 0]
    result = await play(user, choices)
    await user.press_button(TEXTS["button_change"], message_id=result.message_id)
    menu = await user.wait_for_message(TEXTS["change_menu"][:30])
    target = QUESTIONS[2]
    await user.press_button(TEXTS.render("change_button", factor=target.factor, answer=target.options[0].label),
                            message_id=menu.message_id)
    asked = await user.wait_for_message(TEXTS.render("changing_header", factor=target.factor))
    assert stored(bot, 10301)[0] == f"changing_{target.id}"
    await bot.kill()
    await bot.start()
    await user.press_button(target.options[2].label, message_id=asked.message_id)
    new_result = await user.wait_for_message(is_result)
    expected = [[q.id, q.options[2 if q.id == target.id else 0].id] for q in QUESTIONS]
    assert stored(bot, 10301) == ("result", expected)
    before = tuple((q.id, q.options[0].id) for q in QUESTIONS)
    assert stored_previous(bot, 10301) == PreviousResult(before, score(CONTENT, before).recommended)
    best = CONTENT.paths[score(CONTENT, [(a[0], a[1]) for a in expected]).recommended].name
    since, blank, headline = new_result.plain.splitlines()[:3]
    assert target.topic in since and not blank  # what changed since the result before, then the result
    assert headline == TEXTS.render("result_headline", path=best)
    # The old menu's buttons from before the change still work (same quiz), by typing too.
    await user.send_text("/change 1")
    await user.wait_for_message(TEXTS.render("changing_header", factor=QUESTIONS[0].factor))
    await user.send_text("deep into tech and data")
    await user.wait_for_message(is_result)
    assert stored(bot, 10301)[1][0] == [QUESTIONS[0].id, "specialist"]
    server.assert_no_errors()


async def test_checkin_due_while_down_is_sent_once_after_start(server: FakeBotApi, tmp_path: Path) -> None:
    env = {"CHECKIN_AFTER_SECONDS": "2", "CHECKIN_POLL_SECONDS": "1"}
    bot = BotProcess(server, tmp_path, extra_env=env)
    await bot.start()
    user = server.user(user_id=10401)
    result = await play(user, [0, 1, 0, 1, 0, 0, 1])
    pressed_at = time.time()
    query = await user.press(result.message_id, result.find_button(TEXTS["button_remind"])[1])
    await server.wait_until(lambda: server.callback_answer(query))
    # The day of the check-in is said in a message, as a date Telegram shows in the reader's locale.
    promised = await user.wait_for_message(TEXTS["checkin_set"].split("{date}")[0])
    (date,) = [entity for entity in promised.entities if entity.type == "date_time"]
    assert pressed_at + 2 - 1 <= date.unix_time <= time.time() + 2 and date.date_time_format == "D"
    # The press is answered as soon as it is decided; the check-in is committed right after.
    await server.wait_until(lambda: stored_checkins(bot, 10401) == 1)
    assert await bot.stop() == 0
    await asyncio.sleep(2.5)  # due while the bot is down
    mark = user.mark()
    await bot.start()
    checkin = await user.wait_for_message(TEXTS["checkin_message"].split("{")[0], since=mark)
    assert button_labels(checkin) == [TEXTS["button_retake"]]
    assert await bot.stop() == 0
    await bot.start()
    await asyncio.sleep(2.5)  # several polls: nothing is sent twice
    assert sum(TEXTS["checkin_message"].split("{")[0] in (m.plain or "") for m in user.messages) == 1
    await user.press_button(TEXTS["button_retake"], message_id=checkin.message_id)
    # The retake's result opens with what changed since the result the check-in was about.
    first, retaken = [0, 1, 0, 1, 0, 0, 1], [1, 1, 0, 1, 0, 0, 1]
    for index, choice in enumerate(retaken):
        await user.wait_for_message(is_question(index + 1))
        await user.press_button(QUESTIONS[index].options[choice].label)
    again = await user.wait_for_message(lambda m: is_result(m) and m.message_id != result.message_id)
    paths = [CONTENT.paths[score(CONTENT, answers_of(choices)).recommended].name for choices in (first, retaken)]
    line = (TEXTS.render("since_held", changes=QUESTIONS[0].topic, path=paths[1]) if paths[0] == paths[1] else
            TEXTS.render("since_moved", changes=QUESTIONS[0].topic, before=paths[0], after=paths[1]))
    assert (again.plain or "").startswith(line + "\n\n" + HEADLINE)
    await bot.stop()
    server.assert_no_errors()


async def test_forget_deletes_the_checkin(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=10501)
    result = await play(user, [2, 2, 1, 2, 1, 0, 2])
    await user.press_button(TEXTS["button_remind"], message_id=result.message_id)
    await server.wait_until(lambda: len(server.callback_answers) == TOTAL + 1)
    await user.send_command("/forget")
    await user.wait_for_message(TEXTS["forget_done"][:20])
    with sqlite3.connect(bot.database) as db:
        assert db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE chat_id = 10501").fetchone()[0] == 0
    server.assert_no_errors()


async def test_text_result_goes_out_when_the_card_cannot(server: FakeBotApi, bot: BotProcess) -> None:
    server.inject_fault("sendPhoto", "500", times=5)
    user = server.user(user_id=10601)
    result = await play(user, [0, 0, 1, 1, 2, 0, 0])
    assert not [m for m in user.messages if m.kind == "photo"]
    assert result.plain.startswith(HEADLINE)
