"""What the two kinds of measured round share: :mod:`bench.worker` (the system in this process, on
the canned transport) and :mod:`bench.wire_worker` (the system in a child process, on real HTTP).

Their flags, the warm-up, a process's CPU time and peak RSS read from ``/proc``, the fields every
round reports (:func:`round_figures`), and :func:`run_worker` (logging configured as production
does, the round run, its JSON line printed). Only what this process already imports for the
system in-process is imported here, so the core round's peak RSS is not changed by it.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.driver import Driver
from bench.stats import latency_figures, print_round
from bench.systems import SYSTEMS
from bench.transport import BOT_TOKEN
from bot.logging_setup import configure_logging
from bot.settings import DEFAULT_LOG_LEVEL

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: Unmeasured quizzes before a round's measured phase, and how many people play them at once.
WARM_UP_QUIZZES = 16
WARM_UP_USERS = 8
Round = Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]]


def round_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The flags of one measured round of a system (python -m bench.worker, bench.wire_worker)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--system", choices=SYSTEMS, required=True)
    parser.add_argument("--users", type=int, required=True, help="people in flight at once")
    parser.add_argument("--quizzes", type=int, required=True, help="measured quizzes (8 updates each)")
    parser.add_argument("--stored", type=int, default=0, help="sessions stored before the round")
    parser.add_argument("--state", type=Path, help="SQLite file (crossroads) or pickle file (b)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warm-up", type=int, default=WARM_UP_QUIZZES, help="unmeasured quizzes first")
    parser.add_argument("--baseline-concurrency", type=int, default=1,
                        help="concurrent_updates for baselines (1: python-telegram-bot's default, sequential)")
    parser.add_argument("--log-level", default=DEFAULT_LOG_LEVEL, help="root log level, as production (stderr)")
    return parser


async def warm_up(driver: Driver, args: argparse.Namespace) -> None:
    """The ``--warm-up`` quizzes, at most :data:`WARM_UP_USERS` people at once."""
    if args.warm_up:
        await driver.run(args.warm_up, min(WARM_UP_USERS, args.users))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads, the finished ones included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def peak_rss_mb(pid: int | None = None) -> float:
    """The peak resident set size (VmHWM) of process ``pid``, this one by default.

    (``ru_maxrss`` would not do on Linux: fork and exec carry the parent's peak over, and the
    parent that prepared 100,000 stored sessions is bigger than some children. It stands in for
    this process only where there is no ``/proc``.)"""
    try:
        status = Path(f"/proc/{'self' if pid is None else pid}/status").read_text()
    except OSError:
        if pid is not None:
            raise
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


@dataclass(frozen=True)
class Outcome:
    """How a round ended: the fields every round reports after its own figures (in this order)."""

    peak_rss_mb: float
    peak_rss_before_measuring_mb: float
    errors: int
    first_error: str | None
    results_sent: int
    quizzes_run: int
    api_calls: dict[str, int]
    notes: dict[str, str]


def round_figures(mode: str, args: argparse.Namespace, latencies: Sequence[float], seconds: float,
                  own: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """A round's JSON line as a dict: what was run, the latencies, the mode's ``own`` figures, the outcome."""
    return {
        "mode": mode, "system": args.system, "users": args.users, "stored": args.stored, "quizzes": args.quizzes,
        **latency_figures(latencies, seconds), **own, **asdict(outcome),
    }


def run_worker(parser: argparse.ArgumentParser, run_round: Round, argv: list[str] | None) -> int:
    """Parse the flags, configure logging as production does, run one round and print its JSON
    line; the exit status of :func:`bench.stats.print_round`."""
    args = parser.parse_args(argv)
    configure_logging(args.log_level, [BOT_TOKEN])
    return print_round(asyncio.run(run_round(args)))
