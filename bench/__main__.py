"""python -m bench: measure Crossroads against two python-telegram-bot baselines (a
ConversationHandler in memory, and with PicklePersistence) and print and save the figures.
See the README's "Benchmark" section."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import telegram

from bench import report
from bench.plan import WORKER_CONFIGS, Plan, full_plan, quick_plan
from bench.runner import PROJECT_ROOT, RunError, Templates, child_environment, run_cold_starts, run_rounds, warm_bytecode

DEFAULT_OUT = PROJECT_ROOT / "bench" / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: few updates, 1 round, 3 cold starts")
    parser.add_argument("--rounds", type=int, help="rounds per system and configuration (default 3; 1 with --quick)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results file (default {DEFAULT_OUT})")
    parser.add_argument("--work-dir", type=Path,
                        help="where the databases live during the run (default: the system temp dir); "
                             "put it on the disk production uses, fsync cost depends on it")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold-start timings")
    parser.add_argument("--mode", choices=("both", "wire", "core", "workers", "capacity"), default="both",
                        help="wire (each system on its real HTTP client against a Bot API server in another process; "
                             "the headline), core (in-process, canned transport), or both (default); workers: "
                             "Crossroads' webhook workers, one on SQLite against 1, 2 and 4 on PostgreSQL "
                             "(BENCH_DATABASE_URL), never part of both; capacity: quizzes a second under "
                             "Telegram's flood limits, 200 people (see bench/capacity.py)")
    return parser.parse_args(argv)


def filesystem_of(path: Path) -> str:
    """The filesystem type ``path`` lives on (from /proc/mounts), or 'unknown'."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    resolved = str(path.resolve())
    best = max((m for m in mounts if resolved == m[0] or resolved.startswith(m[0].rstrip("/") + "/")),
               key=lambda m: len(m[0]), default=None)
    return best[1] if best else "unknown"


def git_state() -> dict[str, Any]:
    """The commit measured, and how many files differ from it (others may be editing)."""
    def git(*arguments: str) -> str:
        try:
            done = subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    status = git("status", "--porcelain", "--", "bot", "dialogs", "content", "pyproject.toml")
    return {"commit": git("rev-parse", "HEAD") or None,
            "changed_files": len(status.splitlines()) if status else 0}


def metadata(plan: Plan, work: Path, argv: list[str]) -> dict[str, Any]:
    """Where and how the figures were taken."""
    return {
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *argv]),
        "python": platform.python_version(), "python_telegram_bot": telegram.__version__,
        "platform": platform.platform(), "cpus": os.cpu_count(),
        "work_dir_filesystem": filesystem_of(work), "git": git_state(), "load_average_before": os.getloadavg(),
        "plan": {"rounds": plan.rounds, "quizzes_per_round": plan.quizzes, "b_quizzes_per_round": plan.b_quizzes,
                 "updates_per_quiz": 8, "warm_up_quizzes": plan.warm_up, "cold_starts": plan.cold_starts,
                 "users": plan.users, "stored": plan.stored, "modes": plan.modes,
                 "wire_quizzes_per_round": plan.wire_quizzes, "wire_users": plan.wire_users,
                 "wire_stored": plan.wire_stored, "workers_quizzes_per_round": plan.workers_quizzes,
                 "workers_users": plan.workers_users, "workers_configurations": WORKER_CONFIGS},
    }


def main(argv: list[str] | None = None) -> int:
    """Run everything; 0 when the run completed (whatever the targets say)."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.mode == "capacity":
        from bench.capacity import main as capacity

        return capacity(["--people", "40"] if args.quick else [])
    modes = ("wire", "core") if args.mode == "both" else (args.mode,)
    plan = quick_plan(args.rounds or 1, modes) if args.quick else full_plan(args.rounds or 3, modes)

    def say(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crossroads-bench-", dir=args.work_dir) as directory:
        work = Path(directory)
        meta = metadata(plan, work, argv)
        env = child_environment(work)
        templates = Templates(work)
        workers_only = modes == ("workers",)  # its databases start empty; its start-up is not timed
        try:
            if not workers_only:
                say(f"Preparing stored sessions in {work} ({meta['work_dir_filesystem']})")
                meta["preparation_s"] = templates.prepare(plan.stored, say)
                warm_bytecode(templates, env)
            say(f"Measuring: {plan.rounds} round(s), systems alternating, each round in a fresh process")
            results = run_rounds(plan, templates, env, say)
            cold = None if args.no_cold_start or workers_only else run_cold_starts(plan, templates, env, say)
        except RunError as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            return 1
    meta["runtime_s"] = time.perf_counter() - started
    meta["load_average_after"] = os.getloadavg()
    wire = [r for r in results if r.get("mode") == "wire"]
    core = [r for r in results if r.get("mode") == "core"]
    workers = [r for r in results if r.get("mode") == "workers"]
    workers_summary = report.summarise(workers, report.WORKERS_MEDIAN_FIELDS, ())
    workers_rows = report.workers_ratios(workers_summary, plan.workers_users)
    wire_summary = report.summarise(wire, report.WIRE_MEDIAN_FIELDS, ())
    wire_rows = report.wire_ratios(wire_summary, plan.wire_users, plan.wire_stored)
    summary = report.summarise(core)
    ratio_rows = report.ratios(summary, plan.users, plan.stored) if core else []
    report.add_paired_ratios(ratio_rows, core)
    flat_rows = report.flatness(summary, plan.users, min(plan.stored), max(plan.stored)) if core else []
    checked = report.wire_targets(wire_rows) if wire else []
    checked += report.cold_targets(cold)
    checked += report.targets(summary, ratio_rows, flat_rows, cold, plan.stored) if core else []
    if wire:
        say(report.wire_table(wire_summary, wire_rows))
    if core:
        say(report.table(summary, ratio_rows, flat_rows, cold, checked))
    if workers:
        say(report.workers_table(workers_summary, workers_rows))
    if cold or checked:
        say(report.verdicts(cold, checked))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report.document(meta, results, summary, ratio_rows, flat_rows, cold, checked,
                                                   wire_summary, wire_rows, workers_summary, workers_rows), indent=2)
                        + "\n")
    say(f"Figures written to {args.out} (run took {meta['runtime_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
