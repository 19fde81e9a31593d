"""Updates checked at the edge, before anything reaches the core: Telegram never sends an update
whose ids or texts have the wrong type, but python-telegram-bot builds whatever JSON it is given,
and the core trusts these fields (the webhook answers such an update 400; polling drops it)."""

from __future__ import annotations

from telegram import Update

#: Ids are stored in 64-bit integer columns (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1


def _is_id(value: object, minimum: int = -MAX_ID) -> bool:
    """An integer id in range (a bool is not one, though Python counts it as an int)."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_ID


def _is_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def update_problem(update: Update) -> str | None:
    """What is wrong with an update's fields that the handlers and the core trust (its id, the
    chat's and the person's ids, the text, the button data), or None if nothing is. Telegram
    never sends such an update; python-telegram-bot builds whatever JSON it is given."""
    if not _is_id(update.update_id, minimum=0):
        return "update_id is not a non-negative integer"
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is not None and not (_is_id(chat.id) and isinstance(chat.type, str)):
        return "the chat's id or type is malformed"
    if user is not None and not (_is_id(user.id) and _is_text(user.language_code) and _is_text(user.username)):
        return "the sender's id, language or username is malformed"
    if chat is not None and user is not None and chat.type == "private" and chat.id != user.id:
        return "a private chat's message from someone other than its person"  # Telegram's are the same id
    if message is not None and not (_is_id(message.message_id) and _is_text(message.text)):
        return "the message's id or text is malformed"
    query = update.callback_query
    if query is not None and not (isinstance(query.id, str) and _is_text(query.data)):
        return "the button press's id or data is malformed"
    inline = update.inline_query
    if inline is not None and not (isinstance(inline.id, str) and inline.id):
        return "the inline query's id is malformed"
    change = update.my_chat_member
    if change is not None and not isinstance(change.new_chat_member.status, str):
        return "the membership status is malformed"
    return None
