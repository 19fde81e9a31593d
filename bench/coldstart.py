"""Cold start: this process, from its start until it is ready to take updates; prints
``READY <time.monotonic()>`` (the parent took the same clock just before spawning it).

    python -m bench.coldstart bare [--api-url URL]                      a bare python-telegram-bot Application
    python -m bench.coldstart crossroads --state X.db [--api-url URL]   Crossroads as serve() starts it

With ``--api-url`` (what ``python -m bench`` does) each runs on its real HTTP client (the bare
one on python-telegram-bot's default HTTPXRequest, Crossroads on what it ships) against that Bot
API server; without, on the canned transport. "ready" is: the Application initialized (getMe)
and started, and for Crossroads also the content of every language loaded and validated, the
store opened (migrated, expired sessions purged) and the bot's profile (command menus,
descriptions) published, as serve() does (serve() also starts its check-in task: not timed). Shutting down is not timed.
"""

from __future__ import annotations

import sys
import time

# The imports each kind needs happen inside it, so that they are timed like the rest.


async def _bare(api_url: str | None) -> float:
    from telegram.ext import ApplicationBuilder

    from bench.transport import BOT_TOKEN, CannedRequest

    builder = ApplicationBuilder().token(BOT_TOKEN)
    if api_url is None:
        builder = builder.request(CannedRequest()).get_updates_request(CannedRequest())
    else:
        builder = builder.base_url(f"{api_url}/bot")
    application = builder.build()
    await application.initialize()
    await application.start()
    ready = time.monotonic()
    await application.stop()
    await application.shutdown()
    return ready


async def _crossroads(database: str, api_url: str | None) -> float:
    import gc

    import bot.__main__  # noqa: F401 - what python -m bot imports before main() runs

    gc.disable()  # as bot.__main__.main does; serve() freezes and re-enables once started
    import os

    from bench.transport import BOT_TOKEN, CannedRequest
    from bot.logging_setup import configure_logging
    from bot.serving import freeze_start_up, shut_down, start_telegram
    from bot.settings import DEFAULT_API_URL, Settings
    from bot.wiring import build_crossroads

    # Configured from the environment as production is (the content cache's folder included).
    settings = Settings.from_env({**os.environ, "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "DATABASE_URL": f"sqlite:///{database}",
                                  "TELEGRAM_API_URL": api_url or DEFAULT_API_URL})
    configure_logging(settings.log_level, [settings.token])
    canned = api_url is None
    crossroads = await build_crossroads(settings, transport=CannedRequest() if canned else None,
                                        updates_transport=CannedRequest() if canned else None)
    await start_telegram(crossroads)
    freeze_start_up()
    ready = time.monotonic()
    await shut_down(crossroads)
    return ready


def main(argv: list[str]) -> int:
    """Start the named kind, print when it was ready."""
    import asyncio

    api_url = None
    if argv[-2:-1] == ["--api-url"]:
        api_url, argv = argv[-1], argv[:-2]
    if argv[:1] == ["bare"] and len(argv) == 1:
        ready = asyncio.run(_bare(api_url))
    elif argv[:1] == ["crossroads"] and len(argv) == 3 and argv[1] == "--state":
        ready = asyncio.run(_crossroads(argv[2], api_url))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"READY {ready!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
