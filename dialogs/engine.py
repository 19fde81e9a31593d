"""The dialog engine: (session, event) -> outcome, identical for Telegram, console and tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rapidfuzz import fuzz, process
from transitions import Machine

from dialogs import analytics
from dialogs.analytics import UsageEvent
from dialogs.commands import COMMANDS_BY_KIND
from dialogs.content import PATH_IDS, Content, Option, Question
from dialogs.events import Event, EventKind
from dialogs.machine import build_machine, state_names
from dialogs.replies import Outcome, Reply
from dialogs.scoring import Answer, score
from dialogs.session import (
    CHANGING_PREFIX,
    EXPLAINING,
    NEW,
    RESULT,
    Session,
    is_asking,
    next_generation,
    question_state,
)
from dialogs.understanding import Interpreter, Reading, phrase_key
from dialogs.views import Views
from dialogs.what_if import smallest_change, unsure_outlook

DEFAULT_RETENTION_DAYS = 90
QUESTION_NAME_SIMILARITY = 75


class Turn:
    """The machine's model for one event: the session being changed and the replies queued."""

    def __init__(self, engine: DialogEngine, session: Session, event: Event, now: float = 0.0) -> None:
        self.state = session.state
        self.started_at = session.started_at
        self.now = now
        #: Anonymous usage events this turn produced.
        self.usage: list[UsageEvent] = []
        #: The quiz was just completed (not an answer changed afterwards).
        self.completed = False
        self.answers: list[Answer] = list(session.answers)
        self.generation = session.generation
        self.event = event
        self.replies: list[Reply] = []
        self.notice = ""
        self.closed_prompt: Reply | None = None
        #: Set for typed answers understood from the person's own words: say what was taken.
        self.acknowledge = False
        #: Candidate option ids for "Did you mean ...?".
        self.candidates: tuple[str, ...] = ()
        #: The path to check in about in two weeks, when the person asked for it.
        self.checkin: str | None = None
        self._content = engine.content
        self._views = engine.views

    def __getattr__(self, name: str) -> bool:
        """``names_<question>`` conditions: the change event names that question (the machine has
        one transition per question, each guarded by its own condition)."""
        if name.startswith("names_"):
            return lambda: self.event.question == name[len("names_"):]  # type: ignore[return-value]
        raise AttributeError(name)

    # -- conditions ---------------------------------------------------------------------
    @property
    def is_changing(self) -> bool:
        return self.state.startswith(CHANGING_PREFIX)

    def _current_index(self) -> int:
        """The question being asked: the next unanswered one, or the one being changed."""
        if self.is_changing:
            return self._content.question_index[self.state[len(CHANGING_PREFIX):]]
        return len(self.answers)

    def _chosen_option(self) -> Option | None:
        index = self._current_index()
        if index >= len(self._content.questions):
            return None
        return self._content.questions[index].option(self.event.option)

    def is_current_button(self) -> bool:
        """A typed command, a button that is the same for every quiz (the change menu), or a
        button shown for this quiz (and, for answers and Back, for the question being asked)."""
        if not self.event.via_button or (self.event.kind is EventKind.CHANGE and not self.event.question):
            return True
        if self.event.generation != self.generation:
            return False
        if self.event.kind is EventKind.CHANGE:
            return len(self.answers) == len(self._content.questions)
        return self._is_current_question()

    def _is_current_question(self) -> bool:
        index = self._current_index()
        return index < len(self._content.questions) and self.event.question == self._content.questions[index].id

    def accepts_answer(self) -> bool:
        """The event answers the current question with one of its options."""
        return self.is_current_button() and self._chosen_option() is not None

    # -- state changes -------------------------------------------------------------------
    def record_answer(self) -> None:
        """Record the chosen option (appended, or replacing the one being changed) and close
        the question it answered."""
        index = self._current_index()
        option = self._chosen_option()
        assert option is not None  # guarded by accepts_answer
        answer = (self._content.questions[index].id, option.id)
        if self.is_changing:
            self.answers[index] = answer
        else:
            self.answers.append(answer)
            how = analytics.UNSURE if option.is_not_sure else analytics.BUTTON if self.event.via_button else analytics.TYPED
            self._log(analytics.ANSWERED, answer[0], how=how)
            self.completed = len(self.answers) == len(self._content.questions)
        self.closed_prompt = self._views.answered(index, option, changing=self.is_changing)
        if self.acknowledge:
            self._say(self._views.text("understood", label=option.label))

    def drop_last_answer(self) -> None:
        """Forget the most recent answer (going back)."""
        self.answers.pop()

    def clear_answers(self) -> None:
        """Start a new quiz generation: older buttons become stale."""
        self.answers.clear()
        self.generation = next_generation(self.generation)

    # -- replies -------------------------------------------------------------------------
    def _log(self, kind: str, detail: str = "", how: str = "", seconds: float | None = None) -> None:
        self.usage.append(UsageEvent(kind, detail, how, seconds, self.now))

    def _begin(self) -> None:
        """A new quiz starts here: log it and remember when, for the time to finish."""
        self.started_at = self.now
        self._log(analytics.STARTED)
        self._log(analytics.REACHED, self._content.questions[0].id)

    def _say(self, reply: Reply) -> None:
        self.replies.append(reply)

    def _notify(self, key: str) -> None:
        """A short acknowledgement: a toast for a button, a message for typed input."""
        text = self._content.texts[key]
        if self.event.via_button:
            self.notice = text
        else:
            self._say(self._views.text(key))

    def _ask_current(self) -> None:
        self._say(self._views.question(self._current_index(), self.generation, changing=self.is_changing))

    def show_current_question(self) -> None:
        if self.event.kind is EventKind.ANSWER and not self.is_changing:
            self._log(analytics.REACHED, self._content.questions[self._current_index()].id)
        self._ask_current()

    def show_greeting(self) -> None:
        self._begin()
        self._say(self._views.greeting())
        self._ask_current()

    def show_resume(self) -> None:
        self._say(self._views.text("resume"))
        self._ask_current()

    def show_restarted(self) -> None:
        self._begin()
        self._notify("restarted")
        self._ask_current()

    def show_went_back(self) -> None:
        self._notify("back_done")
        self._ask_current()

    def show_hint(self) -> None:
        self._say(self._views.hint(self._content.questions[self._current_index()]))
        self._ask_current()

    def show_finished_hint(self) -> None:
        self._say(self._views.text("finished_hint"))

    def show_suggestions(self) -> None:
        self._log(analytics.SUGGESTED, self._content.questions[self._current_index()].id)
        self._say(self._views.suggestions(self._current_index(), self.candidates, self.generation))

    def show_result(self) -> None:
        result = score(self._content, self.answers)
        if self.completed:
            seconds = self.now - self.started_at if self.started_at and self.now >= self.started_at else None
            self._log(analytics.RESULT, result.recommended, seconds=seconds)
        flip = None if result.all_unsure else smallest_change(self._content, self.answers)
        outlook = unsure_outlook(self._content, self.answers) if result.unsure else None
        self._say(self._views.result(result, flip, outlook, self.answers))

    def show_why(self) -> None:
        self._say(self._views.why(score(self._content, self.answers)))

    def show_plan(self) -> None:
        self._say(self._views.plan(score(self._content, self.answers).recommended))

    def show_change_menu(self) -> None:
        self._say(self._views.change_menu(self.answers, self.generation))

    def request_reminder(self) -> None:
        self.checkin = score(self._content, self.answers).recommended
        self._notify("checkin_set")

    def show_not_ready(self) -> None:
        self._say(self._views.text("result_not_ready"))
        if self.state != NEW:
            self._ask_current()

    def show_explanation(self) -> None:
        path_id = self.event.text if self.event.text in PATH_IDS else ""
        finished = self.state in (RESULT, EXPLAINING)
        if path_id:
            self._say(self._views.explanation(path_id, with_buttons=finished))
        elif self.event.text:
            self._say(self._views.text("explain_unknown", choices=", ".join(PATH_IDS)))
            self._say(self._views.explain_menu())
        else:
            self._say(self._views.explain_menu())
        if is_asking(self.state):
            self._say(self._views.text("continue_quiz"))
            self._ask_current()

    def reject_answer(self) -> None:
        """A button that is not for the current question (stale), or a current one with an
        unknown option (forged); typed input gets the hint instead."""
        if not self.event.via_button:
            if is_asking(self.state):
                self.show_hint()
            else:
                self.show_finished_hint()
            return
        self.notice = self._content.texts["invalid_button" if self.is_current_button() else "stale_button"]

    def notice_first_question(self) -> None:
        self._notify("back_at_first")

    def notice_not_started(self) -> None:
        self._notify("back_not_started")


