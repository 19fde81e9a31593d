"""Shared fixtures and helpers for the platform-free core's tests.

Expectations are derived from the shipped content wherever practical (which answers meet which
path's requirement, labels, texts), so that editing content does not break tests needlessly.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.content_files.loader import default_content_dir, load_content
from bot.content_files.loader import navigation_words as loader_navigation_words
from dialogs.commands import COMMANDS
from dialogs.content import Content, Option, Question, Requirement
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.replies import Outcome, Reply
from dialogs.session import RESULT, Session, question_state
from tests import pgtest

Answer = tuple[str, str]
NOT_RUN_KEY = pytest.StashKey[str]()


# -- PostgreSQL ----------------------------------------------------------------------------
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a reachable server (and without TEST_DATABASE_URL or CI=true), the PostgreSQL
    tests are deselected and one summary line says how to run them; otherwise they run, and
    fail loudly if the server is missing."""
    wanted = [item for item in items if item.get_closest_marker("postgres")]
    if not wanted or pgtest.required():
        return
    reason = pgtest.probe(pgtest.admin_url())
    if reason is None:
        return
    config.hook.pytest_deselected(items=wanted)
    items[:] = [item for item in items if not item.get_closest_marker("postgres")]
    config.stash[NOT_RUN_KEY] = f"{len(wanted)} " + pgtest.HOW_TO_RUN.format(
        where=pgtest.where(pgtest.admin_url()), reason=reason)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    line = config.stash.get(NOT_RUN_KEY, None)
    if line:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[pgtest.ScratchDatabase]:
    """This test session's own database on the test server, dropped at the end."""
    database = pgtest.ScratchDatabase(pgtest.admin_url())
    reason = pgtest.probe(database.admin)
    if reason is not None:
        raise RuntimeError(f"PostgreSQL at {pgtest.where(database.admin)} is required here but unusable: {reason}")
    database.create()
    yield database
    database.drop()


@pytest.fixture
def postgres_url(postgres_database: pgtest.ScratchDatabase) -> str:
    """A URL whose tables live in a fresh, empty schema of the session's database."""
    return postgres_database.new_schema()


# -- content -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped content, loaded once."""
    return load_content()


@pytest.fixture
def engine(content: Content) -> DialogEngine:
    return DialogEngine(content)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped content/ directory (data files only)."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target, ignore=lambda folder, names: [
        name for name in names
        if not (name.endswith((".yaml", ".txt", ".json")) or name in ("catalogues", "nlu", "corpora", "en", "es", "pt", "ru"))])
    return target


def all_answer_sets(content: Content) -> Iterator[tuple[Answer, ...]]:
    """Every complete combination of answers (itertools.product over the options)."""
    choices = [[(question.id, option.id) for option in question.options] for question in content.questions]
    return itertools.product(*choices)


def requirements_of(content: Content, path_id: str) -> list[Requirement]:
    """The article's hard rules for ``path_id`` (paths.yaml requirements)."""
    return [r for r in content.requirements if r.path == path_id]


def single_question_requirement(content: Content, path_id: str) -> tuple[Question, Requirement]:
    """The requirement of ``path_id`` that one question decides, and that question."""
    found = [r for r in requirements_of(content, path_id) if len(r.questions) == 1]
    assert len(found) == 1, f"expected one single-question requirement for {path_id}"
    (question_id,) = found[0].questions
    question = content.question(question_id)
    assert question is not None
    return question, found[0]


def learning_rule(content: Content) -> tuple[Question, Requirement]:
    """The learning question and the requirement it decides: a generative AI career needs a yes
    to technical learning (the article: "For a generative AI job, this is non-negotiable")."""
    return single_question_requirement(content, "generative_ai")


def income_rule(content: Content) -> tuple[Question, Requirement]:
    """The income question and the requirement it decides: the hybrid needs a stable job to keep."""
    return single_question_requirement(content, "hybrid")


def failing_options(question: Question, requirement: Requirement) -> list[Option]:
    """The answers to ``question`` (Not sure included) that do not meet ``requirement``."""
    return [o for o in question.choices if (question.id, o.id) not in requirement.met_by]


def first_options(content: Content, count: int | None = None) -> list[Answer]:
    """Answers picking the first option of the first ``count`` questions."""
    questions = content.questions if count is None else content.questions[:count]
    return [(q.id, q.options[0].id) for q in questions]


def header_prefix(content: Content, number: int) -> str:
    """'Question N of T' as the question header renders it (without the progress bar)."""
    template = content.texts["question_header"].split("{bar}")[0]
    return template.format(number=number, total=len(content.questions)).strip()


def headline_prefix(content: Content) -> str:
    """The result headline without the path name ('Your best fit:')."""
    return content.texts["result_headline"].split("{path}")[0].strip()


def first_word(label: str) -> str:
    return re.split(r"[^A-Za-z]+", label.strip().lstrip("◀↺▶✎⏰ "), maxsplit=1)[0].lower()


def navigation_words(content: Content) -> set[str]:
    """Words that read like navigation: the loader's list, every command name, and the first
    word of every non-answer button the dialog shows (Back, About, Why, Start over)."""
    words = set(loader_navigation_words()) | {command.name for command in COMMANDS}
    for key in ("button_back", "button_explain_menu", "button_why", "button_restart", "button_plan", "button_change",
                "button_share", "button_remind", "button_back_to_result"):
        words.add(first_word(content.texts[key]))
    words.discard("")
    return words


# -- driving the engine --------------------------------------------------------------------
def press(reply: Reply, label: str) -> Event:
    """The event of the button labelled ``label`` in ``reply``."""
    for row in reply.buttons:
        for button in row:
            if button.label == label:
                return button.event
    raise AssertionError(f"no button {label!r} in {[b.label for row in reply.buttons for b in row]}")


def answer_event(content: Content, question_index: int, option_index: int, generation: int = 0) -> Event:
    """The button event for an option, as views.question renders it."""
    question = content.questions[question_index]
    return Event(EventKind.ANSWER, question=question.id, option=question.options[option_index].id,
                 generation=generation, via_button=True)


def session_at(content: Content, answers: Sequence[Answer], chat_id: int = 1, generation: int = 0) -> Session:
    """A consistent session with these answers (asking the next question, or at the result)."""
    state = RESULT if len(answers) == len(content.questions) else question_state(content.questions[len(answers)].id)
    return Session(chat_id=chat_id, state=state, answers=tuple(answers), generation=generation)


def all_text(outcome: Outcome) -> str:
    return "\n".join(reply.plain_text for reply in outcome.replies)


# -- subprocesses ------------------------------------------------------------------------------
def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment for ``python -m bot``: no token, a database in tmp_path, UTF-8 I/O, and
    nothing pointing at the repository (the installed package must provide the content)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELEGRAM_BOT_TOKEN", "CROSSROADS_CONTENT_DIR", "PYTHONPATH", "DATABASE_URL",
                        "WEBHOOK_URL", "WEBHOOK_SECRET", "PORT", "LOG_LEVEL", "TELEGRAM_API_URL",
                        "SESSION_RETENTION_DAYS")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/c.db"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


PYTHON = sys.executable
