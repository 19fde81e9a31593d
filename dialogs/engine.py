"""The dialog engine: (session, event) -> outcome, identical for Telegram, console and tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType

from rapidfuzz import fuzz, process
from transitions import Machine

from dialogs import analytics
from dialogs.analytics import UsageEvent
from dialogs.commands import COMMANDS, command_for, echoable
from dialogs.content import PATH_IDS, Content, Option, Question
from dialogs.events import Event, EventKind
from dialogs.machine import build_machine, state_names
from dialogs.nlu.policy import DEFAULT, Thresholds
from dialogs.replies import Outcome, Reply, Role
from dialogs.scoring import Answer, score
from dialogs.session import (
    CHANGING_PREFIX,
    EXPLAINING,
    NEW,
    QUESTION_PREFIX,
    RESULT,
    PreviousResult,
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

#: "Remind me" checks in two weeks later, unless configured otherwise.
DEFAULT_CHECKIN_AFTER_SECONDS = 14 * 86_400


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
        #: Answers stated ahead of their question (question id -> option id), and those this
        #: turn's message stated (said back to the person).
        self.prefilled: dict[str, str] = {}
        self.new_facts: tuple[Answer, ...] = ()
        #: The result before this quiz or change; the result shown this turn compares with it
        #: when ``compare`` (a quiz completed again, an answer changed).
        self.previous: PreviousResult | None = session.previous
        self.compare = False
        self._content = engine.content
        self._views = engine.views
        self._checkin_after = engine.checkin_after

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
            if self.answers[index] != answer:
                self._remember_result()
                self.compare = True
            self.answers[index] = answer
        else:
            self.answers.append(answer)
            how = analytics.UNSURE if option.is_not_sure else analytics.BUTTON if self.event.via_button else analytics.TYPED
            self._log(analytics.ANSWERED, answer[0], how=how)
            self.completed = len(self.answers) == len(self._content.questions)
            self.compare = self.completed and self.previous is not None
        self.closed_prompt = self._views.answered(index, option, changing=self.is_changing)
        if self.acknowledge:
            self._say(self._views.text("understood", label=option.label))

    def drop_last_answer(self) -> None:
        """Forget the most recent answer (going back)."""
        self.answers.pop()

    def _remember_result(self) -> None:
        """Keep the result the answers give now (if they give one) as the one to compare with."""
        if len(self.answers) == len(self._content.questions):
            result = score(self._content, self.answers)
            if not result.all_unsure:
                self.previous = PreviousResult(tuple(self.answers), result.recommended)

    def clear_answers(self) -> None:
        """Start a new quiz generation: older buttons become stale; a finished quiz's result is
        kept to compare the next one with."""
        self._remember_result()
        self.answers.clear()
        self.prefilled.clear()
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
        if not self.new_facts:  # the message said something after all: the facts are said back
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
        since = self.previous if self.compare else None
        self._say(self._views.result(result, flip, outlook, self.answers, self.generation, since=since))

    def show_why(self) -> None:
        self._say(self._views.why(score(self._content, self.answers)))

    def show_plan(self) -> None:
        self._say(self._views.plan(score(self._content, self.answers).recommended))

    def show_change_menu(self) -> None:
        self._say(self._views.change_menu(self.answers, self.generation))

    def request_reminder(self) -> None:
        """Ask for a check-in about this result; the reply says on which day (a message, not a
        toast: the date stays in the chat)."""
        self.checkin = score(self._content, self.answers).recommended
        self._say(self._views.checkin_set(self.now + self._checkin_after))

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
                 languages: Mapping[str, str] | None = None, machine: Machine | None = None,
                 thresholds: Thresholds = DEFAULT, checkin_after: float = DEFAULT_CHECKIN_AFTER_SECONDS) -> None:
        """``machine`` may be shared by engines of the same quiz in other languages: it depends
        on the questions' ids only."""
        self.content = content
        #: Every language Crossroads speaks (code -> its own name), for /language.
        self.languages = languages or {content.language: content.language_name}
        self.retention_days = retention_days
        #: Seconds from "Remind me" to the check-in.
        self.checkin_after = checkin_after
        self.views = Views(content)
        self.machine: Machine = machine or build_machine(content)
        self.interpreter = Interpreter(content, thresholds)
        #: Each kind of event that does not move through the dialog machine, and its handler.
        self.handlers = self._handler_table()
        #: Each registry-only command that does something (``Command.needs_handler``), by name.
        self.command_handlers = self._command_table()
        missing = ", ".join(command.name for command in COMMANDS
                            if command.needs_handler and command.name not in self.command_handlers)
        if missing:
            raise LookupError(f"commands without a handler in DialogEngine._command_table: {missing}")
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

    # -- reading typed messages ------------------------------------------------------------
    def open_questions(self, session: Session) -> tuple[Question, ...]:
        """Questions whose answers a typed message may state ahead of time: every one not yet
        answered or stated, while the quiz is under way (or about to start)."""
        if session.state != NEW and not (is_asking(session.state) and not session.state.startswith(CHANGING_PREFIX)):
            return ()
        stated = {question_id for question_id, _ in session.prefilled}
        return tuple(question for question in self.content.questions[len(session.answers):]
                     if question.id not in stated)

    def read(self, session: Session, event: Event) -> Event:
        """The event a typed message means where the person is; any other event is returned as is."""
        if event.kind is not EventKind.TEXT:
            return event
        session = self.normalise(session)
        question = self.current_question(session)
        asking_in_order = is_asking(session.state) and not session.state.startswith(CHANGING_PREFIX)
        understood = self.interpreter.read(event.text, question, self.open_questions(session),
                                           can_correct=asking_in_order and bool(session.answers))
        facts = understood.facts
        reading = understood.reading
        if reading is Reading.COMMAND and understood.event is not None:
            return replace(understood.event, acknowledge=True)
        if reading is Reading.ANSWER and question is not None:
            return Event(EventKind.ANSWER, question=question.id, option=understood.options[0],
                         generation=session.generation, acknowledge=understood.how != "exact", facts=facts)
        if reading is Reading.SUGGEST and question is not None:
            return Event(EventKind.SUGGEST, candidates=understood.options, facts=facts)
        if reading is Reading.TOPIC:
            return Event(EventKind.TOPIC, text=understood.topic)
        if reading is Reading.CHAT:
            if session.state == NEW and (understood.topic == "greeting" or facts):
                return Event(EventKind.START, facts=facts)  # a new chat that says hi is greeted
            return Event(EventKind.CHAT, text=understood.topic, facts=facts)
        if reading is Reading.CORRECT:
            return Event(EventKind.CORRECT, text=understood.rest)
        return Event(EventKind.HINT, facts=facts)

    # -- handling events ---------------------------------------------------------------------
    def handle(self, session: Session, event: Event, now: float = 0.0) -> Outcome:
        """Apply one event; the returned session is what must be stored before replying.
        ``now`` (epoch seconds) stamps usage events and the quiz's start. Each kind of event has
        one handler (:attr:`handlers`); the rest move through the dialog machine."""
        session = self.normalise(session)
        event = self.read(session, event)
        if event.kind is EventKind.EXPLAIN:
            event = replace(event, text=self.path_id(event.text) or event.text)
        if event.kind is EventKind.CHANGE and not event.via_button and event.text:
            event = replace(event, question=self.question_named(event.text) or "?")
        command = command_for(event)
        if command is not None and command.info_text is not None:
            return Outcome(session, (self.views.info(command.info_text, retention_days=self.retention_days),))
        if event.kind is EventKind.COMMAND:
            if command is None:  # a name no longer in the registry (a stored or replayed event)
                return self.handlers[EventKind.UNKNOWN](session, replace(event, text="/" + event.command), now)
            return self.command_handlers[command.name](session, event, now)
        handler = self.handlers.get(event.kind, self._turn)
        return handler(session, event, now)

    def _handler_table(self) -> Mapping[EventKind, Callable[[Session, Event, float], Outcome]]:
        """Events that do not move through the dialog machine, each with its handler (built once)."""
        return MappingProxyType({
            EventKind.UNKNOWN: lambda session, event, now: Outcome(
                session, (self.views.text("unknown_command", command=echoable(event.text)),)),
            # Choosing a language is the service's job (it holds every language); here, the menu.
            EventKind.LANGUAGE: lambda session, event, now: Outcome(session, (self.views.language_menu(self.languages),)),
            EventKind.FORGET: self._forget,
            EventKind.SHARED: self._shared,
            EventKind.SHARE: lambda session, event, now: Outcome(session),  # a link button; nothing to do
            EventKind.TOPIC: self._topic,
            EventKind.CHAT: self._chat,
            EventKind.REOPEN: self._reopen,
            EventKind.CORRECT: self._correct,
            EventKind.VERDICT: self._verdict,
        })

    def _command_table(self) -> Mapping[str, Callable[[Session, Event, float], Outcome]]:
        """The handlers of registry-only commands (``EventKind.COMMAND``), by command name."""
        return MappingProxyType({
            # The operator's command: the service answers it for operators; everyone else is told it is unknown.
            "stats": lambda session, event, now: Outcome(session, (self.views.text("unknown_command", command="/stats"),)),
            "whatif": self._whatif,
        })

    def _forget(self, session: Session, event: Event, now: float) -> Outcome:
        """/forget (or its button) deletes at once; plain words ("erase what you know about me") ask first."""
        if event.acknowledge and not event.via_button:
            return Outcome(session, (self.views.forget_confirmation(session.generation),))
        if event.via_button and event.generation != session.generation:  # a confirmation from an earlier quiz
            return Outcome(session, notice=self.content.texts["stale_button"])
        fresh = Session(chat_id=session.chat_id, prompt_message_id=session.prompt_message_id)
        return Outcome(fresh, (self.views.text("forget_done"),), forget=True)

    def _shared(self, session: Session, event: Event, now: float) -> Outcome:
        shared = self.shared_result(event.answers)
        if shared is not None:
            return Outcome(session, (shared,), usage=(UsageEvent(analytics.SHARE_OPENED, at=now),))
        outcome = self._turn(session, Event(EventKind.START), now)
        return replace(outcome, replies=(self.views.text("shared_invalid"), *outcome.replies))

    def _where(self, session: Session) -> tuple[Reply, ...]:
        """The question being asked again (after a reply that kept the person where they were)."""
        if not is_asking(session.state):
            return ()
        index = self.content.question_index[session.state[len(CHANGING_PREFIX):]] \
            if session.state.startswith(CHANGING_PREFIX) else len(session.answers)
        return (self.views.question(index, session.generation, changing=session.state.startswith(CHANGING_PREFIX)),)

    def _whatif(self, session: Session, event: Event, now: float) -> Outcome:
        if len(session.answers) < len(self.content.questions):
            return Outcome(session, (self.views.text("result_not_ready"), *self._where(session)))
        if score(self.content, session.answers).all_unsure:
            return Outcome(session, (self.views.not_enough(),))
        return Outcome(session, (self.views.whatif(smallest_change(self.content, session.answers)),))

    def _topic(self, session: Session, event: Event, now: float) -> Outcome:
        answer = self.views.topic_answer(event.text) if event.text in self.content.topics else self.views.uncovered()
        return self._then_where(session, answer, now)

    def _chat(self, session: Session, event: Event, now: float) -> Outcome:
        if event.text in ("thanks", "laugh", "goodbye"):  # nothing to carry on with: a short reply only
            return Outcome(session, (self.views.chat(event.text), *self._where(session)))
        return self._then_where(session, self.views.chat(event.text), now)

    def _then_where(self, session: Session, reply: Reply, now: float) -> Outcome:
        """``reply``, then the question the person was on; a new chat starts the quiz after it."""
        if session.state == NEW:
            started = self._turn(session, Event(EventKind.START), now)
            return replace(started, replies=(reply, *started.replies))
        return Outcome(session, (reply, *self._where(session)))

    def _reopen(self, session: Session, event: Event, now: float) -> Outcome:
        """A fact taken from a message, not right after all: ask its question when it comes."""
        question = self.content.question(event.question)
        pending = dict(session.prefilled)
        if question is None or event.generation != session.generation or question.id not in pending:
            return Outcome(session, notice=self.content.texts["stale_button"])
        del pending[question.id]
        kept = tuple((question_id, option_id) for question_id, option_id in session.prefilled if question_id in pending)
        return Outcome(replace(session, prefilled=kept), changed=True,
                       notice=self.content.texts.render("fact_reopened", topic=question.topic))

    def _correct(self, session: Session, event: Event, now: float) -> Outcome:
        """ "No, I meant ...": the last answer is taken back and the rest read as its answer."""
        back = self._turn(session, Event(EventKind.BACK), now)
        if not event.text or not back.changed:
            return back
        again = self.handle(back.session, Event(EventKind.TEXT, text=event.text), now)
        if len(again.session.answers) <= len(back.session.answers):
            return replace(again, changed=True, usage=(*back.usage, *again.usage))
        return replace(again, changed=True, closed_prompt=None, usage=(*back.usage, *again.usage))

    def _verdict_choice(self, event: Event) -> str:
        """What a vote says: agree, disagree, a path id, or '' (a typed /verdict that says none)."""
        if event.via_button:
            return event.option
        text = event.text.strip().casefold()
        if text in ("yes", analytics.AGREE):
            return analytics.AGREE
        if text in ("no", analytics.DISAGREE):
            return analytics.DISAGREE
        return self.path_id(text) if text else ""

    def _verdict(self, session: Session, event: Event, now: float) -> Outcome:
        """ "Does this feel right?": agree, or "Not really" (then which path instead). The vote is
        logged anonymously; a changed vote retracts the earlier one (see dialogs.analytics)."""
        if event.via_button and event.generation != session.generation:
            return Outcome(session, notice=self.content.texts["stale_button"])
        if len(session.answers) < len(self.content.questions):
            return Outcome(session, (self.views.text("result_not_ready"), *self._where(session)))
        result = score(self.content, session.answers)
        if result.all_unsure:
            return Outcome(session, (self.views.not_enough(),))
        recommended, choice = result.recommended, self._verdict_choice(event)
        if choice == recommended:
            choice = analytics.AGREE
        if choice not in (analytics.AGREE, analytics.DISAGREE, *PATH_IDS):
            if event.via_button:
                return Outcome(session, notice=self.content.texts["invalid_button"])
            return Outcome(session, (self.views.verdict_prompt(session.generation),))
        vote = (recommended, choice)
        usage: tuple[UsageEvent, ...] = ()
        if vote != session.verdict:
            retracted = (UsageEvent(analytics.VERDICT_RETRACTED, *session.verdict, at=now),) if session.verdict else ()
            usage = (*retracted, UsageEvent(analytics.VERDICT, recommended, choice, at=now))
        changed = vote != session.verdict
        session = replace(session, verdict=vote) if changed else session
        if choice == analytics.DISAGREE:
            return Outcome(session, (self.views.verdict_paths(recommended, session.generation),), changed, usage=usage)
        noted = self.views.verdict_noted(recommended, choice)
        if event.via_button:
            return Outcome(session, changed=changed, notice=noted, usage=usage)
        return Outcome(session, (self.views.text_reply(noted),), changed, usage=usage)

    def _turn(self, session: Session, event: Event, now: float) -> Outcome:
        """One trigger of the dialog machine, then the answers the person already stated."""
        turn = Turn(self, session, event, now)
        turn.acknowledge, turn.candidates = event.acknowledge, event.candidates
        open_ids = {question.id for question in self.open_questions(session)}
        new_facts = tuple(fact for fact in event.facts if fact[0] in open_ids)
        turn.prefilled = dict((*session.prefilled, *new_facts))
        turn.new_facts = new_facts
        self.machine.events[event.kind.value].trigger(turn)
        if turn.generation != session.generation:  # a restart forgets what the old quiz was told
            turn.prefilled.clear()
            new_facts = ()
        self._take_prefilled(turn)
        if new_facts and turn.replies:
            turn.replies.insert(len(turn.replies) - 1, self.views.facts_noted(new_facts, turn.generation))
        answers = tuple(turn.answers)
        order = self.content.question_index
        prefilled = tuple(sorted(((q, o) for q, o in turn.prefilled.items() if q not in dict(answers)),
                                 key=lambda item: order.get(item[0], 0)))
        changed = (turn.state, answers, turn.generation, prefilled, turn.previous) != (
            session.state, session.answers, session.generation, session.prefilled, session.previous)
        # A new quiz is a new ballot for "Does this feel right?".
        verdict = session.verdict if turn.generation == session.generation else None
        new_session = replace(session, state=turn.state, answers=answers, generation=turn.generation,
                              started_at=turn.started_at, prefilled=prefilled, verdict=verdict,
                              previous=turn.previous) if changed else session
        return Outcome(new_session, tuple(turn.replies), changed, turn.closed_prompt, turn.notice,
                       checkin=turn.checkin, usage=tuple(turn.usage))

    def _take_prefilled(self, turn: Turn) -> None:
        """While the question now asked was already answered in a message, answer it with that
        (its prompt is never shown) and move on."""
        closed = turn.closed_prompt
        questions = self.content.questions
        while turn.state.startswith(QUESTION_PREFIX) and len(turn.answers) < len(questions):
            question = questions[len(turn.answers)]
            option_id = turn.prefilled.pop(question.id, None)
            if option_id is None or question.option(option_id) is None:
                break
            if turn.replies and turn.replies[-1].role is Role.QUESTION:
                turn.replies.pop()
            turn.acknowledge = False
            turn.event = Event(EventKind.ANSWER, question=question.id, option=option_id, generation=turn.generation)
            self.machine.events["answer"].trigger(turn)
        turn.closed_prompt = closed

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
