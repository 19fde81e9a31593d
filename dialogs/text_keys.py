"""The registry of user-facing text keys and the placeholders each may use.

content/texts.yaml must define exactly these keys; the loader rejects a missing key, an
unknown key and a placeholder that the code does not fill.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_NONE: frozenset[str] = frozenset()

TEXT_PLACEHOLDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "greeting": frozenset({"total"}),
        "help_intro": _NONE,
        "help_line": frozenset({"command", "description"}),
        "help_outro": _NONE,
        "privacy": frozenset({"retention_days"}),
        "resume": _NONE,
        "restarted": _NONE,
        "question_header": frozenset({"number", "total", "bar"}),
        "progress_filled": _NONE,
        "progress_empty": _NONE,
        "answered": frozenset({"label"}),
        "answer_hint": frozenset({"count"}),
        "understood": frozenset({"label"}),
        "did_you_mean_one": frozenset({"label"}),
        "did_you_mean_many": _NONE,
        "finished_hint": _NONE,
        "stale_button": _NONE,
        "invalid_button": _NONE,
        "back_at_first": _NONE,
        "back_done": _NONE,
        "back_not_started": _NONE,
        "result_headline": frozenset({"path"}),
        "result_scores_title": _NONE,
        "result_score_line": frozenset({"path", "score"}),
        "result_score_ruled_out": frozenset({"path", "score"}),
        "result_tied": frozenset({"runner_up"}),
        "result_close": frozenset({"runner_up", "margin"}),
        "result_clear": frozenset({"runner_up", "margin"}),
        "result_excluded": frozenset({"path", "why"}),
        "result_unsure": frozenset({"factors"}),
        "result_unsure_holds": frozenset({"path"}),
        "result_unsure_changes": frozenset({"answer", "factor", "path"}),
        "result_unsure_depends": _NONE,
        "result_all_unsure": _NONE,
        "result_reasons_title": _NONE,
        "result_excerpts_title": _NONE,
        "result_offer": _NONE,
        "attribution": frozenset({"title", "section"}),
        "why_title": frozenset({"path"}),
        "why_line": frozenset({"factor", "answer", "points", "path"}),
        "why_footer": _NONE,
        "why_not_ready": _NONE,
        "explain_menu": _NONE,
        "explain_unknown": frozenset({"choices"}),
        "explain_title": frozenset({"path"}),
        "explain_pros_title": _NONE,
        "explain_cons_title": _NONE,
        "explain_fits_title": _NONE,
        "explain_excerpts_title": _NONE,
        "continue_quiz": _NONE,
        "forget_done": _NONE,
        "unknown_command": frozenset({"command"}),
        "unsupported_message": _NONE,
        "private_only": _NONE,
        "internal_error": _NONE,
        "button_back": _NONE,
        "button_explain": frozenset({"path"}),
        "button_why": _NONE,
        "button_restart": _NONE,
        "console_intro": _NONE,
        "console_needs_token": _NONE,
        "console_prompt": _NONE,
        "console_bye": _NONE,
    }
)
