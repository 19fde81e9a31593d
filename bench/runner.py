"""The whole run: prepare stored sessions once, run alternating rounds of every system in
fresh child processes, time cold starts, then report."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import report
from bench.plan import B_STORED, Cell, Plan
from bench.population import create_sqlite, fill_sqlite, write_pickle
from bench.wire_api import WireApi
from bot.content_files.loader import load_content

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER_TIMEOUT_SECONDS = 600
COLD_START_TIMEOUT_SECONDS = 60
STDERR_TAIL_CHARS = 3000
Say = Callable[[str], None]


class RunError(RuntimeError):
    """A child process failed; the benchmark's figures would be meaningless."""


def child_environment(work: Path) -> dict[str, str]:
    """The children's environment: this project importable, and compiled bytecode and validated
    content cached (in the work directory) so that every start but the first reads them, as in
    production."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["CROSSROADS_CACHE_DIR"] = str(work / "content-cache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
    return env


class Templates:
    """Stored sessions prepared once per run; each round gets a fresh file copy."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def sqlite(self, stored: int) -> Path:
        """The Crossroads database with ``stored`` sessions."""
        return self.work / f"crossroads-{stored}.db"

    def pickle(self, stored: int) -> Path:
        """Baseline B's pickle file with ``stored`` sessions."""
        return self.work / f"baseline-b-{stored}.pickle"

    def prepare(self, stored_levels: tuple[int, ...], say: Say) -> dict[str, float]:
        """Build every template; seconds each took."""
        content = load_content()
        timings: dict[str, float] = {}
        for stored in sorted({0, *stored_levels}):
            started = time.perf_counter()
            path = self.sqlite(stored)
            asyncio.run(create_sqlite(path))
            if stored:
                fill_sqlite(path, content, stored)
            timings[path.name] = time.perf_counter() - started
            say(f"  prepared {path.name} ({stored:,} sessions, {path.stat().st_size / 1e6:.1f} MB) "
                f"in {timings[path.name]:.1f} s")
        started = time.perf_counter()
        asyncio.run(write_pickle(self.pickle(B_STORED), content, B_STORED))
        timings[self.pickle(B_STORED).name] = time.perf_counter() - started
        return timings

    def copy_for(self, cell: Cell, name: str) -> Path | None:
        """A fresh copy of the cell's stored sessions (baseline A keeps them in memory; webhook
        workers start on an empty database)."""
        if cell.system == "a" or cell.mode == "workers":
            return None
        template = self.sqlite(cell.stored) if cell.system == "crossroads" else self.pickle(cell.stored)
        target = self.work / f"{name}{template.suffix}"
        shutil.copyfile(template, target)
        return target


def _remove_state(path: Path | None) -> None:
    if path is None:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_worker(cell: Cell, state: Path | None, plan: Plan, seed: int, env: dict[str, str], log: Path) -> dict[str, Any]:
    """One measured round in a fresh process; its JSON figures."""
    load = ["--users", str(cell.users), "--quizzes", str(cell.quizzes), "--seed", str(seed)]
    if cell.mode == "workers":
        command = [sys.executable, "-m", "bench.workers_round", "--db", cell.system, "--workers", str(cell.workers),
                   *load]
    else:
        module = "bench.wire_worker" if cell.mode == "wire" else "bench.worker"
        command = [sys.executable, "-m", module, "--system", cell.system, *load, "--stored", str(cell.stored),
                   "--warm-up", str(plan.warm_up)]
    if state is not None:
        command += ["--state", str(state)]
    with log.open("w") as stderr:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=PROJECT_ROOT, env=env,
                              timeout=WORKER_TIMEOUT_SECONDS, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = log.read_text(errors="replace")[-STDERR_TAIL_CHARS:]
        raise RunError(f"{' '.join(command[2:])} failed with exit status {done.returncode}:\n{done.stdout}{tail}")
    log.unlink()
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def run_rounds(plan: Plan, templates: Templates, env: dict[str, str], say: Say) -> list[dict[str, Any]]:
    """Every round: all cells, systems alternating (A, B, Crossroads, A, B, Crossroads, ...)."""
    results = []
    cells = plan.cells()
    for round_index in range(plan.rounds):
        for cell in cells:
            name = f"r{round_index}-{cell.mode}-{cell.system}{cell.workers or ''}-{cell.users}-{cell.stored}"
            state = templates.copy_for(cell, name)
            try:
                figures = run_worker(cell, state, plan, seed=round_index + 1, env=env, log=templates.work / f"{name}.log")
            finally:
                _remove_state(state)
            figures["round"] = round_index + 1
            results.append(figures)
            say(f"  round {round_index + 1}/{plan.rounds}  {cell.mode:<4} {cell.users:>3} in flight  "
                f"{cell.stored:>7,} stored  "
                f"{figures['system']:<11} {figures['updates_per_second']:7.0f} updates/s  p50 {figures['p50_ms']:7.2f} ms  "
                f"p99 {figures['p99_ms']:7.2f} ms  RSS {figures['peak_rss_mb']:5.1f} MB")
    return results


