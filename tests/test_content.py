"""The shipped content is complete and faithful to the article; broken content is reported
as one ContentError naming the file, the key path and the problem."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content_files.loader import default_content_dir, load_languages
from dialogs.content import PATH_IDS, Content
from dialogs.errors import ContentError
from dialogs.text_keys import TEXT_PLACEHOLDERS
from tests.conftest import PYTHON, bot_env, first_word, navigation_words


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- the shipped content -----------------------------------------------------------------------
def test_shipped_content_loads(content: Content) -> None:
    assert content.article_title
    assert content.questions and content.paths and content.excerpts


def test_seven_questions_with_two_to_four_options(content: Content) -> None:
    assert len(content.questions) == 7
    for question in content.questions:
        assert 2 <= len(question.options) <= 4, question.id


def test_labels_are_short_and_never_look_like_navigation(content: Content) -> None:
    forbidden = navigation_words(content)
    assert {"back", "why", "restart", "start", "explain", "help"} <= forbidden
    for question in content.questions:
        for option in question.options:
            assert len(option.label) <= 40, option.label
            assert first_word(option.label) not in forbidden, option.label


def test_every_excerpt_is_a_verbatim_quote_of_the_article(content: Content) -> None:
    raw = yaml.safe_load((default_content_dir() / "excerpts.yaml").read_text(encoding="utf-8"))
    article = flat((default_content_dir() / "article.txt").read_text(encoding="utf-8"))
    assert raw["excerpts"], "excerpts.yaml lists no excerpts"
    for entry in raw["excerpts"]:
        assert flat(entry["text"]) in article, entry["id"]
    # ...and what the loader hands out is the same quote.
    for excerpt in content.excerpts.values():
        assert flat(excerpt.text) in article


def test_every_referenced_excerpt_exists(content: Content) -> None:
    for question in content.questions:
        for option in question.options:
            assert option.excerpts and set(option.excerpts) <= set(content.excerpts)
    for path in content.paths.values():
        assert path.excerpts and set(path.excerpts) <= set(content.excerpts)


def test_article_has_no_web_page_leftovers() -> None:
    article = (default_content_dir() / "article.txt").read_text(encoding="utf-8")
    for leftover in ("Leave a Reply", "Comments", "Click here"):
        assert leftover.casefold() not in article.casefold(), leftover


def test_path_names_are_exact(content: Content) -> None:
    assert tuple(content.paths) == PATH_IDS
    assert {pid: path.name for pid, path in content.paths.items()} == {
        "side_hustle": "Side hustle",
        "generative_ai": "Generative AI career",
        "hybrid": "Hybrid",
    }


def test_every_text_key_is_present(content: Content) -> None:
    assert set(content.texts.strings) == set(TEXT_PLACEHOLDERS)
    for key, allowed in TEXT_PLACEHOLDERS.items():
        # Every text renders with exactly the placeholders the code supplies.
        content.texts.render(key, **{name: "x" for name in allowed})


def test_tie_break_and_margin_are_sane(content: Content) -> None:
    assert sorted(content.tie_break) == sorted(PATH_IDS)
    assert content.close_margin >= 0


# -- malformed content -------------------------------------------------------------------------
def _edit_yaml(folder: Path, name: str, change: Callable[[Any], None]) -> None:
    path = folder / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _syntax_error(folder: Path) -> None:
    path = folder / "questions.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")


def _unknown_excerpt(folder: Path) -> None:
    _edit_yaml(folder, "questions.yaml",
               lambda d: d["questions"][1]["options"][0].__setitem__("excerpts", ["no_such_excerpt"]))


def _unknown_weight_path(folder: Path) -> None:
    _edit_yaml(folder, "questions.yaml",
               lambda d: d["questions"][0]["options"][2]["weights"].__setitem__("freelancing", 1))


def _unknown_requirement_path(folder: Path) -> None:
    _edit_yaml(folder, "paths.yaml", lambda d: d["requirements"][1].__setitem__("path", "freelancing"))


def _unknown_requirement_answer(folder: Path) -> None:
    _edit_yaml(folder, "paths.yaml", lambda d: d["requirements"][0]["met_by"].append("learning.maybe"))


def _every_path_required(folder: Path) -> None:
    def add(d: dict) -> None:
        d["requirements"].append({"id": "sh_rule", "path": "side_hustle", "met_by": ["skills.generalist"],
                                  "excerpt": "sh_control", "unmet": "x"})
    _edit_yaml(folder, "paths.yaml", add)


def _reserved_option_id(folder: Path) -> None:
    _edit_yaml(folder, "questions.yaml", lambda d: d["questions"][2]["options"][1].__setitem__("id", "unsure"))


EN = "catalogues/en.yaml"
ES = "catalogues/es.yaml"


def _phrase_on_two_options(folder: Path) -> None:
    def dup(d: dict) -> None:
        options = d["questions"]["risk"]["options"]
        options["safe_base"]["phrases"].append(options["predictable"]["phrases"][0])
    _edit_yaml(folder, EN, dup)


def _no_phrases(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["questions"]["skills"]["options"]["generalist"].pop("phrases"))


def _command_phrase_is_an_answer(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["commands"]["back"]["phrases"].append("Be my own boss"))


def _unknown_command(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["commands"].__setitem__("dance", {"description": "x", "phrases": ["y"]}))


def _missing_command(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["commands"].pop("why"))


def _other_language(folder: Path) -> None:
    """A second catalogue: a copy of English under another language code."""
    english = (folder / EN).read_text(encoding="utf-8")
    (folder / ES).write_text(english.replace("language: en", "language: es", 1), encoding="utf-8")
    import yaml as _yaml

    document = _yaml.safe_load((folder / ES).read_text(encoding="utf-8"))
    excerpts = _yaml.safe_load((folder / "excerpts.yaml").read_text(encoding="utf-8"))["excerpts"]
    document["excerpts"] = {e["id"]: "traducción" for e in excerpts}
    (folder / ES).write_text(_yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _catalogue_missing_key(folder: Path) -> None:
    _other_language(folder)
    _edit_yaml(folder, ES, lambda d: d["texts"].pop("plan_title"))


def _catalogue_mismatched_placeholder(folder: Path) -> None:
    _other_language(folder)
    _edit_yaml(folder, ES, lambda d: d["texts"].__setitem__("result_headline", "Tu mejor opción"))


def _catalogue_missing_excerpt_translation(folder: Path) -> None:
    _other_language(folder)
    _edit_yaml(folder, ES, lambda d: d["excerpts"].pop("sh_control"))


def _catalogue_long_label(folder: Path) -> None:
    _other_language(folder)
    _edit_yaml(folder, ES, lambda d: d["questions"]["time"]["options"]["little"].__setitem__("label", "B" * 45))


def _missing_path(folder: Path) -> None:
    _edit_yaml(folder, "paths.yaml", lambda d: d.__setitem__("paths", [p for p in d["paths"] if p["id"] != "hybrid"]))


def _long_label(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["questions"]["goals"]["options"]["long_term_career"].__setitem__("label", "A" * 41))


def _excerpt_not_in_article(folder: Path) -> None:
    _edit_yaml(folder, "excerpts.yaml",
               lambda d: d["excerpts"][2].__setitem__("text", "Side hustles always make you rich overnight."))


def _missing_text_key(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["texts"].pop("back_done"))


def _unknown_placeholder(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["texts"].__setitem__("greeting", "Hello {name}, {total} questions."))


def _one_option(folder: Path) -> None:
    _edit_yaml(folder, "questions.yaml", lambda d: d["questions"][4].__setitem__("options", d["questions"][4]["options"][:1]))


def _five_options(folder: Path) -> None:
    def change(document: Any) -> None:
        options = document["questions"][4]["options"]
        while len(options) < 5:
            extra = dict(options[0])
            extra["id"] = f"extra_{len(options)}"
            extra["label"] = f"Extra answer {len(options)}"
            options.append(extra)
    _edit_yaml(folder, "questions.yaml", change)


def _duplicate_option_id(folder: Path) -> None:
    def change(document: Any) -> None:
        options = document["questions"][1]["options"]
        options[1]["id"] = options[0]["id"]
    _edit_yaml(folder, "questions.yaml", change)


def _missing_path_name(folder: Path) -> None:
    _edit_yaml(folder, EN, lambda d: d["paths"]["hybrid"].pop("name"))


def _missing_file(folder: Path) -> None:
    (folder / "paths.yaml").unlink()


BREAKAGES = [
    # (id, break it, file, exact key or a regex for it, words the problem must contain)
    ("yaml-syntax", _syntax_error, "questions.yaml", r"line \d+, column \d+", ["YAML syntax error"]),
    ("unknown-excerpt", _unknown_excerpt, "questions.yaml", "questions[1].options[0].excerpts[0]",
     ["unknown excerpt", "no_such_excerpt"]),
    ("unknown-weight-path", _unknown_weight_path, "questions.yaml", "questions[0].options[2].weights.freelancing",
     ["unknown path", "freelancing"]),
    ("unknown-requirement-path", _unknown_requirement_path, "paths.yaml", "requirements[1].path",
     ["unknown path", "freelancing"]),
    ("unknown-requirement-answer", _unknown_requirement_answer, "paths.yaml", "requirements[0].met_by[2]",
     ["learning.maybe"]),
    ("every-path-required", _every_path_required, "paths.yaml", "requirements", ["at least one path"]),
    ("reserved-option-id", _reserved_option_id, "questions.yaml", "questions[2].options[1].id", ["reserved"]),
    ("phrase-on-two-options", _phrase_on_two_options, EN, r"questions\.risk\.options\.safe_base\.phrases\[\d+\]",
     ["also a phrase"]),
    ("no-phrases", _no_phrases, EN, "questions.skills.options.generalist.phrases", ["missing"]),
    ("command-phrase-is-an-answer", _command_phrase_is_an_answer, EN, r"commands\.back\.phrases\[\d+\]",
     ["also an answer", "autonomy.own_boss"]),
    ("unknown-command", _unknown_command, EN, "commands.dance", ["unknown key"]),
    ("missing-command", _missing_command, EN, "commands.why", ["missing"]),
    ("catalogue-missing-key", _catalogue_missing_key, ES, "texts.plan_title", ["missing"]),
    ("catalogue-mismatched-placeholder", _catalogue_mismatched_placeholder, ES, "texts.result_headline",
     ["differ from English", "{path}"]),
    ("catalogue-missing-excerpt", _catalogue_missing_excerpt_translation, ES, "excerpts.sh_control", ["missing"]),
    ("catalogue-long-label", _catalogue_long_label, ES, "questions.time.options.little.label", ["45 characters"]),
    ("missing-path", _missing_path, "paths.yaml", "paths", ["hybrid", "missing"]),
    ("long-label", _long_label, EN, "questions.goals.options.long_term_career.label", ["41 characters", "40"]),
    ("excerpt-not-in-article", _excerpt_not_in_article, "excerpts.yaml", "excerpts[2].text",
     ["not a verbatim quote", "article.txt"]),
    ("missing-text-key", _missing_text_key, EN, "texts.back_done", ["missing"]),
    ("unknown-placeholder", _unknown_placeholder, EN, "texts.greeting", ["unknown placeholder", "{name}"]),
    ("one-option", _one_option, "questions.yaml", "questions[4].options", ["has 1 options", "2 to 4"]),
    ("five-options", _five_options, "questions.yaml", "questions[4].options", ["has 5 options", "2 to 4"]),
    ("duplicate-option-id", _duplicate_option_id, "questions.yaml", "questions[1].options[1].id", ["duplicate id"]),
    ("missing-path-name", _missing_path_name, EN, "paths.hybrid.name", ["missing"]),
    ("missing-file", _missing_file, "paths.yaml", "", ["file not found"]),
]


@pytest.mark.parametrize(("breaker", "file", "key", "words"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES])
def test_broken_content_names_file_key_and_problem(
    content_copy: Path, breaker: Callable[[Path], None], file: str, key: str, words: list[str]
) -> None:
    load_languages(content_copy)  # the untouched copy is valid
    breaker(content_copy)
    with pytest.raises(ContentError) as caught:
        load_languages(content_copy)
    error = caught.value
    assert error.file == file
    if key.startswith("line") or "\\" in key:
        assert re.fullmatch(key, error.key), error.key
    else:
        assert error.key == key
    message = str(error)
    assert file in message
    assert error.key in message
    for word in words:
        assert word in error.problem, (word, error.problem)
        assert word in message


def test_broken_content_stops_the_console_with_one_line(content_copy: Path, tmp_path: Path) -> None:
    _long_label(content_copy)
    completed = subprocess.run(
        [PYTHON, "-m", "bot", "--console"], input="", capture_output=True, text=True, encoding="utf-8",
        cwd=tmp_path, env=bot_env(tmp_path, CROSSROADS_CONTENT_DIR=str(content_copy)), timeout=60,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "catalogues/en.yaml" in lines[0]
    assert "questions.goals.options.long_term_career.label" in lines[0]
    assert "Traceback" not in completed.stderr + completed.stdout
