"""The dialog's finite-state machine, generated from content with ``transitions``.

States: ``new``, one ``asking_<question>`` per question, ``result``, ``explaining``, and one
``changing_<question>`` per question (asking it again from the result).
Triggers: answer, hint (typed text that is no answer), suggest (typed text that may be one of a
few answers), and every command of the registry that moves through the machine (start, back,
restart, explain, why; :mod:`dialogs.commands`).

The Machine is built once per content load with no models attached. Each event fires a
trigger directly on a short-lived :class:`Turn` (``Event.trigger(model)`` only reads and sets
the model's ``state`` attribute), which avoids per-event ``add_model``/``remove_model``.
Callbacks are synchronous and pure: they update the turn and queue replies; all I/O happens
outside the machine.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from dialogs.commands import COMMANDS
from dialogs.content import Content
from dialogs.session import EXPLAINING, NEW, RESULT, changing_state, question_state

#: Every trigger the machine knows: the answer-side ones and the registry's machine commands.
TRIGGERS: tuple[str, ...] = ("answer", "hint", "suggest",
                             *(command.kind.value for command in COMMANDS if command.is_machine_trigger))


def state_names(content: Content) -> list[str]:
    """Every state, in quiz order."""
    return [NEW, *(question_state(q.id) for q in content.questions), RESULT, EXPLAINING,
            *(changing_state(q.id) for q in content.questions)]


def transition_table(content: Content) -> list[dict[str, Any]]:
    """The machine's transitions as data; order matters (the first whose conditions hold wins)."""
    asking = [question_state(q.id) for q in content.questions]
    changing = [changing_state(q.id) for q in content.questions]
    finished = [RESULT, EXPLAINING]
    everywhere = [NEW, *asking, *finished, *changing]
    table: list[dict[str, Any]] = []

    def add(trigger: str, source: str | list[str], dest: str | None, **options: Any) -> None:
        table.append({"trigger": trigger, "source": source, "dest": dest, **options})

    # start: begin, resume an unfinished quiz or change, or show a finished one again.
    add("start", NEW, asking[0], after="show_greeting")
    add("start", [*asking, *changing], None, after="show_resume")
    add("start", finished, RESULT, after="show_result")
    # answer: accepted only for the current question of the current quiz.
    for here, there in zip(asking, asking[1:] + [RESULT]):
        add("answer", here, there, conditions="accepts_answer", before="record_answer",
            after="show_result" if there == RESULT else "show_current_question")
    add("answer", changing, RESULT, conditions="accepts_answer", before="record_answer", after="show_result")
    add("answer", everywhere, None, after="reject_answer")
    # hint: typed text that matches no option; suggest: typed text that may mean a few.
    add("hint", NEW, asking[0], after="show_greeting")
    add("hint", [*asking, *changing], None, after="show_hint")
    add("hint", finished, None, after="show_finished_hint")
    add("suggest", [*asking, *changing], None, after="show_suggestions")
    add("suggest", NEW, asking[0], after="show_greeting")
    add("suggest", finished, None, after="show_finished_hint")
    # back: one question back, removing that answer; from a change, back to the result.
    add("back", NEW, None, after="notice_not_started")
    add("back", [*asking, *finished, *changing], None, unless="is_current_button", after="reject_answer")
    add("back", asking[0], None, after="notice_first_question")
    for here, there in zip(asking[1:], asking):
        add("back", here, there, before="drop_last_answer", after="show_went_back")
    add("back", finished, asking[-1], before="drop_last_answer", after="show_went_back")
    add("back", changing, RESULT, after="show_result")
    # restart: from anywhere, a new quiz generation.
    add("restart", everywhere, asking[0], before="clear_answers", after="show_restarted")
    # change: from the result, pick a question and answer it again.
    for question, state in zip(content.questions, changing):
        add("change", [*finished, *changing], state, conditions=["is_current_button", f"names_{question.id}"],
            after="show_current_question")
    add("change", [*finished, *changing], None, unless="is_current_button", after="reject_answer")
    add("change", [*finished, *changing], None, after="show_change_menu")
    # explain, why, plan, remind: informational; after the result they move to "explaining".
    add("explain", [NEW, *asking, *changing], None, after="show_explanation")
    add("explain", finished, EXPLAINING, after="show_explanation")
    for trigger, action in (("why", "show_why"), ("plan", "show_plan"), ("remind", "request_reminder")):
        add(trigger, [NEW, *asking, *changing], None, after="show_not_ready")
        add(trigger, finished, EXPLAINING, after=action)
    add("change", [NEW, *asking], None, unless="is_current_button", after="reject_answer")
    add("change", [NEW, *asking], None, after="show_not_ready")
    return table


def build_machine(content: Content) -> Machine:
    """Compile the dialog machine once for a loaded content."""
    return Machine(
        model=None,
        states=state_names(content),
        transitions=transition_table(content),
        initial=NEW,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        send_event=False,
    )
