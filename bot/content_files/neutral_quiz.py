"""The language-neutral quiz assembled from article.txt and its YAML files, with its version."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bot.content_files.neutral_excerpts import load_excerpts, load_topics
from bot.content_files.neutral_paths import load_neutral_paths, load_neutral_plans
from bot.content_files.neutral_questions import load_neutral_questions
from bot.content_files.neutral_types import NeutralQuestion, NeutralQuiz, NeutralRequirement
from bot.content_files.yaml_file import read_text
from dialogs.errors import ContentError


def content_version(questions: tuple[NeutralQuestion, ...], requirements: tuple[NeutralRequirement, ...]) -> str:
    """Six hex digits that change whenever what an answer means changes."""
    meaning = [[q.id, [[o.id, dict(o.weights)] for o in q.options]] for q in questions] + [
        [path_id, sorted(map(list, met_by))] for _, path_id, met_by, _ in requirements
    ]
    return hashlib.sha256(json.dumps(meaning, sort_keys=True).encode()).hexdigest()[:6]


def load_quiz(folder: Path) -> NeutralQuiz:
    """Everything in ``folder`` that is the same in every language, cross-checked."""
    article = read_text(folder, "article.txt")
    if not article.strip():
        raise ContentError("article.txt", "", "is empty")
    title, excerpts = load_excerpts(folder, article)
    questions = load_neutral_questions(folder, excerpts)
    path_excerpts, tie_break, close_margin, requirements = load_neutral_paths(folder, excerpts, questions)
    plans = load_neutral_plans(folder, excerpts)
    return NeutralQuiz(title, article, excerpts, questions, path_excerpts, tie_break, close_margin, requirements, plans,
                       content_version(questions, requirements), load_topics(folder, excerpts))
