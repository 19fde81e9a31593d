"""The webhook-workers benchmark round (``python -m bench.workers_round``) runs end to end: real
``python -m bot --webhook`` workers behind the driver's round robin, every update answered 200,
every quiz given its result, the workers stopped cleanly. No timing is asserted."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bench.plan import UPDATES_PER_QUIZ
from tests import pgtest
from tests.conftest import PYTHON

REPO_ROOT = Path(__file__).resolve().parents[1]
QUIZZES = 4


def run_round(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One small round (no warm-up); its JSON figures, once it exited 0."""
    done = subprocess.run([PYTHON, "-m", "bench.workers_round", *args, "--users", "4", "--quizzes", str(QUIZZES),
                           "--warm-up", "0"], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def assert_complete(figures: dict[str, Any], workers: int) -> None:
    assert figures["workers"] == workers
    assert figures["updates"] == QUIZZES * UPDATES_PER_QUIZ
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["results_sent"] == figures["quizzes_run"] == QUIZZES
    assert figures["worker_exit_statuses"] == [0] * workers


def test_one_worker_on_sqlite() -> None:
    figures = run_round("--db", "sqlite", "--workers", "1")
    assert_complete(figures, 1)
    assert figures["db_cpu_ms_per_update"] == 0


async def bench_databases(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'crossroads\\_bench\\_%'")
    finally:
        await connection.close()
    return {row[0] for row in rows}


@pytest.mark.postgres
def test_two_workers_on_postgres_and_the_database_is_dropped() -> None:
    admin = pgtest.admin_url()
    before = asyncio.run(bench_databases(admin))
    figures = run_round("--db", "postgres", "--workers", "2", env={**os.environ, "BENCH_DATABASE_URL": admin})
    assert_complete(figures, 2)
    assert figures["db_backends"] > 0
    assert asyncio.run(bench_databases(admin)) <= before
