"""Pure rendering of content and results into platform-free replies."""

from __future__ import annotations

from dialogs.commands import COMMANDS
from dialogs.content import Content, Option, Question
from dialogs.events import Event, EventKind
from dialogs.replies import Button, Reply, Role, Span, Style
from dialogs.scoring import Result, UnsureOutlook, deciding_answers, result_excerpts

PROGRESS_WIDTH = 7


class Views:
    """Builds every reply the dialog shows from one loaded content."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._texts = content.texts

    def text(self, key: str, **values: object) -> Reply:
        """A plain informational reply from texts.yaml."""
        return Reply((Span(self._texts.render(key, **values)),))

    def info(self, key: str, **values: object) -> Reply:
        """An informational command's reply; /help lists the registry's menu commands."""
        if key != "help":
            return self.text(key, **values)
        lines = [self._texts["help_intro"]]
        lines.extend(
            self._texts.render("help_line", command=command.name, description=self._content.commands[command.name].description)
            for command in COMMANDS if command.in_menu
        )
        lines.append(self._texts["help_outro"])
        return Reply((Span("\n".join(lines)),))

    def greeting(self) -> Reply:
        """The welcome message."""
        return self.text("greeting", total=len(self._content.questions))

    def _header(self, index: int) -> Span:
        total = len(self._content.questions)
        filled = round(PROGRESS_WIDTH * index / total)
        bar = self._texts["progress_filled"] * filled + self._texts["progress_empty"] * (PROGRESS_WIDTH - filled)
        return Span(self._texts.render("question_header", number=index + 1, total=total, bar=bar) + "\n\n")

    @staticmethod
    def _answer_button(question: Question, option: Option, generation: int) -> Button:
        number = next(n for n, choice in enumerate(question.choices, start=1) if choice.id == option.id)
        event = Event(EventKind.ANSWER, question=question.id, option=option.id, generation=generation, via_button=True)
        return Button(option.label, event, shortcut=str(number))

    def question(self, index: int, generation: int) -> Reply:
        """Question ``index`` with one button per option, then "Not sure" (and Back after the first)."""
        question = self._content.questions[index]
        rows: list[tuple[Button, ...]] = [
            (self._answer_button(question, option, generation),) for option in question.options
        ]
        last_row = [self._answer_button(question, question.not_sure, generation)]
        if index > 0:
            back = Event(EventKind.BACK, question=question.id, generation=generation, via_button=True)
            last_row.append(Button(self._texts["button_back"], back, shortcut="/back"))
        rows.append(tuple(last_row))
        spans = (self._header(index), Span(question.text, Style.BOLD))
        return Reply(spans, tuple(rows), Role.QUESTION)

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

    def answered(self, index: int, option: Option) -> Reply:
        """Question ``index`` as it reads once answered: the choice shown, no buttons."""
        question = self._content.questions[index]
        spans = (
            self._header(index),
            Span(question.text, Style.BOLD),
            Span("\n" + self._texts.render("answered", label=option.label), Style.ITALIC),
        )
        return Reply(spans, (), Role.INFO)

    def hint(self, question: Question) -> Reply:
        """What to say when typed text matches no option."""
        return self.text("answer_hint", count=len(question.choices))

    def _path_name(self, path_id: str) -> str:
        return self._content.paths[path_id].name

    def _excerpt_spans(self, excerpt_ids: tuple[str, ...]) -> list[Span]:
        spans: list[Span] = []
        for excerpt_id in excerpt_ids:
            excerpt = self._content.excerpts[excerpt_id]
            spans.append(Span(f"“{excerpt.text}”\n", Style.QUOTE))
            attribution = self._texts.render("attribution", title=self._content.article_title, section=excerpt.section)
            spans.append(Span(attribution + "\n", Style.ITALIC))
        return spans

    def result_buttons(self) -> tuple[tuple[Button, ...], ...]:
        """Explain each path, see why, start over."""
        explain_row = tuple(
            Button(self._texts.render("button_explain", path=path.name),
                   Event(EventKind.EXPLAIN, text=path.id, via_button=True), shortcut=f"/explain {path.id}")
            for path in self._content.paths.values()
        )
        return (
            explain_row[:2],
            explain_row[2:],
            (Button(self._texts["button_why"], Event(EventKind.WHY, via_button=True), shortcut="/why"),
             self._restart_button()),
        )

    def _restart_button(self) -> Button:
        return Button(self._texts["button_restart"], Event(EventKind.RESTART, via_button=True), shortcut="/restart")

    def _unsure_spans(self, result: Result, outlook: UnsureOutlook | None) -> list[Span]:
        """Which answers were "Not sure", and whether the recommendation depends on them."""
        if not result.unsure:
            return []
        factors = ", ".join(c.question.factor for c in result.unsure)
        spans = [Span(self._texts.render("result_unsure", factors=factors) + "\n")]
        if outlook is None:
            return spans
        if outlook.holds:
            line = self._texts.render("result_unsure_holds", path=self._path_name(result.recommended))
        elif outlook.changer is not None:
            question, option, path_id = outlook.changer
            line = self._texts.render("result_unsure_changes", answer=option.label, factor=question.factor,
                                      path=self._path_name(path_id))
        else:
            line = self._texts["result_unsure_depends"]
        spans.append(Span(line + "\n"))
        return spans

    def not_enough(self) -> Reply:
        """Every answer was "Not sure": say so honestly and offer to start over."""
        return Reply((Span(self._texts["result_all_unsure"]),), ((self._restart_button(),),), Role.RESULT)

    def result(self, result: Result, outlook: UnsureOutlook | None = None) -> Reply:
        """Headline naming only the recommendation, scores, deciding answers, excerpts, offer."""
        if result.all_unsure:
            return self.not_enough()
        best = self._path_name(result.recommended)
        spans: list[Span] = [Span(self._texts.render("result_headline", path=best) + "\n", Style.BOLD), Span("\n")]
        spans.append(Span(self._texts["result_scores_title"] + "\n", Style.BOLD))
        others = [path_id for path_id in result.ranking if path_id != result.recommended]
        for path_id in (result.recommended, *others):
            key = "result_score_ruled_out" if path_id in result.excluded else "result_score_line"
            line = self._texts.render(key, path=self._path_name(path_id), score=result.scores[path_id])
            spans.append(Span(line + "\n", Style.BOLD if path_id == result.recommended else Style.PLAIN))
        if result.runner_up is not None and result.margin is not None:
            runner_up = self._path_name(result.runner_up)
            if result.margin == 0:
                line = self._texts.render("result_tied", runner_up=runner_up)
            else:
                key = "result_close" if result.is_close else "result_clear"
                line = self._texts.render(key, runner_up=runner_up, margin=result.margin)
            spans.append(Span(line + "\n"))
        for path_id, exclusion in result.excluded.items():
            line = self._texts.render("result_excluded", path=self._path_name(path_id), why=exclusion.requirement.unmet)
            spans.append(Span(line + "\n"))
        spans.extend(self._unsure_spans(result, outlook))
        spans.append(Span("\n" + self._texts["result_reasons_title"] + "\n", Style.BOLD))
        for contribution in deciding_answers(result):
            spans.append(Span(f"• {contribution.option.reason}\n"))
        spans.append(Span("\n" + self._texts["result_excerpts_title"] + "\n", Style.BOLD))
        spans.extend(self._excerpt_spans(result_excerpts(self._content, result)))
        spans.append(Span("\n" + self._texts["result_offer"]))
        return Reply(tuple(spans), self.result_buttons(), Role.RESULT)

    def why(self, result: Result) -> Reply:
        """Every answer and how much it counted toward the recommendation."""
        best = self._path_name(result.recommended)
        spans: list[Span] = [Span(self._texts.render("why_title", path=best) + "\n\n", Style.BOLD)]
        ranked = sorted(result.contributions, key=lambda c: c.points(result.recommended), reverse=True)
        for contribution in ranked:
            line = self._texts.render(
                "why_line",
                factor=contribution.question.factor,
                answer=contribution.option.label,
                points=contribution.points(result.recommended),
                path=best,
            )
            spans.append(Span(line + "\n"))
            spans.append(Span(contribution.option.reason + "\n", Style.ITALIC))
        spans.append(Span("\n" + self._texts["why_footer"]))
        return Reply(tuple(spans), self.result_buttons(), Role.INFO)

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
            *self._excerpt_spans(path.excerpts),
        ]
        return Reply(tuple(spans), self.result_buttons() if with_buttons else (), Role.INFO)
