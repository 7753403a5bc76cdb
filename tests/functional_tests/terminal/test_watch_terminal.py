"""`lrtui watch NAME`, the installed program, in a real pseudo-terminal.

The training is played by this test process: tests/support.py's `keras_training` writes
a fixed history with the real channel and Publisher under a temporary XDG_RUNTIME_DIR
and keeps publishing its heartbeat (no TensorFlow: the test is about the viewer at a
terminal; real Keras trainings are watched in tests/functional_tests/keras). The keys go
in one burst with no wait for the viewer, `?` immediately followed by escape among them;
then the window shrinks below the viewer's minimum and grows back, then q. pyte is the
terminal: the test reads the screen it shows. Nothing waits a fixed time for a result.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from pty_support import EXIT_DEADLINE, LRTUI, START_DEADLINE, Terminal, assert_clean_exit, visible
from support import keras_training

from lrtui.app.watch_app import MIN_HEIGHT, MIN_WIDTH

pytestmark = pytest.mark.pty

ESCAPE = "\x1b"
SHOW_DEADLINE = 10.0
TOO_SMALL = f"too small for lrtui watch: it needs at least {MIN_WIDTH}×{MIN_HEIGHT}"


def screen_text(terminal: Terminal) -> str:
    """What the terminal shows, as one line: a message wrapped over rows reads whole again."""
    return re.sub(r"\s+", " ", terminal.shown())


def until_shown(terminal: Terminal, what, timeout: float = SHOW_DEADLINE) -> str:
    """Read the program's output until `what(screen text)` holds; fail with the screen if never."""
    deadline = time.monotonic() + timeout
    while not what(text := screen_text(terminal)):
        if time.monotonic() > deadline or not terminal.alive():
            pytest.fail(f"not shown within {timeout} s (exit code {terminal.process.poll()}); "
                        f"the screen:\n{terminal.shown()}")
        terminal.read(0.05)
    return text


def test_a_burst_help_a_too_small_window_and_q(terminals, pty_env, tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    channel, publisher = keras_training("exp")
    try:
        env = dict(pty_env, XDG_RUNTIME_DIR=str(runtime))  # the pty alone says how big it is
        terminal = terminals(LRTUI + ["watch", "exp"], env, cwd=tmp_path)
        terminal.wait_for(r"step 799/1,000", START_DEADLINE)
        # A hand on the keyboard: steering keys, the view's keys, the help and escape at once.
        # (Escape comes last: a byte right after it would make it alt+key.)
        terminal.type(" +-y[]{}y?" + ESCAPE)
        terminal.read(0.05)
        terminal.resize(MIN_WIDTH - 6, MIN_HEIGHT - 4)
        small = until_shown(terminal, lambda text: TOO_SMALL in text)
        assert "Step log" not in small and "step 799" not in small, terminal.shown()
        assert terminal.alive()
        terminal.resize(120, 40)
        big = until_shown(terminal, lambda text: "Step log" in text and "step 799/1,000" in text)
        assert "too small" not in big, terminal.shown()
        # The burst's steering reached the training's channel, in order; the help sent nothing.
        sent = [json.loads(line) for line in channel.commands.read_text().splitlines()]
        assert [(c["command"], c.get("value")) for c in sent] == \
            [("pause", None), ("scale_lr", 2.0), ("scale_lr", 0.5)], sent
        terminal.type("q")
        code = terminal.wait_exit(EXIT_DEADLINE + 3)
        assert_clean_exit(terminal, code)  # it ends, no traceback, terminal restored
        assert code == 0, visible(terminal.text)[-1500:]
        assert channel.state()["state"] == "training"  # detached: the training goes on
    finally:
        publisher.close("finished")
