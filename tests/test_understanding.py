"""Understanding typed messages: the held-out test split's figures per language (floors under the
targets), the decision policy on crafted cases, the precise rules kept beside the model, and the
shipped weights being current."""

from __future__ import annotations

import subprocess

import pytest

from bot.content_files.loader import default_content_dir, load_languages
from bot.nlu_eval import seen_key, split_examples, trained_texts
from bot.nlu_training import Corpora, read_corpora
from dialogs.content import NOT_SURE, Content
from dialogs.nlu.evaluation import Figures, evaluate
from dialogs.nlu.features import FeatureConfig
from dialogs.nlu.policy import Act, decide
from dialogs.understanding import Interpreter, Reading
from tests.conftest import PYTHON

LANGUAGES = ("en", "es", "pt", "ru")

#: Floors under the held-out test split's figures (python -m bot eval prints them; the README and
#: the closing note give the measured values). A regression of the model or the policy fails here.
FLOORS = {
    "answers_understood": 0.88,   # measured 92.3-96.9%, target 90%
    "commands": 0.85,             # measured 90.0-93.7%, target 85%
    "topics_answered": 0.85,      # measured 92.6-97.7%, target 80%
    "uncovered_declined": 0.80,   # measured 86.4-100%, target 75%
    "facts_filled": 0.60,         # measured 66.7-83.8%, target 70% (missed in Spanish)
}
#: Ceilings: answers taken wrong (measured 0-0.5%, target 1%), and facts filled wrong (measured
#: 0-9.4%; these are said back with a button each, never silent).
CEILINGS = {"answers_wrong": 0.015, "facts_wrong": 0.15}


@pytest.fixture(scope="module")
def contents() -> dict[str, Content]:
    return dict(load_languages())


