"""Fixtures every test folder shares; the helpers they call are in tests/support.py.

The folders mirror the layers: unit_tests/ (settings, engine, commands,
replay, app pieces without a terminal) and functional_tests/ (the app through
the Pilot, a real pseudo-terminal, a real browser). The slow kinds carry a
marker (pty, browser, monkey): `pytest -m "not pty and not browser and not
monkey"` runs the rest; the README's command runs everything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import LESSON_DATA

from lrtui.engine.data import Dataset

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout: demo.tape, README.md and themes/ are here."""
    return ROOT


@pytest.fixture(scope="session")
def lesson_data() -> Dataset:
    """The lesson's 100 points: x in [0, 1], y = 0.1·x + 0.5 + noise 0.1, seed 0."""
    return LESSON_DATA


@pytest.fixture
def pty_env(tmp_path) -> dict:
    """The environment of an lrtui in a pseudo-terminal: its own state and config folders."""
    environment = dict(os.environ)
    environment.update(TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
    # The size comes from the pty (tests/pty_support.py sets it, and resizes it as a window
    # does): COLUMNS and LINES would pin the size Textual reads, and a resize would reach
    # nothing.
    for name in ("TEXTUAL", "COLUMNS", "LINES"):
        environment.pop(name, None)
    return environment


@pytest.fixture
def terminals():
    """Start programs in pseudo-terminals (tests/pty_support.py); all are killed at the end."""
    from pty_support import Terminal

    started = []

    def start(args, env, size=(120, 40), cwd=None):
        terminal = Terminal(args, env, size, cwd)
        started.append(terminal)
        return terminal
    yield start
    for terminal in started:
        terminal.close()
