"""One measured round of one system in this (fresh) process; prints one JSON line.

    python -m bench.worker --system crossroads --users 50 --quizzes 450 --stored 1000 --state /tmp/x.db

The parent (:mod:`bench.runner`) prepares ``--state`` (a copy of the stored sessions) and
reads the line. Peak RSS is this process's own (VmHWM). What this round shares with the wire
round is in :mod:`bench.worker_common`; here is what differs: the system runs in this process
on the canned transport, and the event loop is watched.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from bench.driver import Driver, Phase
from bench.systems import RunningSystem, start_baseline, start_crossroads
from bench.worker_common import Outcome, peak_rss_mb, round_figures, round_parser, run_worker, warm_up
from bot.content_files.loader import load_content
from dialogs.content import Content


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
        await warm_up(driver, args)
        rss_ready = peak_rss_mb()
        phase: Phase = await driver.measure(args.quizzes, args.users)
    finally:
        await system.stop()
    assert system.transport is not None
    own = {
        "loop_cpu_ms_per_update": phase.loop_cpu_seconds / phase.updates * 1000,
        "process_cpu_ms_per_update": phase.process_cpu_seconds / phase.updates * 1000,
        **asdict(phase.loop),
    }
    outcome = Outcome(peak_rss_mb(), rss_ready, len(system.errors), system.errors[0] if system.errors else None,
                      driver.results_sent, driver.quizzes_run, dict(system.transport.calls), system.notes)
    return round_figures("core", args, phase.latencies, phase.seconds, own, outcome)


def main(argv: list[str] | None = None) -> int:
    """Run one round and print its JSON line."""
    return run_worker(round_parser("python -m bench.worker", __doc__), run_round, argv)


if __name__ == "__main__":
    sys.exit(main())
