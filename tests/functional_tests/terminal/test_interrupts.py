"""The real `lrtui` in a real pseudo-terminal: quitting, ctrl+c, hangups, a missing TensorFlow.

Each test starts the installed program as a user would, in its own pty of a
fixed size, reads what it draws, and types into it. Nothing here waits a fixed
time for a result: the reader polls the output (or the process) until a
deadline. The exit deadline of 2 s is the product's promise: q and ctrl+c
must end the app within 2 s, whatever TensorFlow is doing.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
from pathlib import Path

import pytest
from pty_support import EXIT_DEADLINE, LRTUI, START_DEADLINE, assert_clean_exit, visible

from benchmarks.quit_latency import burst

pytestmark = pytest.mark.pty


# -- quitting --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_while_tensorflow_is_importing(terminals, pty_env, key):
    terminal = terminals(LRTUI, pty_env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    assert not re.search(r"\bready\b", visible(terminal.text)), "TensorFlow had already loaded"
    pressed = terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
    assert code == 0


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_mid_run(terminals, pty_env, key):
    terminal = terminals(LRTUI + ["--speed", "max", "--steps", "1000000000"], pty_env)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(" ")
    terminal.wait_for(r"running", 30)
    terminal.wait_for(r"steps/s", 30)  # training for real, at full speed
    pressed = terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
    assert code == 0


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_right_after_a_burst_of_keys(terminals, pty_env, tmp_path, key):
    """Hundreds of keys written at once (screens, saves, lr changes), then q: gone within 2 s."""
    terminal = terminals(LRTUI, pty_env, cwd=tmp_path)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(burst(random.Random(11), 400))
    pressed = terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
    assert code == 0


# -- a dropped connection ----------------------------------------------------------------

def test_sighup_saves_the_run_to_the_recovery_file(terminals, pty_env, tmp_path):
    terminal = terminals(LRTUI + ["--lr", "0.05", "--seed", "3", "--steps", "40"], pty_env)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(" ")  # 40 steps at 100 steps/s, then the budget is reached
    terminal.wait_for(r"finished", 30)
    os.kill(terminal.process.pid, signal.SIGHUP)
    code = terminal.wait_exit(10)
    assert code == 128 + signal.SIGHUP, code
    assert "Traceback" not in terminal.text
    path = tmp_path / "state" / "lrtui" / "recovery.json"
    record = json.loads(path.read_text())
    assert record["reason"] == "hangup" and record["version"] == 1
    assert record["step"] == 40 and record["state"] == "finished"
    assert record["learning_rate"] == 0.05
    assert record["settings"]["seed"] == 3 and record["settings"]["learning_rate"] == 0.05
    assert record["w"] != 0.0 and record["loss"] < 2.403  # it trained: the lesson's start is 2.403
    # The whole run is in a run file that --load reopens at the same step and weights.
    run_path = tmp_path / "state" / "lrtui" / "recovery-run.json"
    assert record["resume"] == f"lrtui --load {run_path}"
    from lrtui.engine.runfile import read_run_file

    saved = read_run_file(run_path)
    assert saved.settings.seed == 3 and saved.settings.learning_rate == 0.05
    assert saved.step == 40 and (saved.w, saved.b) == pytest.approx((record["w"], record["b"]))
    assert not list(path.parent.glob(".recovery-*")), "a temporary file was left behind"


def test_sighup_while_tensorflow_is_importing_saves_the_settings(terminals, pty_env, tmp_path):
    terminal = terminals(LRTUI + ["--lr", "0.3"], pty_env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    os.kill(terminal.process.pid, signal.SIGHUP)
    code = terminal.wait_exit(10)
    assert code == 128 + signal.SIGHUP, code
    record = json.loads((tmp_path / "state" / "lrtui" / "recovery.json").read_text())
    assert record["step"] == 0 and record["settings"]["learning_rate"] == 0.3


# -- TensorFlow missing ----------------------------------------------------------------

@pytest.fixture
def no_tensorflow(pty_env, tmp_path):
    """An environment fault, faked on purpose: a `tensorflow` package that fails to import.

    It stands first on PYTHONPATH, so `import tensorflow` finds it instead of the real one.
    """
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("libtensorflow_framework.so.2: '
                                      'cannot open shared object file")\n')
    env = dict(pty_env)
    env["PYTHONPATH"] = os.pathsep.join([str(fake.parent), str(Path(__file__).parents[3])])
    return env


def test_headless_run_without_tensorflow_says_how_to_install_it(no_tensorflow):
    done = subprocess.run(LRTUI + ["run"], env=no_tensorflow, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lrtui: error: TensorFlow could not be imported")
    assert "pip install tensorflow" in done.stderr


def test_app_without_tensorflow_says_how_to_install_it_and_quits(terminals, no_tensorflow):
    terminal = terminals(LRTUI, no_tensorflow, size=(200, 50))
    terminal.wait_for("pip install tensorflow", START_DEADLINE)
    assert "cannot train" in visible(terminal.text)
    pressed = terminal.type("q")
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
