"""Cold start: this process, from its start until it is ready to take updates; prints
``READY <time.monotonic()>`` (the parent took the same clock just before spawning it).

    python -m bench.coldstart bare                      a bare python-telegram-bot Application
    python -m bench.coldstart crossroads --state X.db   Crossroads as serve() starts it

Both use the canned transport; "ready" is: the Application initialized (getMe) and started,
and for Crossroads also the content loaded and validated, the store opened (migrated,
expired sessions purged) and the command menu registered. Shutting down is not timed.
"""

from __future__ import annotations

import sys
import time

# The imports each kind needs happen inside it, so that they are timed like the rest.


async def _bare() -> float:
    from telegram.ext import ApplicationBuilder

    from bench.transport import BOT_TOKEN, CannedRequest

    application = ApplicationBuilder().token(BOT_TOKEN).request(CannedRequest()).get_updates_request(
        CannedRequest()).build()
    await application.initialize()
    await application.start()
    ready = time.monotonic()
    await application.stop()
    await application.shutdown()
    return ready


async def _crossroads(database: str) -> float:
    from pathlib import Path

    from bench.crossroads_app import build_crossroads_application
    from bench.transport import BOT_TOKEN, CannedRequest
    from bot.logging_setup import configure_logging
    from bot.settings import Settings
    from bot.telegram_frontend import TelegramFrontEnd
    from bot.wiring import open_service
    from dialogs.content_loader import load_content

    settings = Settings(token=BOT_TOKEN, database=Path(database))
    configure_logging(settings.log_level, [settings.token])
    content = load_content(settings.content_dir)
    front_end = TelegramFrontEnd(content)
    application, _ = build_crossroads_application(settings, front_end, CannedRequest(), CannedRequest())
    service = await open_service(settings, content)
    front_end.attach(service)
    await application.initialize()
    await application.bot.set_my_commands(front_end.bot_commands())
    await application.start()
    ready = time.monotonic()
    await application.stop()
    await application.shutdown()
    await service.close()
    return ready


def main(argv: list[str]) -> int:
    """Start the named kind, print when it was ready."""
    import asyncio

    if argv[:1] == ["bare"]:
        ready = asyncio.run(_bare())
    elif argv[:1] == ["crossroads"] and len(argv) == 3 and argv[1] == "--state":
        ready = asyncio.run(_crossroads(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"READY {ready!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
