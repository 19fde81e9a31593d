"""Logging: one line per event on stderr, with secrets redacted from every record."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"
#: Libraries whose INFO/DEBUG lines carry request URLs (and so the bot token) or message bodies.
QUIET_LOGGERS = (
    "httpx", "httpcore", "aiosqlite", "transitions", "tornado.access",
    "telegram.Bot", "telegram.request", "telegram.ext.ExtBot", "telegram.ext.Updater", "telegram.ext.Application",
)


class RedactingFilter(logging.Filter):
    """Replaces each secret in a record's final message (and traceback) with [REDACTED]."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and type(record.exc_info[1]).__name__ == "InvalidToken":
            # A rejected token ends the process with one clear line of its own (bot.__main__);
            # python-telegram-bot's traceback of it would only bury that line.
            record.exc_info = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
            exc_text = exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        record.exc_text = exc_text or None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once, from __main__."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = max(logging.getLevelName(level), logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
