"""Tools for content editors: `python -m bot check-content [DIR]` and `python -m bot diagram`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from dialogs.content import Content
from dialogs.diagram import mermaid
from dialogs.machine import state_names
from tests.conftest import PYTHON, bot_env

README = Path(__file__).resolve().parents[1] / "README.md"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "bot", *args], capture_output=True, text=True, encoding="utf-8",
                          cwd=tmp_path, env=bot_env(tmp_path), timeout=60)


def test_check_content_accepts_the_shipped_content(tmp_path: Path) -> None:
    done = run(tmp_path, "check-content")
    assert done.returncode == 0, done.stderr
    assert "content is valid" in done.stdout and "en" in done.stdout


def test_check_content_names_file_and_key_of_each_problem(content_copy: Path, tmp_path: Path) -> None:
    catalogue = content_copy / "catalogues" / "en.yaml"
    document = yaml.safe_load(catalogue.read_text(encoding="utf-8"))
    document["texts"]["greeting"] = "Hi {nobody}"
    catalogue.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    done = run(tmp_path, "check-content", str(content_copy))
    assert done.returncode == 1
    assert done.stderr.strip() == done.stderr.strip().splitlines()[0]  # one line
    assert done.stderr.startswith("catalogues/en.yaml:texts.greeting: unknown placeholder {nobody}")
    (content_copy / "plans.yaml").write_text("plans: [unclosed\n", encoding="utf-8")
    broken = run(tmp_path, "check-content", str(content_copy))
    assert broken.returncode == 1 and broken.stderr.startswith("plans.yaml:line ")
    missing = run(tmp_path, "check-content", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "file not found" in missing.stderr


def test_diagram_shows_every_state_and_trigger(content: Content, tmp_path: Path) -> None:
    done = run(tmp_path, "diagram")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("---") and "stateDiagram-v2" in done.stdout
    for state in state_names(content):
        assert f'state "{state}" as {state}' in done.stdout
    for trigger in ("answer", "back", "restart", "change", "start"):
        assert re.search(rf": {trigger}\b", done.stdout), trigger


def test_readme_shows_the_current_diagram(content: Content) -> None:
    """The README's copy of the diagram is what `python -m bot diagram` prints today."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert match, "the README has no mermaid block"
    assert match.group(1) == mermaid(content), "README diagram is stale: run python -m bot diagram"
