"""Issue 21 on Telegram: "Does this feel right?" under the result: yes, no then a path, a changed
vote, each press answered with what now stands, and the anonymous log (no chat id)."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.content_files.loader import load_content
from dialogs.scoring import score
from tests.e2e.harness import BotProcess, button_labels
from tests.e2e.test_result_flow import QUESTIONS, play
from tests.fakebotapi import FakeBotApi

CONTENT = load_content()
TEXTS = CONTENT.texts
CHAT = 10901


def logged(bot: BotProcess) -> list[tuple[str, str, str]]:
    """The verdict rows of the anonymous usage log, in order."""
    with sqlite3.connect(bot.database) as db:
        return db.execute("SELECT kind, detail, how FROM usage_events WHERE kind LIKE 'verdict%' ORDER BY id").fetchall()


async def toast(server: FakeBotApi, query_id: str) -> str:
    answer = await server.wait_until(lambda: server.callback_answer(query_id))
    return answer.text or ""


async def test_feels_right_votes_and_a_changed_vote(server: FakeBotApi, bot: BotProcess) -> None:
    user = server.user(user_id=CHAT)
    choices = [0, 1, 2, 0, 1, 0, 2]
    result = await play(user, choices)
    labels = button_labels(result)
    for key in ("button_plan", "button_why", "button_change", "button_share", "button_remind", "button_restart",
                "button_verdict_yes", "button_verdict_no"):
        assert TEXTS[key] in labels
    path = score(CONTENT, [(q.id, q.options[c].id) for q, c in zip(QUESTIONS, choices)]).recommended
    name = CONTENT.paths[path].name
    pressed = await user.press_button(TEXTS["button_verdict_yes"], message_id=result.message_id)
    assert await toast(server, pressed) == TEXTS.render("verdict_agreed", path=name)
    await user.press_button(TEXTS["button_verdict_no"], message_id=result.message_id)
    which = await user.wait_for_message(TEXTS.render("verdict_which", path=name))
    others = [p for p in CONTENT.paths.values() if p.id != path]
    assert button_labels(which) == [p.name for p in others]
    pressed = await user.press_button(others[0].name, message_id=which.message_id)
    assert await toast(server, pressed) == TEXTS.render("verdict_instead", path=others[0].name, recommended=name)
    pressed = await user.press_button(TEXTS["button_verdict_yes"], message_id=result.message_id)
    assert await toast(server, pressed) == TEXTS.render("verdict_agreed", path=name)
    # The toast goes out as soon as the vote is decided, while it commits: wait for the log.
    for _ in range(100):
        rows = logged(bot)
        if len(rows) == 7:
            break
        await asyncio.sleep(0.05)
    assert rows == [("verdict", path, "agree"),
                    ("verdict_retracted", path, "agree"), ("verdict", path, "disagree"),
                    ("verdict_retracted", path, "disagree"), ("verdict", path, others[0].id),
                    ("verdict_retracted", path, others[0].id), ("verdict", path, "agree")]
    assert all(str(CHAT) not in " ".join(row) for row in rows)
    server.assert_no_errors()
