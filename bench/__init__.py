"""Crossroads' benchmark (issue 5): the real application against python-telegram-bot baselines.

Run it with ``python -m bench`` (or ``make bench``); ``python -m bench --help`` lists the options.
Everything runs in-process with no network: a canned Bot API transport
(:mod:`bench.transport`) answers every call, synthetic updates (:mod:`bench.updates`) drive a
seven-question button quiz from many interleaved users (:mod:`bench.driver`), and each measured
round runs in a fresh child process (:mod:`bench.worker`) so peak RSS is per system.

Modules:
    transport       the canned ``BaseRequest``
    updates         Update JSON for /start and button presses
    baseline        the quiz as a plain ``ConversationHandler`` (baselines A and B)
    systems         building and starting each system under test
    population      stored sessions: SQLite rows, a pickle file, in-memory entries
    driver          the closed-loop load driver and per-update latency
    loopwatch       event-loop stalls, longest callback, garbage-collector pauses
    worker          one measured round in a child process (``python -m bench.worker``)
    wire_worker     one measured round on real HTTP (``python -m bench.wire_worker``)
    worker_common   what those two share: flags, warm-up, CPU and RSS, the figures, main
    coldstart       process start until ready (``python -m bench.coldstart``)
    plan            what a full or ``--quick`` run measures
    runner          the whole run: preparation, alternating rounds, cold starts
    report          medians, ratios, targets, the terminal table and the JSON file
    stats           percentiles, medians, ratios
"""
