"""What a long typed message costs to read, with and without the cap on what is read.

    python -m bench.long_messages

Reads messages of 4,096 (Telegram's longest), 100,000 and 400,000 characters through
``DialogEngine.handle`` while the first question is asked, once as the bot does (only the
beginning is read: ``dialogs.understanding.MAX_READ_CHARACTERS`` and ``MAX_READ_CLAUSES``) and
once with the caps lifted, as before they existed. Run by hand; no test asserts a time.
"""

from __future__ import annotations

import random
import time

from bot.content_files.loader import load_content
from dialogs import understanding
from dialogs.engine import DialogEngine
from dialogs.events import Event, EventKind
from dialogs.session import Session, question_state

LENGTHS = (4096, 100_000, 400_000)
SAID = "i write sql all day, and I dont have much free time but i like uneven income. what is hybrid? lol"


def message(length: int, chooser: random.Random) -> str:
    found: list[str] = []
    total = 0
    while total < length:
        word = chooser.choice(SAID.split())
        found.append(word)
        total += len(word) + 1
    return " ".join(found)[:length]


def main() -> int:
    content = load_content()
    engine = DialogEngine(content)
    session = Session(1, state=question_state(content.questions[0].id))
    capped = (understanding.MAX_READ_CHARACTERS, understanding.MAX_READ_CLAUSES)
    for label, (characters, clauses) in (("caps lifted", (10**9, 10**9)), ("as the bot reads", capped)):
        understanding.MAX_READ_CHARACTERS, understanding.MAX_READ_CLAUSES = characters, clauses
        for length in LENGTHS:
            text = message(length, random.Random(length))
            best = float("inf")
            for _ in range(3 if length <= 100_000 else 1):
                started = time.perf_counter()
                engine.handle(session, Event(EventKind.TEXT, text=text))
                best = min(best, time.perf_counter() - started)
            print(f"{label:17} {length:>7} characters: {best * 1000:8.1f} ms")
    understanding.MAX_READ_CHARACTERS, understanding.MAX_READ_CLAUSES = capped
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