def time_cold_start(arguments: list[str], env: dict[str, str]) -> float:
    """Seconds from just before spawning ``python -m bench.coldstart ...`` until it is ready."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bench.coldstart", *arguments], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=COLD_START_TIMEOUT_SECONDS, check=False)
    ready = [line for line in done.stdout.splitlines() if line.startswith("READY ")]
    if done.returncode != 0 or not ready:
        raise RunError(f"cold start {' '.join(arguments)} failed:\n{done.stdout}{done.stderr[-STDERR_TAIL_CHARS:]}")
    return float(ready[-1].split()[1]) - started


class ServerThread:
    """The wire benchmark's Bot API server on its own event loop in a thread of this process, for
    the cold starts (each start reaches it over real HTTP with its own transport)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._api = WireApi()

    def __enter__(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._api.start(), self._loop).result(30)
        return self._api.url

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._api.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


def run_cold_starts(plan: Plan, templates: Templates, env: dict[str, str], say: Say) -> dict[str, Any]:
    """Bare python-telegram-bot, Crossroads with 0 and with the most stored sessions,
    alternating; the first (bytecode-compiling) start of each is discarded. Each starts on its
    real HTTP client against the benchmark's Bot API server (getMe, and Crossroads'
    setMyCommands, over HTTP)."""
    with ServerThread() as api_url:
        return _cold_starts(plan, templates, env, say, api_url)


def _cold_starts(plan: Plan, templates: Templates, env: dict[str, str], say: Say, api_url: str) -> dict[str, Any]:
    most = max(plan.stored)
    databases = {0: templates.work / "cold-0.db", most: templates.work / f"cold-{most}.db"}
    for stored, path in databases.items():
        shutil.copyfile(templates.sqlite(stored), path)
    url = ["--api-url", api_url]
    kinds = {"bare": ["bare", *url], "crossroads_0": ["crossroads", "--state", str(databases[0]), *url],
             f"crossroads_{most}": ["crossroads", "--state", str(databases[most]), *url],
             # The first start after a deploy: the content is parsed and validated in full.
             f"crossroads_0{report.UNCACHED_SUFFIX}": ["crossroads", "--state", str(databases[0]), *url]}
    uncached = {**env, "CROSSROADS_CACHE_DIR": "off"}
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    for attempt in range(plan.cold_starts + 1):
        for kind, arguments in kinds.items():
            seconds = time_cold_start(arguments, uncached if kind.endswith(report.UNCACHED_SUFFIX) else env)
            if attempt:
                samples[kind].append(seconds)
    for path in databases.values():
        _remove_state(path)
    medians = {kind: statistics.median(values) for kind, values in samples.items()}
    say("  cold start medians: " + ", ".join(f"{kind} {seconds:.3f} s" for kind, seconds in medians.items()))
    return {"samples_s": samples, "median_s": medians, "stored": most}


def warm_bytecode(templates: Templates, env: dict[str, str]) -> None:
    """Compile every module once (into the work directory's cache) before anything is timed."""
    time_cold_start(["bare"], env)
    scratch = templates.work / "warm.db"
    shutil.copyfile(templates.sqlite(0), scratch)
    time_cold_start(["crossroads", "--state", str(scratch)], env)
    _remove_state(scratch)
    subprocess.run([sys.executable, "-c", "import bench.worker, bench.wire_worker, bench.wire_bot"], cwd=PROJECT_ROOT,
                   env=env, check=True)
