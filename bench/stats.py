"""Small statistics helpers, and how a measured round reports."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of unsorted ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when undefined."""
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def latency_figures(latencies: Sequence[float], seconds: float) -> dict[str, float]:
    """A measured phase's updates, duration, throughput and latency percentiles (ms)."""
    updates = len(latencies)
    return {
        "updates": updates, "seconds": seconds, "updates_per_second": updates / seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": sum(latencies) / updates * 1000, "max_ms": max(latencies) * 1000,
    }


def print_round(figures: dict[str, Any]) -> int:
    """Print a round's figures as one JSON line; its exit status: 1 on any error or a quiz
    without its result."""
    print(json.dumps(figures), flush=True)
    return 0 if figures["errors"] == 0 and figures["results_sent"] == figures["quizzes_run"] else 1
