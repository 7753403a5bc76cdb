"""Run the real `lrtui` app in a pseudo-terminal and watch what it writes.

The benchmarks measure what an SSH user feels: bytes on the wire, time to the
first frame, time from a key to the screen changing. So the app runs as a
separate process on a real pty, exactly as a terminal would run it.
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
import sys
import tempfile
import termios
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class PtyApp:
    def __init__(self, args: list[str], width: int = 120, height: int = 40, env: dict | None = None):
        self.stats_path = Path(tempfile.mkstemp(prefix="lrtui-stats-", suffix=".json")[1])
        environment = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor",
                           LRTUI_STATS=str(self.stats_path), **(env or {}))
        self.started = time.time()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child becomes lrtui
            os.execvpe(sys.executable, [sys.executable, "-m", "lrtui", *args], environment)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        self.log: list[tuple[float, bytes]] = []  # (time, chunk) of everything written

    # -- reading -----------------------------------------------------------------
    def pump(self, seconds: float) -> int:
        """Read output for `seconds`; returns the bytes read."""
        total = 0
        deadline = time.time() + seconds
        while (left := deadline - time.time()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.log.append((time.time(), chunk))
            total += len(chunk)
        return total

    def text_since(self, since: float) -> str:
        raw = b"".join(chunk for t, chunk in self.log if t >= since)
        return ANSI.sub(b"", raw).decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float, since: float | None = None) -> float | None:
        """Pump until `pattern` shows in the output written after `since`; the time it did."""
        since = self.started if since is None else since
        regex = re.compile(pattern)
        deadline = time.time() + timeout
        seen = b""
        checked = 0  # log entries already looked at
        while True:
            for t, chunk in self.log[checked:]:
                checked += 1
                if t < since:
                    continue
                seen = (seen + chunk)[-65536:]  # a status line fits well within this
                if regex.search(ANSI.sub(b"", seen).decode("utf-8", "replace")):
                    return t
            if time.time() >= deadline:
                return None
            self.pump(0.02)

    def bytes_between(self, start: float, end: float) -> int:
        return sum(len(chunk) for t, chunk in self.log if start <= t < end)

    # -- writing -------------------------------------------------------------------
    def press(self, keys: str) -> float:
        os.write(self.fd, keys.encode())
        return time.time()

    # -- the end -------------------------------------------------------------------
    def rss_kib(self) -> int:
        """Resident memory of the app process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def quit(self, timeout: float = 10.0) -> dict:
        """Press q, wait for the exit, return the app's stats."""
        self.press("q")
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.pump(0.05)
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        try:
            return json.loads(self.stats_path.read_text() or "{}")
        except (OSError, json.JSONDecodeError):
            return {}
        finally:
            self.stats_path.unlink(missing_ok=True)
