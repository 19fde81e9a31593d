"""``python -m bot eval``: the understanding layer's figures per language on the dev or test split.

Prints, per language: typed answers understood (taken right, or offered first in "Did you
mean") and taken wrong; commands in plain words (mid-quiz and after the result); questions
about the paths answered with the right sentences, and unanswerable ones declined; small talk;
several facts in one message; inference time per message; and, with ``--confusions``, what each
question's answers were read as. Tune on ``--split dev`` only; ``--split test`` is the held-out
figure (tests/data/nlu/<language>_test.yaml, written blind).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import yaml

from bot.content_files.loader import default_content_dir, load_languages
from bot.nlu_training import read_corpora
from dialogs.content import Content
from dialogs.nlu.corpus import Example, MultiExample, examples_from, multi_from, split
from dialogs.nlu.evaluation import Figures, evaluate
from dialogs.nlu.features import tokens
from dialogs.nlu.policy import DEFAULT, Thresholds

TEST_SPLITS = Path(__file__).resolve().parents[1] / "tests" / "data" / "nlu"


def split_examples(language: str, name: str, content_dir: Path) -> tuple[list[Example], list[MultiExample]]:
    """The (examples, several-facts messages) of the dev or test split of one language. The
    test split keeps only what the model never saw: a reply that its blind writer happened to
    write word for word like a training reply (short ones: "idk", "ok") is left out."""
    if name == "test":
        parsed = yaml.safe_load((TEST_SPLITS / f"{language}_test.yaml").read_text(encoding="utf-8"))
        seen = trained_texts(language, content_dir)
        return ([example for example in examples_from(parsed) if seen_key(example.text) not in seen],
                [entry for entry in multi_from(parsed) if seen_key(entry.text) not in seen])
    examples: list[Example] = []
    multi: list[MultiExample] = []
    for path in sorted((content_dir / "nlu" / "corpora" / language).glob("*.yaml")):
        parsed = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        examples.extend(split(examples_from(parsed))[1])
        multi.extend(multi_from(parsed))  # several-facts messages are never trained on: all of them tune
    return examples, multi


def seen_key(text: str) -> str:
    """A text as compared with what the model saw: its words only."""
    return " ".join(tokens(text))


def trained_texts(language: str, content_dir: Path) -> set[str]:
    """Every text the model of ``language`` was trained on (corpora and the content's own words)."""
    content = load_languages(content_dir, models=False)[language]
    corpora = read_corpora(content_dir, content)
    return {seen_key(example.text) for example in (*corpora.examples, *corpora.own_words)}


def report(figures: Figures, confusions: bool) -> str:
    lines = [
        f"== {figures.language}",
        f"  typed answers understood   {figures.answers_understood}   taken right {figures.answers_taken}",
        f"  typed answers taken wrong  {figures.answers_wrong}   read as a command/question {figures.answers_as_command}",
        f"  commands in plain words    {figures.commands}   mid-quiz {figures.commands_mid_quiz}"
        f"   after the result {figures.commands_after_result}",
        f"  path questions answered    {figures.topics_answered}   wrong sentences {figures.topics_wrong}",
        f"  unanswerable declined      {figures.uncovered_declined}",
        f"  small talk                 {figures.chat}   nothing-messages left alone {figures.none_ignored}",
        f"  several facts filled       {figures.facts_filled}   filled wrong (and shown) {figures.facts_wrong}",
        f"  inference per message      p50 {figures.percentile(0.5) * 1000:.3f} ms"
        f"   p99 {figures.percentile(0.99) * 1000:.3f} ms   ({len(figures.seconds)} messages)",
    ]
    if confusions:
        for key, counter in sorted(figures.confusions.items()):
            misses = {what: count for what, count in counter.items() if not what.endswith(" " + key.split(".")[1])
                      and not what.startswith(f"offered {key.split('.')[1]}")}
            if misses:
                lines.append(f"    {key}: " + ", ".join(f"{what} x{count}" for what, count in sorted(misses.items())))
    return "\n".join(lines)


#: Values tried for each threshold by --sweep (one threshold at a time, the others held).
SWEEP: dict[str, tuple[float, ...]] = {
    "take": (0.8, 0.85, 0.9, 0.93, 0.95, 0.97),
    "margin": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
    "offer": (0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
    "second": (0.03, 0.06, 0.1, 0.2),
    "command": (0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
    "topic": (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7),
    "uncovered": (0.1, 0.15, 0.2, 0.25, 0.3),
    "chat": (0.1, 0.15, 0.2, 0.25, 0.3),
    "fact": (0.75, 0.8, 0.85, 0.9, 0.95),
    "known": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3),
}


def objective(all_figures: list[Figures]) -> float:
    """What the sweep maximises on dev: every target's figure, a wrong answer taken costing
    twenty understood ones past half a percent, a fact filled wrong costing five, and nonsense
    asked again rather than guessed at ("Did you mean" for "asdfgh" is a guess)."""
    total = 0.0
    for f in all_figures:
        total += (f.answers_understood.value + f.commands.value + f.topics_answered.value
                  + f.uncovered_declined.value + f.facts_filled.value + 0.5 * f.chat.value + f.none_ignored.value
                  - 20 * max(0.0, f.answers_wrong.value - 0.005) - 5 * f.facts_wrong.value
                  - 2 * f.topics_wrong.value - 2 * f.answers_as_command.value)
    return total / len(all_figures)


Split = tuple[list[Example], list[MultiExample]]


def sweep(contents: Mapping[str, Content], splits: Mapping[str, Split]) -> Thresholds:
    """Coordinate ascent over SWEEP on the dev split; prints each step."""
    best = DEFAULT
    score = objective([evaluate(contents[k], splits[k][0], splits[k][1], best) for k in contents])
    print(f"start {score:.4f} {best}")
    for name, values in SWEEP.items():
        for value in values:
            candidate = replace(best, **{name: value})
            found = objective([evaluate(contents[k], splits[k][0], splits[k][1], candidate) for k in contents])
            if found > score + 1e-9:
                best, score = candidate, found
                print(f"  {name}={value}: {score:.4f}")
    print(f"best {score:.4f} {best}")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot eval", description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--language", action="append", default=[])
    parser.add_argument("--confusions", action="store_true", help="what each answer was read as, when not right")
    parser.add_argument("--sweep", action="store_true", help="tune the policy's thresholds (dev split only)")
    args = parser.parse_args(argv)
    folder = default_content_dir()
    contents = {language: content for language, content in load_languages(folder).items()
                if not args.language or language in args.language}
    splits = {language: split_examples(language, args.split, folder) for language in contents}
    if args.sweep:
        if args.split != "dev":
            parser.error("thresholds are tuned on the dev split only")
        sweep(contents, splits)
        return 0
    for language, content in contents.items():
        print(report(evaluate(content, *splits[language]), args.confusions))
    return 0
