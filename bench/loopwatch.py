"""Watching the event loop during a measured phase.

- :class:`Ticker`: a task waking every millisecond; its worst lateness is the longest the loop
  could not serve a ready coroutine (a stall, whatever caused it: one long callback, or many
  short ones in one loop iteration).
- :class:`CallbackTimer`: the longest single callback the loop ran (a coroutine step between
  two awaits, for instance): what blocking work, such as synchronous storage, would show as.
- :class:`GcPauses`: the garbage collector's pauses, which count in both of the above.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from asyncio import events
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

TICK_SECONDS = 0.001
STALL_SECONDS = 0.010
DESCRIPTION_CHARS = 200


class Ticker:
    """Wakes every millisecond and records the worst lateness."""

    def __init__(self) -> None:
        self.max_lateness = 0.0
        self.stalls = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = perf_counter()
            await asyncio.sleep(TICK_SECONDS)
            lateness = perf_counter() - before - TICK_SECONDS
            self.max_lateness = max(self.max_lateness, lateness)
            if lateness > STALL_SECONDS:
                self.stalls += 1

    def start(self) -> None:
        """Begin ticking."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def describe(handle: events.Handle) -> str:
    """What a callback was: the coroutine a task step ran, or the callback itself."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(task, asyncio.Task):
        coroutine = task.get_coro()
        return f"task step of {getattr(coroutine, '__qualname__', repr(coroutine))}"[:DESCRIPTION_CHARS]
    return repr(handle)[:DESCRIPTION_CHARS]


class CallbackTimer:
    """Times every callback the event loop runs (by wrapping ``asyncio.Handle._run``, a
    benchmark-only instrument that costs well under a microsecond per callback)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_what = ""
        self.over_stall = 0
        self._original: Callable[[events.Handle], None] | None = None

    def start(self) -> None:
        """Begin timing callbacks."""
        original = events.Handle._run  # noqa: SLF001
        self._original = original
        timer = self

        def timed_run(handle: events.Handle) -> None:
            started = perf_counter()
            original(handle)
            elapsed = perf_counter() - started
            if elapsed > STALL_SECONDS:
                timer.over_stall += 1
            if elapsed > timer.longest:
                timer.longest = elapsed
                timer.longest_what = describe(handle)

        events.Handle._run = timed_run  # type: ignore[method-assign,assignment]  # noqa: SLF001

    def stop(self) -> None:
        """Stop timing callbacks."""
        if self._original is not None:
            events.Handle._run = self._original  # type: ignore[method-assign,assignment]  # noqa: SLF001


@dataclass
class GcPauses:
    """Collections per generation, and the longest pause."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    longest: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    _started: float = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = perf_counter()
            return
        generation = info["generation"]
        self.counts[generation] += 1
        self.longest[generation] = max(self.longest[generation], perf_counter() - self._started)

    def start(self) -> None:
        """Begin recording collections."""
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        """Stop recording collections."""
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)


@dataclass
class LoopReport:
    """What the watchers saw, in milliseconds."""

    max_stall_ms: float
    stalls_over_10ms: int
    longest_callback_ms: float
    callbacks_over_10ms: int
    longest_callback: str
    gc_collections: list[int]
    gc_longest_ms: list[float]


class LoopWatch:
    """All three watchers together."""

    def __init__(self) -> None:
        self.ticker = Ticker()
        self.callbacks = CallbackTimer()
        self.gc = GcPauses()

    def start(self) -> None:
        """Start watching (call inside the running loop)."""
        self.gc.start()
        self.callbacks.start()
        self.ticker.start()

    async def stop(self) -> LoopReport:
        """Stop watching and report."""
        await self.ticker.stop()
        self.callbacks.stop()
        self.gc.stop()
        return LoopReport(
            max_stall_ms=self.ticker.max_lateness * 1000, stalls_over_10ms=self.ticker.stalls,
            longest_callback_ms=self.callbacks.longest * 1000, callbacks_over_10ms=self.callbacks.over_stall,
            longest_callback=self.callbacks.longest_what, gc_collections=list(self.gc.counts),
            gc_longest_ms=[pause * 1000 for pause in self.gc.longest],
        )
