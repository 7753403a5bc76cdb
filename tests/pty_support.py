"""The real `lrtui` in a real pseudo-terminal, for the tests that need one.

`Terminal` starts a program in its own pty of a fixed size, keeps every byte
it writes (and feeds them to a pyte screen, a terminal emulator, so a test can
read what a user would see), types into it, resizes it as a terminal window
does (TIOCSWINSZ, then SIGWINCH) and tells how it ended. Nothing here waits a
fixed time for a result: reads poll the output or the process until a deadline.
"""

from __future__ import annotations

import fcntl
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

import pyte
import pytest

LRTUI = [sys.executable, "-m", "lrtui"]
# Importing TensorFlow and compiling the first chunk on a busy machine.
START_DEADLINE = 120.0
# How long a test waits for the app to end after q, ctrl+c or a signal before it calls it a
# hang. The product's promise (within 2 s, whatever it is doing) is a timing target:
# benchmarks/quit_latency.py measures it; a test on a busy machine only checks the end comes.
EXIT_DEADLINE = 20.0
ALT_SCREEN_ON, ALT_SCREEN_OFF = "\x1b[?1049h", "\x1b[?1049l"
CURSOR_ON = "\x1b[?25h"
MOUSE_ON, MOUSE_OFF = "\x1b[?1000h", "\x1b[?1000l"


class Terminal:
    """One program in a pty: what it drew so far, keys to type, how it ended."""

    def __init__(self, args: list[str], env: dict, size=(120, 40), cwd: str | Path | None = None):
        master, slave = pty.openpty()
        self.master = master
        self.size = size
        self._set_size(size)
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        cwd=cwd, start_new_session=True, close_fds=True)
        os.close(slave)
        self.raw = b""
        self.ended_at: float | None = None
        self.screen = pyte.Screen(*size)
        self._stream = pyte.ByteStream(self.screen)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def shown(self) -> str:
        """What the terminal shows now, line by line (pyte's screen)."""
        return "\n".join(self.screen.display)

    def alive(self) -> bool:
        return self.process.poll() is None

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
                self._stream.feed(chunk)
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

    def type(self, data: str | bytes) -> float:
        """Write keys as a terminal would, all at once; the time they went."""
        data = data.encode() if isinstance(data, str) else data
        while data:  # a large burst may not fit the pty's buffer in one write
            _, writable, _ = select.select([], [self.master], [], 5)
            if not writable:
                self.read(0.05)  # let the program's output drain, then go on
                continue
            written = os.write(self.master, data[:1024])
            data = data[written:]
        return time.monotonic()

    def resize(self, columns: int, rows: int) -> None:
        """What a terminal window does when it is resized."""
        self._set_size((columns, rows))
        self.screen.resize(rows, columns)
        if self.alive():
            os.kill(self.process.pid, signal.SIGWINCH)

    def _set_size(self, size) -> None:
        self.size = size
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))

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


def assert_restored(terminal: Terminal) -> None:
    """The app took the screen and gave it back: main screen, mouse off, cursor on."""
    text = terminal.text
    assert ALT_SCREEN_ON in text, "the app never took the screen"
    on = text.rfind(ALT_SCREEN_ON)
    assert text.rfind(ALT_SCREEN_OFF) > on, "the terminal was left in the alternate screen"
    if MOUSE_ON in text:
        assert text.rfind(MOUSE_OFF) > text.rfind(MOUSE_ON), "mouse reporting was left on"
    assert text.rfind(CURSOR_ON) > on, "the cursor was left hidden"


def assert_clean_exit(terminal: Terminal, code: int | None) -> None:
    assert code is not None, f"still running {EXIT_DEADLINE} s after the key; " \
                             f"output:\n{visible(terminal.text)[-1500:]}"
    assert "Traceback" not in terminal.text, visible(terminal.text)[-3000:]
    assert_restored(terminal)
