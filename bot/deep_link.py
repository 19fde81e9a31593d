"""Share links: the one place that turns a result's answers into a deep-link payload and back.

Format (version 1), at most 64 URL-safe characters, never a chat id:
    s1 <content version: 6 hex> <one digit per question: its answer's position, 0-3> <tag: 8>
The tag is an HMAC of everything before it, keyed by a secret derived from the bot token (held
in memory only), so a forged or altered payload is recognised; a payload made under another
content version (questions or weights changed) is refused as outdated. Anything that does not
decode gives None, and the bot falls back to a normal start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from telegram.helpers import create_deep_linked_url

from dialogs.content import Content
from dialogs.scoring import Answer

PREFIX = "s1"
TAG_LENGTH = 8
MAX_PAYLOAD = 64
SHARE_URL = "https://t.me/share/url"


def share_key(token: str) -> bytes:
    """The signing key for share links: derived from the token, never the token itself."""
    return hashlib.sha256(b"crossroads share links\0" + token.encode()).digest()


def _tag(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TAG_LENGTH]


def encode_payload(content: Content, answers: tuple[Answer, ...], key: bytes) -> str:
    """The start payload for a complete answer set."""
    digits = []
    for (question_id, option_id), question in zip(answers, content.questions, strict=True):
        if question_id != question.id:
            raise ValueError(f"answer for {question_id} where {question.id} was expected")
        digits.append(str(next(i for i, o in enumerate(question.choices) if o.id == option_id)))
    body = PREFIX + content.version + "".join(digits)
    payload = body + _tag(key, body)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("too many questions for a share link")
    return payload


def decode_payload(content: Content, payload: str, key: bytes) -> tuple[Answer, ...] | None:
    """The answers a payload carries, or None if it is forged, truncated or outdated."""
    questions = content.questions
    expected = len(PREFIX) + len(content.version) + len(questions) + TAG_LENGTH
    if len(payload) != expected or not payload.startswith(PREFIX + content.version):
        return None
    body, tag = payload[:-TAG_LENGTH], payload[-TAG_LENGTH:]
    if not hmac.compare_digest(tag, _tag(key, body)):
        return None
    digits = body[len(PREFIX) + len(content.version):]
    answers = []
    for digit, question in zip(digits, questions):
        if not digit.isdigit() or int(digit) >= len(question.choices):
            return None
        answers.append((question.id, question.choices[int(digit)].id))
    return tuple(answers)


def share_url(bot_username: str, payload: str, text: str) -> str:
    """Telegram's share sheet, pre-filled with the deep link and a line of text."""
    link = create_deep_linked_url(bot_username, payload)
    return f"{SHARE_URL}?{urlencode({'url': link, 'text': text})}"
