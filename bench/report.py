"""Figures from the rounds: medians per cell, ratios of Crossroads to the baselines, the
issues' targets with PASS/FAIL, terminal tables and the JSON document. The wire mode is the
headline (issue 8); the core-only mode keeps issue 5's figures."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from bench.plan import WORKER_CONFIGS, worker_label
from bench.stats import median, ratio

CROSSROADS, BASE_A, BASE_B = "crossroads", "a", "b"
NAMES = {BASE_A: "A  ConversationHandler", BASE_B: "B  + PicklePersistence", CROSSROADS: "Crossroads"}
MEDIAN_FIELDS = ("updates_per_second", "p50_ms", "p99_ms", "mean_ms", "peak_rss_mb", "max_stall_ms",
                 "longest_callback_ms", "loop_cpu_ms_per_update", "process_cpu_ms_per_update")
WORST_FIELDS = ("max_stall_ms", "longest_callback_ms", "stalls_over_10ms", "callbacks_over_10ms")
WIRE_MEDIAN_FIELDS = ("updates_per_second", "p50_ms", "p99_ms", "mean_ms", "peak_rss_mb", "process_cpu_ms_per_update",
                      "cpu_us_per_api_call", "answer_p50_ms", "answer_p99_ms")
#: The p99 from an update being available to its answerCallbackQuery, at this many in flight.
ANSWER_USERS = 200
ANSWER_GOAL_MS = 1000.0
Key = tuple[str, int, int]  # system, users, stored


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, checked."""

    name: str
    goal: str
    measured: str
    passed: bool | None
    """None when the run did not measure what the target needs."""
    values: tuple[tuple[str, float], ...] = ()
    """Each figure checked, with where it was measured."""


def summarise(results: Iterable[dict[str, Any]], fields: tuple[str, ...] = MEDIAN_FIELDS,
              worst: tuple[str, ...] = WORST_FIELDS) -> dict[Key, dict[str, Any]]:
    """Per cell: the median of each figure over its rounds, and the worst of ``worst``."""
    grouped: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        grouped[(result["system"], result["users"], result["stored"])].append(result)
    summary: dict[Key, dict[str, Any]] = {}
    for key, rounds in sorted(grouped.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])):
        cell: dict[str, Any] = {"system": key[0], "users": key[1], "stored": key[2], "rounds": len(rounds),
                                "updates_per_round": rounds[0]["updates"]}
        for name in fields:
            values = [r[name] for r in rounds]
            cell[name] = math.nan if None in values else median(values)  # None: a round could not measure it
        for name in worst:
            cell[f"worst_{name}"] = max(r[name] for r in rounds)
        if "gc_longest_ms" in rounds[0]:
            cell["gc_longest_ms"] = max(max(r["gc_longest_ms"]) for r in rounds)
        summary[key] = cell
    return summary


def _get(summary: dict[Key, dict[str, Any]], system: str, users: int, stored: int, name: str) -> float:
    cell = summary.get((system, users, stored))
    return math.nan if cell is None else float(cell[name])