@pytest.fixture(scope="module")
def test_figures(contents: dict[str, Content]) -> dict[str, Figures]:
    return {language: evaluate(contents[language], *split_examples(language, "test", default_content_dir()))
            for language in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("figure", sorted(FLOORS))
def test_held_out_figures_stay_above_their_floors(test_figures: dict[str, Figures], language: str, figure: str) -> None:
    rate = getattr(test_figures[language], figure)
    assert rate.total >= 10, f"the {language} test split has too few examples for {figure}"
    assert rate.value >= FLOORS[figure], f"{language} {figure}: {rate}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("figure", sorted(CEILINGS))
def test_wrong_readings_stay_under_their_ceilings(test_figures: dict[str, Figures], language: str, figure: str) -> None:
    rate = getattr(test_figures[language], figure)
    assert rate.total >= 10
    assert rate.value <= CEILINGS[figure], f"{language} {figure}: {rate}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_weights_were_trained_on_the_current_corpora(contents: dict[str, Content], language: str) -> None:
    """Editing a corpus, an option's phrases, the features or the negation words without
    running ``make train`` fails here."""
    content = contents[language]
    assert content.model is not None
    corpora: Corpora = read_corpora(default_content_dir(), content)
    assert corpora.sha256(content.model.config, content) == content.model.corpus_sha256, \
        f"content/nlu/{language}.json is stale: run make train"


def test_the_test_split_is_what_the_model_never_saw(contents: dict[str, Content]) -> None:
    """Replies of the blind writer that a training writer happened to write word for word are
    left out of the figures; several hundred remain in every language."""
    for language in LANGUAGES:
        seen = trained_texts(language, default_content_dir())
        held_out, multi = split_examples(language, "test", default_content_dir())
        assert not [example.text for example in held_out if seen_key(example.text) in seen]
        assert len(held_out) >= 250 and len(multi) >= 15, (language, len(held_out), len(multi))


def test_reading_needs_no_training_library(tmp_path: object) -> None:
    script = ("import sys\nfrom bot.content_files.loader import load_content\nfrom dialogs.understanding import Interpreter\n"
              "c = load_content(); Interpreter(c).read('i write sql all day', c.questions[0])\n"
              "print(sorted(m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules))\n")
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- the policy on crafted probabilities --------------------------------------------------------
ANSWERS = ("answer:risk:predictable", "answer:risk:variable_ok", "answer:risk:safe_base", "unsure")


def test_a_sure_answer_well_ahead_is_taken() -> None:
    decision = decide({"answer:risk:predictable": 0.98, "answer:risk:variable_ok": 0.01, "none": 0.01}, ANSWERS)
    assert (decision.act, decision.labels) == (Act.TAKE, ("answer:risk:predictable",))


def test_two_options_equally_likely_are_offered_both() -> None:
    decision = decide({"answer:risk:predictable": 0.46, "answer:risk:safe_base": 0.44, "none": 0.1}, ANSWERS)
    assert (decision.act, decision.labels) == (Act.OFFER, ("answer:risk:predictable", "answer:risk:safe_base"))


def test_a_sure_answer_close_to_a_command_is_offered_not_taken() -> None:
    decision = decide({"answer:risk:predictable": 0.72, "command:restart": 0.25, "none": 0.03}, ANSWERS)
    assert decision.act is Act.OFFER


def test_off_topic_is_asked_again() -> None:
    decision = decide({"none": 0.84, "answer:risk:predictable": 0.01, "command:help": 0.15}, ANSWERS)
    assert decision.act is Act.ASK


def test_a_command_is_acted_on_only_when_sure() -> None:
    assert decide({"command:restart": 0.9, "none": 0.1}, ANSWERS).act is Act.ACT
    assert decide({"command:restart": 0.2, "command:back": 0.2, "none": 0.6}, ANSWERS).act is Act.ASK


# -- the trained model on crafted sentences -----------------------------------------------------
@pytest.fixture(scope="module")
def english(contents: dict[str, Content]) -> Interpreter:
    return Interpreter(contents["en"])


@pytest.mark.parametrize(
    ("question_id", "text", "never"),
    [
        ("learning", "I'm not willing to invest in that kind of study at the moment", ("all_in", "step_by_step")),
        ("income", "I have a job but I don't want to hold on to it", ("keep_job", "no_job")),
        ("income", "i have a job but i want out", ("keep_job", "no_job")),
        ("autonomy", "anything but a 9 to 5 with a boss", ("structure",)),
        ("risk", "i don't like uneven income at all", ("variable_ok",)),
    ],
)
def test_negation_and_contrast_never_take_the_opposite(contents: dict[str, Content], english: Interpreter,
                                                       question_id: str, text: str, never: tuple[str, ...]) -> None:
    reading = english.read(text, contents["en"].question(question_id))
    taken = reading.options[0] if reading.reading is Reading.ANSWER else None
    assert taken not in never, (text, reading)


def test_off_topic_text_is_never_taken_as_an_answer(contents: dict[str, Content], english: Interpreter) -> None:
    for question in contents["en"].questions:
        for text in ("what's the weather like in paris", "asdfgh", "purple elephants"):
            assert english.read(text, question).reading is not Reading.ANSWER, (text, question.id)


# -- precise rules beside the model -------------------------------------------------------------
def test_numbers_labels_and_not_sure_are_taken_by_rule(contents: dict[str, Content], english: Interpreter) -> None:
    for question in contents["en"].questions:
        for number, option in enumerate(question.choices, start=1):
            for text in (str(number), option.label, option.label.upper()):
                reading = english.read(text, question)
                assert (reading.reading, reading.options, reading.how) == (Reading.ANSWER, (option.id,), "exact")
        assert english.read("not sure", question).options == (NOT_SURE,)
        assert english.read("99", question).reading is Reading.NOTHING


def test_every_command_phrase_of_the_content_is_that_command(contents: dict[str, Content]) -> None:
    for content in contents.values():
        interpreter = Interpreter(content)
        for name, words in content.commands.items():
            if name in ("start", "stats"):
                continue
            for phrase in words.phrases:
                reading = interpreter.read(phrase, None)
                assert reading.reading is Reading.COMMAND and reading.event is not None, (content.language, phrase)


def test_feature_settings_are_stored_with_the_weights(contents: dict[str, Content]) -> None:
    for content in contents.values():
        assert content.model is not None
        assert isinstance(content.model.config, FeatureConfig)
        assert 0 < content.model.temperature < 10
