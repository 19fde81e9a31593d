"""What a run measures: the cells (system x people in flight x stored sessions), how many
quizzes each round runs in each, and how many rounds and cold starts."""

from __future__ import annotations

from dataclasses import dataclass, field

USERS = (1, 50, 500)
STORED = (1_000, 100_000)
#: Baseline B rewrites its whole pickle file per update, so it is measured where the targets
#: need it: at 1,000 stored sessions, and (as it is ~10 ms per update) with fewer quizzes.
B_STORED = 1_000
QUESTIONS_PER_QUIZ = 7
UPDATES_PER_QUIZ = QUESTIONS_PER_QUIZ + 1  # /start and one press per question


@dataclass(frozen=True)
class Cell:
    """One measured configuration."""

    system: str
    users: int
    stored: int
    quizzes: int

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

    def cells(self) -> list[Cell]:
        """The cells of one round, systems alternating within each configuration."""
        cells = []
        for users in self.users:
            for stored in self.stored:
                for system in self.systems:
                    if system != "b":
                        cells.append(Cell(system, users, stored, self.quizzes[users]))
                    elif stored == B_STORED and users in self.b_quizzes:
                        cells.append(Cell(system, users, stored, self.b_quizzes[users]))
        return cells


def full_plan(rounds: int = 3) -> Plan:
    """The default run: about 700, 3,600 and 8,000 updates at 1, 50 and 500 people."""
    return Plan(rounds=rounds, quizzes={1: 88, 50: 450, 500: 1000}, b_quizzes={1: 88, 50: 100}, cold_starts=7)


def quick_plan(rounds: int = 1) -> Plan:
    """A smoke run: every cell, few updates (500 people still need one quiz each)."""
    return Plan(rounds=rounds, quizzes={1: 16, 50: 50, 500: 500}, b_quizzes={1: 16, 50: 50}, cold_starts=3, warm_up=8)
