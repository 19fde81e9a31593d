"""The bot package's error tree.

    BotError
     ├── ConfigError     an environment variable is missing or malformed
     └── TokenRejected   Telegram refused the bot token (mistyped or revoked)
"""

from __future__ import annotations

from dialogs.errors import CrossroadsError


class BotError(CrossroadsError):
    """Base class of the bot package's errors."""


class ConfigError(BotError):
    """The environment does not describe a runnable configuration."""


class TokenRejected(BotError):
    """Telegram answered 401 Unauthorized: the token is wrong or was revoked. The message never
    contains the token."""

    def __init__(self) -> None:
        super().__init__("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN). It is mistyped or was revoked: "
                         "get the current token from @BotFather, set TELEGRAM_BOT_TOKEN to it, and start again.")
