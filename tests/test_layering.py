"""The platform-free core never pulls in Telegram or the bot package."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.conftest import PYTHON

DIALOGS = Path(__file__).resolve().parents[1] / "dialogs"
CORE_MODULES = ("dialogs.engine", "dialogs.service", "dialogs.sqlite_store", "dialogs.commands")


def test_importing_the_core_does_not_import_telegram(tmp_path: Path) -> None:
    script = (
        f"import sys, {', '.join(CORE_MODULES)}\n"
        "leaked = sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.'))\n"
        "bot = sorted(m for m in sys.modules if m == 'bot' or m.startswith('bot.'))\n"
        "print('telegram' in sys.modules, leaked, bot)\n"
    )
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False [] []"


def test_telegram_is_importable_so_the_check_is_meaningful(tmp_path: Path) -> None:
    done = subprocess.run([PYTHON, "-c", "import telegram, sys; print('telegram' in sys.modules)"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.stdout.strip() == "True", done.stderr


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_dialogs_module_imports_telegram_bot_or_the_training_library() -> None:
    files = sorted(DIALOGS.rglob("*.py"))
    assert len(files) > 5 and any(path.parent.name == "nlu" for path in files)
    for path in files:
        for name in _imported_names(path):
            top = name.split(".")[0]
            assert top not in ("telegram", "bot", "sklearn", "numpy", "scipy"), f"{path.name} imports {name}"
