"""The bot package's error tree.

    BotError
     └── ConfigError   an environment variable is missing or malformed
"""

from __future__ import annotations

from dialogs.errors import CrossroadsError


class BotError(CrossroadsError):
    """Base class of the bot package's errors."""


class ConfigError(BotError):
    """The environment does not describe a runnable configuration."""