class DialogEngine:
    """Applies events to sessions. Built once per content load; holds no per-chat state."""

    def __init__(self, content: Content, retention_days: int = DEFAULT_RETENTION_DAYS,
                 languages: Mapping[str, str] | None = None, machine: Machine | None = None) -> None:
        """``machine`` may be shared by engines of the same quiz in other languages: it depends
        on the questions' ids only."""
        self.content = content
        #: Every language Crossroads speaks (code -> its own name), for /language.
        self.languages = languages or {content.language: content.language_name}
        self.retention_days = retention_days
        self.views = Views(content)
        self.machine: Machine = machine or build_machine(content)
        self.interpreter = Interpreter(content)
        self._states = frozenset(state_names(content))
        self._question_names = {
            phrase_key(name, content.wording): question.id
            for question in content.questions for name in (question.id, question.factor, question.topic)
        }

    def path_id(self, text: str) -> str:
        """The path an /explain argument names (forgiving), or '' when it names none."""
        if text in PATH_IDS or not text:
            return text
        return self.interpreter.path_named(text) or ""

    def question_named(self, text: str) -> str:
        """The question a /change argument names: its number, id or factor (forgiving); ''."""
        key = phrase_key(text, self.content.wording)
        if key.isascii() and key.isdigit() and 1 <= int(key) <= len(self.content.questions):
            return self.content.questions[int(key) - 1].id
        if key in self._question_names:
            return self._question_names[key]
        found = process.extractOne(key, list(self._question_names), scorer=fuzz.partial_ratio,
                                   score_cutoff=QUESTION_NAME_SIMILARITY) if len(key) >= 3 else None
        return self._question_names[found[0]] if found else ""

    def current_question(self, session: Session) -> Question | None:
        """The question being asked, or None when no question is open."""
        if session.state.startswith(CHANGING_PREFIX):
            return self.content.question(session.state[len(CHANGING_PREFIX):])
        index = len(session.answers)
        if not is_asking(session.state) or index >= len(self.content.questions):
            return None
        return self.content.questions[index]

    def normalise(self, session: Session) -> Session:
        """Make a stored session consistent with the current content (which may have changed)."""
        questions = self.content.questions
        answers: list[Answer] = []
        for (question_id, option_id), question in zip(session.answers, questions):
            if question.id != question_id or question.option(option_id) is None:
                break
            answers.append((question_id, option_id))
        if len(answers) == len(questions):
            keep = session.state in (RESULT, EXPLAINING) or (
                session.state.startswith(CHANGING_PREFIX) and session.state in self._states)
            state = session.state if keep else RESULT
        elif not answers and session.state == NEW:
            state = NEW
        else:
            state = question_state(questions[len(answers)].id)
        if state == session.state and len(answers) == len(session.answers):
            return session
        return replace(session, state=state, answers=tuple(answers))

    def _read_text(self, session: Session, event: Event) -> tuple[Event, str, bool, tuple[str, ...]]:
        """What typed text means here: (event, trigger, acknowledge, candidates)."""
        question = self.current_question(session)
        understood = self.interpreter.read(event.text, question)
        if understood.reading is Reading.COMMAND and understood.event is not None:
            return understood.event, understood.event.kind.value, False, ()
        if understood.reading is Reading.ANSWER and question is not None:
            answer = Event(EventKind.ANSWER, question=question.id, option=understood.options[0],
                           generation=session.generation)
            return answer, "answer", understood.how != "exact", ()
        if understood.reading is Reading.SUGGEST:
            return event, "suggest", False, understood.options
        return event, "hint", False, ()

    def handle(self, session: Session, event: Event, now: float = 0.0) -> Outcome:
        """Apply one event; the returned session is what must be stored before replying.
        ``now`` (epoch seconds) stamps usage events and the quiz's start."""
        session = self.normalise(session)
        trigger, acknowledge = event.kind.value, False
        candidates: tuple[str, ...] = ()
        if event.kind is EventKind.TEXT:
            event, trigger, acknowledge, candidates = self._read_text(session, event)
        if event.kind is EventKind.EXPLAIN:
            event = replace(event, text=self.path_id(event.text) or event.text)
        if event.kind is EventKind.CHANGE and not event.via_button and event.text:
            event = replace(event, question=self.question_named(event.text) or "?")
        command = COMMANDS_BY_KIND.get(event.kind)
        if command is not None and command.info_text is not None:
            return Outcome(session, (self.views.info(command.info_text, retention_days=self.retention_days),))
        if event.kind is EventKind.UNKNOWN:
            return Outcome(session, (self.views.text("unknown_command", command=event.text),))
        if event.kind is EventKind.STATS:  # the operator's command; front ends answer it for operators
            return Outcome(session, (self.views.text("unknown_command", command="/stats"),))
        if event.kind is EventKind.LANGUAGE:  # choosing one is the service's job (it holds every language)
            return Outcome(session, (self.views.language_menu(self.languages),))
        if event.kind is EventKind.FORGET:
            fresh = Session(chat_id=session.chat_id, prompt_message_id=session.prompt_message_id)
            return Outcome(fresh, (self.views.text("forget_done"),), forget=True)
        if event.kind is EventKind.SHARED:
            shared = self.shared_result(event.answers)
            if shared is not None:
                return Outcome(session, (shared,), usage=(UsageEvent(analytics.SHARE_OPENED, at=now),))
            event, trigger = Event(EventKind.START), "start"
            intro: tuple[Reply, ...] = (self.views.text("shared_invalid"),)
        else:
            intro = ()
        if event.kind is EventKind.SHARE:
            return Outcome(session)  # a link button; nothing to do if a front end sends it
        turn = Turn(self, session, event, now)
        turn.acknowledge, turn.candidates = acknowledge, candidates
        self.machine.events[trigger].trigger(turn)
        answers = tuple(turn.answers)
        changed = (turn.state, answers, turn.generation) != (session.state, session.answers, session.generation)
        new_session = replace(session, state=turn.state, answers=answers, generation=turn.generation,
                              started_at=turn.started_at) if changed else session
        return Outcome(new_session, (*intro, *turn.replies), changed, turn.closed_prompt, turn.notice,
                       checkin=turn.checkin, usage=tuple(turn.usage))

    def shared_result(self, answers: tuple[Answer, ...]) -> Reply | None:
        """Someone else's complete answers as their result; None if they do not fit the content."""
        questions = self.content.questions
        if len(answers) != len(questions):
            return None
        for (question_id, option_id), question in zip(answers, questions):
            if question_id != question.id or question.option(option_id) is None:
                return None
        result = score(self.content, answers)
        return None if result.all_unsure else self.views.shared_result(result)
