"""`python -m bot --console` as a real subprocess: a whole quiz, commands, resuming after
SIGKILL, and start-up messages. Every run uses a working directory outside the repository
and no PYTHONPATH, so the content must come from the installed package."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from pathlib import Path

import pytest

from dialogs.content import Content
from dialogs.scoring import score
from tests.conftest import PYTHON, bot_env, header_prefix, headline_prefix

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 60


def run_bot(tmp_path: Path, lines: list[str], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    stdin = "".join(line + "\n" for line in lines)
    return subprocess.run(
        [PYTHON, "-m", "bot", *args], input=stdin, capture_output=True, text=True, encoding="utf-8",
        cwd=tmp_path, env=bot_env(tmp_path, **env), timeout=TIMEOUT,
    )


def console(tmp_path: Path, lines: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(tmp_path, lines, "--console", **env)


def question_numbers(content: Content, output: str) -> list[int]:
    """The question numbers shown, in order."""
    template = content.texts["question_header"].split("{bar}")[0].strip()
    pattern = re.escape(template).replace(re.escape("{number}"), r"(\d+)").replace(
        re.escape("{total}"), str(len(content.questions)))
    return [int(number) for number in re.findall(pattern, output)]


def best_fit_line(content: Content, answers: list[tuple[str, str]]) -> str:
    result = score(content, answers)
    return content.texts.render("result_headline", path=content.paths[result.recommended].name)


def test_working_directory_is_outside_the_repository(tmp_path: Path) -> None:
    assert REPO not in tmp_path.resolve().parents and tmp_path.resolve() != REPO


def test_complete_quiz_with_numbers(content: Content, tmp_path: Path) -> None:
    picks = [(index % len(q.options)) for index, q in enumerate(content.questions)]
    done = console(tmp_path, [str(p + 1) for p in picks])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert content.texts["console_intro"] in out
    assert question_numbers(content, out) == list(range(1, len(content.questions) + 1))
    assert headline_prefix(content) in out
    answers = [(q.id, q.options[p].id) for q, p in zip(content.questions, picks)]
    assert any(line.endswith(best_fit_line(content, answers)) for line in out.splitlines())
    assert content.texts["console_needs_token"] not in out  # --console: no notice
    assert (tmp_path / "c.db").exists()


def test_complete_quiz_with_typed_labels(content: Content, tmp_path: Path) -> None:
    options = [q.options[-1] for q in content.questions]
    done = console(tmp_path, [option.label.upper() for option in options])
    assert done.returncode == 0, done.stderr
    assert question_numbers(content, done.stdout) == list(range(1, len(content.questions) + 1))
    answers = [(q.id, o.id) for q, o in zip(content.questions, options)]
    assert best_fit_line(content, answers) in done.stdout
    for option in options:  # each typed label was accepted, never hinted at
        assert option.label in done.stdout
    assert content.texts.render("answer_hint", count=len(content.questions[0].options)) not in done.stdout


def test_restart_mid_quiz_returns_to_question_1(content: Content, tmp_path: Path) -> None:
    done = console(tmp_path, ["1", "2", "/restart"])
    assert done.returncode == 0
    assert question_numbers(content, done.stdout) == [1, 2, 3, 1]
    assert content.texts["restarted"] in done.stdout
    tail = done.stdout.rsplit(content.texts["restarted"], 1)[1]
    assert header_prefix(content, 1) in tail


def test_unknown_text_gets_the_hint_and_the_question_again(content: Content, tmp_path: Path) -> None:
    done = console(tmp_path, ["1", "asdf qwerty zxcv"])
    assert done.returncode == 0
    hint = content.texts.render("answer_hint", count=len(content.questions[1].choices))
    assert hint in done.stdout
    assert question_numbers(content, done.stdout) == [1, 2, 2]
    after_hint = done.stdout.split(hint, 1)[1]
    assert header_prefix(content, 2) in after_hint
    assert content.questions[1].text in after_hint


async def _read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen: list[str] = []
    while True:
        line = await asyncio.wait_for(stream.readline(), TIMEOUT)
        if not line:
            raise AssertionError(f"output ended before {marker!r}:\n{''.join(seen)}")
        text = line.decode("utf-8")
        seen.append(text)
        if marker in text:
            return "".join(seen)


async def test_resume_after_sigkill(content: Content, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "bot", "--console", cwd=tmp_path, env=bot_env(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        process.stdin.write(b"1\n2\n3\n")
        await process.stdin.drain()
        shown = await _read_until(process.stdout, header_prefix(content, 4))
        assert question_numbers(content, shown) == [1, 2, 3, 4]
    finally:
        if process.returncode is None:
            process.kill()  # SIGKILL: no chance to flush or close anything
        await asyncio.wait_for(process.wait(), TIMEOUT)
    assert process.returncode == -signal.SIGKILL

    picks = [0, 1, 2, 0, 1, 2, 0][: len(content.questions)]
    rest = [str(p + 1) for p in picks[3:]]
    again = await asyncio.to_thread(console, tmp_path, rest)
    assert again.returncode == 0, again.stderr
    assert content.texts["resume"] in again.stdout
    numbers = question_numbers(content, again.stdout)
    assert numbers[0] == 4
    assert 1 not in numbers
    answers = [(q.id, q.options[p].id) for q, p in zip(content.questions, picks)]
    assert best_fit_line(content, answers) in again.stdout


def test_without_token_prints_the_one_line_notice(content: Content, tmp_path: Path) -> None:
    done = run_bot(tmp_path, [])
    assert done.returncode == 0, done.stderr
    notice = content.texts["console_needs_token"]
    assert "\n" not in notice and "Telegram mode needs the token" in notice
    assert done.stdout.splitlines().count(notice) == 1
    assert done.stdout.splitlines()[0] == notice
    assert content.texts["console_intro"] in done.stdout
    assert "Traceback" not in done.stderr


def test_closing_stdin_exits_0(content: Content, tmp_path: Path) -> None:
    done = console(tmp_path, [])
    assert done.returncode == 0
    assert question_numbers(content, done.stdout) == [1]
    assert content.texts["console_bye"] in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("command", ["/quit", "/exit", "/QUIT"])
def test_quit_exits_0_and_reads_no_further(content: Content, tmp_path: Path, command: str) -> None:
    done = console(tmp_path, ["1", command, "1", "1"])
    assert done.returncode == 0
    assert question_numbers(content, done.stdout) == [1, 2]
    assert done.stdout.rstrip().endswith(content.texts["console_bye"])


def test_progress_is_kept_between_runs(content: Content, tmp_path: Path) -> None:
    console(tmp_path, ["1", "1", "/quit"])
    again = console(tmp_path, [])
    assert content.texts["resume"] in again.stdout
    assert question_numbers(content, again.stdout) == [3]


def test_forget_then_restart_starts_fresh(content: Content, tmp_path: Path) -> None:
    first = console(tmp_path, ["1", "1", "/forget", "/quit"])
    assert content.texts["forget_done"] in first.stdout
    again = console(tmp_path, [])
    assert again.returncode == 0
    assert content.texts["resume"] not in again.stdout
    assert content.texts.render("greeting", total=len(content.questions)) in again.stdout
    assert question_numbers(content, again.stdout) == [1]


def test_relative_database_url_is_under_the_working_directory(tmp_path: Path) -> None:
    done = console(tmp_path, ["1"], DATABASE_URL="sqlite:///sub/rel.db")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sub" / "rel.db").exists()


def test_bad_database_url_stops_with_one_line(tmp_path: Path) -> None:
    done = console(tmp_path, [], DATABASE_URL="mysql://localhost/x")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert "Traceback" not in done.stderr


def test_unusable_database_path_stops_with_one_line(tmp_path: Path) -> None:
    """A database path whose parent is a regular file cannot be created: start-up must stop
    with status 2 and one line, like every other configuration problem."""
    (tmp_path / "blocker").write_text("a file, not a directory")
    done = console(tmp_path, [], DATABASE_URL=f"sqlite:///{tmp_path}/blocker/sub/c.db")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "blocker" in lines[0]


def test_console_understands_own_words_not_sure_and_plain_commands(content: Content, tmp_path: Path) -> None:
    risk = content.question("risk")
    assert risk is not None
    done = console(tmp_path, ["1", "ups and downs don't bother me", "what is hybrid?", "go back", "no idea",
                              "a bit of time i guess", "start over"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert content.texts.render("understood", label=risk.option("variable_ok").label) in out  # type: ignore[union-attr]
    assert content.paths["hybrid"].summary in out
    assert content.texts["back_done"] in out
    assert f"{len(risk.choices)}) {risk.not_sure.label}" in out  # "Not sure" numbered after the options
    assert content.texts["did_you_mean_many"] in out
    assert content.texts["restarted"] in out
    # 1 -> 2 -> 3, explain re-asks 3, back -> 2, "no idea" answers 2 -> 3, did-you-mean, restart -> 1
    assert question_numbers(content, out) == [1, 2, 3, 3, 2, 3, 1]


def test_console_did_you_mean_shows_the_numbers_to_type(content: Content, tmp_path: Path) -> None:
    done = console(tmp_path, ["1", "2", "3", "1", "2", "i kinda have a job"])
    income = content.question("income")
    assert income is not None
    out = done.stdout.rsplit(content.texts["did_you_mean_many"].split("?")[0], 1)[1]
    for number, option in enumerate(income.choices, start=1):
        if option.id in ("keep_job", "no_job"):
            assert f"{number}) {option.label}" in out


def test_console_result_why_plan_and_change_an_answer(content: Content, tmp_path: Path) -> None:
    answers = ["1"] * len(content.questions)
    done = console(tmp_path, [*answers, "/why", "what now?", "/change 3", "3"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first = score(content, [(q.id, q.options[0].id) for q in content.questions])
    assert out.count(content.texts.render("result_headline", path=content.paths[first.recommended].name)) >= 1
    assert content.texts["progress_filled"] * 3 in out  # the bars, as text
    assert content.texts.render("plan_title", path=content.paths[first.recommended].name) in out
    assert content.texts.render("changing_header", factor=content.questions[2].factor) in out
    changed = [(q.id, q.options[2 if i == 2 else 0].id) for i, q in enumerate(content.questions)]
    second = score(content, changed)
    tail = out.rsplit(content.texts.render("changing_header", factor=content.questions[2].factor), 1)[1]
    assert content.texts.render("result_headline", path=content.paths[second.recommended].name) in tail
    assert "Share =" not in out  # nothing to share in a terminal


def test_console_understands_every_command_in_plain_words(content: Content, tmp_path: Path) -> None:
    answers = ["1"] * len(content.questions)
    done = console(tmp_path, ["hi", *answers[:3], "undo that last one", answers[2], *answers[3:],
                              "why did i get this?", "what would change my result?", "so what should i do next?",
                              "tell me more about the hybrid route", "how does this bot work, what can you do",
                              "what data do you keep about me?", "remind me about this in a couple of weeks",
                              "do AI jobs pay well?", "thanks!", "change my answer about my job", "1",
                              "please erase everything you know about me", "can we start over from scratch"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    texts = content.texts
    first = score(content, [(q.id, q.options[0].id) for q in content.questions])
    for expected in (
        texts.render("greeting", total=len(content.questions)).split("\n")[0],
        texts["back_done"],
        texts.render("why_title", path=content.paths[first.recommended].name).split("\n")[0],
        texts["whatif_title"],
        texts.render("plan_title", path=content.paths[first.recommended].name),
        content.paths["hybrid"].summary,
        texts["help_intro"],
        texts.render("privacy", retention_days=90).split("\n")[0],
        texts["checkin_set"].split("{date}")[0],
        content.excerpts["ai_salaries"].text,
        texts["chat_thanks"],
        texts.render("changing_header", factor=content.question("income").factor),  # type: ignore[union-attr]
        texts["forget_confirm"],
        f"{texts['button_forget_yes']} = /forget",
        texts["restarted"],
    ):
        assert expected in out, expected
    assert texts["forget_done"] not in out  # plain words only ask; /forget or its button deletes


def test_console_retake_says_what_changed_and_remind_names_the_day(content: Content, tmp_path: Path) -> None:
    """Issue 21 in the console: the retake's result opens with what changed since the last one;
    "Remind me" names the day (as a plain ISO date: a terminal has no date entity)."""
    total = len(content.questions)
    done = console(tmp_path, [*(["1"] * total), "/remind", "/restart", "2", *(["1"] * (total - 1))])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    before = [(q.id, q.options[0].id) for q in content.questions]
    after = [(q.id, q.options[1 if i == 0 else 0].id) for i, q in enumerate(content.questions)]
    paths = [content.paths[score(content, answers).recommended].name for answers in (before, after)]
    line = (content.texts.render("since_held", changes=content.questions[0].topic, path=paths[1]) if paths[0] == paths[1]
            else content.texts.render("since_moved", changes=content.questions[0].topic, before=paths[0], after=paths[1]))
    assert line in out
    assert re.search(re.escape(content.texts["checkin_set"].split("{date}")[0]) + r"\d{4}-\d{2}-\d{2}", out)
