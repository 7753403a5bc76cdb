"""`lrtui serve`: the app in a web browser, through textual-serve, on this machine only.

Every browser tab starts its own `python -m lrtui ...` with the options given
to `serve`. The server listens on 127.0.0.1 and has no authentication: anyone
who can reach the port can drive the app and write files where it runs. From
another machine, tunnel it: `ssh -L 8000:127.0.0.1:8000 gpu-box`, then open
http://127.0.0.1:8000 on your side.

Stopping the server (ctrl+c, SIGTERM) stops every app it started: each gets
SIGTERM at once, so the server does not sit out aiohttp's shutdown wait for
tabs that are still open, and each app also leaves by itself once its server
is gone (lrtui.app.served).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from lrtui.settings.fields import Settings
from lrtui.settings.options import command_line

HOST = "127.0.0.1"


def app_command(settings: Settings, fps: float, load: str | None = None) -> str:
    """The shell command each browser session runs: this Python, this lrtui, these options.

    textual-serve runs it through a shell; `exec` makes the app that shell's process, so the
    server's signals reach the app itself and no shell is left between them."""
    argv = [sys.executable, "-m", "lrtui", "--fps", repr(fps)]
    if load:
        argv += ["--load", load]
    return "exec " + command_line(settings, *argv)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def notice(port: int) -> str:
    return (f"lrtui serve: http://{HOST}:{port}  (this machine only)\n"
            "No authentication: anyone who can reach this port can use the app.\n"
            f"From another machine: ssh -L {port}:{HOST}:{port} THIS-HOST, "
            f"then open http://{HOST}:{port} there.\n"
            "Ctrl+C stops the server.")


def serve(settings: Settings, port: int, fps: float = 15.0, load: str | None = None) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        print("lrtui serve: error: textual-serve is not installed; "
              "install it with: pip install 'lrtui[serve]'", file=sys.stderr)
        return 2
    print(notice(port), flush=True)

    class OwningServer(Server):
        def request_exit(self) -> None:
            for app in children(os.getpid()):  # the apps, one per tab
                try:
                    os.kill(app, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            super().request_exit()

    server = OwningServer(app_command(settings, fps, load), host=HOST, port=port, title="lrtui")
    try:
        server.serve()
    except OSError as error:  # the port is taken, most often
        print(f"lrtui serve: error: cannot listen on {HOST}:{port}: {error.strerror or error}",
              file=sys.stderr)
        return 2
    return 0
