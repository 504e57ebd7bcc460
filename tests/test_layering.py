"""The flows know no platform: nothing under handlers/ imports a channel library or does I/O."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
FORBIDDEN = {"telegram", "twilio", "starlette", "uvicorn", "httpx", "aiohttp", "requests", "socket"}


def imported_roots(path: Path) -> set[str]:
    """The top-level module names a file imports."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_handlers_import_no_platform_or_network_library() -> None:
    files = sorted(HANDLERS.rglob("*.py"))
    assert files
    for path in files:
        bad = imported_roots(path) & FORBIDDEN
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_check_itself_notices_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import telegram.ext\nfrom twilio.rest import Client\n")
    assert imported_roots(sample) & FORBIDDEN == {"telegram", "twilio"}


def test_the_flows_do_not_pull_in_a_platform_library_either() -> None:
    platforms = FORBIDDEN - {"socket"}  # the standard library loads socket anyway
    code = (
        "import sys, handlers; handlers.build_registry();"
        f" print(sorted({{m.split('.')[0] for m in sys.modules}} & {platforms!r}))"
    )
    root = HANDLERS.parent
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"  # what handlers import never imports them on its way
