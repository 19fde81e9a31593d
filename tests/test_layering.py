"""The layout is the architecture, and these tests prove it:

- ``dialogs`` is the core: it owns no I/O. It imports nothing of ``bot`` (the adapters and entry
  points), no Telegram, no database driver, no YAML or file format, no training library.
- The adapters that are not about Telegram (``bot.storage``, ``bot.content_files``) import no
  Telegram either, so the console and the tools run without it.
- No import circle anywhere: no two modules import each other, directly or through a chain, not
  even inside functions.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import PYTHON

ROOT = Path(__file__).resolve().parents[1]
DIALOGS = ROOT / "dialogs"
#: What the core may never import (top-level names).
NOT_IN_THE_CORE = frozenset({
    "bot", "telegram", "aiosqlite", "sqlite3", "asyncpg", "yaml", "marshal", "pickle", "aiohttp", "tornado",
    "httpx", "PIL", "sklearn", "numpy", "scipy", "os", "pathlib", "socket", "subprocess", "io", "shutil",
    "tempfile", "sentry_sdk", "prometheus_client",
})


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module name ``path`` imports, anywhere in it (functions included), with the line."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_core_owns_no_io_and_knows_no_adapter() -> None:
    files = sorted(DIALOGS.rglob("*.py"))
    assert len(files) > 10 and any(path.parent.name == "nlu" for path in files)
    for path in files:
        for name, line in _imports(path):
            assert name.split(".")[0] not in NOT_IN_THE_CORE, f"{path.relative_to(ROOT)}:{line} imports {name}"


def test_storage_and_content_adapters_do_not_need_telegram() -> None:
    for folder in (ROOT / "bot" / "storage", ROOT / "bot" / "content_files"):
        for path in sorted(folder.rglob("*.py")):
            for name, line in _imports(path):
                top = name.split(".")[0]
                assert top != "telegram", f"{path.relative_to(ROOT)}:{line} imports {name}"
                assert not name.startswith(("bot.telegram", "bot.wiring", "bot.serving")), \
                    f"{path.relative_to(ROOT)}:{line} imports {name}"


def test_no_import_circle_anywhere() -> None:
    modules = {_module_name(path): path for folder in ("bot", "dialogs", "content")
               for path in (ROOT / folder).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, _ in _imports(path):
            if imported in modules and imported != name and not name.startswith(f"{imported}."):
                graph[name].add(imported)
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def test_importing_the_core_and_its_adapters_does_not_import_telegram(tmp_path: Path) -> None:
    modules = ("dialogs.engine", "dialogs.service", "dialogs.commands", "bot.storage.sqlite",
               "bot.content_files.loader", "bot.content_files.cache")
    script = (
        f"import sys, {', '.join(modules)}\n"
        "print(sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')))\n"
    )
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_telegram_is_importable_so_the_check_is_meaningful(tmp_path: Path) -> None:
    done = subprocess.run([PYTHON, "-c", "import telegram, sys; print('telegram' in sys.modules)"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
