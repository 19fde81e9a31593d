"""One measured round of one system in this (fresh) process; prints one JSON line.

    python -m bench.worker --system crossroads --users 50 --quizzes 450 --stored 1000 --state /tmp/x.db

The parent (:mod:`bench.runner`) prepares ``--state`` (a copy of the stored sessions) and
reads the line. Peak RSS is this process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.driver import WARM_UP_USERS, Driver, Phase, round_parser
from bench.stats import latency_figures, print_round
from bench.systems import RunningSystem, start_baseline, start_crossroads
from bench.transport import BOT_TOKEN
from bot.content_files.loader import load_content
from bot.logging_setup import configure_logging
from dialogs.content import Content


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags."""
    return round_parser("python -m bench.worker", __doc__).parse_args(argv)


def peak_rss_mb() -> float:
    """This process's peak resident set size: VmHWM of its own address space.

    (``ru_maxrss`` would not do on Linux: fork and exec carry the parent's peak over, and the
    parent that prepared 100,000 stored sessions is bigger than some children.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _start(args: argparse.Namespace, content: Content, driver: Driver) -> RunningSystem:
    if args.system == "crossroads":
        return await start_crossroads(args.state, driver.on_done)
    return await start_baseline(content, durable=args.system == "b", stored=args.stored, pickle_path=args.state,
                                on_done=driver.on_done, concurrency=args.baseline_concurrency)


async def run_round(args: argparse.Namespace) -> dict[str, Any]:
    """Start the system, warm it up, measure, stop; the figures as a dict."""
    content = load_content()
    driver = Driver(len(content.questions), seed=args.seed)
    system = await _start(args, content, driver)
    driver.attach(system)
    try:
        if args.warm_up:
            await driver.run(args.warm_up, min(WARM_UP_USERS, args.users))
        rss_ready = peak_rss_mb()
        phase: Phase = await driver.measure(args.quizzes, args.users)
    finally:
        await system.stop()
    assert system.transport is not None
    return {
        "mode": "core", "system": args.system, "users": args.users, "stored": args.stored, "quizzes": args.quizzes,
        **latency_figures(phase.latencies, phase.seconds),
        "loop_cpu_ms_per_update": phase.loop_cpu_seconds / phase.updates * 1000,
        "process_cpu_ms_per_update": phase.process_cpu_seconds / phase.updates * 1000,
        **asdict(phase.loop),
        "peak_rss_mb": peak_rss_mb(), "peak_rss_before_measuring_mb": rss_ready,
        "errors": len(system.errors), "first_error": system.errors[0] if system.errors else None,
        "results_sent": driver.results_sent, "quizzes_run": driver.quizzes_run,
        "api_calls": dict(system.transport.calls), "notes": system.notes,
    }


def main(argv: list[str] | None = None) -> int:
    """Run one round and print its JSON line."""
    args = parse_args(argv)
    configure_logging(args.log_level, [BOT_TOKEN])
    figures = asyncio.run(run_round(args))
    return print_round(figures)


if __name__ == "__main__":
    sys.exit(main())
