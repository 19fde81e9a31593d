"""The bot process of a wire round: one system on its real HTTP client, long polling the
benchmark's Bot API server, until SIGTERM; then one JSON line (its errors) on stdout.

    python -m bench.wire_bot --system a --api-url http://127.0.0.1:PORT --done-fd 5

The end of each update (its last handler group ran) is written as ``<update_id>\\n`` to
``--done-fd`` (a pipe the driver reads): a few microseconds, the same for every system, and no
extra Bot API call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from telegram import Update

from bench.systems import SYSTEMS, RunningSystem, start_baseline, start_crossroads
from bench.transport import BOT_TOKEN
from bot.content_files.loader import load_content
from bot.logging_setup import configure_logging
from bot.settings import DEFAULT_LOG_LEVEL


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(prog="python -m bench.wire_bot", description=__doc__)
    parser.add_argument("--system", choices=SYSTEMS, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--done-fd", type=int, required=True)
    parser.add_argument("--stored", type=int, default=0)
    parser.add_argument("--state", type=Path)
    parser.add_argument("--baseline-concurrency", type=int, default=1)
    parser.add_argument("--log-level", default=DEFAULT_LOG_LEVEL)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> dict[str, object]:
    """Run the system until SIGTERM; what went wrong, if anything."""
    done_fd = args.done_fd

    def on_done(update: Update) -> None:
        os.write(done_fd, b"%d\n" % update.update_id)

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    system: RunningSystem
    if args.system == "crossroads":
        system = await start_crossroads(args.state, on_done, api_url=args.api_url)
    else:
        system = await start_baseline(load_content(), durable=args.system == "b", stored=args.stored,
                                      pickle_path=args.state, on_done=on_done,
                                      concurrency=args.baseline_concurrency, api_url=args.api_url)
    try:
        await stop.wait()
    finally:
        await system.stop()
    return {"errors": len(system.errors), "first_error": system.errors[0] if system.errors else None,
            "notes": system.notes}


def main(argv: list[str] | None = None) -> int:
    """Serve, then print the JSON line."""
    args = parse_args(argv)
    configure_logging(args.log_level, [BOT_TOKEN])
    figures = asyncio.run(serve(args))
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
