"""Entry point: ``python -m bot`` runs Telegram when TELEGRAM_BOT_TOKEN is set, else the console.

Tools for operators and content editors share it: ``python -m bot check-content [DIR]``,
``python -m bot diagram``, ``python -m bot stats [--days N]``, ``python -m bot train`` (the
understanding models, with scikit-learn) and ``python -m bot eval`` (their figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from pathlib import Path

from bot.errors import ConfigError, TokenRejected
from bot.logging_setup import configure_logging
from bot.settings import Settings
from dialogs.errors import ContentError, StorageError

EXIT_CONFIG = 2
EXIT_INVALID_CONTENT = 1
EXIT_TOKEN_REJECTED = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line flags and tools."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Crossroads career-decision chatbot")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--console", action="store_true", help="chat in this terminal instead of Telegram")
    mode.add_argument("--webhook", action="store_true", help="require webhook mode (fails unless WEBHOOK_URL is set)")
    parser.add_argument("--lang", default="", help="the console's language (default: from LANG), e.g. es, pt, ru")
    tools = parser.add_subparsers(dest="tool", metavar="TOOL")
    check = tools.add_parser("check-content", help="validate a content folder (exit 1 with file:key errors)")
    check.add_argument("directory", nargs="?", default=None, help="the folder (default: the shipped content)")
    tools.add_parser("diagram", help="print the dialog machine as a Mermaid diagram")
    stats = tools.add_parser("stats", help="the funnel and outcomes from the anonymous event log")
    stats.add_argument("--days", type=int, default=None, help="one window of N days (default: 7 and 30)")
    stats.add_argument("--csv", action="store_true",
                       help="write CSV to stdout instead: one table with the columns section, days, subject, "
                            "measure, value; sections funnel, question (subject: question id), outcome (subject: "
                            "path) and verdict (subject: recommended path; votes, agreed, agreement_rate, "
                            "instead:<path>); rates as fractions")
    train = tools.add_parser("train", help="train the understanding models (content/nlu/<language>.json)")
    train.add_argument("languages", nargs="*", help="only these languages (default: all)")
    tools.add_parser("eval", help="the understanding figures per language (python -m bot eval --help)",
                     add_help=False)
    args, rest = parser.parse_known_args(argv)
    if rest and args.tool != "eval":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args


async def _console(settings: Settings, language: str, announce: bool) -> int:
    from bot.console import run_console
    from bot.serving import shut_down
    from bot.wiring import build_crossroads

    crossroads = await build_crossroads(settings, telegram=False)
    service = crossroads.service
    language = service.language_for(language)
    if announce:
        print(service.engine_for(language).content.texts["console_needs_token"], flush=True)
    gc.enable()
    try:
        return await run_console(service, language, sys.stdin, sys.stdout)
    finally:
        await shut_down(crossroads)


async def print_stats(settings: Settings, days: int | None, as_csv: bool = False) -> int:
    """`python -m bot stats`: the figures for 7 and 30 days (or N), from the configured store,
    as text or (``--csv``) as one CSV table."""
    from bot.content_files.loader import load_content
    from bot.wiring import open_store
    from dialogs.operator_report import DEFAULT_WINDOWS, collect, format_figures, write_csv

    content = load_content(settings.content_dir)
    store = await open_store(settings)
    try:
        windows = (days,) if days else DEFAULT_WINDOWS
        figures = await collect(store, [q.id for q in content.questions], windows)
        if as_csv:
            write_csv(figures, sys.stdout)
            return 0
        for window in figures:
            print(format_figures(content, window))
            print()
    finally:
        await store.close()
    return 0


def check_content(directory: str | None) -> int:
    """Validate a content folder; print what is wrong as file:key: problem."""
    from bot.content_files.loader import load_languages

    try:
        languages = load_languages(Path(directory) if directory else None)
    except ContentError as error:
        print(f"{error.file}:{error.key}: {error.problem}" if error.key else f"{error.file}: {error.problem}",
              file=sys.stderr)
        return EXIT_INVALID_CONTENT
    print(f"content is valid: {len(next(iter(languages.values())).questions)} questions, languages "
          + ", ".join(languages))
    return 0


def diagram(settings: Settings) -> int:
    """The dialog machine as Mermaid."""
    from bot.content_files.loader import load_languages
    from dialogs.diagram import mermaid

    sys.stdout.write(mermaid(load_languages(settings.content_dir)["en"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Start Crossroads (or run a tool); returns the process exit status."""
    # Start-up allocates much and frees little: no collections until ready (serve() re-enables
    # them after freezing the start-up objects); a measured part of the cold start. So the
    # content, the core and Telegram are imported only from here on, not at this module's top.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    if args.tool == "check-content":
        return check_content(args.directory)
    if args.tool == "train":
        from bot.nlu_training import main as train

        return train(args.languages)
    if args.tool == "eval":
        from bot.nlu_eval import main as evaluate

        return evaluate(args.rest)
    try:
        settings = Settings.from_env(os.environ)
        if args.tool == "diagram":
            return diagram(settings)
        if args.tool == "stats":
            return asyncio.run(print_stats(settings, args.days, args.csv))
        if args.webhook and not (settings.token and settings.webhook_url):
            raise ConfigError("--webhook needs TELEGRAM_BOT_TOKEN and WEBHOOK_URL")
        console = args.console or not settings.token
        configure_logging("WARNING" if console else settings.log_level, [settings.token, settings.webhook_secret])
        if console:
            return asyncio.run(_console(settings, args.lang or settings.console_language, announce=not args.console))
        from bot.serving import run_telegram

        return run_telegram(settings)
    except (ConfigError, ContentError, StorageError) as error:
        print(f"Crossroads cannot start: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except TokenRejected as error:
        print(f"Crossroads stopped: {error}", file=sys.stderr)
        return EXIT_TOKEN_REJECTED
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
