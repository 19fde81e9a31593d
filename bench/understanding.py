"""The understanding layer's cost: inference per message and what the models add to a start.

    python -m bench.understanding [--passes N]

Inference: every message of each language's test split read as the bot reads it (mid-quiz, with
the later questions open for several facts; and after the result), ``passes`` times after one
warm-up pass, each read timed on its own with the garbage collector on (as in the bot):
p50, p99 and the worst per language. As in the bot (serve() freezes what start-up made), the
loaded content is frozen out of the garbage collector's scans. Start-up: loading and validating every language's content
with and without the models, in fresh processes (median of 5), and the shipped weights' size.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.content_files.loader import default_content_dir, load_languages
from bot.nlu_eval import split_examples
from dialogs.understanding import Interpreter

LOAD_SCRIPT = ("import time; t = time.perf_counter(); from bot.content_files.loader import load_languages; "
               "load_languages(models={models}); print(time.perf_counter() - t)")


def inference(passes: int) -> dict[str, list[float]]:
    """Seconds per read, per language."""
    timings: dict[str, list[float]] = {}
    contents = load_languages()
    gc.freeze()  # as serve() does once started: the content is never collected, so never scanned
    for language, content in contents.items():
        interpreter = Interpreter(content)
        questions = content.questions
        examples, multi = split_examples(language, "test", default_content_dir())
        texts = [example.text for example in examples] + [entry.text for entry in multi]
        found: list[float] = []
        for number in range(passes + 1):
            for index, text in enumerate(texts):
                position = index % (len(questions) + 1)
                question = questions[position] if position < len(questions) else None
                open_questions = questions[position + 1:] if question is not None else ()
                started = time.perf_counter()
                interpreter.read(text, question, open_questions)
                if number:
                    found.append(time.perf_counter() - started)
        timings[language] = found
    return timings


def load_seconds(models: bool, runs: int = 5) -> float:
    """Median seconds to import the loader and load every language, in fresh processes."""
    seconds = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", LOAD_SCRIPT.format(models=models)], capture_output=True,
                              text=True, check=True)
        seconds.append(float(done.stdout.strip()))
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.understanding", description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    print("inference per message (ms)      p50     p99     max   messages")
    for language, found in inference(args.passes).items():
        ordered = sorted(found)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
        print(f"  {language}                         {p50:6.3f}  {p99:6.3f}  {ordered[-1] * 1000:6.3f}   {len(ordered)}")
    with_models, without = load_seconds(True), load_seconds(False)
    size = sum(path.stat().st_size for path in (Path(default_content_dir()) / "nlu").glob("*.json"))
    print(f"content load, every language: {with_models * 1000:.0f} ms with the models, {without * 1000:.0f} ms "
          f"without ({(with_models - without) * 1000:.0f} ms for {size / 1e6:.1f} MB of weights; a start from the "
          "content cache reads them back as packed arrays)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
