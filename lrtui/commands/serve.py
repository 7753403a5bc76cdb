"""`lrtui serve`: the app in a web browser, through textual-serve, on this machine only.

Every browser tab starts its own `python -m lrtui ...` with the options given
to `serve`. The server listens on 127.0.0.1 and has no authentication: anyone
who can reach the port can drive the app and write files where it runs. From
another machine, tunnel it: `ssh -L 8000:127.0.0.1:8000 gpu-box`, then open
http://127.0.0.1:8000 on your side.
"""

from __future__ import annotations

import sys

from lrtui.settings.fields import Settings
from lrtui.settings.options import command_line

HOST = "127.0.0.1"


def app_command(settings: Settings, fps: float, load: str | None = None) -> str:
    """The shell command each browser session runs: this Python, this lrtui, these options."""
    argv = [sys.executable, "-m", "lrtui", "--fps", repr(fps)]
    if load:
        argv += ["--load", load]
    return command_line(settings, *argv)


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
    server = Server(app_command(settings, fps, load), host=HOST, port=port, title="lrtui")
    try:
        server.serve()
    except OSError as error:  # the port is taken, most often
        print(f"lrtui serve: error: cannot listen on {HOST}:{port}: {error.strerror or error}",
              file=sys.stderr)
        return 2
    return 0
