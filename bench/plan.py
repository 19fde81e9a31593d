"""What a run measures: the cells (mode x system x people in flight x stored sessions), how many
quizzes each round runs in each, and how many rounds and cold starts.

Two modes: ``wire`` (the headline: each system in its own process on its real HTTP client,
talking to a Bot API server in another process) and ``core`` (in-process, canned transport:
the framework and the dialog core without any HTTP). A third, ``workers``, run only on request,
measures Crossroads' webhook workers: one on SQLite against one, two and four on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field

USERS = (1, 50, 500)
STORED = (1_000, 100_000)
WIRE_USERS = (1, 50, 200)
WIRE_STORED = (1_000,)
MODES = ("wire", "core")
#: Baseline B rewrites its whole pickle file per update, so it is measured where the targets
#: need it: at 1,000 stored sessions, and (as it is ~10 ms per update) with fewer quizzes.
B_STORED = 1_000
QUESTIONS_PER_QUIZ = 7
UPDATES_PER_QUIZ = QUESTIONS_PER_QUIZ + 1  # /start and one press per question
#: The ``workers`` mode's configurations (where the sessions live, how many webhook workers);
#: each is compared with the first.
WORKER_CONFIGS = (("sqlite", 1), ("postgres", 1), ("postgres", 2), ("postgres", 4))


@dataclass(frozen=True)
class Cell:
    """One measured configuration."""

    system: str
    users: int
    stored: int
    quizzes: int
    mode: str = "core"
    workers: int = 0
    """Webhook worker processes (``workers`` mode, whose ``system`` is sqlite or postgres)."""

    @property
    def updates(self) -> int:
        """Measured updates."""
        return self.quizzes * UPDATES_PER_QUIZ


@dataclass(frozen=True)
class Plan:
    """A whole run."""

    rounds: int
    quizzes: dict[int, int]
    """Measured quizzes per round, by people in flight (Crossroads and baseline A)."""
    b_quizzes: dict[int, int]
    """The same for baseline B; people-in-flight counts missing here are not run for B."""
    cold_starts: int
    users: tuple[int, ...] = USERS
    stored: tuple[int, ...] = STORED
    warm_up: int = 16
    systems: tuple[str, ...] = field(default=("a", "b", "crossroads"))
    wire_quizzes: dict[int, int] = field(default_factory=dict)
    """Measured quizzes per wire round, by people in flight (Crossroads and baseline A)."""
    wire_b_quizzes: dict[int, int] = field(default_factory=dict)
    wire_users: tuple[int, ...] = WIRE_USERS
    wire_stored: tuple[int, ...] = WIRE_STORED
    modes: tuple[str, ...] = MODES
    workers_users: int = 50
    workers_quizzes: int = 300
    """Measured quizzes per ``workers`` round (people in flight: ``workers_users``)."""

    def cells(self) -> list[Cell]:
        """The cells of one round, systems (or worker configurations) alternating within each
        configuration; the workers cells first, then wire, then core."""
        cells = []
        if "workers" in self.modes:
            cells += [Cell(db, self.workers_users, 0, self.workers_quizzes, "workers", workers)
                      for db, workers in WORKER_CONFIGS]
        if "wire" in self.modes:
            for users in self.wire_users:
                for stored in self.wire_stored:
                    for system in self.systems:
                        if system != "b":
                            cells.append(Cell(system, users, stored, self.wire_quizzes[users], "wire"))
                        elif stored == B_STORED and users in self.wire_b_quizzes:
                            cells.append(Cell(system, users, stored, self.wire_b_quizzes[users], "wire"))
        if "core" not in self.modes:
            return cells
        for users in self.users:
            for stored in self.stored:
                for system in self.systems:
                    if system != "b":
                        cells.append(Cell(system, users, stored, self.quizzes[users]))
                    elif stored == B_STORED and users in self.b_quizzes:
                        cells.append(Cell(system, users, stored, self.b_quizzes[users]))
        return cells


def full_plan(rounds: int = 3, modes: tuple[str, ...] = MODES) -> Plan:
    """The default run: on the wire about 2,400, 2,400 and 3,200 updates at 1, 50 and 200 people
    (at 1 in flight a p99 of fewer updates is one of its five slowest: too few to compare); core
    only about 700, 3,600 and 8,000 at 1, 50 and 500."""
    return Plan(rounds=rounds, quizzes={1: 88, 50: 450, 500: 1000}, b_quizzes={1: 88, 50: 100}, cold_starts=7,
                wire_quizzes={1: 300, 50: 300, 200: 400}, wire_b_quizzes={1: 40, 50: 60}, modes=modes)


def quick_plan(rounds: int = 1, modes: tuple[str, ...] = MODES) -> Plan:
    """A smoke run: every cell, few updates (500 people still need one quiz each)."""
    return Plan(rounds=rounds, quizzes={1: 16, 50: 50, 500: 500}, b_quizzes={1: 16, 50: 50}, cold_starts=3, warm_up=8,
                wire_quizzes={1: 60, 50: 50, 200: 200}, wire_b_quizzes={1: 16, 50: 50}, modes=modes,
                workers_users=10, workers_quizzes=40)


def worker_label(db: str, workers: int) -> str:
    """How a ``workers`` configuration is named in figures and tables: 'postgres x2'."""
    return f"{db} x{workers}"
