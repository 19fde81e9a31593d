"""Personas written from the article alone (tests/data/personas.yaml): each person's answers and
the verdict the article implies. Every one must get that verdict (or one of the two, where the
article cannot separate them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content_files.loader import normalise_whitespace
from dialogs.content import PATH_IDS, Content
from dialogs.scoring import score

PERSONAS = yaml.safe_load((Path(__file__).parent / "data" / "personas.yaml").read_text(encoding="utf-8"))["personas"]


def test_there_are_enough_varied_personas() -> None:
    assert len(PERSONAS) >= 20
    assert {p for persona in PERSONAS for p in persona["expected"]} == set(PATH_IDS)
    assert sum(len(persona["expected"]) == 2 for persona in PERSONAS) == 2
    assert sum("unsure" in persona["answers"].values() for persona in PERSONAS) >= 3


@pytest.mark.parametrize("persona", PERSONAS, ids=[p["id"] for p in PERSONAS])
def test_persona_gets_the_verdict_the_article_implies(content: Content, persona: dict) -> None:
    answers = [(question.id, persona["answers"][question.id]) for question in content.questions]
    result = score(content, answers)
    assert result.recommended in persona["expected"], (persona["id"], dict(result.scores), set(result.excluded))
    assert normalise_whitespace(persona["article"]) in normalise_whitespace(content.article_text)
