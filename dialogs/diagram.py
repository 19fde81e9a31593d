"""The dialog machine as a Mermaid state diagram (transitions draws it; no system packages)."""

from __future__ import annotations

from transitions.extensions.diagrams import GraphMachine

from dialogs.content import Content
from dialogs.machine import state_names, transition_table


def mermaid(content: Content) -> str:
    """The compiled machine's states and transitions as Mermaid source."""
    table = [{k: v for k, v in row.items() if k in ("trigger", "source", "dest", "conditions", "unless")}
             for row in transition_table(content)]
    machine = GraphMachine(model="self", states=state_names(content), transitions=table, initial="new",
                           auto_transitions=False, graph_engine="mermaid", show_conditions=True,
                           title="Crossroads dialog")
    return str(machine.get_graph().draw(None)).rstrip() + "\n"
