"""paths.yaml and plans.yaml: each path's excerpts, the tie-break, the requirements, the plans."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content_files.neutral_excerpts import excerpt_refs
from bot.content_files.neutral_types import NeutralQuestion, NeutralRequirement
from bot.content_files.yaml_file import YamlFile, parse_yaml
from dialogs.content import PATH_IDS, Excerpt

MIN_PLAN_STEPS, MAX_PLAN_STEPS = 3, 5


def load_neutral_paths(
    directory: Path, excerpts: Mapping[str, Excerpt], questions: tuple[NeutralQuestion, ...]
) -> tuple[Mapping[str, tuple[str, ...]], tuple[str, ...], int, tuple[NeutralRequirement, ...]]:
    """paths.yaml: (excerpts per path, tie-break order, close margin, requirements)."""
    file = YamlFile("paths.yaml")
    document = parse_yaml(directory, file.name)
    path_excerpts: dict[str, tuple[str, ...]] = {}
    for key, entry, path_id in file.entries(document, "paths"):
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.id", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        path_excerpts[path_id] = excerpt_refs(file, entry, key, excerpts)
    for path_id in PATH_IDS:
        if path_id not in path_excerpts:
            raise file.fail("paths", f"path {path_id!r} is missing")
    tie_break = file.strings(document, "tie_break", "")
    if sorted(tie_break) != sorted(PATH_IDS):
        raise file.fail("tie_break", f"must list each of {', '.join(PATH_IDS)} exactly once")
    close_margin = file.get(document, "close_margin", "", int)
    if close_margin < 0:
        raise file.fail("close_margin", "must not be negative")
    requirements = _requirements(file, document, excerpts, questions)
    ordered = {path_id: path_excerpts[path_id] for path_id in PATH_IDS}
    return MappingProxyType(ordered), tie_break, close_margin, requirements


def _requirements(
    file: YamlFile, document: Mapping[str, Any], excerpts: Mapping[str, Excerpt],
    questions: tuple[NeutralQuestion, ...],
) -> tuple[NeutralRequirement, ...]:
    """The ``requirements`` of paths.yaml; at least one path must stay free of them."""
    options = {(q.id, o.id) for q in questions for o in q.options}
    requirements = []
    for key, entry, requirement_id in file.entries(document, "requirements"):
        path_id = file.get(entry, "path", key, str)
        if path_id not in PATH_IDS:
            raise file.fail(f"{key}.path", f"unknown path {path_id!r} (expected one of {', '.join(PATH_IDS)})")
        met_by: set[tuple[str, str]] = set()
        for index, ref in enumerate(file.strings(entry, "met_by", key)):
            question_id, _, option_id = ref.partition(".")
            if (question_id, option_id) not in options:
                raise file.fail(f"{key}.met_by[{index}]", f"{ref!r} is not a question.option of questions.yaml")
            met_by.add((question_id, option_id))
        excerpt = file.get(entry, "excerpt", key, str)
        if excerpt not in excerpts:
            raise file.fail(f"{key}.excerpt", f"unknown excerpt {excerpt!r} (not in excerpts.yaml)")
        requirements.append((requirement_id, path_id, frozenset(met_by), excerpt))
    if {path_id for _, path_id, _, _ in requirements} >= set(PATH_IDS):
        raise file.fail("requirements", "every path has a requirement; at least one path must always stay possible")
    return tuple(requirements)


def load_neutral_plans(directory: Path, excerpts: Mapping[str, Excerpt]) -> Mapping[str, tuple[str, ...]]:
    """plans.yaml: for each path, the excerpt id behind each of its three to five steps."""
    file = YamlFile("plans.yaml")
    section = file.keyed(parse_yaml(directory, file.name), "plans", "", PATH_IDS)
    plans: dict[str, tuple[str, ...]] = {}
    for path_id in PATH_IDS:
        key = f"plans.{path_id}"
        raw = section[path_id]
        if not isinstance(raw, list) or not MIN_PLAN_STEPS <= len(raw) <= MAX_PLAN_STEPS:
            count = len(raw) if isinstance(raw, list) else 0
            raise file.fail(key, f"has {count} steps; expected {MIN_PLAN_STEPS} to {MAX_PLAN_STEPS}")
        steps = []
        for index, item in enumerate(raw):
            entry = file.mapping(item, f"{key}[{index}]")
            excerpt = file.get(entry, "excerpt", f"{key}[{index}]", str)
            if excerpt not in excerpts:
                raise file.fail(f"{key}[{index}].excerpt", f"unknown excerpt {excerpt!r} (not in excerpts.yaml)")
            steps.append(excerpt)
        plans[path_id] = tuple(steps)
    return MappingProxyType(plans)
