"""A person's quiz session: the only dialog state, stored one row per chat."""

from __future__ import annotations

from dataclasses import dataclass

NEW = "new"
RESULT = "result"
EXPLAINING = "explaining"
QUESTION_PREFIX = "asking_"
#: Asking one question again from the result ("Change an answer"); answering returns to it.
CHANGING_PREFIX = "changing_"

#: Generations wrap below this bound (it keeps callback data short).
GENERATION_LIMIT = 10**9

Answer = tuple[str, str]
"""(question id, option id)"""


def next_generation(generation: int) -> int:
    """The generation after a restart."""
    return (generation + 1) % GENERATION_LIMIT


def question_state(question_id: str) -> str:
    """The machine state that asks ``question_id``."""
    return QUESTION_PREFIX + question_id


def changing_state(question_id: str) -> str:
    """The machine state that asks ``question_id`` again after the result."""
    return CHANGING_PREFIX + question_id


def is_asking(state: str) -> bool:
    """A question is open (during the quiz, or being changed after it)."""
    return state.startswith((QUESTION_PREFIX, CHANGING_PREFIX))


@dataclass(frozen=True)
class PreviousResult:
    """The result a person saw before the current quiz or answer change: what they answered and
    the path it recommended, so that the next result can say what moved since."""

    answers: tuple[Answer, ...]
    path: str


@dataclass(frozen=True)
class Session:
    """A chat's progress. ``generation`` counts restarts (buttons of older quizzes are stale);
    ``version`` counts stored writes (for compare-and-set); ``last_event_id`` is the front end's
    ordinal of the last event applied (Telegram's update_id), so that an event delivered twice,
    or late after a newer one, is recognised and not applied again."""

    chat_id: int
    state: str = NEW
    answers: tuple[Answer, ...] = ()
    generation: int = 0
    version: int = 0
    prompt_message_id: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    #: The language the person is spoken to in ("" until known; see DialogService).
    language: str = ""
    #: When the current quiz began (epoch seconds; 0 if unknown), for the time to finish.
    started_at: float = 0.0
    #: The front end's ordinal of the last event applied (Telegram's update_id), see above.
    last_event_id: int | None = None
    #: Answers to later questions already stated in a message ("I'm a teacher with Sundays
    #: free"), in question order: each is taken when the quiz reaches its question.
    prefilled: tuple[Answer, ...] = ()
    #: This quiz's answer to "Does this feel right?" (recommended path, vote; see
    #: :mod:`dialogs.analytics`), so that a later vote retracts it in the anonymous log. A new
    #: quiz (generation) starts without one.
    verdict: tuple[str, str] | None = None
    #: The result before this one (a retake, a changed answer): the next result opens with
    #: what changed since. Kept with the session, so /forget and retention delete it too.
    previous: PreviousResult | None = None
