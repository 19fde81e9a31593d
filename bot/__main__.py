"""Entry point: ``python -m bot`` runs Telegram when TELEGRAM_BOT_TOKEN is set, else the console."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot.errors import ConfigError
from bot.logging_setup import configure_logging
from bot.settings import Settings
from dialogs.content_loader import load_content
from dialogs.errors import ContentError, StorageError

EXIT_CONFIG = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Crossroads career-decision chatbot")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--console", action="store_true", help="chat in this terminal instead of Telegram")
    mode.add_argument("--webhook", action="store_true", help="require webhook mode (fails unless WEBHOOK_URL is set)")
    return parser.parse_args(argv)


async def _console(settings: Settings, announce: bool) -> int:
    from bot.console import run_console
    from bot.wiring import open_service

    content = load_content(settings.content_dir)
    if announce:
        print(content.texts["console_needs_token"], flush=True)
    service = await open_service(settings, content)
    try:
        return await run_console(service, content, sys.stdin, sys.stdout)
    finally:
        await service.close()


def main(argv: list[str] | None = None) -> int:
    """Start Crossroads; returns the process exit status."""
    args = parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
        if args.webhook and not (settings.token and settings.webhook_url):
            raise ConfigError("--webhook needs TELEGRAM_BOT_TOKEN and WEBHOOK_URL")
        console = args.console or not settings.token
        configure_logging("WARNING" if console else settings.log_level, [settings.token, settings.webhook_secret])
        if args.console or not settings.token:
            return asyncio.run(_console(settings, announce=not args.console))
        from bot.telegram_app import run_telegram

        return run_telegram(settings, load_content(settings.content_dir))
    except (ConfigError, ContentError, StorageError) as error:
        print(f"Crossroads cannot start: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
