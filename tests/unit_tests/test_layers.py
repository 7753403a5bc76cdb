"""The code's own rules, checked like any behaviour: layers, no cycles, lint.

The contracts are in pyproject.toml ([tool.importlinter]); ruff's settings too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_import_contracts_are_kept():
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing():
    result = subprocess.run([_tool("ruff"), "check", "lrtui", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_headless_commands_run_without_textual():
    """`lrtui run`, `find-lr`, `compare` and `map` import no Textual module at all (measured, not declared)."""
    probe = ("import sys, io, contextlib; from lrtui.commands.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    codes = [main(['run', '--steps', '2']), main(['find-lr', '--num', '20']),\n"
             "             main(['compare', '--steps', '2']), main(['map', '--steps', '2', '--num', '4'])]\n"
             "bad = sorted({m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'plotext')})\n"
             "print(codes, bad)\n"
             "sys.exit(1 if bad or any(codes) else 0)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"exit codes and Textual modules imported: {result.stdout}{result.stderr[-2000:]}"
