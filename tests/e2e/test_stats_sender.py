"""/stats answers an operator only (the check lives with the command, in the core); a forged update
whose sender is not the private chat's person never gets that far."""

from __future__ import annotations

from pathlib import Path

from bot.content_files.loader import load_content
from tests.e2e.harness import BotProcess
from tests.fakebotapi import FakeBotApi

ADMIN = 12401
STRANGER = 12499
ENGLISH = load_content()


def stats_command(chat_id: int, sender_id: int, message_id: int) -> dict[str, object]:
    """A /stats message in ``chat_id``'s private chat, sent by ``sender_id``."""
    return {"message": {
        "message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
        "from": {"id": sender_id, "is_bot": False, "first_name": "Mallory", "language_code": "en"},
        "text": "/stats", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }}


async def test_stats_in_an_operators_chat_from_someone_else_is_refused(server: FakeBotApi, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path, extra_env={"ADMIN_CHAT_IDS": str(ADMIN)})
    await bot.start()
    try:
        admin = server.user(user_id=ADMIN)
        # Telegram never sends a private chat's message from someone else: such an update is
        # dropped at the edge, with one line, before it reaches the command.
        await server.push_update(stats_command(ADMIN, STRANGER, 7001))
        await server.wait_until(lambda: "a private chat's message from someone other" in bot.log())
        stranger = server.user(user_id=STRANGER)
        await server.push_update(stats_command(STRANGER, STRANGER, 7003))  # not an operator: unknown to them
        await stranger.wait_for_message(ENGLISH.texts.render("unknown_command", command="/stats"))
        await server.push_update(stats_command(ADMIN, ADMIN, 7002))  # the operator, in their own chat
        figures = ENGLISH.texts.render("stats_none", days=7)  # a fresh database: nothing happened yet
        report = await admin.wait_for_message(figures)
        assert ENGLISH.texts.render("stats_none", days=30) in (report.plain or "")
        await admin.wait_for_message(lambda m: m.kind == "photo")
        # Only the operator's own /stats got the figures, and only one picture went out.
        assert [m.plain for m in server.chat(ADMIN).messages if figures in (m.plain or "")] == [report.plain]
        assert len([m for m in server.chat(ADMIN).messages if m.kind == "photo"]) == 1
    finally:
        assert await bot.stop() == 0
    server.assert_no_errors()
