"""The real `lrtui` in a real pseudo-terminal: quitting, ctrl+c, hangups, a missing TensorFlow.

Each test starts the installed program as a user would, in its own pty of a
fixed size, reads what it draws, and types into it. Nothing here waits a fixed
time for a result: the reader polls the output (or the process) until a
deadline. The exit deadline of 2 s is the product's promise: q and ctrl+c
must end the app within 2 s, whatever TensorFlow is doing.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.pty

EXIT_DEADLINE = 2.0
START_DEADLINE = 120.0  # importing TensorFlow and compiling the chunks on a busy machine
LRTUI = [sys.executable, "-m", "lrtui"]
ALT_SCREEN_ON, ALT_SCREEN_OFF = "\x1b[?1049h", "\x1b[?1049l"


class Terminal:
    """One program in a pty: what it drew so far, keys to type, how it ended."""

    def __init__(self, args: list[str], env: dict, size=(120, 40)):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.raw = b""
        self.ended_at: float | None = None

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def read(self, seconds: float) -> None:
        """Take what the program wrote within `seconds` (less if it ends)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the program closed the terminal
                    chunk = b""
                if not chunk:
                    self._note_end()
                    if self.ended_at is not None:
                        return
                self.raw += chunk
            elif self.process.poll() is not None:
                self._note_end()
                return

    def _note_end(self) -> None:
        if self.process.poll() is not None and self.ended_at is None:
            self.ended_at = time.monotonic()

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, visible(self.text)):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.read(0.2)
                pytest.fail(f"no {pattern!r} within {timeout} s (exit code "
                            f"{self.process.poll()}); the end of the output:\n{visible(self.text)[-1500:]}")
            self.read(0.1)

    def type(self, data: str) -> float:
        os.write(self.master, data.encode())
        return time.monotonic()

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.05)
        self.read(0.2)  # whatever it wrote last (the terminal being restored)
        code = self.process.poll()
        if code is not None and self.ended_at is None:
            self.ended_at = time.monotonic()
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        os.close(self.master)


def visible(text: str) -> str:
    """The output without escape sequences, for error messages."""
    return re.sub(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>])", "", text)


@pytest.fixture
def env(tmp_path):
    environment = dict(os.environ)
    environment.update(TERM="xterm-256color", COLUMNS="120", LINES="40",
                       XDG_STATE_HOME=str(tmp_path / "state"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
    environment.pop("TEXTUAL", None)
    return environment


@pytest.fixture
def terminals():
    started = []

    def start(args, env, size=(120, 40)):
        terminal = Terminal(args, env, size)
        started.append(terminal)
        return terminal
    yield start
    for terminal in started:
        terminal.close()


def assert_clean_exit(terminal: Terminal, pressed_at: float, code: int | None) -> None:
    assert code is not None, f"still running {EXIT_DEADLINE} s after the key; " \
                             f"output:\n{visible(terminal.text)[-1500:]}"
    took = terminal.ended_at - pressed_at
    assert took <= EXIT_DEADLINE, f"exit took {took:.2f} s"
    assert "Traceback" not in terminal.text, visible(terminal.text)[-3000:]
    text = terminal.text
    assert ALT_SCREEN_ON in text, "the app never took the screen"
    assert text.rfind(ALT_SCREEN_OFF) > text.rfind(ALT_SCREEN_ON), "the terminal was not restored"


# -- quitting --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_while_tensorflow_is_importing(terminals, env, key):
    terminal = terminals(LRTUI, env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    assert not re.search(r"\bready\b", visible(terminal.text)), "TensorFlow had already loaded"
    pressed = terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
    assert code == 0


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_mid_run(terminals, env, key):
    terminal = terminals(LRTUI + ["--speed", "max", "--steps", "1000000000"], env)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(" ")
    terminal.wait_for(r"running", 30)
    terminal.wait_for(r"steps/s", 30)  # training for real, at full speed
    pressed = terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, pressed, code)
    assert code == 0


# -- a dropped connection ----------------------------------------------------------------

def test_sighup_saves_the_run_to_the_recovery_file(terminals, env, tmp_path):
    terminal = terminals(LRTUI + ["--lr", "0.05", "--seed", "3", "--steps", "40"], env)
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


def test_sighup_while_tensorflow_is_importing_saves_the_settings(terminals, env, tmp_path):
    terminal = terminals(LRTUI + ["--lr", "0.3"], env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    os.kill(terminal.process.pid, signal.SIGHUP)
    code = terminal.wait_exit(10)
    assert code == 128 + signal.SIGHUP, code
    record = json.loads((tmp_path / "state" / "lrtui" / "recovery.json").read_text())
    assert record["step"] == 0 and record["settings"]["learning_rate"] == 0.3


# -- TensorFlow missing ----------------------------------------------------------------

@pytest.fixture
def no_tensorflow(env, tmp_path):
    """An environment fault, faked on purpose: a `tensorflow` package that fails to import.

    It stands first on PYTHONPATH, so `import tensorflow` finds it instead of the real one.
    """
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("libtensorflow_framework.so.2: '
                                      'cannot open shared object file")\n')
    env = dict(env)
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