def _against_baselines(summary: dict[Key, dict[str, Any]], users_levels: Iterable[int], stored_levels: Iterable[int],
                       compared: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Per configuration, each ``{row key: (figure, baseline)}``: Crossroads' median of the figure
    over the baseline's."""
    return [{"users": users, "stored": stored,
             **{key: ratio(_get(summary, CROSSROADS, users, stored, name), _get(summary, base, users, stored, name))
                for key, (name, base) in compared.items()}}
            for users in users_levels for stored in stored_levels]


def ratios(summary: dict[Key, dict[str, Any]], users_levels: Iterable[int],
           stored_levels: Iterable[int]) -> list[dict[str, Any]]:
    """Crossroads against each baseline, per configuration (ratios of the medians)."""
    return _against_baselines(summary, users_levels, stored_levels, {
        "throughput_vs_a": ("updates_per_second", BASE_A), "throughput_vs_b": ("updates_per_second", BASE_B),
        "p99_vs_a": ("p99_ms", BASE_A), "p50_vs_a": ("p50_ms", BASE_A), "rss_vs_a": ("peak_rss_mb", BASE_A),
    })


def add_paired_ratios(ratio_rows: list[dict[str, Any]], results: Iterable[dict[str, Any]]) -> None:
    """Add, per configuration, the median over rounds of each round's own Crossroads/A and
    Crossroads/B throughput ratio (systems of one round ran next to each other in time)."""
    per_round: dict[tuple[int, int, int], dict[str, float]] = defaultdict(dict)
    for result in results:
        per_round[(result["users"], result["stored"], result["round"])][result["system"]] = result["updates_per_second"]
    for row in ratio_rows:
        for baseline in (BASE_A, BASE_B):
            paired = [ratio(systems[CROSSROADS], systems[baseline]) for (users, stored, _), systems in per_round.items()
                      if (users, stored) == (row["users"], row["stored"]) and CROSSROADS in systems and baseline in systems]
            row[f"throughput_vs_{baseline}_paired_median"] = median(paired)


def flatness(summary: dict[Key, dict[str, Any]], users_levels: Iterable[int], low: int, high: int) -> list[dict[str, Any]]:
    """Throughput with ``high`` stored sessions over throughput with ``low``, per system (and
    the same for CPU time per update, inverted: 1.0 is flat, lower is costlier at ``high``)."""
    rows = []
    for users in users_levels:
        row: dict[str, Any] = {"users": users, "low": low, "high": high}
        for system in (BASE_A, CROSSROADS):
            row[system] = ratio(_get(summary, system, users, high, "updates_per_second"),
                                _get(summary, system, users, low, "updates_per_second"))
            row[f"{system}_cpu"] = ratio(_get(summary, system, users, low, "process_cpu_ms_per_update"),
                                         _get(summary, system, users, high, "process_cpu_ms_per_update"))
        rows.append(row)
    return rows


Checked = tuple[str, bool | None, tuple[tuple[str, float], ...]]


def _check(values: list[tuple[str, float]], goal: float, higher_is_better: bool, unit: str = "x") -> Checked:
    """All of ``values`` against ``goal``: the measured text, whether all pass, the values."""
    known = tuple((label, value) for label, value in values if not math.isnan(value))
    if not known:
        return "not measured", None, ()
    passed = all(value >= goal if higher_is_better else value <= goal for _, value in known)
    return ", ".join(f"{value:.3f}{unit} {label}".strip() for label, value in known), passed, known


def targets(summary: dict[Key, dict[str, Any]], ratio_rows: list[dict[str, Any]], flat_rows: list[dict[str, Any]],
            cold: dict[str, Any] | None, stored_levels: tuple[int, ...]) -> list[Target]:
    """Issue 5's targets on the core-only figures (the 20x-B target is retired: B is bounded by its
    own pickling), each checked at every stored-session level it applies to."""
    by = {(row["users"], row["stored"]): row for row in ratio_rows}
    low, high = min(stored_levels), max(stored_levels)

    def at(users: int, name: str, levels: Iterable[int] = stored_levels) -> list[tuple[str, float]]:
        return [(f"@{stored:,} stored", by.get((users, stored), {}).get(name, math.nan)) for stored in levels]

    checks: list[tuple[str, str, Callable[[], Checked]]] = [
        ("throughput vs A, 50 in flight", ">= 1.0x", lambda: _check(at(50, "throughput_vs_a"), 1.0, True)),
        ("throughput vs A, 1 in flight", ">= 0.6x", lambda: _check(at(1, "throughput_vs_a"), 0.6, True)),
        (f"cost flat {low:,} -> {high:,} stored", "throughput ratio >= 0.9",
         lambda: _check([(f"@{row['users']} in flight", row[CROSSROADS]) for row in flat_rows], 0.9, True)),
        ("p99 latency vs A, 1 in flight", "<= 2x", lambda: _check(at(1, "p99_vs_a"), 2.0, False)),
        ("event-loop stall, 1 in flight", "<= 10 ms, median of the rounds' worst",
         lambda: _stall_check(summary, stored_levels)),
        (f"peak RSS vs A, 500 in flight, {high:,} stored", "<= 0.7x",
         lambda: _check([("", by.get((500, high), {}).get("rss_vs_a", math.nan))], 0.7, False)),
    ]
    result = [Target(f"core only: {name}", goal, *check()) for name, goal, check in checks]
    return result


def cold_targets(cold: dict[str, Any] | None) -> list[Target]:
    """Cold start against a bare python-telegram-bot application, and its independence of the
    number of stored sessions."""
    result: list[Target] = []
    if cold:
        medians = cold["median_s"]
        bare = medians["bare"]
        zero, most = medians.get("crossroads_0", math.nan), medians.get(f"crossroads_{cold['stored']}", math.nan)
        result.append(Target("cold start vs bare python-telegram-bot", "<= 1.5x",
                             *_check([("@0 stored", zero / bare), (f"@{cold['stored']:,} stored", most / bare)], 1.5,
                                     False)))
        result.append(Target(f"cold start independent of stored sessions ({cold['stored']:,} vs 0)", "<= 1.1x",
                             *_check([("", most / zero)], 1.1, False)))
    return result


def _stall_check(summary: dict[Key, dict[str, Any]], stored_levels: Iterable[int]) -> Checked:
    """The stall target, with the worst round and the longest single callback alongside
    (a late tick with no long callback is the OS or VM, not the application)."""
    levels = list(stored_levels)
    measured, passed, values = _check(
        [(f"@{s:,} stored", _get(summary, CROSSROADS, 1, s, "max_stall_ms")) for s in levels], 10.0, False, " ms")
    worst = max((_get(summary, CROSSROADS, 1, s, "worst_max_stall_ms") for s in levels), default=math.nan)
    callback = max((_get(summary, CROSSROADS, 1, s, "worst_longest_callback_ms") for s in levels), default=math.nan)
    return f"{measured} (worst round {_num(worst, 1)} ms; longest callback {_num(callback, 1)} ms)", passed, values


# -- terminal ------------------------------------------------------------------------------
def _num(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


#: A column of a report table: its title, its width, and how one row shows in it.
Column = tuple[str, int, Callable[[dict[str, Any]], str]]


def _shown(name: str, spec: str) -> Callable[[dict[str, Any]], str]:
    """A row's ``name`` formatted with ``spec``."""
    return lambda row: format(row[name], spec)


def _ratio_shown(name: str) -> Callable[[dict[str, Any]], str]:
    """A ratio, or "-" when it could not be computed."""
    return lambda row: _num(row[name])


def _columns_line(lead: str, columns: Iterable[Column], row: dict[str, Any] | None = None) -> str:
    """The header (no ``row``) or one row's line, after the ``lead`` columns."""
    return lead + " ".join(f"{title if row is None else show(row):>{width}}" for title, width, show in columns)


def _systems_table(summary: dict[Key, dict[str, Any]], columns: list[Column]) -> list[str]:
    """One line per system, grouped by (in flight, stored) with a blank line between groups."""
    header = _columns_line(f"{'in flight':>9} {'stored':>8}  {'system':<24} ", columns)
    lines = [header, "-" * len(header)]
    previous = None
    for (system, users, stored), cell in summary.items():
        if previous is not None and previous != (users, stored):
            lines.append("")
        previous = (users, stored)
        lines.append(_columns_line(f"{users:>9} {stored:>8,}  {NAMES.get(system, system):<24} ", columns, cell))
    return lines


def _ratios_table(rows: list[dict[str, Any]], columns: list[Column]) -> list[str]:
    """One line per (in flight, stored)."""
    header = _columns_line(f"{'in flight':>9} {'stored':>8}  ", columns)
    return [header, "-" * len(header),
            *(_columns_line(f"{row['users']:>9} {row['stored']:>8,}  ", columns, row) for row in rows)]


CORE_COLUMNS: list[Column] = [
    ("updates/s", 9, _shown("updates_per_second", ",.0f")), ("p50 ms", 8, _shown("p50_ms", ".2f")),
    ("p99 ms", 8, _shown("p99_ms", ".2f")), ("CPU ms", 7, _shown("process_cpu_ms_per_update", ".2f")),
    ("RSS MB", 7, _shown("peak_rss_mb", ".1f")), ("stall ms", 8, _shown("worst_max_stall_ms", ".1f")),
    ("cb ms", 6, _shown("worst_longest_callback_ms", ".1f")), ("rounds", 6, _shown("rounds", "")),
]
CORE_RATIO_COLUMNS: list[Column] = [
    ("upd/s vs A", 10, _ratio_shown("throughput_vs_a")), ("upd/s vs B", 10, _ratio_shown("throughput_vs_b")),
    ("p50 vs A", 9, _ratio_shown("p50_vs_a")), ("p99 vs A", 9, _ratio_shown("p99_vs_a")),
    ("RSS vs A", 9, _ratio_shown("rss_vs_a")),
]
WIRE_COLUMNS: list[Column] = [
    ("updates/s", 9, _shown("updates_per_second", ",.0f")), ("p50 ms", 8, _shown("p50_ms", ".1f")),
    ("p99 ms", 8, _shown("p99_ms", ".1f")), ("ans p99", 8, lambda cell: _num(cell["answer_p99_ms"], 1)),
    ("CPU ms", 7, _shown("process_cpu_ms_per_update", ".2f")), ("us/call", 8, _shown("cpu_us_per_api_call", ".0f")),
    ("RSS MB", 7, _shown("peak_rss_mb", ".1f")), ("rounds", 6, _shown("rounds", "")),
]
WIRE_RATIO_COLUMNS: list[Column] = [
    ("CPU vs A", 9, _ratio_shown("cpu_vs_a")), ("CPU vs B", 9, _ratio_shown("cpu_vs_b")),
    ("upd/s vs A", 10, _ratio_shown("throughput_vs_a")), ("upd/s vs B", 10, _ratio_shown("throughput_vs_b")),
    ("p50 vs A", 9, _ratio_shown("p50_vs_a")), ("p99 vs A", 9, _ratio_shown("p99_vs_a")),
]


def table(summary: dict[Key, dict[str, Any]], ratio_rows: list[dict[str, Any]], flat_rows: list[dict[str, Any]],
          cold: dict[str, Any] | None, checked: list[Target]) -> str:
    """The readable core-only report (cold start and targets are printed by :func:`verdicts`)."""
    lines = ["", "CORE ONLY (in-process, canned Bot API transport: no HTTP at all)", "",
             "Throughput, latency per update, CPU per update, peak RSS: median of rounds. Stall (1 ms ticker",
             "lateness) and cb (longest single event-loop callback): worst round.", ""]
    lines += _systems_table(summary, CORE_COLUMNS)
    lines += ["", "Crossroads / baseline (ratios of medians)", ""]
    lines += _ratios_table(ratio_rows, CORE_RATIO_COLUMNS)
    if flat_rows:
        row0 = flat_rows[0]
        lines += ["", f"Throughput at {row0['high']:,} stored / at {row0['low']:,} stored "
                  "(CPU per update, inverted, in brackets):"]
        lines += [f"  {r['users']:>3} in flight: Crossroads {_num(r[CROSSROADS])} ({_num(r[CROSSROADS + '_cpu'])}), "
                  f"A {_num(r[BASE_A])} ({_num(r[BASE_A + '_cpu'])})" for r in flat_rows]
    lines.append("")
    return "\n".join(lines)


#: The cold start kind whose content cache is off (bench.runner).
UNCACHED_SUFFIX = "_content_uncached"


def _cold_label(kind: str) -> str:
    """crossroads_0 -> "crossroads @ 0"; the uncached kind says so."""
    name, _, stored = kind.removesuffix(UNCACHED_SUFFIX).partition("_")
    label = f"{name} @ {stored}" if stored else name
    return label + (" with the content not yet cached (the first start after a deploy)"
                    if kind.endswith(UNCACHED_SUFFIX) else "")


def verdicts(cold: dict[str, Any] | None, checked: list[Target]) -> str:
    """Cold start and every target, PASS/FAIL."""
    lines = []
    if cold:
        lines += ["", "Cold start, process start until ready (median of "
                  f"{len(cold['samples_s']['bare'])}): " + ", ".join(
                      f"{_cold_label(kind)} {seconds:.3f} s" for kind, seconds in cold["median_s"].items())]
    lines += ["", "Targets", ""]
    for target in checked:
        verdict = {True: "PASS", False: "FAIL", None: "N/A "}[target.passed]
        lines.append(f"  {verdict}  {target.name} ({target.goal}): {target.measured}")
    lines.append("")
    return "\n".join(lines)


# -- wire mode -------------------------------------------------------------------------------
def wire_ratios(summary: dict[Key, dict[str, Any]], users_levels: Iterable[int],
                stored_levels: Iterable[int]) -> list[dict[str, Any]]:
    """Crossroads against each baseline on the wire, per configuration (ratios of the medians),
    with Crossroads' p99 from an update to its answerCallbackQuery."""
    rows = _against_baselines(summary, users_levels, stored_levels, {
        "cpu_vs_a": ("process_cpu_ms_per_update", BASE_A), "cpu_vs_b": ("process_cpu_ms_per_update", BASE_B),
        "throughput_vs_a": ("updates_per_second", BASE_A), "throughput_vs_b": ("updates_per_second", BASE_B),
        "p50_vs_a": ("p50_ms", BASE_A), "p99_vs_a": ("p99_ms", BASE_A),
    })
    for row in rows:
        row["answer_p99_ms"] = _get(summary, CROSSROADS, row["users"], row["stored"], "answer_p99_ms")
    return rows


def wire_targets(ratio_rows: list[dict[str, Any]]) -> list[Target]:
    """Issue 8's targets on the wire figures."""
    by = {row["users"]: row for row in ratio_rows}

    def at(users: int, name: str) -> list[tuple[str, float]]:
        return [(f"@{users} in flight", by.get(users, {}).get(name, math.nan))]

    checks: list[tuple[str, str, Checked]] = [
        ("wire: CPU per update vs A, 50 in flight", "<= 0.8x", _check(at(50, "cpu_vs_a"), 0.8, False)),
        ("wire: throughput vs A, 50 in flight", ">= 1.0x", _check(at(50, "throughput_vs_a"), 1.0, True)),
        ("wire: throughput vs A, 1 in flight", ">= 0.6x", _check(at(1, "throughput_vs_a"), 0.6, True)),
        ("wire: p99 latency vs A, 1 in flight", "<= 2x", _check(at(1, "p99_vs_a"), 2.0, False)),
        (f"wire: p99 update -> answerCallbackQuery, {ANSWER_USERS} in flight", f"< {ANSWER_GOAL_MS:.0f} ms",
         _check(at(ANSWER_USERS, "answer_p99_ms"), ANSWER_GOAL_MS, False, " ms")),
    ]
    return [Target(name, goal, *check) for name, goal, check in checks]


def wire_table(summary: dict[Key, dict[str, Any]], ratio_rows: list[dict[str, Any]]) -> str:
    """The readable wire report."""
    lines = ["", "ON THE WIRE (each system in its own process, its real HTTP client, a Bot API server in another",
             "process on 127.0.0.1). CPU: the bot process's own, per update and per Bot API call. ans p99: update",
             "available -> its answerCallbackQuery. Medians of rounds.", ""]
    lines += _systems_table(summary, WIRE_COLUMNS)
    lines += ["", "Crossroads / baseline on the wire (ratios of medians)", ""]
    lines += _ratios_table(ratio_rows, WIRE_RATIO_COLUMNS)
    lines.append("")
    return "\n".join(lines)


# -- workers mode ----------------------------------------------------------------------------
WORKERS_MEDIAN_FIELDS = ("updates_per_second", "p50_ms", "p99_ms", "mean_ms", "cpu_ms_per_update",
                         "db_cpu_ms_per_update", "total_cpu_ms_per_update", "driver_cpu_ms_per_update",
                         "api_calls_per_update", "peak_rss_mb")
#: What each worker configuration is compared on with the first (one worker on SQLite).
WORKERS_COMPARED = {"throughput": "updates_per_second", "cpu": "cpu_ms_per_update",
                    "total_cpu": "total_cpu_ms_per_update", "p99": "p99_ms"}


def workers_ratios(summary: dict[Key, dict[str, Any]], users: int) -> list[dict[str, Any]]:
    """Each measured worker configuration against one worker on SQLite (ratios of the medians)."""
    labels = [worker_label(db, workers) for db, workers in WORKER_CONFIGS]
    return [{"system": label, "users": users,
             **{f"{name}_vs_sqlite": ratio(_get(summary, label, users, 0, field), _get(summary, labels[0], users, 0, field))
                for name, field in WORKERS_COMPARED.items()}}
            for label in labels if (label, users, 0) in summary]


def workers_table(summary: dict[Key, dict[str, Any]], ratio_rows: list[dict[str, Any]]) -> str:
    """The readable webhook-workers report."""
    lines = ["", "WEBHOOK WORKERS (each a `python -m bot --webhook` process; the driver is Telegram and a round-robin",
             "load balancer, so one chat's updates land on different workers). Latency: POST to its 200. CPU per",
             "update: the workers' own, the PostgreSQL backends' serving the round's database (db), both (total).",
             "Medians of rounds; x: ratio to sqlite x1.", ""]
    header = (f"{'in flight':>9}  {'configuration':<13} {'updates/s':>9} {'x':>5} {'p50 ms':>8} {'p99 ms':>8} {'x':>5} "
              f"{'CPU ms':>7} {'x':>5} {'db ms':>6} {'total ms':>8} {'x':>5} {'rounds':>6}")
    lines += [header, "-" * len(header)]
    for row in ratio_rows:
        cell = summary[(row["system"], row["users"], 0)]
        lines.append(f"{row['users']:>9}  {row['system']:<13} {cell['updates_per_second']:>9,.0f} "
                     f"{_num(row['throughput_vs_sqlite']):>5} {cell['p50_ms']:>8.1f} {cell['p99_ms']:>8.1f} "
                     f"{_num(row['p99_vs_sqlite']):>5} {cell['cpu_ms_per_update']:>7.2f} {_num(row['cpu_vs_sqlite']):>5} "
                     f"{_num(cell['db_cpu_ms_per_update']):>6} {_num(cell['total_cpu_ms_per_update']):>8} "
                     f"{_num(row['total_cpu_vs_sqlite']):>5} {cell['rounds']:>6}")
    lines.append("")
    return "\n".join(lines)


def document(meta: dict[str, Any], results: list[dict[str, Any]], summary: dict[Key, dict[str, Any]],
             ratio_rows: list[dict[str, Any]], flat_rows: list[dict[str, Any]], cold: dict[str, Any] | None,
             checked: list[Target], wire_summary: dict[Key, dict[str, Any]] | None = None,
             wire_ratio_rows: list[dict[str, Any]] | None = None, workers_summary: dict[Key, dict[str, Any]] | None = None,
             workers_ratio_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything, for the JSON file (NaN written as null)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return clean({
        "meta": meta,
        "wire": {"summary": list((wire_summary or {}).values()), "ratios": wire_ratio_rows or []},
        "workers": {"summary": list((workers_summary or {}).values()), "ratios": workers_ratio_rows or []},
        "summary": list(summary.values()), "ratios": ratio_rows, "flatness": flat_rows,
        "cold_start": cold, "targets": [asdict(t) for t in checked], "rounds": results,
    })
