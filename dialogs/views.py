"""Pure rendering of content and results into platform-free replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from dialogs.analytics import AGREE, DISAGREE
from dialogs.commands import COMMANDS
from dialogs.content import PATH_IDS, Content, Option, Question
from dialogs.events import Event, EventKind
from dialogs.plurals import plural_category
from dialogs.replies import Button, Reply, ResultCard, Role, Span, Style, Tone
from dialogs.scoring import Answer, Contribution, Result, deciding_answers, result_excerpts
from dialogs.session import PreviousResult
from dialogs.what_if import Flip, UnsureOutlook

PROGRESS_WIDTH = 7
BAR_WIDTH = 10


class Views:
    """Builds every reply the dialog shows from one loaded content."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._texts = content.texts

    def text(self, key: str, **values: object) -> Reply:
        """A plain informational reply from texts.yaml."""
        return Reply((Span(self._texts.render(key, **values)),))

    @staticmethod
    def text_reply(text: str) -> Reply:
        """An already rendered text as a plain reply."""
        return Reply((Span(text),))

    def info(self, key: str, **values: object) -> Reply:
        """An informational command's reply; /help lists the registry's menu commands."""
        if key != "help":
            return self.text(key, **values)
        lines = [self._texts["help_intro"]]
        lines.extend(
            self._texts.render("help_line", command=command.name,
                               description=self._content.commands[command.name].description)
            for command in COMMANDS if command.in_menu
        )
        lines.append(self._texts["help_outro"])
        language = Button(self._texts["button_language"], Event(EventKind.LANGUAGE, via_button=True), shortcut="/language")
        return Reply((Span("\n".join(lines)),), ((language,),))

    def language_menu(self, languages: Mapping[str, str]) -> Reply:
        """A button per language, each in its own name."""
        rows = tuple(
            (Button(name, Event(EventKind.LANGUAGE, text=code, via_button=True), shortcut=f"/language {code}"),)
            for code, name in languages.items()
        )
        return Reply((Span(self._texts["language_menu"]),), rows, Role.INFO)

    def greeting(self) -> Reply:
        """The welcome message."""
        return self.text("greeting", total=len(self._content.questions))

    def points(self, count: int) -> str:
        """'1 point', '3 points' (and the right form in every language)."""
        return self._texts.render(f"points_{plural_category(self._content.language, count)}", count=count)

    # -- questions -------------------------------------------------------------------------
    def _header(self, index: int, changing: bool) -> Span:
        if changing:
            question = self._content.questions[index]
            return Span(self._texts.render("changing_header", factor=question.factor) + "\n\n")
        total = len(self._content.questions)
        filled = round(PROGRESS_WIDTH * index / total)
        bar = self._texts["progress_filled"] * filled + self._texts["progress_empty"] * (PROGRESS_WIDTH - filled)
        return Span(self._texts.render("question_header", number=index + 1, total=total, bar=bar) + "\n\n")

    @staticmethod
    def _answer_button(question: Question, option: Option, generation: int) -> Button:
        number = next(n for n, choice in enumerate(question.choices, start=1) if choice.id == option.id)
        event = Event(EventKind.ANSWER, question=question.id, option=option.id, generation=generation, via_button=True)
        return Button(option.label, event, shortcut=str(number), tone=Tone.PLAIN if option.is_not_sure else Tone.MAIN)

    def question(self, index: int, generation: int, changing: bool = False) -> Reply:
        """Question ``index`` with one button per option, then "Not sure" (and Back after the
        first question; when changing an answer, Back returns to the result)."""
        question = self._content.questions[index]
        rows: list[tuple[Button, ...]] = [
            (self._answer_button(question, option, generation),) for option in question.options
        ]
        last_row = [self._answer_button(question, question.not_sure, generation)]
        if index > 0 or changing:
            back = Event(EventKind.BACK, question=question.id, generation=generation, via_button=True)
            last_row.append(Button(self._texts["button_back"], back, shortcut="/back"))
        rows.append(tuple(last_row))
        spans = (self._header(index, changing), Span(question.text, Style.BOLD))
        return Reply(spans, tuple(rows), Role.QUESTION)

    def answered(self, index: int, option: Option, changing: bool = False) -> Reply:
        """Question ``index`` as it reads once answered: the choice shown, no buttons."""
        question = self._content.questions[index]
        spans = (
            self._header(index, changing),
            Span(question.text, Style.BOLD),
            Span("\n" + self._texts.render("answered", label=option.label), Style.ITALIC),
        )
        return Reply(spans, (), Role.INFO)

    def suggestions(self, index: int, option_ids: tuple[str, ...], generation: int) -> Reply:
        """ "Did you mean ...?" with the candidate answers as buttons (the question stays open)."""
        question = self._content.questions[index]
        options = [option for option_id in option_ids if (option := question.option(option_id)) is not None]
        if len(options) == 1:
            text = self._texts.render("did_you_mean_one", label=options[0].label)
        else:
            text = self._texts["did_you_mean_many"]
        rows = tuple((self._answer_button(question, option, generation),) for option in options)
        return Reply((Span(text),), rows, Role.INFO)

    def hint(self, question: Question) -> Reply:
        """What to say when typed text matches no option."""
        return self.text("answer_hint", count=len(question.choices))

    def change_menu(self, answers: Sequence[Answer], generation: int) -> Reply:
        """Every question with the current answer; pressing one asks it again."""
        rows = []
        for number, (question_id, option_id) in enumerate(answers, start=1):
            question = self._content.question(question_id)
            option = question.option(option_id) if question else None
            if question is None or option is None:
                continue
            label = self._texts.render("change_button", factor=question.factor, answer=option.label)
            event = Event(EventKind.CHANGE, question=question.id, generation=generation, via_button=True)
            rows.append((Button(label, event, shortcut=f"/change {number}"),))
        rows.append((self._result_button("button_back_to_result", EventKind.START, "/start"),))
        return Reply((Span(self._texts["change_menu"]),), tuple(rows), Role.INFO)

    # -- results ---------------------------------------------------------------------------
    def _path_name(self, path_id: str) -> str:
        return self._content.paths[path_id].name

    def _quotes(self, excerpt_ids: Sequence[str], style: Style) -> list[Span]:
        """Quotes with their attribution; collapsed into one expandable block for results."""
        lines = []
        for excerpt_id in excerpt_ids:
            excerpt = self._content.excerpts[excerpt_id]
            attribution = self._texts.render("attribution", title=self._content.article_title, section=excerpt.section)
            translation = self._content.excerpt_translations.get(excerpt_id)
            ours = "\n" + self._texts.render("excerpt_translation", text=translation) if translation else ""
            lines.append(f"“{excerpt.text}”\n{attribution}{ours}")
        if style is Style.EXPANDABLE_QUOTE:
            return [Span("\n\n".join(lines), style)] if lines else []
        return [Span(line + "\n", Style.QUOTE) for line in lines]

    def _result_button(self, key: str, kind: EventKind, shortcut: str, tone: Tone = Tone.PLAIN) -> Button:
        return Button(self._texts[key], Event(kind, via_button=True), shortcut=shortcut, tone=tone)

    def _restart_button(self) -> Button:
        return self._result_button("button_restart", EventKind.RESTART, "/restart")

    def result_buttons(self, answers: Sequence[Answer] = ()) -> tuple[tuple[Button, ...], ...]:
        """What now, change an answer, why, share, remind me, the paths, start over."""
        share = Button(self._texts["button_share"], Event(EventKind.SHARE, answers=tuple(answers), via_button=True))
        return (
            (self._result_button("button_plan", EventKind.PLAN, "/plan", Tone.MAIN),
             self._result_button("button_why", EventKind.WHY, "/why")),
            (self._result_button("button_change", EventKind.CHANGE, "/change"), share),
            (self._result_button("button_remind", EventKind.REMIND, "/remind"),),
            (self._result_button("button_explain_menu", EventKind.EXPLAIN, "/explain"), self._restart_button()),
        )

    # -- "Does this feel right?" -------------------------------------------------------------
    def _verdict_button(self, label: str, choice: str, generation: int, shortcut: str, tone: Tone = Tone.PLAIN) -> Button:
        event = Event(EventKind.VERDICT, option=choice, generation=generation, via_button=True)
        return Button(label, event, shortcut=f"/verdict {shortcut}", tone=tone)

    def verdict_row(self, generation: int) -> tuple[Button, ...]:
        """ "Feels right" / "Not really" under a result, for this quiz."""
        return (self._verdict_button(self._texts["button_verdict_yes"], AGREE, generation, "yes", Tone.GOOD),
                self._verdict_button(self._texts["button_verdict_no"], DISAGREE, generation, "no"))

    def verdict_prompt(self, generation: int) -> Reply:
        """ "Does this result feel right?" on its own (a /verdict that said neither)."""
        return Reply((Span(self._texts["verdict_prompt"]),), (self.verdict_row(generation),), Role.INFO)

    def verdict_paths(self, recommended: str, generation: int) -> Reply:
        """After "Not really": which path feels right instead (one button per other path)."""
        rows = tuple((self._verdict_button(path.name, path.id, generation, path.id),)
                     for path in self._content.paths.values() if path.id != recommended)
        text = self._texts.render("verdict_which", path=self._path_name(recommended))
        return Reply((Span(text),), rows, Role.INFO)

    def verdict_noted(self, recommended: str, choice: str) -> str:
        """What a vote says back (a button's toast): the vote as it now stands."""
        if choice == AGREE:
            return self._texts.render("verdict_agreed", path=self._path_name(recommended))
        return self._texts.render("verdict_instead", path=self._path_name(choice), recommended=self._path_name(recommended))

    def _clarity(self, result: Result) -> str:
        if result.runner_up is None or result.margin is None:
            return self._texts["result_alone"]
        runner_up = self._path_name(result.runner_up)
        if result.margin == 0:
            return self._texts.render("result_tied", runner_up=runner_up)
        key = "result_close" if result.is_close else "result_clear"
        return self._texts.render(key, runner_up=runner_up, margin=self.points(result.margin))

    def _bars(self, result: Result) -> list[Span]:
        top = max(max(result.scores.values()), 1)
        spans = []
        others = [path_id for path_id in result.ranking if path_id != result.recommended]
        for path_id in (result.recommended, *others):
            filled = round(BAR_WIDTH * result.scores[path_id] / top)
            bar = self._texts["progress_filled"] * filled + self._texts["progress_empty"] * (BAR_WIDTH - filled)
            key = "result_bar_ruled_out" if path_id in result.excluded else "result_bar"
            line = self._texts.render(key, bar=bar, score=result.scores[path_id], path=self._path_name(path_id))
            spans.append(Span(line + "\n", Style.BOLD if path_id == result.recommended else Style.PLAIN))
        return spans

    def gains(self, contribution: Contribution) -> str:
        """What one answer gave each path: '+3 Side hustle, +1 Hybrid' (or 'no points')."""
        parts = [
            self._texts.render("why_gain", points=contribution.points(path_id), path=self._path_name(path_id))
            for path_id in sorted(PATH_IDS, key=lambda p: -contribution.points(p))
            if contribution.points(path_id) > 0
        ]
        return ", ".join(parts) or self._texts["why_no_points"]

    def _flip_line(self, flip: Flip | None) -> str:
        if flip is None:
            return self._texts["result_robust"]
        first = flip.changes[0]
        path = self._path_name(flip.path)
        if len(flip.changes) == 1:
            return self._texts.render("result_flip_one", answer=first.option.label, topic=first.question.topic, path=path)
        second = flip.changes[1]
        return self._texts.render("result_flip_two", answer=first.option.label, topic=first.question.topic,
                                  answer2=second.option.label, topic2=second.question.topic, path=path)

    def _unsure_line(self, result: Result, outlook: UnsureOutlook | None) -> list[Span]:
        if not result.unsure:
            return []
        topics = self._listed([c.question.topic for c in result.unsure])
        line = self._texts.render("result_unsure", topics=topics)
        if outlook is not None and outlook.holds:
            line += " " + self._texts.render("result_unsure_holds", path=self._path_name(result.recommended))
        elif outlook is not None and outlook.changer is not None:
            question, option, path_id = outlook.changer
            line += " " + self._texts.render("result_unsure_changes", answer=option.label, topic=question.topic,
                                             path=self._path_name(path_id))
        elif outlook is not None:
            line += " " + self._texts["result_unsure_depends"]
        return [Span(line + "\n")]

    def card(self, result: Result) -> ResultCard:
        """What the result picture shows: the headline and the three scores."""
        others = [path_id for path_id in result.ranking if path_id != result.recommended]
        return ResultCard(
            headline=self._texts.render("result_headline", path=self._path_name(result.recommended)),
            bars=tuple((self._path_name(p), result.scores[p], p in result.excluded) for p in (result.recommended, *others)),
            ruled_out=self._texts["card_ruled_out"],
            invite=self._texts["card_invite"],
        )

    def result(self, result: Result, flip: Flip | None = None, outlook: UnsureOutlook | None = None,
               answers: Sequence[Answer] = (), generation: int | None = None,
               since: PreviousResult | None = None) -> Reply:
        """One phone screen: the headline, how clear it is, the scores as bars, what decided it,
        what would change it, then the article's words collapsed, then the buttons (with
        "Does this feel right?" for the person's own quiz: ``generation``). After a retake or a
        changed answer, it opens with what changed ``since`` the result before."""
        if result.all_unsure:
            return self.not_enough()
        best = self._path_name(result.recommended)
        # With every other path ruled out, the lines saying why replace the "how clear" line.
        clarity = [] if result.runner_up is None else [Span(self._clarity(result) + "\n")]
        since_line = self.since_last_time(since, answers, result.recommended) if since is not None else ""
        spans: list[Span] = [
            *([Span(since_line + "\n\n", Style.ITALIC)] if since_line else []),
            Span(self._texts.render("result_headline", path=best) + "\n", Style.BOLD),
            *clarity,
            Span("\n"),
            *self._bars(result),
        ]
        for path_id, exclusion in result.excluded.items():
            spans.append(Span(self._texts.render("result_excluded", path=self._path_name(path_id),
                                                 why=exclusion.requirement.unmet) + "\n", Style.ITALIC))
        spans.append(Span("\n" + self._texts["result_decided_title"] + "\n", Style.BOLD))
        # Two deciding answers, not three, when the unsure answers need a line of their own.
        for contribution in deciding_answers(result, limit=2 if result.unsure else 3):
            line = self._texts.render("result_decided_line", answer=contribution.option.label,
                                      points=self.points(contribution.points(result.recommended)))
            spans.append(Span(line + "\n"))
        spans.extend(self._unsure_line(result, outlook))
        if outlook is None or outlook.changer is None:  # else the unsure line already says what would
            spans.append(Span("\n" + self._flip_line(flip) + "\n"))
        spans.extend(self._quotes(result_excerpts(self._content, result), Style.EXPANDABLE_QUOTE))
        buttons = self.result_buttons(answers)
        if generation is not None:
            buttons = (*buttons, self.verdict_row(generation))
        return Reply(tuple(spans), buttons, Role.RESULT, card=self.card(result))

    def _listed(self, items: Sequence[str]) -> str:
        """"a, b and c" in this language."""
        if len(items) < 2:
            return "".join(items)
        return self._texts.render("list_and", items=", ".join(items[:-1]), last=items[-1])

    def since_last_time(self, previous: PreviousResult, answers: Sequence[Answer], path_id: str) -> str:
        """One line: which answers changed since ``previous`` (by their short topic) and whether
        the recommendation moved or held; "" when the previous result no longer fits the content."""
        if previous.path not in self._content.paths or path_id not in self._content.paths:
            return ""
        before, now = dict(previous.answers), dict(answers)
        changed = [question.topic or question.factor for question in self._content.questions
                   if question.id in before and question.id in now and before[question.id] != now[question.id]]
        if not changed:
            return self._texts.render("since_same", path=self._path_name(path_id))
        changes = self._listed(changed)
        if previous.path == path_id:
            return self._texts.render("since_held", changes=changes, path=self._path_name(path_id))
        return self._texts.render("since_moved", changes=changes, before=self._path_name(previous.path),
                                  after=self._path_name(path_id))

    def not_enough(self) -> Reply:
        """Every answer was "Not sure": say so honestly and offer to start over."""
        return Reply((Span(self._texts["result_all_unsure"]),), ((self._restart_button(),),), Role.RESULT)

    def shared_result(self, result: Result) -> Reply:
        """Someone else's result, clearly marked, with a button to take the quiz oneself."""
        spans: list[Span] = [
            Span(self._texts["shared_title"] + "\n", Style.ITALIC),
            Span(self._texts.render("shared_headline", path=self._path_name(result.recommended)) + "\n", Style.BOLD),
            Span(self._clarity(result) + "\n\n"),
            *self._bars(result),
            Span("\n" + self._texts["shared_offer"]),
        ]
        take = self._result_button("button_take_quiz", EventKind.START, "/start", Tone.MAIN)
        return Reply(tuple(spans), ((take,),), Role.INFO)

    def posted_result(self, result: Result) -> Reply:
        """The person's own result as they post it in another chat (inline mode): the headline in
        their voice, how clear it is, the bars and the invitation; its card for a picture."""
        spans: list[Span] = [
            Span(self._texts.render("inline_headline", path=self._path_name(result.recommended)) + "\n", Style.BOLD),
            Span(self._clarity(result) + "\n\n"),
            *self._bars(result),
            Span("\n" + self._texts["card_invite"]),
        ]
        return Reply(tuple(spans), (), Role.INFO, card=self.card(result))

    def why(self, result: Result) -> Reply:
        """Every answer, what it gave to each path, ordered by how much it moved the winner
        against the runner-up, with its reason; the totals are the scores shown."""
        best, rival = result.recommended, result.runner_up

        def moved(contribution: Contribution) -> int:
            return contribution.points(best) - (contribution.points(rival) if rival else 0)

        spans: list[Span] = [Span(self._texts.render("why_title", path=self._path_name(best)) + "\n\n", Style.BOLD)]
        for contribution in sorted(result.contributions, key=moved, reverse=True):
            line = self._texts.render("why_line", factor=contribution.question.factor,
                                      answer=contribution.option.label, gains=self.gains(contribution))
            spans.append(Span(line + "\n"))
            spans.append(Span(contribution.option.reason + "\n", Style.ITALIC))
        totals = ", ".join(
            self._texts.render("why_total", path=self._path_name(p), points=self.points(result.scores[p]))
            for p in result.ranking
        )
        spans.append(Span("\n" + self._texts.render("why_totals", totals=totals) + "\n", Style.BOLD))
        spans.append(Span(self._texts["why_footer"]))
        return Reply(tuple(spans), self.result_buttons(tuple((c.question.id, c.option.id) for c in result.contributions)),
                     Role.INFO)

    def plan(self, path_id: str) -> Reply:
        """Three to five first steps on the path, each with the article words behind it."""
        spans: list[Span] = [Span(self._texts.render("plan_title", path=self._path_name(path_id)) + "\n\n", Style.BOLD)]
        for number, step in enumerate(self._content.plans[path_id], start=1):
            spans.append(Span(self._texts.render("plan_step", number=number, step=step.text) + "\n"))
        seen: list[str] = []
        for step in self._content.plans[path_id]:
            if step.excerpt not in seen:
                seen.append(step.excerpt)
        spans.extend(self._quotes(seen, Style.EXPANDABLE_QUOTE))
        copy = Button(self._texts["button_copy_plan"], Event(EventKind.PLAN, via_button=True), tone=Tone.MAIN,
                      copies=self._content.checklists[path_id])
        back = self._result_button("button_back_to_result", EventKind.START, "/start")
        buttons = ((copy,), (back, self._restart_button()))
        return Reply(tuple(spans), buttons, Role.INFO)

    def checkin(self, path_id: str) -> Reply:
        """The two-week check-in, with a button to retake the quiz and compare."""
        spans = (Span(self._texts.render("checkin_message", path=self._path_name(path_id))),)
        retake = self._result_button("button_retake", EventKind.RESTART, "/restart", Tone.MAIN)
        return Reply(spans, ((retake,),), Role.INFO)

    def checkin_set(self, due_at: float) -> Reply:
        """The check-in promised, with its date (shown in the reader's own format where the front
        end can; the plain form is the ISO date)."""
        before, _, after = self._texts.render("checkin_set", date="\0").partition("\0")
        plain = datetime.fromtimestamp(due_at, tz=UTC).strftime("%Y-%m-%d")
        return Reply((Span(before), Span(plain, Style.DATE, at=due_at), Span(after)), (), Role.INFO)

    # -- paths -----------------------------------------------------------------------------
    def explain_menu(self) -> Reply:
        """Ask which path to explain."""
        rows = tuple(
            (Button(path.name, Event(EventKind.EXPLAIN, text=path.id, via_button=True), shortcut=f"/explain {path.id}"),)
            for path in self._content.paths.values()
        )
        return Reply((Span(self._texts["explain_menu"]),), rows, Role.INFO)

    def explanation(self, path_id: str, with_buttons: bool) -> Reply:
        """A path's summary, pros, cons, who it fits and its excerpts."""
        path = self._content.paths[path_id]
        texts = self._texts
        spans: list[Span] = [
            Span(texts.render("explain_title", path=path.name) + "\n", Style.BOLD),
            Span(path.summary + "\n\n"),
            Span(texts["explain_pros_title"] + "\n", Style.BOLD),
            *(Span(f"• {item}\n") for item in path.pros),
            Span("\n" + texts["explain_cons_title"] + "\n", Style.BOLD),
            *(Span(f"• {item}\n") for item in path.cons),
            Span("\n" + texts["explain_fits_title"] + "\n", Style.BOLD),
            Span(path.fits + "\n\n"),
            Span(texts["explain_excerpts_title"] + "\n", Style.BOLD),
            *self._quotes(path.excerpts, Style.QUOTE),
        ]
        buttons = ((self._result_button("button_back_to_result", EventKind.START, "/start"),),) if with_buttons else ()
        return Reply(tuple(spans), buttons, Role.INFO)

    # -- questions about the paths, small talk, several facts --------------------------------
    def topic_answer(self, topic_id: str) -> Reply:
        """The article's own sentences that answer a question about the paths, attributed."""
        spans = [Span(self._texts["topic_title"] + "\n", Style.BOLD),
                 *self._quotes(self._content.topics[topic_id], Style.QUOTE)]
        return Reply(tuple(spans), (), Role.INFO)

    def uncovered(self) -> Reply:
        """An honest "the article doesn't cover that", with what it does cover."""
        return self.text("topic_uncovered")

    def chat(self, kind: str) -> Reply:
        """A short reply to small talk."""
        return self.text(f"chat_{kind}", total=len(self._content.questions), title=self._content.article_title)

    def facts_noted(self, facts: Sequence[Answer], generation: int) -> Reply:
        """Answers taken from the person's message, said back with a button to ask each again."""
        lines, rows = [self._texts["facts_noted"]], []
        for question_id, option_id in facts:
            question = self._content.question(question_id)
            option = question.option(option_id) if question else None
            if question is None or option is None:
                continue
            lines.append("• " + self._texts.render("fact_line", topic=question.topic, label=option.label))
            event = Event(EventKind.REOPEN, question=question_id, generation=generation, via_button=True)
            rows.append((Button(self._texts.render("button_fact", topic=question.topic), event),))
        lines.append(self._texts["facts_outro"])
        return Reply((Span("\n".join(lines)),), tuple(rows), Role.INFO)

    def whatif(self, flip: Flip | None) -> Reply:
        """What would change the result (the smallest change), or that it is robust."""
        return Reply((Span(self._texts["whatif_title"] + "\n", Style.BOLD), Span(self._flip_line(flip))), (), Role.INFO)

    def forget_confirmation(self, generation: int) -> Reply:
        """ "Delete everything?" with a button that does it (for this quiz only) and one that keeps everything."""
        forget = Event(EventKind.FORGET, generation=generation, via_button=True)
        rows = ((Button(self._texts["button_forget_yes"], forget, shortcut="/forget", tone=Tone.DANGER),),
                (self._result_button("button_forget_no", EventKind.START, "/start"),))
        return Reply((Span(self._texts["forget_confirm"]),), rows, Role.INFO)
