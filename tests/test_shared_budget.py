"""The flood budget shared by webhook workers through PostgreSQL: slots handed out in turn to every
store on the database, a burst saved up while idle, and a 429 pause that reaches them all; and
the same slots in memory for one process."""

from __future__ import annotations

import time

import pytest

from bot.flood_control import FloodControl, FloodLimits, LocalBudget, SharedBudget
from bot.storage.postgres import PostgresSessionStore

INTERVAL = 0.1  # ten calls a second
TOLERANCE = 0.2  # three at once after a pause


@pytest.mark.postgres
async def test_two_workers_draw_from_one_budget(postgres_url: str) -> None:
    first, second = PostgresSessionStore(postgres_url), PostgresSessionStore(postgres_url)
    await first.open()
    await second.open()
    try:
        assert isinstance(first, SharedBudget)
        waits = []
        for _ in range(4):  # alternating workers, as behind a round-robin balancer
            waits.append(await first.reserve_send_slot(INTERVAL, TOLERANCE))
            waits.append(await second.reserve_send_slot(INTERVAL, TOLERANCE))
        # The first three go at once (the burst); every later one is one interval after the one
        # before, whichever worker asked: one rate for both, not one each.
        assert all(wait <= 0 for wait in waits[:3])
        late = waits[3:]
        assert all(wait > 0 for wait in late)
        for earlier, later in zip(late, late[1:]):
            assert later - earlier == pytest.approx(INTERVAL, abs=0.03)
        await second.hold_sends(1.0)  # Telegram said 429 to the second worker
        assert await first.reserve_send_slot(INTERVAL, TOLERANCE) >= 0.9
    finally:
        await first.close()
        await second.close()


async def test_the_local_budget_hands_out_the_same_slots() -> None:
    now = [100.0]
    budget = LocalBudget(lambda: now[0])
    waits = [await budget.reserve_send_slot(INTERVAL, TOLERANCE) for _ in range(6)]
    assert waits[:3] == [pytest.approx(-0.2), pytest.approx(-0.1), pytest.approx(0.0, abs=1e-9)]
    assert waits[3:] == [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3)]
    now[0] += 10  # idle: the burst is back, no more
    assert [await budget.reserve_send_slot(INTERVAL, TOLERANCE) <= 1e-9 for _ in range(4)] == [True] * 3 + [False]


async def test_an_unreachable_shared_budget_falls_back_to_pacing_alone() -> None:
    class Away:
        async def reserve_send_slot(self, interval: float, tolerance: float) -> float:
            raise ConnectionError("the database is away")

        async def hold_sends(self, seconds: float) -> None:
            raise ConnectionError("the database is away")

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    flood = FloodControl(FloodLimits(messages_per_second=10, burst=3, chat_messages_per_second=100, chat_burst=100),
                         clock=time.monotonic, sleep=sleep, shared=Away())
    for chat in range(10):
        await flood.before(chat)  # never raises: replies go on, paced by this process
    assert slept  # and they are still paced
    await flood.pause(0.01)
