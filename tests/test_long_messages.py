"""A wall of pasted text is read at the cost of a paragraph: only its beginning is read, so the
one event loop every chat shares is never held up by one long message; every realistic reply is
still read whole. Timings are measured by hand (see the closing report), never asserted here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.content_files.loader import default_content_dir, load_languages
from bot.nlu_eval import split_examples
from bot.nlu_training import read_corpora
from dialogs import understanding
from dialogs.content import Content
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.nlu.model import LinearModel
from dialogs.understanding import MAX_READ_CHARACTERS, MAX_READ_CLAUSES, Interpreter, Reading, readable
from tests.conftest import first_options, session_at

#: Telegram's longest message, and far beyond it (a webhook accepts what it is sent).
LENGTHS = (4096, 100_000)
#: Off-topic prose, as pasted from somewhere else.
FILLER = ("The weather in Paris was mild for the season, with light rain in the morning and a "
          "clear sky by the evening; the museums were crowded, the cafés were full, and the trains "
          "ran late again. ")


def wall(length: int, prose: str = FILLER) -> str:
    return (prose * (length // len(prose) + 1))[:length]


@pytest.fixture(scope="module")
def contents() -> dict[str, Content]:
    return dict(load_languages())


def test_every_realistic_reply_is_read_whole(contents: dict[str, Content]) -> None:
    """The cap is set well above what people type: every reply of the corpora and the test split
    (at most 189 characters in 8 clauses), and the article's sentences trained on (326 in 13)."""
    for language, content in contents.items():
        assert content.model is not None
        corpora = read_corpora(default_content_dir(), content)
        examples, multi = split_examples(language, "test", default_content_dir())
        texts = [e.text for e in (*corpora.examples, *corpora.own_words, *examples)]
        texts += [m.text for m in (*corpora.multi, *multi)]
        for text in texts:
            assert readable(text) == text.strip(), (language, text)
            assert len(content.model.clauses(text)) <= MAX_READ_CLAUSES, (language, text)


def test_a_long_message_is_cut_after_a_whole_word() -> None:
    assert readable("  short reply  ") == "short reply"
    cut = readable("word " * 1000)
    assert cut.endswith("word") and len(cut) <= MAX_READ_CHARACTERS
    assert readable("dont " * (MAX_READ_CHARACTERS // 5) + "mind") == ("dont " * (MAX_READ_CHARACTERS // 5)).strip()
    assert readable("a" * 5000) == "a" * MAX_READ_CHARACTERS  # one endless word: cut where the cap is


@pytest.mark.parametrize("length", LENGTHS)
def test_a_wall_of_text_gets_a_sensible_reading(contents: dict[str, Content], length: int) -> None:
    for language, content in contents.items():
        interpreter = Interpreter(content)
        questions = content.questions
        for prose in (FILLER, content.article_text):
            text = wall(length, prose)
            for index, question in enumerate(questions):
                reading = interpreter.read(text, question, questions[index + 1:], can_correct=index > 0)
                assert reading.reading is not Reading.ANSWER, (language, question.id, reading)
                assert reading.facts == (), (language, question.id, reading)  # pasted: nothing said of oneself
            assert interpreter.read(text, None).reading is not Reading.ANSWER


@pytest.mark.parametrize("length", LENGTHS)
def test_a_wall_of_text_gets_a_reply_and_changes_nothing(content: Content, engine: DialogEngine, length: int) -> None:
    session = session_at(content, first_options(content, 1))
    outcome = engine.handle(session, Event(EventKind.TEXT, text=wall(length)))
    assert outcome.session.answers == session.answers and outcome.session.state == session.state
    assert outcome.replies[-1].plain_text.endswith(content.questions[1].text)  # and the question again


def test_what_lies_beyond_the_cap_is_not_read(contents: dict[str, Content]) -> None:
    """Reading is linear because it reads a bounded beginning: whatever follows changes nothing."""
    content = contents["en"]
    interpreter = Interpreter(content)
    question, later = content.questions[0], content.questions[1:]
    more = " I write SQL all day, I don't have a job, and I only have Sundays free. what is hybrid? hi!" * 50
    for start in ("I write SQL all day, and I don't have much free time. ", ""):
        text = start + wall(MAX_READ_CHARACTERS + 10)
        reading = interpreter.read(text, question, later, can_correct=True)
        assert interpreter.read(text + more, question, later, can_correct=True) == reading
        assert interpreter.read(text + wall(100_000), question, later, can_correct=True) == reading


def _recording(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, seen: list[int],
               size: Callable[..., int]) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.append(size(*args))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


@pytest.mark.parametrize("length", (*LENGTHS, 400_000))
def test_reading_does_bounded_work_however_long_the_message(contents: dict[str, Content],
                                                            monkeypatch: pytest.MonkeyPatch, length: int) -> None:
    """Every pass over the text (rules, clauses, features) sees at most the cap, and the model
    weighs at most MAX_READ_CLAUSES clauses: the work is bounded, not timed."""
    content = contents["en"]
    interpreter = Interpreter(content)
    texts: list[int] = []
    clause_sums: list[int] = []
    _recording(monkeypatch, understanding, "plain_text", texts, len)
    _recording(monkeypatch, understanding, "compact", texts, len)
    _recording(monkeypatch, LinearModel, "clauses", texts, lambda model, text: len(text))
    _recording(monkeypatch, LinearModel, "clause_sums", clause_sums, lambda model, clause: 1)
    questions = content.questions
    for text in (wall(length), ("I write SQL all day, " * length)[:length], ("a, " * length)[:length]):
        for index, question in enumerate(questions):
            texts.clear()
            clause_sums.clear()
            interpreter.read(text, question, questions[index + 1:], can_correct=True)
            assert texts and max(texts) <= MAX_READ_CHARACTERS
            assert len(clause_sums) <= MAX_READ_CLAUSES
