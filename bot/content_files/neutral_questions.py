"""questions.yaml: each question's options with their weights per path and their excerpts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from bot.content_files.neutral_excerpts import excerpt_refs
from bot.content_files.neutral_types import NeutralOption, NeutralQuestion
from bot.content_files.yaml_file import YamlFile, parse_yaml
from dialogs.content import NOT_SURE, PATH_IDS, Excerpt

MIN_OPTIONS, MAX_OPTIONS = 2, 4


def load_neutral_questions(directory: Path, excerpts: Mapping[str, Excerpt]) -> tuple[NeutralQuestion, ...]:
    """Every question of questions.yaml, in order, with a 0..10 weight for each path."""
    file = YamlFile("questions.yaml")
    document = parse_yaml(directory, file.name)
    questions = []
    for key, entry, question_id in file.entries(document, "questions"):
        options = []
        for option_key, option_entry, option_id in file.entries(entry, "options", key):
            if option_id == NOT_SURE:
                raise file.fail(f"{option_key}.id", f"{NOT_SURE!r} is reserved for the \"Not sure\" answer")
            weights_raw = file.mapping(option_entry.get("weights"), f"{option_key}.weights")
            for path_id in weights_raw:
                if path_id not in PATH_IDS:
                    raise file.fail(f"{option_key}.weights.{path_id}",
                                    f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
            weights: dict[str, int] = {}
            for path_id in PATH_IDS:
                value = file.get(weights_raw, path_id, f"{option_key}.weights", int)
                if not 0 <= value <= 10:
                    raise file.fail(f"{option_key}.weights.{path_id}", f"weight {value} is outside 0..10")
                weights[path_id] = value
            options.append(NeutralOption(option_id, MappingProxyType(weights),
                                         excerpt_refs(file, option_entry, option_key, excerpts)))
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise file.fail(f"{key}.options", f"has {len(options)} options; expected {MIN_OPTIONS} to {MAX_OPTIONS}")
        questions.append(NeutralQuestion(question_id, tuple(options)))
    if not questions:
        raise file.fail("questions", "must list at least one question")
    return tuple(questions)
